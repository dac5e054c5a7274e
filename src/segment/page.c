/*-------------------------------------------------------------------------
 *
 * page.c
 *	  Page-level routines of log segments: page initialisation, format
 *	  checks, record header access and the offset -> block binary search.
 *
 * Nothing here writes WAL or takes the partition lock; callers hold the
 * buffer locks documented on each function.  The format itself is described
 * in page.h.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/page.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "segment/page.h"

StaticAssertDecl(LOG_REC_HEADER_SIZE == 28, "record header must stay 28 bytes");

/*
 * Initialise the metapage (block 0) of a new segment.
 */
void
LogInitMetaPage(Page page, int32 log_id, int32 partition, LogOffset base_offset)
{
	LogMetaPage meta;
	LogPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(LogPageOpaqueData));
	meta = LogPageGetMeta(page);
	meta->magic = LOG_META_MAGIC;
	meta->version = LOG_FORMAT_VERSION;
	meta->log_id = log_id;
	meta->partition = partition;
	meta->base_offset = base_offset;
	((PageHeader) page)->pd_lower = ((char *) meta + sizeof(LogMetaPageData)) - (char *) page;

	opaque = LogPageGetOpaque(page);
	opaque->first_offset = base_offset;
	opaque->cont_len = 0;
	opaque->nrecords = 0;
	opaque->flags = LOG_PAGE_META;
	opaque->page_id = LOG_PAGE_ID;
}

/*
 * Initialise an empty data page.  The caller sets first_offset / cont_len.
 */
void
LogInitDataPage(Page page)
{
	LogPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(LogPageOpaqueData));
	opaque = LogPageGetOpaque(page);
	opaque->first_offset = 0;
	opaque->cont_len = 0;
	opaque->nrecords = 0;
	opaque->flags = 0;
	opaque->page_id = LOG_PAGE_ID;
}

void
LogCheckMetaPage(Relation rel, Page page)
{
	LogMetaPage meta = LogPageGetMeta(page);

	if (PageIsNew(page) ||
		PageGetSpecialSize(page) != MAXALIGN(sizeof(LogPageOpaqueData)) ||
		LogPageGetOpaque(page)->page_id != LOG_PAGE_ID ||
		meta->magic != LOG_META_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("log segment \"%s\" has no valid metapage",
						RelationGetRelationName(rel))));
	if (meta->version != LOG_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("log segment \"%s\" has storage format version %u, expected %u",
						RelationGetRelationName(rel), meta->version,
						LOG_FORMAT_VERSION)));
}

/*
 * Check the parts of a data page that everything else relies on.  The caller
 * holds at least a share lock and has checked PageIsNew.
 */
void
LogCheckDataPage(Relation rel, BlockNumber blkno, Page page)
{
	PageHeader	ph = (PageHeader) page;
	LogPageOpaque opaque = LogPageGetOpaque(page);

	if (PageGetSpecialSize(page) != MAXALIGN(sizeof(LogPageOpaqueData)) ||
		opaque->page_id != LOG_PAGE_ID ||
		(opaque->flags & LOG_PAGE_META) != 0 ||
		ph->pd_lower < LOG_PAGE_DATA_START ||
		ph->pd_lower > LOG_PAGE_DATA_END ||
		opaque->cont_len > ph->pd_lower - LOG_PAGE_DATA_START)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("log segment \"%s\" block %u is not a valid data page",
						RelationGetRelationName(rel), blkno)));
}

/*
 * Copy the header of the record at byte position pos of a page.
 */
void
LogReadRecordHeader(Page page, uint32 pos, LogRecordHeader *hdr)
{
	memcpy(hdr, (char *) page + pos, LOG_REC_HEADER_SIZE);
}

/*
 * OR flag bits into the record at pos.  Hint bits are set under a share
 * lock (like heap's infomask hints): only bits are ever added, and a lost
 * hint is simply recomputed.
 */
void
LogSetRecordFlags(Page page, uint32 pos, uint16 flags)
{
	uint16		cur;
	char	   *p = (char *) page + pos + LOG_REC_FLAGS_POS;

	memcpy(&cur, p, sizeof(uint16));
	cur |= flags;
	memcpy(p, &cur, sizeof(uint16));
}

/*
 * Number of the first block after the data: the relation size minus
 * trailing all-zero pages (extended but never written, e.g. by a crash).
 * Also returns the physical size in *nblocks.
 */
BlockNumber
LogDataBlocks(Relation rel, BlockNumber *nblocks)
{
	BlockNumber end = RelationGetNumberOfBlocks(rel);

	*nblocks = end;
	while (end > LOG_FIRST_DATA_BLKNO)
	{
		Buffer		buf = ReadBuffer(rel, end - 1);
		bool		isnew;

		LockBuffer(buf, BUFFER_LOCK_SHARE);
		isnew = PageIsNew(BufferGetPage(buf));
		UnlockReleaseBuffer(buf);
		if (!isnew)
			break;
		end--;
	}
	return end;
}

