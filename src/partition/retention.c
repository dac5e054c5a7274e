/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  A log's life cycle: roll each partition's active segment once it
 *	  passed segment_bytes or its first record is older than segment_age,
 *	  and drop whole sealed segments, oldest first, whose records are all
 *	  older than retention, or while the partition without the segment
 *	  still holds retention_bytes (Kafka's rule: a partition keeps at least
 *	  retention_bytes).  The active segment is never dropped.
 *
 * Reclaiming drops the segment's relation (partition/roll.c,
 * LogTryDropSegment): no row-by-row delete and no VACUUM, and the files go
 * when the dropping transaction commits.  The drop takes the segment's
 * AccessExclusiveLock conditionally: a reader that has the segment open
 * (AccessShareLock) finishes first, and the segment is tried again on the
 * next run; a reader that comes after the drop finds its offsets below the
 * partition's first offset (api/read.c reports that as out of range).
 * Segments go oldest first and the scan of a partition stops at the first
 * one kept, so a partition's offsets stay one contiguous range.
 *
 * Timestamps are appended_at, which never decreases along a partition's
 * offsets, so a segment's last record bounds all of its records.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/partition/retention.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "meta/logacl.h"
#include "meta/settings.h"
#include "partition/retention.h"
#include "partition/roll.h"
#include "segment/cursor.h"
#include "segment/writer.h"

/* does the active segment of a partition need rolling? */
static bool
needs_roll(LogCacheEntry **log, int32 partition, const LogSettings *s,
		   TimestampTz now)
{
	Relation	rel;
	TimestampTz first;
	TimestampTz last;
	bool		roll = false;

	if (s->segment_bytes < 0 && s->segment_age_us < 0)
		return false;
	rel = LogOpenSegment(log, partition, -1, AccessShareLock);
	if (rel == NULL)
		return false;
	if (LogSegmentTimeBounds(rel, &first, &last))
	{
		if (s->segment_bytes >= 0 &&
			(int64) RelationGetNumberOfBlocks(rel) * BLCKSZ >= s->segment_bytes)
			roll = true;
		if (s->segment_age_us >= 0 && first <= now - s->segment_age_us)
			roll = true;
	}
	relation_close(rel, AccessShareLock);
	return roll;
}

/* drop what retention allows of one partition; returns how many */
static int
drop_expired(LogCacheEntry *log, int32 partition, const LogSettings *s,
			 TimestampTz now)
{
	LogPartitionInfo *pi = &log->parts[partition];
	int			nsegs = pi->nsegments;
	int64	   *sizes = palloc0(sizeof(int64) * nsegs);
	TimestampTz *lasts = palloc0(sizeof(TimestampTz) * nsegs);
	bool	   *empty = palloc0(sizeof(bool) * nsegs);
	Oid		   *relids = palloc(sizeof(Oid) * nsegs);
	int64		total = 0;
	int			ndropped = 0;

	/* sizes and last timestamps, read before anything is dropped */
	for (int i = 0; i < nsegs; i++)
	{
		Relation	rel = try_relation_open(pi->segments[i].relid, AccessShareLock);
		TimestampTz first;

		relids[i] = pi->segments[i].relid;
		if (rel == NULL)
		{
			/* dropped concurrently: another run is at work, stop here */
			nsegs = i;
			break;
		}
		sizes[i] = (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
		empty[i] = !LogSegmentTimeBounds(rel, &first, &lasts[i]);
		total += sizes[i];
		relation_close(rel, AccessShareLock);
	}

	/* sealed segments only: the last one listed is the active segment */
	for (int i = 0; i < nsegs - 1; i++)
	{
		bool		drop = false;

		CHECK_FOR_INTERRUPTS();
		if (s->retention_us >= 0 &&
			(empty[i] || lasts[i] <= now - s->retention_us))
			drop = true;
		if (s->retention_bytes >= 0 && total - sizes[i] >= s->retention_bytes)
			drop = true;
		if (!drop || !LogTryDropSegment(relids[i]))
			break;
		total -= sizes[i];
		ndropped++;
		elog(DEBUG1, "logext: retention dropped segment %u of partition %d of log \"%s\"",
			 relids[i], partition, log->name);
	}
	pfree(sizes);
	pfree(lasts);
	pfree(empty);
	pfree(relids);
	return ndropped;
}

/*
 * Apply a log's settings now: drop what retention allows, then roll what
 * needs rolling (a segment sealed here is considered on the next run).  Not
 * in a transaction block (a roll must commit on its own).  Returns the
 * number of segments dropped; *nrolled gets the number of partitions
 * rolled.
 */
int
LogEnforceRetention(LogCacheEntry **log, int *nrolled)
{
	LogSettings s;
	TimestampTz now = GetCurrentTimestamp();
	int			ndropped = 0;

	int32		log_id = (*log)->log_id;

	*nrolled = 0;

	/*
	 * The log lock first, as appenders and rolls take it (the lock order of
	 * docs/design.md): log_drop() waits for this run, not the other way
	 * round.
	 */
	LogLockLog(log_id, AccessShareLock);
	*log = LogCacheRefresh((*log)->name);
	if ((*log)->log_id != log_id || !LogReadSettings(log_id, &s))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log \"%s\" was dropped concurrently", (*log)->name)));

	/*
	 * A segment sealed by a roll of this transaction is not dropped in it:
	 * drops only after the rolls have committed.
	 */
	if (s.delete && (s.retention_us >= 0 || s.retention_bytes >= 0) &&
		!LogRollPending())
		for (int32 p = 0; p < (*log)->nparts; p++)
			ndropped += drop_expired(*log, p, &s, now);
	for (int32 p = 0; p < (*log)->nparts; p++)
	{
		CHECK_FOR_INTERRUPTS();
		if (needs_roll(log, p, &s, now) &&
			OidIsValid(LogRollPartition(log, p, NULL, NULL)))
			(*nrolled)++;
	}
	return ndropped;
}

typedef struct RetentionArgs
{
	LogCacheEntry *log;
	int			ndropped;
	int			nrolled;
} RetentionArgs;

static void
retention_as_owner(void *arg)
{
	RetentionArgs *a = (RetentionArgs *) arg;

	a->ndropped = LogEnforceRetention(&a->log, &a->nrolled);
}

/*
 * The same as the extension's owner, who owns the segments (the caller has
 * checked that the user may do it): log_enforce_retention() and the
 * maintenance worker.
 */
int
LogEnforceRetentionAsOwner(LogCacheEntry **log, int *nrolled)
{
	RetentionArgs a;

	a.log = *log;
	LogRunAsOwner(retention_as_owner, &a);
	*log = a.log;
	*nrolled = a.nrolled;
	return a.ndropped;
}
