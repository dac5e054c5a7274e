/*-------------------------------------------------------------------------
 *
 * groupacl.c
 *	  Who may use a consumer group: the catalog logext.group_owners and the
 *	  checks on it.
 *
 * A consumer group belongs to a role, as a table does: the role whose
 * transaction first commits an offset for it, resets it, reads from it or
 * joins it (the row is written in that transaction, so a rolled-back first
 * use leaves the group unowned), or the role it was handed to with
 * log_group_set_owner().  Committing, resetting, deleting, reading from the
 * group's position, joining, heartbeats and leaving need membership in the
 * owning role (has_privs_of_role, so a GRANT of the owning role lets others
 * in); superusers pass, as usual.  This comes on top of the rights on the
 * log (SELECT on its view, meta/logacl.c), which the callers check.
 *
 * The catalog is read like a catalog, not with the transaction's
 * snapshot: the latest committed state plus claims still in progress.  Two
 * first users of a new group: if they are of one role (or the second is a
 * member of the first's), the second goes on at once (and claims the group
 * at its commit if the first rolled back); otherwise it waits for the
 * first to end and then finds the group owned (or claims it, if the first
 * rolled back).  Under REPEATABLE READ a claim that commits while this one
 * waits for it is a serialization failure.  Changes of the owner and
 * deletes are made only if the owner is still the one checked.  On a
 * standby or in a read-only transaction nothing is claimed.  Group names
 * are compared bytewise (the key column is COLLATE "C"), like log names.
 *
 * The table is an extension configuration table, so pg_dump keeps the
 * owners; roles are stored as regrole, so they are dumped by name (a
 * dropped role's groups are left with its OID: hand them over first).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/groupacl.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "meta/groupacl.h"
#include "meta/logacl.h"

typedef struct GroupOwnerWrite
{
	const char *sql;			/* $1 group, $2 role, $3 expected owner */
	const char *group;
	Oid			role;
	Oid			expected;
	bool		done;			/* out: a row was written */
} GroupOwnerWrite;

/* groups used on the strength of another transaction's claim (see below) */
typedef struct PendingClaim
{
	char	   *group;
	Oid			user;
} PendingClaim;

static List *pending_claims = NIL;	/* in TopTransactionContext */

/*
 * Open logext.group_owners, locked; a concurrent DROP EXTENSION (which
 * takes the table's lock in exclusive mode) is waited for and reported.
 */
static Relation
open_owners(Oid *index)
{
	Oid			nsp = get_namespace_oid("logext", true);
	Oid			relid = InvalidOid;

	if (OidIsValid(nsp))
		relid = RangeVarGetRelid(makeRangeVar("logext", "group_owners", -1),
								 AccessShareLock, true);
	if (OidIsValid(relid) && OidIsValid(nsp = get_namespace_oid("logext", true)))
		*index = get_relname_relid("group_owners_pkey", nsp);
	if (!OidIsValid(relid) || !OidIsValid(*index))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension logext was dropped concurrently")));
	return table_open(relid, NoLock);
}

/*
 * The group's owner as the latest state of the catalog shows it, counting
 * rows of transactions still in progress (a dirty snapshot, as for a
 * unique check); *inserter is the xid of such a transaction that inserted
 * the row, or invalid.
 */
static Oid
lookup_owner(const char *group, TransactionId *inserter)
{
	SnapshotData dirty;
	Relation	rel;
	Oid			index = InvalidOid;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	*inserter = InvalidTransactionId;
	InitDirtySnapshot(dirty);
	rel = open_owners(&index);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(group));
	scan = systable_beginscan(rel, index, true, &dirty, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);

		if (!isnull)
			owner = DatumGetObjectId(d);
		if (TransactionIdIsValid(dirty.xmin))
			*inserter = dirty.xmin;
	}
	systable_endscan(scan);
	table_close(rel, NoLock);
	return owner;
}

/*
 * Run one write on the catalog as the extension's owner (LogRunAsOwner),
 * with the latest snapshot: under REPEATABLE READ a row another
 * transaction committed after our snapshot is a conflict to resolve, not a
 * serialization failure, as for a catalog.
 */
static void
write_as_owner(void *arg)
{
	GroupOwnerWrite *w = (GroupOwnerWrite *) arg;
	Oid			argtypes[3] = {TEXTOID, REGROLEOID, REGROLEOID};
	Datum		args[3] = {CStringGetTextDatum(w->group), ObjectIdGetDatum(w->role),
	ObjectIdGetDatum(w->expected)};
	SPIPlanPtr	plan;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(w->sql, 3, argtypes);
	if (plan == NULL)
		elog(ERROR, "logext: could not plan a change of logext.group_owners: %s",
			 SPI_result_code_string(SPI_result));
	rc = SPI_execute_snapshot(plan, args, NULL, GetLatestSnapshot(),
							  InvalidSnapshot, false, false, 0);
	if (rc < 0)
		elog(ERROR, "logext: could not change logext.group_owners: %s",
			 SPI_result_code_string(rc));
	w->done = SPI_processed > 0;
	SPI_freeplan(plan);
	SPI_finish();
}

