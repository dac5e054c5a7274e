/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory of logext: the partition slot table and the per-backend
 *	  in-flight table.
 *
 * Partition slots live in a shared hash keyed by (database, segment
 * relation) that holds at most logext.max_partitions entries.  Slots are
 * created by writers and rolls (never by readers) and removed
 *	- when a dropped segment's transaction commits (partition/roll.c), or
 *	- when the table is full, for segments sealed by a committed roll that no
 *	  writer has open (free_sealed_slots): every writer that opens such a
 *	  segment later has processed the roll's invalidation first and goes to
 *	  the successor (commit/precommit.c, open_target), so it never needs the
 *	  old slot again.
 * Entries do not move, so pointers stay valid while the relation is locked
 * by a writer.  The mapping lock (a named tranche) protects the hash; each
 * slot embeds its own partition LWLock.  Condition variables are separate
 * (hashed by segment), so readers wait without a slot.
 *
 * Lock order: heavyweight locks, then a partition lock, then the mapping
 * lock (a leaf: nothing is acquired while holding it).
 * Shared memory is only a cache of what is on disk: after a restart a slot
 * is rebuilt from the segment's last page (commit/precommit.c).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "common/hashfn.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "shmem.h"

static int	logext_max_partitions = 8192;

/*
 * Condition variables that partitions' commits broadcast, shared by hash of
 * (database, segment).  They are not part of the slots because slots are
 * freed (log_drop, compaction) while a reader may still sleep on one; these
 * are never re-initialised.  A collision only causes a spurious wake-up.
 */
#define LOGEXT_NUM_CVS	1024

typedef struct LogSharedState
{
	ConditionVariable cvs[LOGEXT_NUM_CVS];
	int			part_tranche_id;
	int			ninflight;
	LogInflight inflight[FLEXIBLE_ARRAY_MEMBER];
} LogSharedState;

static LogSharedState *log_shared = NULL;
static HTAB *log_slots = NULL;
static LWLock *log_mapping_lock = NULL;

static int
inflight_slots(void)
{
	return MaxBackends + NUM_AUXILIARY_PROCS;
}

static Size
shared_state_size(void)
{
	return add_size(offsetof(LogSharedState, inflight),
					mul_size(inflight_slots(), sizeof(LogInflight)));
}

/* shmem_request_hook */
void
LogShmemRequest(void)
{
	RequestAddinShmemSpace(add_size(shared_state_size(),
									hash_estimate_size(logext_max_partitions,
													   sizeof(LogPartSlot))));
	RequestNamedLWLockTranche("logext_mapping", 1);
}

/* shmem_startup_hook */
void
LogShmemStartup(void)
{
	bool		found;
	HASHCTL		info;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	log_shared = ShmemInitStruct("logext shared state", shared_state_size(),
								 &found);
	if (!found)
	{
		for (int i = 0; i < LOGEXT_NUM_CVS; i++)
			ConditionVariableInit(&log_shared->cvs[i]);
		log_shared->part_tranche_id = LWLockNewTrancheId();
		log_shared->ninflight = inflight_slots();
		for (int i = 0; i < log_shared->ninflight; i++)
		{
			SpinLockInit(&log_shared->inflight[i].mutex);
			log_shared->inflight[i].pid = 0;
			log_shared->inflight[i].nparts = 0;
			log_shared->inflight[i].wait_pid = 0;
		}
	}
	info.keysize = sizeof(LogPartKey);
	info.entrysize = sizeof(LogPartSlot);
	log_slots = ShmemInitHash("logext partition slots",
							  logext_max_partitions, logext_max_partitions,
							  &info, HASH_ELEM | HASH_BLOBS);
	log_mapping_lock = &(GetNamedLWLockTranche("logext_mapping"))->lock;
	LWLockRelease(AddinShmemInitLock);

	LWLockRegisterTranche(log_shared->part_tranche_id, "logext_partition");
}

static void
make_key(LogPartKey *key, Oid relid)
{
	memset(key, 0, sizeof(LogPartKey));
	key->dbid = MyDatabaseId;
	key->relid = relid;
}

