/*-------------------------------------------------------------------------
 *
 * settings.h
 *	  The settings of a log (retention, rolling, cleanup policy) as its
 *	  row in logext.logs has them.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_META_SETTINGS_H
#define LOGEXT_META_SETTINGS_H

#include "datatype/timestamp.h"

/* a limit that is not set (NULL in the catalog) is -1 */
typedef struct LogSettings
{
	int64		retention_us;	/* keep records this long */
	int64		retention_bytes;	/* per partition */
	int64		segment_bytes;	/* roll the active segment at this size */
	int64		segment_age_us; /* ... or when its first record is this old */
	bool		compact;		/* cleanup_policy has 'compact' */
	bool		delete;			/* cleanup_policy has 'delete' */
	int64		delete_retention_us;	/* keep tombstones this long */
} LogSettings;

extern bool LogReadSettings(int32 log_id, LogSettings *settings);

#endif							/* LOGEXT_META_SETTINGS_H */
