/*-------------------------------------------------------------------------
 *
 * retention.h
 *	  Rolling segments by size and age, and dropping segments past a log's
 *	  retention.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/partition/retention.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_PARTITION_RETENTION_H
#define LOGEXT_PARTITION_RETENTION_H

#include "meta/logcache.h"

extern int	LogEnforceRetention(LogCacheEntry **log, int *nrolled);
extern int	LogEnforceRetentionAsOwner(LogCacheEntry **log, int *nrolled);

#endif							/* LOGEXT_PARTITION_RETENTION_H */
