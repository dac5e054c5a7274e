/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  Sequential and parallel scans of a log segment, so that psql users
 *	  can SELECT from it.
 *
 * A scan returns the records visible to its snapshot (segment/visibility.c):
 * unlike log_read(), which stops at a record not yet committed, a SQL scan
 * simply leaves such records out, as heap does.  A parallel scan hands out
 * blocks (table_block_parallelscan_*); each worker returns the records that
 * start on its blocks, reading continuations of large records from the
 * blocks after them, so every record is returned exactly once.
 *
 * Slots are virtual: (partition, log_offset, appended_at, key, value,
 * headers), the fixed layout checked when the segment was created.  The
 * datums live in a per-scan context reset for every row.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/am/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relscan.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "am/handler.h"
#include "segment/cursor.h"
#include "segment/visibility.h"

typedef struct LogScanDescData
{
	TableScanDescData base;
	LogCursor	cursor;
	bool		positioned;		/* cursor set on a block */
	bool		empty;			/* no metapage: nothing to return */
	int32		partition;
	MemoryContext rowcxt;
	ParallelBlockTableScanWorkerData pwork;
	bool		pwork_started;
} LogScanDescData;

typedef LogScanDescData *LogScanDesc;

const TupleTableSlotOps *
logam_slot_callbacks(Relation rel)
{
	return &TTSOpsVirtual;
}

TableScanDesc
logam_scan_begin(Relation rel, Snapshot snapshot, int nkeys,
				 struct ScanKeyData *key, ParallelTableScanDesc pscan,
				 uint32 flags)
{
	LogScanDesc scan = palloc0(sizeof(LogScanDescData));

	scan->base.rs_rd = rel;
	scan->base.rs_snapshot = snapshot;
	scan->base.rs_nkeys = nkeys;
	scan->base.rs_flags = flags;
	scan->base.rs_parallel = pscan;
	scan->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "logext scan row",
										 ALLOCSET_DEFAULT_SIZES);

	scan->empty = RelationGetNumberOfBlocks(rel) == 0;
	if (!scan->empty)
	{
		LogMetaPageData meta;

		LogReadMeta(rel, &meta);
		scan->partition = meta.partition;
	}
	LogCursorInit(&scan->cursor, rel, NULL);
	return (TableScanDesc) scan;
}

void
logam_scan_end(TableScanDesc sscan)
{
	LogScanDesc scan = (LogScanDesc) sscan;

	LogCursorEnd(&scan->cursor);
	MemoryContextDelete(scan->rowcxt);
	if (scan->base.rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(scan->base.rs_snapshot);
	pfree(scan);
}

void
logam_scan_rescan(TableScanDesc sscan, struct ScanKeyData *key,
				  bool set_params, bool allow_strat, bool allow_sync,
				  bool allow_pagemode)
{
	LogScanDesc scan = (LogScanDesc) sscan;

	LogCursorEnd(&scan->cursor);
	LogCursorInit(&scan->cursor, scan->base.rs_rd, NULL);
	scan->positioned = false;
	scan->pwork_started = false;
}

/* position the cursor on the next block to scan; false when done */
static bool
next_block(LogScanDesc scan)
{
	Relation	rel = scan->base.rs_rd;

	if (scan->base.rs_parallel == NULL)
	{
		LogCursorSeekBlock(&scan->cursor, LOG_FIRST_DATA_BLKNO, false);
		scan->positioned = true;
		return true;
	}
	else
	{
		ParallelBlockTableScanDesc pbscan =
		(ParallelBlockTableScanDesc) scan->base.rs_parallel;
		BlockNumber blkno;

		if (!scan->pwork_started)
		{
			table_block_parallelscan_startblock_init(rel, &scan->pwork, pbscan);
			scan->pwork_started = true;
		}
		do
		{
			blkno = table_block_parallelscan_nextpage(rel, &scan->pwork, pbscan);
		} while (blkno == LOG_METAPAGE_BLKNO);
		if (blkno == InvalidBlockNumber)
			return false;
		LogCursorSeekBlock(&scan->cursor, blkno, true);
		scan->positioned = true;
		return true;
	}
}

bool
logam_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
					   TupleTableSlot *slot)
{
	LogScanDesc scan = (LogScanDesc) sscan;
	LogCursor  *c = &scan->cursor;
	LogRecordHeader hdr;

	ExecClearTuple(slot);
	MemoryContextReset(scan->rowcxt);
	if (scan->empty)
		return false;

	for (;;)
	{
		LogVisibility vis;

		if (!scan->positioned && !next_block(scan))
			return false;
		if (!LogCursorPeek(c, &hdr))
		{
			/* a serial scan is done; a parallel one takes another block */
			if (scan->base.rs_parallel == NULL)
				return false;
			scan->positioned = false;
			continue;
		}

		vis = LogRecordVisibility(c->buf, c->pos, &hdr, scan->base.rs_snapshot);
		if (vis == LOG_VISIBLE)
		{
			MemoryContext old = MemoryContextSwitchTo(scan->rowcxt);
			LogRecordData rec;

			LogCursorReadRecord(c, &hdr, &rec);
			LogCursorUnlock(c);
			ItemPointerSet(&slot->tts_tid, c->blkno, c->idx + 1);
			LogCursorAdvance(c, &hdr);
			MemoryContextSwitchTo(old);

			LogRecordToDatums(scan->partition, &rec,
							  slot->tts_values, slot->tts_isnull);
			ExecStoreVirtualTuple(slot);
			pgstat_count_heap_getnext(scan->base.rs_rd);
			return true;
		}
		LogCursorUnlock(c);
		LogCursorAdvance(c, &hdr);
	}
}

/*
 * ANALYZE: a log needs no statistics for planning beyond its size (it is
 * read by offset, not by predicates), so no sample rows are collected.
 */
bool
logam_scan_analyze_next_block(TableScanDesc scan, BlockNumber blockno,
							  BufferAccessStrategy bstrategy)
{
	return false;
}

bool
logam_scan_analyze_next_tuple(TableScanDesc scan, TransactionId OldestXmin,
							  double *liverows, double *deadrows,
							  TupleTableSlot *slot)
{
	return false;
}
