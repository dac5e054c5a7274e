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
 * COPY FROM append, see am/insert.c), and TRUNCATE, CLUSTER, VACUUM FULL, CREATE
 * INDEX, ALTER TABLE, RENAME, SET SCHEMA, CREATE TRIGGER, CREATE RULE,
 * INHERITS and DROP TABLE naming a segment in the utility hook.
 * Segments are dropped only by log_drop() (which deletes them internally,
 * not through DROP TABLE).  ALTER TABLE ... SET ACCESS METHOD log on
 * another table is refused too.
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
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "hooks/guard.h"

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

static bool
relid_is_segment(Oid relid)
{
	HeapTuple	tup;
	bool		result = false;
	Oid			am = get_log_am_oid();

	if (!OidIsValid(am) || !OidIsValid(relid))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_class) GETSTRUCT(tup))->relam == am;
		ReleaseSysCache(tup);
	}
	return result;
}

static bool
rangevar_is_segment(RangeVar *rv)
{
	return rv != NULL && relid_is_segment(RangeVarGetRelid(rv, NoLock, true));
}

static void pg_attribute_noreturn()
refuse(const char *what, const char *relname, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s log segment \"%s\"", what, relname),
			 errhint("%s", hint)));
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

			if (query->commandType == CMD_INSERT)
			{
				if (query->returningList == NIL && query->onConflict == NULL)
					return;		/* appends, see am/insert.c */
				refuse("INSERT ... RETURNING or ON CONFLICT into", relname,
					   "Records get their offsets at commit; read them back with logext.log_last_positions().");
			}
			refuse(query->commandType == CMD_UPDATE ? "UPDATE" :
				   query->commandType == CMD_DELETE ? "DELETE from" : "MERGE into",
				   relname, "Log records are immutable.");
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

#define HINT_DROP "Drop the whole log with logext.log_drop()."

static void
check_utility(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
				if (rangevar_is_segment(lfirst(lc)))
					refuse("TRUNCATE", ((RangeVar *) lfirst(lc))->relname, HINT_DROP);
			break;
		case T_ClusterStmt:
			{
				ClusterStmt *cl = (ClusterStmt *) stmt;

				if (rangevar_is_segment(cl->relation))
					refuse("CLUSTER", cl->relation->relname,
						   "Log records are kept in offset order.");
				break;
			}
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
				{
					VacuumRelation *vrel = lfirst_node(VacuumRelation, lc);

					if (rangevar_is_segment(vrel->relation))
						refuse("VACUUM FULL", vrel->relation->relname,
							   "Log segments never need VACUUM FULL; plain VACUUM freezes them.");
				}
				break;
			}
		case T_IndexStmt:
			{
				IndexStmt  *idx = (IndexStmt *) stmt;

				if (rangevar_is_segment(idx->relation))
					refuse("create an index on", idx->relation->relname,
						   "Read records by offset with logext.log_read().");
				break;
			}
		case T_AlterTableStmt:
			{
				AlterTableStmt *alter = (AlterTableStmt *) stmt;

				if (rangevar_is_segment(alter->relation))
					refuse("ALTER", alter->relation->relname,
						   "Log segments are managed by logext; use its functions.");
				foreach(lc, alter->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if (cmd->subtype == AT_SetAccessMethod && cmd->name &&
						strcmp(cmd->name, "log") == 0 && OidIsValid(get_log_am_oid()))
						ereport(ERROR,
								(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
								 errmsg("cannot change the access method of \"%s\" to log",
										alter->relation->relname),
								 errhint("Create a log with logext.log_create().")));
				}
				break;
			}
		case T_RenameStmt:
			{
				RenameStmt *ren = (RenameStmt *) stmt;

				if (ren->relation && rangevar_is_segment(ren->relation))
					refuse("rename", ren->relation->relname,
						   "Log segments are managed by logext; use its functions.");
				break;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *alt = (AlterObjectSchemaStmt *) stmt;

				if (alt->relation && rangevar_is_segment(alt->relation))
					refuse("move", alt->relation->relname,
						   "Log segments stay in schema logext.");
				break;
			}
		case T_CreateTrigStmt:
			{
				CreateTrigStmt *trig = (CreateTrigStmt *) stmt;

				if (rangevar_is_segment(trig->relation))
					refuse("create a trigger on", trig->relation->relname,
						   "Records appear at commit, not through INSERT; consume them with logext.log_read().");
				break;
			}
		case T_RuleStmt:
			{
				RuleStmt   *rule = (RuleStmt *) stmt;

				if (rangevar_is_segment(rule->relation))
					refuse("create a rule on", rule->relation->relname,
						   "Log segments are managed by logext; use its functions.");
				break;
			}
		case T_CreateStmt:
			{
				CreateStmt *create = (CreateStmt *) stmt;

				foreach(lc, create->inhRelations)
					if (rangevar_is_segment(lfirst(lc)))
						refuse("inherit from", ((RangeVar *) lfirst(lc))->relname,
							   "Log segments are managed by logext; use its functions.");
				break;
			}
		case T_DropStmt:
			{
				DropStmt   *drop = (DropStmt *) stmt;

				if (drop->removeType != OBJECT_TABLE)
					break;
				foreach(lc, drop->objects)
				{
					RangeVar   *rv = makeRangeVarFromNameList(lfirst(lc));

					if (rangevar_is_segment(rv))
						refuse("DROP", rv->relname, HINT_DROP);
				}
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
