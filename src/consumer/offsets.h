/*-------------------------------------------------------------------------
 *
 * offsets.h
 *	  Committed consumer-group offsets, and the quota shared by the
 *	  consumer group tables in shared memory.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsets.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_OFFSETS_H
#define LOGEXT_CONSUMER_OFFSETS_H

#include "nodes/pg_list.h"

#include "catalog/logcache.h"
#include "logext.h"

#define LOGEXT_MAX_GROUP_LEN	100
#define LOGEXT_OFFSETS_LOG		"__consumer_offsets"

/* one committed offset, as listed by logext.consumer_groups */
typedef struct LogGroupOffset
{
	char		group[LOGEXT_MAX_GROUP_LEN + 1];
	int32		log_id;
	int32		partition;
	LogOffset	next_offset;
} LogGroupOffset;

/* logext.group_quota: percent of a shared group table per database/role */
extern int	logext_group_quota;

extern void LogOffsetsShmemRequest(void);
extern void LogOffsetsShmemStartup(void);
extern void LogOffsetsDefineGucs(void);
extern int	LogGroupQuota(int capacity);

extern void LogCheckGroupName(const char *group);
extern void LogOffsetsLockKey(const char *group, int32 log_id, int32 partition);
extern bool LogOffsetsGet(const char *group, int32 log_id, int32 partition,
						  LogOffset *next_offset);
extern void LogOffsetsCommit(const char *group, LogCacheEntry *log,
							 int32 partition, LogOffset next_offset);
extern int	LogOffsetsList(LogGroupOffset **list);
extern int	LogOffsetsAsOf(List *rels, Snapshot snapshot, const int32 *log_ids,
						   int nlog_ids, LogGroupOffset **result);
extern int64 LogOffsetsCompact(bool force);
extern Oid	LogOffsetsNextActiveDatabase(void);

/* transaction hooks, called from commit/precommit.c */
extern void LogOffsetsPreCommit(void);
extern void LogOffsetsSubAbort(SubTransactionId subid);
extern void LogOffsetsSubCommit(SubTransactionId subid, SubTransactionId parent);
extern void LogOffsetsEndXact(void);
extern bool LogOffsetsPending(void);

#endif							/* LOGEXT_CONSUMER_OFFSETS_H */
