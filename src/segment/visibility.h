/*-------------------------------------------------------------------------
 *
 * visibility.h
 *	  Deciding whether a log record is readable.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/visibility.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_SEGMENT_VISIBILITY_H
#define LOGEXT_SEGMENT_VISIBILITY_H

#include "storage/buf.h"
#include "utils/snapshot.h"

#include "segment/page.h"

typedef enum LogVisibility
{
	LOG_VISIBLE,				/* committed before the snapshot */
	LOG_SKIP,					/* aborted or crashed: a hole */
	LOG_IN_PROGRESS				/* not yet committed for this snapshot */
} LogVisibility;

extern LogVisibility LogRecordVisibility(Buffer buf, uint32 pos,
										 const LogRecordHeader *hdr,
										 Snapshot snapshot);

#endif							/* LOGEXT_SEGMENT_VISIBILITY_H */
