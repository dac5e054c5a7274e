/*-------------------------------------------------------------------------
 *
 * admin.h
 *	  Creating logs from C.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/admin.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_API_ADMIN_H
#define LOGEXT_API_ADMIN_H

extern void LogCreateLog(const char *name, int32 partitions);
extern void LogAlterSettings(const char *name, const Datum *settings,
							 const char *nulls);

#endif							/* LOGEXT_API_ADMIN_H */
