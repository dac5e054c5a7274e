/*-------------------------------------------------------------------------
 *
 * offsets.c
 *	  Committed consumer-group offsets, stored without dead tuples.
 *
 * A commit of (group, log, partition) -> next offset is a record appended
 * to the internal log "__consumer_offsets" (key: the group name; value:
 * log id, partition and offset), so it is transactional, WAL-logged,
 * replayed by standbys and creates no dead tuple: a held snapshot cannot
 * bloat or slow it.  Kafka keeps its offsets the same way.
 *
 * The latest value per key is cached in a shared hash as a short list of
 * versions (xid, offset).  A version is added at pre-commit, after the
 * record has been written, and never at COMMIT (that must not fail).
 * Readers resolve versions newest first: in progress -> skip, committed ->
 * the answer, aborted -> skip.  So a read returns the latest committed
 * offset (like SELECT ... FOR UPDATE, not snapshot-bound); with the key
 * lock below that is what a consume-transform-produce transaction needs.
 * Versions older than the newest committed one, and aborted ones, are
 * pruned when a version is added, and the newest committed one is frozen
 * (its xid replaced by FrozenTransactionId) so that the cache never asks
 * the commit log about old transactions; the key lock allows at most one
 * uncommitted version per key at a time, so the list stays short.
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
 * scan of the offsets log (ensure_loaded).  The scan holds no LWLock and
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
 * Compaction (LogOffsetsCompact, run by the per-database maintenance
 * worker) rolls the offsets log over to a new segment seeded with a marker
 * record and then the latest committed offset of every key, and drops the
 * old segments oldest first, stopping at the first one somebody is reading.
 * A seeded segment holds the whole state as of its start, so the scan
 * starts at the newest segment that begins with a seed marker and ignores
 * older segments that could not be dropped yet; a later commit still wins
 * over a seed because it comes later in log order.  The backend's own
 * uncommitted commits are kept locally (subtransaction-aware) so that a
 * transaction reads its own.
 *
 * Key lock: log_commit() and log_read_group() take a heavyweight
 * ExclusiveLock on (group, log, partition) until the end of the
 * transaction, so two transactions never consume the same partition for
 * the same group at once: the second waits and then sees the first's
 * committed offset.  That is what makes consume-transform-produce
 * exactly-once.
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
 * src/consumer/offsets.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "am/cursor.h"
#include "am/visibility.h"
#include "commit/pending.h"
#include "consumer/offsets.h"
#include "partition/roll.h"
#include "shmem.h"

#define OFFSET_VERSIONS		4
#define LOADED_MARKER		(-1)	/* log_id of the per-database marker, and
									 * of the seed marker record */
#define NO_OFFSET			(-1)	/* value of a deleted (reset) key */
#define MARKER_RESERVE		256		/* hash room for loaded markers */
#define LOAD_LOCK_SUBID		0xFFFF	/* objsubid of the load lock */
#define OPEN_ATTEMPTS		100

int			logext_group_quota = 50;
static int	logext_max_group_offsets = 16384;
static int	logext_offsets_compaction_threshold_kb = 8192;

typedef struct OffsetKey
{
	Oid			dbid;
	Oid			olog;			/* logext.logs: keeps apart a re-created
								 * extension's offsets */
	int32		log_id;
	int32		partition;
	char		group[LOGEXT_MAX_GROUP_LEN + 1];
} OffsetKey;

typedef struct OffsetVersion
{
	TransactionId xid;
	LogOffset	value;
} OffsetVersion;

typedef struct OffsetEntry
{
	OffsetKey	key;
	Oid			owner;			/* role that created it; InvalidOid if it
								 * was rebuilt from the log */
	TransactionId reserved_by;	/* last transaction that reserved it */
	int			nversions;
	OffsetVersion versions[OFFSET_VERSIONS];	/* oldest first */
} OffsetEntry;

/* value of a record in the offsets log */
typedef struct OffsetRecord
{
	int32		log_id;
	int32		partition;
	LogOffset	next_offset;
} OffsetRecord;

/* an uncommitted commit of this backend */
typedef struct PendingOffset
{
	OffsetKey	key;
	LogOffset	value;
	SubTransactionId subid;
} PendingOffset;

#define MAX_ACTIVE_DBS		64

typedef struct OffsetsShared
{
	int			nentries;		/* entries that are not loaded markers */
	/* databases with offset commits since the maintenance worker looked */
	Oid			active_dbs[MAX_ACTIVE_DBS];
} OffsetsShared;

/* what compaction's seed callback needs */
typedef struct SeedState
{
	Oid			olog;
	int32	   *dropped_logs;	/* sorted log ids that no longer exist */
	int			ndropped;
	int64		nkeys;			/* out: offsets seeded */
} SeedState;

static HTAB *offsets_hash = NULL;
static LWLock *offsets_lock = NULL;
static OffsetsShared *offsets_shared = NULL;
static List *pending_offsets = NIL; /* in TopTransactionContext */

void
LogOffsetsShmemRequest(void)
{
	RequestAddinShmemSpace(add_size(hash_estimate_size(logext_max_group_offsets + MARKER_RESERVE,
													   sizeof(OffsetEntry)),
									sizeof(OffsetsShared)));
	RequestNamedLWLockTranche("logext_offsets", 1);
}

