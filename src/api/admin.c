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
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "am/handler.h"
#include "api/admin.h"
#include "meta/logacl.h"
#include "meta/logcache.h"
#include "partition/retention.h"
#include "partition/roll.h"
#include "segment/page.h"
#include "segment/writer.h"
#include "segment/xlog.h"
#include "shmem.h"

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

typedef struct RollArgs
{
	LogCacheEntry *log;
	int32		partition;
	Oid			relid;
} RollArgs;

static void
roll_as_owner(void *arg)
{
	RollArgs   *a = (RollArgs *) arg;

	a->relid = LogRollPartition(&a->log, a->partition, NULL, NULL);
}

PG_FUNCTION_INFO_V1(log_roll);
Datum
log_roll(PG_FUNCTION_ARGS)
{
	RollArgs	a;
	Relation	rel;
	LogOffset	base;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("log name and partition must not be null")));
	PreventCommandIfReadOnly("log_roll()");
	/* the internal logs are rolled by logext only (compaction) */
	a.log = LogCacheCheckUserLog(LogCacheLookupText(PG_GETARG_TEXT_PP(0)));
	a.partition = PG_GETARG_INT32(1);
	LogCacheCheckPartition(a.log, a.partition);
	LogCheckOwner(a.log->name);
	LogRunAsOwner(roll_as_owner, &a);
	if (!OidIsValid(a.relid))
	{
		/* nothing to roll: the active segment has no record yet */
		LogPartitionInfo *pi = &a.log->parts[a.partition];

		PG_RETURN_INT64(pi->segments[pi->nsegments - 1].base_offset);
	}
	rel = relation_open(a.relid, AccessShareLock);
	base = LogSegmentNextOffset(rel);
	relation_close(rel, AccessShareLock);
	PG_RETURN_INT64(base);
}

/* run a statement through SPI (connected), as part of log_create/log_drop */
static void
run_sql(const char *sql, int expected)
{
	int			ret = SPI_execute(sql, false, 0);

	if (ret != expected)
		elog(ERROR, "logext: \"%s\" failed: %s", sql, SPI_result_code_string(ret));
}

/* log_create's and log_alter's arguments after the name, in order */
#define LOG_NSETTINGS 7
static const Oid setting_types[LOG_NSETTINGS] = {
	INT4OID,					/* partitions */
	INTERVALOID,				/* retention */
	INT8OID,					/* retention_bytes */
	INT8OID,					/* segment_bytes */
	INTERVALOID,				/* segment_age */
	TEXTOID,					/* cleanup_policy */
	INTERVALOID					/* delete_retention */
};

typedef struct CreateArgs
{
	const char *name;
	Datum		settings[LOG_NSETTINGS];
	char		nulls[LOG_NSETTINGS];	/* SPI style: 'n' for NULL */
	Oid			caller;
} CreateArgs;

/* the settings arguments of a call to log_create or log_alter */
static void
settings_from_args(FunctionCallInfo fcinfo, Datum *settings, char *nulls)
{
	for (int i = 0; i < LOG_NSETTINGS; i++)
	{
		nulls[i] = PG_ARGISNULL(i + 1) ? 'n' : ' ';
		settings[i] = nulls[i] == 'n' ? (Datum) 0 : PG_GETARG_DATUM(i + 1);
	}
}

