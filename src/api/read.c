/*-------------------------------------------------------------------------
 *
 * read.c
 *	  log_read(): the records of a partition in offset order from an
 *	  offset.
 *
 * The read rule (segment/visibility.c) is applied against the statement's
 * snapshot: committed records are returned, holes (aborted or crashed
 * transactions) are skipped, and the read stops at the first record whose
 * transaction has not committed for the snapshot.  So the rows are always
 * a gap-free prefix of what will ever be readable from from_offset, and a
 * consumer that continues at "last returned + 1" never misses or repeats a
 * record.  Inside REPEATABLE READ the snapshot is the transaction's, so
 * repeated calls do not see later commits.
 *
 * With wait_ms > 0 and nothing to return, log_read() sleeps on the
 * condition variable of the segment where the read stopped, which the
 * appending transactions broadcast at commit and abort (commit/precommit.c)
 * and rolls and drops when they end (partition/roll.c), and reads again
 * with a new snapshot each time it wakes, until a record is readable or wait_ms
 * has passed.  Query cancel, statement_timeout and postmaster death end the
 * wait (ConditionVariableTimedSleep checks for interrupts).  Standbys run no
 * commit callbacks, so there the wait re-checks every 10 ms.  Under
 * REPEATABLE READ or SERIALIZABLE the snapshot cannot advance, so log_read
 * does not wait.
 *
 * The offset is found by binary search over the segment's pages (no scan
 * from the start); rows go to a tuplestore, which spills to disk beyond
 * work_mem, so memory is bounded whatever max_records is.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "api/read.h"
#include "meta/logacl.h"
#include "meta/logcache.h"
#include "segment/cursor.h"
#include "segment/visibility.h"
#include "segment/writer.h"
#include "shmem.h"

#define STANDBY_POLL_MS 10

/*
 * Read records of one segment into the tuplestore.  Returns false if the
 * read stopped at a record not yet committed (the caller must not go on to
 * a later segment).
 */
static bool
read_segment(Relation rel, int partition, LogOffset from, int64 *remaining,
			 Snapshot snapshot, ReturnSetInfo *rsinfo, MemoryContext rowcxt)
{
	LogCursor	c;
	LogRecordHeader hdr;
	bool		complete = true;

	LogCursorInit(&c, rel, NULL);
	LogCursorSeekOffset(&c, from);
	while (*remaining > 0 && LogCursorPeek(&c, &hdr))
	{
		LogVisibility vis = LogRecordVisibility(c.buf, c.pos, &hdr, snapshot);

		if (vis == LOG_IN_PROGRESS)
		{
			LogCursorUnlock(&c);
			complete = false;
			break;
		}
		if (vis == LOG_VISIBLE)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);
			LogRecordData rec;
			Datum		values[Natts_log_record];
			bool		nulls[Natts_log_record];

			LogCursorReadRecord(&c, &hdr, &rec);
			LogCursorUnlock(&c);
			LogRecordToDatums(partition, &rec, values, nulls);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			(*remaining)--;
		}
		else
			LogCursorUnlock(&c);
		LogCursorAdvance(&c, &hdr);
	}
	LogCursorEnd(&c);
	return complete;
}

/* the next offset of a partition (its active segment's) */
static LogOffset
partition_next_offset(LogCacheEntry **log, int32 partition)
{
	Relation	rel = LogOpenSegment(log, partition, -1, AccessShareLock);
	LogOffset	next = LogSegmentNextOffset(rel);

	relation_close(rel, AccessShareLock);
	return next;
}

static void
out_of_range(LogCacheEntry *log, int32 partition, LogOffset from,
			 LogOffset first, LogOffset next)
{
	ereport(ERROR,
			(errcode(ERRCODE_LOGEXT_OFFSET_OUT_OF_RANGE),
			 errmsg("offset " INT64_FORMAT " is out of range for partition %d of log \"%s\"",
					from, partition, log->name),
			 errdetail("The partition holds offsets " INT64_FORMAT " to " INT64_FORMAT " (the next offset).",
					   first, next),
			 from < first ?
			 errhint("Records before offset " INT64_FORMAT " were removed by the log's retention.", first) : 0));
}

/*
 * Open the segment of a partition that holds from (the last whose base
 * offset is <= from).  from below the partition's
 * first offset (its segments removed by retention, perhaps while the cache
 * still listed them) is raised to the first offset if clamp, else an
 * out-of-range error.  Once opened the segment cannot be dropped, so the
 * first offset checked after the open holds for the read.
 */