void
LogOffsetsShmemStartup(void)
{
	HASHCTL		info;
	bool		found;

	info.keysize = sizeof(OffsetKey);
	info.entrysize = sizeof(OffsetEntry);
	offsets_hash = ShmemInitHash("logext group offsets",
								 logext_max_group_offsets + MARKER_RESERVE,
								 logext_max_group_offsets + MARKER_RESERVE,
								 &info, HASH_ELEM | HASH_BLOBS);
	offsets_lock = &(GetNamedLWLockTranche("logext_offsets"))->lock;
	offsets_shared = ShmemInitStruct("logext offsets state",
									 sizeof(OffsetsShared), &found);
	if (!found)
		memset(offsets_shared, 0, sizeof(OffsetsShared));
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
	DefineCustomIntVariable("logext.offsets_compaction_threshold",
							"Size of the consumer offsets log beyond which the maintenance worker compacts it.",
							NULL,
							&logext_offsets_compaction_threshold_kb,
							8192, 64, INT_MAX / 1024,
							PGC_SIGHUP, GUC_UNIT_KB,
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

void
LogCheckGroupName(const char *group)
{
	size_t		len = strlen(group);

	if (len == 0 || len > LOGEXT_MAX_GROUP_LEN ||
		strspn(group, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid consumer group name \"%s\"", group),
				 errdetail("A group name is 1 to %d characters from A-Z, a-z, 0-9, \".\", \"_\" and \"-\".",
						   LOGEXT_MAX_GROUP_LEN)));
}

/*
 * Identifies this installation of the extension in the database (the OID of
 * logext.logs), so that a dropped and re-created extension does not see the
 * old one's cached offsets.
 */
static Oid
offsets_log_relid(void)
{
	Oid			relid = get_relname_relid("logs", get_namespace_oid("logext", false));

	if (!OidIsValid(relid))
		elog(ERROR, "catalog table logext.logs is missing");
	return relid;
}

static void
make_key_in(OffsetKey *key, Oid olog, const char *group, int32 log_id,
			int32 partition)
{
	memset(key, 0, sizeof(OffsetKey));
	key->dbid = MyDatabaseId;
	key->olog = olog;
	key->log_id = log_id;
	key->partition = partition;
	strlcpy(key->group, group, sizeof(key->group));
}

void
LogOffsetsLockKey(const char *group, int32 log_id, int32 partition)
{
	Oid			classid = get_relname_relid("segments",
											get_namespace_oid("logext", false));
	uint32		h = hash_bytes((const unsigned char *) group, strlen(group));

	LockDatabaseObject(classid, h ^ (uint32) log_id, (uint16) partition,
					   ExclusiveLock);
}

static void
make_key(OffsetKey *key, const char *group, int32 log_id, int32 partition)
{
	make_key_in(key, offsets_log_relid(), group, log_id, partition);
}

/* ----------------------------------------------------------------
 * Version lists
 * ----------------------------------------------------------------
 */

/*
 * Drop aborted versions and those older than the newest committed one, and
 * freeze the newest committed one.
 */
static void
prune_versions(OffsetVersion *versions, int *nversions)
{
	int			newest_committed = -1;
	int			n = 0;

	for (int i = 0; i < *nversions; i++)
	{
		TransactionId xid = versions[i].xid;

		if (TransactionIdIsInProgress(xid))
			continue;
		if (TransactionIdDidCommit(xid))
			newest_committed = i;
		else
			versions[i].xid = InvalidTransactionId; /* aborted */
	}
	if (newest_committed >= 0)
		versions[newest_committed].xid = FrozenTransactionId;
	for (int i = Max(newest_committed, 0); i < *nversions; i++)
		if (TransactionIdIsValid(versions[i].xid))
			versions[n++] = versions[i];
	*nversions = n;
}

/*
 * Add a version to a list of at most OFFSET_VERSIONS (a later version of the
 * same xid replaces the earlier one); false if the list is full of
 * uncommitted versions.
 */
static bool
add_version_to(OffsetVersion *versions, int *nversions, TransactionId xid,
			   LogOffset value)
{
	for (int i = 0; i < *nversions; i++)
		if (versions[i].xid == xid)
		{
			versions[i].value = value;
			return true;
		}
	prune_versions(versions, nversions);
	if (*nversions == OFFSET_VERSIONS)
		return false;
	versions[*nversions].xid = xid;
	versions[*nversions].value = value;
	(*nversions)++;
	return true;
}

/* the latest committed value among versions; false if none */
static bool
resolve(const OffsetVersion *versions, int n, LogOffset *value)
{
	for (int i = n - 1; i >= 0; i--)
	{
		TransactionId xid = versions[i].xid;

		if (TransactionIdIsCurrentTransactionId(xid))
		{
			*value = versions[i].value;
			return *value != NO_OFFSET;
		}
		if (TransactionIdIsInProgress(xid))
			continue;
		if (TransactionIdDidCommit(xid))
		{
			*value = versions[i].value;
			return *value != NO_OFFSET;
		}
	}
	return false;
}

/* ----------------------------------------------------------------
 * Shared entries (offsets lock held exclusively)
 * ----------------------------------------------------------------
 */

static OffsetEntry *
entry_enter(const OffsetKey *key, Oid owner)
{
	bool		found;
	OffsetEntry *entry = hash_search(offsets_hash, key, HASH_ENTER_NULL, &found);

	if (entry != NULL && !found)
	{
		entry->owner = owner;
		entry->reserved_by = InvalidTransactionId;
		entry->nversions = 0;
		if (key->log_id != LOADED_MARKER)
			offsets_shared->nentries++;
	}
	return entry;
}

static void
entry_remove(OffsetEntry *entry)
{
	bool		marker = entry->key.log_id == LOADED_MARKER;

	hash_search(offsets_hash, &entry->key, HASH_REMOVE, NULL);
	if (!marker)
		offsets_shared->nentries--;
}

/* may a running transaction still publish a version of this entry? */
static bool
entry_busy(const OffsetEntry *entry)
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
 * Catalog lookups (no LWLock held)
 * ----------------------------------------------------------------
 */

static int
int32_cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Run a one-column query of this extension's catalog with the latest
 * snapshot (whatever the isolation level: a compaction or log_drop that
 * committed after the transaction's snapshot must count), returning the
 * int32 or oid values in the caller's memory context.
 */
static Datum *
latest_catalog_query(const char *sql, int *n)
{
	MemoryContext caller = CurrentMemoryContext;
	SPIPlanPtr	plan;
	Datum	   *result;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not prepare a query of the log catalog: %s",
			 SPI_result_code_string(SPI_result));
	ret = SPI_execute_snapshot(plan, NULL, NULL, LogCatalogSnapshot(),
							   InvalidSnapshot, true, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the log catalog: %s",
			 SPI_result_code_string(ret));
	*n = (int) SPI_processed;
	result = MemoryContextAlloc(caller, sizeof(Datum) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		bool		isnull;

		result[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
								  1, &isnull);
	}
	SPI_finish();
	return result;
}

/* the segments of the offsets log, oldest first, as committed now */
static Oid *
offsets_segment_relids(int *n)
{
	Datum	   *d = latest_catalog_query("SELECT s.relid::oid FROM logext.segments s "
										 "JOIN logext.logs l ON l.log_id = s.log_id "
										 "WHERE l.log_name = '" LOGEXT_OFFSETS_LOG "' "
										 "ORDER BY s.base_offset", n);
	Oid		   *relids = palloc(sizeof(Oid) * Max(*n, 1));

	for (int i = 0; i < *n; i++)
		relids[i] = DatumGetObjectId(d[i]);
	pfree(d);
	return relids;
}

/* the ids of this database's logs, sorted, as committed now */
static int32 *
existing_log_ids(int *n)
{
	Datum	   *d = latest_catalog_query("SELECT log_id FROM logext.logs ORDER BY 1", n);
	int32	   *ids = palloc(sizeof(int32) * Max(*n, 1));

	for (int i = 0; i < *n; i++)
		ids[i] = DatumGetInt32(d[i]);
	pfree(d);
	return ids;
}

static bool
log_id_in(int32 log_id, const int32 *ids, int n)
{
	return n > 0 && bsearch(&log_id, ids, n, sizeof(int32), int32_cmp) != NULL;
}

/* ----------------------------------------------------------------
 * Reading the offsets log
 * ----------------------------------------------------------------
 */

static void
close_offsets_log(List *rels)
{
	ListCell   *lc;

	foreach(lc, rels)
		relation_close((Relation) lfirst(lc), AccessShareLock);
	list_free(rels);
}

/*
 * Open every segment of the offsets log, oldest first, with AccessShareLock
 * (before taking any LWLock).  The list is read again once all are locked,
 * so that a compaction that committed in between (dropping segments and
 * adding one) is never half seen.
 */
static List *
open_offsets_log(void)
{
	for (int attempt = 0;; attempt++)
	{
		int			n;
		int			n2;
		Oid		   *relids = offsets_segment_relids(&n);
		Oid		   *again;
		List	   *rels = NIL;
		bool		complete = n > 0;

		for (int i = 0; i < n && complete; i++)
		{
			Relation	rel = try_relation_open(relids[i], AccessShareLock);

			if (rel == NULL)
				complete = false;
			else
				rels = lappend(rels, rel);
		}
		if (complete)
		{
			again = offsets_segment_relids(&n2);
			complete = n2 == n && memcmp(again, relids, sizeof(Oid) * n) == 0;
			pfree(again);
		}
		pfree(relids);
		if (complete)
			return rels;
		close_offsets_log(rels);
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the consumer offsets log \"%s\" has no segment", LOGEXT_OFFSETS_LOG)));
		if (attempt >= OPEN_ATTEMPTS)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("the consumer offsets log changed too often while it was being opened"),
					 errhint("Try again.")));
		CHECK_FOR_INTERRUPTS();
		pg_usleep(1000L);
	}
}

