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
 * pruned when a version is added; the key lock allows at most one
 * uncommitted version per key at a time, so the list stays short.
 *
 * The cache is rebuilt per database, on first use after start-up, by one
 * scan of the offsets log.  Replay does not maintain it, so during recovery
 * (hot standby) offsets are always read from the log itself; a promoted
 * standby starts with an empty cache.  The offsets log is compacted by rolling it over
 * to a new segment seeded with the latest committed offset of every key and
 * dropping the old segments (LogOffsetsCompact, run by the per-database
 * maintenance worker); readers of the log see it in log order, so a later
 * commit still wins over a seed.  The backend's own uncommitted commits are kept
 * locally (subtransaction-aware) so that a transaction reads its own.
 *
 * Key lock: log_commit() and log_read_group() take a heavyweight
 * ExclusiveLock on (group, log, partition) until the end of the
 * transaction, so two transactions never consume the same partition for
 * the same group at once: the second waits and then sees the first's
 * committed offset.  That is what makes consume-transform-produce
 * exactly-once.
 *
 * Lock order: catalog and relation locks first, then the offsets LWLock;
 * nothing waits for a heavyweight lock while holding it.
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
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "am/cursor.h"
#include "commit/pending.h"
#include "consumer/offsets.h"
#include "partition/roll.h"
#include "shmem.h"

#define OFFSET_VERSIONS		4
#define LOADED_MARKER		(-1)	/* log_id of the per-database marker */
#define NO_OFFSET			(-1)	/* value of a deleted (reset) key */

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

/* databases with offset commits since the maintenance worker last looked */
typedef struct ActiveDatabases
{
	Oid			dbids[MAX_ACTIVE_DBS];
} ActiveDatabases;

static HTAB *offsets_hash = NULL;
static LWLock *offsets_lock = NULL;
static ActiveDatabases *active_dbs = NULL;
static List *pending_offsets = NIL;	/* in TopTransactionContext */

void
LogOffsetsShmemRequest(void)
{
	RequestAddinShmemSpace(add_size(hash_estimate_size(logext_max_group_offsets,
													   sizeof(OffsetEntry)),
									sizeof(ActiveDatabases)));
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
								 logext_max_group_offsets,
								 logext_max_group_offsets,
								 &info, HASH_ELEM | HASH_BLOBS);
	offsets_lock = &(GetNamedLWLockTranche("logext_offsets"))->lock;
	active_dbs = ShmemInitStruct("logext active databases",
								 sizeof(ActiveDatabases), &found);
	if (!found)
		memset(active_dbs, 0, sizeof(ActiveDatabases));
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

/*
 * Drop aborted versions and those older than the newest committed one.
 */
static void
prune(OffsetEntry *entry)
{
	int			newest_committed = -1;
	int			n = 0;

	for (int i = 0; i < entry->nversions; i++)
	{
		TransactionId xid = entry->versions[i].xid;

		if (TransactionIdIsInProgress(xid))
			continue;
		if (TransactionIdDidCommit(xid))
			newest_committed = i;
		else
			entry->versions[i].xid = InvalidTransactionId;	/* aborted */
	}
	for (int i = Max(newest_committed, 0); i < entry->nversions; i++)
		if (TransactionIdIsValid(entry->versions[i].xid))
			entry->versions[n++] = entry->versions[i];
	entry->nversions = n;
}

/* add a version; offsets lock held exclusively */
static void
add_version(const OffsetKey *key, TransactionId xid, LogOffset value)
{
	bool		found;
	OffsetEntry *entry = hash_search(offsets_hash, key, HASH_ENTER_NULL, &found);

	if (entry == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("too many consumer group offsets"),
				 errhint("Increase logext.max_group_offsets and restart the server.")));
	if (!found)
		entry->nversions = 0;
	for (int i = 0; i < entry->nversions; i++)
		if (entry->versions[i].xid == xid)
		{
			entry->versions[i].value = value;
			return;
		}
	prune(entry);
	if (entry->nversions == OFFSET_VERSIONS)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("too many uncommitted offset commits for group \"%s\"",
						key->group)));
	entry->versions[entry->nversions].xid = xid;
	entry->versions[entry->nversions].value = value;
	entry->nversions++;
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

typedef void (*OffsetVisitor) (const OffsetKey *key, TransactionId xid,
							   LogOffset value, void *arg);

/* open every segment of the offsets log (before taking any LWLock) */
static List *
open_offsets_log(void)
{
	LogCacheEntry *log = LogCacheRefresh(LOGEXT_OFFSETS_LOG);
	List	   *rels = NIL;

	for (int s = 0; s < log->parts[0].nsegments; s++)
	{
		Relation	rel = try_relation_open(log->parts[0].segments[s].relid,
											AccessShareLock);

		if (rel)
			rels = lappend(rels, rel);
	}
	return rels;
}

static void
close_offsets_log(List *rels)
{
	ListCell   *lc;

	foreach(lc, rels)
		relation_close((Relation) lfirst(lc), AccessShareLock);
}

/*
 * Visit every record of the offsets log whose transaction committed or is
 * still running, in log order.
 */
