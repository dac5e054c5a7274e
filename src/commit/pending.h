/*-------------------------------------------------------------------------
 *
 * pending.h
 *	  Records appended by the current transaction, waiting for commit.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/commit/pending.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_COMMIT_PENDING_H
#define LOGEXT_COMMIT_PENDING_H

#include "utils/jsonb.h"

#include "meta/logcache.h"
#include "segment/page.h"

/* one (log, partition) the transaction appended to */
typedef struct LogPendingTarget
{
	int32		log_id;
	int32		partition;
	Oid			relid;			/* active segment when first appended */
	char	   *log_name;
	int64		count;			/* records, set by LogPendingCount(); -1 for
								 * "some" when not counted */
} LogPendingTarget;

extern void LogPendingAppend(LogCacheEntry *log, int partition,
							 const char *key, int key_len,
							 Jsonb *headers,
							 const char *value, uint32 value_len);
extern bool LogPendingIsEmpty(void);
extern int	LogPendingCount(LogPendingTarget **targets);

extern void LogPendingScanBegin(void);
extern bool LogPendingScanNext(int *target, LogRecordHeader *hdr);
extern void LogPendingScanRead(char *dst, uint32 len);

extern void LogPendingSubAbort(SubTransactionId subid);
extern void LogPendingSubCommit(SubTransactionId subid,
								SubTransactionId parent);
extern void LogPendingReset(void);
extern void LogPendingForget(void);
extern void LogPendingCheckCanAppend(const char *what);
extern void LogPendingNotify(LogCacheEntry *log);

extern void LogPendingDefineGucs(void);

#endif							/* LOGEXT_COMMIT_PENDING_H */