/* a record's value, checked */
static void
decode_record(const LogRecordHeader *hdr, const LogRecordData *rec,
			  OffsetRecord *orec)
{
	if (rec->key == NULL || VARSIZE(rec->value) - VARHDRSZ != sizeof(OffsetRecord))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid record at offset " INT64_FORMAT " of the consumer offsets log",
						hdr->offset)));
	memcpy(orec, VARDATA(rec->value), sizeof(OffsetRecord));
}

/* does a segment start with compaction's seed marker? */
static bool
starts_with_seeds(Relation rel)
{
	LogCursor	c;
	LogRecordHeader hdr;
	bool		result = false;

	LogCursorInit(&c, rel, NULL);
	if (LogCursorPeek(&c, &hdr))
	{
		if ((hdr.flags & LOG_REC_FROZEN) && (hdr.flags & LOG_REC_HAS_KEY) &&
			hdr.key_len == 0)
		{
			LogRecordData rec;
			OffsetRecord orec;

			LogCursorReadRecord(&c, &hdr, &rec);
			LogCursorUnlock(&c);
			decode_record(&hdr, &rec, &orec);
			result = orec.log_id == LOADED_MARKER;
		}
		LogCursorUnlock(&c);
	}
	LogCursorEnd(&c);
	return result;
}

/*
 * Where a scan of the offsets log's segments rels (oldest first) starts:
 * the newest segment that begins with compaction's seeds, which hold the
 * whole state as of then, or the first.
 */
static int
first_segment_to_scan(List *rels)
{
	for (int i = list_length(rels) - 1; i > 0; i--)
		if (starts_with_seeds((Relation) list_nth(rels, i)))
			return i;
	return 0;
}

