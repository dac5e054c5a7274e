/*-------------------------------------------------------------------------
 *
 * offsetkey.c
 *	  Keys and version lists of committed consumer-group offsets.
 *
 * The latest value per key is kept (offsetcache.c) as a short list of
 * versions (xid, offset).  A version is added at pre-commit, after the
 * record has been written, and never at COMMIT (that must not fail).
 * Readers resolve versions newest first: in progress -> skip, committed ->
 * the answer, aborted -> skip.  So a read returns the latest committed
 * offset (like SELECT ... FOR UPDATE, not snapshot-bound); with the key
 * lock (offsets.c) that is what a consume-transform-produce transaction
 * needs.
 * Versions older than the newest committed one, and aborted ones, are
 * pruned when a version is added, and the newest committed one is frozen
 * (its xid replaced by FrozenTransactionId) so that the cache never asks
 * the commit log about old transactions; the key lock allows at most one
 * uncommitted version per key at a time, so the list stays short.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetkey.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "storage/procarray.h"
#include "utils/lsyscache.h"

#include "consumer/offsetkey.h"

/* a group name is valid, or an error */
void
LogCheckGroupName(const char *group)
{
	size_t		len = strlen(group);

	if (len == 0 || len > LOGEXT_MAX_GROUP_LEN ||
		strspn(group, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid consumer group name \"%s\"", group),
				 errdetail("A group name is 1 to %d characters from A-Z, a-z, 0-9, \".\", \"_\" and \"-\".",
						   LOGEXT_MAX_GROUP_LEN)));
}

/*
 * Identifies this installation of the extension in the database (the OID of
 * logext.logs), so that a dropped and re-created extension does not see the
 * old one's cached offsets.
 */
Oid
OffsetsInstallation(void)
{
	Oid			relid = get_relname_relid("logs", get_namespace_oid("logext", false));

	if (!OidIsValid(relid))
		elog(ERROR, "catalog table logext.logs is missing");
	return relid;
}

void
OffsetKeyInit(OffsetKey *key, Oid olog, const char *group, int32 log_id,
			int32 partition)
{
	memset(key, 0, sizeof(OffsetKey));
	key->dbid = MyDatabaseId;
	key->olog = olog;
	key->log_id = log_id;
	key->partition = partition;
	strlcpy(key->group, group, sizeof(key->group));
}

/* a key of this installation of the extension */
void
OffsetKeyMake(OffsetKey *key, const char *group, int32 log_id, int32 partition)
{
	OffsetKeyInit(key, OffsetsInstallation(), group, log_id, partition);
}

/* ----------------------------------------------------------------
 * Version lists
 * ----------------------------------------------------------------
 */

/*
 * Drop aborted versions and those older than the newest committed one, and
 * freeze the newest committed one.
 */
void
OffsetVersionsPrune(OffsetVersion *versions, int *nversions)
{
	int			newest_committed = -1;
	int			n = 0;

	for (int i = 0; i < *nversions; i++)
	{
		TransactionId xid = versions[i].xid;

		if (TransactionIdIsInProgress(xid))
			continue;
		if (TransactionIdDidCommit(xid))
			newest_committed = i;
		else
			versions[i].xid = InvalidTransactionId; /* aborted */
	}
	if (newest_committed >= 0)
		versions[newest_committed].xid = FrozenTransactionId;
	for (int i = Max(newest_committed, 0); i < *nversions; i++)
		if (TransactionIdIsValid(versions[i].xid))
			versions[n++] = versions[i];
	*nversions = n;
}

/*
 * Add a version to a list of at most OFFSET_VERSIONS (a later version of the
 * same xid replaces the earlier one); false if the list is full of
 * uncommitted versions.
 */
bool
OffsetVersionsAdd(OffsetVersion *versions, int *nversions, TransactionId xid,
			   LogOffset value)
{
	for (int i = 0; i < *nversions; i++)
		if (versions[i].xid == xid)
		{
			versions[i].value = value;
			return true;
		}
	OffsetVersionsPrune(versions, nversions);
	if (*nversions == OFFSET_VERSIONS)
		return false;
	versions[*nversions].xid = xid;
	versions[*nversions].value = value;
	(*nversions)++;
	return true;
}

/* the latest committed value among versions; false if none */
bool
OffsetVersionsResolve(const OffsetVersion *versions, int n, LogOffset *value)
{
	for (int i = n - 1; i >= 0; i--)
	{
		TransactionId xid = versions[i].xid;

		if (TransactionIdIsCurrentTransactionId(xid))
		{
			*value = versions[i].value;
			return *value != NO_OFFSET;
		}
		if (TransactionIdIsInProgress(xid))
			continue;
		if (TransactionIdDidCommit(xid))
		{
			*value = versions[i].value;
			return *value != NO_OFFSET;
		}
	}
	return false;
}
