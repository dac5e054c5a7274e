/*-------------------------------------------------------------------------
 *
 * offsetlog.h
 *	  The consumer offsets log on disk: catalog lookups, scans and the
 *	  seed records of compaction.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetlog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_OFFSETLOG_H
#define LOGEXT_CONSUMER_OFFSETLOG_H

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"
#include "utils/snapshot.h"

#include "consumer/offsetkey.h"

extern int	OffsetsLogIdCmp(const void *a, const void *b);
extern int32 *OffsetsExistingLogIds(int *n);
extern bool OffsetsLogIdIn(int32 log_id, const int32 *ids, int n);
extern List *OffsetsLogOpen(void);
extern void OffsetsLogClose(List *rels);
extern HTAB *OffsetsLogScan(List *rels, Oid olog, const int32 *log_ids,
							int nlog_ids);
extern HTAB *OffsetsLogLocal(void);
extern void OffsetsSeedAppend(StringInfo buf, const char *group, int32 log_id,
							  int32 partition, LogOffset value);
extern int	LogOffsetsAsOf(List *rels, Snapshot snapshot, const int32 *log_ids,
						   int nlog_ids, LogGroupOffset **result);

#endif							/* LOGEXT_CONSUMER_OFFSETLOG_H */
