/*-------------------------------------------------------------------------
 *
 * admin.c
 *	  Administration: the C helpers behind log_create()/log_drop() (segment
 *	  initialisation and removal, the log lock) and the log_partitions()
 *	  monitoring function.
 *
 * log_create and log_drop themselves are PL/pgSQL in the install script;
 * what needs WAL, shared memory or the lock manager is here.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "am/handler.h"
#include "am/segment.h"
#include "am/writer.h"
#include "catalog/logcache.h"
#include "partition/roll.h"
#include "shmem.h"
#include "wal/xlog.h"

PG_FUNCTION_INFO_V1(logext_segment_init);
Datum
logext_segment_init(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	int32		log_id = PG_GETARG_INT32(1);
	int32		partition = PG_GETARG_INT32(2);
	LogOffset	base = PG_GETARG_INT64(3);
	Relation	rel;

	rel = relation_open(relid, AccessExclusiveLock);
	if (!LogIsSegment(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a log segment", RelationGetRelationName(rel))));
	LogSegmentWriteMeta(rel, log_id, partition, base);
	relation_close(rel, NoLock);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(logext_segment_drop);
Datum
logext_segment_drop(PG_FUNCTION_ARGS)
{
	LogDropSegment(PG_GETARG_OID(0));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(log_roll);
Datum
log_roll(PG_FUNCTION_ARGS)
{
	LogCacheEntry *log;
	int32		partition;
	Oid			relid;
	Relation	rel;
	LogOffset	base;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("log name and partition must not be null")));
	PreventCommandIfReadOnly("log_roll()");
	log = LogCacheLookupText(PG_GETARG_TEXT_PP(0));
	partition = PG_GETARG_INT32(1);
	LogCacheCheckPartition(log, partition);
	relid = LogRollPartition(&log, partition, NULL, NULL);
	rel = relation_open(relid, AccessShareLock);
	base = LogSegmentNextOffset(rel);
	relation_close(rel, AccessShareLock);
	PG_RETURN_INT64(base);
}

PG_FUNCTION_INFO_V1(logext_log_lock_exclusive);
Datum
logext_log_lock_exclusive(PG_FUNCTION_ARGS)
{
	LogLockLog(PG_GETARG_INT32(0), AccessExclusiveLock);
	PG_RETURN_VOID();
}

/* emit one row of log_partitions() for the segments [first, last] */
static void
partition_row(ReturnSetInfo *rsinfo, const char *log_name, int32 partition,
			  LogOffset first_offset, Oid *relids, int nrel)
{
	Datum		values[9];
	bool		nulls[9] = {false};
	LogOffset	next = first_offset;
	LogOffset	lso;
	int64		bytes = 0;
	int			pid = 0;
	TimestampTz since = 0;
	Relation	active = NULL;
	LogPartSlot *slot = NULL;

	for (int i = 0; i < nrel; i++)
	{
		Relation	rel = try_relation_open(relids[i], AccessShareLock);

		if (rel == NULL)
			continue;
		bytes += (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
		if (i == nrel - 1)
			active = rel;
		else
			relation_close(rel, AccessShareLock);
	}
	if (active != NULL)
	{
		slot = LogSlotFind(RelationGetRelid(active));
		next = LogSegmentNextOffset(active);
		relation_close(active, AccessShareLock);
	}
	lso = next;
	if (slot != NULL && LogInflightOldest(slot, &lso, &pid, &since))
		lso = Min(lso, next);

	values[0] = CStringGetTextDatum(log_name);
	values[1] = Int32GetDatum(partition);
	values[2] = Int64GetDatum(first_offset);
	values[3] = Int64GetDatum(next);
	values[4] = Int64GetDatum(lso);
	values[5] = Int64GetDatum(next - first_offset);
	values[6] = Int64GetDatum(bytes);
	values[7] = Int32GetDatum(pid);
	nulls[7] = pid == 0;
	values[8] = TimestampTzGetDatum(since);
	nulls[8] = pid == 0;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(log_partitions);
Datum
log_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		nrows;
	int			ret;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT l.log_name, s.partition, s.base_offset, s.relid::oid "
					  "FROM logext.logs l JOIN logext.segments s ON s.log_id = l.log_id "
					  "ORDER BY l.log_name, s.partition, s.base_offset",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the log catalog: %s", SPI_result_code_string(ret));

	nrows = SPI_processed;
	for (uint64 i = 0; i < nrows;)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], desc, 1);
		bool		isnull;
		int32		partition = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], desc, 2, &isnull));
		LogOffset	first = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], desc, 3, &isnull));
		Oid		   *relids = palloc(sizeof(Oid) * (nrows - i));
		int			nrel = 0;

		/* the segments of this (log, partition), oldest first */
		while (i < nrows)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			char	   *n = SPI_getvalue(tup, desc, 1);

			if (strcmp(n, name) != 0 ||
				DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull)) != partition)
				break;
			relids[nrel++] = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
			i++;
		}
		partition_row(rsinfo, name, partition, first, relids, nrel);
		pfree(relids);
	}
	SPI_finish();
	return (Datum) 0;
}
