/*-------------------------------------------------------------------------
 *
 * dumpscan.c
 *	  Scanning logext.dump: every log, segment, record and consumer offset
 *	  as of the scan's snapshot, as rows (what pg_dump writes).
 *
 * The rows come in the order the restore (dump/restore.c) needs them:
 *	'log'      log_name, appended_at = created, settings = {"partitions": n,
 *			   "retention": ..., ...} (the log's settings, intervals in ISO 8601)
 *	then per partition, per segment (oldest first):
 *	'segment'  partition, log_offset = base offset, appended_at = created
 *	'record'   partition, log_offset, appended_at, key, value, headers
 *	and after the last segment of the partition:
 *	'end'      partition, log_offset = the partition's next offset
 *	and after every log:
 *	'offset'   group, log_name, partition, log_offset = committed offset.
 * logext's internal logs are not dumped; their contents (consumer offsets)
 * are, as 'offset' rows.
 *
 * Everything is read with the scan's snapshot, which for pg_dump is the
 * snapshot of the whole dump (also with --jobs, which shares it): the
 * catalog, the records (a record whose transaction is in progress or
 * aborted for the snapshot is left out, so its offset restores as a hole,
 * as a heap row of such a transaction would not be restored at all), and
 * the consumer offsets, so that a table written in the same transaction as
 * a log_commit() restores consistently with the group's position.  Offsets
 * are dense and given out in order, so everything a reader could have read
 * at the snapshot is there.
 *
 * When the scan starts it takes the log lock of every log (AccessShareLock,
 * as appenders do, so log_drop() waits for the dump) and a lock on every
 * segment of the consumer offsets log (compaction does not drop a segment
 * someone holds).  A log dropped, or an offsets log compacted, between the
 * snapshot and that moment fails the scan with an error asking to run the
 * dump again, rather than dumping less than the snapshot saw.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/dump/dumpscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/relscan.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "consumer/offsetlog.h"
#include "dump/dump.h"
#include "meta/logcache.h"
#include "segment/cursor.h"
#include "segment/visibility.h"

typedef struct DumpSegment
{
	int32		log_id;
	int32		partition;
	LogOffset	base;
	Oid			relid;
	TimestampTz created_at;
} DumpSegment;

typedef struct DumpLog
{
	int32		log_id;
	char	   *name;
	int32		nparts;
	TimestampTz created_at;
	char	   *settings;		/* jsonb text of the settings object */
	int			first_seg;		/* its segments in DumpScanDescData.segs */
	int			nsegs;
} DumpLog;

typedef enum DumpPhase
{
	PHASE_LOG,
	PHASE_SEGMENT,
	PHASE_RECORDS,
	PHASE_END,
	PHASE_OFFSETS,
	PHASE_DONE
} DumpPhase;

typedef struct DumpScanDescData
{
	TableScanDescData base;
	MemoryContext cxt;			/* lives as long as the scan */
	MemoryContext rowcxt;		/* reset for every row */
	bool		loaded;
	DumpPhase	phase;
	DumpLog    *logs;
	int			nlogs;
	int			cur_log;
	DumpSegment *segs;
	int			nsegs;
	int			cur_seg;
	Relation	seg_rel;		/* segment being read, or NULL */
	BufferAccessStrategy strategy;	/* bulk-read ring, for every segment */
	LogCursor	cursor;
	LogOffset	next;			/* next offset of the partition so far */
	LogGroupOffset *offsets;
	int			noffsets;
	int			cur_offset;
} DumpScanDescData;

typedef DumpScanDescData *DumpScanDesc;

