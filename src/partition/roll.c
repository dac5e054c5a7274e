/*-------------------------------------------------------------------------
 *
 * roll.c
 *	  Segment life cycle: rolling a partition over to a new segment, and
 *	  dropping old segments.
 *
 * Rolling, in the caller's transaction (never in a transaction block or a
 * subtransaction), under the log lock so that log_drop() cannot run
 * meanwhile; an active segment without records is not rolled:
 *	1. create the new segment relation (SQL, logext._segment_create) and
 *	   keep AccessExclusiveLock on it until the transaction ends;
 *	2. under the old segment's partition LWLock: the new base offset is the
 *	   old next offset; write the new metapage, optionally seed the new
 *	   segment with records (compaction), and mark the old slot sealed with
 *	   the new segment as successor;
 *	3. add the catalog row.
 * A writer that finds its slot sealed leaves the LWLock, waits for the
 * successor's relation lock (that is, for the rolling transaction to end)
 * and writes there, or, if the roll aborted (the slot is unsealed again by
 * LogRollEndXact and the relation is gone), to the old segment.  Readers
 * that reach the end of a sealed segment refresh their catalog cache and
 * continue in the successor.  After a restart shared memory is empty and
 * the catalog alone says which segment is active.
 *
 * Dropping a segment takes AccessExclusiveLock (conditionally where the
 * caller must not queue behind readers), deletes the relation and its
 * catalog row, and forgets its slot when the transaction commits.  Rolls and
 * drops are tracked per subtransaction: a subtransaction abort undoes its
 * rolls in shared memory and forgets its drops.
 *
 * Lock order: relation locks, then the old partition LWLock, then the new
 * one; the relation extension lock (a leaf) may be taken under them.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/partition/roll.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "partition/roll.h"
#include "segment/writer.h"
#include "shmem.h"

/*
 * Slots sealed / created by this transaction, undone if it (or the
 * subtransaction that rolled) aborts, and segments it dropped, whose slots
 * are forgotten when it commits.  Both lists are in TopTransactionContext;
 * subid is the subtransaction that did it (passed to the parent at
 * subcommit, discarded at subabort).
 */
typedef struct RolledSlot
{
	LogPartSlot *old_slot;		/* NULL until sealed */
	Oid			old_relid;
	Oid			new_relid;
	SubTransactionId subid;
} RolledSlot;

typedef struct DroppedSegment
{
	Oid			relid;
	SubTransactionId subid;
} DroppedSegment;

#define ROLL_SEED_ATTEMPTS	2000	/* 1 ms apart */

static List *rolled = NIL;
static List *dropped = NIL;

typedef struct SeedReader
{
	const char *data;
	uint32		pos;
} SeedReader;

static void
seed_read(void *arg, char *dst, uint32 len)
{
	SeedReader *r = (SeedReader *) arg;

	memcpy(dst, r->data + r->pos, len);
	r->pos += len;
}

static Oid
create_segment(int32 log_id, int32 partition, const char *name)
{
	Oid			argtypes[3] = {INT4OID, INT4OID, TEXTOID};
	Datum		args[3];
	bool		isnull;
	Oid			relid;

	args[0] = Int32GetDatum(log_id);
	args[1] = Int32GetDatum(partition);
	args[2] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT logext._segment_create($1, $2, $3)::pg_catalog.oid",
							  3, argtypes, args, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not create a segment for log %d partition %d",
			 log_id, partition);
	relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return relid;
}

static void
add_catalog_row(int32 log_id, int32 partition, LogOffset base, Oid relid)
{
	Oid			argtypes[4] = {INT4OID, INT4OID, INT8OID, OIDOID};
	Datum		args[4];

	args[0] = Int32GetDatum(log_id);
	args[1] = Int32GetDatum(partition);
	args[2] = Int64GetDatum(base);
	args[3] = ObjectIdGetDatum(relid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO logext.segments (log_id, partition, base_offset, relid) "
							  "VALUES ($1, $2, $3, $4::pg_catalog.regclass)",
							  4, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record the new segment of log %d partition %d",
			 log_id, partition);
	SPI_finish();
}

/* write the seed records into the new segment; new slot lock held */
static void
write_seed(Relation rel, LogPartSlot *slot, StringInfo buf, int n)
{
	LogWriter  *w = palloc(sizeof(LogWriter));
	SeedReader	reader = {buf->data, 0};
	LogOffset	next;
	TimestampTz now = GetCurrentTimestamp();

	next = LogWriterBegin(w, rel, slot, seed_read, &reader);
	for (int i = 0; i < n; i++)
	{
		LogRecordHeader hdr;

		seed_read(&reader, (char *) &hdr, LOG_REC_HEADER_SIZE);
		hdr.offset = next++;
		hdr.appended_at = now;
		hdr.xid = FrozenTransactionId;
		hdr.flags = (hdr.flags & (LOG_REC_HAS_KEY | LOG_REC_HAS_HEADERS)) |
			LOG_REC_FROZEN | LOG_REC_COMMITTED;
		LogWriterAppend(w, &hdr);
	}
	LogWriterEnd(w, next);
	pfree(w);
}

