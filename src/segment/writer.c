/*-------------------------------------------------------------------------
 *
 * writer.c
 *	  Appending records to the pages of a segment.
 *
 * The caller holds the partition's LWLock: only its holder writes to or
 * extends a segment, so the page state (pd_lower, record count) can be
 * staged without the buffer lock.  Each page is staged outside the
 * critical section (the payload may come from a temporary file), then
 * changed under an exclusive buffer lock, WAL-logged and stamped in one
 * critical section, as PostgreSQL's access methods do.  Records continue
 * on fresh pages when they do not fit; a fresh page is the first all-zero
 * page after the data (left by a crash) or a new block.  The partition
 * slot's write position is changed only through shmem.c's LogSlot*
 * functions.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/writer.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

#include "segment/writer.h"
#include "segment/xlog.h"

static void
writer_flush(LogWriter *w)
{
	xl_logext_append xlrec;
	Page		page;
	XLogRecPtr	lsn;

	if (w->staged == 0 && !w->init)
		return;

	xlrec.first_offset = w->first_offset;
	xlrec.cont_len = w->cont_len;
	xlrec.at = (uint16) w->lower;
	xlrec.nrecords = w->nrecords;

	LockBuffer(w->buf, BUFFER_LOCK_EXCLUSIVE);
	page = BufferGetPage(w->buf);
	if (w->init ? !PageIsNew(page) : ((PageHeader) page)->pd_lower != w->lower)
		elog(ERROR, "log segment \"%s\" block %u changed under the partition lock",
			 RelationGetRelationName(w->rel), w->blkno);

	START_CRIT_SECTION();
	if (w->init)
		LogInitDataPage(page);
	memcpy((char *) page + w->lower, w->stage, w->staged);
	((PageHeader) page)->pd_lower = w->lower + w->staged;
	LogPageGetOpaque(page)->first_offset = w->first_offset;
	LogPageGetOpaque(page)->cont_len = w->cont_len;
	LogPageGetOpaque(page)->nrecords = w->nrecords;
	MarkBufferDirty(w->buf);
	lsn = LogXLogAppend(w->buf, &xlrec, w->stage, w->staged, w->init);
	PageSetLSN(page, lsn);
	END_CRIT_SECTION();

	LockBuffer(w->buf, BUFFER_LOCK_UNLOCK);
	w->lower += w->staged;
	w->staged = 0;
	w->init = false;
}

/*
 * Move to a fresh page: the first new page after the data (left by a crash)
 * or a new block.  Only the holder of the partition lock extends a segment.
 */
static void
writer_new_page(LogWriter *w)
{
	BlockNumber blkno;

	writer_flush(w);
	if (BufferIsValid(w->buf))
		ReleaseBuffer(w->buf);

	blkno = LogSlotTakeFreshBlock(w->slot);
	if (blkno < RelationGetNumberOfBlocks(w->rel))
		w->buf = ReadBuffer(w->rel, blkno);
	else
	{
		LockRelationForExtension(w->rel, ExclusiveLock);
		w->buf = ReadBuffer(w->rel, P_NEW);
		UnlockRelationForExtension(w->rel, ExclusiveLock);
		if (BufferGetBlockNumber(w->buf) != blkno)
			elog(ERROR, "log segment \"%s\" was extended to block %u, expected %u",
				 RelationGetRelationName(w->rel), BufferGetBlockNumber(w->buf), blkno);
	}
	w->blkno = blkno;
	w->init = true;
	w->lower = LOG_PAGE_DATA_START;
	w->first_offset = 0;
	w->cont_len = 0;
	w->nrecords = 0;
	w->staged = 0;
}

static void
writer_begin_page(LogWriter *w, Relation rel, LogPartSlot *slot)
{
	w->rel = rel;
	w->slot = slot;
	w->buf = InvalidBuffer;
	w->staged = 0;
	w->init = false;
	if (slot->tail_blkno == InvalidBlockNumber)
		return;					/* the first record starts a fresh page */

	w->blkno = slot->tail_blkno;
	w->buf = ReadBuffer(rel, w->blkno);
	LockBuffer(w->buf, BUFFER_LOCK_SHARE);
	{
		Page		page = BufferGetPage(w->buf);
		LogPageOpaque opaque = LogPageGetOpaque(page);

		LogCheckDataPage(rel, w->blkno, page);
		w->lower = ((PageHeader) page)->pd_lower;
		w->first_offset = opaque->first_offset;
		w->cont_len = opaque->cont_len;
		w->nrecords = opaque->nrecords;
	}
	LockBuffer(w->buf, BUFFER_LOCK_UNLOCK);
}

