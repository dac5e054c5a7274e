/*-------------------------------------------------------------------------
 *
 * read.c
 *	  log_read(): the records of a partition in offset order from an
 *	  offset.
 *
 * The read rule (am/visibility.c) is applied against the statement's
 * snapshot: committed records are returned, holes (aborted or crashed
 * transactions) are skipped, and the read stops at the first record whose
 * transaction has not committed for the snapshot.  So the rows are always
 * a gap-free prefix of what will ever be readable from from_offset, and a
 * consumer that continues at "last returned + 1" never misses or repeats a
 * record.  Inside REPEATABLE READ the snapshot is the transaction's, so
 * repeated calls do not see later commits.
 *
 * The offset is found by binary search over the segment's pages (no scan
 * from the start); rows go to a tuplestore, which spills to disk beyond
 * work_mem, so memory is bounded whatever max_records is.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "am/cursor.h"
#include "am/visibility.h"
#include "catalog/logcache.h"

#define READ_NATTS 6

/*
 * Read records of one segment into the tuplestore.  Returns false if the
 * read stopped at a record not yet committed (the caller must not go on to
 * a later segment).
 */
static bool
read_segment(Relation rel, int partition, LogOffset from, int64 *remaining,
			 Snapshot snapshot, ReturnSetInfo *rsinfo, MemoryContext rowcxt)
{
	LogCursor	c;
	LogRecordHeader hdr;
	bool		complete = true;

	LogCursorInit(&c, rel, NULL);
	LogCursorSeekOffset(&c, from);
	while (*remaining > 0 && LogCursorPeek(&c, &hdr))
	{
		LogVisibility vis = LogRecordVisibility(c.buf, c.pos, &hdr, snapshot);

		if (vis == LOG_IN_PROGRESS)
		{
			LogCursorUnlock(&c);
			complete = false;
			break;
		}
		if (vis == LOG_VISIBLE)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);
			LogRecordData rec;
			Datum		values[READ_NATTS];
			bool		nulls[READ_NATTS] = {false};

			LogCursorReadRecord(&c, &hdr, &rec);
			LogCursorUnlock(&c);
			values[0] = Int32GetDatum(partition);
			values[1] = Int64GetDatum(rec.hdr.offset);
			values[2] = TimestampTzGetDatum(rec.hdr.appended_at);
			values[3] = PointerGetDatum(rec.key);
			nulls[3] = rec.key == NULL;
			values[4] = PointerGetDatum(rec.value);
			values[5] = PointerGetDatum(rec.headers);
			nulls[5] = rec.headers == NULL;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			(*remaining)--;
		}
		else
			LogCursorUnlock(&c);
		LogCursorAdvance(&c, &hdr);
	}
	LogCursorEnd(&c);
	return complete;
}

PG_FUNCTION_INFO_V1(log_read);
Datum
log_read(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogCacheEntry *log;
	int32		partition;
	LogOffset	from;
	int64		remaining;
	LogPartitionInfo *pi;
	int			segno;
	MemoryContext rowcxt;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be null",
							i == 0 ? "log name" : i == 1 ? "partition" :
							i == 2 ? "from_offset" : "max_records")));
	partition = PG_GETARG_INT32(1);
	from = PG_GETARG_INT64(2);
	remaining = PG_GETARG_INT32(3);
	if (from < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset " INT64_FORMAT " is negative", from),
				 errhint("Offsets start at 0.")));
	if (remaining <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_records must be positive, not " INT64_FORMAT, remaining)));

	log = LogCacheLookupText(PG_GETARG_TEXT_PP(0));
	LogCacheCheckPartition(log, partition);
	InitMaterializedSRF(fcinfo, 0);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "logext read row",
								   ALLOCSET_DEFAULT_SIZES);

	/* the segment holding from: the last whose base offset is <= from */
	pi = &log->parts[partition];
	segno = 0;
	while (segno + 1 < pi->nsegments && pi->segments[segno + 1].base_offset <= from)
		segno++;

	for (;;)
	{
		Relation	rel = LogOpenSegment(&log, partition, segno, AccessShareLock);
		bool		complete;

		if (rel == NULL)
			break;
		complete = read_segment(rel, partition, from, &remaining,
								GetActiveSnapshot(), rsinfo, rowcxt);
		relation_close(rel, AccessShareLock);
		if (!complete || remaining == 0)
			break;
		segno++;
		pi = &log->parts[partition];
		if (segno >= pi->nsegments)
			break;
		from = Max(from, pi->segments[segno].base_offset);
	}
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}