static Relation
open_segment_for(LogCacheEntry **log, int32 partition, LogOffset *from,
				 bool clamp, int *segno)
{
	for (int attempt = 0;; attempt++)
	{
		LogPartitionInfo *pi = &(*log)->parts[partition];
		Relation	rel;
		int			i = 0;

		if (*from < pi->segments[0].base_offset)
		{
			if (!clamp)
			{
				/* (may re-read the entry: pi is not used after it) */
				LogOffset	next = partition_next_offset(log, partition);

				out_of_range(*log, partition, *from,
							 (*log)->parts[partition].segments[0].base_offset, next);
			}
			*from = pi->segments[0].base_offset;
		}
		while (i + 1 < pi->nsegments && pi->segments[i + 1].base_offset <= *from)
			i++;
		rel = LogOpenSegment(log, partition, i, AccessShareLock);
		pi = &(*log)->parts[partition];
		/* the entry may have been re-read on the way: check the new one */
		if (rel != NULL &&
			i < pi->nsegments && RelationGetRelid(rel) == pi->segments[i].relid &&
			pi->segments[0].base_offset <= *from &&
			pi->segments[i].base_offset <= *from &&
			(i + 1 >= pi->nsegments || pi->segments[i + 1].base_offset > *from))
		{
			*segno = i;
			return rel;
		}
		if (rel != NULL)
			relation_close(rel, AccessShareLock);
		if (attempt >= 100)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("log \"%s\" was dropped or changed concurrently",
							(*log)->name)));
		*log = LogCacheRefresh((*log)->name);
		LogCacheCheckPartition(*log, partition);
	}
}

/*
 * Read up to max_records of a partition from offset from into the
 * tuplestore; returns how many.  *stop_relid is set to the segment where the
 * read stopped: the one a waiting reader must sleep on.
 */
static int64
read_partition(LogCacheEntry **log, int32 partition, LogOffset from,
			   bool clamp, int64 max_records, Snapshot snapshot,
			   ReturnSetInfo *rsinfo, MemoryContext rowcxt, Oid *stop_relid)
{
	LogPartitionInfo *pi;
	int64		remaining = max_records;
	int			segno = 0;
	Relation	rel = open_segment_for(log, partition, &from, clamp, &segno);

	for (;;)
	{
		bool		complete;
		Oid			relid;
		Oid			successor;

		if (rel == NULL)
			break;
		relid = RelationGetRelid(rel);
		*stop_relid = relid;
		complete = read_segment(rel, partition, from, &remaining, snapshot,
								rsinfo, rowcxt);
		relation_close(rel, AccessShareLock);
		if (!complete || remaining == 0)
			break;
		segno++;
		pi = &(*log)->parts[partition];
		if (segno >= pi->nsegments)
		{
			/* rolled over since the cache was filled? */
			if (!(*log)->stale && !LogSlotSealed(relid, &successor))
				break;
			*log = LogCacheRefresh((*log)->name);
			LogCacheCheckPartition(*log, partition);
			pi = &(*log)->parts[partition];
			for (segno = 0; segno < pi->nsegments; segno++)
				if (pi->segments[segno].relid == relid)
					break;
			segno++;
			if (segno >= pi->nsegments)
				break;			/* the roll has not committed yet */
		}
		from = Max(from, pi->segments[segno].base_offset);
		relid = pi->segments[segno].relid;
		rel = LogOpenSegment(log, partition, segno, AccessShareLock);
		if (rel != NULL && RelationGetRelid(rel) != relid)
		{
			/*
			 * The entry was re-read on the way (retention dropped segments):
			 * the index names another segment now.  Stop here if something
			 * was read (the next call starts from where it ended), else find
			 * the segment of from again.
			 */
			relation_close(rel, AccessShareLock);
			rel = NULL;
			if (remaining == max_records)
				rel = open_segment_for(log, partition, &from, clamp, &segno);
		}
	}
	return max_records - remaining;
}

static int64
read_partitions(LogCacheEntry **log, int nparts, const int32 *parts,
				const LogOffset *froms, bool clamp, int64 max_records,
				Snapshot snapshot, ReturnSetInfo *rsinfo, MemoryContext rowcxt,
				Oid *stop_relid)
{
	int64		n = 0;

	for (int i = 0; i < nparts && n < max_records; i++)
	{
		Oid			stop = InvalidOid;

		n += read_partition(log, parts[i], froms[i], clamp, max_records - n,
							snapshot, rsinfo, rowcxt, &stop);
		if (i == 0)
			*stop_relid = stop;
	}
	return n;
}

/*
 * Read from several partitions, each from its own offset, up to max_records
 * in all; returns how many.  An offset below a partition's first offset is
 * raised to it if clamp (consumer groups, the log's view), else an error.
 */