/* a local hash of offset keys, in the current memory context */
static HTAB *
local_offsets_hash(const char *name, Size entrysize)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(OffsetKey);
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
local_add(HTAB *local, const OffsetKey *key, TransactionId xid, LogOffset value)
{
	bool		found;
	OffsetEntry *entry = hash_search(local, key, HASH_ENTER, &found);

	if (!found)
	{
		entry->owner = InvalidOid;
		entry->reserved_by = InvalidTransactionId;
		entry->nversions = 0;
	}
	if (!add_version_to(entry->versions, &entry->nversions, xid, value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the consumer offsets log has more than %d uncommitted commits of group \"%s\" on one partition",
						OFFSET_VERSIONS, key->group)));
}

typedef void (*OffsetsRecordFn) (const LogRecordHeader *hdr,
								 const OffsetRecord *orec, const char *group,
								 void *arg);

/*
 * Call fn for each record of the offsets log's segments rels (oldest
 * first) from the newest one that starts with seeds, of the logs log_ids
 * (sorted; NULL: all), that is live (snapshot NULL: committed or still
 * running) or visible to snapshot.
 */
static void
scan_offsets_records(List *rels, Snapshot snapshot, const int32 *log_ids,
					 int nlog_ids, OffsetsRecordFn fn, void *arg)
{
	ListCell   *lc;

	for_each_from(lc, rels, first_segment_to_scan(rels))
	{
		LogCursor	c;
		LogRecordHeader hdr;

		LogCursorInit(&c, (Relation) lfirst(lc), NULL);
		while (LogCursorPeek(&c, &hdr))
		{
			bool		wanted;
			LogRecordData rec;
			OffsetRecord orec;
			char	   *group;

			CHECK_FOR_INTERRUPTS();
			if (snapshot != NULL)
				wanted = LogRecordVisibility(c.buf, c.pos, &hdr, snapshot) == LOG_VISIBLE;
			else
				wanted = (hdr.flags & LOG_REC_INVALID) == 0 &&
					((hdr.flags & (LOG_REC_FROZEN | LOG_REC_COMMITTED)) != 0 ||
					 TransactionIdIsInProgress(hdr.xid) ||
					 TransactionIdDidCommit(hdr.xid));
			if (!wanted)
			{
				LogCursorUnlock(&c);
				LogCursorAdvance(&c, &hdr);
				continue;
			}
			LogCursorReadRecord(&c, &hdr, &rec);
			LogCursorUnlock(&c);
			LogCursorAdvance(&c, &hdr);
			decode_record(&hdr, &rec, &orec);
			group = text_to_cstring(rec.key);
			if (orec.log_id != LOADED_MARKER &&
				(log_ids == NULL || log_id_in(orec.log_id, log_ids, nlog_ids)))
				fn(&hdr, &orec, group, arg);
			pfree(group);
			pfree(rec.key);
			pfree(rec.value);
		}
		LogCursorEnd(&c);
	}
}

typedef struct OffsetsScanState
{
	HTAB	   *local;
	Oid			olog;
} OffsetsScanState;

static void
scan_add_version(const LogRecordHeader *hdr, const OffsetRecord *orec,
				 const char *group, void *arg)
{
	OffsetsScanState *st = (OffsetsScanState *) arg;
	OffsetKey	key;

	make_key_in(&key, st->olog, group, orec->log_id, orec->partition);
	local_add(st->local, &key,
			  (hdr->flags & LOG_REC_FROZEN) ? FrozenTransactionId : hdr->xid,
			  orec->next_offset);
}

/*
 * Collect every record of the offsets log whose transaction committed or is
 * still running, with its xid, in log order, into a local hash of version
 * lists: from the newest segment that starts with seeds (which hold the
 * whole state as of then), or from the start.  With log_ids, records of
 * logs not listed (dropped) are left out.  Takes no LWLock and can be
 * cancelled.
 */
static HTAB *
scan_offsets_log(List *rels, Oid olog, const int32 *log_ids, int nlog_ids)
{
	OffsetsScanState st;

	st.local = local_offsets_hash("logext offsets scan", sizeof(OffsetEntry));
	st.olog = olog;
	scan_offsets_records(rels, NULL, log_ids, nlog_ids, scan_add_version, &st);
	return st.local;
}

/*
 * Merge a scanned version list into the shared hash (offsets lock held
 * exclusively): the log's versions first, then those published
 * concurrently (by xid, so nothing is added twice).  False if there is no
 * room.
 */
static bool
merge_entry(const OffsetEntry *scanned)
{
	OffsetEntry *entry = entry_enter(&scanned->key, InvalidOid);
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
	prune_versions(merged, &n);
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

	LWLockAcquire(offsets_lock, LW_SHARED);
	found = hash_search(offsets_hash, marker, HASH_FIND, NULL) != NULL;
	LWLockRelease(offsets_lock);
	return found;
}

/*
 * Build this database's part of the cache from the offsets log, once.
 * Not during recovery: replay does not maintain the cache, so a standby
 * reads the offsets log every time (see local_offsets).
 */