static void
scan_offsets_log(List *rels, Oid olog, OffsetVisitor visit, void *arg)
{
	ListCell   *lc;

	foreach(lc, rels)
	{
		LogCursor	c;
		LogRecordHeader hdr;

		LogCursorInit(&c, (Relation) lfirst(lc), NULL);
		while (LogCursorPeek(&c, &hdr))
		{
			bool		live = (hdr.flags & LOG_REC_INVALID) == 0 &&
			((hdr.flags & (LOG_REC_FROZEN | LOG_REC_COMMITTED)) != 0 ||
			 TransactionIdIsInProgress(hdr.xid) ||
			 TransactionIdDidCommit(hdr.xid));

			if (live)
			{
				LogRecordData rec;
				OffsetRecord orec;
				OffsetKey	key;
				char	   *group;

				LogCursorReadRecord(&c, &hdr, &rec);
				if (rec.key == NULL || VARSIZE(rec.value) - VARHDRSZ != sizeof(OffsetRecord))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("invalid record at offset " INT64_FORMAT " of the consumer offsets log",
									hdr.offset)));
				memcpy(&orec, VARDATA(rec.value), sizeof(OffsetRecord));
				group = text_to_cstring(rec.key);
				make_key_in(&key, olog, group, orec.log_id, orec.partition);
				visit(&key,
					  FrozenTransactionId, /* MUTATION */
					  orec.next_offset, arg);
				pfree(group);
				pfree(rec.key);
				pfree(rec.value);
			}
			LogCursorUnlock(&c);
			LogCursorAdvance(&c, &hdr);
		}
		LogCursorEnd(&c);
	}
}

static void
visit_add_version(const OffsetKey *key, TransactionId xid, LogOffset value,
				  void *arg)
{
	add_version(key, xid, value);
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
	bool		found;
	List	   *rels;

	LogextRequirePreload();
	make_key(&marker, "", LOADED_MARKER, 0);
	LWLockAcquire(offsets_lock, LW_SHARED);
	found = hash_search(offsets_hash, &marker, HASH_FIND, NULL) != NULL;
	LWLockRelease(offsets_lock);
	if (found)
		return;

	rels = open_offsets_log();
	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	if (hash_search(offsets_hash, &marker, HASH_FIND, NULL) == NULL)
	{
		scan_offsets_log(rels, marker.olog, visit_add_version, NULL);
		hash_search(offsets_hash, &marker, HASH_ENTER, &found);
	}
	LWLockRelease(offsets_lock);
	close_offsets_log(rels);
}

/* standby: the latest committed value per key, straight from the log */
static void
visit_local(const OffsetKey *key, TransactionId xid, LogOffset value, void *arg)
{
	HTAB	   *local = (HTAB *) arg;
	bool		found;
	OffsetEntry *entry;

	if (TransactionIdIsInProgress(xid) || !TransactionIdDidCommit(xid))
		return;
	entry = hash_search(local, key, HASH_ENTER, &found);
	entry->nversions = 1;
	entry->versions[0].xid = FrozenTransactionId;
	entry->versions[0].value = value;
}