static void
slot_init(LogPartSlot *slot)
{
	slot->local = false;
	slot->loaded = false;
	pg_atomic_init_u64(&slot->next_offset, 0);
	slot->tail_blkno = InvalidBlockNumber;
	slot->next_fresh_blkno = InvalidBlockNumber;
	slot->last_appended_at = 0;
	slot->sealed = false;
	slot->successor = InvalidOid;
	slot->seal_xid = InvalidTransactionId;
	slot->seal_committed = false;
}

/*
 * Free the slots of segments sealed by a committed roll that no writer has
 * open; returns how many.  Called with no LWLock held.  (Whether the roll
 * committed is a flag set by its commit, not a clog lookup: the seal may be
 * older than clog's horizon.)  A writer holds
 * RowExclusiveLock on its segment from before it looks up the slot until its
 * transaction ends, so a ShareLock granted at once proves there is none;
 * writers that come later see the roll (see the header comment).
 */
static int
free_sealed_slots(void)
{
	HASH_SEQ_STATUS seq;
	LogPartSlot *slot;
	LogPartKey *cands;
	int			ncands = 0;
	int			nfreed = 0;

	cands = palloc(sizeof(LogPartKey) * logext_max_partitions);
	LWLockAcquire(log_mapping_lock, LW_SHARED);
	hash_seq_init(&seq, log_slots);
	while ((slot = hash_seq_search(&seq)) != NULL)
		if (slot->sealed && slot->seal_committed && ncands < logext_max_partitions)
			cands[ncands++] = slot->key;
	LWLockRelease(log_mapping_lock);

	for (int i = 0; i < ncands; i++)
	{
		LOCKTAG		tag;
		TransactionId xid = InvalidTransactionId;

		LWLockAcquire(log_mapping_lock, LW_SHARED);
		slot = hash_search(log_slots, &cands[i], HASH_FIND, NULL);
		if (slot != NULL && slot->sealed && slot->seal_committed)
			xid = slot->seal_xid;
		LWLockRelease(log_mapping_lock);
		if (!TransactionIdIsValid(xid))
			continue;

		SET_LOCKTAG_RELATION(tag, cands[i].dbid, cands[i].relid);
		/* our own writes or rolls do not conflict with our ShareLock */
		if (LockHeldByMe(&tag, RowExclusiveLock) ||
			LockHeldByMe(&tag, ShareLock) ||
			LockHeldByMe(&tag, AccessExclusiveLock))
			continue;
		if (LockAcquire(&tag, ShareLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
			continue;
		LWLockAcquire(log_mapping_lock, LW_EXCLUSIVE);
		slot = hash_search(log_slots, &cands[i], HASH_FIND, NULL);
		if (slot != NULL && slot->sealed && slot->seal_xid == xid)
		{
			hash_search(log_slots, &cands[i], HASH_REMOVE, NULL);
			nfreed++;
		}
		LWLockRelease(log_mapping_lock);
		LockRelease(&tag, ShareLock, false);
	}
	pfree(cands);
	return nfreed;
}

/*
 * The slot of a segment, created if needed.  The caller holds a lock on the
 * relation that conflicts with ShareLock (a writer's RowExclusiveLock or
 * more).  Errors (before anything is written) if the table is full.
 */
LogPartSlot *
LogSlotGet(Oid relid)
{
	LogPartKey	key;
	LogPartSlot *slot;
	bool		found;

	LogextRequirePreload();
	make_key(&key, relid);
	LWLockAcquire(log_mapping_lock, LW_SHARED);
	slot = hash_search(log_slots, &key, HASH_FIND, NULL);
	LWLockRelease(log_mapping_lock);
	if (slot)
		return slot;

	for (int attempt = 0;; attempt++)
	{
		LWLockAcquire(log_mapping_lock, LW_EXCLUSIVE);
		slot = hash_search(log_slots, &key, HASH_FIND, NULL);
		if (slot != NULL ||
			hash_get_num_entries(log_slots) < logext_max_partitions)
			break;
		LWLockRelease(log_mapping_lock);
		if (attempt > 0 || free_sealed_slots() == 0)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many log partitions in use"),
					 errdetail("All %d partition slots in shared memory are taken.",
							   logext_max_partitions),
					 errhint("Increase logext.max_partitions and restart the server.")));
	}
	if (slot == NULL)
	{
		slot = hash_search(log_slots, &key, HASH_ENTER_NULL, &found);
		if (slot == NULL)
		{
			LWLockRelease(log_mapping_lock);
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of shared memory for log partitions")));
		}
		LWLockInitialize(&slot->lock, log_shared->part_tranche_id);
		slot_init(slot);
	}
	LWLockRelease(log_mapping_lock);
	return slot;
}

