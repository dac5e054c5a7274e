/*-------------------------------------------------------------------------
 *
 * routing.h
 *	  Choosing the partition of an appended record.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/partition/routing.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_PARTITION_ROUTING_H
#define LOGEXT_PARTITION_ROUTING_H

#include "meta/logcache.h"

extern uint32 LogMurmur2(const char *data, int len);
extern int	LogRoute(LogCacheEntry *log, const char *key, int key_len,
					 bool has_partition, int32 partition);

#endif							/* LOGEXT_PARTITION_ROUTING_H */
