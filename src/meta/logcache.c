/*-------------------------------------------------------------------------
 *
 * logcache.c
 *	  Backend-local cache of log metadata, and the log lock.
 *
 * Appending and reading need a log's id, partition count and segment
 * relations for every call; looking them up in logext.logs/segments each
 * time would cost a query.  Entries are filled by one SPI query on a miss
 * and marked stale by a relcache invalidation of any segment they name:
 * dropping a log (and re-creating it under the same name), rolling a
 * partition and compaction all send one for the old segment when they
 * commit, on the primary and, through WAL, on standbys.  A stale entry is
 * re-read on its next use.  LogOpenSegment also refreshes an entry whose
 * segment cannot be opened, for the window before the invalidation
 * arrives.
 *
 * Entries are read with the latest snapshot (LogCatalogQuery), never with a
 * REPEATABLE READ transaction's own: a cache entry outlives the transaction
 * that filled it.
 *
 * The log lock is a heavyweight lock on (logext.logs, log_id), taken in
 * AccessShareLock by the first append to a log in a transaction (held to its
 * end), by the pre-commit write and by log_roll(), and in
 * AccessExclusiveLock by log_drop(), so a log cannot disappear under a
 * transaction that has appended to it, or under a roll.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/logcache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "meta/logcache.h"

static HTAB *log_cache = NULL;
static MemoryContext log_cache_cxt = NULL;

/*
 * Bumped by every relcache invalidation this backend processes: an entry
 * filled while one arrived may be older than the invalidation (which could
 * not mark it, as it was not in the hash yet), so it is installed stale.
 */
static uint64 inval_count = 0;

static void
check_name(const char *name)
{
	if (strlen(name) > LOGEXT_MAX_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log \"%.*s...\" does not exist", 64, name)));
}

/* relcache callback: mark entries naming relid (or all) stale */
static void
invalidate_segment(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	LogCacheEntry *entry;

	inval_count++;
	hash_seq_init(&seq, log_cache);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (!OidIsValid(relid))
			entry->stale = true;
		for (int p = 0; p < entry->nparts && !entry->stale; p++)
			for (int i = 0; i < entry->parts[p].nsegments; i++)
				if (entry->parts[p].segments[i].relid == relid)
					entry->stale = true;
	}
}

static void
init_cache(void)
{
	HASHCTL		ctl;

	log_cache_cxt = AllocSetContextCreate(CacheMemoryContext,
										  "logext log cache",
										  ALLOCSET_SMALL_SIZES);
	ctl.keysize = LOGEXT_MAX_NAME_LEN + 1;
	ctl.entrysize = sizeof(LogCacheEntry);
	ctl.hcxt = log_cache_cxt;
	log_cache = hash_create("logext log cache", 16, &ctl,
							HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	CacheRegisterRelcacheCallback(invalidate_segment, (Datum) 0);
}

/*
 * Run a read-only catalog query with the latest snapshot, not the
 * transaction's: a REPEATABLE READ transaction must not fill the cache (which
 * outlives it) from the state of the catalog when it began, nor act on a log
 * that was dropped and re-created since.  The text must name every object
 * and operator with its schema: it runs with the caller's search_path.
 */
/*
 * The snapshot catalog queries run with: the latest one, except in parallel
 * mode, where no new snapshot can be taken (an entry filled then is
 * installed stale, see lookup).
 */
Snapshot
LogCatalogSnapshot(void)
{
	return IsInParallelMode() ? GetTransactionSnapshot() : GetLatestSnapshot();
}

int
LogCatalogQuery(const char *query, int nargs, Oid *argtypes, Datum *args,
			  long tcount)
{
	SPIPlanPtr	plan = SPI_prepare(query, nargs, argtypes);
	int			ret;

	if (plan == NULL)
		elog(ERROR, "could not prepare a query of the log catalog: %s",
			 SPI_result_code_string(SPI_result));
	ret = SPI_execute_snapshot(plan, args, NULL, LogCatalogSnapshot(),
							   InvalidSnapshot, true, false, tcount);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the log catalog: %s", SPI_result_code_string(ret));
	SPI_freeplan(plan);
	return ret;
}

/*
 * Fill entry from the catalog.  Returns false if the log does not exist.
 */
static bool
fill_entry(LogCacheEntry *entry)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		found = false;

	args[0] = CStringGetTextDatum(entry->name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LogCatalogQuery("SELECT l.log_id, l.partitions, s.partition, s.base_offset, s.relid::pg_catalog.oid "
				  "FROM logext.logs l JOIN logext.segments s "
				  "ON s.log_id OPERATOR(pg_catalog.=) l.log_id "
				  "WHERE l.log_name OPERATOR(pg_catalog.=) $1 "
				  "ORDER BY s.partition, s.base_offset",
				  1, argtypes, args, 0);

	if (SPI_processed > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(log_cache_cxt);
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		bool		isnull;
		int		   *counts;

		found = true;
		entry->log_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], tupdesc, 1, &isnull));
		entry->nparts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], tupdesc, 2, &isnull));
		entry->parts = palloc0(sizeof(LogPartitionInfo) * entry->nparts);
		counts = palloc0(sizeof(int) * entry->nparts);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			int			p = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], tupdesc, 3, &isnull));

			if (p < 0 || p >= entry->nparts)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("log \"%s\" has a segment for partition %d but only %d partitions",
								entry->name, p, entry->nparts)));
			counts[p]++;
		}
		for (int p = 0; p < entry->nparts; p++)
		{
			if (counts[p] == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("partition %d of log \"%s\" has no segment",
								p, entry->name)));
			entry->parts[p].segments = palloc(sizeof(LogSegmentRef) * counts[p]);
		}
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			int			p = DatumGetInt32(SPI_getbinval(tup, tupdesc, 3, &isnull));
			LogSegmentRef *seg = &entry->parts[p].segments[entry->parts[p].nsegments++];

			seg->base_offset = DatumGetInt64(SPI_getbinval(tup, tupdesc, 4, &isnull));
			seg->relid = DatumGetObjectId(SPI_getbinval(tup, tupdesc, 5, &isnull));
		}
		pfree(counts);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return found;
}