/*
 * Roll a partition over to a new segment; returns its relation.  If the
 * active segment holds no record yet, there is nothing to roll: returns
 * InvalidOid (a seeded roll then has nothing to carry over either: the
 * previous seeded roll left no live key, and nothing was committed since).
 * With a seed function, the switch happens at a
 * moment when no write to the old segment is in flight, since the seed must
 * reflect every record of the old segment (retried for up to about two
 * seconds, then an error).
 */
Oid
LogRollPartition(LogCacheEntry **log, int32 partition, LogRollSeedFn seed,
				 void *seed_arg)
{
	int32		log_id = (*log)->log_id;
	Relation	old_rel;
	Oid			old_relid;
	LogPartSlot *old_slot;
	LogPartSlot *new_slot;
	Relation	new_rel;
	Oid			new_relid;
	LogOffset	base;
	LogOffset	inflight;
	int			pid;
	TimestampTz since;
	RolledSlot *r;
	MemoryContext old_cxt;
	LogPartitionInfo *pi;

	LogextRequirePreload();
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot roll a log partition inside a transaction block"),
				 errdetail("Commits to the partition wait until the rolling transaction ends.")));

	/* log_drop() takes the log lock exclusively: no roll under a drop */
	LogLockLog(log_id, AccessShareLock);
	*log = LogCacheRefresh((*log)->name);
	if ((*log)->log_id != log_id)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log \"%s\" was dropped concurrently", (*log)->name)));
	LogCacheCheckPartition(*log, partition);
	old_rel = LogOpenSegment(log, partition, -1, RowExclusiveLock);
	old_relid = RelationGetRelid(old_rel);
	pi = &(*log)->parts[partition];
	if (LogSegmentNextOffset(old_rel) == pi->segments[pi->nsegments - 1].base_offset)
	{
		/* empty (records only ever get added, so it is safe to skip) */
		relation_close(old_rel, NoLock);
		return InvalidOid;
	}
	old_slot = LogSlotGet(old_relid);

	{
		char		name[NAMEDATALEN];

		snprintf(name, sizeof(name), "seg_%d_%d_x%u", log_id, partition,
				 GetTopTransactionId());
		new_relid = create_segment(log_id, partition, name);
	}
	new_rel = relation_open(new_relid, AccessExclusiveLock);
	new_slot = LogSlotGet(new_relid);

	old_cxt = MemoryContextSwitchTo(TopTransactionContext);
	r = palloc(sizeof(RolledSlot));
	r->old_slot = NULL;
	r->old_relid = old_relid;
	r->new_relid = new_relid;
	r->subid = GetCurrentSubTransactionId();
	rolled = lappend(rolled, r);
	MemoryContextSwitchTo(old_cxt);

	/*
	 * With a seed, wait (briefly, without the lock) for a moment with no
	 * write in flight: under a steady stream of commits there is nearly
	 * always one, but rarely for long.
	 */
	for (int attempt = 0;; attempt++)
	{
		LWLockAcquire(&old_slot->lock, LW_EXCLUSIVE);
		if (!seed || !LogInflightOldest(old_slot, &inflight, &pid, &since))
			break;
		LWLockRelease(&old_slot->lock);
		if (attempt >= ROLL_SEED_ATTEMPTS)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("partition %d of log \"%s\" always has a commit in flight",
							partition, (*log)->name),
					 errhint("Try again.")));
		pg_usleep(1000L);
		CHECK_FOR_INTERRUPTS();
	}
	if (!old_slot->loaded)
		LogSlotLoad(old_slot, old_rel);
	if (old_slot->sealed)
	{
		LWLockRelease(&old_slot->lock);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("partition %d of log \"%s\" was rolled concurrently",
						partition, (*log)->name)));
	}
	base = (LogOffset) pg_atomic_read_u64(&old_slot->next_offset);
	LogSegmentWriteMeta(new_rel, log_id, partition, base);

	LWLockAcquire(&new_slot->lock, LW_EXCLUSIVE);
	LogSlotLoad(new_slot, new_rel);
	if (seed)
	{
		StringInfoData buf;
		int			n;

		initStringInfo(&buf);
		n = seed(seed_arg, &buf);
		if (n > 0)
			write_seed(new_rel, new_slot, &buf, n);
		pfree(buf.data);
	}
	LogSlotSeal(old_slot, new_relid);
	r->old_slot = old_slot;
	LWLockRelease(&new_slot->lock);
	LWLockRelease(&old_slot->lock);

	/* readers waiting on the old segment move on to the new one */
	ConditionVariableBroadcast(LogSlotCV(old_slot));
	/* at commit, every backend's log cache forgets the old active segment */
	CacheInvalidateRelcacheByRelid(old_relid);

	add_catalog_row(log_id, partition, base, new_relid);
	relation_close(new_rel, NoLock);
	relation_close(old_rel, NoLock);
	elog(DEBUG1, "logext: log \"%s\" partition %d rolled to a new segment at offset " INT64_FORMAT,
		 (*log)->name, partition, base);
	return new_relid;
}

