/*-------------------------------------------------------------------------
 *
 * cursor.c
 *	  A cursor over the records of one segment, used by log_read(), the
 *	  table AM's sequential scans and VACUUM.
 *
 * The cursor pins the page of the next record.  LogCursorPeek() returns
 * with that page share-locked so that the caller can decide visibility (and
 * set hint bits) and copy the record before LogCursorUnlock().  A record
 * continued on later pages is copied by share-locking those pages in
 * ascending block order while the first one stays locked; writers lock one
 * page at a time, so this cannot deadlock.
 *
 * The end of the data is the record count of the last page that is not new
 * (all zeros); it is read under the page lock every time, never taken from
 * shared memory, so a reader needs no partition lock.  When the cursor runs
 * out of records it keeps its position: a later Peek sees records appended
 * meanwhile.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/cursor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "segment/cursor.h"

static void cursor_copy(LogCursor *c, const LogRecordHeader *hdr,
						uint32 from, uint32 len, char *dst);

/*
 * The cursor found a new (all-zero) page: fine if no written page follows
 * it, damage otherwise (checked on the relation's last page).
 */
static void
check_new_page_is_last(LogCursor *c)
{
	BlockNumber last = RelationGetNumberOfBlocks(c->rel);
	Buffer		buf;
	bool		isnew;

	if (last == 0 || c->blkno + 1 >= last)
		return;
	buf = ReadBufferExtended(c->rel, MAIN_FORKNUM, last - 1, RBM_NORMAL,
							 c->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	isnew = PageIsNew(BufferGetPage(buf));
	UnlockReleaseBuffer(buf);
	if (!isnew)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("log segment \"%s\" block %u is empty, but block %u after it holds data",
						RelationGetRelationName(c->rel), c->blkno, last - 1)));
}

void
LogCursorInit(LogCursor *c, Relation rel, BufferAccessStrategy strategy)
{
	c->rel = rel;
	c->strategy = strategy;
	c->nblocks = RelationGetNumberOfBlocks(rel);
	c->blkno = LOG_FIRST_DATA_BLKNO;
	c->buf = InvalidBuffer;
	c->locked = false;
	c->single_block = false;
	c->fixed_end = false;
	c->pos = 0;
	c->idx = 0;
}

/*
 * From now on, stop at the blocks the relation has now: pages written later
 * are not read (a scan as of a snapshot does not follow appends made after
 * it).
 */
void
LogCursorFixEnd(LogCursor *c)
{
	c->nblocks = RelationGetNumberOfBlocks(c->rel);
	c->fixed_end = true;
}

static void
cursor_move(LogCursor *c, BlockNumber blkno)
{
	Assert(!c->locked);
	if (BufferIsValid(c->buf) && blkno != c->blkno)
	{
		ReleaseBuffer(c->buf);
		c->buf = InvalidBuffer;
	}
	c->blkno = blkno;
	c->pos = 0;
	c->idx = 0;
}

/*
 * Position the cursor on the first record that starts on blkno.  With
 * single_block, Peek returns false at the end of that block instead of
 * moving on (parallel and block-at-a-time scans).
 */
void
LogCursorSeekBlock(LogCursor *c, BlockNumber blkno, bool single_block)
{
	cursor_move(c, blkno);
	c->single_block = single_block;
}

/*
 * Position the cursor so that the next record returned is the first with an
 * offset >= target.
 */
void
LogCursorSeekOffset(LogCursor *c, LogOffset target)
{
	LogRecordHeader hdr;

	c->nblocks = RelationGetNumberOfBlocks(c->rel);
	cursor_move(c, LogFindBlockForOffset(c->rel, c->nblocks, target));
	c->single_block = false;
	while (LogCursorPeek(c, &hdr))
	{
		LogCursorUnlock(c);
		if (hdr.offset >= target)
			break;
		LogCursorAdvance(c, &hdr);
	}
}

/*
 * Find the next record.  On true, *hdr is filled in and the page is
 * share-locked until LogCursorUnlock().  On false nothing is locked.
 */
