/*-------------------------------------------------------------------------
 *
 * record.h
 *	  The shape of a log record as SQL sees it: the columns of a segment
 *	  and of the composite type logext.record that every reading function
 *	  returns, and the decoded payload of a record.
 *
 * The order and types here must match logext.record in the extension's
 * SQL script; relation.c refuses a segment whose columns differ.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/record.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_SEGMENT_RECORD_H
#define LOGEXT_SEGMENT_RECORD_H

#include "access/tupdesc.h"
#include "utils/jsonb.h"

#include "segment/page.h"

/* attribute numbers (1-based, as in pg_attribute) */
#define Anum_log_record_partition	1
#define Anum_log_record_log_offset	2
#define Anum_log_record_appended_at	3
#define Anum_log_record_key			4
#define Anum_log_record_value		5
#define Anum_log_record_headers		6
#define Natts_log_record			6

/* the decoded payload of one record, palloc'd in the caller's context */
typedef struct LogRecordData
{
	LogRecordHeader hdr;
	text	   *key;			/* NULL if none */
	Jsonb	   *headers;		/* NULL if none */
	bytea	   *value;
} LogRecordData;

extern void LogRecordToDatums(int32 partition, const LogRecordData *rec,
							  Datum *values, bool *isnull);
extern bool LogRecordDescMatches(TupleDesc desc);
extern char *LogRecordColumnsSql(void);

#endif							/* LOGEXT_SEGMENT_RECORD_H */