TableScanDesc
LogDumpScanBegin(Relation rel, Snapshot snapshot, int nkeys,
				 struct ScanKeyData *key, ParallelTableScanDesc pscan,
				 uint32 flags)
{
	DumpScanDesc scan;

	if (pscan != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot scan logext.dump in parallel")));
	LogDumpCheckShape(rel);
	scan = palloc0(sizeof(DumpScanDescData));
	scan->base.rs_rd = rel;
	scan->base.rs_snapshot = snapshot;
	scan->base.rs_nkeys = nkeys;
	scan->base.rs_flags = flags;
	scan->cxt = AllocSetContextCreate(CurrentMemoryContext, "logext dump scan",
									  ALLOCSET_DEFAULT_SIZES);
	scan->rowcxt = AllocSetContextCreate(scan->cxt, "logext dump row",
										 ALLOCSET_DEFAULT_SIZES);
	/* one ring for the whole scan, not in rowcxt, which each row resets */
	scan->strategy = GetAccessStrategy(BAS_BULKREAD);
	return (TableScanDesc) scan;
}

static void
close_segment(DumpScanDesc scan)
{
	if (scan->seg_rel != NULL)
	{
		LogCursorEnd(&scan->cursor);

		/*
		 * The log's lock keeps log_drop() away, and nothing else drops a
		 * user log's segments; holding every segment's lock to the end
		 * would only fill the lock table.
		 */
		relation_close(scan->seg_rel, AccessShareLock);
		scan->seg_rel = NULL;
	}
}

void
LogDumpScanEnd(TableScanDesc sscan)
{
	DumpScanDesc scan = (DumpScanDesc) sscan;

	close_segment(scan);
	FreeAccessStrategy(scan->strategy);
	MemoryContextDelete(scan->cxt);
	if (scan->base.rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(scan->base.rs_snapshot);
	pfree(scan);
}

void
LogDumpScanRescan(TableScanDesc sscan, struct ScanKeyData *key,
				  bool set_params, bool allow_strat, bool allow_sync,
				  bool allow_pagemode)
{
	DumpScanDesc scan = (DumpScanDesc) sscan;

	close_segment(scan);
	scan->phase = PHASE_LOG;
	scan->cur_log = 0;
	scan->cur_offset = 0;
}

static Snapshot
scan_snapshot(DumpScanDesc scan)
{
	Snapshot	snapshot = scan->base.rs_snapshot;

	if (snapshot == NULL || !IsMVCCSnapshot(snapshot))
		snapshot = GetActiveSnapshot();
	return snapshot;
}

/* run a catalog query with the scan's snapshot (SPI connected) */
static void
snapshot_query(DumpScanDesc scan, const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);

	if (plan == NULL ||
		SPI_execute_snapshot(plan, NULL, NULL, scan_snapshot(scan),
							 InvalidSnapshot, true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "logext: could not read the log catalog for logext.dump");
	SPI_freeplan(plan);
}

static Datum
col(int row, int attno, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
						 attno, isnull);
}

/* open and lock the offsets log's segments as the snapshot lists them */
static List *
open_offsets_segments(DumpScanDesc scan, const DumpSegment *segs, int n)
{
	List	   *rels = NIL;

	for (int i = 0; i < n; i++)
	{
		Relation	rel;

		if (segs[i].log_id != LOGEXT_OFFSETS_LOG_ID)
			continue;
		rel = try_relation_open(segs[i].relid, AccessShareLock);
		if (rel == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the consumer offsets log was compacted while logext.dump was being read"),
					 errdetail("The offsets as of the snapshot of the dump are gone."),
					 errhint("Run the dump again.")));
		rels = lappend(rels, rel);
	}
	return rels;
}

/* read the catalog, take the locks, collect the consumer offsets */
/*
 * An interval as ISO 8601 ("P1M2DT3.5S", zero parts left out), which
 * interval input reads whatever IntervalStyle is in effect.
 */
static void
append_interval(StringInfo buf, Datum d, bool isnull)
{
	Interval   *iv;

	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	iv = DatumGetIntervalP(d);
	appendStringInfoString(buf, "\"P");
	if (iv->month != 0)
		appendStringInfo(buf, "%dM", iv->month);
	if (iv->day != 0)
		appendStringInfo(buf, "%dD", iv->day);
	if (iv->time != 0 || (iv->month == 0 && iv->day == 0))
	{
		int64		usecs = Abs(iv->time);

		appendStringInfo(buf, "T%s" INT64_FORMAT, iv->time < 0 ? "-" : "",
						 usecs / USECS_PER_SEC);
		if (usecs % USECS_PER_SEC != 0)
			appendStringInfo(buf, ".%06d", (int) (usecs % USECS_PER_SEC));
		appendStringInfoChar(buf, 'S');
	}
	appendStringInfoChar(buf, '"');
}

