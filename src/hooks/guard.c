/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  Parse-analysis and utility hooks that refuse commands which would
 *	  change a log segment behind logext's back.
 *
 * The access method refuses row-level changes itself (am/unsupported.c),
 * but only for rows that exist: an UPDATE of an empty segment would
 * "succeed".  So UPDATE/DELETE/MERGE targeting a segment, and INSERT with
 * RETURNING or ON CONFLICT, are refused at parse analysis (plain INSERT and
 * COPY FROM append, see am/insert.c), and TRUNCATE, CLUSTER, VACUUM FULL,
 * CREATE INDEX, ALTER TABLE, RENAME, SET SCHEMA, CREATE TRIGGER, CREATE
 * RULE, DROP TABLE naming a segment, and making a segment a parent or a
 * partition of another table (INHERITS, PARTITION OF, ALTER TABLE ...
 * INHERIT, ATTACH PARTITION: TRUNCATE of the other table would empty the
 * segment) in the utility hook.  Segments are dropped only by log_drop()
 * (which deletes them internally, not through DROP TABLE).  ALTER TABLE ...
 * SET ACCESS METHOD log on another table is refused too; the AM itself
 * refuses any other way to create a log-AM table or to replace a segment's
 * storage (am/relation.c).
 *
 * A segment is a relation of the log AM in schema logext.  The catalog
 * tables logext.logs and logext.segments are protected the same way from
 * TRUNCATE, DROP, ALTER, RENAME, SET SCHEMA, triggers, rules and
 * inheritance (even for superusers, except in extension scripts; DROP
 * EXTENSION does not go through here); plain DML on them stays possible for
 * their owner.  Schema logext cannot be renamed or given to another owner.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/hooks/guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "hooks/guard.h"
#include "meta/logacl.h"
#include "meta/segdef.h"

static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

static Oid	log_am_oid = InvalidOid;
static bool log_am_valid = false;

static void
am_cache_reset(Datum arg, int cacheid, uint32 hashvalue)
{
	log_am_valid = false;
}

/*
 * OID of our access method: the table AM named "log" whose handler is
 * logext.log_tableam_handler.  InvalidOid if the extension is not
 * installed in this database.
 */
static Oid
get_log_am_oid(void)
{
	if (!log_am_valid)
	{
		HeapTuple	tup = SearchSysCache1(AMNAME, CStringGetDatum("log"));

		log_am_oid = InvalidOid;
		if (HeapTupleIsValid(tup))
		{
			Form_pg_am am = (Form_pg_am) GETSTRUCT(tup);
			char	   *handler = get_func_name(am->amhandler);

			if (am->amtype == AMTYPE_TABLE && handler != NULL &&
				strcmp(handler, "log_tableam_handler") == 0)
				log_am_oid = am->oid;
			ReleaseSysCache(tup);
		}
		log_am_valid = true;
	}
	return log_am_oid;
}

/* the schema the extension lives in ("logext"; it cannot be renamed) */
static Oid
logext_schema_oid(void)
{
	return get_namespace_oid(LOGEXT_SCHEMA, true);
}

/*
 * What a relation is to logext.  A segment is a relation of the log access
 * method in schema logext: only logext creates those (am/relation.c refuses
 * any other), and they cannot be moved out.  A log-AM table elsewhere (made
 * before that rule existed) is left alone.  The catalog tables are
 * logext.logs and logext.segments.
 */
typedef enum LogRelKind
{
	LOGREL_OTHER,
	LOGREL_SEGMENT,
	LOGREL_CATALOG,
	LOGREL_VIEW,				/* the view that stands for a log */
} LogRelKind;

static LogRelKind
relid_kind(Oid relid)
{
	HeapTuple	tup;
	Form_pg_class cls;
	LogRelKind	result = LOGREL_OTHER;
	Oid			am = get_log_am_oid();

	/* without our access method the extension is not installed here */
	if (!OidIsValid(am) || !OidIsValid(relid))
		return LOGREL_OTHER;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return LOGREL_OTHER;
	cls = (Form_pg_class) GETSTRUCT(tup);
	if (cls->relam == am)
	{
		if (cls->relnamespace == logext_schema_oid())
			result = LOGREL_SEGMENT;
	}
	else if (cls->relkind == RELKIND_RELATION &&
			 (strcmp(NameStr(cls->relname), "logs") == 0 ||
			  strcmp(NameStr(cls->relname), "segments") == 0) &&
			 cls->relnamespace == logext_schema_oid())
		result = LOGREL_CATALOG;
	else if (cls->relkind == RELKIND_VIEW &&
			 cls->relnamespace == LogViewNamespace(true))
		result = LOGREL_VIEW;
	ReleaseSysCache(tup);
	return result;
}

