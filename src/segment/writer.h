/*-------------------------------------------------------------------------
 *
 * writer.h
 *	  Appending records to the pages of a segment (under the partition lock).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/writer.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_SEGMENT_WRITER_H
#define LOGEXT_SEGMENT_WRITER_H

#include "storage/buf.h"
#include "utils/relcache.h"

#include "segment/page.h"
#include "shmem.h"

/* copies the next len payload bytes of the record being appended */
typedef void (*LogPayloadReader) (void *arg, char *dst, uint32 len);

/* a page being filled by the writer */
typedef struct LogWriter
{
	Relation	rel;
	LogPartSlot *slot;
	Buffer		buf;			/* pinned page, or InvalidBuffer */
	BlockNumber blkno;
	bool		init;			/* initialise the page at the next flush */
	uint32		lower;			/* pd_lower on the page */
	LogOffset	first_offset;	/* special-area values after the flush */
	uint32		cont_len;
	uint16		nrecords;
	uint32		staged;			/* bytes in stage, to go at lower */
	char		stage[BLCKSZ];
	LogPayloadReader read;
	void	   *read_arg;
} LogWriter;

extern void LogSlotLoad(LogPartSlot *slot, Relation rel);
extern LogOffset LogSegmentNextOffset(Relation rel);
extern void LogSegmentWriteMeta(Relation rel, int32 log_id, int32 partition,
								LogOffset base_offset);
extern LogOffset LogWriterBegin(LogWriter *w, Relation rel, LogPartSlot *slot,
							   LogPayloadReader read, void *read_arg);
extern void LogWriterAppend(LogWriter *w, LogRecordHeader *hdr);
extern void LogWriterEnd(LogWriter *w, LogOffset next_offset);

#endif							/* LOGEXT_SEGMENT_WRITER_H */