/*
 * A backend-local slot for a writer that works alone on a segment nobody
 * else can see yet (a restore).  Its lock is never taken: holding an
 * LWLock for a whole batch of restored rows would hold off interrupts.
 */
void
LogSlotInitLocal(LogPartSlot *slot, Oid relid)
{
	memset(slot, 0, sizeof(LogPartSlot));
	make_key(&slot->key, relid);
	slot_init(slot);
	slot->local = true;
}

static ConditionVariable *
key_cv(const LogPartKey *key)
{
	uint32		h = hash_bytes((const unsigned char *) key, sizeof(LogPartKey));

	return &log_shared->cvs[h % LOGEXT_NUM_CVS];
}

/* the condition variable a partition's commits broadcast */
ConditionVariable *
LogSlotCV(LogPartSlot *slot)
{
	return key_cv(&slot->key);
}

/* the same, by segment: readers wait without a slot */
ConditionVariable *
LogSegmentCV(Oid relid)
{
	LogPartKey	key;

	LogextRequirePreload();
	make_key(&key, relid);
	return key_cv(&key);
}

/*
 * Mark a slot rolled over to successor by the current transaction.  The
 * caller holds the slot's partition lock exclusively.
 */
void
LogSlotSeal(LogPartSlot *slot, Oid successor)
{
	TransactionId xid = GetTopTransactionId();

	LWLockAcquire(log_mapping_lock, LW_EXCLUSIVE);
	slot->sealed = true;
	slot->successor = successor;
	slot->seal_xid = xid;
	slot->seal_committed = false;
	LWLockRelease(log_mapping_lock);
}

/* the roll that sealed slot has committed (its commit callback) */
void
LogSlotSealCommitted(LogPartSlot *slot)
{
	LWLockAcquire(log_mapping_lock, LW_EXCLUSIVE);
	slot->seal_committed = true;
	LWLockRelease(log_mapping_lock);
}

/* undo LogSlotSeal (the roll aborted); partition lock held exclusively */
void
LogSlotUnseal(LogPartSlot *slot)
{
	LWLockAcquire(log_mapping_lock, LW_EXCLUSIVE);
	slot->sealed = false;
	slot->successor = InvalidOid;
	slot->seal_xid = InvalidTransactionId;
	slot->seal_committed = false;
	LWLockRelease(log_mapping_lock);
}

/*
 * Has this segment been rolled over (since start-up)?  Sets *successor.
 * Readers use this; it takes no partition lock.
 */
bool
LogSlotSealed(Oid relid, Oid *successor)
{
	LogPartKey	key;
	LogPartSlot *slot;
	bool		sealed = false;

	if (log_slots == NULL)
		return false;
	make_key(&key, relid);
	LWLockAcquire(log_mapping_lock, LW_SHARED);
	slot = hash_search(log_slots, &key, HASH_FIND, NULL);
	if (slot != NULL && slot->sealed)
	{
		sealed = true;
		*successor = slot->successor;
	}
	LWLockRelease(log_mapping_lock);
	return sealed;
}

/* the slot of a segment if one exists */
LogPartSlot *
LogSlotFind(Oid relid)
{
	LogPartKey	key;
	LogPartSlot *slot;

	if (log_slots == NULL)
		return NULL;
	make_key(&key, relid);
	LWLockAcquire(log_mapping_lock, LW_SHARED);
	slot = hash_search(log_slots, &key, HASH_FIND, NULL);
	LWLockRelease(log_mapping_lock);
	return slot;
}

/*
 * Remove a segment's slot.  The caller holds the log's lock exclusively and
 * AccessExclusiveLock on the relation, so no writer or reader uses it.  If
 * the dropping transaction aborts, the slot is rebuilt from disk on next use.
 */
