/*-------------------------------------------------------------------------
 *
 * offsetcache.c
 *	  The shared cache of committed consumer-group offsets.
 *
 * The latest value per key is cached in a shared hash as a short list of
 * versions (offsetkey.c).  A version is added at pre-commit, after the
 * record has been written (offsetxact.c), and never at COMMIT (that must
 * not fail).
 *
 * Room in the shared hash is reserved when log_commit() (or a reset or a
 * delete) is called, not at pre-commit: a full table fails that call with a
 * clear error instead of someone's COMMIT.  One database and one role may
 * each use at most logext.group_quota percent of logext.max_group_offsets
 * (so that nobody can lock the others out), and entries nobody can use any
 * more are freed: of dropped databases and dropped logs, and of a dropped
 * and re-created extension, when the table runs full and at every
 * compaction; keys deleted for good are dropped at compaction.  An entry
 * that a running transaction has reserved or has a version of is never
 * freed.  Entries rebuilt from the log after a restart have no owner role.
 *
 * The cache is rebuilt per database, on first use after start-up, by one
 * scan of the offsets log (OffsetsEnsureLoaded).  The scan holds no LWLock and
 * can be cancelled: it collects into a local hash, and the result is
 * merged into the shared hash under the offsets lock, deduplicated by xid,
 * before the database's "loaded" marker is set.  A heavyweight lock per
 * database lets one backend load while the others of that database wait
 * (interruptibly); other databases are not held up.  Records are taken
 * with their xids, so a commit still in flight or failed at commit (after
 * its pre-commit write) is resolved like any other version.  Replay does
 * not maintain the cache, so during recovery (hot standby) offsets are read
 * from the log itself, by the same scan; a promoted standby starts with an
 * empty cache.
 *
 * Lock order: catalog and relation locks, the per-database load lock, then
 * partition LWLocks (compaction's seed callback runs under them), then the
 * offsets LWLock.  Nothing waits for a heavyweight lock or runs a catalog
 * lookup while holding the offsets LWLock, and errors are raised after
 * releasing it, except where noted (commit-log lookups of an xid, which
 * can only fail on a damaged commit log; abort releases the lock).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetcache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/syscache.h"

#include "consumer/offsetcache.h"
#include "consumer/offsetlog.h"

#define MARKER_RESERVE		256		/* hash room for loaded markers */
#define LOAD_LOCK_SUBID		0xFFFF	/* objsubid of the load lock */

int			logext_group_quota = 50;
static int	logext_max_group_offsets = 16384;

HTAB	   *OffsetsHash = NULL;
LWLock	   *OffsetsLock = NULL;
OffsetsSharedState *OffsetsState = NULL;

void
LogOffsetsShmemRequest(void)
{
	RequestAddinShmemSpace(add_size(hash_estimate_size(logext_max_group_offsets + MARKER_RESERVE,
													   sizeof(OffsetEntry)),
									sizeof(OffsetsSharedState)));
	RequestNamedLWLockTranche("logext_offsets", 1);
}

void
LogOffsetsShmemStartup(void)
{
	HASHCTL		info;
	bool		found;

	info.keysize = sizeof(OffsetKey);
	info.entrysize = sizeof(OffsetEntry);
	OffsetsHash = ShmemInitHash("logext group offsets",
								 logext_max_group_offsets + MARKER_RESERVE,
								 logext_max_group_offsets + MARKER_RESERVE,
								 &info, HASH_ELEM | HASH_BLOBS);
	OffsetsLock = &(GetNamedLWLockTranche("logext_offsets"))->lock;
	OffsetsState = ShmemInitStruct("logext offsets state",
									 sizeof(OffsetsSharedState), &found);
	if (!found)
		memset(OffsetsState, 0, sizeof(OffsetsSharedState));
}

/*
 * GUCs of consumer groups; to be called from _PG_init before
 * MarkGUCPrefixReserved("logext").
 */
