/*-------------------------------------------------------------------------
 *
 * precommit.c
 *	  The commit path: records buffered by a transaction are written to
 *	  their partitions, with consecutive offsets, at XACT_EVENT_PRE_COMMIT.
 *
 * Offsets are therefore dense per partition and follow the order in which
 * transactions pass their pre-commit write (DESIGN.md "The commit path").
 * The write, per partition touched, in (log id, partition) order:
 *	1. before any LWLock: take the log lock (AccessShareLock; log_drop takes
 *	   it exclusively), open the segment with RowExclusiveLock, find its
 *	   shared slot; every heavyweight-lock wait happens here;
 *	2. take the partition LWLock; if the slot is new (first use since
 *	   start-up) rebuild next_offset from the segment's last page;
 *	3. copy records into pages: each page is staged outside the critical
 *	   section, then changed under an exclusive buffer lock, WAL-logged and
 *	   stamped in one critical section (STYLE.md rule 21);
 *	4. advance next_offset, note the write as in flight (monitoring), and
 *	   release the LWLock.
 * The WAL flush comes later in RecordTransactionCommit, after the LWLock is
 * released, so group commit still works.  ForceSyncCommit() makes that
 * flush happen even under synchronous_commit = off: offsets a reader has
 * seen must never be reused after a crash.
 *
 * Readers resolve a record's visibility from its xid (am/visibility.c), so
 * a transaction that fails after this write (a crash, a later pre-commit
 * step such as another extension's callback, NOTIFY or a serialization
 * failure) leaves records that are never visible: the only holes.
 *
 * At XACT_EVENT_COMMIT / ABORT only things that cannot fail happen:
 * condition-variable broadcasts, clearing the in-flight entry, and swapping
 * the positions that log_last_positions() reports.
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
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "am/segment.h"
#include "catalog/logcache.h"
#include "commit/pending.h"
#include "commit/precommit.h"
#include "consumer/offsets.h"
#include "shmem.h"
#include "wal/xlog.h"

/* a page being filled by the writer */
typedef struct PageWriter
{
	Relation	rel;
	LogPartSlot *slot;
	Buffer		buf;			/* pinned page, or InvalidBuffer */
	BlockNumber blkno;
	bool		init;			/* initialise the page at the next flush */
	uint32		lower;			/* pd_lower on the page */
	LogOffset	first_offset;	/* special-area values after the flush */
	uint32		cont_len;
	uint16		nrecords;
	uint32		staged;			/* bytes in stage, to go at lower */
	char		stage[BLCKSZ];
} PageWriter;

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
writer_flush(PageWriter *w)
{
	xl_logext_append xlrec;
	Page		page;
	XLogRecPtr	lsn;

	if (w->staged == 0 && !w->init)
		return;

	xlrec.first_offset = w->first_offset;
	xlrec.cont_len = w->cont_len;
	xlrec.at = (uint16) w->lower;
	xlrec.nrecords = w->nrecords;
	xlrec.init = w->init;

	LockBuffer(w->buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(w->buf);
	if (w->init ? !PageIsNew(page) : ((PageHeader) page)->pd_lower != w->lower)
		elog(ERROR, "log segment \"%s\" block %u changed under the partition lock",
			 RelationGetRelationName(w->rel), w->blkno);

	START_CRIT_SECTION();
	if (w->init)
		LogInitDataPage(page);
	memcpy((char *) page + w->lower, w->stage, w->staged);
	((PageHeader) page)->pd_lower = w->lower + w->staged;
	LogPageGetOpaque(page)->first_offset = w->first_offset;
	LogPageGetOpaque(page)->cont_len = w->cont_len;
	LogPageGetOpaque(page)->nrecords = w->nrecords;
	MarkBufferDirty(w->buf);
	lsn = LogXLogAppend(w->buf, &xlrec, w->stage, w->staged);
	PageSetLSN(page, lsn);
	END_CRIT_SECTION();

	LockBuffer(w->buf, BUFFER_LOCK_UNLOCK);
	w->lower += w->staged;
	w->staged = 0;
	w->init = false;
}

/*
 * Move to a fresh page: the first new page after the data (left by a crash)
 * or a new block.  Only the holder of the partition lock extends a segment.
 */
static void
writer_new_page(PageWriter *w)
{
	BlockNumber blkno = w->slot->next_fresh_blkno;

	writer_flush(w);
	if (BufferIsValid(w->buf))
		ReleaseBuffer(w->buf);

	if (blkno < RelationGetNumberOfBlocks(w->rel))
		w->buf = ReadBuffer(w->rel, blkno);
	else
	{
		LockRelationForExtension(w->rel, ExclusiveLock);
		w->buf = ReadBuffer(w->rel, P_NEW);
		UnlockRelationForExtension(w->rel, ExclusiveLock);
		if (BufferGetBlockNumber(w->buf) != blkno)
			elog(ERROR, "log segment \"%s\" was extended to block %u, expected %u",
				 RelationGetRelationName(w->rel), BufferGetBlockNumber(w->buf), blkno);
	}
	w->blkno = blkno;
	w->slot->next_fresh_blkno = blkno + 1;
	w->init = true;
	w->lower = LOG_PAGE_DATA_START;
	w->first_offset = 0;
	w->cont_len = 0;
	w->nrecords = 0;
	w->staged = 0;
}

static void
writer_begin(PageWriter *w, Relation rel, LogPartSlot *slot)
{
	w->rel = rel;
	w->slot = slot;
	w->buf = InvalidBuffer;
	w->staged = 0;
	w->init = false;
	if (slot->tail_blkno == InvalidBlockNumber)
		return;					/* the first record starts a fresh page */

	w->blkno = slot->tail_blkno;
	w->buf = ReadBuffer(rel, w->blkno);
	LockBuffer(w->buf, BUFFER_LOCK_SHARE);
	{
		Page		page = BufferGetPage(w->buf);
		LogPageOpaque opaque = LogPageGetOpaque(page);

		LogCheckDataPage(rel, w->blkno, page);
		w->lower = ((PageHeader) page)->pd_lower;
		w->first_offset = opaque->first_offset;
		w->cont_len = opaque->cont_len;
		w->nrecords = opaque->nrecords;
	}
	LockBuffer(w->buf, BUFFER_LOCK_UNLOCK);
}

static inline uint32
writer_free(PageWriter *w)
{
	return LOG_PAGE_DATA_END - (w->lower + w->staged);
}

/* copy one record (header given, payload still in the pending stream) */
static void
writer_append(PageWriter *w, LogRecordHeader *hdr)
{
	uint32		remaining = hdr->length - LOG_REC_HEADER_SIZE;
	uint32		n;
	uint32		pad;

	if (!BufferIsValid(w->buf) || writer_free(w) < LOG_REC_HEADER_SIZE)
		writer_new_page(w);
	if (w->nrecords == 0)
		w->first_offset = hdr->offset;
	w->nrecords++;
	memcpy(w->stage + w->staged, hdr, LOG_REC_HEADER_SIZE);
	w->staged += LOG_REC_HEADER_SIZE;

	n = Min(remaining, writer_free(w));
	LogPendingScanRead(w->stage + w->staged, n);
	w->staged += n;
	remaining -= n;

	while (remaining > 0)
	{
		writer_new_page(w);
		n = Min(remaining, LOG_PAGE_CAPACITY);
		w->first_offset = hdr->offset;
		w->cont_len = n;
		LogPendingScanRead(w->stage, n);
		w->staged = n;
		remaining -= n;
	}

	pad = LogRecordAlign(w->lower + w->staged) - (w->lower + w->staged);
	memset(w->stage + w->staged, 0, pad);
	w->staged += pad;
}

static void
slot_load(LogPartSlot *slot, Relation rel)
{
	LogOffset	next;
	BlockNumber data_end;

	LogSegmentEnd(rel, &next, &data_end);
	pg_atomic_write_u64(&slot->next_offset, (uint64) next);
	slot->tail_blkno = InvalidBlockNumber;
	slot->next_fresh_blkno = data_end;
	slot->initialized = true;
	elog(DEBUG1, "logext: segment \"%s\" continues at offset " INT64_FORMAT " in block %u",
		 RelationGetRelationName(rel), next, data_end);
}

/*
 * Write the records of target index t; returns the first offset given.
 * Called with no LWLock held; takes and releases the partition lock.
 */
static LogOffset
write_target(int t, LogPendingTarget *target, Relation rel,
			 LogPartSlot *slot, TransactionId xid, TimestampTz now)
{
	PageWriter *w = palloc(sizeof(PageWriter));
	LogOffset	first;
	LogOffset	next;
	LogRecordHeader hdr;
	int			entry_target;

	LWLockAcquire(&slot->lock, LW_EXCLUSIVE);
	if (!slot->initialized)
		slot_load(slot, rel);
	first = next = (LogOffset) pg_atomic_read_u64(&slot->next_offset);

	/*
	 * If the write fails half-way (I/O error, disk full), pages written so
	 * far stay, so the slot no longer matches the disk: mark it for a reload
	 * until the write completes.
	 */
	slot->initialized = false;

	writer_begin(w, rel, slot);
	LogPendingScanBegin();
	while (LogPendingScanNext(&entry_target, &hdr))
	{
		if (entry_target != t)
			continue;
		hdr.offset = next++;
		hdr.xid = xid;
		hdr.appended_at = now;
		hdr.flags &= (LOG_REC_HAS_KEY | LOG_REC_HAS_HEADERS);
		writer_append(w, &hdr);
	}
	writer_flush(w);

	slot->tail_blkno = w->blkno;
	pg_atomic_write_u64(&slot->next_offset, (uint64) next);
	slot->initialized = true;
	LogInflightAdd(slot, first);
	LWLockRelease(&slot->lock);

	if (BufferIsValid(w->buf))
		ReleaseBuffer(w->buf);
	pfree(w);
	Assert(next - first == target->count);
	return first;
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

static void
precommit_write(void)
{
	LogPendingTarget *targets;
	LogPendingTarget **order;
	Relation   *rels;
	LogPartSlot **slots;
	int			ntargets;
	int			n = 0;
	TransactionId xid;
	TimestampTz now;
	MemoryContext cxt;

	if (LogPendingIsEmpty())
	{
		LogPendingReset();
		return;
	}

	ntargets = LogPendingCount(&targets);
	order = palloc(sizeof(LogPendingTarget *) * ntargets);
	for (int i = 0; i < ntargets; i++)
		if (targets[i].count > 0)
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
		LogLockLog(order[i]->log_id, AccessShareLock);
		rels[i] = try_relation_open(order[i]->relid, RowExclusiveLock);
		if (rels[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("log \"%s\" was dropped before the appending transaction committed",
							order[i]->log_name)));
		slots[i] = LogSlotGet(order[i]->relid);
	}

	cxt = AllocSetContextCreate(TopMemoryContext, "logext written positions",
								ALLOCSET_SMALL_SIZES);
	written = MemoryContextAllocZero(cxt, sizeof(WrittenState));
	written->cxt = cxt;
	written->positions = MemoryContextAlloc(cxt, sizeof(LogPosition) * n);
	written->slots = MemoryContextAlloc(cxt, sizeof(LogPartSlot *) * n);

	LogInflightBegin(xid);
	now = GetCurrentTimestamp();
	for (int i = 0; i < n; i++)
	{
		LogPendingTarget *t = order[i];
		LogPosition *pos = &written->positions[i];
		LogOffset	first;

		first = write_target(t - targets, t, rels[i], slots[i], xid, now);
		written->slots[i] = slots[i];
		pos->log_name = MemoryContextStrdup(cxt, t->log_name);
		pos->partition = t->partition;
		pos->first_offset = first;
		pos->last_offset = first + t->count - 1;
		written->npositions = i + 1;
		relation_close(rels[i], NoLock);
	}

	/* offsets readers may see must survive a crash */
	ForceSyncCommit();
	LogPendingReset();

	if (logext_debug_precommit_sleep_ms > 0)
		pg_usleep(logext_debug_precommit_sleep_ms * 1000L);
}

/* XACT_EVENT_COMMIT / ABORT: must not fail */
static void
end_of_xact(bool committed)
{
	if (written != NULL)
	{
		for (int i = 0; i < written->npositions; i++)
			ConditionVariableBroadcast(&written->slots[i]->cv);
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
	LogPendingForget();
	LogOffsetsEndXact();
}

static void
log_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			precommit_write();
			LogOffsetsPreCommit();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (!LogPendingIsEmpty())
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot prepare a transaction that appended to a log"),
						 errdetail("Log records get their offsets at commit; two-phase commit is not supported yet."),
						 errhint("Commit the appends in a transaction of their own.")));
			break;
		case XACT_EVENT_COMMIT:
			end_of_xact(true);
			break;
		case XACT_EVENT_ABORT:
			end_of_xact(false);
			break;
		default:
			break;
	}
}

static void
log_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	switch (event)
	{
		case SUBXACT_EVENT_ABORT_SUB:
			LogPendingSubAbort(mySubid);
			LogOffsetsSubAbort(mySubid);
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
			LogPendingSubCommit(mySubid, parentSubid);
			LogOffsetsSubCommit(mySubid, parentSubid);
			break;
		default:
			break;
	}
}

void
LogCommitInit(void)
{
	RegisterXactCallback(log_xact_callback, NULL);
	RegisterSubXactCallback(log_subxact_callback, NULL);
}

/* positions written by this session's last committed appending xact */
int
LogLastPositions(LogPosition **positions)
{
	*positions = last_positions;
	return last_npositions;
}
