/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  logext's shared memory: one slot per partition in use, and one
 *	  in-flight record per backend.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_SHMEM_H
#define LOGEXT_SHMEM_H

#include "datatype/timestamp.h"
#include "storage/block.h"
#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/relcache.h"

#include "logext.h"

typedef struct LogPartKey
{
	Oid			dbid;
	Oid			relid;			/* the partition's active segment */
} LogPartKey;

/*
 * Runtime state of a partition's active segment.  Only shmem.c writes these
 * fields, through the LogSlot* functions below, which assert the locks they
 * need.  "lock" (the partition lock) serialises writers (the pre-commit
 * write, a roll); readers never take it.  A restore writes a segment nobody
 * else can see through a backend-local slot whose lock is not taken.
 *
 * The write position (loaded, next_offset, tail_blkno, next_fresh_blkno)
 * and last_appended_at are written and read under the partition lock held
 * exclusively; next_offset is also read without it, as a hint, by
 * monitoring and by LogSlotNextOffsetHint under the mapping lock.  "loaded"
 * says the position matches the segment on disk: it is false until a writer
 * reads the segment's end, and is cleared while a write is in progress, so
 * that a write that fails half-way makes the next writer re-read the pages.
 *
 * The seal fields are written under both the partition lock and the mapping
 * lock, and read under either.
 */
typedef struct LogPartSlot
{
	LogPartKey	key;			/* hash key: must be first */
	LWLock		lock;
	bool		local;			/* a backend-local slot (LogSlotInitLocal) */
	bool		loaded;			/* the write position matches the disk */
	pg_atomic_uint64 next_offset;	/* next offset to give out */
	BlockNumber tail_blkno;		/* page being filled, or Invalid: start a
								 * fresh page */
	BlockNumber next_fresh_blkno;	/* where the next fresh page goes */
	TimestampTz last_appended_at;	/* of the last write (since start-up) */
	bool		sealed;			/* rolled: writers go to successor */
	Oid			successor;		/* the next segment, once sealed */
	TransactionId seal_xid;		/* the rolling transaction */
	bool		seal_committed; /* ... and it has committed */
} LogPartSlot;

#define LOGEXT_INFLIGHT_MAX		64

typedef struct LogInflightPart
{
	LogPartSlot *slot;
	LogOffset	first_offset;
} LogInflightPart;

/*
 * What a backend has written at pre-commit and not yet seen commit or
 * abort: the records readers are waiting for.  Only the owner writes it,
 * under the mutex; monitoring reads it under the mutex.
 */
typedef struct LogInflight
{
	slock_t		mutex;
	int			pid;
	TransactionId xid;
	TimestampTz since;
	int			nparts;			/* can exceed LOGEXT_INFLIGHT_MAX: only the
								 * first ones are listed */
	LogInflightPart parts[LOGEXT_INFLIGHT_MAX];
	/* a log_read() waiting for records (monitoring only) */
	int			wait_pid;
	Oid			wait_dbid;
	Oid			wait_relid;
	LogOffset	wait_from;
	TimestampTz wait_since;
} LogInflight;

/* one row of logext.waiters */
typedef struct LogWaiterInfo
{
	int			pid;
	Oid			relid;
	LogOffset	from_offset;
	TimestampTz since;
} LogWaiterInfo;

extern void LogShmemRequest(void);
extern void LogShmemStartup(void);

extern LogPartSlot *LogSlotGet(Oid relid);
extern void LogSlotForget(Oid relid);
extern LogPartSlot *LogSlotFind(Oid relid);
extern ConditionVariable *LogSlotCV(LogPartSlot *slot);
extern ConditionVariable *LogSegmentCV(Oid relid);
extern void LogSlotSeal(LogPartSlot *slot, Oid successor);
extern void LogSlotUnseal(LogPartSlot *slot);
extern bool LogSlotSealed(Oid relid, Oid *successor);
extern void LogSlotSealCommitted(LogPartSlot *slot);
extern void LogSlotInitLocal(LogPartSlot *slot, Oid relid);

/* the write position: the caller holds the partition lock exclusively */
extern void LogSlotSetPosition(LogPartSlot *slot, LogOffset next_offset,
							   BlockNumber tail_blkno,
							   BlockNumber next_fresh_blkno);
extern void LogSlotBeginWrite(LogPartSlot *slot);
extern BlockNumber LogSlotTakeFreshBlock(LogPartSlot *slot);
extern TimestampTz LogSlotStamp(LogPartSlot *slot, TimestampTz now);
extern LogOffset LogSlotNextOffsetHint(Oid relid);

extern void LogInflightBegin(TransactionId xid);
extern void LogInflightAdd(LogPartSlot *slot, LogOffset first_offset);
extern void LogInflightEnd(void);
extern void LogWaitBegin(Oid relid, LogOffset from_offset);
extern void LogWaitEnd(void);
extern int	LogWaiters(LogWaiterInfo **waiters);
extern bool LogInflightOldest(LogPartSlot *slot, LogOffset *first_offset,
							  int *pid, TimestampTz *since);

extern void LogShmemDefineGucs(void);

#endif							/* LOGEXT_SHMEM_H */