static bool
write_owner(const char *sql, const char *group, Oid role, Oid expected)
{
	GroupOwnerWrite w = {sql, group, role, expected, false};

	LogRunAsOwner(write_as_owner, &w);
	return w.done;
}

/* the error for a user who is not a member of the group's owner */
static void pg_attribute_noreturn()
deny_group(const char *group, Oid owner)
{
	char	   *name = GetUserNameFromId(owner, true);

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for consumer group \"%s\"", group),
			 name ? errdetail("The group belongs to role \"%s\".", name) :
			 errdetail("The group belongs to a role that was dropped (OID %u).", owner),
			 errhint("A member of the owning role can use it, or hand it over with logext.log_group_set_owner().")));
}

#define CLAIM_SQL \
	"INSERT INTO logext.group_owners (group_name, owner) " \
	"VALUES ($1, $2) ON CONFLICT (group_name) DO NOTHING"

/*
 * May the current user use the group?  Returns its owner (InvalidOid if
 * none).  With claim, an unowned group becomes the current user's (except
 * where nothing can be written).
 *
 * A claim still in progress by another transaction of a role the user
 * belongs to counts (workers of one application starting at once do not
 * wait for each other); in case that transaction rolls back, the group is
 * claimed again at this transaction's commit.  A claim in progress by any
 * other role is waited for (on a standby, where that cannot be waited
 * for, it counts as made).
 */
Oid
LogCheckGroup(const char *group, bool claim)
{
	Oid			user = GetUserId();

	claim = claim && !RecoveryInProgress() && !XactReadOnly;
	for (;;)
	{
		TransactionId inserter;
		Oid			owner = lookup_owner(group, &inserter);

		if (OidIsValid(owner))
		{
			bool		member = superuser_arg(user) || has_privs_of_role(user, owner);

			if (TransactionIdIsValid(inserter) && !member && !RecoveryInProgress())
			{
				XactLockTableWait(inserter, NULL, NULL, XLTW_None);
				continue;
			}
			if (!member)
				deny_group(group, owner);
			if (TransactionIdIsValid(inserter) && claim)
			{
				MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
				PendingClaim *pc = palloc(sizeof(PendingClaim));

				pc->group = pstrdup(group);
				pc->user = user;
				pending_claims = lappend(pending_claims, pc);
				MemoryContextSwitchTo(old);
			}
			return owner;
		}
		if (!claim)
			return InvalidOid;
		if (write_owner(CLAIM_SQL, group, user, InvalidOid))
			return user;
		/* somebody claimed it meanwhile: look again */
	}
}

/*
 * Pre-commit: make the claims that other transactions were making for us
 * (they may have rolled back).  May fail; nothing is written yet.
 */
void
LogGroupAclAtPreCommit(void)
{
	ListCell   *lc;

	foreach(lc, pending_claims)
	{
		PendingClaim *pc = (PendingClaim *) lfirst(lc);
		TransactionId inserter;

		if (!OidIsValid(lookup_owner(pc->group, &inserter)))
			(void) write_owner(CLAIM_SQL, pc->group, pc->user, InvalidOid);
	}
	pending_claims = NIL;
}

/* end of the transaction: the list lived in its memory */
void
LogGroupAclAtEOXact(void)
{
	pending_claims = NIL;
}

/*
 * log_delete_group(): the group is gone, so is its owner, if it is still
 * the one the caller was checked against.
 */
void
LogForgetGroup(const char *group, Oid checked_owner)
{
	if (!OidIsValid(checked_owner))
		return;
	(void) write_owner("DELETE FROM logext.group_owners "
					   "WHERE group_name OPERATOR(pg_catalog.=) $1 "
					   "AND owner OPERATOR(pg_catalog.=) $3",
					   group, InvalidOid, checked_owner);
}

/*
 * Hand the group to new_owner, like ALTER ... OWNER TO: for the group's
 * owner (or a member of it) who is also a member of the new owner, or a
 * superuser.  An unowned group can be given by anyone who may use it.  The
 * change is made only if the owner is still the checked one (else the
 * check runs again).
 */
void
LogSetGroupOwner(const char *group, Oid new_owner)
{
	Oid			user = GetUserId();

	if (GetUserNameFromId(new_owner, true) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", new_owner)));
	if (!superuser_arg(user) && !is_member_of_role(user, new_owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be able to SET ROLE \"%s\" to give it consumer group \"%s\"",
						GetUserNameFromId(new_owner, false), group)));
	for (;;)
	{
		Oid			owner = LogCheckGroup(group, false);

		if (OidIsValid(owner) ?
			write_owner("UPDATE logext.group_owners SET owner = $2 "
						"WHERE group_name OPERATOR(pg_catalog.=) $1 "
						"AND owner OPERATOR(pg_catalog.=) $3",
						group, new_owner, owner) :
			write_owner(CLAIM_SQL, group, new_owner, InvalidOid))
			return;
	}
}
