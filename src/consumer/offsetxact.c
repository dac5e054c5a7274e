/*-------------------------------------------------------------------------
 *
 * offsetxact.c
 *	  This backend's uncommitted offset commits, and the transaction hooks
 *	  that publish them to the cache at pre-commit or forget them.
 *
 * A log_commit() queues its record in the pending appends (written at
 * pre-commit like any other append) and remembers the value here, with its
 * subtransaction, so that the transaction reads its own commits and a
 * rolled-back savepoint takes them back.  After the records are written,
 * LogOffsetsPreCommit adds a version per key to the entries that
 * LogOffsetsCommit reserved.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetxact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "consumer/offsetcache.h"
#include "consumer/offsetxact.h"

static List *pending_offsets = NIL; /* in TopTransactionContext */

/*
 * Pre-commit, after the offsets records were written: publish this
 * transaction's versions.  The entries were reserved by LogOffsetsCommit
 * and running transactions' entries are never freed, so this fails only
 * if something is badly wrong, and then only this transaction's commit.
 */
void
LogOffsetsPreCommit(void)
{
	TransactionId xid;
	ListCell   *lc;
	const OffsetKey *failed = NULL;

	if (pending_offsets == NIL)
		return;
	OffsetsEnsureLoaded();
	xid = GetTopTransactionId();
	LWLockAcquire(OffsetsLock, LW_EXCLUSIVE);
	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);
		OffsetEntry *entry = hash_search(OffsetsHash, &p->key, HASH_FIND, NULL);

		if (entry == NULL)
			entry = OffsetEntryEnter(&p->key, GetUserId());
		if (entry == NULL ||
			!OffsetVersionsAdd(entry->versions, &entry->nversions, xid, p->value))
		{
			failed = &p->key;
			break;
		}
	}
	/* tell the maintenance worker to look at this database */
	if (failed == NULL)
	{
		int			free_slot = -1;
		bool		listed = false;

		for (int i = 0; i < MAX_ACTIVE_DBS; i++)
		{
			if (OffsetsState->active_dbs[i] == MyDatabaseId)
				listed = true;
			else if (!OidIsValid(OffsetsState->active_dbs[i]) && free_slot < 0)
				free_slot = i;
		}
		if (!listed && free_slot >= 0)
			OffsetsState->active_dbs[free_slot] = MyDatabaseId;
	}
	LWLockRelease(OffsetsLock);
	if (failed != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not publish the committed offset of group \"%s\" on partition %d",
						failed->group, failed->partition),
				 errdetail("Its entry in shared memory was not reserved.")));
}

void
LogOffsetsSubAbort(SubTransactionId subid)
{
	List	   *keep = NIL;
	ListCell   *lc;
	MemoryContext old;

	if (pending_offsets == NIL)
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);

		if (p->subid < subid)
			keep = lappend(keep, p);
	}
	MemoryContextSwitchTo(old);
	pending_offsets = keep;
}

void
LogOffsetsSubCommit(SubTransactionId subid, SubTransactionId parent)
{
	ListCell   *lc;

	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);

		if (p->subid == subid)
			p->subid = parent;
	}
}

/* has this transaction committed offsets (refuses PREPARE)? */
bool
LogOffsetsPending(void)
{
	return pending_offsets != NIL;
}

/* commit or abort: the list's memory goes with TopTransactionContext */
void
LogOffsetsEndXact(void)
{
	pending_offsets = NIL;
}

/* remember an uncommitted commit of key (after its record was queued) */
void
OffsetsPendingAdd(const OffsetKey *key, LogOffset value)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	PendingOffset *p = palloc(sizeof(PendingOffset));

	p->key = *key;
	p->value = value;
	p->subid = GetCurrentSubTransactionId();
	pending_offsets = lappend(pending_offsets, p);
	MemoryContextSwitchTo(old);
}

/* this transaction's latest uncommitted commit of key, or NULL */
PendingOffset *
OffsetsPendingFind(const OffsetKey *key)
{
	PendingOffset *mine = NULL;
	ListCell   *lc;

	foreach(lc, pending_offsets)
	{
		PendingOffset *p = lfirst(lc);

		if (memcmp(&p->key, key, sizeof(OffsetKey)) == 0)
			mine = p;
	}
	return mine;
}

/* every uncommitted commit of this transaction, oldest first */
List *
OffsetsPendingList(void)
{
	return pending_offsets;
}