void
LogOffsetsDefineGucs(void)
{
	DefineCustomIntVariable("logext.max_group_offsets",
							"Maximum number of committed (group, log, partition) offsets kept in shared memory.",
							NULL,
							&logext_max_group_offsets,
							16384, 64, 16777216,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("logext.group_quota",
							"Percentage of the shared consumer group tables (offsets and members) that one database or one role may use.",
							"Applies to logext.max_group_offsets and to the table of group members.",
							&logext_group_quota,
							50, 1, 100,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
}

/* how many of capacity entries one database or one role may use */
int
LogGroupQuota(int capacity)
{
	return Max(1, (int) ((int64) capacity * logext_group_quota / 100));
}

/*
 * Take one database off the list of those with offset commits since the
 * last call; InvalidOid when the list is empty (maintenance worker).
 */
Oid
LogOffsetsNextActiveDatabase(void)
{
	Oid			dbid = InvalidOid;

	LWLockAcquire(OffsetsLock, LW_EXCLUSIVE);
	for (int i = MAX_ACTIVE_DBS - 1; i >= 0; i--)
		if (OidIsValid(OffsetsState->active_dbs[i]))
		{
			dbid = OffsetsState->active_dbs[i];
			OffsetsState->active_dbs[i] = InvalidOid;
			break;
		}
	LWLockRelease(OffsetsLock);
	return dbid;
}

/* ----------------------------------------------------------------
 * Shared entries (offsets lock held exclusively)
 * ----------------------------------------------------------------
 */

OffsetEntry *
OffsetEntryEnter(const OffsetKey *key, Oid owner)
{
	bool		found;
	OffsetEntry *entry = hash_search(OffsetsHash, key, HASH_ENTER_NULL, &found);

	if (entry != NULL && !found)
	{
		entry->owner = owner;
		entry->reserved_by = InvalidTransactionId;
		entry->nversions = 0;
		if (key->log_id != LOADED_MARKER)
			OffsetsState->nentries++;
	}
	return entry;
}

void
OffsetEntryRemove(OffsetEntry *entry)
{
	bool		marker = entry->key.log_id == LOADED_MARKER;

	hash_search(OffsetsHash, &entry->key, HASH_REMOVE, NULL);
	if (!marker)
		OffsetsState->nentries--;
}

/* may a running transaction still publish a version of this entry? */
bool
OffsetEntryBusy(const OffsetEntry *entry)
{
	if (TransactionIdIsValid(entry->reserved_by) &&
		TransactionIdIsInProgress(entry->reserved_by))
		return true;
	for (int i = 0; i < entry->nversions; i++)
		if (TransactionIdIsInProgress(entry->versions[i].xid))
			return true;
	return false;
}

/* ----------------------------------------------------------------
 * Loading the cache
 * ----------------------------------------------------------------
 */

/*
 * Merge a scanned version list into the shared hash (offsets lock held
 * exclusively): the log's versions first, then those published
 * concurrently (by xid, so nothing is added twice).  False if there is no
 * room.
 */
static bool
merge_entry(const OffsetEntry *scanned)
{
	OffsetEntry *entry = OffsetEntryEnter(&scanned->key, InvalidOid);
	OffsetVersion merged[2 * OFFSET_VERSIONS];
	int			n = 0;

	if (entry == NULL)
		return false;
	for (int i = 0; i < scanned->nversions; i++)
	{
		merged[n] = scanned->versions[i];
		for (int j = 0; j < entry->nversions; j++)
			if (entry->versions[j].xid == merged[n].xid)
				merged[n].value = entry->versions[j].value;
		n++;
	}
	for (int j = 0; j < entry->nversions; j++)
	{
		bool		dup = false;

		for (int i = 0; i < scanned->nversions; i++)
			if (scanned->versions[i].xid == entry->versions[j].xid)
				dup = true;
		if (!dup)
			merged[n++] = entry->versions[j];
	}
	OffsetVersionsPrune(merged, &n);
	/* cannot happen with the key lock; keep the newest */
	if (n > OFFSET_VERSIONS)
	{
		memmove(merged, merged + (n - OFFSET_VERSIONS),
				sizeof(OffsetVersion) * OFFSET_VERSIONS);
		n = OFFSET_VERSIONS;
	}
	memcpy(entry->versions, merged, sizeof(OffsetVersion) * n);
	entry->nversions = n;
	return true;
}

static bool
marker_exists(const OffsetKey *marker)
{
	bool		found;

	LWLockAcquire(OffsetsLock, LW_SHARED);
	found = hash_search(OffsetsHash, marker, HASH_FIND, NULL) != NULL;
	LWLockRelease(OffsetsLock);
	return found;
}

/*
 * Build this database's part of the cache from the offsets log, once.
 * Not during recovery: replay does not maintain the cache, so a standby
 * reads the offsets log every time (see OffsetsLogLocal).
 */
void
OffsetsEnsureLoaded(void)
{
	OffsetKey	marker;
	List	   *rels;
	HTAB	   *local;
	int32	   *log_ids;
	int			nlog_ids;
	HASH_SEQ_STATUS seq;
	OffsetEntry *scanned;
	bool		full = false;

	LogextRequirePreload();
	OffsetKeyMake(&marker, "", LOADED_MARKER, 0);
	if (marker_exists(&marker))
		return;

	/* one loader per database; the others wait here, interruptibly */
	LockDatabaseObject(marker.olog, 0, LOAD_LOCK_SUBID, ExclusiveLock);
	if (marker_exists(&marker))
	{
		UnlockDatabaseObject(marker.olog, 0, LOAD_LOCK_SUBID, ExclusiveLock);
		return;
	}

	log_ids = OffsetsExistingLogIds(&nlog_ids);
	rels = OffsetsLogOpen();
	local = OffsetsLogScan(rels, marker.olog, log_ids, nlog_ids);
	OffsetsLogClose(rels);

	LWLockAcquire(OffsetsLock, LW_EXCLUSIVE);
	if (hash_search(OffsetsHash, &marker, HASH_FIND, NULL) == NULL)
	{
		hash_seq_init(&seq, local);
		while ((scanned = hash_seq_search(&seq)) != NULL)
		{
			if (!full && !merge_entry(scanned))
				full = true;
		}
		if (!full && OffsetEntryEnter(&marker, InvalidOid) == NULL)
			full = true;
	}
	LWLockRelease(OffsetsLock);
	UnlockDatabaseObject(marker.olog, 0, LOAD_LOCK_SUBID, ExclusiveLock);
	if (full)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many consumer group offsets to load those of database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("The %ld committed offsets of this database do not fit into the %d entries of logext.max_group_offsets that are free.",
						   hash_get_num_entries(local),
						   logext_max_group_offsets - OffsetsState->nentries),
				 errhint("Increase logext.max_group_offsets and restart the server.")));
	hash_destroy(local);
	pfree(log_ids);
}