static void
append_bigint(StringInfo buf, Datum d, bool isnull)
{
	if (isnull)
		appendStringInfoString(buf, "null");
	else
		appendStringInfo(buf, INT64_FORMAT, DatumGetInt64(d));
}

/*
 * The settings of row i of the logs query (columns 5 to 10) as a JSON
 * object, in scan->cxt: what restore.c gives to log_alter.
 */
static char *
settings_json(MemoryContext cxt, int i, int32 nparts)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"partitions\": %d", nparts);
	for (int k = 0; k < LOG_DUMP_NSETTINGS; k++)
	{
		bool		isnull;
		Datum		d = col(i, 5 + k, &isnull);	/* columns 5 .. 10 */

		appendStringInfo(&buf, ", \"%s\": ", LogDumpSettings[k].key);
		if (LogDumpSettings[k].type == INTERVALOID)
			append_interval(&buf, d, isnull);
		else if (LogDumpSettings[k].type == INT8OID)
			append_bigint(&buf, d, isnull);
		else
			escape_json(&buf, isnull ? "delete" : TextDatumGetCString(d));
	}
	appendStringInfoChar(&buf, '}');
	return MemoryContextStrdup(cxt, buf.data);
}

static void
load(DumpScanDesc scan)
{
	MemoryContext old = MemoryContextSwitchTo(scan->cxt);
	int			nall;
	DumpLog    *all;
	DumpSegment *segs;
	int32	   *ids;
	List	   *offsets_rels;
	ListCell   *lc;
	int			s = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	snapshot_query(scan, "SELECT l.log_id, l.log_name, l.partitions, l.created_at, "
				   "l.retention, l.retention_bytes, l.segment_bytes, l.segment_age, "
				   "l.cleanup_policy, l.delete_retention "
				   "FROM logext.logs l ORDER BY l.log_id");
	nall = (int) SPI_processed;
	all = MemoryContextAllocZero(scan->cxt, sizeof(DumpLog) * Max(nall, 1));
	for (int i = 0; i < nall; i++)
	{
		bool		isnull;

		all[i].log_id = DatumGetInt32(col(i, 1, &isnull));
		all[i].name = MemoryContextStrdup(scan->cxt,
										  TextDatumGetCString(col(i, 2, &isnull)));
		all[i].nparts = DatumGetInt32(col(i, 3, &isnull));
		all[i].created_at = DatumGetTimestampTz(col(i, 4, &isnull));
		all[i].settings = settings_json(scan->cxt, i, all[i].nparts);
	}
	snapshot_query(scan, "SELECT s.log_id, s.partition, s.base_offset, s.relid::pg_catalog.oid, "
				   "s.created_at FROM logext.segments s "
				   "ORDER BY s.log_id, s.partition, s.base_offset");
	scan->nsegs = (int) SPI_processed;
	segs = MemoryContextAllocZero(scan->cxt, sizeof(DumpSegment) * Max(scan->nsegs, 1));
	for (int i = 0; i < scan->nsegs; i++)
	{
		bool		isnull;

		segs[i].log_id = DatumGetInt32(col(i, 1, &isnull));
		segs[i].partition = DatumGetInt32(col(i, 2, &isnull));
		segs[i].base = DatumGetInt64(col(i, 3, &isnull));
		segs[i].relid = DatumGetObjectId(col(i, 4, &isnull));
		segs[i].created_at = DatumGetTimestampTz(col(i, 5, &isnull));
	}
	SPI_finish();
	scan->segs = segs;

	/* the logs to dump (not the internal ones), with their segments */
	scan->logs = palloc0(sizeof(DumpLog) * Max(nall, 1));
	ids = palloc(sizeof(int32) * Max(nall, 1));
	for (int i = 0; i < nall; i++)
	{
		DumpLog    *log = &all[i];

		while (s < scan->nsegs && segs[s].log_id < log->log_id)
			s++;
		log->first_seg = s;
		while (s < scan->nsegs && segs[s].log_id == log->log_id)
			s++;
		log->nsegs = s - log->first_seg;
		if (strncmp(log->name, "__", 2) == 0)
			continue;
		if (log->nsegs == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("log \"%s\" has no segment in logext.segments", log->name)));
		LogLockLog(log->log_id, AccessShareLock);
		ids[scan->nlogs] = log->log_id;
		scan->logs[scan->nlogs++] = *log;
	}

	offsets_rels = open_offsets_segments(scan, segs, scan->nsegs);
	scan->noffsets = LogOffsetsAsOf(offsets_rels, scan_snapshot(scan),
									ids, scan->nlogs, &scan->offsets);
	foreach(lc, offsets_rels)
		relation_close((Relation) lfirst(lc), NoLock);
	list_free(offsets_rels);
	pfree(ids);
	MemoryContextSwitchTo(old);
	scan->loaded = true;
	scan->phase = PHASE_LOG;
}

