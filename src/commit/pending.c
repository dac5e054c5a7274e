/*-------------------------------------------------------------------------
 *
 * pending.c
 *	  The per-transaction buffer of appended records.
 *
 * log_append() does not touch shared storage: it adds the record to this
 * buffer, and the pre-commit callback writes the buffer to the partitions
 * (commit/precommit.c).  The buffer is one byte stream of entries
 *		int32 target | LogRecordHeader (28 bytes) | key | headers | value
 * kept in memory up to logext.append_buffer_size and then spilled, whole,
 * to a temporary BufFile, so a transaction of any size uses bounded memory
 * (a single record is at most one datum, already in memory).
 *
 * The first append to a partition takes the log lock and a lock on the
 * partition's active segment and reserves its shared slot (reserve_target),
 * held until the transaction ends: log_drop() waits for the transaction,
 * and a full slot table fails the append rather than the commit.
 *
 * Savepoints: entries of a subtransaction always form a suffix of the
 * stream, so rolling one back truncates the stream to its length when the
 * subtransaction first appended.  A stack of (subxact id, length) marks is
 * pushed lazily by the first append in a subtransaction; at subcommit a
 * mark passes to the parent, at subabort the stream is cut back to it.
 * The BufFile is created under TopTransactionResourceOwner, so a
 * subtransaction abort does not close it.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/commit/pending.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "commands/async.h"
#include "miscadmin.h"
#include "storage/buffile.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "commit/pending.h"
#include "shmem.h"

static int	logext_append_buffer_kb = 8192;
static bool	logext_notify = false;

typedef struct SubxactMark
{
	SubTransactionId subid;
	int64		length;
} SubxactMark;

typedef struct PendingState
{
	MemoryContext cxt;			/* child of TopTransactionContext */
	StringInfoData mem;			/* the stream while in memory */
	BufFile    *file;			/* the stream once spilled */
	int64		length;			/* logical length of the stream */
	LogPendingTarget *targets;
	int			ntargets;
	int			maxtargets;
	SubxactMark *marks;
	int			nmarks;
	int			maxmarks;
	bool		need_seek;		/* file position is not at length */
	/* scan state */
	int64		scan_pos;		/* stream position of the scan */
	int64		scan_entry_end; /* end of the current entry */
} PendingState;

static PendingState *pending = NULL;

static void
ensure_state(void)
{
	MemoryContext cxt;
	MemoryContext old;

	if (pending != NULL)
		return;
	cxt = AllocSetContextCreate(TopTransactionContext, "logext pending appends",
								ALLOCSET_DEFAULT_SIZES);
	pending = MemoryContextAllocZero(cxt, sizeof(PendingState));
	pending->cxt = cxt;
	old = MemoryContextSwitchTo(cxt);
	initStringInfo(&pending->mem);
	pending->maxtargets = 8;
	pending->targets = palloc(sizeof(LogPendingTarget) * pending->maxtargets);
	pending->maxmarks = 4;
	pending->marks = palloc(sizeof(SubxactMark) * pending->maxmarks);
	MemoryContextSwitchTo(old);
}

static bool
log_locked(int32 log_id)
{
	for (int i = 0; i < pending->ntargets; i++)
		if (pending->targets[i].log_id == log_id)
			return true;
	return false;
}

/*
 * Before the first append to a partition in this transaction: take the log
 * lock (first append to the log), open the partition's active segment with
 * RowExclusiveLock and make sure its shared slot exists, all held until the
 * transaction ends and owned by the top transaction (so that a rolled-back
 * savepoint does not release them while the target stays).  So log_drop()
 * waits for appenders instead of making their commits fail, the slot of a
 * segment an open transaction appended to is never freed
 * (shmem.c, free_sealed_slots), and a full slot table fails this append,
 * not the commit.
 */
static void
reserve_target(LogCacheEntry *log, int partition)
{
	ResourceOwner old_owner = CurrentResourceOwner;
	bool		lock_log = !log_locked(log->log_id);

	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		LogCacheEntry *entry = log;
		Relation	rel;

		if (lock_log)
			LogLockLog(log->log_id, AccessShareLock);
		rel = LogOpenSegment(&entry, partition, -1, RowExclusiveLock);
		if (entry->log_id != log->log_id)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("log \"%s\" was dropped concurrently", log->name)));
		(void) LogSlotGet(RelationGetRelid(rel));
		relation_close(rel, NoLock);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = old_owner;
	}
	PG_END_TRY();
}

static int
find_target(LogCacheEntry *log, int partition)
{
	LogPendingTarget *t;

	for (int i = pending->ntargets - 1; i >= 0; i--)
	{
		t = &pending->targets[i];
		if (t->log_id == log->log_id && t->partition == partition)
			return i;
	}
	reserve_target(log, partition);
	if (pending->ntargets == pending->maxtargets)
	{
		pending->maxtargets *= 2;
		pending->targets = repalloc(pending->targets,
									sizeof(LogPendingTarget) * pending->maxtargets);
	}
	t = &pending->targets[pending->ntargets];
	t->log_id = log->log_id;
	t->partition = partition;
	t->relid = log->parts[partition].segments[log->parts[partition].nsegments - 1].relid;
	t->log_name = MemoryContextStrdup(pending->cxt, log->name);
	t->count = 0;
	return pending->ntargets++;
}

