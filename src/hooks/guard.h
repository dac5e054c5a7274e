/*-------------------------------------------------------------------------
 *
 * guard.h
 *	  Refusing SQL commands that would break a log segment.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/hooks/guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_HOOKS_GUARD_H
#define LOGEXT_HOOKS_GUARD_H

extern void LogGuardInstall(void);

#endif							/* LOGEXT_HOOKS_GUARD_H */
