/*-------------------------------------------------------------------------
 *
 * append.c
 *	  SQL functions that append records: log_append (bytea, text and jsonb
 *	  values), log_append_batch (arrays), and log_last_positions.
 *
 * Appending only buffers the record in the transaction (commit/pending.c);
 * it gets its offset when the transaction commits.  The functions are
 * PARALLEL UNSAFE and refuse read-only transactions and recovery
 * themselves: nothing checks again at commit time.
 *
 * With logext.notify on, appends also queue a NOTIFY (LogPendingNotify).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/append.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "commit/pending.h"
#include "commit/precommit.h"
#include "meta/logacl.h"
#include "meta/logcache.h"
#include "partition/routing.h"

/* an argument that must not be null; msg is the whole error message */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *msg)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg_internal("%s", _(msg))));
}

static LogCacheEntry *
user_log(text *name)
{
	LogCacheEntry *log = LogCacheCheckUserLog(LogCacheLookupText(name));

	LogCheckAccess(log->name, ACL_INSERT);
	return log;
}

/* common part of the log_append variants; value already as bytes */
static Datum
append_common(FunctionCallInfo fcinfo, const char *value, uint32 value_len)
{
	LogCacheEntry *log = user_log(PG_GETARG_TEXT_PP(0));
	text	   *key = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	Jsonb	   *headers = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	const char *kdata = key ? VARDATA_ANY(key) : NULL;
	int			klen = key ? (int) VARSIZE_ANY_EXHDR(key) : -1;
	int			partition;

	partition = LogRoute(log, kdata, klen, !PG_ARGISNULL(4),
						 PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4));
	LogPendingAppend(log, partition, kdata, klen, headers, value, value_len);
	LogPendingNotify(log);
	PG_RETURN_INT32(partition);
}

/* bytea and text values: both are varlenas of bytes */
PG_FUNCTION_INFO_V1(log_append);
Datum
log_append(PG_FUNCTION_ARGS)
{
	bytea	   *value;

	LogPendingCheckCanAppend("log_append()");
	require_arg(fcinfo, 0, gettext_noop("log name must not be null"));
	require_arg(fcinfo, 1, gettext_noop("log record value must not be null"));
	value = PG_GETARG_BYTEA_PP(1);
	return append_common(fcinfo, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

PG_FUNCTION_INFO_V1(log_append_jsonb);
Datum
log_append_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *value;
	StringInfoData buf;

	LogPendingCheckCanAppend("log_append()");
	require_arg(fcinfo, 0, gettext_noop("log name must not be null"));
	require_arg(fcinfo, 1, gettext_noop("log record value must not be null"));
	value = PG_GETARG_JSONB_P(1);
	initStringInfo(&buf);
	JsonbToCString(&buf, &value->root, VARSIZE(value));
	return append_common(fcinfo, buf.data, buf.len);
}

/* deconstruct an optional array argument, checking its length */
static void
array_arg(FunctionCallInfo fcinfo, int argno, Oid elemtype, int nexpected,
		  const char *what, Datum **elems, bool **nulls)
{
	ArrayType  *arr;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			n;

	*elems = NULL;
	*nulls = NULL;
	if (PG_ARGISNULL(argno))
		return;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, elems, nulls, &n);
	if (nexpected >= 0 && n != nexpected)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements but there are %d values", what, n, nexpected),
				 errhint("Pass one element per value, or NULL for none at all.")));
}

