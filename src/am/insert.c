/*-------------------------------------------------------------------------
 *
 * insert.c
 *	  INSERT and COPY FROM into a segment: the bulk path that parses rows
 *	  like heap COPY does, and then appends them like log_append().
 *
 * A row inserted into a segment is a record appended to that segment's
 * partition: it goes to the transaction's pending buffer (commit/pending.c)
 * and gets its offset and timestamp when the transaction commits, exactly
 * as with log_append().  So the columns partition (if given, it must be the
 * segment's), log_offset and appended_at are left out:
 *		COPY logext.seg_1_0_0 (key, value, headers) FROM STDIN;
 * Rows do not exist until commit, so there is no TID to report: RETURNING
 * and ON CONFLICT are refused at parse analysis (hooks/guard.c), and
 * segments have no indexes or row triggers.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/am/insert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/tuptable.h"
#include "utils/jsonb.h"
#include "utils/rel.h"

#include "am/handler.h"
#include "commit/pending.h"
#include "meta/logcache.h"
#include "segment/page.h"
#include "segment/record.h"

/* the log and partition a segment belongs to, from its metapage */
static LogCacheEntry *
segment_log(Relation rel, int32 *partition)
{
	LogMetaPageData meta;
	char	   *name;

	LogReadMeta(rel, &meta);
	*partition = meta.partition;
	name = LogLogName(meta.log_id);
	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log segment \"%s\" belongs to no log",
						RelationGetRelationName(rel))));
	return LogCacheCheckUserLog(LogCacheLookup(name));
}

static void
insert_slot(LogCacheEntry *log, int32 partition, Relation rel,
			TupleTableSlot *slot)
{
	text	   *key = NULL;
	Jsonb	   *headers = NULL;
	bytea	   *value;

	slot_getallattrs(slot);
	if ((!slot->tts_isnull[Anum_log_record_partition - 1] &&
		 DatumGetInt32(slot->tts_values[Anum_log_record_partition - 1]) != partition) ||
		!slot->tts_isnull[Anum_log_record_log_offset - 1] ||
		!slot->tts_isnull[Anum_log_record_appended_at - 1])
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot choose the offset or timestamp of a record inserted into log segment \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("log_offset and appended_at are assigned at commit; the partition is the segment's (%d).",
						   partition),
				 errhint("Insert only the columns key, value and headers, for example COPY %s (key, value) FROM STDIN.",
						 RelationGetRelationName(rel))));
	if (slot->tts_isnull[Anum_log_record_value - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("log record value must not be null")));
	if (!slot->tts_isnull[Anum_log_record_key - 1])
		key = DatumGetTextPP(slot->tts_values[Anum_log_record_key - 1]);
	if (!slot->tts_isnull[Anum_log_record_headers - 1])
		headers = DatumGetJsonbP(slot->tts_values[Anum_log_record_headers - 1]);
	value = DatumGetByteaPP(slot->tts_values[Anum_log_record_value - 1]);
	LogPendingAppend(log, partition,
					 key ? VARDATA_ANY(key) : NULL,
					 key ? (int) VARSIZE_ANY_EXHDR(key) : -1,
					 headers, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
	ItemPointerSetInvalid(&slot->tts_tid);
}

void
logam_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
				   int options, struct BulkInsertStateData *bistate)
{
	int32		partition;
	LogCacheEntry *log;

	LogPendingCheckCanAppend("INSERT into a log segment");
	log = segment_log(rel, &partition);
	insert_slot(log, partition, rel, slot);
	LogPendingNotify(log);
}

void
logam_multi_insert(Relation rel, TupleTableSlot **slots, int nslots,
				   CommandId cid, int options,
				   struct BulkInsertStateData *bistate)
{
	int32		partition;
	LogCacheEntry *log;

	LogPendingCheckCanAppend("COPY into a log segment");
	log = segment_log(rel, &partition);
	for (int i = 0; i < nslots; i++)
		insert_slot(log, partition, rel, slots[i]);
	LogPendingNotify(log);
}
