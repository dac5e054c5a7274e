/*-------------------------------------------------------------------------
 *
 * groupsettings.c
 *	  The catalog logext.group_settings: a consumer group's offset reset
 *	  policy, read when the group has no committed offset for a partition
 *	  or its committed offset is below the partition's first offset (the
 *	  records were removed by retention).  A group without a row resets to
 *	  the earliest offset, the safest choice for an outbox.
 *
 * Read with the latest snapshot, like the rest of the catalog, and written
 * as the extension's owner after the caller's right to the group has been
 * checked (meta/groupacl.c).  A configuration table, so pg_dump keeps it.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/groupsettings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "meta/groupsettings.h"
#include "meta/logacl.h"
#include "meta/logcache.h"

LogOffsetReset
LogParseOffsetReset(const char *policy)
{
	if (strcmp(policy, "earliest") == 0)
		return LOG_RESET_EARLIEST;
	if (strcmp(policy, "latest") == 0)
		return LOG_RESET_LATEST;
	if (strcmp(policy, "error") == 0)
		return LOG_RESET_ERROR;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid offset reset policy \"%s\"", policy),
			 errhint("The policy is 'earliest', 'latest' or 'error'.")));
}

/* the group's policy: its row in logext.group_settings, or earliest */
LogOffsetReset
LogGroupOffsetReset(const char *group)
{
	char	   *policy = LogCatalogValue("SELECT s.offset_reset FROM logext.group_settings s "
										 "WHERE s.group_name OPERATOR(pg_catalog.=) $1",
										 TEXTOID, CStringGetTextDatum(group));

	return policy ? LogParseOffsetReset(policy) : LOG_RESET_EARLIEST;
}

/* a write of the catalog: $1 is the group, $2 (if policy) the policy */
typedef struct SettingsWrite
{
	const char *sql;
	const char *group;
	const char *policy;			/* NULL: the statement takes $1 only */
} SettingsWrite;

static void
write_as_owner(void *arg)
{
	SettingsWrite *w = (SettingsWrite *) arg;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];

	args[0] = CStringGetTextDatum(w->group);
	args[1] = w->policy ? CStringGetTextDatum(w->policy) : (Datum) 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(w->sql, w->policy ? 2 : 1, argtypes, args, NULL,
							  false, 0) < 0)
		elog(ERROR, "logext: could not change logext.group_settings");
	SPI_finish();
}

/* set the group's policy (the caller checked the right to the group) */
void
LogSetGroupOffsetReset(const char *group, const char *policy)
{
	SettingsWrite w = {
		"INSERT INTO logext.group_settings AS s (group_name, offset_reset) "
		"VALUES ($1, $2) ON CONFLICT (group_name) "
		"DO UPDATE SET offset_reset = EXCLUDED.offset_reset",
		group, policy
	};

	(void) LogParseOffsetReset(policy);
	LogRunAsOwner(write_as_owner, &w);
}

/* a deleted group leaves no settings behind */
void
LogForgetGroupSettings(const char *group)
{
	SettingsWrite w = {
		"DELETE FROM logext.group_settings s "
		"WHERE s.group_name OPERATOR(pg_catalog.=) $1",
		group, NULL
	};

	LogRunAsOwner(write_as_owner, &w);
}