static void
release_entry(LogCacheEntry *entry)
{
	if (entry->parts)
	{
		for (int p = 0; p < entry->nparts; p++)
			if (entry->parts[p].segments)
				pfree(entry->parts[p].segments);
		pfree(entry->parts);
	}
	entry->parts = NULL;
	entry->nparts = 0;
}

static LogCacheEntry *
lookup(const char *name, bool refresh)
{
	LogCacheEntry *entry;
	LogCacheEntry fresh;
	bool		found;
	uint64		before;

	check_name(name);
	if (log_cache == NULL)
		init_cache();
	entry = hash_search(log_cache, name, HASH_FIND, NULL);
	if (entry != NULL && !refresh && !entry->stale)
		return entry;

	/*
	 * Fill a local copy first, so that an error leaves no half entry.  An
	 * invalidation processed meanwhile (the snapshot is taken during the
	 * fill) may concern what was read: then the entry is installed stale.
	 */
	AcceptInvalidationMessages();
	before = inval_count;
	memset(&fresh, 0, sizeof(fresh));
	strlcpy(fresh.name, name, sizeof(fresh.name));
	if (!fill_entry(&fresh))
	{
		if (entry != NULL)
		{
			release_entry(entry);
			hash_search(log_cache, name, HASH_REMOVE, NULL);
		}
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log \"%s\" does not exist", name),
				 errhint("Create it with logext.log_create().")));
	}
	entry = hash_search(log_cache, name, HASH_ENTER, &found);
	if (found)
		release_entry(entry);
	entry->log_id = fresh.log_id;
	entry->nparts = fresh.nparts;
	entry->parts = fresh.parts;
	entry->stale = inval_count != before || IsInParallelMode();
	return entry;
}

/* the cache entry of a log; errors if it does not exist */
LogCacheEntry *
LogCacheLookup(const char *name)
{
	return lookup(name, false);
}

/* the entry of a log, re-read from the catalog */
LogCacheEntry *
LogCacheRefresh(const char *name)
{
	return lookup(name, true);
}

LogCacheEntry *
LogCacheLookupText(text *name)
{
	char	   *cname = text_to_cstring(name);
	LogCacheEntry *entry = LogCacheLookup(cname);

	pfree(cname);
	return entry;
}

void
LogCacheCheckPartition(LogCacheEntry *entry, int partition)
{
	if (partition < 0 || partition >= entry->nparts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("partition %d of log \"%s\" does not exist", partition,
						entry->name),
				 errdetail("Log \"%s\" has %d partition%s, numbered from 0.",
						   entry->name, entry->nparts,
						   entry->nparts == 1 ? "" : "s")));
}

