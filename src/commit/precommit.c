/*-------------------------------------------------------------------------
 *
 * precommit.c
 *	  The commit path: records buffered by a transaction are written to
 *	  their partitions, with consecutive offsets, at XACT_EVENT_PRE_COMMIT.
 *
 * Offsets are therefore dense per partition and follow the order in which
 * transactions pass their pre-commit write (docs/design.md, "Commit path").
 * The write, per partition touched, in (log id, partition) order:
 *	1. before any LWLock: open the partition's active segment with
 *	   RowExclusiveLock, as the log cache knows it once that lock is granted
 *	   (open_target), and find its shared slot; every heavyweight-lock wait
 *	   happens here (the log lock and a segment lock are already held since
 *	   the first append, commit/pending.c);
 *	2. take the partition LWLock; if the slot is new (first use since
 *	   start-up) rebuild next_offset from the segment's last page;
 *	3. copy records into pages (segment/writer.c);
 *	4. advance next_offset, note the write as in flight (monitoring), and
 *	   release the LWLock.
 * XXX: each partition's write re-reads the transaction's pending stream
 * (from the spill file if it grew past logext.append_buffer_size) while
 * holding the partition LWLock, so a transaction with a large spilled
 * buffer spread over many partitions holds each lock for a full read.
 * Splitting the stream per partition before locking would fix that.
 *
 * The WAL flush comes later in RecordTransactionCommit, after the LWLock is
 * released, so group commit still works.  ForceSyncCommit() makes that
 * flush happen even under synchronous_commit = off: offsets a reader has
 * seen must never be reused after a crash.
 *
 * Readers resolve a record's visibility from its xid (segment/visibility.c), so
 * a transaction that fails after this write (a crash, a later pre-commit
 * step such as another extension's callback, NOTIFY or a serialization
 * failure) leaves records that are never visible: the only holes.
 *
 * src/eoxact.c calls this file at pre-commit and at the end of the
 * transaction.  At XACT_EVENT_COMMIT / ABORT only things that cannot fail
 * happen: condition-variable broadcasts, clearing the in-flight entry, and
 * swapping the positions that log_last_positions() reports.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/commit/precommit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "commit/pending.h"
#include "commit/precommit.h"
#include "meta/logcache.h"
#include "segment/page.h"
#include "segment/writer.h"
#include "shmem.h"

static int	logext_debug_precommit_sleep_ms = 0;

/* what the current transaction wrote at pre-commit */
typedef struct WrittenState
{
	MemoryContext cxt;
	LogPosition *positions;
	int			npositions;
	LogPartSlot **slots;
} WrittenState;

static WrittenState *written = NULL;	/* this transaction's */
static MemoryContext last_cxt = NULL;	/* holds the last commit's positions */
static LogPosition *last_positions = NULL;
static int	last_npositions = 0;

static void
pending_read(void *arg, char *dst, uint32 len)
{
	LogPendingScanRead(dst, len);
}

/*
 * Write the records of target index t; returns the first offset given.
 * Called with no LWLock held; takes and releases the partition lock.  If
 * the segment was rolled over, writes nothing and sets *successor.
 */
static LogOffset
write_target(int t, LogPendingTarget *target, Relation rel,
			 LogPartSlot *slot, TransactionId xid, Oid *successor,
			 LogOffset *last)
{
	LogWriter  *w = palloc(sizeof(LogWriter));
	LogOffset	first;
	LogOffset	next;
	LogRecordHeader hdr;
	int			entry_target;
	TimestampTz now;

	LWLockAcquire(&slot->lock, LW_EXCLUSIVE);
	if (slot->sealed)
	{
		/* rolled over: the caller moves to the successor */
		*successor = slot->successor;
		LWLockRelease(&slot->lock);
		pfree(w);
		return InvalidLogOffset;
	}
	*successor = InvalidOid;

	/* one timestamp per transaction and partition, never decreasing */
	now = LogSlotStamp(slot, GetCurrentTimestamp());
	first = next = LogWriterBegin(w, rel, slot, pending_read, NULL);
	LogPendingScanBegin();
	while (LogPendingScanNext(&entry_target, &hdr))
	{
		if (entry_target != t)
			continue;
		hdr.offset = next++;
		hdr.xid = xid;
		hdr.appended_at = now;
		hdr.flags &= (LOG_REC_HAS_KEY | LOG_REC_HAS_HEADERS);
		LogWriterAppend(w, &hdr);
	}
	LogWriterEnd(w, next);
	LogInflightAdd(slot, first);
	LWLockRelease(&slot->lock);

	pfree(w);
	Assert(target->count < 0 || next - first == target->count);
	*last = next - 1;
	return first;
}

/*
 * Open the segment a target writes to: the partition's active segment
 * according to the log cache, checked again after its lock was taken.  The
 * log lock is held since the first append (commit/pending.c), so the log
 * still exists; but the partition may have been rolled over since the
 * record was appended.  Taking the relation lock processes invalidations,
 * so if the entry is still current afterwards, every roll that committed
 * before the lock was granted is known here; a roll still in progress has
 * sealed the slot, which write_target sees.  (That is what allows
 * shmem.c to free the slots of rolled-over segments.)
 */
static Relation
open_target(LogPendingTarget *t)
{
	LogCacheEntry *log;
	Relation	rel;

	LogLockLog(t->log_id, AccessShareLock);
	log = LogCacheLookup(t->log_name);
	if (log->log_id == t->log_id && t->partition < log->nparts)
	{
		rel = LogOpenSegment(&log, t->partition, -1, RowExclusiveLock);
		if (log->log_id == t->log_id)
		{
			t->relid = RelationGetRelid(rel);
			return rel;
		}
		relation_close(rel, RowExclusiveLock);
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("log \"%s\" was dropped before the appending transaction committed",
					t->log_name)));
	return NULL;				/* keep the compiler quiet */
}

