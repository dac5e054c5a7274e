/*-------------------------------------------------------------------------
 *
 * offsetxact.h
 *	  This backend's uncommitted offset commits, and the transaction hooks
 *	  of the offsets module (called from eoxact.c).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetxact.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_OFFSETXACT_H
#define LOGEXT_CONSUMER_OFFSETXACT_H

#include "nodes/pg_list.h"

#include "consumer/offsetkey.h"

/* an uncommitted commit of this backend */
typedef struct PendingOffset
{
	OffsetKey	key;
	LogOffset	value;
	SubTransactionId subid;
} PendingOffset;

extern void OffsetsPendingAdd(const OffsetKey *key, LogOffset value);
extern PendingOffset *OffsetsPendingFind(const OffsetKey *key);
extern List *OffsetsPendingList(void);

extern void LogOffsetsPreCommit(void);
extern void LogOffsetsSubAbort(SubTransactionId subid);
extern void LogOffsetsSubCommit(SubTransactionId subid, SubTransactionId parent);
extern void LogOffsetsEndXact(void);
extern bool LogOffsetsPending(void);

#endif							/* LOGEXT_CONSUMER_OFFSETXACT_H */
