/*-------------------------------------------------------------------------
 *
 * visibility.h
 *	  Deciding whether a log record is readable.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/am/visibility.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_AM_VISIBILITY_H
#define LOGEXT_AM_VISIBILITY_H

#include "storage/buf.h"
#include "utils/snapshot.h"

#include "am/segment.h"

typedef enum LogVisibility
{
	LOG_VISIBLE,				/* committed before the snapshot */
	LOG_SKIP,					/* aborted or crashed: a hole */
	LOG_IN_PROGRESS				/* not yet committed for this snapshot */
} LogVisibility;

extern LogVisibility LogRecordVisibility(Buffer buf, uint32 pos,
										 const LogRecordHeader *hdr,
										 Snapshot snapshot);

#endif							/* LOGEXT_AM_VISIBILITY_H */
