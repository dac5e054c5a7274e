/*-------------------------------------------------------------------------
 *
 * record.c
 *	  The one definition of a log record's columns: turning a decoded
 *	  record into the values of a row, checking a row type against the
 *	  columns, and the column list that segments are created with.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/record.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "segment/record.h"

static const struct
{
	const char *name;
	Oid			type;
	const char *type_sql;
	bool		not_null;
} log_record_columns[Natts_log_record] = {
	[Anum_log_record_partition - 1] = {"partition", INT4OID, "pg_catalog.int4", false},
	[Anum_log_record_log_offset - 1] = {"log_offset", INT8OID, "pg_catalog.int8", false},
	[Anum_log_record_appended_at - 1] = {"appended_at", TIMESTAMPTZOID, "pg_catalog.timestamptz", false},
	[Anum_log_record_key - 1] = {"key", TEXTOID, "pg_catalog.text", false},
	[Anum_log_record_value - 1] = {"value", BYTEAOID, "pg_catalog.bytea", true},
	[Anum_log_record_headers - 1] = {"headers", JSONBOID, "pg_catalog.jsonb", false},
};

/* the row of a record of partition; values point into rec */
void
LogRecordToDatums(int32 partition, const LogRecordData *rec,
				  Datum *values, bool *isnull)
{
	values[Anum_log_record_partition - 1] = Int32GetDatum(partition);
	isnull[Anum_log_record_partition - 1] = false;
	values[Anum_log_record_log_offset - 1] = Int64GetDatum(rec->hdr.offset);
	isnull[Anum_log_record_log_offset - 1] = false;
	values[Anum_log_record_appended_at - 1] = TimestampTzGetDatum(rec->hdr.appended_at);
	isnull[Anum_log_record_appended_at - 1] = false;
	values[Anum_log_record_key - 1] = PointerGetDatum(rec->key);
	isnull[Anum_log_record_key - 1] = rec->key == NULL;
	values[Anum_log_record_value - 1] = PointerGetDatum(rec->value);
	isnull[Anum_log_record_value - 1] = false;
	values[Anum_log_record_headers - 1] = PointerGetDatum(rec->headers);
	isnull[Anum_log_record_headers - 1] = rec->headers == NULL;
}

/* does desc have exactly the columns of a record, in order? */
bool
LogRecordDescMatches(TupleDesc desc)
{
	if (desc->natts != Natts_log_record)
		return false;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != log_record_columns[i].type ||
			strcmp(NameStr(att->attname), log_record_columns[i].name) != 0)
			return false;
	}
	return true;
}

/* "partition pg_catalog.int4, ..." for CREATE TABLE, palloc'd */
char *
LogRecordColumnsSql(void)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < Natts_log_record; i++)
		appendStringInfo(&buf, "%s%s %s%s", i > 0 ? ", " : "",
						 log_record_columns[i].name,
						 log_record_columns[i].type_sql,
						 log_record_columns[i].not_null ? " NOT NULL" : "");
	return buf.data;
}
