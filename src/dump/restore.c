/*-------------------------------------------------------------------------
 *
 * restore.c
 *	  Inserting into logext.dump: recreating the logs, segments, records
 *	  and consumer offsets that a scan of it produced (what pg_restore, or
 *	  psql running a plain dump, does with COPY logext.dump FROM stdin).
 *
 * The rows must come in the order dump/dumpscan.c writes them, within one
 * transaction (one COPY, or a restore with --single-transaction for a dump
 * made with --inserts):
 *	'log'      log_create(), as the restoring role (which needs the right
 *	           to create logs); a view logext_logs."<log>" that the dump
 *	           already restored is taken over with its owner and grants;
 *	           the creation time is the dumped one;
 *	'segment'  the partition's next segment, at its base offset;
 *	'record'   one record, with its offset and timestamp;
 *	'end'      the partition's next offset;
 *	'offset'   a consumer group's committed offset (log_commit()).
 * Offsets the dump does not hold (holes: records of transactions that
 * failed after their write, or were in progress for the dump's snapshot)
 * are filled with invalid records, so every offset keeps its place and the
 * restored log goes on at the dumped next offset.
 *
 * Records are written straight into the segments while the rows arrive,
 * with the xid of the (sub)transaction that inserts the row, as if it had
 * appended them: the log was created by this transaction, so nobody else
 * can use it before it commits, and if it aborts its segments go with it;
 * records of a subtransaction that aborts read as holes; a snapshot older
 * than the commit sees none of them; VACUUM freezes them like any other
 * records.  Offsets are the dumped ones, not commit-time ones: the
 * transaction owns the whole log, so no offset can be taken twice.  The
 * writer's state is kept in a backend-local slot, not in shared memory;
 * the first append after the commit reads the segment's end from disk.  Nothing is buffered
 * until commit, so memory stays bounded however large the dump.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/dump/restore.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "api/admin.h"
#include "consumer/offsets.h"
#include "dump/dump.h"
#include "meta/logacl.h"
#include "meta/logcache.h"
#include "partition/roll.h"
#include "segment/page.h"
#include "segment/writer.h"
#include "shmem.h"

/* the log being restored by this transaction */
typedef struct RestoreState
{
	char		log_name[LOGEXT_MAX_NAME_LEN + 1];
	int32		log_id;
	int32		nparts;
	Oid		   *first_relids;	/* each partition's segment from log_create */
	int32		partition;		/* current partition, -1 before the first */
	Oid			relid;			/* its current segment */
	LogPartSlot slot;			/* writer state of that segment (local) */
	LogOffset	next;			/* next offset of the partition */
	TimestampTz last_appended_at;
} RestoreState;

static RestoreState *restore = NULL;	/* in TopTransactionContext */

/* a writer open during one insert call */
typedef struct RestoreWriter
{
	Relation	rel;
	LogWriter  *w;
} RestoreWriter;

/* the payload of the record being written: key, headers, value */
typedef struct PayloadReader
{
	const char *part[3];
	uint32		len[3];
	int			cur;
	uint32		pos;
} PayloadReader;

static void
payload_read(void *arg, char *dst, uint32 len)
{
	PayloadReader *r = (PayloadReader *) arg;

	while (len > 0)
	{
		uint32		n;

		while (r->pos == r->len[r->cur])
		{
			r->cur++;
			r->pos = 0;
			Assert(r->cur < 3);
		}
		n = Min(len, r->len[r->cur] - r->pos);
		memcpy(dst, r->part[r->cur] + r->pos, n);
		r->pos += n;
		dst += n;
		len -= n;
	}
}

static void pg_attribute_noreturn()
bad_row(const char *item, const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid \"%s\" row in logext.dump: %s", item, msg),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("Rows of logext.dump must come, in one transaction, in the order a scan of logext.dump gives them.")));
}

static void
writer_close(RestoreWriter *rw)
{
	if (rw->rel == NULL)
		return;
	LogWriterEnd(rw->w, restore->next);
	relation_close(rw->rel, NoLock);
	rw->rel = NULL;
}

static LogWriter *
writer_get(RestoreWriter *rw, PayloadReader *reader)
{
	if (rw->rel == NULL)
	{
		rw->rel = relation_open(restore->relid, RowExclusiveLock);
		if (rw->w == NULL)
			rw->w = palloc(sizeof(LogWriter));
		(void) LogWriterBegin(rw->w, rw->rel, &restore->slot, payload_read, NULL);
	}
	rw->w->read_arg = reader;
	return rw->w;
}