static bool
relid_is_segment(Oid relid)
{
	return relid_kind(relid) == LOGREL_SEGMENT;
}

/*
 * The commands the utility hook refuses on a protected relation, each with
 * its message for a segment and for a catalog table (NULL: allowed on the
 * catalog, which is made of ordinary heap tables).
 */
typedef enum GuardOp
{
	GUARD_TRUNCATE,
	GUARD_CLUSTER,
	GUARD_VACUUM_FULL,
	GUARD_INDEX,
	GUARD_ALTER,
	GUARD_RENAME,
	GUARD_SET_SCHEMA,
	GUARD_TRIGGER,
	GUARD_RULE,
	GUARD_INHERIT,
	GUARD_ATTACH,
	GUARD_DROP,
} GuardOp;

#define HINT_DROP "Drop the whole log with logext.log_drop()."
#define HINT_MANAGED "Log segments are managed by logext; use its functions."
#define HINT_CATALOG "The logext catalog is changed only by logext.log_create() and logext.log_drop()."

static const struct
{
	const char *segment_msg;
	const char *segment_hint;
	const char *catalog_msg;
}			guard_ops[] = {
	[GUARD_TRUNCATE] = {
		gettext_noop("cannot truncate log segment \"%s\""), HINT_DROP,
		gettext_noop("cannot truncate logext catalog table \"%s\"")
	},
	[GUARD_CLUSTER] = {
		gettext_noop("cannot cluster log segment \"%s\""),
		"Log records are kept in offset order.", NULL
	},
	[GUARD_VACUUM_FULL] = {
		gettext_noop("cannot run VACUUM FULL on log segment \"%s\""),
		"Log segments never need VACUUM FULL; plain VACUUM freezes them.", NULL
	},
	[GUARD_INDEX] = {
		gettext_noop("cannot create an index on log segment \"%s\""),
		"Read records by offset with logext.log_read().", NULL
	},
	[GUARD_ALTER] = {
		gettext_noop("cannot alter log segment \"%s\""), HINT_MANAGED,
		gettext_noop("cannot alter logext catalog table \"%s\"")
	},
	[GUARD_RENAME] = {
		gettext_noop("cannot rename log segment \"%s\""), HINT_MANAGED,
		gettext_noop("cannot rename logext catalog table \"%s\"")
	},
	[GUARD_SET_SCHEMA] = {
		gettext_noop("cannot move log segment \"%s\" to another schema"),
		"Log segments stay in schema logext.",
		gettext_noop("cannot move logext catalog table \"%s\" to another schema")
	},
	[GUARD_TRIGGER] = {
		gettext_noop("cannot create a trigger on log segment \"%s\""),
		"Records appear at commit, not through INSERT; consume them with logext.log_read().",
		gettext_noop("cannot create a trigger on logext catalog table \"%s\"")
	},
	[GUARD_RULE] = {
		gettext_noop("cannot create a rule on log segment \"%s\""), HINT_MANAGED,
		gettext_noop("cannot create a rule on logext catalog table \"%s\"")
	},
	[GUARD_INHERIT] = {
		gettext_noop("cannot inherit from log segment \"%s\""), HINT_MANAGED,
		gettext_noop("cannot inherit from logext catalog table \"%s\"")
	},
	[GUARD_ATTACH] = {
		gettext_noop("cannot attach log segment \"%s\" as a partition"), HINT_MANAGED,
		gettext_noop("cannot attach logext catalog table \"%s\" as a partition")
	},
	[GUARD_DROP] = {
		gettext_noop("cannot drop log segment \"%s\""), HINT_DROP,
		gettext_noop("cannot drop logext catalog table \"%s\"")
	},
};