void
LogSlotForget(Oid relid)
{
	LogPartKey	key;

	if (log_slots == NULL)
		return;
	make_key(&key, relid);
	LWLockAcquire(log_mapping_lock, LW_EXCLUSIVE);
	hash_search(log_slots, &key, HASH_REMOVE, NULL);
	LWLockRelease(log_mapping_lock);
}

static LogInflight *
my_inflight(void)
{
	int			i = MyProc->pgprocno;

	if (log_shared == NULL || i < 0 || i >= log_shared->ninflight)
		return NULL;
	return &log_shared->inflight[i];
}

void
LogInflightBegin(TransactionId xid)
{
	LogInflight *inf = my_inflight();

	TimestampTz now = GetCurrentTimestamp();

	if (inf == NULL)
		return;
	SpinLockAcquire(&inf->mutex);
	inf->pid = MyProcPid;
	inf->xid = xid;
	inf->since = now;
	inf->nparts = 0;
	SpinLockRelease(&inf->mutex);
}

/* called under the partition lock, right after the write */
void
LogInflightAdd(LogPartSlot *slot, LogOffset first_offset)
{
	LogInflight *inf = my_inflight();

	if (inf == NULL)
		return;
	SpinLockAcquire(&inf->mutex);
	if (inf->nparts < LOGEXT_INFLIGHT_MAX)
	{
		inf->parts[inf->nparts].slot = slot;
		inf->parts[inf->nparts].first_offset = first_offset;
	}
	inf->nparts++;
	SpinLockRelease(&inf->mutex);
}

/* at commit or abort: cannot fail */
void
LogInflightEnd(void)
{
	LogInflight *inf = my_inflight();

	if (inf == NULL)
		return;
	SpinLockAcquire(&inf->mutex);
	inf->nparts = 0;
	inf->pid = 0;
	SpinLockRelease(&inf->mutex);
}

/*
 * The oldest write in flight in a partition: its first offset is the
 * partition's last stable offset.  False if none.
 */
bool
LogInflightOldest(LogPartSlot *slot, LogOffset *first_offset, int *pid,
				  TimestampTz *since)
{
	bool		found = false;

	if (log_shared == NULL)
		return false;
	for (int i = 0; i < log_shared->ninflight; i++)
	{
		LogInflight *inf = &log_shared->inflight[i];

		SpinLockAcquire(&inf->mutex);
		if (inf->nparts > LOGEXT_INFLIGHT_MAX && !found)
		{
			/* too many partitions to list: assume this one may be among them */
			found = true;
			*first_offset = PG_INT64_MAX;
			*pid = inf->pid;
			*since = inf->since;
		}
		for (int j = 0; j < Min(inf->nparts, LOGEXT_INFLIGHT_MAX); j++)
		{
			if (inf->parts[j].slot == slot &&
				(!found || inf->parts[j].first_offset < *first_offset))
			{
				found = true;
				*first_offset = inf->parts[j].first_offset;
				*pid = inf->pid;
				*since = inf->since;
			}
		}
		SpinLockRelease(&inf->mutex);
	}
	return found;
}

static bool wait_exit_registered = false;

/* a backend ended by FATAL while waiting does not stay listed */
static void
wait_exit_cleanup(int code, Datum arg)
{
	LogWaitEnd();
}

/* a log_read() of this backend starts / stops waiting (monitoring) */
void
LogWaitBegin(Oid relid, LogOffset from_offset)
{
	LogInflight *inf = my_inflight();

	TimestampTz now = GetCurrentTimestamp();

	if (inf == NULL)
		return;
	if (!wait_exit_registered)
	{
		before_shmem_exit(wait_exit_cleanup, (Datum) 0);
		wait_exit_registered = true;
	}
	SpinLockAcquire(&inf->mutex);
	inf->wait_pid = MyProcPid;
	inf->wait_dbid = MyDatabaseId;
	inf->wait_relid = relid;
	inf->wait_from = from_offset;
	inf->wait_since = now;
	SpinLockRelease(&inf->mutex);
}

