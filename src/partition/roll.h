/*-------------------------------------------------------------------------
 *
 * roll.h
 *	  Segment life cycle: rolling a partition to a new segment, dropping
 *	  segments.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/partition/roll.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_PARTITION_ROLL_H
#define LOGEXT_PARTITION_ROLL_H

#include "lib/stringinfo.h"

#include "meta/logcache.h"

/*
 * Fills buf with records (LogRecordHeader with length/flags/key_len set,
 * then the payload) to start the new segment with; returns how many.
 * Called under the old segment's partition lock with no write in flight.
 */
typedef int (*LogRollSeedFn) (void *arg, StringInfo buf);

extern Oid	LogRollPartition(LogCacheEntry **log, int32 partition,
							 LogRollSeedFn seed, void *seed_arg);
extern Oid	LogAddSegment(int32 log_id, int32 partition, LogOffset base);
extern void LogGrowPartitions(LogCacheEntry **log, int32 npartitions);
extern void LogDropSegment(Oid relid);
extern bool LogTryDropSegment(Oid relid);
extern void LogRollEndXact(bool committed);
extern void LogRollSubAbort(SubTransactionId subid);
extern void LogRollSubCommit(SubTransactionId subid, SubTransactionId parent);
extern bool LogRollPending(void);

#endif							/* LOGEXT_PARTITION_ROLL_H */