bool
LogCursorPeek(LogCursor *c, LogRecordHeader *hdr)
{
	Assert(!c->locked);
	for (;;)
	{
		Page		page;
		LogPageOpaque opaque;

		CHECK_FOR_INTERRUPTS();
		if (c->blkno >= c->nblocks)
		{
			if (c->fixed_end)
				return false;
			c->nblocks = RelationGetNumberOfBlocks(c->rel);
			if (c->blkno >= c->nblocks)
				return false;
		}
		if (!BufferIsValid(c->buf))
			c->buf = ReadBufferExtended(c->rel, MAIN_FORKNUM, c->blkno,
										RBM_NORMAL, c->strategy);
		LockBuffer(c->buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(c->buf);
		if (PageIsNew(page))
		{
			/*
			 * Extended but not yet written: the end for now.  New pages only
			 * ever trail the data (the writer fills them in order), so one
			 * followed by a written page is damage, not the end.
			 */
			LockBuffer(c->buf, BUFFER_LOCK_UNLOCK);
			check_new_page_is_last(c);
			return false;
		}
		opaque = LogPageGetOpaque(page);
		if (c->pos == 0)
		{
			/* first visit of this page: check its format once */
			LogCheckDataPage(c->rel, c->blkno, page);
			c->pos = LogPageFirstRecordPos(opaque);
			c->idx = 0;
		}
		if (c->idx < opaque->nrecords)
		{
			if (c->pos + LOG_REC_HEADER_SIZE > ((PageHeader) page)->pd_lower)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("log segment \"%s\" block %u: record %u lies beyond the end of the data",
								RelationGetRelationName(c->rel), c->blkno, c->idx)));
			LogReadRecordHeader(page, c->pos, hdr);
			if (hdr->length < LOG_REC_HEADER_SIZE + hdr->key_len ||
				hdr->length > LOG_REC_HEADER_SIZE + (uint64) LOGEXT_MAX_RECORD_BYTES ||
				(c->pos + (uint64) hdr->length > ((PageHeader) page)->pd_lower &&
				 c->idx + 1 < opaque->nrecords))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("log segment \"%s\" block %u: record %u has an invalid length",
								RelationGetRelationName(c->rel), c->blkno, c->idx)));
			if (hdr->offset != opaque->first_offset + c->idx)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("log segment \"%s\" block %u: record %u has offset " INT64_FORMAT ", expected " INT64_FORMAT,
								RelationGetRelationName(c->rel), c->blkno, c->idx,
								hdr->offset, opaque->first_offset + c->idx)));
			c->locked = true;
			return true;
		}
		LockBuffer(c->buf, BUFFER_LOCK_UNLOCK);

		/*
		 * This page is exhausted.  Move on only if a later block exists: the
		 * writer fills a page before it extends, so records never appear on
		 * a page once a later one exists.
		 */
		if (c->single_block)
			return false;
		if (c->blkno + 1 >= c->nblocks)
		{
			c->nblocks = RelationGetNumberOfBlocks(c->rel);
			if (c->blkno + 1 >= c->nblocks)
				return false;
		}
		cursor_move(c, c->blkno + 1);
	}
}

void
LogCursorUnlock(LogCursor *c)
{
	if (c->locked)
	{
		LockBuffer(c->buf, BUFFER_LOCK_UNLOCK);
		c->locked = false;
	}
}

/*
 * Step past the record last returned by Peek.  A record that continues on
 * later pages is the last to start on its page, so the next Peek moves to
 * the next page and skips the continuation by cont_len: the record's length
 * is never needed to skip it (it may have been cut short by a crash).
 */
void
LogCursorAdvance(LogCursor *c, const LogRecordHeader *hdr)
{
	uint64		next = (uint64) c->pos + hdr->length;

	Assert(!c->locked);
	/* a record continued on later pages ends this page (Peek checked it) */
	c->pos = LogRecordAlign((uint32) Min(next, (uint64) LOG_PAGE_DATA_END));
	c->idx++;
}

/*
 * Copy len payload bytes, starting at payload position from, of the record
 * the cursor is on (page locked) into dst.
 */
