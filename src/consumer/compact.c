/*-------------------------------------------------------------------------
 *
 * compact.c
 *	  Compaction of the consumer offsets log.
 *
 * Compaction (LogOffsetsCompact, run by the per-database maintenance
 * worker) rolls the offsets log over to a new segment seeded with a marker
 * record and then the latest committed offset of every key, and drops the
 * old segments oldest first, stopping at the first one somebody is reading.
 * A seeded segment holds the whole state as of its start, so the scan
 * starts at the newest segment that begins with a seed marker and ignores
 * older segments that could not be dropped yet; a later commit still wins
 * over a seed because it comes later in log order.
 *
 * Before it, the cache entries nobody can use any more are freed
 * (OffsetsPurgeStale); after it, the keys deleted for good.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/compact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "consumer/compact.h"
#include "consumer/offsetcache.h"
#include "consumer/offsetlog.h"
#include "meta/logcache.h"
#include "partition/roll.h"
#include "segment/writer.h"

static int	logext_offsets_compaction_threshold_kb = 8192;

/* what compaction's seed callback needs */
typedef struct SeedState
{
	Oid			olog;
	int32	   *dropped_logs;	/* sorted log ids that no longer exist */
	int			ndropped;
	int64		nkeys;			/* out: offsets seeded */
} SeedState;

/*
 * Seed for the compacted offsets log: a marker record (empty key, log id
 * LOADED_MARKER, the number of seeds as its offset), then the latest
 * committed offset of every key of existing logs.  Runs under the old
 * segment's partition lock with no write in flight, so every offsets record
 * there has been decided and published; takes the offsets lock and nothing
 * else, and cannot fail.
 */
static int
seed_offsets(void *arg, StringInfo buf)
{
	SeedState  *state = (SeedState *) arg;
	HASH_SEQ_STATUS seq;
	OffsetEntry *entry;
	StringInfoData seeds;
	int			n = 0;

	initStringInfo(&seeds);
	LWLockAcquire(OffsetsLock, LW_SHARED);
	hash_seq_init(&seq, OffsetsHash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		LogOffset	value;

		if (entry->key.dbid != MyDatabaseId || entry->key.olog != state->olog ||
			entry->key.log_id == LOADED_MARKER ||
			OffsetsLogIdIn(entry->key.log_id, state->dropped_logs, state->ndropped) ||
			!OffsetVersionsResolve(entry->versions, entry->nversions, &value))
			continue;
		OffsetsSeedAppend(&seeds, entry->key.group, entry->key.log_id,
					entry->key.partition, value);
		n++;
	}
	LWLockRelease(OffsetsLock);
	OffsetsSeedAppend(buf, "", LOADED_MARKER, 0, n);
	appendBinaryStringInfo(buf, seeds.data, seeds.len);
	pfree(seeds.data);
	state->nkeys = n;
	return n + 1;
}

/*
 * Compact the offsets log: roll it over to a new segment that starts with
 * the latest committed offset of every key, then drop the old segments,
 * oldest first, up to the first one somebody is reading.  Unless force,
 * only when it has grown past logext.offsets_compaction_threshold plus
 * twice what compaction would keep.  Entries of dropped databases, logs and
 * extensions are freed first in any case.  Returns the number of offsets
 * kept; 0 if there is nothing to compact (the log's only segment is empty);
 * -1 if nothing was done (below the threshold, another compaction is
 * running, or logext.dump is being read).
 */
