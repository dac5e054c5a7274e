/*-------------------------------------------------------------------------
 *
 * logcache.h
 *	  Backend-local cache of the log catalog (logext.logs, logext.segments).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/logcache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_META_LOGCACHE_H
#define LOGEXT_META_LOGCACHE_H

#include "storage/lockdefs.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

#include "logext.h"

#define LOGEXT_MAX_NAME_LEN		63	/* a PostgreSQL identifier: the view's name */

/* fixed id of the internal log "__consumer_offsets" (install script) */
#define LOGEXT_OFFSETS_LOG_ID	0

typedef struct LogSegmentRef
{
	LogOffset	base_offset;
	Oid			relid;
} LogSegmentRef;

typedef struct LogPartitionInfo
{
	int			nsegments;
	LogSegmentRef *segments;	/* oldest first; the last one is active */
} LogPartitionInfo;

typedef struct LogCacheEntry
{
	char		name[LOGEXT_MAX_NAME_LEN + 1];	/* hash key */
	int32		log_id;
	int32		nparts;
	bool		stale;			/* a segment of it was invalidated */
	LogPartitionInfo *parts;	/* nparts entries */
} LogCacheEntry;

extern LogCacheEntry *LogCacheLookup(const char *name);
extern LogCacheEntry *LogCacheLookupText(text *name);
extern LogCacheEntry *LogCacheRefresh(const char *name);
extern Relation LogOpenSegment(LogCacheEntry **entry, int partition,
							   int segno, LOCKMODE lockmode);
extern void LogCacheCheckPartition(LogCacheEntry *entry, int partition);
extern void LogLockLog(int32 log_id, LOCKMODE lockmode);
extern char *LogLogName(int32 log_id);
extern char *LogCatalogValue(const char *query, Oid argtype, Datum arg);
extern char **LogUserLogNames(int *n);
extern Snapshot LogCatalogSnapshot(void);
extern int	LogCatalogQuery(const char *query, int nargs, Oid *argtypes,
							Datum *args, long tcount);
extern LogCacheEntry *LogCacheCheckUserLog(LogCacheEntry *log);

#endif							/* LOGEXT_META_LOGCACHE_H */