int64
LogReadPartitions(LogCacheEntry **log, int nparts, const int32 *parts,
				  const LogOffset *froms, bool clamp, int64 max_records,
				  Snapshot snapshot, ReturnSetInfo *rsinfo, MemoryContext rowcxt)
{
	Oid			stop = InvalidOid;

	return read_partitions(log, nparts, parts, froms, clamp, max_records,
						   snapshot, rsinfo, rowcxt, &stop);
}

/*
 * Nothing was readable: wait up to wait_ms for a commit, re-reading with a
 * fresh snapshot after each wake-up.  Sleeps on the condition variable of
 * the segment where the read of the first partition stopped: the records it
 * waits for commit there (a transaction that wrote to a segment before it
 * was rolled over still commits into it), and a roll or drop of it
 * broadcasts it too when it commits.  With several partitions (or on a
 * standby, which runs no commit callbacks) it also re-checks every
 * STANDBY_POLL_MS.
 */
void
LogReadWait(LogCacheEntry **log, int nparts, const int32 *parts,
			const LogOffset *froms, bool clamp, int64 max_records,
			int32 wait_ms, ReturnSetInfo *rsinfo, MemoryContext rowcxt)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	Relation	rel;
	Oid			relid;
	Oid			successor;
	ConditionVariable *cv = NULL;

	if (nparts == 0 || wait_ms <= 0 || IsolationUsesXactSnapshot() ||
		IsInParallelMode())
		return;
	LogextRequirePreload();
	rel = LogOpenSegment(log, parts[0], -1, AccessShareLock);
	relid = RelationGetRelid(rel);
	relation_close(rel, AccessShareLock);

	LogWaitBegin(relid, froms[0]);
	PG_TRY();
	{
		for (;;)
		{
			Snapshot	snap;
			int64		n;
			long		timeout;

			/* prepare before reading, so that no broadcast is missed */
			if (cv != LogSegmentCV(relid))
			{
				cv = LogSegmentCV(relid);
				ConditionVariablePrepareToSleep(cv);
			}
			snap = RegisterSnapshot(GetLatestSnapshot());
			n = read_partitions(log, nparts, parts, froms, clamp, max_records,
								snap, rsinfo, rowcxt, &relid);
			UnregisterSnapshot(snap);
			if (n > 0)
				break;
			timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
			if (timeout <= 0)
				break;
			if (cv != LogSegmentCV(relid))
				continue;		/* moved to another segment: read again */

			/*
			 * A roll broadcasts at commit before its invalidation is sent: a
			 * read that stopped at the end of a sealed segment polls until
			 * the successor is known; one whose cache entry went stale since
			 * the read (the slot may even be gone) reads again at once.
			 */
			AcceptInvalidationMessages();
			if ((*log)->stale)
			{
				*log = LogCacheRefresh((*log)->name);
				if (!(*log)->stale)
					continue;
			}
			if (nparts > 1 || RecoveryInProgress() || (*log)->stale ||
				LogSlotSealed(relid, &successor))
				timeout = Min(timeout, STANDBY_POLL_MS);
			ConditionVariableTimedSleep(cv, timeout, PG_WAIT_EXTENSION);
		}
		ConditionVariableCancelSleep();
	}
	PG_FINALLY();
	{
		LogWaitEnd();
	}
	PG_END_TRY();
}

/* check the common arguments of log_read and log_read_group */
void
LogReadCheckArgs(int64 max_records, int32 wait_ms)
{
	if (max_records <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_records must be positive, not " INT64_FORMAT, max_records)));
	if (wait_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("wait_ms must not be negative, not %d", wait_ms)));
}

PG_FUNCTION_INFO_V1(log_read);
Datum
log_read(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogCacheEntry *log;
	int32		partition;
	LogOffset	from;
	int64		max_records;
	int32		wait_ms;
	MemoryContext rowcxt;

	static const char *const null_msgs[5] = {
		gettext_noop("log name must not be null"),
		gettext_noop("partition must not be null"),
		gettext_noop("from_offset must not be null"),
		gettext_noop("max_records must not be null"),
		gettext_noop("wait_ms must not be null")
	};

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg_internal("%s", _(null_msgs[i]))));
	partition = PG_GETARG_INT32(1);
	from = PG_GETARG_INT64(2);
	max_records = PG_GETARG_INT32(3);
	wait_ms = PG_GETARG_INT32(4);
	if (from < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset " INT64_FORMAT " is negative", from),
				 errhint("Offsets start at 0.")));
	LogReadCheckArgs(max_records, wait_ms);

	log = LogCacheLookupText(PG_GETARG_TEXT_PP(0));
	LogCheckAccess(log->name, ACL_SELECT);
	LogCacheCheckPartition(log, partition);
	{
		LogOffset	next = partition_next_offset(&log, partition);

		/* the tail (from = next) is valid: wait_ms waits there */
		if (from > next)
			out_of_range(log, partition, from,
						 log->parts[partition].segments[0].base_offset, next);
	}
	InitMaterializedSRF(fcinfo, 0);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "logext read row",
								   ALLOCSET_DEFAULT_SIZES);

	if (LogReadPartitions(&log, 1, &partition, &from, false, max_records,
						  GetActiveSnapshot(), rsinfo, rowcxt) == 0)
		LogReadWait(&log, 1, &partition, &from, false, max_records, wait_ms,
					rsinfo, rowcxt);
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