static void
cursor_copy(LogCursor *c, const LogRecordHeader *hdr, uint32 from,
			uint32 len, char *dst)
{
	Page		page = BufferGetPage(c->buf);
	uint32		start = c->pos + LOG_REC_HEADER_SIZE;
	uint32		here = Min(hdr->length - LOG_REC_HEADER_SIZE,
						   ((PageHeader) page)->pd_lower - start);
	BlockNumber blkno = c->blkno;

	Assert(c->locked);
	/* the part on the first page */
	if (from < here)
	{
		uint32		n = Min(len, here - from);

		memcpy(dst, (char *) page + start + from, n);
		dst += n;
		len -= n;
		from += n;
	}
	from -= here;

	/* continuation pages */
	while (len > 0)
	{
		Buffer		buf;
		Page		cpage;
		uint32		cont;

		CHECK_FOR_INTERRUPTS();
		blkno++;
		if (blkno >= c->nblocks)
			c->nblocks = RelationGetNumberOfBlocks(c->rel);
		if (blkno >= c->nblocks)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("log segment \"%s\": record at offset " INT64_FORMAT " continues past the end of the segment",
							RelationGetRelationName(c->rel), hdr->offset)));
		buf = ReadBufferExtended(c->rel, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 c->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		cpage = BufferGetPage(buf);
		if (PageIsNew(cpage) || LogPageGetOpaque(cpage)->cont_len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("log segment \"%s\" block %u: record at offset " INT64_FORMAT " is incomplete",
							RelationGetRelationName(c->rel), blkno, hdr->offset)));
		LogCheckDataPage(c->rel, blkno, cpage);
		cont = LogPageGetOpaque(cpage)->cont_len;
		if (from < cont)
		{
			uint32		n = Min(len, cont - from);

			memcpy(dst, (char *) cpage + LOG_PAGE_DATA_START + from, n);
			dst += n;
			len -= n;
			from = 0;
		}
		else
			from -= cont;
		UnlockReleaseBuffer(buf);
	}
}

/*
 * Copy the record the cursor is on (page locked, from Peek) into rec,
 * allocating in CurrentMemoryContext.
 */
void
LogCursorReadRecord(LogCursor *c, const LogRecordHeader *hdr, LogRecordData *rec)
{
	uint32		pos = 0;
	uint32		value_len;
	uint32		payload = hdr->length - LOG_REC_HEADER_SIZE;

	rec->hdr = *hdr;
	rec->key = NULL;
	rec->headers = NULL;
	if (rec->hdr.flags & LOG_REC_HAS_KEY)
	{
		rec->key = (text *) palloc(VARHDRSZ + rec->hdr.key_len);
		SET_VARSIZE(rec->key, VARHDRSZ + rec->hdr.key_len);
		cursor_copy(c, &rec->hdr, pos, rec->hdr.key_len, VARDATA(rec->key));
		pos += rec->hdr.key_len;
	}
	if (rec->hdr.flags & LOG_REC_HAS_HEADERS)
	{
		char		vlhdr[MAXALIGN(VARHDRSZ) * 2];	/* room for the macros */
		uint32		hlen;

		cursor_copy(c, &rec->hdr, pos, VARHDRSZ, vlhdr);
		hlen = VARSIZE(vlhdr);
		if (hlen < VARHDRSZ || pos + hlen > payload)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("log segment \"%s\": record at offset " INT64_FORMAT " has invalid headers",
							RelationGetRelationName(c->rel), rec->hdr.offset)));
		rec->headers = (Jsonb *) palloc(hlen);
		cursor_copy(c, &rec->hdr, pos, hlen, (char *) rec->headers);
		pos += hlen;
	}
	if (pos > payload)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("log segment \"%s\": record at offset " INT64_FORMAT " has an invalid length",
						RelationGetRelationName(c->rel), rec->hdr.offset)));
	value_len = payload - pos;
	rec->value = (bytea *) palloc(VARHDRSZ + value_len);
	SET_VARSIZE(rec->value, VARHDRSZ + value_len);
	cursor_copy(c, &rec->hdr, pos, value_len, VARDATA(rec->value));
}

