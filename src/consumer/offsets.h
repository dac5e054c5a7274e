/*-------------------------------------------------------------------------
 *
 * offsets.h
 *	  Committed consumer-group offsets: what the SQL functions call.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsets.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_OFFSETS_H
#define LOGEXT_CONSUMER_OFFSETS_H

#include "consumer/offsetkey.h"
#include "meta/logcache.h"

extern void LogOffsetsLockKey(const char *group, int32 log_id, int32 partition);
extern bool LogOffsetsGet(const char *group, int32 log_id, int32 partition,
						  LogOffset *next_offset);
extern void LogOffsetsCommit(const char *group, LogCacheEntry *log,
							 int32 partition, LogOffset next_offset);
extern int	LogOffsetsList(LogGroupOffset **list);

#endif							/* LOGEXT_CONSUMER_OFFSETS_H */