/*
 * The segment was rolled over: wait for the rolling transaction to end (its
 * lock on the successor), then continue in the partition's active segment
 * as open_target finds it, which is the successor if the roll committed (or
 * a later one, if it was rolled again meanwhile), or the old segment if the
 * roll aborted.  The successor named by the slot is only waited for, never
 * trusted: by the time the lock is granted it may be sealed too, and its
 * slot freed.  log_roll() refuses to run inside a transaction block, so the
 * wait is short; still, records already written to other partitions of this
 * transaction wait with it.
 */
static void
follow_roll(LogPendingTarget *t, Relation *rel, LogPartSlot **slot,
			Oid successor)
{
	Relation	next;

	CHECK_FOR_INTERRUPTS();
	LockRelationOid(successor, RowExclusiveLock);
	UnlockRelationOid(successor, RowExclusiveLock);
	next = open_target(t);
	relation_close(*rel, NoLock);
	*rel = next;
	*slot = LogSlotGet(RelationGetRelid(next));
}

static int
target_cmp(const void *a, const void *b)
{
	const LogPendingTarget *ta = *(LogPendingTarget *const *) a;
	const LogPendingTarget *tb = *(LogPendingTarget *const *) b;

	if (ta->log_id != tb->log_id)
		return ta->log_id < tb->log_id ? -1 : 1;
	if (ta->partition != tb->partition)
		return ta->partition < tb->partition ? -1 : 1;
	return 0;
}

void
LogPreCommitWrite(void)
{
	LogPendingTarget *targets;
	LogPendingTarget **order;
	Relation   *rels;
	LogPartSlot **slots;
	int			ntargets;
	int			n = 0;
	TransactionId xid;
	MemoryContext cxt;

	if (LogPendingIsEmpty())
	{
		LogPendingReset();
		return;
	}

	ntargets = LogPendingCount(&targets);
	order = palloc(sizeof(LogPendingTarget *) * ntargets);
	for (int i = 0; i < ntargets; i++)
		if (targets[i].count != 0)
			order[n++] = &targets[i];
	if (n == 0)
	{
		LogPendingReset();
		return;
	}
	qsort(order, n, sizeof(LogPendingTarget *), target_cmp);

	/* everything that can wait for a heavyweight lock, before any LWLock */
	xid = GetTopTransactionId();
	rels = palloc(sizeof(Relation) * n);
	slots = palloc(sizeof(LogPartSlot *) * n);
	for (int i = 0; i < n; i++)
	{
		rels[i] = open_target(order[i]);
		slots[i] = LogSlotGet(RelationGetRelid(rels[i]));
	}

	cxt = AllocSetContextCreate(TopMemoryContext, "logext written positions",
								ALLOCSET_SMALL_SIZES);
	written = MemoryContextAllocZero(cxt, sizeof(WrittenState));
	written->cxt = cxt;
	written->positions = MemoryContextAlloc(cxt, sizeof(LogPosition) * n);
	written->slots = MemoryContextAlloc(cxt, sizeof(LogPartSlot *) * n);

	LogInflightBegin(xid);
	for (int i = 0; i < n; i++)
	{
		LogPendingTarget *t = order[i];
		LogPosition *pos = &written->positions[i];
		LogOffset	first;
		LogOffset	last;
		Oid			successor;

		while ((first = write_target(t - targets, t, rels[i], slots[i], xid,
									 &successor, &last)) == InvalidLogOffset)
			follow_roll(t, &rels[i], &slots[i], successor);
		written->slots[i] = slots[i];
		pos->log_name = MemoryContextStrdup(cxt, t->log_name);
		pos->partition = t->partition;
		pos->first_offset = first;
		pos->last_offset = last;
		written->npositions = i + 1;
		relation_close(rels[i], NoLock);
	}

	/* offsets readers may see must survive a crash */
	ForceSyncCommit();
	LogPendingReset();

	if (logext_debug_precommit_sleep_ms > 0)
		pg_usleep(logext_debug_precommit_sleep_ms * 1000L);
}

/*
 * End of the transaction (commit, abort, or prepare, where nothing of ours
 * is prepared): wake the readers of the partitions written and forget the
 * in-flight entries.  Must not fail.
 */
void
LogPreCommitEndXact(bool committed)
{
	if (written == NULL)
		return;
	for (int i = 0; i < written->npositions; i++)
		ConditionVariableBroadcast(LogSlotCV(written->slots[i]));
	LogInflightEnd();
	if (committed)
	{
		if (last_cxt != NULL)
			MemoryContextDelete(last_cxt);
		last_cxt = written->cxt;
		last_positions = written->positions;
		last_npositions = written->npositions;
	}
	else
		MemoryContextDelete(written->cxt);
	written = NULL;
}

/* positions written by this session's last committed appending xact */
int
LogLastPositions(LogPosition **positions)
{
	*positions = last_positions;
	return last_npositions;
}

/* logext.debug_precommit_sleep_ms (tests) */
void
LogPreCommitDefineGucs(void)
{
	DefineCustomIntVariable("logext.debug_precommit_sleep_ms",
							"Sleep this long after the pre-commit write, before commit (testing only).",
							NULL,
							&logext_debug_precommit_sleep_ms,
							0, 0, 600000,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}