/* write one record (or a hole, if value is NULL) at restore->next */
static void
write_record(RestoreWriter *rw, TimestampTz appended_at, text *key,
			 Jsonb *headers, bytea *value)
{
	PayloadReader reader = {{NULL}, {0}, 0, 0};
	LogRecordHeader hdr;
	uint64		length = 0;
	LogWriter  *w;

	memset(&hdr, 0, sizeof(hdr));
	hdr.offset = restore->next;
	hdr.appended_at = appended_at;
	hdr.xid = GetCurrentTransactionId();
	if (value == NULL)
		hdr.flags = LOG_REC_INVALID;
	else
	{
		hdr.flags = 0;
		if (key != NULL)
		{
			if (VARSIZE_ANY_EXHDR(key) > LOGEXT_MAX_KEY_LEN)
				bad_row("record", "the key is too long", NULL);
			hdr.flags |= LOG_REC_HAS_KEY;
			hdr.key_len = VARSIZE_ANY_EXHDR(key);
			reader.part[0] = VARDATA_ANY(key);
			reader.len[0] = hdr.key_len;
		}
		if (headers != NULL)
		{
			hdr.flags |= LOG_REC_HAS_HEADERS;
			reader.part[1] = (const char *) headers;
			reader.len[1] = VARSIZE(headers);
		}
		reader.part[2] = VARDATA_ANY(value);
		reader.len[2] = VARSIZE_ANY_EXHDR(value);
		length = (uint64) reader.len[0] + reader.len[1] + reader.len[2];
		if (length > LOGEXT_MAX_RECORD_BYTES)
			bad_row("record", "the record is too large", NULL);
	}
	hdr.length = (uint32) (length + LOG_REC_HEADER_SIZE);
	w = writer_get(rw, &reader);
	LogWriterAppend(w, &hdr);
	restore->next++;
	restore->last_appended_at = appended_at;
}

/* holes up to (not including) offset */
static void
fill_holes(RestoreWriter *rw, LogOffset offset, const char *item)
{
	if (offset < restore->next)
		bad_row(item, "offsets must increase",
				psprintf("Offset " INT64_FORMAT " of partition %d of log \"%s\" comes after offset " INT64_FORMAT ".",
						 offset, restore->partition, restore->log_name,
						 restore->next - 1));
	while (restore->next < offset)
	{
		CHECK_FOR_INTERRUPTS();
		write_record(rw, restore->last_appended_at, NULL, NULL, NULL);
	}
}

static void
reset_slot(Oid relid)
{
	restore->relid = relid;
	LogSlotInitLocal(&restore->slot, relid);
}

typedef struct CreatedAt
{
	const char *sql;
	Oid			argtype;
	Datum		id;
	TimestampTz created_at;
} CreatedAt;

static void
set_created_at_as_owner(void *arg)
{
	CreatedAt  *c = (CreatedAt *) arg;
	Oid			argtypes[2] = {c->argtype, TIMESTAMPTZOID};
	Datum		args[2] = {c->id, TimestampTzGetDatum(c->created_at)};

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(c->sql, 2, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE ||
		SPI_processed != 1)
		elog(ERROR, "logext: could not restore a creation time");
	SPI_finish();
}

static void
set_created_at(const char *sql, Oid argtype, Datum id, TimestampTz created_at)
{
	CreatedAt	c = {sql, argtype, id, created_at};

	LogRunAsOwner(set_created_at_as_owner, &c);
}

static int32
settings_partitions(Jsonb *settings)
{
	JsonbValue *v = NULL;

	if (settings != NULL && JB_ROOT_IS_OBJECT(settings))
		v = getKeyJsonValueFromContainer(&settings->root, "partitions",
										 strlen("partitions"), NULL);
	if (v == NULL || v->type != jbvNumeric)
		bad_row("log", "settings must give the number of partitions",
				"For example {\"partitions\": 4}.");
	return DatumGetInt32(DirectFunctionCall1(numeric_int4,
											 NumericGetDatum(v->val.numeric)));
}

/*
 * Give a restored log the settings of its dump row (log_alter's arguments
 * after partitions).  A key the row lacks leaves the setting at what
 * LogCreateLog gave (no limit); JSON null removes a limit.
 */