static Datum
append_batch_common(FunctionCallInfo fcinfo, Oid value_type)
{
	LogCacheEntry *log;
	ArrayType  *varr;
	Datum	   *values;
	bool	   *vnulls;
	Datum	   *keys;
	bool	   *knulls;
	Datum	   *headers;
	bool	   *hnulls;
	int			n;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool		has_partition = !PG_ARGISNULL(4);
	int32		partition = has_partition ? PG_GETARG_INT32(4) : 0;

	LogPendingCheckCanAppend("log_append_batch()");
	require_arg(fcinfo, 0, gettext_noop("log name must not be null"));
	require_arg(fcinfo, 1, gettext_noop("values array must not be null"));
	log = user_log(PG_GETARG_TEXT_PP(0));

	varr = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(varr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("values must be a one-dimensional array")));
	get_typlenbyvalalign(value_type, &typlen, &typbyval, &typalign);
	deconstruct_array(varr, value_type, typlen, typbyval, typalign, &values, &vnulls, &n);
	array_arg(fcinfo, 2, TEXTOID, n, "keys", &keys, &knulls);
	array_arg(fcinfo, 3, JSONBOID, n, "headers", &headers, &hnulls);
	if (has_partition)
		LogCacheCheckPartition(log, partition);

	for (int i = 0; i < n; i++)
	{
		struct varlena *v;
		text	   *key = NULL;
		Jsonb	   *hdr = NULL;
		int			p;

		if (vnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("log record value must not be null"),
					 errdetail("Element %d of the values array is null.", i + 1)));
		v = PG_DETOAST_DATUM_PACKED(values[i]);
		if (keys && !knulls[i])
			key = DatumGetTextPP(keys[i]);
		if (headers && !hnulls[i])
			hdr = DatumGetJsonbP(headers[i]);
		p = LogRoute(log, key ? VARDATA_ANY(key) : NULL,
					 key ? (int) VARSIZE_ANY_EXHDR(key) : -1,
					 has_partition, partition);
		LogPendingAppend(log, p, key ? VARDATA_ANY(key) : NULL,
						 key ? (int) VARSIZE_ANY_EXHDR(key) : -1, hdr,
						 VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
		CHECK_FOR_INTERRUPTS();
	}
	if (n > 0)
		LogPendingNotify(log);
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(log_append_batch);
Datum
log_append_batch(PG_FUNCTION_ARGS)
{
	return append_batch_common(fcinfo, BYTEAOID);
}

PG_FUNCTION_INFO_V1(log_append_batch_text);
Datum
log_append_batch_text(PG_FUNCTION_ARGS)
{
	return append_batch_common(fcinfo, TEXTOID);
}

/*
 * INSTEAD OF INSERT trigger of a log's view (logext_logs."<log>"): INSERT
 * and COPY FROM into the view append, for roles with INSERT on it (the
 * executor checks that).  As with INSERT into a segment, log_offset and
 * appended_at are assigned at commit and must be left out; partition is
 * chosen from the key when it is left out.
 */
PG_FUNCTION_INFO_V1(logext_log_view_insert);
Datum
logext_log_view_insert(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	LogCacheEntry *log;
	Datum		values[6];
	bool		nulls[6];
	text	   *key = NULL;
	Jsonb	   *headers = NULL;
	bytea	   *value;
	int			partition;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_INSTEAD(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		RelationGetDescr(trigdata->tg_relation)->natts != 6)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function logext._log_view_insert() must be an INSTEAD OF INSERT row trigger of a log's view")));
	LogPendingCheckCanAppend("INSERT into a log");
	desc = RelationGetDescr(trigdata->tg_relation);
	tuple = trigdata->tg_trigtuple;
	log = LogCacheCheckUserLog(LogCacheLookup(RelationGetRelationName(trigdata->tg_relation)));
	heap_deform_tuple(tuple, desc, values, nulls);
	if (!nulls[1] || !nulls[2])
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot choose the offset or timestamp of a record inserted into log \"%s\"",
						log->name),
				 errdetail("log_offset and appended_at are assigned at commit."),
				 errhint("Insert only the columns key, value, headers and, if wanted, partition.")));
	if (nulls[4])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("log record value must not be null")));
	if (!nulls[3])
		key = DatumGetTextPP(values[3]);
	if (!nulls[5])
		headers = DatumGetJsonbP(values[5]);
	value = DatumGetByteaPP(values[4]);
	partition = LogRoute(log, key ? VARDATA_ANY(key) : NULL,
						 key ? (int) VARSIZE_ANY_EXHDR(key) : -1,
						 !nulls[0], nulls[0] ? 0 : DatumGetInt32(values[0]));
	LogPendingAppend(log, partition,
					 key ? VARDATA_ANY(key) : NULL,
					 key ? (int) VARSIZE_ANY_EXHDR(key) : -1,
					 headers, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
	LogPendingNotify(log);
	return PointerGetDatum(tuple);
}

PG_FUNCTION_INFO_V1(log_last_positions);
Datum
log_last_positions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogPosition *positions;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = LogLastPositions(&positions);
	for (int i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(positions[i].log_name);
		values[1] = Int32GetDatum(positions[i].partition);
		values[2] = Int64GetDatum(positions[i].first_offset);
		values[3] = Int64GetDatum(positions[i].last_offset);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
