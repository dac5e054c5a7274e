/*-------------------------------------------------------------------------
 *
 * logacl.c
 *	  Who may do what with a log: PostgreSQL's own privileges on the view
 *	  that stands for the log, and running logext's internal work as the
 *	  extension's owner.
 *
 * Every log (except logext's own "__" logs) has a view
 * logext_logs."<log name>", created by log_create() and owned by the role
 * that called it.  Its privileges are the log's: SELECT to read (log_read,
 * log_read_group, committing or reading a consumer group's offsets on the
 * log, SELECT from the view), INSERT to append (log_append*, INSERT or COPY
 * into the view), ownership (or membership in the owning role) to drop or
 * roll it.  So GRANT/REVOKE, \dp and pg_dump work as for any table.  To
 * create a log a role needs CREATE on schema logext_logs, as it would to
 * create a table there.  Superusers pass every check, as usual.
 *
 * Segments and the catalog tables belong to the extension's owner and are
 * changed only by logext's own code, which runs that part as the owner
 * (LogRunAsOwner), with search_path pinned, like a
 * SECURITY DEFINER function but after the caller's rights were checked
 * with the caller's own identity.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/logacl.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "meta/logacl.h"

static int	internal_depth = 0;

/* the schema of the views that stand for logs */
Oid
LogViewNamespace(bool missing_ok)
{
	return get_namespace_oid(LOGEXT_VIEW_SCHEMA, missing_ok);
}

/* the view that stands for a log, or InvalidOid */
Oid
LogViewRelid(const char *log_name)
{
	Oid			nsp = LogViewNamespace(true);

	if (!OidIsValid(nsp))
		return InvalidOid;
	return get_relname_relid(log_name, nsp);
}

/*
 * Check the current user's right to read (ACL_SELECT) or append
 * (ACL_INSERT) to a log.
 */
void
LogCheckAccess(const char *log_name, AclMode mode)
{
	Oid			view;

	if (superuser())
		return;
	view = LogViewRelid(log_name);
	if (OidIsValid(view) &&
		pg_class_aclcheck(view, GetUserId(), mode) == ACLCHECK_OK)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 mode == ACL_INSERT ?
			 errmsg("permission denied to append to log \"%s\"", log_name) :
			 errmsg("permission denied to read log \"%s\"", log_name),
			 OidIsValid(view) ?
			 (mode == ACL_INSERT ?
			  errhint("The owner of the log can grant it: GRANT INSERT ON %s.%s TO ...;",
					  LOGEXT_VIEW_SCHEMA, quote_identifier(log_name)) :
			  errhint("The owner of the log can grant it: GRANT SELECT ON %s.%s TO ...;",
					  LOGEXT_VIEW_SCHEMA, quote_identifier(log_name))) :
			 errhint("Only superusers can use logext's internal logs.")));
}

/* the current user must own the log (be a member of its view's owner) */
void
LogCheckOwner(const char *log_name)
{
	Oid			view;

	if (superuser())
		return;
	view = LogViewRelid(log_name);
	if (OidIsValid(view) && pg_class_ownercheck(view, GetUserId()))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("must be owner of log \"%s\"", log_name),
			 errdetail("The owner of a log is the owner of view %s.%s.",
					   LOGEXT_VIEW_SCHEMA, quote_identifier(log_name))));
}

/* may the current user create logs? */
void
LogCheckCreate(const char *log_name)
{
	Oid			nsp = LogViewNamespace(false);

	if (pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create log \"%s\"", log_name),
				 errdetail("Creating a log needs the CREATE privilege on schema %s.",
						   LOGEXT_VIEW_SCHEMA),
				 errhint("A superuser can grant it: GRANT CREATE ON SCHEMA %s TO ...;",
						 LOGEXT_VIEW_SCHEMA)));
}

/* the role that owns the extension (and so the segments and catalogs) */
static Oid
extension_owner(void)
{
	Oid			ext = get_extension_oid("logext", false);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(owner))
		elog(ERROR, "extension logext has no owner");
	return owner;
}

/*
 * Run fn(arg) as the extension's owner, with search_path = pg_catalog,
 * pg_temp, and with hooks/guard.c letting logext's own changes to its
 * objects through.  The caller has checked the current user's rights.
 * The user, the setting and the guard are restored on the way out, also
 * when fn raises an error.
 */
void
LogRunAsOwner(LogOwnerFn fn, void *arg)
{
	Oid			owner = extension_owner();
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int			save_depth = internal_depth;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	PG_TRY();
	{
		(void) set_config_option("search_path", "pg_catalog, pg_temp",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		internal_depth++;
		fn(arg);
	}
	PG_FINALLY();
	{
		internal_depth = save_depth;
		AtEOXact_GUC(false, save_nestlevel);
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
}

/*
 * Is logext's own code (LogRunAsOwner) changing its objects right now?
 * hooks/guard.c lets such changes through.
 */
bool
LogInternalChange(void)
{
	return internal_depth > 0;
}