/* run sql with the log name and the settings as $1 .. $8 (SPI connected) */
static void
run_with_settings(const char *sql, const char *name, const Datum *settings,
				  const char *nulls)
{
	Oid			argtypes[LOG_NSETTINGS + 1];
	Datum		args[LOG_NSETTINGS + 1];
	char		argnulls[LOG_NSETTINGS + 1];

	argtypes[0] = TEXTOID;
	args[0] = CStringGetTextDatum(name);
	argnulls[0] = ' ';
	for (int i = 0; i < LOG_NSETTINGS; i++)
	{
		argtypes[i + 1] = setting_types[i];
		args[i + 1] = settings[i];
		argnulls[i + 1] = nulls[i];
	}
	if (SPI_execute_with_args(sql, LOG_NSETTINGS + 1, argtypes, args, argnulls,
							  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "logext: could not change log \"%s\"", name);
}

/*
 * The part of log_create() that runs as the extension's owner: the catalog
 * rows and segments (logext._log_create), then the view that stands for
 * the log, owned by the caller.  A view of that name left by a restore of
 * a dump (where it keeps its owner and privileges) is taken over if the
 * caller owns it.
 */
static void
create_as_owner(void *arg)
{
	CreateArgs *a = (CreateArgs *) arg;
	char	   *qualname = quote_qualified_identifier(LOGEXT_VIEW_SCHEMA, a->name);
	Oid			view;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_with_settings("SELECT logext._log_create($1, $2, NULL::pg_catalog.int4, "
					  "$3, $4, $5, $6, $7, $8)",
					  a->name, a->settings, a->nulls);

	view = LogViewRelid(a->name);
	if (OidIsValid(view))
	{
		if (get_rel_relkind(view) != RELKIND_VIEW ||
			!pg_class_ownercheck(view, a->caller))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation %s already exists", qualname),
					 errdetail("The view that stands for log \"%s\" would have that name.",
							   a->name)));
	}
	else
	{
		run_sql(psprintf("CREATE VIEW %s AS SELECT * FROM logext.log_records(%s)",
						 qualname, quote_literal_cstr(a->name)),
				SPI_OK_UTILITY);
		run_sql(psprintf("CREATE TRIGGER append INSTEAD OF INSERT ON %s "
						 "FOR EACH ROW EXECUTE FUNCTION logext._log_view_insert()",
						 qualname),
				SPI_OK_UTILITY);
		run_sql(psprintf("COMMENT ON VIEW %s IS %s", qualname,
						 quote_literal_cstr(psprintf("log \"%s\": its privileges are the log's (SELECT to read, INSERT to append)",
													 a->name))),
				SPI_OK_UTILITY);
		run_sql(psprintf("ALTER VIEW %s OWNER TO %s", qualname,
						 quote_identifier(GetUserNameFromId(a->caller, false))),
				SPI_OK_UTILITY);
	}
	SPI_finish();
}

static void
create_log(CreateArgs *a)
{
	if (strncmp(a->name, "__", 2) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("log name \"%s\" is reserved", a->name),
				 errdetail("Names starting with \"__\" are used by logext itself.")));
	a->caller = GetUserId();
	LogCheckCreate(a->name);
	LogRunAsOwner(create_as_owner, a);
}

PG_FUNCTION_INFO_V1(logext_log_create);
Datum
logext_log_create(PG_FUNCTION_ARGS)
{
	CreateArgs	a;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("log name must not be null")));
	a.name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	settings_from_args(fcinfo, a.settings, a.nulls);
	create_log(&a);
	PG_RETURN_VOID();
}

/*
 * log_create(name, partitions) from C (restore of a dump), with no limits:
 * the restore then sets the dumped settings with LogAlterSettings (a dump
 * made before logs had settings keeps none).
 */
void
LogCreateLog(const char *name, int32 partitions)
{
	CreateArgs	a;

	a.name = name;
	memset(a.nulls, 'n', sizeof(a.nulls));
	a.settings[0] = Int32GetDatum(partitions);
	a.nulls[0] = ' ';
	a.settings[5] = CStringGetTextDatum("delete");
	a.nulls[5] = ' ';
	create_log(&a);
}

typedef struct AlterArgs
{
	const char *name;
	LogCacheEntry *log;			/* to grow its partitions, or NULL */
	Datum		settings[LOG_NSETTINGS];
	char		nulls[LOG_NSETTINGS];
} AlterArgs;

static void
alter_as_owner(void *arg)
{
	AlterArgs  *a = (AlterArgs *) arg;

	/* growing: the log lock before the row lock, as rolls take them */
	if (a->log != NULL && a->nulls[0] != 'n')
		LogLockLog(a->log->log_id, AccessExclusiveLock);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_with_settings("SELECT logext._log_alter($1, $2, $3, $4, $5, $6, $7, $8)",
					  a->name, a->settings, a->nulls);
	SPI_finish();
	if (a->log != NULL && a->nulls[0] != 'n')
		LogGrowPartitions(&a->log, DatumGetInt32(a->settings[0]));
}

/*
 * log_alter(name, partitions, settings...): the settings, then the number
 * of partitions, which only grows.
 */