/*
 * first_offset of a block, or -1 for a page that is new (all zeros).
 */
static LogOffset
block_first_offset(Relation rel, BlockNumber blkno, uint16 *nrecords)
{
	Buffer		buf = ReadBuffer(rel, blkno);
	Page		page;
	LogOffset	result = -1;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	*nrecords = 0;
	if (!PageIsNew(page))
	{
		LogCheckDataPage(rel, blkno, page);
		result = LogPageGetOpaque(page)->first_offset;
		*nrecords = LogPageGetOpaque(page)->nrecords;
	}
	UnlockReleaseBuffer(buf);
	return result;
}

/*
 * Find the block where the record with offset target starts, or where the
 * first record with a larger offset starts.  Searches data blocks
 * [LOG_FIRST_DATA_BLKNO, nblocks) by first_offset: interpolation between
 * the known bounds (records are usually of similar size, so this lands
 * within a page or two), alternating with bisection so that skewed sizes
 * cost at most about twice a binary search.  Then steps back over pages
 * that only continue a large record.
 */
BlockNumber
LogFindBlockForOffset(Relation rel, BlockNumber nblocks, LogOffset target)
{
	BlockNumber lo = LOG_FIRST_DATA_BLKNO;
	BlockNumber hi;
	LogOffset	klo;
	LogOffset	khi = -1;
	uint16		nrecords;
	int			round = 0;

	if (nblocks <= LOG_FIRST_DATA_BLKNO)
		return LOG_FIRST_DATA_BLKNO;
	klo = block_first_offset(rel, lo, &nrecords);
	if (klo < 0 || klo > target)
		return LOG_FIRST_DATA_BLKNO;

	/* the last page that is not new: new pages only trail the data */
	for (hi = nblocks - 1; hi > lo; hi--)
	{
		khi = block_first_offset(rel, hi, &nrecords);
		if (khi >= 0)
			break;
	}
	if (hi == lo || khi <= target)
		lo = hi;
	else
	{
		/* invariant: first_offset(lo) <= target < first_offset(hi) */
		while (hi - lo > 1)
		{
			BlockNumber mid;
			LogOffset	kmid;

			CHECK_FOR_INTERRUPTS();
			if (round++ % 2 == 0 && khi > klo)
				mid = lo + (BlockNumber) ((double) (target - klo) / (double) (khi - klo) *
										  (double) (hi - lo));
			else
				mid = lo + (hi - lo) / 2;
			mid = Max(mid, lo + 1);
			mid = Min(mid, hi - 1);
			kmid = block_first_offset(rel, mid, &nrecords);
			if (kmid >= 0 && kmid <= target)
			{
				lo = mid;
				klo = kmid;
			}
			else
			{
				hi = mid;
				khi = kmid < 0 ? khi : kmid;
			}
		}
	}

	/* a page where no record starts: go back to where its record starts */
	while (lo > LOG_FIRST_DATA_BLKNO)
	{
		LogOffset	first = block_first_offset(rel, lo, &nrecords);

		if (first < 0 || nrecords > 0)
			break;
		CHECK_FOR_INTERRUPTS();
		lo--;
	}
	return lo;
}

/*
 * Copy a segment's metapage (checked); errors for a relation of the log
 * access method that log_create() did not initialise.
 */
void
LogReadMeta(Relation rel, LogMetaPageData *meta)
{
	Buffer		buf;

	if (RelationGetNumberOfBlocks(rel) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation \"%s\" is not an initialised log segment",
						RelationGetRelationName(rel)),
				 errhint("Log segments are created by logext.log_create().")));
	buf = ReadBuffer(rel, LOG_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	LogCheckMetaPage(rel, BufferGetPage(buf));
	*meta = *LogPageGetMeta(BufferGetPage(buf));
	UnlockReleaseBuffer(buf);
}

/*
 * Where the data of a segment ends: the next offset to give out, and the
 * first block after the last page that is not new.  Reads the metapage and
 * the last data page; the caller holds a lock on the relation.
 */
void
LogSegmentEnd(Relation rel, LogOffset *next_offset, BlockNumber *data_end)
{
	BlockNumber nblocks;
	BlockNumber end;
	Buffer		buf;
	Page		page;
	LogMetaPageData meta;

	LogReadMeta(rel, &meta);
	*next_offset = meta.base_offset;

	end = LogDataBlocks(rel, &nblocks);
	*data_end = Max(end, LOG_FIRST_DATA_BLKNO);
	if (end > LOG_FIRST_DATA_BLKNO)
	{
		LogPageOpaque opaque;

		buf = ReadBuffer(rel, end - 1);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		LogCheckDataPage(rel, end - 1, page);
		opaque = LogPageGetOpaque(page);
		/* a page where no record starts continues the record first_offset */
		*next_offset = opaque->first_offset + Max(opaque->nrecords, 1);
		UnlockReleaseBuffer(buf);
	}
}