/* a row with the common columns set and the others NULL */
static void
begin_row(TupleTableSlot *slot, const char *item, const char *log_name,
		  int32 partition)
{
	for (int i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
	}
	slot->tts_values[DUMP_ITEM] = CStringGetTextDatum(item);
	slot->tts_isnull[DUMP_ITEM] = false;
	slot->tts_values[DUMP_LOG_NAME] = CStringGetTextDatum(log_name);
	slot->tts_isnull[DUMP_LOG_NAME] = false;
	if (partition >= 0)
	{
		slot->tts_values[DUMP_PARTITION] = Int32GetDatum(partition);
		slot->tts_isnull[DUMP_PARTITION] = false;
	}
}

static void
set_col(TupleTableSlot *slot, int attno, Datum value)
{
	slot->tts_values[attno] = value;
	slot->tts_isnull[attno] = false;
}

static char *
log_name_of(DumpScanDesc scan, int32 log_id)
{
	for (int i = 0; i < scan->nlogs; i++)
		if (scan->logs[i].log_id == log_id)
			return scan->logs[i].name;
	return NULL;
}

static void
open_segment(DumpScanDesc scan, DumpLog *log, DumpSegment *seg)
{
	scan->seg_rel = try_relation_open(seg->relid, AccessShareLock);
	if (scan->seg_rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a segment of log \"%s\" was dropped while logext.dump was being read",
						log->name),
				 errhint("Run the dump again.")));
	LogCursorInit(&scan->cursor, scan->seg_rel, scan->strategy);

	/*
	 * Pages added after this point hold nothing the snapshot sees; not
	 * following them keeps a dump of a busy log finite.
	 */
	LogCursorFixEnd(&scan->cursor);
	LogCursorSeekBlock(&scan->cursor, LOG_FIRST_DATA_BLKNO, false);
	scan->next = seg->base;
}

/*
 * The next record of the current segment that the snapshot sees, as a row;
 * false at the end of the segment.  Records it does not see still advance
 * the partition's next offset.
 */
static bool
next_record(DumpScanDesc scan, DumpLog *log, DumpSegment *seg,
			TupleTableSlot *slot)
{
	LogCursor  *c = &scan->cursor;
	LogRecordHeader hdr;

	while (LogCursorPeek(c, &hdr))
	{
		CHECK_FOR_INTERRUPTS();
		scan->next = hdr.offset + 1;
		if (LogRecordVisibility(c->buf, c->pos, &hdr, scan_snapshot(scan)) == LOG_VISIBLE)
		{
			LogRecordData rec;

			LogCursorReadRecord(c, &hdr, &rec);
			LogCursorUnlock(c);
			LogCursorAdvance(c, &hdr);
			begin_row(slot, "record", log->name, seg->partition);
			set_col(slot, DUMP_LOG_OFFSET, Int64GetDatum(hdr.offset));
			set_col(slot, DUMP_APPENDED_AT, TimestampTzGetDatum(hdr.appended_at));
			if (rec.key != NULL)
				set_col(slot, DUMP_KEY, PointerGetDatum(rec.key));
			set_col(slot, DUMP_VALUE, PointerGetDatum(rec.value));
			if (rec.headers != NULL)
				set_col(slot, DUMP_HEADERS, PointerGetDatum(rec.headers));
			return true;
		}
		LogCursorUnlock(c);
		LogCursorAdvance(c, &hdr);
	}
	return false;
}