/*
 * Open segment segno (0 = oldest, -1 = active) of a partition.  If it is
 * gone, refresh the cache entry (which *entry then points to) and retry
 * once; errors if the log no longer exists.  Returns NULL if segno is out of
 * range after a refresh.  The active segment is the one the entry names
 * once the lock is granted: taking it processes invalidations, so if the
 * entry is still current then, no roll of the partition has committed
 * before (one in progress has sealed the segment's slot).
 */
Relation
LogOpenSegment(LogCacheEntry **entry, int partition, int segno,
			   LOCKMODE lockmode)
{
	for (int attempt = 0;; attempt++)
	{
		LogPartitionInfo *pi;
		int			idx;
		Relation	rel;

		LogCacheCheckPartition(*entry, partition);
		pi = &(*entry)->parts[partition];
		idx = segno < 0 ? pi->nsegments - 1 : segno;
		if (idx < pi->nsegments)
		{
			rel = try_relation_open(pi->segments[idx].relid, lockmode);
			if (rel != NULL && (segno >= 0 || !(*entry)->stale))
				return rel;
			if (rel != NULL)
			{
				/*
				 * The lock processed an invalidation: the partition may have
				 * been rolled over since the entry was read.
				 */
				relation_close(rel, lockmode);
				if (attempt < 100)
				{
					*entry = lookup((*entry)->name, true);
					continue;
				}
			}
		}
		if (attempt > 0)
		{
			if (idx >= pi->nsegments)
				return NULL;
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("log \"%s\" was dropped or changed concurrently",
							(*entry)->name)));
		}
		*entry = lookup((*entry)->name, true);
	}
}

void
LogLockLog(int32 log_id, LOCKMODE lockmode)
{
	Oid			logs_relid = get_relname_relid("logs", get_namespace_oid("logext", false));

	if (!OidIsValid(logs_relid))
		elog(ERROR, "catalog table logext.logs is missing");
	LockDatabaseObject(logs_relid, (Oid) log_id, 0, lockmode);
}

/* name of the log with this id, palloc'd; NULL if it no longer exists */
char *
LogLogName(int32 log_id)
{
	return LogCatalogValue("SELECT l.log_name FROM logext.logs l "
						   "WHERE l.log_id OPERATOR(pg_catalog.=) $1",
						   INT4OID, Int32GetDatum(log_id));
}

/*
 * The first column of the first row of a catalog query with one argument
 * (latest snapshot, SPI connected here), as text palloc'd in the caller's
 * memory context; NULL if there is no row.
 */
char *
LogCatalogValue(const char *query, Oid argtype, Datum arg)
{
	char	   *result = NULL;
	MemoryContext caller = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LogCatalogQuery(query, 1, &argtype, &arg, 1);
	if (SPI_processed > 0)
	{
		char	   *value = SPI_getvalue(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1);

		if (value != NULL)
			result = MemoryContextStrdup(caller, value);
	}
	SPI_finish();
	return result;
}

/*
 * The names of this database's user logs (not logext's internal ones), in
 * log id order, palloc'd in the current memory context.
 */
char	  **
LogUserLogNames(int *n)
{
	MemoryContext caller = CurrentMemoryContext;
	char	  **names;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LogCatalogQuery("SELECT l.log_name FROM logext.logs l "
					"WHERE pg_catalog.left(l.log_name, 2) OPERATOR(pg_catalog.<>) '__' "
					"AND l.log_id OPERATOR(pg_catalog.<>) 0 "
					"ORDER BY l.log_id",
					0, NULL, NULL, 0);
	*n = (int) SPI_processed;
	names = MemoryContextAlloc(caller, sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		names[i] = MemoryContextStrdup(caller,
									   SPI_getvalue(SPI_tuptable->vals[i],
													SPI_tuptable->tupdesc, 1));
	SPI_finish();
	return names;
}

/*
 * The logext-internal logs ("__" names, such as the consumer offsets log
 * with its fixed id 0) take no appends from users.  The entry's name is the
 * catalog's (fill_entry matches it with pg_catalog's = only), and the id is
 * checked too.
 */
LogCacheEntry *
LogCacheCheckUserLog(LogCacheEntry *log)
{
	if (strncmp(log->name, "__", 2) == 0 || log->log_id == LOGEXT_OFFSETS_LOG_ID)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("log \"%s\" is internal to logext", log->name),
				 errhint("Use the consumer group functions, such as logext.log_commit().")));
	return log;
}