/*
 * Refuse op on the relation rv names, if it is a segment or (where the
 * table above says so) a catalog table.  Segments refuse with
 * feature_not_supported; the catalog, like PostgreSQL's own, with
 * insufficient_privilege, even for superusers.  CREATE/ALTER EXTENSION
 * scripts may change the catalog.
 */
static void
guard_relation(RangeVar *rv, GuardOp op)
{
	Oid			relid;

	if (rv == NULL)
		return;
	relid = RangeVarGetRelid(rv, NoLock, true);
	switch (relid_kind(relid))
	{
		case LOGREL_SEGMENT:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg(guard_ops[op].segment_msg, rv->relname),
					 errhint("%s", guard_ops[op].segment_hint)));
			break;
		case LOGREL_CATALOG:
			if (guard_ops[op].catalog_msg != NULL && !creating_extension)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg(guard_ops[op].catalog_msg, rv->relname),
						 errdetail("Table \"%s\" is part of the logext catalog.",
								   get_rel_name(relid)),
						 errhint(HINT_CATALOG)));
			break;
		case LOGREL_VIEW:
			/* log_create/log_drop create and drop it; it keeps its name */
			if (LogInternalChange())
				break;
			switch (op)
			{
				case GUARD_DROP:
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot drop view \"%s\", which stands for a log",
									rv->relname),
							 errhint("Drop the log with logext.log_drop(); its view goes with it.")));
					break;
				case GUARD_RENAME:
				case GUARD_SET_SCHEMA:
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot rename or move view \"%s\", which stands for a log",
									rv->relname),
							 errhint("The view of a log bears the log's name in schema logext_logs.")));
					break;
				case GUARD_ALTER:
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot alter view \"%s\", which stands for a log",
									rv->relname),
							 errhint("Its owner (the log's owner) can be changed with ALTER VIEW ... OWNER TO, and its privileges with GRANT and REVOKE.")));
					break;
				default:
					break;
			}
			break;
		case LOGREL_OTHER:
			break;
	}
}

static void
check_query(Query *query)
{
	ListCell   *lc;

	if (query->resultRelation > 0 &&
		(query->commandType == CMD_INSERT || query->commandType == CMD_UPDATE ||
		 query->commandType == CMD_DELETE || query->commandType == CMD_MERGE))
	{
		RangeTblEntry *rte = rt_fetch(query->resultRelation, query->rtable);

		if (relid_is_segment(rte->relid))
		{
			const char *relname = get_rel_name(rte->relid);

			switch (query->commandType)
			{
				case CMD_INSERT:
					if (query->returningList == NIL && query->onConflict == NULL)
						break;	/* appends, see am/insert.c */
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot use INSERT ... RETURNING or ON CONFLICT on log segment \"%s\"",
									relname),
							 errhint("Records get their offsets at commit; read them back with logext.log_last_positions().")));
					break;
				case CMD_UPDATE:
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot update log segment \"%s\"", relname),
							 errhint("Log records are immutable.")));
					break;
				case CMD_DELETE:
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot delete from log segment \"%s\"", relname),
							 errhint("Log records are immutable.")));
					break;
				default:
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot merge into log segment \"%s\"", relname),
							 errhint("Log records are immutable.")));
					break;
			}
		}
	}
	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (IsA(cte->ctequery, Query))
			check_query((Query *) cte->ctequery);
	}
}

static void
guard_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);
	check_query(query);
}

/* the extension's schema may be neither renamed nor given away */
static void
guard_schema(const char *nspname)
{
	if (nspname != NULL && strcmp(nspname, LOGEXT_SCHEMA) == 0 &&
		OidIsValid(get_log_am_oid()) && !creating_extension)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot change the name or owner of schema \"%s\"", nspname),
				 errdetail("logext keeps its catalog and log segments in this schema."),
				 errhint("Drop the extension to remove the schema's contents.")));
}