bool
LogDumpScanNext(TableScanDesc sscan, ScanDirection direction,
				TupleTableSlot *slot)
{
	DumpScanDesc scan = (DumpScanDesc) sscan;
	MemoryContext old;
	bool		found = false;

	ExecClearTuple(slot);
	if (!scan->loaded)
		load(scan);
	MemoryContextReset(scan->rowcxt);
	old = MemoryContextSwitchTo(scan->rowcxt);

	while (!found && scan->phase != PHASE_DONE)
	{
		DumpLog    *log = scan->cur_log < scan->nlogs ? &scan->logs[scan->cur_log] : NULL;
		DumpSegment *seg = log ? &scan->segs[scan->cur_seg] : NULL;

		switch (scan->phase)
		{
			case PHASE_LOG:
				if (log == NULL)
				{
					scan->phase = PHASE_OFFSETS;
					break;
				}
				begin_row(slot, "log", log->name, -1);
				set_col(slot, DUMP_APPENDED_AT, TimestampTzGetDatum(log->created_at));
				set_col(slot, DUMP_SETTINGS,
						DirectFunctionCall1(jsonb_in, CStringGetDatum(log->settings)));
				scan->cur_seg = log->first_seg;
				scan->phase = PHASE_SEGMENT;
				found = true;
				break;
			case PHASE_SEGMENT:
				open_segment(scan, log, seg);
				begin_row(slot, "segment", log->name, seg->partition);
				set_col(slot, DUMP_LOG_OFFSET, Int64GetDatum(seg->base));
				set_col(slot, DUMP_APPENDED_AT, TimestampTzGetDatum(seg->created_at));
				scan->phase = PHASE_RECORDS;
				found = true;
				break;
			case PHASE_RECORDS:
				if (next_record(scan, log, seg, slot))
				{
					found = true;
					break;
				}
				close_segment(scan);
				if (scan->cur_seg + 1 < log->first_seg + log->nsegs &&
					scan->segs[scan->cur_seg + 1].partition == seg->partition)
				{
					scan->cur_seg++;
					scan->phase = PHASE_SEGMENT;
				}
				else
					scan->phase = PHASE_END;
				break;
			case PHASE_END:
				begin_row(slot, "end", log->name, seg->partition);
				set_col(slot, DUMP_LOG_OFFSET, Int64GetDatum(scan->next));
				if (scan->cur_seg + 1 < log->first_seg + log->nsegs)
				{
					scan->cur_seg++;
					scan->phase = PHASE_SEGMENT;
				}
				else
				{
					scan->cur_log++;
					scan->phase = PHASE_LOG;
				}
				found = true;
				break;
			case PHASE_OFFSETS:
				if (scan->cur_offset >= scan->noffsets)
				{
					scan->phase = PHASE_DONE;
					break;
				}
				{
					LogGroupOffset *o = &scan->offsets[scan->cur_offset++];
					char	   *name = log_name_of(scan, o->log_id);

					if (name == NULL)
						break;
					begin_row(slot, "offset", name, o->partition);
					set_col(slot, DUMP_LOG_OFFSET, Int64GetDatum(o->next_offset));
					set_col(slot, DUMP_GROUP, CStringGetTextDatum(o->group));
					found = true;
				}
				break;
			case PHASE_DONE:
				break;
		}
	}
	MemoryContextSwitchTo(old);
	if (!found)
		return false;
	ExecStoreVirtualTuple(slot);
	return true;
}
