/*-------------------------------------------------------------------------
 *
 * cursor.h
 *	  Walking the records of one segment in offset order.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/cursor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_SEGMENT_CURSOR_H
#define LOGEXT_SEGMENT_CURSOR_H

#include "access/tableam.h"
#include "datatype/timestamp.h"
#include "storage/buf.h"
#include "utils/snapshot.h"

#include "segment/page.h"
#include "segment/record.h"

typedef struct LogCursor
{
	Relation	rel;
	BufferAccessStrategy strategy;	/* NULL, or a bulk-read ring */
	BlockNumber nblocks;		/* relation size last seen */
	BlockNumber blkno;			/* block of the next record */
	Buffer		buf;			/* pin on blkno, or InvalidBuffer */
	bool		locked;			/* share lock on buf held (after Peek) */
	bool		single_block;	/* stop at the end of blkno (block scans) */
	bool		fixed_end;		/* stop at nblocks, never look for more */
	uint32		pos;			/* position of the next record, 0 = first */
	uint16		idx;			/* index among records starting on blkno */
} LogCursor;

extern void LogCursorInit(LogCursor *c, Relation rel, BufferAccessStrategy strategy);
extern void LogCursorSeekOffset(LogCursor *c, LogOffset target);
extern void LogCursorSeekBlock(LogCursor *c, BlockNumber blkno, bool single_block);
extern void LogCursorFixEnd(LogCursor *c);
extern bool LogCursorPeek(LogCursor *c, LogRecordHeader *hdr);
extern void LogCursorAdvance(LogCursor *c, const LogRecordHeader *hdr);
extern void LogCursorUnlock(LogCursor *c);
extern void LogCursorReadRecord(LogCursor *c, const LogRecordHeader *hdr,
								LogRecordData *rec);
extern void LogCursorEnd(LogCursor *c);
extern bool LogSegmentTimeBounds(Relation rel, TimestampTz *first,
								 TimestampTz *last);
extern bool LogSegmentFirstTime(Relation rel, TimestampTz *first);
extern LogOffset LogSegmentOffsetForTime(Relation rel, TimestampTz ts);

#endif							/* LOGEXT_SEGMENT_CURSOR_H */