static void
ensure_loaded(void)
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
	make_key(&marker, "", LOADED_MARKER, 0);
	if (marker_exists(&marker))
		return;

	/* one loader per database; the others wait here, interruptibly */
	LockDatabaseObject(marker.olog, 0, LOAD_LOCK_SUBID, ExclusiveLock);
	if (marker_exists(&marker))
	{
		UnlockDatabaseObject(marker.olog, 0, LOAD_LOCK_SUBID, ExclusiveLock);
		return;
	}

	log_ids = existing_log_ids(&nlog_ids);
	rels = open_offsets_log();
	local = scan_offsets_log(rels, marker.olog, log_ids, nlog_ids);
	close_offsets_log(rels);

	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	if (hash_search(offsets_hash, &marker, HASH_FIND, NULL) == NULL)
	{
		hash_seq_init(&seq, local);
		while ((scanned = hash_seq_search(&seq)) != NULL)
		{
			if (!full && !merge_entry(scanned))
				full = true;
		}
		if (!full && entry_enter(&marker, InvalidOid) == NULL)
			full = true;
	}
	LWLockRelease(offsets_lock);
	UnlockDatabaseObject(marker.olog, 0, LOAD_LOCK_SUBID, ExclusiveLock);
	if (full)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many consumer group offsets to load those of database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("The %ld committed offsets of this database do not fit into the %d entries of logext.max_group_offsets that are free.",
						   hash_get_num_entries(local),
						   logext_max_group_offsets - offsets_shared->nentries),
				 errhint("Increase logext.max_group_offsets and restart the server.")));
	hash_destroy(local);
	pfree(log_ids);
}

/* standby: the version lists of every key, straight from the log */
static HTAB *
local_offsets(void)
{
	List	   *rels = open_offsets_log();
	HTAB	   *local = scan_offsets_log(rels, offsets_log_relid(), NULL, 0);

	close_offsets_log(rels);
	return local;
}

/* ----------------------------------------------------------------
 * Reserving room
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
static int
purge_stale_entries(Oid olog, int32 **dropped_logs, int *ndropped)
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
	LWLockAcquire(offsets_lock, LW_SHARED);
	max = hash_get_num_entries(offsets_hash);
	dbids = palloc(sizeof(Oid) * Max(max, 1));
	logs = palloc(sizeof(int32) * Max(max, 1));
	hash_seq_init(&seq, offsets_hash);
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
	LWLockRelease(offsets_lock);

	/* which of them are gone */
	gone_dbs = palloc(sizeof(Oid) * Max(ndbs, 1));
	for (int i = 0; i < ndbs; i++)
		if (!SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(dbids[i])))
			gone_dbs[ngone++] = dbids[i];
	existing = existing_log_ids(&nexisting);
	qsort(logs, nlogs, sizeof(int32), int32_cmp);
	gone_logs = palloc(sizeof(int32) * Max(nlogs, 1));
	for (int i = 0; i < nlogs; i++)
		if ((i == 0 || logs[i] != logs[i - 1]) &&
			!log_id_in(logs[i], existing, nexisting))
			gone_logs[ngone_logs++] = logs[i];

	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, offsets_hash);
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
			stale = log_id_in(entry->key.log_id, gone_logs, ngone_logs);
		if (stale && !entry_busy(entry))
		{
			entry_remove(entry);
			freed++;
		}
	}
	for (int d = 0; d < MAX_ACTIVE_DBS; d++)
		for (int i = 0; i < ngone; i++)
			if (offsets_shared->active_dbs[d] == gone_dbs[i])
				offsets_shared->active_dbs[d] = InvalidOid;
	LWLockRelease(offsets_lock);

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
	OffsetEntry *entry = hash_search(offsets_hash, key, HASH_FIND, NULL);
	int			quota = LogGroupQuota(logext_max_group_offsets);

	if (entry != NULL)
	{
		prune_versions(entry->versions, &entry->nversions);
		/* room for this transaction's version at pre-commit */
		if (entry->nversions >= OFFSET_VERSIONS)
			return RESERVE_TOO_MANY_VERSIONS;
		entry->reserved_by = xid;
		return RESERVE_OK;
	}
	if (offsets_shared->nentries >= logext_max_group_offsets)
		return RESERVE_FULL;
	if (offsets_shared->nentries >= quota)
	{
		/* count only when the table is that full */
		HASH_SEQ_STATUS seq;
		int			in_db = 0;
		int			of_role = 0;

		hash_seq_init(&seq, offsets_hash);
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
	entry = entry_enter(key, role);
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
static void
reserve_entry(const OffsetKey *key)
{
	TransactionId xid = GetTopTransactionId();
	Oid			role = GetUserId();
	int			quota = LogGroupQuota(logext_max_group_offsets);
	ReserveResult r;

	for (int attempt = 0;; attempt++)
	{
		LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
		r = try_reserve(key, role, xid);
		LWLockRelease(offsets_lock);
		if (r == RESERVE_OK || r == RESERVE_TOO_MANY_VERSIONS || attempt > 0 ||
			purge_stale_entries(key->olog, NULL, NULL) == 0)
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

/* ----------------------------------------------------------------
 * The API
 * ----------------------------------------------------------------
 */

/*
 * The committed offset of a key (or this transaction's own uncommitted
 * one); false if there is none.
 */
bool
LogOffsetsGet(const char *group, int32 log_id, int32 partition,
			  LogOffset *next_offset)
{
	OffsetKey	key;
	OffsetEntry *entry;
	OffsetVersion versions[OFFSET_VERSIONS];
	int			n = 0;
	ListCell   *lc;
	PendingOffset *mine = NULL;
	bool		standby = RecoveryInProgress();
	HTAB	   *source = offsets_hash;

	make_key(&key, group, log_id, partition);
	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);

		if (memcmp(&p->key, &key, sizeof(OffsetKey)) == 0)
			mine = p;
	}
	if (mine != NULL)
	{
		*next_offset = mine->value;
		return mine->value != NO_OFFSET;
	}

	if (standby)
		source = local_offsets();
	else
	{
		ensure_loaded();
		LWLockAcquire(offsets_lock, LW_SHARED);
	}
	entry = hash_search(source, &key, HASH_FIND, NULL);
	if (entry != NULL)
	{
		n = entry->nversions;
		memcpy(versions, entry->versions, sizeof(OffsetVersion) * n);
	}
	if (standby)
		hash_destroy(source);
	else
		LWLockRelease(offsets_lock);
	return resolve(versions, n, next_offset);
}

/*
 * Commit next_offset for (group, log, partition) in the current
 * transaction; NO_OFFSET deletes it.  The caller has validated the values
 * and holds the key lock.  Reserves the key's room in the shared hash now,
 * so that the pre-commit step cannot run out of it.
 */
void
LogOffsetsCommit(const char *group, LogCacheEntry *log, int32 partition,
				 LogOffset next_offset)
{
	LogCacheEntry *olog = LogCacheLookup(LOGEXT_OFFSETS_LOG);
	OffsetRecord orec;
	OffsetKey	key;
	PendingOffset *p;
	MemoryContext old;

	make_key(&key, group, log->log_id, partition);
	ensure_loaded();
	reserve_entry(&key);

	orec.log_id = log->log_id;
	orec.partition = partition;
	orec.next_offset = next_offset;
	LogPendingAppend(olog, 0, group, strlen(group), NULL, (char *) &orec,
					 sizeof(OffsetRecord));

	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(PendingOffset));
	p->key = key;
	p->value = next_offset;
	p->subid = GetCurrentSubTransactionId();
	pending_offsets = lappend(pending_offsets, p);
	MemoryContextSwitchTo(old);
}