void
LogCursorEnd(LogCursor *c)
{
	LogCursorUnlock(c);
	if (BufferIsValid(c->buf))
		ReleaseBuffer(c->buf);
	c->buf = InvalidBuffer;
}

/*
 * The appended_at of a segment's first and last records (whether visible
 * or not: timestamps never decrease along offsets, so these bound every
 * record of the segment); false if it has none.  A few page reads: the
 * first data page and the page of the last offset.  The caller holds a lock
 * on the relation.
 */
bool
LogSegmentTimeBounds(Relation rel, TimestampTz *first, TimestampTz *last)
{
	LogCursor	c;
	LogRecordHeader hdr;
	LogMetaPageData meta;
	LogOffset	next;
	BlockNumber data_end;
	bool		found = false;

	LogReadMeta(rel, &meta);
	LogSegmentEnd(rel, &next, &data_end);
	if (next <= meta.base_offset)
		return false;
	LogCursorInit(&c, rel, NULL);
	if (LogCursorPeek(&c, &hdr))
	{
		*first = hdr.appended_at;
		LogCursorUnlock(&c);
		LogCursorSeekOffset(&c, next - 1);
		if (LogCursorPeek(&c, &hdr))
		{
			*last = hdr.appended_at;
			LogCursorUnlock(&c);
			found = true;
		}
	}
	LogCursorEnd(&c);
	return found;
}

/*
 * The appended_at of the first record that starts at or after block blkno;
 * false if none does (the end of the data).
 */
static bool
first_time_from(Relation rel, BlockNumber blkno, TimestampTz *t)
{
	LogCursor	c;
	LogRecordHeader hdr;
	bool		found;

	LogCursorInit(&c, rel, NULL);
	LogCursorSeekBlock(&c, blkno, false);
	found = LogCursorPeek(&c, &hdr);
	if (found)
	{
		*t = hdr.appended_at;
		LogCursorUnlock(&c);
	}
	LogCursorEnd(&c);
	return found;
}

/*
 * The appended_at of a segment's first record; false if it has none.  One
 * page read (the first data page).  The caller holds a lock on the
 * relation.
 */
bool
LogSegmentFirstTime(Relation rel, TimestampTz *first)
{
	return first_time_from(rel, LOG_FIRST_DATA_BLKNO, first);
}

/*
 * The offset of a segment's first record whose appended_at is at or after
 * ts, or the segment's next offset if there is none.  appended_at never
 * decreases along offsets, so a binary search over the blocks by the time
 * of the first record starting on each finds the block B where such
 * records begin; the answer is among the records of the block before B or
 * is B's first record: about log2(blocks) + 2 page reads.  Records are
 * taken whether committed or not (reading from the offset returned skips
 * what is not visible).  The caller holds a lock on the relation.
 */
LogOffset
LogSegmentOffsetForTime(Relation rel, TimestampTz ts)
{
	LogOffset	next;
	BlockNumber data_end;
	BlockNumber lo = LOG_FIRST_DATA_BLKNO;
	BlockNumber hi;
	LogCursor	c;
	LogRecordHeader hdr;
	LogOffset	result;

	LogSegmentEnd(rel, &next, &data_end);
	hi = data_end;
	/* the first block from which the first record starting is >= ts */
	while (lo < hi)
	{
		BlockNumber mid = lo + (hi - lo) / 2;
		TimestampTz t;

		CHECK_FOR_INTERRUPTS();
		if (!first_time_from(rel, mid, &t) || t >= ts)
			hi = mid;
		else
			lo = mid + 1;
	}

	/* scan from the block before it to the first record at or after ts */
	result = next;
	LogCursorInit(&c, rel, NULL);
	LogCursorSeekBlock(&c, Max(lo, LOG_FIRST_DATA_BLKNO + 1) - 1, false);
	while (LogCursorPeek(&c, &hdr))
	{
		LogCursorUnlock(&c);
		if (hdr.appended_at >= ts)
		{
			result = hdr.offset;
			break;
		}
		LogCursorAdvance(&c, &hdr);
		CHECK_FOR_INTERRUPTS();
	}
	LogCursorEnd(&c);
	return result;
}