static inline uint32
writer_free(LogWriter *w)
{
	return LOG_PAGE_DATA_END - (w->lower + w->staged);
}

/*
 * Append one record: the header is given (offset, xid and timestamp set),
 * the payload is pulled from the writer's reader.
 */
void
LogWriterAppend(LogWriter *w, LogRecordHeader *hdr)
{
	uint32		remaining = hdr->length - LOG_REC_HEADER_SIZE;
	uint32		n;
	uint32		pad;

	if (!BufferIsValid(w->buf) || writer_free(w) < LOG_REC_HEADER_SIZE)
		writer_new_page(w);
	if (w->nrecords == 0)
		w->first_offset = hdr->offset;
	w->nrecords++;
	memcpy(w->stage + w->staged, hdr, LOG_REC_HEADER_SIZE);
	w->staged += LOG_REC_HEADER_SIZE;

	n = Min(remaining, writer_free(w));
	w->read(w->read_arg, w->stage + w->staged, n);
	w->staged += n;
	remaining -= n;

	while (remaining > 0)
	{
		writer_new_page(w);
		n = Min(remaining, LOG_PAGE_CAPACITY);
		w->first_offset = hdr->offset;
		w->cont_len = n;
		w->read(w->read_arg, w->stage, n);
		w->staged = n;
		remaining -= n;
	}

	pad = LogRecordAlign(w->lower + w->staged) - (w->lower + w->staged);
	memset(w->stage + w->staged, 0, pad);
	w->staged += pad;
}

/*
 * Load a slot's write position from the segment's pages.  The caller holds
 * the partition lock exclusively.
 */
void
LogSlotLoad(LogPartSlot *slot, Relation rel)
{
	LogOffset	next;
	BlockNumber data_end;

	LogSegmentEnd(rel, &next, &data_end);
	LogSlotSetPosition(slot, next, InvalidBlockNumber, data_end);
	elog(DEBUG1, "logext: segment \"%s\" continues at offset " INT64_FORMAT " in block %u",
		 RelationGetRelationName(rel), next, data_end);
}


/*
 * Start writing to a partition's segment; returns the next offset.  The
 * caller holds the slot's LWLock exclusively.  Until LogWriterEnd the slot
 * is marked for a reload: if the write fails half-way, the pages written so
 * far stay and the slot must be rebuilt from disk.
 */
LogOffset
LogWriterBegin(LogWriter *w, Relation rel, LogPartSlot *slot,
			   LogPayloadReader read, void *read_arg)
{
	if (!slot->loaded)
		LogSlotLoad(slot, rel);
	LogSlotBeginWrite(slot);
	w->read = read;
	w->read_arg = read_arg;
	writer_begin_page(w, rel, slot);
	return (LogOffset) pg_atomic_read_u64(&slot->next_offset);
}

/* flush the last page and publish the new end in the slot */
void
LogWriterEnd(LogWriter *w, LogOffset next_offset)
{
	writer_flush(w);
	LogSlotSetPosition(w->slot, next_offset,
					   BufferIsValid(w->buf) ? w->blkno : w->slot->tail_blkno,
					   w->slot->next_fresh_blkno);
	if (BufferIsValid(w->buf))
		ReleaseBuffer(w->buf);
	w->buf = InvalidBuffer;
}

/*
 * The next offset of a segment: from its slot when that knows it, else
 * from its last page.  The caller holds a lock on the relation.
 */
LogOffset
LogSegmentNextOffset(Relation rel)
{
	LogOffset	next = LogSlotNextOffsetHint(RelationGetRelid(rel));
	BlockNumber data_end;

	if (next != InvalidLogOffset)
		return next;
	LogSegmentEnd(rel, &next, &data_end);
	return next;
}

/*
 * Write the metapage of a new, empty segment (WAL-logged).  The caller
 * holds AccessExclusiveLock on it.
 */
void
LogSegmentWriteMeta(Relation rel, int32 log_id, int32 partition,
					LogOffset base_offset)
{
	Buffer		buf;
	Page		page;

	if (RelationGetNumberOfBlocks(rel) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("log segment \"%s\" is already initialised",
						RelationGetRelationName(rel))));
	LockRelationForExtension(rel, ExclusiveLock);
	buf = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_ZERO_AND_LOCK, NULL);
	UnlockRelationForExtension(rel, ExclusiveLock);
	page = BufferGetPage(buf);

	START_CRIT_SECTION();
	LogInitMetaPage(page, log_id, partition, base_offset);
	MarkBufferDirty(buf);
	PageSetLSN(page, LogXLogMeta(buf, LogPageGetMeta(page)));
	END_CRIT_SECTION();

	UnlockReleaseBuffer(buf);
}