/*
 * log_records(log_name): every readable record of the log, partition by
 * partition, each from its first offset and stopping before its first
 * record not yet committed (what the log's view shows).
 */
PG_FUNCTION_INFO_V1(log_records);
Datum
log_records(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogCacheEntry *log = LogCacheLookupText(PG_GETARG_TEXT_PP(0));
	int32	   *parts;
	LogOffset  *froms;
	MemoryContext rowcxt;

	LogCheckAccess(log->name, ACL_SELECT);
	InitMaterializedSRF(fcinfo, 0);
	parts = palloc(sizeof(int32) * log->nparts);
	froms = palloc(sizeof(LogOffset) * log->nparts);
	for (int32 p = 0; p < log->nparts; p++)
	{
		parts[p] = p;
		froms[p] = log->parts[p].segments[0].base_offset;
	}
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "logext read row",
								   ALLOCSET_DEFAULT_SIZES);
	(void) LogReadPartitions(&log, log->nparts, parts, froms, true, PG_INT64_MAX,
							 GetActiveSnapshot(), rsinfo, rowcxt);
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(log_waiters);
Datum
log_waiters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogWaiterInfo *waiters;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = LogWaiters(&waiters);
	for (int i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false};

		values[0] = Int32GetDatum(waiters[i].pid);
		values[1] = ObjectIdGetDatum(waiters[i].relid);
		values[2] = Int64GetDatum(waiters[i].from_offset);
		values[3] = TimestampTzGetDatum(waiters[i].since);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * log_offset_for_time(log_name, partition, ts): the first offset of the
 * partition whose appended_at is at or after ts, or its next offset if
 * there is none (Kafka's offsetsForTimes).  The segments are searched by
 * the time of their first records, then one segment by blocks
 * (LogSegmentOffsetForTime): a few page reads however long the partition.
 */
PG_FUNCTION_INFO_V1(log_offset_for_time);
Datum
log_offset_for_time(PG_FUNCTION_ARGS)
{
	LogCacheEntry *log = LogCacheLookupText(PG_GETARG_TEXT_PP(0));
	int32		partition = PG_GETARG_INT32(1);
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(2);

	LogCheckAccess(log->name, ACL_SELECT);
	LogCacheCheckPartition(log, partition);
	for (int attempt = 0;; attempt++)
	{
		LogPartitionInfo *pi = &log->parts[partition];
		int			lo = 0;
		int			hi = pi->nsegments;
		Relation	rel;
		LogOffset	result;
		bool		gone = false;

		/* the first segment whose first record is at or after ts */
		while (lo < hi && !gone)
		{
			int			mid = lo + (hi - lo) / 2;
			TimestampTz first;

			rel = try_relation_open(pi->segments[mid].relid, AccessShareLock);
			if (rel == NULL)
				gone = true;
			else
			{
				if (!LogSegmentFirstTime(rel, &first) || first >= ts)
					hi = mid;
				else
					lo = mid + 1;
				relation_close(rel, AccessShareLock);
			}
		}
		if (!gone && lo == 0)
			PG_RETURN_INT64(pi->segments[0].base_offset);
		/* the answer is in the segment before it, or is its base offset */
		rel = gone ? NULL :
			try_relation_open(pi->segments[lo - 1].relid, AccessShareLock);
		if (rel != NULL)
		{
			result = LogSegmentOffsetForTime(rel, ts);
			relation_close(rel, AccessShareLock);
			PG_RETURN_INT64(result);
		}
		/* dropped by retention meanwhile: read the catalog again */
		if (attempt >= 100)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("log \"%s\" was dropped or changed concurrently", log->name)));
		log = LogCacheRefresh(log->name);
		LogCacheCheckPartition(log, partition);
	}
}