int64
LogOffsetsCompact(bool force)
{
	LogCacheEntry *log;
	SeedState	seed;
	int64		bytes = 0;
	int			nkeys = 0;
	Oid			segments_relid = get_relname_relid("segments",
												   get_namespace_oid("logext", false));
	Oid			dump_relid = get_relname_relid("dump",
											   get_namespace_oid("logext", false));

	LogextRequirePreload();
	memset(&seed, 0, sizeof(seed));
	seed.olog = OffsetsInstallation();

	/* one compaction at a time (self-conflicting, but not with DML) */
	if (!ConditionalLockRelationOid(segments_relid, ShareUpdateExclusiveLock))
		return -1;

	/*
	 * Nor while logext.dump is being read: a scan of it reads the offsets as
	 * of its snapshot, from the segments a compaction drops.  pg_dump locks
	 * logext.dump right after taking its snapshot, and holds the lock to the
	 * end, so a lock there means "not now".  Only a dump whose snapshot was
	 * taken just before this compaction commits, but whose lock comes after,
	 * can still find the old segments gone (its scan then fails and says to
	 * run it again).
	 */
	if (OidIsValid(dump_relid) &&
		!ConditionalLockRelationOid(dump_relid, AccessExclusiveLock))
		return -1;
	OffsetsEnsureLoaded();
	OffsetsPurgeStale(seed.olog, &seed.dropped_logs, &seed.ndropped);

	log = LogCacheRefresh(LOGEXT_OFFSETS_LOG);
	for (int s = 0; s < log->parts[0].nsegments; s++)
	{
		Relation	rel = try_relation_open(log->parts[0].segments[s].relid,
											AccessShareLock);

		if (rel == NULL)
			continue;
		bytes += (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
		if (s == log->parts[0].nsegments - 1 &&
			LogSegmentNextOffset(rel) == log->parts[0].segments[s].base_offset)
		{
			/* the active segment is empty: a roll would start at its base */
			relation_close(rel, AccessShareLock);
			return 0;
		}
		relation_close(rel, AccessShareLock);
	}
	LWLockAcquire(OffsetsLock, LW_SHARED);
	{
		HASH_SEQ_STATUS seq;
		OffsetEntry *entry;

		hash_seq_init(&seq, OffsetsHash);
		while ((entry = hash_seq_search(&seq)) != NULL)
			if (entry->key.dbid == MyDatabaseId && entry->key.olog == seed.olog)
				nkeys++;
	}
	LWLockRelease(OffsetsLock);
	if (!force &&
		bytes <= (int64) logext_offsets_compaction_threshold_kb * 1024 + 2 * (int64) nkeys * 64)
		return -1;

	if (!OidIsValid(LogRollPartition(&log, 0, seed_offsets, &seed)))
	{
		/* nothing was rolled, so nothing may be dropped */
		if (seed.dropped_logs)
			pfree(seed.dropped_logs);
		return 0;
	}

	/* keys deleted for good need no cache entry either */
	LWLockAcquire(OffsetsLock, LW_EXCLUSIVE);
	{
		HASH_SEQ_STATUS seq;
		OffsetEntry *entry;

		hash_seq_init(&seq, OffsetsHash);
		while ((entry = hash_seq_search(&seq)) != NULL)
		{
			LogOffset	value;

			if (entry->key.dbid != MyDatabaseId || entry->key.olog != seed.olog ||
				entry->key.log_id == LOADED_MARKER)
				continue;
			OffsetVersionsPrune(entry->versions, &entry->nversions);
			if (!OffsetEntryBusy(entry) &&
				!OffsetVersionsResolve(entry->versions, entry->nversions, &value))
				OffsetEntryRemove(entry);
		}
	}
	LWLockRelease(OffsetsLock);

	/*
	 * Every segment but the new one can go, oldest first: the scan would
	 * ignore older ones anyway, but a gap in the log is never left behind.
	 */
	log = LogCacheRefresh(LOGEXT_OFFSETS_LOG);
	for (int s = 0; s < log->parts[0].nsegments - 1; s++)
		if (!LogTryDropSegment(log->parts[0].segments[s].relid))
			break;
	elog(DEBUG1, "logext: compacted the consumer offsets log from " INT64_FORMAT " bytes to " INT64_FORMAT " offsets",
		 bytes, seed.nkeys);
	if (seed.dropped_logs)
		pfree(seed.dropped_logs);
	return seed.nkeys;
}

/* logext.offsets_compaction_threshold; called from _PG_init */
void
LogOffsetsCompactDefineGucs(void)
{
	DefineCustomIntVariable("logext.offsets_compaction_threshold",
							"Size of the consumer offsets log beyond which the maintenance worker compacts it.",
							NULL,
							&logext_offsets_compaction_threshold_kb,
							8192, 64, INT_MAX / 1024,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);
}