static void
push_mark(void)
{
	SubTransactionId subid = GetCurrentSubTransactionId();

	if (subid == TopSubTransactionId)
		return;
	if (pending->nmarks > 0 && pending->marks[pending->nmarks - 1].subid == subid)
		return;
	if (pending->nmarks == pending->maxmarks)
	{
		pending->maxmarks *= 2;
		pending->marks = repalloc(pending->marks,
								  sizeof(SubxactMark) * pending->maxmarks);
	}
	pending->marks[pending->nmarks].subid = subid;
	pending->marks[pending->nmarks].length = pending->length;
	pending->nmarks++;
}

static void
spill(void)
{
	ResourceOwner old_owner = CurrentResourceOwner;
	MemoryContext old_cxt = MemoryContextSwitchTo(pending->cxt);

	CurrentResourceOwner = TopTransactionResourceOwner;
	pending->file = BufFileCreateTemp(false);
	CurrentResourceOwner = old_owner;
	MemoryContextSwitchTo(old_cxt);

	BufFileWrite(pending->file, pending->mem.data, pending->length);
	pfree(pending->mem.data);
	pending->mem.data = NULL;
	elog(DEBUG1, "logext: spilled " INT64_FORMAT " bytes of pending appends to a temporary file",
		 pending->length);
}

static void
stream_write(const void *data, uint32 len)
{
	if (len == 0)
		return;
	if (pending->file == NULL &&
		pending->length + len > (int64) logext_append_buffer_kb * 1024)
		spill();
	if (pending->file != NULL)
	{
		if (pending->need_seek)
		{
			if (BufFileSeek(pending->file, 0, pending->length, SEEK_SET) != 0)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not seek in the temporary file of pending appends: %m")));
			pending->need_seek = false;
		}
		BufFileWrite(pending->file, (void *) data, len);
	}
	else
		appendBinaryStringInfo(&pending->mem, data, len);
	pending->length += len;
}

/*
 * Add a record.  key_len < 0 means no key.
 */
void
LogPendingAppend(LogCacheEntry *log, int partition, const char *key,
				 int key_len, Jsonb *headers, const char *value,
				 uint32 value_len)
{
	LogRecordHeader hdr;
	int32		target;
	uint64		length;
	uint32		headers_len = headers ? VARSIZE(headers) : 0;

	LogCacheCheckPartition(log, partition);
	if (key_len > LOGEXT_MAX_KEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("log record key is too long"),
				 errdetail("The key has %d bytes; at most %d are allowed.",
						   key_len, LOGEXT_MAX_KEY_LEN)));
	length = (uint64) Max(key_len, 0) + headers_len + value_len;
	if (length > LOGEXT_MAX_RECORD_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("log record is too large"),
				 errdetail("The key, headers and value of the record take " UINT64_FORMAT " bytes; at most %u are allowed.",
						   length, (uint32) LOGEXT_MAX_RECORD_BYTES),
				 errhint("A record must fit in one row of log_read(), which is limited to 1 GB.")));
	length += LOG_REC_HEADER_SIZE;

	ensure_state();
	push_mark();
	target = find_target(log, partition);

	memset(&hdr, 0, sizeof(hdr));
	hdr.length = (uint32) length;
	hdr.key_len = Max(key_len, 0);
	hdr.flags = (key_len >= 0 ? LOG_REC_HAS_KEY : 0) |
		(headers ? LOG_REC_HAS_HEADERS : 0);

	stream_write(&target, sizeof(int32));
	stream_write(&hdr, LOG_REC_HEADER_SIZE);
	if (key_len > 0)
		stream_write(key, key_len);
	if (headers)
		stream_write(headers, headers_len);
	stream_write(value, value_len);
}

bool
LogPendingIsEmpty(void)
{
	return pending == NULL || pending->length == 0;
}

/*
 * Count the records per target (targets whose records were all rolled back
 * get 0) and return the target array.  With a single target the count is
 * not needed (-1: some) and the stream is not read.
 */
int
LogPendingCount(LogPendingTarget **targets)
{
	int			target;
	LogRecordHeader hdr;

	if (pending == NULL)
		return 0;
	*targets = pending->targets;
	if (pending->ntargets == 1)
	{
		/* the stream is not empty (checked by the caller): no need to scan */
		pending->targets[0].count = -1;
		return 1;
	}
	for (int i = 0; i < pending->ntargets; i++)
		pending->targets[i].count = 0;
	LogPendingScanBegin();
	while (LogPendingScanNext(&target, &hdr))
		pending->targets[target].count++;
	*targets = pending->targets;
	return pending->ntargets;
}