/*
 * Add an empty segment starting at base to a partition that nobody else
 * can see yet: of a log created in the current transaction (restore of a
 * dump), or a partition being added (LogGrowPartitions): no roll, no
 * shared state.  Returns the new relation's OID.
 */
Oid
LogAddSegment(int32 log_id, int32 partition, LogOffset base)
{
	char		name[NAMEDATALEN];
	Oid			relid;
	Relation	rel;

	snprintf(name, sizeof(name), "seg_%d_%d_" INT64_FORMAT, log_id, partition,
			 base);
	relid = create_segment(log_id, partition, name);
	rel = relation_open(relid, AccessExclusiveLock);
	LogSegmentWriteMeta(rel, log_id, partition, base);
	relation_close(rel, NoLock);
	add_catalog_row(log_id, partition, base, relid);
	return relid;
}

/*
 * Grow a log to npartitions partitions (as the extension's owner): each new
 * partition gets its first segment, at offset 0, and logext.logs the new
 * count.  Takes the log lock exclusively, so it waits for transactions that
 * appended to the log and for rolls, and appenders wait for it.  An append
 * that chose its partition before the alter committed (and then waited)
 * goes by the old count, like a Kafka producer with old metadata; appends
 * after the commit see the new count (the invalidations below).  Existing
 * records stay where they are.
 */
void
LogGrowPartitions(LogCacheEntry **log, int32 npartitions)
{
	int32		log_id = (*log)->log_id;
	int32		old;
	Oid			argtypes[2] = {INT4OID, INT4OID};
	Datum		args[2];

	if (npartitions < 1 || npartitions > LOGEXT_MAX_PARTITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid number of partitions: %d", npartitions),
				 errhint("A log has between 1 and %d partitions.", LOGEXT_MAX_PARTITIONS)));
	LogLockLog(log_id, AccessExclusiveLock);
	*log = LogCacheRefresh((*log)->name);
	if ((*log)->log_id != log_id)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log \"%s\" was dropped concurrently", (*log)->name)));
	old = (*log)->nparts;
	if (npartitions < old)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot reduce the number of partitions of log \"%s\" from %d to %d",
						(*log)->name, old, npartitions),
				 errdetail("Partitions hold records; like Kafka, logext only adds partitions.")));
	if (npartitions == old)
		return;
	for (int32 p = old; p < npartitions; p++)
		(void) LogAddSegment(log_id, p, 0);

	args[0] = Int32GetDatum(log_id);
	args[1] = Int32GetDatum(npartitions);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("UPDATE logext.logs SET partitions = $2 "
							  "WHERE log_id OPERATOR(pg_catalog.=) $1",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "could not record the partitions of log %d", log_id);
	SPI_finish();
	/*
	 * Every backend's log cache re-reads the log at commit: an invalidation
	 * of each old partition's active segment (never dropped by retention, so
	 * every cache entry of the log names one of them).
	 */
	for (int32 p = 0; p < old; p++)
	{
		LogPartitionInfo *pi = &(*log)->parts[p];

		CacheInvalidateRelcacheByRelid(pi->segments[pi->nsegments - 1].relid);
	}
	*log = LogCacheRefresh((*log)->name);
}

/* undo one roll in shared memory (abort of its (sub)transaction) */
static void
undo_roll(RolledSlot *r)
{
	if (r->old_slot != NULL)
	{
		LWLockAcquire(&r->old_slot->lock, LW_EXCLUSIVE);
		LogSlotUnseal(r->old_slot);
		LWLockRelease(&r->old_slot->lock);
		ConditionVariableBroadcast(LogSlotCV(r->old_slot));
	}
	LogSlotForget(r->new_relid);
}