PG_FUNCTION_INFO_V1(logext_log_alter);
Datum
logext_log_alter(PG_FUNCTION_ARGS)
{
	AlterArgs	a;
	LogCacheEntry *log;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("log name must not be null")));
	PreventCommandIfReadOnly("log_alter()");
	log = LogCacheCheckUserLog(LogCacheLookupText(PG_GETARG_TEXT_PP(0)));
	LogCheckOwner(log->name);
	a.name = log->name;
	a.log = log;
	settings_from_args(fcinfo, a.settings, a.nulls);
	LogRunAsOwner(alter_as_owner, &a);
	PG_RETURN_VOID();
}

/* set a restored log's settings, given as a dump's settings object */
void
LogAlterSettings(const char *name, const Datum *settings, const char *nulls)
{
	AlterArgs	a;

	a.name = name;
	a.log = NULL;
	memcpy(a.settings, settings, sizeof(a.settings));
	memcpy(a.nulls, nulls, sizeof(a.nulls));
	a.nulls[0] = 'n';			/* partitions: already created */
	LogRunAsOwner(alter_as_owner, &a);
}

static void
prevent_retention_in_block(const char *what)
{
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run inside a transaction block", what),
				 errdetail("It may roll segments, and a roll must commit on its own.")));
}

/* log_enforce_retention(name): retention and rolling of one log, now */
PG_FUNCTION_INFO_V1(log_enforce_retention);
Datum
log_enforce_retention(PG_FUNCTION_ARGS)
{
	LogCacheEntry *log;
	int			nrolled;

	PreventCommandIfReadOnly("log_enforce_retention()");
	prevent_retention_in_block("log_enforce_retention()");
	log = LogCacheCheckUserLog(LogCacheLookupText(PG_GETARG_TEXT_PP(0)));
	LogCheckOwner(log->name);
	PG_RETURN_INT32(LogEnforceRetentionAsOwner(&log, &nrolled));
}


static void
drop_as_owner(void *arg)
{
	const char *name = (const char *) arg;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT logext._log_drop($1)", 1, argtypes, args,
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "logext: could not drop log \"%s\"", name);
	run_sql(psprintf("DROP VIEW IF EXISTS %s",
					 quote_qualified_identifier(LOGEXT_VIEW_SCHEMA, name)),
			SPI_OK_UTILITY);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(logext_log_drop);
Datum
logext_log_drop(PG_FUNCTION_ARGS)
{
	char	   *name;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("log name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strncmp(name, "__", 2) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("log \"%s\" is internal to logext and cannot be dropped", name)));
	(void) LogCacheLookup(name);	/* errors if it does not exist */
	LogCheckOwner(name);
	LogRunAsOwner(drop_as_owner, name);
	PG_RETURN_VOID();
}

/*
 * log_drop()'s storage part: take the log lock exclusively (waiting for
 * transactions that appended to the log, and for rolls), then drop every
 * segment the catalog lists now.  The list is read with the latest
 * snapshot, not the caller's: a REPEATABLE READ log_drop() must not miss a
 * segment added by a roll that committed while it waited for the lock, nor
 * drop a log that a concurrent log_drop() removed meanwhile.
 */
PG_FUNCTION_INFO_V1(logext_log_drop_segments);
Datum
logext_log_drop_segments(PG_FUNCTION_ARGS)
{
	int32		log_id = PG_GETARG_INT32(0);
	char	   *log_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1];
	Oid		   *relids;
	uint64		n;
	bool		exists;
	MemoryContext caller = CurrentMemoryContext;

	LogLockLog(log_id, AccessExclusiveLock);
	args[0] = Int32GetDatum(log_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LogCatalogQuery("SELECT 1 FROM logext.logs l WHERE l.log_id OPERATOR(pg_catalog.=) $1",
					1, argtypes, args, 1);
	exists = SPI_processed > 0;
	LogCatalogQuery("SELECT s.relid::pg_catalog.oid FROM logext.segments s "
					"WHERE s.log_id OPERATOR(pg_catalog.=) $1",
					1, argtypes, args, 0);
	n = SPI_processed;
	/* in the caller's memory: SPI's goes away with SPI_finish */
	relids = MemoryContextAlloc(caller, sizeof(Oid) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		relids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
												   SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	if (!exists)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("log \"%s\" was dropped concurrently", log_name)));
	for (uint64 i = 0; i < n; i++)
		LogDropSegment(relids[i]);
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
	ret = SPI_execute("SELECT l.log_name, s.partition, s.base_offset, s.relid::pg_catalog.oid "
					  "FROM logext.logs l JOIN logext.segments s "
					  "ON s.log_id OPERATOR(pg_catalog.=) l.log_id "
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