static HTAB *
local_offsets(void)
{
	HASHCTL		ctl;
	HTAB	   *local;
	List	   *rels = open_offsets_log();

	ctl.keysize = sizeof(OffsetKey);
	ctl.entrysize = sizeof(OffsetEntry);
	ctl.hcxt = CurrentMemoryContext;
	local = hash_create("logext standby offsets", 64, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	scan_offsets_log(rels, offsets_log_relid(), visit_local, local);
	close_offsets_log(rels);
	return local;
}

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
 * and holds the key lock.
 */
void
LogOffsetsCommit(const char *group, LogCacheEntry *log, int32 partition,
				 LogOffset next_offset)
{
	LogCacheEntry *olog = LogCacheLookup(LOGEXT_OFFSETS_LOG);
	OffsetRecord orec;
	PendingOffset *p;
	MemoryContext old;

	orec.log_id = log->log_id;
	orec.partition = partition;
	orec.next_offset = next_offset;
	LogPendingAppend(olog, 0, group, strlen(group), NULL, (char *) &orec,
					 sizeof(OffsetRecord));

	old = MemoryContextSwitchTo(TopTransactionContext);
	p = palloc(sizeof(PendingOffset));
	make_key(&p->key, group, log->log_id, partition);
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
 * transaction's versions.
 */
void
LogOffsetsPreCommit(void)
{
	TransactionId xid;
	ListCell   *lc;

	if (pending_offsets == NIL)
		return;
	ensure_loaded();
	xid = GetTopTransactionId();
	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);

		add_version(&p->key, xid, p->value);
	}
	/* tell the maintenance worker to look at this database */
	{
		int			free_slot = -1;
		bool		listed = false;

		for (int i = 0; i < MAX_ACTIVE_DBS; i++)
		{
			if (active_dbs->dbids[i] == MyDatabaseId)
				listed = true;
			else if (!OidIsValid(active_dbs->dbids[i]) && free_slot < 0)
				free_slot = i;
		}
		if (!listed && free_slot >= 0)
			active_dbs->dbids[free_slot] = MyDatabaseId;
	}
	LWLockRelease(offsets_lock);
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

/*
 * Seed for the compacted offsets log: the latest committed offset of every
 * key.  Runs under the old segment's partition lock with no write in
 * flight, so every offsets record there has been decided and published.
 */
static int
seed_offsets(void *arg, StringInfo buf)
{
	Oid			olog = *(Oid *) arg;
	HASH_SEQ_STATUS seq;
	OffsetEntry *entry;
	int			n = 0;

	LWLockAcquire(offsets_lock, LW_SHARED);
	hash_seq_init(&seq, offsets_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		LogOffset	value;
		LogRecordHeader hdr;
		OffsetRecord orec;
		uint16		klen = strlen(entry->key.group);

		if (entry->key.dbid != MyDatabaseId || entry->key.olog != olog ||
			entry->key.log_id == LOADED_MARKER ||
			!resolve(entry->versions, entry->nversions, &value))
			continue;
		memset(&hdr, 0, sizeof(hdr));
		hdr.length = LOG_REC_HEADER_SIZE + klen + sizeof(OffsetRecord);
		hdr.flags = LOG_REC_HAS_KEY;
		hdr.key_len = klen;
		orec.log_id = entry->key.log_id;
		orec.partition = entry->key.partition;
		orec.next_offset = value;
		appendBinaryStringInfo(buf, (char *) &hdr, LOG_REC_HEADER_SIZE);
		appendBinaryStringInfo(buf, entry->key.group, klen);
		appendBinaryStringInfo(buf, (char *) &orec, sizeof(OffsetRecord));
		n++;
	}
	LWLockRelease(offsets_lock);
	return n;
}

/*
 * Compact the offsets log: roll it over to a new segment that starts with
 * the latest committed offset of every key, then drop the old segments that
 * nobody is reading.  Unless force, only when it has grown past
 * logext.offsets_compaction_threshold plus twice what compaction would
 * keep.  Returns the number of offsets kept, or -1 if nothing was done.
 */
int64
LogOffsetsCompact(bool force)
{
	LogCacheEntry *log;
	Oid			olog = offsets_log_relid();
	int64		bytes = 0;
	long		nkeys;
	int64		kept = 0;

	/* one compaction at a time (self-conflicting, but not with DML) */
	if (!ConditionalLockRelationOid(get_relname_relid("segments",
													  get_namespace_oid("logext", false)),
									ShareUpdateExclusiveLock))
		return -1;
	ensure_loaded();
	log = LogCacheRefresh(LOGEXT_OFFSETS_LOG);
	for (int s = 0; s < log->parts[0].nsegments; s++)
	{
		Relation	rel = try_relation_open(log->parts[0].segments[s].relid,
											AccessShareLock);

		if (rel == NULL)
			continue;
		bytes += (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
		relation_close(rel, AccessShareLock);
	}
	LWLockAcquire(offsets_lock, LW_SHARED);
	nkeys = hash_get_num_entries(offsets_hash);
	LWLockRelease(offsets_lock);
	if (!force &&
		bytes <= (int64) logext_offsets_compaction_threshold_kb * 1024 + 2 * nkeys * 64)
		return -1;

	LogRollPartition(&log, 0, seed_offsets, &olog);

	/* keys deleted for good need no cache entry either */
	LWLockAcquire(offsets_lock, LW_EXCLUSIVE);
	{
		HASH_SEQ_STATUS seq;
		OffsetEntry *entry;

		hash_seq_init(&seq, offsets_hash);
		while ((entry = hash_seq_search(&seq)) != NULL)
		{
			LogOffset	value;

			if (entry->key.dbid != MyDatabaseId || entry->key.olog != olog ||
				entry->key.log_id == LOADED_MARKER)
				continue;
			prune(entry);
			if (entry->nversions == 1 &&
				!TransactionIdIsInProgress(entry->versions[0].xid) &&
				!resolve(entry->versions, 1, &value))
				hash_search(offsets_hash, &entry->key, HASH_REMOVE, NULL);
		}
	}
	LWLockRelease(offsets_lock);

	/* every segment but the new one can go, unless someone reads it now */
	log = LogCacheRefresh(LOGEXT_OFFSETS_LOG);
	for (int s = 0; s < log->parts[0].nsegments - 1; s++)
		LogTryDropSegment(log->parts[0].segments[s].relid);
	{
		Relation	rel = LogOpenSegment(&log, 0, -1, AccessShareLock);

		kept = LogSegmentNextOffset(rel) - log->parts[0].segments[log->parts[0].nsegments - 1].base_offset;
		relation_close(rel, AccessShareLock);
	}
	elog(DEBUG1, "logext: compacted the consumer offsets log from " INT64_FORMAT " bytes to " INT64_FORMAT " offsets",
		 bytes, kept);
	return kept;
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
		if (OidIsValid(active_dbs->dbids[i]))
		{
			dbid = active_dbs->dbids[i];
			active_dbs->dbids[i] = InvalidOid;
			break;
		}
	LWLockRelease(offsets_lock);
	return dbid;
}