/* did this transaction roll a partition (refuses PREPARE)? */
bool
LogRollPending(void)
{
	return rolled != NIL || dropped != NIL;
}

/*
 * End of transaction: a roll that aborted is undone in shared memory; the
 * slots of segments dropped by a committed transaction are forgotten (not
 * earlier: if the drop aborted, the slot must stay sealed).  Readers waiting
 * on a rolled or dropped segment are woken either way: they read the
 * catalog again and continue in the successor, or fail because the log is
 * gone.  Must not fail.
 */
void
LogRollEndXact(bool committed)
{
	ListCell   *lc;

	/* rolls first: a segment rolled and dropped here loses its slot below */
	foreach(lc, rolled)
	{
		RolledSlot *r = lfirst(lc);

		if (!committed)
			undo_roll(r);
		else if (r->old_slot != NULL)
			LogSlotSealCommitted(r->old_slot);
		ConditionVariableBroadcast(LogSegmentCV(r->old_relid));
	}
	rolled = NIL;

	foreach(lc, dropped)
	{
		DroppedSegment *d = lfirst(lc);

		if (committed)
			LogSlotForget(d->relid);
		ConditionVariableBroadcast(LogSegmentCV(d->relid));
	}
	dropped = NIL;
}

/*
 * Subtransaction abort: undo its rolls and forget its drops (the drop's
 * catalog changes and relation locks are rolled back with it).
 */
void
LogRollSubAbort(SubTransactionId subid)
{
	ListCell   *lc;

	foreach(lc, rolled)
	{
		RolledSlot *r = lfirst(lc);

		if (r->subid >= subid)
		{
			undo_roll(r);
			ConditionVariableBroadcast(LogSegmentCV(r->old_relid));
			rolled = foreach_delete_current(rolled, lc);
		}
	}
	foreach(lc, dropped)
	{
		DroppedSegment *d = lfirst(lc);

		if (d->subid >= subid)
			dropped = foreach_delete_current(dropped, lc);
	}
}

/* subtransaction commit: its rolls and drops now belong to the parent */
void
LogRollSubCommit(SubTransactionId subid, SubTransactionId parent)
{
	ListCell   *lc;

	foreach(lc, rolled)
	{
		RolledSlot *r = lfirst(lc);

		if (r->subid == subid)
			r->subid = parent;
	}
	foreach(lc, dropped)
	{
		DroppedSegment *d = lfirst(lc);

		if (d->subid == subid)
			d->subid = parent;
	}
}

/*
 * Drop a segment: its relation, its slot and its catalog row.  Takes
 * AccessExclusiveLock (waiting for readers).
 */
void
LogDropSegment(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessExclusiveLock);
	ObjectAddress obj;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	SPIPlanPtr	plan;

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log segment %u was dropped concurrently", relid)));
	if (rel->rd_rel->relam != get_table_am_oid("log", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a log segment", RelationGetRelationName(rel))));
	relation_close(rel, NoLock);

	/*
	 * The catalog row, found with the latest snapshot: a REPEATABLE READ
	 * log_drop() must also delete the row of a segment added by a roll that
	 * committed while it waited for the log lock.
	 */
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare("DELETE FROM logext.segments s "
					   "WHERE s.relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
					   1, argtypes);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, args, NULL, LogCatalogSnapshot(),
							 InvalidSnapshot, false, false, 0) != SPI_OK_DELETE ||
		SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("log segment \"%s\" has no row in logext.segments",
						get_rel_name(relid))));
	SPI_freeplan(plan);
	SPI_finish();

	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
		DroppedSegment *d = palloc(sizeof(DroppedSegment));

		d->relid = relid;
		d->subid = GetCurrentSubTransactionId();
		dropped = lappend(dropped, d);
		MemoryContextSwitchTo(old);
	}
	/* segments are members of the extension: leave it before the drop */
	deleteDependencyRecordsForClass(RelationRelationId, relid,
									ExtensionRelationId, DEPENDENCY_EXTENSION);
	CommandCounterIncrement();
	obj.classId = RelationRelationId;
	obj.objectId = relid;
	obj.objectSubId = 0;
	performDeletion(&obj, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
}

/*
 * Drop a segment unless someone is using it, or another transaction dropped
 * it meanwhile (two retention runs); true if dropped.
 */
bool
LogTryDropSegment(Oid relid)
{
	if (!ConditionalLockRelationOid(relid, AccessExclusiveLock))
		return false;
	/* the lock processed invalidations: a committed drop is seen now */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
	{
		UnlockRelationOid(relid, AccessExclusiveLock);
		return false;
	}
	LogDropSegment(relid);
	return true;
}
