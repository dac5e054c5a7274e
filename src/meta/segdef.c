/*-------------------------------------------------------------------------
 *
 * segdef.c
 *	  logext._segment_create(): creating a segment relation, the only way
 *	  a table of the log access method comes into being.
 *
 * log_create() (through _log_create in the install script) and
 * log_roll()/compaction (partition/roll.c) create segments by calling
 * logext._segment_create(log_id, partition, name).  It runs CREATE TABLE
 * logext.<name> ... USING log through SPI with the name quoted, and, while
 * it does, remembers that this one relation may be created.  The access
 * method's relation_set_new_filenode (am/relation.c) asks
 * LogSegmentCreationAllowed() and refuses every other new log-AM relation:
 * CREATE TABLE ... USING log, default_table_access_method = log, CREATE
 * TABLE AS, ALTER TABLE ... SET ACCESS METHOD log.  Two exceptions: the
 * transient copy of an existing segment made by a database-wide VACUUM
 * FULL (cluster.c's make_new_heap names it pg_temp_<oid of the segment>,
 * in the segment's schema, with the segment locked), and binary upgrade,
 * where pg_upgrade recreates the segments of the old cluster.
 *
 * The state is backend-local and cleared on the way out, also on error.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/segdef.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "meta/segdef.h"
#include "segment/record.h"

/* the relation _segment_create is creating right now, if any */
static Oid	creating_nsp = InvalidOid;
static char creating_name[NAMEDATALEN] = "";

/*
 * Is the new relation rel the transient copy, made by VACUUM FULL, of a
 * locked relation of the same access method in schema logext?
 */
bool
LogRelationIsRewrite(Relation rel)
{
	const char *relname = RelationGetRelationName(rel);
	char		expected[NAMEDATALEN];
	unsigned long oldrelid;
	char	   *end;
	HeapTuple	tup;
	bool		result = false;
	LOCKTAG		tag;

	if (strncmp(relname, "pg_temp_", 8) != 0)
		return false;
	errno = 0;
	oldrelid = strtoul(relname + 8, &end, 10);
	if (errno != 0 || *end != '\0' || oldrelid == 0 || oldrelid > PG_UINT32_MAX)
		return false;
	snprintf(expected, sizeof(expected), "pg_temp_%u", (Oid) oldrelid);
	if (strcmp(expected, relname) != 0)
		return false;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum((Oid) oldrelid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_class old = (Form_pg_class) GETSTRUCT(tup);

		result = old->relam == rel->rd_rel->relam &&
			old->relnamespace == RelationGetNamespace(rel) &&
			old->relnamespace == get_namespace_oid(LOGEXT_SCHEMA, true);
		ReleaseSysCache(tup);
	}
	if (!result)
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, (Oid) oldrelid);
	return LockHeldByMe(&tag, AccessExclusiveLock);
}

/*
 * May the new relation rel of the log access method be created?  Called
 * when its storage is created.
 */
bool
LogSegmentCreationAllowed(Relation rel)
{
	if (creating_name[0] != '\0' &&
		RelationGetNamespace(rel) == creating_nsp &&
		strcmp(RelationGetRelationName(rel), creating_name) == 0)
		return true;
	if (IsBinaryUpgrade)
		return true;
	return LogRelationIsRewrite(rel);
}

static void
run_utility(const char *sql)
{
	int			ret = SPI_execute(sql, false, 0);

	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "logext: \"%s\" failed: %s", sql, SPI_result_code_string(ret));
}

/*
 * logext._segment_create(log_id int4, partition int4, seg_name text)
 * RETURNS regclass: create the (empty, uninitialised) segment relation
 * logext.<seg_name>; the caller writes its metapage (_segment_init) and
 * its catalog row.
 */
PG_FUNCTION_INFO_V1(logext_segment_create);
Datum
logext_segment_create(PG_FUNCTION_ARGS)
{
	int32		log_id = PG_GETARG_INT32(0);
	int32		partition = PG_GETARG_INT32(1);
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	Oid			nsp = get_namespace_oid(LOGEXT_SCHEMA, false);
	char	   *qualname;
	char	   *create;
	char	   *comment;
	Oid			relid;

	if (name[0] == '\0' || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid segment name \"%s\"", name),
				 errdetail("A segment name has 1 to %d bytes.", NAMEDATALEN - 1)));
	if (creating_name[0] != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot create log segment \"%s\" while creating log segment \"%s\"",
						name, creating_name)));

	qualname = quote_qualified_identifier(LOGEXT_SCHEMA, name);
	create = psprintf("CREATE TABLE %s (%s) USING log", qualname,
					  LogRecordColumnsSql());
	comment = psprintf("COMMENT ON TABLE %s IS %s", qualname,
					   quote_literal_cstr(psprintf("segment of log %d partition %d",
												   log_id, partition)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	creating_nsp = nsp;
	strlcpy(creating_name, name, sizeof(creating_name));
	PG_TRY();
	{
		run_utility(create);
	}
	PG_FINALLY();
	{
		creating_name[0] = '\0';
		creating_nsp = InvalidOid;
	}
	PG_END_TRY();
	run_utility(comment);
	SPI_finish();

	relid = get_relname_relid(name, nsp);
	if (!OidIsValid(relid))
		elog(ERROR, "logext: segment \"%s\" was not created", qualname);

	/*
	 * A segment is a member of the extension (CREATE EXTENSION makes its
	 * own segments members anyway), so that pg_dump leaves it out: its
	 * records travel in logext.dump.  DROP EXTENSION drops it.
	 */
	if (!creating_extension)
	{
		ObjectAddress seg;
		ObjectAddress ext;

		ObjectAddressSet(seg, RelationRelationId, relid);
		ObjectAddressSet(ext, ExtensionRelationId,
						 get_extension_oid("logext", false));
		recordDependencyOn(&seg, &ext, DEPENDENCY_EXTENSION);
	}
	PG_RETURN_OID(relid);
}
