/*-------------------------------------------------------------------------
 *
 * eoxact.h
 *	  The end-of-transaction dispatch.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/eoxact.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_EOXACT_H
#define LOGEXT_EOXACT_H

extern void LogXactInit(void);

#endif							/* LOGEXT_EOXACT_H */