/*
 * Every committed offset of this database (for logext.consumer_groups and
 * log_delete_group), with this transaction's own commits, palloc'd.
 */
int
LogOffsetsList(LogGroupOffset **list)
{
	HASH_SEQ_STATUS seq;
	OffsetEntry *entry;
	OffsetEntry *copy;
	int			ncopy = 0;
	int			n = 0;
	long		max;
	Oid			olog = offsets_log_relid();
	HTAB	   *source = offsets_hash;
	bool		standby = RecoveryInProgress();
	ListCell   *lc;

	if (standby)
		source = local_offsets();
	else
	{
		ensure_loaded();
		LWLockAcquire(offsets_lock, LW_SHARED);
	}
	max = hash_get_num_entries(source);
	copy = palloc(sizeof(OffsetEntry) * Max(max, 1));
	hash_seq_init(&seq, source);
	while ((entry = hash_seq_search(&seq)) != NULL)
		if (entry->key.dbid == MyDatabaseId && entry->key.olog == olog &&
			entry->key.log_id != LOADED_MARKER)
			copy[ncopy++] = *entry;
	if (standby)
		hash_destroy(source);
	else
		LWLockRelease(offsets_lock);

	/* this transaction's own commits override what is cached */
	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);
		int			i;

		for (i = 0; i < ncopy; i++)
			if (memcmp(&copy[i].key, &p->key, sizeof(OffsetKey)) == 0)
				break;
		if (i == ncopy)
		{
			copy = repalloc(copy, sizeof(OffsetEntry) * (ncopy + 1));
			copy[ncopy++].key = p->key;
		}
		copy[i].nversions = 1;
		copy[i].versions[0].xid = FrozenTransactionId;
		copy[i].versions[0].value = p->value;
	}

	*list = palloc(sizeof(LogGroupOffset) * Max(ncopy, 1));
	for (int i = 0; i < ncopy; i++)
	{
		LogOffset	value;

		if (!resolve(copy[i].versions, copy[i].nversions, &value))
			continue;
		strlcpy((*list)[n].group, copy[i].key.group, sizeof((*list)[n].group));
		(*list)[n].log_id = copy[i].key.log_id;
		(*list)[n].partition = copy[i].key.partition;
		(*list)[n].next_offset = value;
		n++;
	}
	pfree(copy);
	return n;
}

/*
 * Pre-commit, after the offsets records were written: publish this
 * transaction's versions.  The entries were reserved by LogOffsetsCommit
 * and running transactions' entries are never freed, so this fails only
 * if something is badly wrong, and then only this transaction's commit.
 */
void
LogOffsetsPreCommit(void)
{
	TransactionId xid;
	ListCell   *lc;
	const OffsetKey *failed = NULL;

	if (pending_offsets == NIL)
		return;
	ensure_loaded();
	xid = GetTopTransactionId();
	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);
		OffsetEntry *entry = hash_search(offsets_hash, &p->key, HASH_FIND, NULL);

		if (entry == NULL)
			entry = entry_enter(&p->key, GetUserId());
		if (entry == NULL ||
			!add_version_to(entry->versions, &entry->nversions, xid, p->value))
		{
			failed = &p->key;
			break;
		}
	}
	/* tell the maintenance worker to look at this database */
	if (failed == NULL)
	{
		int			free_slot = -1;
		bool		listed = false;

		for (int i = 0; i < MAX_ACTIVE_DBS; i++)
		{
			if (offsets_shared->active_dbs[i] == MyDatabaseId)
				listed = true;
			else if (!OidIsValid(offsets_shared->active_dbs[i]) && free_slot < 0)
				free_slot = i;
		}
		if (!listed && free_slot >= 0)
			offsets_shared->active_dbs[free_slot] = MyDatabaseId;
	}
	LWLockRelease(offsets_lock);
	if (failed != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not publish the committed offset of group \"%s\" on partition %d",
						failed->group, failed->partition),
				 errdetail("Its entry in shared memory was not reserved.")));
}

