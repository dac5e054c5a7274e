/*-------------------------------------------------------------------------
 *
 * offsetcache.h
 *	  The shared cache of committed offsets: shared memory, entries,
 *	  loading from the offsets log, reserving room, freeing stale entries.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetcache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_OFFSETCACHE_H
#define LOGEXT_CONSUMER_OFFSETCACHE_H

#include "storage/lwlock.h"
#include "utils/hsearch.h"

#include "consumer/offsetkey.h"

#define MAX_ACTIVE_DBS		64

typedef struct OffsetsSharedState
{
	int			nentries;		/* entries that are not loaded markers */
	/* databases with offset commits since the maintenance worker looked */
	Oid			active_dbs[MAX_ACTIVE_DBS];
} OffsetsSharedState;

/* OffsetsLock protects the hash and the state */
extern HTAB *OffsetsHash;
extern LWLock *OffsetsLock;
extern OffsetsSharedState *OffsetsState;

/* logext.group_quota: percent of a shared group table per database/role */
extern int	logext_group_quota;

extern void LogOffsetsShmemRequest(void);
extern void LogOffsetsShmemStartup(void);
extern void LogOffsetsDefineGucs(void);
extern int	LogGroupQuota(int capacity);
extern Oid	LogOffsetsNextActiveDatabase(void);

extern OffsetEntry *OffsetEntryEnter(const OffsetKey *key, Oid owner);
extern void OffsetEntryRemove(OffsetEntry *entry);
extern bool OffsetEntryBusy(const OffsetEntry *entry);
extern void OffsetsEnsureLoaded(void);
extern void OffsetsReserve(const OffsetKey *key);
extern int	OffsetsPurgeStale(Oid olog, int32 **dropped_logs, int *ndropped);

#endif							/* LOGEXT_CONSUMER_OFFSETCACHE_H */