static void
restore_settings(const char *name, Jsonb *settings)
{
	Datum		values[1 + LOG_DUMP_NSETTINGS];
	char		nulls[1 + LOG_DUMP_NSETTINGS];

	values[0] = (Datum) 0;
	nulls[0] = 'n';
	for (int i = 0; i < LOG_DUMP_NSETTINGS; i++)
	{
		JsonbValue *v = getKeyJsonValueFromContainer(&settings->root, LogDumpSettings[i].key,
													 strlen(LogDumpSettings[i].key), NULL);
		Datum	   *d = &values[i + 1];

		nulls[i + 1] = ' ';
		if (v == NULL)
		{
			/* not in the dump: unchanged (log_alter's "not given") */
			if (LogDumpSettings[i].type == INTERVALOID)
				*d = DirectFunctionCall3(interval_in, CStringGetDatum("-1 second"),
										 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
			else if (LogDumpSettings[i].type == INT8OID)
				*d = Int64GetDatum(-1);
			else
				nulls[i + 1] = 'n';
		}
		else if (v->type == jbvNull)
			nulls[i + 1] = 'n';
		else if (LogDumpSettings[i].type == INT8OID && v->type == jbvNumeric)
			*d = DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric));
		else if (LogDumpSettings[i].type != INT8OID && v->type == jbvString)
		{
			char	   *str = pnstrdup(v->val.string.val, v->val.string.len);

			*d = LogDumpSettings[i].type == TEXTOID ? CStringGetTextDatum(str) :
				DirectFunctionCall3(interval_in, CStringGetDatum(str),
									ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		}
		else
			bad_row("log", psprintf("setting \"%s\" has the wrong type", LogDumpSettings[i].key),
					"Intervals and the cleanup policy are strings, byte counts are numbers.");
	}
	LogAlterSettings(name, values, nulls);
}

static void
restore_log(const char *name, Jsonb *settings, bool created_null,
			TimestampTz created_at)
{
	int32		nparts = settings_partitions(settings);
	LogCacheEntry *log;

	LogCreateLog(name, nparts);
	restore_settings(name, settings);
	log = LogCacheRefresh(name);
	if (restore == NULL)
		restore = MemoryContextAllocZero(TopTransactionContext, sizeof(RestoreState));
	strlcpy(restore->log_name, name, sizeof(restore->log_name));
	restore->log_id = log->log_id;
	restore->nparts = log->nparts;
	restore->first_relids = MemoryContextAlloc(TopTransactionContext,
											   sizeof(Oid) * log->nparts);
	for (int32 p = 0; p < log->nparts; p++)
		restore->first_relids[p] = log->parts[p].segments[0].relid;
	restore->partition = -1;
	restore->relid = InvalidOid;
	if (!created_null)
		set_created_at("UPDATE logext.logs SET created_at = $2 "
					   "WHERE log_id OPERATOR(pg_catalog.=) $1",
					   INT4OID, Int32GetDatum(log->log_id), created_at);
}

static void
restore_segment(RestoreWriter *rw, int32 partition, LogOffset base,
				bool created_null, TimestampTz created_at)
{
	Oid			relid;

	if (partition < restore->partition)
		bad_row("segment", "partitions must come in order", NULL);
	if (partition != restore->partition)
	{
		/* the partition's first segment: log_create made one at 0 */
		writer_close(rw);
		relid = restore->first_relids[partition];
		if (base != 0)
		{
			LogDropSegment(relid);
			relid = LogAddSegment(restore->log_id, partition, base);
		}
		restore->partition = partition;
		restore->next = base;
		restore->last_appended_at = created_null ? 0 : created_at;
	}
	else
	{
		fill_holes(rw, base, "segment");
		writer_close(rw);
		relid = LogAddSegment(restore->log_id, partition, base);
	}
	reset_slot(relid);
	if (!created_null)
		set_created_at("UPDATE logext.segments SET created_at = $2 "
					   "WHERE relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
					   OIDOID, ObjectIdGetDatum(relid), created_at);
}

static void
restore_offset(const char *log_name, int32 partition, const char *group,
			   LogOffset next_offset)
{
	LogCacheEntry *log = LogCacheLookup(log_name);

	LogCheckGroupName(group);
	LogCacheCheckPartition(log, partition);
	if (next_offset < 0)
		bad_row("offset", "a committed offset cannot be negative", NULL);
	LogOffsetsLockKey(group, log->log_id, partition);
	LogOffsetsCommit(group, log, partition, next_offset);
}

#define COL_NULL(c)		(slot->tts_isnull[(c)])
#define COL(c)			(slot->tts_values[(c)])