void
LogOffsetsSubAbort(SubTransactionId subid)
{
	List	   *keep = NIL;
	ListCell   *lc;
	MemoryContext old;

	if (pending_offsets == NIL)
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);

		if (p->subid < subid)
			keep = lappend(keep, p);
	}
	MemoryContextSwitchTo(old);
	pending_offsets = keep;
}

void
LogOffsetsSubCommit(SubTransactionId subid, SubTransactionId parent)
{
	ListCell   *lc;

	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);

		if (p->subid == subid)
			p->subid = parent;
	}
}

/* has this transaction committed offsets (refuses PREPARE)? */
bool
LogOffsetsPending(void)
{
	return pending_offsets != NIL;
}

/* commit or abort: the list's memory goes with TopTransactionContext */
void
LogOffsetsEndXact(void)
{
	pending_offsets = NIL;
}

/* ----------------------------------------------------------------
 * Compaction
 * ----------------------------------------------------------------
 */

static void
append_seed(StringInfo buf, const char *group, int32 log_id, int32 partition,
			LogOffset value)
{
	LogRecordHeader hdr;
	OffsetRecord orec;
	uint16		klen = strlen(group);

	memset(&hdr, 0, sizeof(hdr));
	hdr.length = LOG_REC_HEADER_SIZE + klen + sizeof(OffsetRecord);
	hdr.flags = LOG_REC_HAS_KEY;
	hdr.key_len = klen;
	orec.log_id = log_id;
	orec.partition = partition;
	orec.next_offset = value;
	appendBinaryStringInfo(buf, (char *) &hdr, LOG_REC_HEADER_SIZE);
	appendBinaryStringInfo(buf, group, klen);
	appendBinaryStringInfo(buf, (char *) &orec, sizeof(OffsetRecord));
}

/*
 * Seed for the compacted offsets log: a marker record (empty key, log id
 * LOADED_MARKER, the number of seeds as its offset), then the latest
 * committed offset of every key of existing logs.  Runs under the old
 * segment's partition lock with no write in flight, so every offsets record
 * there has been decided and published; takes the offsets lock and nothing
 * else, and cannot fail.
 */
static int
seed_offsets(void *arg, StringInfo buf)
{
	SeedState  *state = (SeedState *) arg;
	HASH_SEQ_STATUS seq;
	OffsetEntry *entry;
	StringInfoData seeds;
	int			n = 0;

	initStringInfo(&seeds);
	LWLockAcquire(offsets_lock, LW_SHARED);
	hash_seq_init(&seq, offsets_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		LogOffset	value;

		if (entry->key.dbid != MyDatabaseId || entry->key.olog != state->olog ||
			entry->key.log_id == LOADED_MARKER ||
			log_id_in(entry->key.log_id, state->dropped_logs, state->ndropped) ||
			!resolve(entry->versions, entry->nversions, &value))
			continue;
		append_seed(&seeds, entry->key.group, entry->key.log_id,
					entry->key.partition, value);
		n++;
	}
	LWLockRelease(offsets_lock);
	append_seed(buf, "", LOADED_MARKER, 0, n);
	appendBinaryStringInfo(buf, seeds.data, seeds.len);
	pfree(seeds.data);
	state->nkeys = n;
	return n + 1;
}

/*
 * Compact the offsets log: roll it over to a new segment that starts with
 * the latest committed offset of every key, then drop the old segments,
 * oldest first, up to the first one somebody is reading.  Unless force,
 * only when it has grown past logext.offsets_compaction_threshold plus
 * twice what compaction would keep.  Entries of dropped databases, logs and
 * extensions are freed first in any case.  Returns the number of offsets
 * kept; 0 if there is nothing to compact (the log's only segment is empty);
 * -1 if nothing was done (below the threshold, another compaction is
 * running, or logext.dump is being read).
 */
