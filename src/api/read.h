/*-------------------------------------------------------------------------
 *
 * read.h
 *	  Reading partitions into a set-returning function's tuplestore.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/read.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_API_READ_H
#define LOGEXT_API_READ_H

#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/snapshot.h"

#include "meta/logcache.h"

extern int64 LogReadPartitions(LogCacheEntry **log, int nparts,
							   const int32 *parts, const LogOffset *froms,
							   bool clamp, int64 max_records,
							   Snapshot snapshot, ReturnSetInfo *rsinfo,
							   MemoryContext rowcxt);
extern void LogReadWait(LogCacheEntry **log, int nparts, const int32 *parts,
						const LogOffset *froms, bool clamp,
						int64 max_records, int32 wait_ms,
						ReturnSetInfo *rsinfo, MemoryContext rowcxt);
extern void LogReadCheckArgs(int64 max_records, int32 wait_ms);

#endif							/* LOGEXT_API_READ_H */