/* ----------------------------------------------------------------
 * Reserving room, freeing stale entries
 * ----------------------------------------------------------------
 */

/*
 * Free the entries nobody can use any more: of databases that no longer
 * exist, of an earlier installation of the extension in this database, and
 * of dropped logs of this database; never one that a running transaction
 * may still publish to.  Catalog lookups happen without the offsets lock.
 * Returns how many were freed; *dropped_logs (if not NULL) gets the sorted
 * ids of this database's dropped logs that still had entries.
 */
int
OffsetsPurgeStale(Oid olog, int32 **dropped_logs, int *ndropped)
{
	HASH_SEQ_STATUS seq;
	OffsetEntry *entry;
	long		max;
	Oid		   *dbids;
	int			ndbs = 0;
	Oid		   *gone_dbs;
	int			ngone = 0;
	int32	   *logs;
	int			nlogs = 0;
	int32	   *existing;
	int			nexisting;
	int32	   *gone_logs;
	int			ngone_logs = 0;
	int			freed = 0;

	/* which databases and logs have entries */
	LWLockAcquire(OffsetsLock, LW_SHARED);
	max = hash_get_num_entries(OffsetsHash);
	dbids = palloc(sizeof(Oid) * Max(max, 1));
	logs = palloc(sizeof(int32) * Max(max, 1));
	hash_seq_init(&seq, OffsetsHash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (entry->key.dbid != MyDatabaseId)
		{
			int			i;

			for (i = 0; i < ndbs; i++)
				if (dbids[i] == entry->key.dbid)
					break;
			if (i == ndbs && ndbs < max)
				dbids[ndbs++] = entry->key.dbid;
		}
		else if (entry->key.olog == olog && entry->key.log_id != LOADED_MARKER &&
				 nlogs < max)
			logs[nlogs++] = entry->key.log_id;
	}
	LWLockRelease(OffsetsLock);

	/* which of them are gone */
	gone_dbs = palloc(sizeof(Oid) * Max(ndbs, 1));
	for (int i = 0; i < ndbs; i++)
		if (!SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(dbids[i])))
			gone_dbs[ngone++] = dbids[i];
	existing = OffsetsExistingLogIds(&nexisting);
	qsort(logs, nlogs, sizeof(int32), OffsetsLogIdCmp);
	gone_logs = palloc(sizeof(int32) * Max(nlogs, 1));
	for (int i = 0; i < nlogs; i++)
		if ((i == 0 || logs[i] != logs[i - 1]) &&
			!OffsetsLogIdIn(logs[i], existing, nexisting))
			gone_logs[ngone_logs++] = logs[i];

	LWLockAcquire(OffsetsLock, LW_EXCLUSIVE);
	hash_seq_init(&seq, OffsetsHash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		bool		stale = false;

		if (entry->key.dbid != MyDatabaseId)
		{
			for (int i = 0; i < ngone; i++)
				if (gone_dbs[i] == entry->key.dbid)
					stale = true;
		}
		else if (entry->key.olog != olog)
			stale = true;
		else if (entry->key.log_id != LOADED_MARKER)
			stale = OffsetsLogIdIn(entry->key.log_id, gone_logs, ngone_logs);
		if (stale && !OffsetEntryBusy(entry))
		{
			OffsetEntryRemove(entry);
			freed++;
		}
	}
	for (int d = 0; d < MAX_ACTIVE_DBS; d++)
		for (int i = 0; i < ngone; i++)
			if (OffsetsState->active_dbs[d] == gone_dbs[i])
				OffsetsState->active_dbs[d] = InvalidOid;
	LWLockRelease(OffsetsLock);

	if (freed > 0)
		elog(DEBUG1, "logext: freed %d consumer group offsets of dropped databases, logs or extensions",
			 freed);
	pfree(dbids);
	pfree(logs);
	pfree(gone_dbs);
	pfree(existing);
	if (dropped_logs != NULL)
	{
		*dropped_logs = gone_logs;
		*ndropped = ngone_logs;
	}
	else
		pfree(gone_logs);
	return freed;
}