int64
LogOffsetsCompact(bool force)
{
	LogCacheEntry *log;
	SeedState	seed;
	int64		bytes = 0;
	int			nkeys = 0;
	Oid			segments_relid = get_relname_relid("segments",
												   get_namespace_oid("logext", false));
	Oid			dump_relid = get_relname_relid("dump",
											   get_namespace_oid("logext", false));

	LogextRequirePreload();
	memset(&seed, 0, sizeof(seed));
	seed.olog = offsets_log_relid();

	/* one compaction at a time (self-conflicting, but not with DML) */
	if (!ConditionalLockRelationOid(segments_relid, ShareUpdateExclusiveLock))
		return -1;

	/*
	 * Nor while logext.dump is being read: a scan of it reads the offsets as
	 * of its snapshot, from the segments a compaction drops.  pg_dump locks
	 * logext.dump right after taking its snapshot, and holds the lock to the
	 * end, so a lock there means "not now".  Only a dump whose snapshot was
	 * taken just before this compaction commits, but whose lock comes after,
	 * can still find the old segments gone (its scan then fails and says to
	 * run it again).
	 */
	if (OidIsValid(dump_relid) &&
		!ConditionalLockRelationOid(dump_relid, AccessExclusiveLock))
		return -1;
	ensure_loaded();
	purge_stale_entries(seed.olog, &seed.dropped_logs, &seed.ndropped);

	log = LogCacheRefresh(LOGEXT_OFFSETS_LOG);
	for (int s = 0; s < log->parts[0].nsegments; s++)
	{
		Relation	rel = try_relation_open(log->parts[0].segments[s].relid,
											AccessShareLock);

		if (rel == NULL)
			continue;
		bytes += (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
		if (s == log->parts[0].nsegments - 1 &&
			LogSegmentNextOffset(rel) == log->parts[0].segments[s].base_offset)
		{
			/* the active segment is empty: a roll would start at its base */
			relation_close(rel, AccessShareLock);
			return 0;
		}
		relation_close(rel, AccessShareLock);
	}
	LWLockAcquire(offsets_lock, LW_SHARED);
	{
		HASH_SEQ_STATUS seq;
		OffsetEntry *entry;

		hash_seq_init(&seq, offsets_hash);
		while ((entry = hash_seq_search(&seq)) != NULL)
			if (entry->key.dbid == MyDatabaseId && entry->key.olog == seed.olog)
				nkeys++;
	}
	LWLockRelease(offsets_lock);
	if (!force &&
		bytes <= (int64) logext_offsets_compaction_threshold_kb * 1024 + 2 * (int64) nkeys * 64)
		return -1;

	if (!OidIsValid(LogRollPartition(&log, 0, seed_offsets, &seed)))
	{
		/* nothing was rolled, so nothing may be dropped */
		if (seed.dropped_logs)
			pfree(seed.dropped_logs);
		return 0;
	}

	/* keys deleted for good need no cache entry either */
	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	{
		HASH_SEQ_STATUS seq;
		OffsetEntry *entry;

		hash_seq_init(&seq, offsets_hash);
		while ((entry = hash_seq_search(&seq)) != NULL)
		{
			LogOffset	value;

			if (entry->key.dbid != MyDatabaseId || entry->key.olog != seed.olog ||
				entry->key.log_id == LOADED_MARKER)
				continue;
			prune_versions(entry->versions, &entry->nversions);
			if (!entry_busy(entry) &&
				!resolve(entry->versions, entry->nversions, &value))
				entry_remove(entry);
		}
	}
	LWLockRelease(offsets_lock);

	/*
	 * Every segment but the new one can go, oldest first: the scan would
	 * ignore older ones anyway, but a gap in the log is never left behind.
	 */
	log = LogCacheRefresh(LOGEXT_OFFSETS_LOG);
	for (int s = 0; s < log->parts[0].nsegments - 1; s++)
		if (!LogTryDropSegment(log->parts[0].segments[s].relid))
			break;
	elog(DEBUG1, "logext: compacted the consumer offsets log from " INT64_FORMAT " bytes to " INT64_FORMAT " offsets",
		 bytes, seed.nkeys);
	if (seed.dropped_logs)
		pfree(seed.dropped_logs);
	return seed.nkeys;
}

/*
 * Take one database off the list of those with offset commits since the
 * last call; InvalidOid when the list is empty (maintenance worker).
 */
Oid
LogOffsetsNextActiveDatabase(void)
{
	Oid			dbid = InvalidOid;

	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	for (int i = MAX_ACTIVE_DBS - 1; i >= 0; i--)
		if (OidIsValid(offsets_shared->active_dbs[i]))
		{
			dbid = offsets_shared->active_dbs[i];
			offsets_shared->active_dbs[i] = InvalidOid;
			break;
		}
	LWLockRelease(offsets_lock);
	return dbid;
}

/* ----------------------------------------------------------------
 * Offsets as of a snapshot (logext.dump)
 * ----------------------------------------------------------------
 */

typedef struct SnapshotOffset
{
	OffsetKey	key;
	LogOffset	value;
} SnapshotOffset;

/*
 * The committed offsets that snapshot sees, of the logs log_ids (sorted),
 * read from rels, the offsets log's segments as that snapshot's catalog
 * lists them, oldest first (locked by the caller).  The last record of a
 * key the snapshot sees wins: the key lock makes log order commit order
 * for a key.  Reading starts at the newest segment that starts with
 * compaction's seeds, like the cache load.  Returns how many, palloc'd,
 * ordered by log, partition and group (so that dumps compare equal).
 */
static int
group_offset_cmp(const void *a, const void *b)
{
	const LogGroupOffset *x = (const LogGroupOffset *) a;
	const LogGroupOffset *y = (const LogGroupOffset *) b;

	if (x->log_id != y->log_id)
		return x->log_id < y->log_id ? -1 : 1;
	if (x->partition != y->partition)
		return x->partition < y->partition ? -1 : 1;
	return strcmp(x->group, y->group);
}

static void
asof_set(const LogRecordHeader *hdr, const OffsetRecord *orec,
		 const char *group, void *arg)
{
	OffsetKey	key;
	SnapshotOffset *entry;

	make_key_in(&key, InvalidOid, group, orec->log_id, orec->partition);
	entry = hash_search((HTAB *) arg, &key, HASH_ENTER, NULL);
	entry->value = orec->next_offset;
}

int
LogOffsetsAsOf(List *rels, Snapshot snapshot, const int32 *log_ids,
			   int nlog_ids, LogGroupOffset **result)
{
	HTAB	   *local;
	HASH_SEQ_STATUS seq;
	SnapshotOffset *entry;
	int			n = 0;

	local = local_offsets_hash("logext offsets as of a snapshot", sizeof(SnapshotOffset));
	scan_offsets_records(rels, snapshot, log_ids, nlog_ids, asof_set, local);

	*result = palloc(sizeof(LogGroupOffset) * Max(hash_get_num_entries(local), 1));
	hash_seq_init(&seq, local);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (entry->value == NO_OFFSET)
			continue;			/* deleted */
		strlcpy((*result)[n].group, entry->key.group, sizeof((*result)[n].group));
		(*result)[n].log_id = entry->key.log_id;
		(*result)[n].partition = entry->key.partition;
		(*result)[n].next_offset = entry->value;
		n++;
	}
	hash_destroy(local);
	qsort(*result, n, sizeof(LogGroupOffset), group_offset_cmp);
	return n;
}
