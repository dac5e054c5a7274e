/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  Reading a log's settings from logext.logs.
 *
 * Intervals are turned into microseconds as PostgreSQL adds an interval to
 * a timestamp: a month counts as 30 days and a day as 24 hours (retention
 * is a length of time, not a calendar date).  Read with the latest
 * snapshot, like the rest of the log catalog, so that the maintenance
 * worker and log_enforce_retention() use what log_alter() last committed.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "meta/logcache.h"
#include "meta/settings.h"

/* an interval in microseconds; one too long for int64 counts as forever */
static int64
interval_us(Datum d, bool isnull)
{
	Interval   *iv;
	int64		days;
	int64		us;

	if (isnull)
		return -1;
	iv = DatumGetIntervalP(d);
	days = (int64) iv->month * DAYS_PER_MONTH + iv->day;
	if (pg_mul_s64_overflow(days, USECS_PER_DAY, &us) ||
		pg_add_s64_overflow(us, iv->time, &us))
		return -1;
	return us;
}

static int64
bigint_or_unset(Datum d, bool isnull)
{
	return isnull ? -1 : DatumGetInt64(d);
}

/* false if the log no longer exists */
bool
LogReadSettings(int32 log_id, LogSettings *settings)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1];
	bool		found = false;

	args[0] = Int32GetDatum(log_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LogCatalogQuery("SELECT l.retention, l.retention_bytes, l.segment_bytes, "
					"l.segment_age, l.cleanup_policy, l.delete_retention "
					"FROM logext.logs l WHERE l.log_id OPERATOR(pg_catalog.=) $1",
					1, argtypes, args, 1);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		char	   *policy;

		d = SPI_getbinval(tup, desc, 1, &isnull);
		settings->retention_us = interval_us(d, isnull);
		d = SPI_getbinval(tup, desc, 2, &isnull);
		settings->retention_bytes = bigint_or_unset(d, isnull);
		d = SPI_getbinval(tup, desc, 3, &isnull);
		settings->segment_bytes = bigint_or_unset(d, isnull);
		d = SPI_getbinval(tup, desc, 4, &isnull);
		settings->segment_age_us = interval_us(d, isnull);
		policy = SPI_getvalue(tup, desc, 5);
		settings->compact = policy != NULL && strstr(policy, "compact") != NULL;
		settings->delete = policy != NULL && strstr(policy, "delete") != NULL;
		d = SPI_getbinval(tup, desc, 6, &isnull);
		settings->delete_retention_us = interval_us(d, isnull);
		found = true;
	}
	SPI_finish();
	return found;
}