static void
restore_row(RestoreWriter *rw, TupleTableSlot *slot)
{
	char	   *item;
	char	   *log_name;

	slot_getallattrs(slot);
	if (COL_NULL(DUMP_ITEM) || COL_NULL(DUMP_LOG_NAME))
		bad_row("?", "item and log_name must not be null", NULL);
	item = TextDatumGetCString(COL(DUMP_ITEM));
	log_name = TextDatumGetCString(COL(DUMP_LOG_NAME));

	if (strcmp(item, "log") == 0)
	{
		writer_close(rw);
		restore_log(log_name,
					COL_NULL(DUMP_SETTINGS) ? NULL : DatumGetJsonbP(COL(DUMP_SETTINGS)),
					COL_NULL(DUMP_APPENDED_AT),
					COL_NULL(DUMP_APPENDED_AT) ? 0 : DatumGetTimestampTz(COL(DUMP_APPENDED_AT)));
		return;
	}
	if (strcmp(item, "offset") == 0)
	{
		writer_close(rw);
		if (COL_NULL(DUMP_PARTITION) || COL_NULL(DUMP_GROUP) || COL_NULL(DUMP_LOG_OFFSET))
			bad_row(item, "partition, group and log_offset must not be null", NULL);
		restore_offset(log_name, DatumGetInt32(COL(DUMP_PARTITION)),
					   TextDatumGetCString(COL(DUMP_GROUP)),
					   DatumGetInt64(COL(DUMP_LOG_OFFSET)));
		return;
	}
	if (strcmp(item, "segment") != 0 && strcmp(item, "record") != 0 &&
		strcmp(item, "end") != 0)
		bad_row(item, "unknown item",
				"An item is one of log, segment, record, end and offset.");

	/* rows of one partition of the log being restored */
	if (restore == NULL || strcmp(log_name, restore->log_name) != 0)
		bad_row(item, psprintf("log \"%s\" is not the one being restored", log_name),
				"Each log's rows follow its \"log\" row.");
	if (COL_NULL(DUMP_PARTITION) || COL_NULL(DUMP_LOG_OFFSET))
		bad_row(item, "partition and log_offset must not be null", NULL);
	{
		int32		partition = DatumGetInt32(COL(DUMP_PARTITION));
		LogOffset	offset = DatumGetInt64(COL(DUMP_LOG_OFFSET));

		if (partition < 0 || partition >= restore->nparts)
			bad_row(item, psprintf("log \"%s\" has no partition %d", log_name, partition), NULL);
		if (offset < 0)
			bad_row(item, "offsets cannot be negative", NULL);
		if (strcmp(item, "segment") == 0)
		{
			restore_segment(rw, partition, offset, COL_NULL(DUMP_APPENDED_AT),
							COL_NULL(DUMP_APPENDED_AT) ? 0 :
							DatumGetTimestampTz(COL(DUMP_APPENDED_AT)));
			return;
		}
		if (partition != restore->partition || !OidIsValid(restore->relid))
			bad_row(item, "a partition's rows follow its \"segment\" row", NULL);
		if (strcmp(item, "end") == 0)
		{
			fill_holes(rw, offset, item);
			return;
		}
		/* a record */
		if (COL_NULL(DUMP_VALUE) || COL_NULL(DUMP_APPENDED_AT))
			bad_row(item, "value and appended_at must not be null", NULL);

		/*
		 * appended_at is kept as dumped, even where it decreases (the clock
		 * of the dumped server went back): a restore reproduces, it does not
		 * judge; log_verify() reports such a place in either database.
		 */
		fill_holes(rw, offset, item);
		write_record(rw, DatumGetTimestampTz(COL(DUMP_APPENDED_AT)),
					 COL_NULL(DUMP_KEY) ? NULL : DatumGetTextPP(COL(DUMP_KEY)),
					 COL_NULL(DUMP_HEADERS) ? NULL : DatumGetJsonbP(COL(DUMP_HEADERS)),
					 DatumGetByteaPP(COL(DUMP_VALUE)));
	}
}

static void
restore_rows(Relation rel, TupleTableSlot **slots, int nslots)
{
	RestoreWriter rw = {NULL, NULL};

	LogextRequirePreload();
	LogDumpCheckShape(rel);
	PreventCommandIfReadOnly("restoring logext.dump");
	PreventCommandDuringRecovery("restoring logext.dump");
	for (int i = 0; i < nslots; i++)
	{
		restore_row(&rw, slots[i]);
		ItemPointerSetInvalid(&slots[i]->tts_tid);
	}
	writer_close(&rw);
	if (rw.w != NULL)
		pfree(rw.w);
}

void
LogRestoreInsert(Relation rel, TupleTableSlot *slot, CommandId cid,
				 int options, struct BulkInsertStateData *bistate)
{
	restore_rows(rel, &slot, 1);
}

void
LogRestoreMultiInsert(Relation rel, TupleTableSlot **slots, int nslots,
					  CommandId cid, int options,
					  struct BulkInsertStateData *bistate)
{
	restore_rows(rel, slots, nslots);
}

/*
 * The state lives in TopTransactionContext and dies with the transaction.
 * A restore continues only in the (sub)transaction that began it: after a
 * subtransaction abort the state is forgotten.  What the aborted
 * subtransaction wrote carries its xid, so it reads as holes.
 */
/* PREPARE TRANSACTION: refused while a restore is under way */
void
LogRestoreAtPrePrepare(void)
{
	if (restore != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot prepare a transaction that restored logext.dump")));
}

/* end of the transaction, or abort of a subtransaction */
void
LogRestoreForget(void)
{
	restore = NULL;
}
