/*-------------------------------------------------------------------------
 *
 * offsetlog.c
 *	  The consumer offsets log on disk: its records, the catalog lookups
 *	  that find its segments, and scans of it (to load the cache, to read
 *	  offsets on a standby, and as of a snapshot for logext.dump).
 *
 * A record's key is the group name and its value an OffsetRecord (log id,
 * partition, next offset); compaction's seed marker is a record with an
 * empty key and log id LOADED_MARKER.  A scan starts at the newest segment
 * that begins with a seed marker: seeds hold the whole state as of their
 * segment's start, and a later record still wins over a seed because it
 * comes later in log order.
 *
 * Replay does not maintain the cache, so during recovery (hot standby)
 * offsets are read from the log itself, by the same scan (OffsetsLogLocal).
 *
 * Nothing here takes an LWLock; scans can be cancelled.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetlog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/transam.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/rel.h"

#include "consumer/offsetlog.h"
#include "meta/logcache.h"
#include "segment/cursor.h"
#include "segment/visibility.h"

#define OPEN_ATTEMPTS		100

/* ----------------------------------------------------------------
 * Catalog lookups (no LWLock held)
 * ----------------------------------------------------------------
 */

int
OffsetsLogIdCmp(const void *a, const void *b)
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
int32 *
OffsetsExistingLogIds(int *n)
{
	Datum	   *d = latest_catalog_query("SELECT log_id FROM logext.logs ORDER BY 1", n);
	int32	   *ids = palloc(sizeof(int32) * Max(*n, 1));

	for (int i = 0; i < *n; i++)
		ids[i] = DatumGetInt32(d[i]);
	pfree(d);
	return ids;
}

bool
OffsetsLogIdIn(int32 log_id, const int32 *ids, int n)
{
	return n > 0 && bsearch(&log_id, ids, n, sizeof(int32), OffsetsLogIdCmp) != NULL;
}

/* ----------------------------------------------------------------
 * Reading the offsets log
 * ----------------------------------------------------------------
 */

void
OffsetsLogClose(List *rels)
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
List *
OffsetsLogOpen(void)
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
		OffsetsLogClose(rels);
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
	if (!OffsetVersionsAdd(entry->versions, &entry->nversions, xid, value))
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
				(log_ids == NULL || OffsetsLogIdIn(orec.log_id, log_ids, nlog_ids)))
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

	OffsetKeyInit(&key, st->olog, group, orec->log_id, orec->partition);
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
HTAB *
OffsetsLogScan(List *rels, Oid olog, const int32 *log_ids, int nlog_ids)
{
	OffsetsScanState st;

	st.local = local_offsets_hash("logext offsets scan", sizeof(OffsetEntry));
	st.olog = olog;
	scan_offsets_records(rels, NULL, log_ids, nlog_ids, scan_add_version, &st);
	return st.local;
}

/* standby: the version lists of every key, straight from the log */
HTAB *
OffsetsLogLocal(void)
{
	List	   *rels = OffsetsLogOpen();
	HTAB	   *local = OffsetsLogScan(rels, OffsetsInstallation(), NULL, 0);

	OffsetsLogClose(rels);
	return local;
}

/* ----------------------------------------------------------------
 * Writing records: compaction's seeds
 * ----------------------------------------------------------------
 */

void
OffsetsSeedAppend(StringInfo buf, const char *group, int32 log_id, int32 partition,
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

/* ----------------------------------------------------------------
 * Offsets as of a snapshot (logext.dump)
 * ----------------------------------------------------------------
 */

typedef struct SnapshotOffset
{
	OffsetKey	key;
	LogOffset	value;
} SnapshotOffset;

/* order of logext.dump's offset rows: log, partition, group */
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

	OffsetKeyInit(&key, InvalidOid, group, orec->log_id, orec->partition);
	entry = hash_search((HTAB *) arg, &key, HASH_ENTER, NULL);
	entry->value = orec->next_offset;
}

/*
 * The committed offsets that snapshot sees, of the logs log_ids (sorted),
 * read from rels, the offsets log's segments as that snapshot's catalog
 * lists them, oldest first (locked by the caller).  The last record of a
 * key the snapshot sees wins: the key lock makes log order commit order
 * for a key.  Reading starts at the newest segment that starts with
 * compaction's seeds, like the cache load.  Returns how many, palloc'd,
 * ordered by log, partition and group (so that dumps compare equal).
 */
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