static void
check_alter_table(AlterTableStmt *alter)
{
	ListCell   *lc;
	bool		only_owner = alter->cmds != NIL;

	/* a log's view may change its owner (that is the log's owner) */
	foreach(lc, alter->cmds)
		if (lfirst_node(AlterTableCmd, lc)->subtype != AT_ChangeOwner)
			only_owner = false;
	if (!only_owner ||
		relid_kind(RangeVarGetRelid(alter->relation, NoLock, true)) != LOGREL_VIEW)
		guard_relation(alter->relation, GUARD_ALTER);
	foreach(lc, alter->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_SetAccessMethod:
				if (cmd->name && strcmp(cmd->name, "log") == 0 &&
					OidIsValid(get_log_am_oid()))
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot change the access method of \"%s\" to log",
									alter->relation->relname),
							 errhint("Create logs with logext.log_create().")));
				break;
			case AT_AttachPartition:
				/* "ALTER TABLE parent ATTACH PARTITION seg": TRUNCATE parent would empty it */
				if (cmd->def && IsA(cmd->def, PartitionCmd))
					guard_relation(((PartitionCmd *) cmd->def)->name, GUARD_ATTACH);
				break;
			case AT_AddInherit:
				/* "ALTER TABLE child INHERIT seg" */
				if (cmd->def && IsA(cmd->def, RangeVar))
					guard_relation((RangeVar *) cmd->def, GUARD_INHERIT);
				break;
			default:
				break;
		}
	}
}

static void
check_utility(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_TruncateStmt:
			/* a segment reached through inheritance is refused by the AM */
			foreach(lc, ((TruncateStmt *) stmt)->relations)
				guard_relation(lfirst(lc), GUARD_TRUNCATE);
			break;
		case T_ClusterStmt:
			guard_relation(((ClusterStmt *) stmt)->relation, GUARD_CLUSTER);
			break;
		case T_VacuumStmt:
			{
				VacuumStmt *vac = (VacuumStmt *) stmt;
				bool		full = false;

				foreach(lc, vac->options)
				{
					DefElem    *opt = lfirst_node(DefElem, lc);

					if (strcmp(opt->defname, "full") == 0 && defGetBoolean(opt))
						full = true;
				}
				if (!full)
					break;
				foreach(lc, vac->rels)
					guard_relation(lfirst_node(VacuumRelation, lc)->relation,
								   GUARD_VACUUM_FULL);
				break;
			}
		case T_IndexStmt:
			guard_relation(((IndexStmt *) stmt)->relation, GUARD_INDEX);
			break;
		case T_AlterTableStmt:
			check_alter_table((AlterTableStmt *) stmt);
			break;
		case T_RenameStmt:
			{
				RenameStmt *ren = (RenameStmt *) stmt;

				if (ren->renameType == OBJECT_SCHEMA)
					guard_schema(ren->subname);
				else
					guard_relation(ren->relation, GUARD_RENAME);
				break;
			}
		case T_AlterOwnerStmt:
			{
				AlterOwnerStmt *own = (AlterOwnerStmt *) stmt;

				if (own->objectType == OBJECT_SCHEMA && IsA(own->object, String))
					guard_schema(strVal(own->object));
				break;
			}
		case T_AlterObjectSchemaStmt:
			guard_relation(((AlterObjectSchemaStmt *) stmt)->relation,
						   GUARD_SET_SCHEMA);
			break;
		case T_ViewStmt:
			if (((ViewStmt *) stmt)->replace)
				guard_relation(((ViewStmt *) stmt)->view, GUARD_ALTER);
			break;
		case T_CreateTrigStmt:
			guard_relation(((CreateTrigStmt *) stmt)->relation, GUARD_TRIGGER);
			break;
		case T_RuleStmt:
			guard_relation(((RuleStmt *) stmt)->relation, GUARD_RULE);
			break;
		case T_CreateStmt:
			/* INHERITS (seg) and PARTITION OF seg both name it here */
			foreach(lc, ((CreateStmt *) stmt)->inhRelations)
				guard_relation(lfirst(lc), GUARD_INHERIT);
			break;
		case T_DropStmt:
			{
				DropStmt   *drop = (DropStmt *) stmt;

				if (drop->removeType != OBJECT_TABLE &&
					drop->removeType != OBJECT_VIEW)
					break;
				foreach(lc, drop->objects)
					guard_relation(makeRangeVarFromNameList(lfirst(lc)), GUARD_DROP);
				break;
			}
		default:
			break;
	}
}

static void
guard_process_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	check_utility(pstmt->utilityStmt);
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

void
LogGuardInstall(void)
{
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = guard_post_parse_analyze;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
	CacheRegisterSyscacheCallback(AMOID, am_cache_reset, (Datum) 0);
}