void
LogPendingScanBegin(void)
{
	pending->scan_pos = 0;
	pending->scan_entry_end = 0;
	pending->need_seek = true;	/* writes after a scan go to the end */
	if (pending->file != NULL && BufFileSeek(pending->file, 0, 0, SEEK_SET) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rewind the temporary file of pending appends: %m")));
}

static void
stream_read(char *dst, uint32 len)
{
	Assert(pending->scan_pos + len <= pending->length);
	if (pending->file != NULL)
	{
		size_t		n = BufFileRead(pending->file, dst, len);

		if (n != len)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read the temporary file of pending appends: read only %zu of %u bytes",
							n, len)));
	}
	else
		memcpy(dst, pending->mem.data + pending->scan_pos, len);
	pending->scan_pos += len;
}

/*
 * Next entry: its target index and record header.  The payload
 * (hdr->length - LOG_REC_HEADER_SIZE bytes) must then be consumed with
 * LogPendingScanRead, or is skipped by the next call.
 */
bool
LogPendingScanNext(int *target, LogRecordHeader *hdr)
{
	int32		t;

	if (pending->scan_pos < pending->scan_entry_end)
	{
		/* skip the unread payload */
		if (pending->file != NULL &&
			BufFileSeek(pending->file, 0, pending->scan_entry_end, SEEK_SET) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not seek in the temporary file of pending appends: %m")));
		pending->scan_pos = pending->scan_entry_end;
	}
	if (pending->scan_pos >= pending->length)
		return false;
	stream_read((char *) &t, sizeof(int32));
	stream_read((char *) hdr, LOG_REC_HEADER_SIZE);
	*target = t;
	pending->scan_entry_end = pending->scan_pos + hdr->length - LOG_REC_HEADER_SIZE;
	return true;
}

void
LogPendingScanRead(char *dst, uint32 len)
{
	Assert(pending->scan_pos + len <= pending->scan_entry_end);
	stream_read(dst, len);
}

/* ROLLBACK TO SAVEPOINT / subtransaction abort */
void
LogPendingSubAbort(SubTransactionId subid)
{
	int			i;

	if (pending == NULL)
		return;
	for (i = 0; i < pending->nmarks; i++)
		if (pending->marks[i].subid >= subid)
			break;
	if (i == pending->nmarks)
		return;
	pending->length = pending->marks[i].length;
	pending->nmarks = i;
	/* no I/O in an abort callback: the next write seeks */
	if (pending->file != NULL)
		pending->need_seek = true;
	else
		pending->mem.len = (int) pending->length;
}

/* subtransaction commit: its records now belong to the parent */
void
LogPendingSubCommit(SubTransactionId subid, SubTransactionId parent)
{
	SubxactMark *top;

	if (pending == NULL || pending->nmarks == 0)
		return;
	top = &pending->marks[pending->nmarks - 1];
	if (top->subid != subid)
		return;
	if (parent == TopSubTransactionId ||
		(pending->nmarks > 1 && pending->marks[pending->nmarks - 2].subid == parent))
		pending->nmarks--;
	else
		top->subid = parent;
}

/*
 * Forget everything (end of the pre-commit write, or abort).  Memory goes
 * with TopTransactionContext; the file is closed here so that a commit does
 * not report it as leaked.
 */
void
LogPendingReset(void)
{
	if (pending == NULL)
		return;
	if (pending->file != NULL)
		BufFileClose(pending->file);
	MemoryContextDelete(pending->cxt);
	pending = NULL;
}

/*
 * At abort: drop the state without touching the file, which the resource
 * owner closes and removes; the memory goes with TopTransactionContext.
 */
void
LogPendingForget(void)
{
	pending = NULL;
}

/*
 * Refuse to buffer appends where they could never be written: read-only
 * transactions, recovery, parallel workers.  Nothing checks again at commit.
 */
void
LogPendingCheckCanAppend(const char *what)
{
	LogextRequirePreload();
	PreventCommandIfReadOnly(what);
	PreventCommandDuringRecovery(what);
	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot append to a log during a parallel operation")));
}

/*
 * With logext.notify on, queue NOTIFY "logext.<log name>" (payload empty;
 * channel "logext" with the log name as payload when that would exceed
 * NAMEDATALEN).  PostgreSQL folds identical notifications of a transaction
 * into one and delivers them at commit.  It must be queued before commit
 * starts: a NOTIFY queued at pre-commit or later is lost.
 */
void
LogPendingNotify(LogCacheEntry *log)
{
	char		channel[NAMEDATALEN];

	if (!logext_notify)
		return;
	if (snprintf(channel, sizeof(channel), "logext.%s", log->name) < NAMEDATALEN)
		Async_Notify(channel, NULL);
	else
		Async_Notify("logext", log->name);
}

/* logext.append_buffer_size and logext.notify */
void
LogPendingDefineGucs(void)
{
	DefineCustomIntVariable("logext.append_buffer_size",
							"Memory a transaction uses for its pending appends before spilling them to a temporary file.",
							NULL,
							&logext_append_buffer_kb,
							8192, 64, 512 * 1024,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("logext.notify",
							 "Send a NOTIFY on channel \"logext.<log name>\" when a transaction that appended to the log commits.",
							 "NOTIFY serialises committing transactions on a database-wide lock, so it is off by default.",
							 &logext_notify,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
}
