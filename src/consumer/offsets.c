/*-------------------------------------------------------------------------
 *
 * offsets.c
 *	  Committed consumer-group offsets, stored without dead tuples.
 *
 * A commit of (group, log, partition) -> next offset is a record appended
 * to the internal log "__consumer_offsets" (key: the group name; value:
 * log id, partition and offset), so it is transactional, WAL-logged,
 * replayed by standbys and creates no dead tuple: a held snapshot cannot
 * bloat or slow it.  Kafka keeps its offsets the same way.
 *
 * The module's files, from the bottom: offsetkey.c (keys and version
 * lists), offsetlog.c (the offsets log on disk: scans, standby reads, as of
 * a snapshot), offsetcache.c (the shared cache: loading, reserving room,
 * freeing stale entries), offsetxact.c (this backend's uncommitted commits
 * and the transaction hooks), compact.c (compaction of the offsets log),
 * and this file, the API: reading, committing and listing offsets.
 *
 * Key lock: log_commit() and log_read_group() take a heavyweight
 * ExclusiveLock on (group, log, partition) until the end of the
 * transaction, so two transactions never consume the same partition for
 * the same group at once: the second waits and then sees the first's
 * committed offset.  That is what makes consume-transform-produce
 * exactly-once.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsets.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"

#include "commit/pending.h"
#include "consumer/offsetcache.h"
#include "consumer/offsetlog.h"
#include "consumer/offsets.h"
#include "consumer/offsetxact.h"

void
LogOffsetsLockKey(const char *group, int32 log_id, int32 partition)
{
	Oid			classid = get_relname_relid("segments",
											get_namespace_oid("logext", false));
	uint32		h = hash_bytes((const unsigned char *) group, strlen(group));

	LockDatabaseObject(classid, h ^ (uint32) log_id, (uint16) partition,
					   ExclusiveLock);
}

/*
 * The committed offset of a key (or this transaction's own uncommitted
 * one); false if there is none.
 */
bool
LogOffsetsGet(const char *group, int32 log_id, int32 partition,
			  LogOffset *next_offset)
{
	OffsetKey	key;
	OffsetEntry *entry;
	OffsetVersion versions[OFFSET_VERSIONS];
	int			n = 0;
	PendingOffset *mine;
	bool		standby = RecoveryInProgress();
	HTAB	   *source = OffsetsHash;

	OffsetKeyMake(&key, group, log_id, partition);
	mine = OffsetsPendingFind(&key);
	if (mine != NULL)
	{
		*next_offset = mine->value;
		return mine->value != NO_OFFSET;
	}

	if (standby)
		source = OffsetsLogLocal();
	else
	{
		OffsetsEnsureLoaded();
		LWLockAcquire(OffsetsLock, LW_SHARED);
	}
	entry = hash_search(source, &key, HASH_FIND, NULL);
	if (entry != NULL)
	{
		n = entry->nversions;
		memcpy(versions, entry->versions, sizeof(OffsetVersion) * n);
	}
	if (standby)
		hash_destroy(source);
	else
		LWLockRelease(OffsetsLock);
	return OffsetVersionsResolve(versions, n, next_offset);
}

/*
 * Commit next_offset for (group, log, partition) in the current
 * transaction; NO_OFFSET deletes it.  The caller has validated the values
 * and holds the key lock.  Reserves the key's room in the shared hash now,
 * so that the pre-commit step cannot run out of it.
 */
void
LogOffsetsCommit(const char *group, LogCacheEntry *log, int32 partition,
				 LogOffset next_offset)
{
	LogCacheEntry *olog = LogCacheLookup(LOGEXT_OFFSETS_LOG);
	OffsetRecord orec;
	OffsetKey	key;

	OffsetKeyMake(&key, group, log->log_id, partition);
	OffsetsEnsureLoaded();
	OffsetsReserve(&key);

	orec.log_id = log->log_id;
	orec.partition = partition;
	orec.next_offset = next_offset;
	LogPendingAppend(olog, 0, group, strlen(group), NULL, (char *) &orec,
					 sizeof(OffsetRecord));
	OffsetsPendingAdd(&key, next_offset);
}

/*
 * Every committed offset of this database (for logext.consumer_groups and
 * log_delete_group), with this transaction's own commits, palloc'd.
 */
int
LogOffsetsList(LogGroupOffset **list)
{
	HASH_SEQ_STATUS seq;
	OffsetEntry *entry;
	OffsetEntry *copy;
	int			ncopy = 0;
	int			n = 0;
	long		max;
	Oid			olog = OffsetsInstallation();
	HTAB	   *source = OffsetsHash;
	bool		standby = RecoveryInProgress();
	ListCell   *lc;

	if (standby)
		source = OffsetsLogLocal();
	else
	{
		OffsetsEnsureLoaded();
		LWLockAcquire(OffsetsLock, LW_SHARED);
	}
	max = hash_get_num_entries(source);
	copy = palloc(sizeof(OffsetEntry) * Max(max, 1));
	hash_seq_init(&seq, source);
	while ((entry = hash_seq_search(&seq)) != NULL)
		if (entry->key.dbid == MyDatabaseId && entry->key.olog == olog &&
			entry->key.log_id != LOADED_MARKER)
			copy[ncopy++] = *entry;
	if (standby)
		hash_destroy(source);
	else
		LWLockRelease(OffsetsLock);

	/* this transaction's own commits override what is cached */
	foreach(lc, OffsetsPendingList())
	{
		PendingOffset *p = lfirst(lc);
		int			i;

		for (i = 0; i < ncopy; i++)
			if (memcmp(&copy[i].key, &p->key, sizeof(OffsetKey)) == 0)
				break;
		if (i == ncopy)
		{
			copy = repalloc(copy, sizeof(OffsetEntry) * (ncopy + 1));
			copy[ncopy++].key = p->key;
		}
		copy[i].nversions = 1;
		copy[i].versions[0].xid = FrozenTransactionId;
		copy[i].versions[0].value = p->value;
	}

	*list = palloc(sizeof(LogGroupOffset) * Max(ncopy, 1));
	for (int i = 0; i < ncopy; i++)
	{
		LogOffset	value;

		if (!OffsetVersionsResolve(copy[i].versions, copy[i].nversions, &value))
			continue;
		strlcpy((*list)[n].group, copy[i].key.group, sizeof((*list)[n].group));
		(*list)[n].log_id = copy[i].key.log_id;
		(*list)[n].partition = copy[i].key.partition;
		(*list)[n].next_offset = value;
		n++;
	}
	pfree(copy);
	return n;
}