typedef enum ReserveResult
{
	RESERVE_OK,
	RESERVE_FULL,
	RESERVE_DB_QUOTA,
	RESERVE_ROLE_QUOTA,
	RESERVE_TOO_MANY_VERSIONS
} ReserveResult;

/* offsets lock held exclusively */
static ReserveResult
try_reserve(const OffsetKey *key, Oid role, TransactionId xid)
{
	OffsetEntry *entry = hash_search(OffsetsHash, key, HASH_FIND, NULL);
	int			quota = LogGroupQuota(logext_max_group_offsets);

	if (entry != NULL)
	{
		OffsetVersionsPrune(entry->versions, &entry->nversions);
		/* room for this transaction's version at pre-commit */
		if (entry->nversions >= OFFSET_VERSIONS)
			return RESERVE_TOO_MANY_VERSIONS;
		entry->reserved_by = xid;
		return RESERVE_OK;
	}
	if (OffsetsState->nentries >= logext_max_group_offsets)
		return RESERVE_FULL;
	if (OffsetsState->nentries >= quota)
	{
		/* count only when the table is that full */
		HASH_SEQ_STATUS seq;
		int			in_db = 0;
		int			of_role = 0;

		hash_seq_init(&seq, OffsetsHash);
		while ((entry = hash_seq_search(&seq)) != NULL)
		{
			if (entry->key.log_id == LOADED_MARKER)
				continue;
			if (entry->key.dbid == key->dbid)
				in_db++;
			if (entry->owner == role)
				of_role++;
		}
		if (in_db >= quota)
			return RESERVE_DB_QUOTA;
		if (of_role >= quota)
			return RESERVE_ROLE_QUOTA;
	}
	entry = OffsetEntryEnter(key, role);
	if (entry == NULL)
		return RESERVE_FULL;
	entry->reserved_by = xid;
	return RESERVE_OK;
}

/*
 * Make sure the shared hash has an entry for key that this transaction can
 * publish its version to at pre-commit.  Errors here, in the caller's
 * log_commit()/log_reset_offsets()/log_delete_group() call, if there is no
 * room; entries nobody can use any more are freed first.
 */
void
OffsetsReserve(const OffsetKey *key)
{
	TransactionId xid = GetTopTransactionId();
	Oid			role = GetUserId();
	int			quota = LogGroupQuota(logext_max_group_offsets);
	ReserveResult r;

	for (int attempt = 0;; attempt++)
	{
		LWLockAcquire(OffsetsLock, LW_EXCLUSIVE);
		r = try_reserve(key, role, xid);
		LWLockRelease(OffsetsLock);
		if (r == RESERVE_OK || r == RESERVE_TOO_MANY_VERSIONS || attempt > 0 ||
			OffsetsPurgeStale(key->olog, NULL, NULL) == 0)
			break;
	}

	switch (r)
	{
		case RESERVE_OK:
			break;
		case RESERVE_TOO_MANY_VERSIONS:
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("too many uncommitted offset commits for group \"%s\"",
							key->group),
					 errhint("Try again when the transactions committing offsets of this group have ended.")));
			break;
		case RESERVE_FULL:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many consumer group offsets"),
					 errdetail("All %d entries of logext.max_group_offsets are in use.",
							   logext_max_group_offsets),
					 errhint("Delete unused groups with logext.log_delete_group(), or increase logext.max_group_offsets and restart the server.")));
			break;
		case RESERVE_DB_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many consumer group offsets in database \"%s\"",
							get_database_name(key->dbid)),
					 errdetail("One database may use at most %d of the %d entries of logext.max_group_offsets (logext.group_quota is %d%%).",
							   quota, logext_max_group_offsets, logext_group_quota),
					 errhint("Delete unused groups with logext.log_delete_group(), or increase logext.max_group_offsets and restart the server.")));
			break;
		case RESERVE_ROLE_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many consumer group offsets for role \"%s\"",
							GetUserNameFromId(role, false)),
					 errdetail("One role may create at most %d of the %d entries of logext.max_group_offsets (logext.group_quota is %d%%).",
							   quota, logext_max_group_offsets, logext_group_quota),
					 errhint("Delete unused groups with logext.log_delete_group(), or increase logext.max_group_offsets and restart the server.")));
			break;
	}
}