void
LogWaitEnd(void)
{
	LogInflight *inf = my_inflight();

	if (inf == NULL)
		return;
	SpinLockAcquire(&inf->mutex);
	inf->wait_pid = 0;
	SpinLockRelease(&inf->mutex);
}

/* every waiting log_read() in this database, palloc'd */
int
LogWaiters(LogWaiterInfo **waiters)
{
	int			n = 0;

	if (log_shared == NULL)
		return 0;
	*waiters = palloc(sizeof(LogWaiterInfo) * log_shared->ninflight);
	for (int i = 0; i < log_shared->ninflight; i++)
	{
		LogInflight *inf = &log_shared->inflight[i];

		SpinLockAcquire(&inf->mutex);
		if (inf->wait_pid != 0 && inf->wait_dbid == MyDatabaseId)
		{
			(*waiters)[n].pid = inf->wait_pid;
			(*waiters)[n].relid = inf->wait_relid;
			(*waiters)[n].from_offset = inf->wait_from;
			(*waiters)[n].since = inf->wait_since;
			n++;
		}
		SpinLockRelease(&inf->mutex);
	}
	return n;
}

#define AssertSlotLocked(slot) \
	Assert((slot)->local || LWLockHeldByMeInMode(&(slot)->lock, LW_EXCLUSIVE))

/*
 * Set the write position read from the segment's pages or left by a
 * finished write, and mark it loaded.
 */
void
LogSlotSetPosition(LogPartSlot *slot, LogOffset next_offset,
				   BlockNumber tail_blkno, BlockNumber next_fresh_blkno)
{
	AssertSlotLocked(slot);
	slot->tail_blkno = tail_blkno;
	slot->next_fresh_blkno = next_fresh_blkno;
	pg_write_barrier();
	pg_atomic_write_u64(&slot->next_offset, (uint64) next_offset);
	pg_write_barrier();
	slot->loaded = true;
}

/*
 * A write begins: until LogSlotSetPosition, the position no longer matches
 * the disk, and if the write fails the next writer re-reads the pages.
 */
void
LogSlotBeginWrite(LogPartSlot *slot)
{
	AssertSlotLocked(slot);
	Assert(slot->loaded);
	slot->loaded = false;
	pg_write_barrier();
}

/* the block for the writer's next fresh page */
BlockNumber
LogSlotTakeFreshBlock(LogPartSlot *slot)
{
	AssertSlotLocked(slot);
	return slot->next_fresh_blkno++;
}

/*
 * The appended_at of a write: now, but never earlier than the last write's,
 * so that timestamps never decrease along a partition's offsets even if
 * the clock steps back.
 */
TimestampTz
LogSlotStamp(LogPartSlot *slot, TimestampTz now)
{
	AssertSlotLocked(slot);
	if (now < slot->last_appended_at)
		now = slot->last_appended_at;
	slot->last_appended_at = now;
	return now;
}

/*
 * A segment's next offset as its slot has it, without the partition lock
 * (a hint): InvalidLogOffset if the slot is not loaded, a write is in
 * progress, or the segment is sealed.  Read under the mapping lock, as the
 * caller may not prevent the slot's freeing.
 */
LogOffset
LogSlotNextOffsetHint(Oid relid)
{
	LogPartKey	key;
	LogPartSlot *slot;
	LogOffset	next = InvalidLogOffset;

	if (log_slots == NULL)
		return InvalidLogOffset;
	make_key(&key, relid);
	LWLockAcquire(log_mapping_lock, LW_SHARED);
	slot = hash_search(log_slots, &key, HASH_FIND, NULL);
	if (slot != NULL && slot->loaded && !slot->sealed)
	{
		pg_read_barrier();
		next = (LogOffset) pg_atomic_read_u64(&slot->next_offset);
		pg_read_barrier();
		if (!slot->loaded)
			next = InvalidLogOffset;
	}
	LWLockRelease(log_mapping_lock);
	return next;
}

/* logext.max_partitions: the size of the partition slot table */
void
LogShmemDefineGucs(void)
{
	DefineCustomIntVariable("logext.max_partitions",
							"Maximum number of log partitions in use at once, over all databases.",
							NULL,
							&logext_max_partitions,
							8192, 16, 1048576,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
}
