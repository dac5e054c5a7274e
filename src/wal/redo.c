/*-------------------------------------------------------------------------
 *
 * redo.c
 *	  Replay of logext WAL records, and the page mask used by
 *	  wal_consistency_checking.
 *
 * Redo is deterministic and idempotent: XLogReadBufferForRedo skips pages
 * whose LSN shows the record already applied, and an APPEND checks that the
 * page's pd_lower is where the bytes were appended on the primary.  Nothing
 * here reads a catalog.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/wal/redo.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/bufmask.h"
#include "access/xlogutils.h"
#include "storage/bufmgr.h"
#include "storage/standby.h"

#include "segment/xlog.h"
#include "wal/rmgr.h"

static void
redo_meta(XLogReaderState *record)
{
	xl_logext_meta *xlrec = (xl_logext_meta *) XLogRecGetData(record);
	Buffer		buf = XLogInitBufferForRedo(record, 0);
	Page		page = BufferGetPage(buf);

	LogInitMetaPage(page, xlrec->log_id, xlrec->partition, xlrec->base_offset);
	PageSetLSN(page, record->EndRecPtr);
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

static void
redo_append(XLogReaderState *record)
{
	xl_logext_append *xlrec = (xl_logext_append *) XLogRecGetData(record);
	XLogRedoAction action;
	Buffer		buf;

	/* WAL format 1 (CHANGELOG.md) had a byte more here */
	if (XLogRecGetDataLen(record) != SizeOfLogextAppend)
		elog(PANIC, "logext append redo: record of %u bytes, expected %zu (WAL written by an older build of logext?)",
			 XLogRecGetDataLen(record), (Size) SizeOfLogextAppend);
	if (XLogRecGetInfo(record) & XLOG_LOGEXT_INIT_PAGE)
	{
		buf = XLogInitBufferForRedo(record, 0);
		LogInitDataPage(BufferGetPage(buf));
		action = BLK_NEEDS_REDO;
	}
	else
		action = XLogReadBufferForRedo(record, 0, &buf);

	if (action == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		PageHeader	ph = (PageHeader) page;
		LogPageOpaque opaque = LogPageGetOpaque(page);
		Size		len;
		char	   *data = XLogRecGetBlockData(record, 0, &len);

		if (ph->pd_lower != xlrec->at || xlrec->at + len > LOG_PAGE_DATA_END)
			elog(PANIC, "logext append redo: page pd_lower %u, record appends %zu bytes at %u",
				 ph->pd_lower, len, xlrec->at);
		memcpy((char *) page + xlrec->at, data, len);
		ph->pd_lower = xlrec->at + len;
		opaque->first_offset = xlrec->first_offset;
		opaque->cont_len = xlrec->cont_len;
		opaque->nrecords = xlrec->nrecords;
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

static void
redo_freeze(XLogReaderState *record)
{
	xl_logext_freeze *xlrec = (xl_logext_freeze *) XLogRecGetData(record);
	Buffer		buf;

	/*
	 * Freezing a committed record makes it visible to standby snapshots that
	 * still see its transaction running, so those must go first.  Marking
	 * aborted records invalid or a page all-frozen changes what no snapshot
	 * sees: no conflict.
	 */
	if (InHotStandby && TransactionIdIsValid(xlrec->conflict_xid))
	{
		RelFileNode rnode;

		XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
		ResolveRecoveryConflictWithSnapshot(xlrec->conflict_xid, rnode);
	}

	if (XLogReadBufferForRedo(record, 0, &buf) == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		Size		len;
		xl_logext_freeze_item *items =
		(xl_logext_freeze_item *) XLogRecGetBlockData(record, 0, &len);

		if (len != xlrec->nitems * sizeof(xl_logext_freeze_item))
			elog(PANIC, "logext freeze redo: %zu bytes of items for %u items",
				 len, xlrec->nitems);
		for (int i = 0; i < xlrec->nitems; i++)
			LogSetRecordFlags(page, items[i].pos, items[i].flags);
		LogPageGetOpaque(page)->flags |= xlrec->page_flags;
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
}

void
logext_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info & XLOG_LOGEXT_OPMASK)
	{
		case XLOG_LOGEXT_META:
			redo_meta(record);
			break;
		case XLOG_LOGEXT_APPEND:
			redo_append(record);
			break;
		case XLOG_LOGEXT_FREEZE:
			redo_freeze(record);
			break;
		default:
			elog(PANIC, "logext_redo: unknown op code %u", info);
	}
}

/*
 * Mask what may legitimately differ between primary and standby: LSN,
 * checksum, unused space and the record hint bits.
 */
void
logext_mask(char *pagedata, BlockNumber blkno)
{
	Page		page = (Page) pagedata;
	LogPageOpaque opaque;
	uint32		pos;
	uint16		lower;

	mask_page_lsn_and_checksum(page);
	mask_page_hint_bits(page);
	mask_unused_space(page);

	if (PageIsNew(page))
		return;
	opaque = LogPageGetOpaque(page);
	if (opaque->flags & LOG_PAGE_META)
		return;
	lower = ((PageHeader) page)->pd_lower;
	pos = LogPageFirstRecordPos(opaque);
	for (int i = 0; i < opaque->nrecords && pos + LOG_REC_HEADER_SIZE <= lower; i++)
	{
		LogRecordHeader hdr;
		uint16		flags;

		LogReadRecordHeader(page, pos, &hdr);
		flags = hdr.flags & ~LOG_REC_HINT_MASK;
		memcpy((char *) page + pos + LOG_REC_FLAGS_POS, &flags, sizeof(uint16));
		pos = LogRecordAlign(pos + hdr.length);
	}
}
