/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  log_verify(): an amcheck-style integrity checker for the segments of
 *	  a log.
 *
 * log_verify(log_name) walks every segment of every partition of a log,
 * oldest first, and returns one row per problem found (partition, segment,
 * block, offset, problem) instead of stopping at the first one, as
 * amcheck's verify_heapam() does.  It checks what the on-disk format of
 * segment/page.h promises:
 *	- the metapage: header, special area, magic, format version, and log
 *	  id, partition and base offset equal to the catalog's;
 *	- every data page: special area (size, page id, flags), pd_lower within
 *	  the data area, cont_len against the record left unfinished by the
 *	  previous page, nrecords against the bytes up to pd_lower, first_offset
 *	  against the offset expected next;
 *	- every record header: length at least header + key, the headers varlena
 *	  inside the record, the record inside the data (a record that does not
 *	  fit must be the last on a full page and continue with exactly the
 *	  right cont_len on the next), offset equal to the expected one,
 *	  appended_at not decreasing, only known flag bits, xid normal (or
 *	  frozen), not in the future and not before relfrozenxid unless decided;
 *	- between segments: each one starts where the previous one ends, and
 *	  the active one ends at the partition's next offset (shared memory).
 * Holes are not problems: records of transactions that failed after the
 * pre-commit write keep their offsets.  Neither is a record cut short by a
 * crash or a failed write (the writer then continues on a fresh page with
 * cont_len 0) unless its transaction committed.  Trailing all-zero pages
 * (extended, never written) are normal; an all-zero page before the last
 * page holding data is not.
 *
 * Reading.  The checker never uses the reading paths of segment/ (cursor.c,
 * page.c), which raise ERROR at the first inconsistency; it does not
 * trust any length before checking it against the page, and every loop is
 * bounded by the relation size or a page's record count.  Each page is
 * copied into local memory under a share lock (one page at a time, through
 * a BAS_BULKREAD ring) and checked there.  The buffer manager raises ERROR
 * for a page whose header is invalid or whose checksum fails, so each block
 * is first read raw with smgrread() and checked with
 * PageIsVerifiedExtended(); only a block that passes (or that shared
 * buffers already hold, a valid copy newer than the disk's) is read through
 * the buffer manager.  A block that fails is reported and skipped, without
 * ever entering shared buffers.
 *
 * Concurrency.  The checker holds AccessShareLock on each segment, so
 * writers go on appending.  Pages before the last page holding data are
 * complete (the writer fills a page before it moves to the next), so the
 * check covers the segment as it was up to that page when the check of the
 * segment began; later pages are ignored, except to follow a committed
 * record's continuation.  The partition's next offset is read without the
 * partition lock, before and after, and compared only in directions a
 * concurrent commit cannot upset.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/checksum.h"
#include "storage/lwlock.h"
#include "storage/procarray.h"
#include "storage/smgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "meta/logacl.h"
#include "meta/logcache.h"
#include "segment/page.h"
#include "shmem.h"

#define VERIFY_NATTS 5

#define LOG_REC_KNOWN_FLAGS \
	(LOG_REC_HAS_KEY | LOG_REC_HAS_HEADERS | LOG_REC_COMMITTED | \
	 LOG_REC_INVALID | LOG_REC_FROZEN)
#define LOG_PAGE_KNOWN_FLAGS	(LOG_PAGE_META | LOG_PAGE_ALL_FROZEN)

/* the largest record length a writer produces */
#define LOG_REC_MAX_LENGTH \
	((uint64) LOG_REC_HEADER_SIZE + LOGEXT_MAX_KEY_LEN + LOGEXT_MAX_RECORD_BYTES)

typedef enum PageStatus
{
	PAGE_OK,
	PAGE_NEW,					/* all zeros */
	PAGE_DAMAGED				/* header or checksum invalid */
} PageStatus;

typedef enum XidState
{
	XID_COMMITTED,
	XID_ABORTED,
	XID_IN_PROGRESS,
	XID_UNKNOWN					/* out of range, or clog truncated */
} XidState;

/* the record being followed across pages */
typedef struct RecordState
{
	LogOffset	offset;
	TransactionId xid;
	uint16		flags;
	uint16		key_len;
	BlockNumber blkno;			/* where it starts */
	uint32		payload;		/* length - header */
	uint32		done;			/* payload bytes seen so far */
	uint32		vl_have;		/* bytes of the headers varlena header seen */
	bool		vl_checked;
	union
	{
		uint32		word;		/* aligned for the varlena macros */
		char		bytes[VARHDRSZ];
	}			vl;
} RecordState;

typedef struct VerifyState
{
	ReturnSetInfo *rsinfo;
	BufferAccessStrategy strategy;
	int32		log_id;
	int32		partition;

	/* the segment being checked */
	Relation	rel;
	Oid			relid;
	TransactionId relfrozenxid;

	/* cached xid horizon (refreshed when an xid looks too new) */
	TransactionId next_xid;
	TransactionId oldest_xid;

	/* walk of the partition */
	LogOffset	expected;		/* offset the next record must have */
	bool		resync;			/* a page was skipped: adopt the next one's
								 * offsets */
	bool		pending;		/* rec continues on the next page */
	RecordState rec;
	bool		have_prev;		/* prev_* describe the last record seen */
	LogOffset	prev_offset;
	TimestampTz prev_ts;
	TransactionId prev_xid;
	uint16		prev_flags;

	PGAlignedBlock page;		/* copy of the page being checked */
} VerifyState;

static void report(VerifyState *st, BlockNumber blkno, LogOffset offset,
				   const char *fmt,...) pg_attribute_printf(4, 5);
static PageStatus read_page(VerifyState *st, BlockNumber blkno, char **why);
static bool check_metapage(VerifyState *st, const LogSegmentRef *seg);
static void check_data_page(VerifyState *st, BlockNumber blkno);
static void check_pages(VerifyState *st, BlockNumber from, BlockNumber to);
static void check_segment(VerifyState *st, const LogSegmentRef *seg,
						  bool active, LogOffset *prev_end);
static XidState xid_state(VerifyState *st, TransactionId xid, uint16 flags);

/*
 * Add a problem row.  blkno InvalidBlockNumber and offset < 0 give NULLs.
 */
static void
report(VerifyState *st, BlockNumber blkno, LogOffset offset, const char *fmt,...)
{
	StringInfoData msg;
	Datum		values[VERIFY_NATTS];
	bool		nulls[VERIFY_NATTS] = {false};

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}

	values[0] = Int32GetDatum(st->partition);
	values[1] = ObjectIdGetDatum(st->relid);
	values[2] = Int64GetDatum((int64) blkno);
	nulls[2] = blkno == InvalidBlockNumber;
	values[3] = Int64GetDatum(offset);
	nulls[3] = offset < 0;
	values[4] = CStringGetTextDatum(msg.data);
	tuplestore_putvalues(st->rsinfo->setResult, st->rsinfo->setDesc,
						 values, nulls);
	pfree(DatumGetPointer(values[4]));
	pfree(msg.data);
}

/* why PageIsVerifiedExtended() refused a page */
static char *
describe_invalid_page(Page page, BlockNumber blkno)
{
	PageHeader	ph = (PageHeader) page;

	if (PageIsNew(page))
		return psprintf("page header is zero but the page is not all zeros");
	if ((ph->pd_flags & ~PD_VALID_FLAG_BITS) == 0 &&
		ph->pd_lower <= ph->pd_upper && ph->pd_upper <= ph->pd_special &&
		ph->pd_special <= BLCKSZ && ph->pd_special == MAXALIGN(ph->pd_special) &&
		DataChecksumsEnabled())
		return psprintf("page checksum %u does not match the computed checksum %u",
						ph->pd_checksum, pg_checksum_page((char *) page, blkno));
	return psprintf("invalid page header: pd_lower %u, pd_upper %u, pd_special %u, pd_flags 0x%04x",
					ph->pd_lower, ph->pd_upper, ph->pd_special, ph->pd_flags);
}

/* copy a block from shared buffers into st->page */
static void
copy_buffer(VerifyState *st, Buffer buf)
{
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(st->page.data, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);
}

/*
 * Copy block blkno of the segment into st->page.  The block is checked raw
 * first (see the header comment), so that a damaged header or checksum is
 * returned as PAGE_DAMAGED with *why set instead of raising ERROR in the
 * buffer manager.  A raw copy that fails may be torn by a concurrent write
 * of the buffer: then the buffer is resident and valid, and used.
 */
static PageStatus
read_page(VerifyState *st, BlockNumber blkno, char **why)
{
	SMgrRelation smgr = RelationGetSmgr(st->rel);

	for (int attempt = 0; attempt < 2; attempt++)
	{
		PrefetchBufferResult pr;

		smgrread(smgr, MAIN_FORKNUM, blkno, st->page.data);
		if (PageIsVerifiedExtended((Page) st->page.data, blkno, 0))
		{
			copy_buffer(st, ReadBufferExtended(st->rel, MAIN_FORKNUM, blkno,
											   RBM_NORMAL, st->strategy));
			return PageIsNew((Page) st->page.data) ? PAGE_NEW : PAGE_OK;
		}
		pr = PrefetchBuffer(st->rel, MAIN_FORKNUM, blkno);
		if (BufferIsValid(pr.recent_buffer) &&
			ReadRecentBuffer(st->rel->rd_node, MAIN_FORKNUM, blkno,
							 pr.recent_buffer))
		{
			copy_buffer(st, pr.recent_buffer);
			return PageIsNew((Page) st->page.data) ? PAGE_NEW : PAGE_OK;
		}
	}
	*why = describe_invalid_page((Page) st->page.data, blkno);
	return PAGE_DAMAGED;
}

/*
 * Commit status of a record's transaction, from its flags or, for an xid
 * in the range clog can answer for, from clog (as verify_heapam's
 * get_xid_status() does: an xid from a damaged page must not make clog
 * raise ERROR).
 */
static XidState
xid_state(VerifyState *st, TransactionId xid, uint16 flags)
{
	XidState	result;

	if (flags & (LOG_REC_FROZEN | LOG_REC_COMMITTED))
		return XID_COMMITTED;
	if (flags & LOG_REC_INVALID)
		return XID_ABORTED;
	if (xid == FrozenTransactionId)
		return XID_COMMITTED;
	if (!TransactionIdIsNormal(xid))
		return XID_UNKNOWN;

	LWLockAcquire(XidGenLock, LW_SHARED);
	st->next_xid = XidFromFullTransactionId(ShmemVariableCache->nextXid);
	st->oldest_xid = ShmemVariableCache->oldestXid;
	LWLockRelease(XidGenLock);
	if (!TransactionIdPrecedes(xid, st->next_xid) ||
		TransactionIdPrecedes(xid, st->oldest_xid))
		return XID_UNKNOWN;
	if (TransactionIdIsCurrentTransactionId(xid))
		return XID_IN_PROGRESS;

	LWLockAcquire(XactTruncationLock, LW_SHARED);
	if (TransactionIdPrecedes(xid, ShmemVariableCache->oldestClogXid))
		result = XID_UNKNOWN;
	else if (TransactionIdIsInProgress(xid))
		result = XID_IN_PROGRESS;
	else if (TransactionIdDidCommit(xid))
		result = XID_COMMITTED;
	else
		result = XID_ABORTED;
	LWLockRelease(XactTruncationLock);
	return result;
}

/*
 * Check the xid of a record header.
 */
static void
check_xid(VerifyState *st, BlockNumber blkno, LogOffset offset,
		  const LogRecordHeader *hdr)
{
	TransactionId xid = hdr->xid;

	if (xid == FrozenTransactionId)
		return;
	if (!TransactionIdIsNormal(xid))
	{
		report(st, blkno, offset,
			   "record xid %u is not a normal transaction id", xid);
		return;
	}
	if (hdr->flags & LOG_REC_FROZEN)
		return;					/* clog need not know it any more */

	if (!TransactionIdPrecedes(xid, st->next_xid))
	{
		LWLockAcquire(XidGenLock, LW_SHARED);
		st->next_xid = XidFromFullTransactionId(ShmemVariableCache->nextXid);
		st->oldest_xid = ShmemVariableCache->oldestXid;
		LWLockRelease(XidGenLock);
	}
	if (!TransactionIdPrecedes(xid, st->next_xid))
		report(st, blkno, offset,
			   "record xid %u is in the future (next xid %u)",
			   xid, st->next_xid);
	else if ((hdr->flags & LOG_REC_INVALID) == 0 &&
			 TransactionIdIsNormal(st->relfrozenxid) &&
			 TransactionIdPrecedes(xid, st->relfrozenxid))
		report(st, blkno, offset,
			   "record xid %u precedes the segment's relfrozenxid %u but the record is neither frozen nor invalid",
			   xid, st->relfrozenxid);
	else if ((hdr->flags & LOG_REC_INVALID) == 0 &&
			 TransactionIdPrecedes(xid, st->oldest_xid))
		report(st, blkno, offset,
			   "record xid %u precedes the oldest xid %u of the cluster but the record is neither frozen nor invalid",
			   xid, st->oldest_xid);
}

/*
 * Account for n payload bytes of the current record seen at payload
 * position st->rec.done, copied from src; checks the headers varlena once
 * its 4-byte header has been seen.
 */
static void
record_bytes(VerifyState *st, BlockNumber blkno, const char *src, uint32 n)
{
	RecordState *r = &st->rec;

	if ((r->flags & LOG_REC_HAS_HEADERS) && !r->vl_checked)
	{
		uint32		vl_start = r->key_len + r->vl_have;

		/* the part of [vl_start, key_len + VARHDRSZ) in this chunk */
		while (r->vl_have < VARHDRSZ &&
			   vl_start >= r->done && vl_start < r->done + n)
		{
			r->vl.bytes[r->vl_have++] = src[vl_start - r->done];
			vl_start++;
		}
		if (r->vl_have == VARHDRSZ)
		{
			r->vl_checked = true;
			if (!VARATT_IS_4B_U(&r->vl.word))
				report(st, r->blkno, r->offset,
					   "record headers are not an uncompressed 4-byte varlena (first byte 0x%02x)",
					   (unsigned char) r->vl.bytes[0]);
			else if (VARSIZE(&r->vl.word) < VARHDRSZ ||
					 (uint64) r->key_len + VARSIZE(&r->vl.word) > r->payload)
				report(st, r->blkno, r->offset,
					   "record headers of %u bytes do not fit in the record's %u bytes after the key",
					   (uint32) VARSIZE(&r->vl.word), r->payload - r->key_len);
		}
	}
	r->done += n;
}

/* the current record is complete */
static void
record_end(VerifyState *st)
{
	RecordState *r = &st->rec;

	if ((r->flags & LOG_REC_HAS_HEADERS) && !r->vl_checked)
		report(st, r->blkno, r->offset,
			   "record is flagged as having headers but is too short to hold them");
	st->pending = false;
}

/* skip a page that cannot be interpreted */
static void
skip_page(VerifyState *st)
{
	st->pending = false;
	st->resync = true;
}

/*
 * Check block 0.  Returns false if the segment's data cannot be interpreted
 * (unknown format version).
 */
static bool
check_metapage(VerifyState *st, const LogSegmentRef *seg)
{
	char	   *why;
	Page		page = (Page) st->page.data;
	PageHeader	ph = (PageHeader) page;
	LogPageOpaque opaque;
	LogMetaPage meta;

	switch (read_page(st, LOG_METAPAGE_BLKNO, &why))
	{
		case PAGE_DAMAGED:
			report(st, LOG_METAPAGE_BLKNO, -1, "metapage: %s", why);
			return true;
		case PAGE_NEW:
			report(st, LOG_METAPAGE_BLKNO, -1, "metapage is all zeros");
			return true;
		case PAGE_OK:
			break;
	}

	if (ph->pd_special != LOG_PAGE_DATA_END)
		report(st, LOG_METAPAGE_BLKNO, -1,
			   "metapage special area starts at %u, expected %u",
			   ph->pd_special, LOG_PAGE_DATA_END);
	else
	{
		opaque = LogPageGetOpaque(page);
		if (opaque->page_id != LOG_PAGE_ID)
			report(st, LOG_METAPAGE_BLKNO, -1,
				   "metapage page id is 0x%04x, expected 0x%04x",
				   opaque->page_id, LOG_PAGE_ID);
		if (opaque->flags != LOG_PAGE_META)
			report(st, LOG_METAPAGE_BLKNO, -1,
				   "metapage flags are 0x%04x, expected 0x%04x",
				   opaque->flags, LOG_PAGE_META);
		if (opaque->first_offset != seg->base_offset ||
			opaque->cont_len != 0 || opaque->nrecords != 0)
			report(st, LOG_METAPAGE_BLKNO, -1,
				   "metapage special area has first offset " INT64_FORMAT ", cont_len %u and %u records, expected " INT64_FORMAT ", 0 and 0",
				   opaque->first_offset, opaque->cont_len, opaque->nrecords,
				   seg->base_offset);
	}
	if (ph->pd_lower != LOG_PAGE_DATA_START + sizeof(LogMetaPageData))
		report(st, LOG_METAPAGE_BLKNO, -1,
			   "metapage pd_lower is %u, expected %u",
			   ph->pd_lower,
			   (uint32) (LOG_PAGE_DATA_START + sizeof(LogMetaPageData)));

	meta = LogPageGetMeta(page);
	if (meta->magic != LOG_META_MAGIC)
		report(st, LOG_METAPAGE_BLKNO, -1,
			   "metapage magic is 0x%08x, expected 0x%08x",
			   meta->magic, LOG_META_MAGIC);
	if (meta->log_id != st->log_id)
		report(st, LOG_METAPAGE_BLKNO, -1,
			   "metapage names log id %d, but the catalog's segment belongs to log %d",
			   meta->log_id, st->log_id);
	if (meta->partition != st->partition)
		report(st, LOG_METAPAGE_BLKNO, -1,
			   "metapage names partition %d, but the catalog's segment belongs to partition %d",
			   meta->partition, st->partition);
	if (meta->base_offset != seg->base_offset)
		report(st, LOG_METAPAGE_BLKNO, seg->base_offset,
			   "metapage base offset is " INT64_FORMAT ", but the catalog's is " INT64_FORMAT,
			   meta->base_offset, seg->base_offset);
	if (meta->version != LOG_FORMAT_VERSION)
	{
		report(st, LOG_METAPAGE_BLKNO, -1,
			   "metapage storage format version is %u, expected %u: data pages not checked",
			   meta->version, LOG_FORMAT_VERSION);
		return false;
	}
	return true;
}

/*
 * Check a record header copied from a page; false if its length cannot be
 * trusted (the rest of the page is then skipped).  Problems are reported at
 * the offset the record should have (st->expected): its own may be damaged.
 */
static bool
check_record_header(VerifyState *st, BlockNumber blkno, int idx,
					const LogRecordHeader *hdr, bool all_frozen)
{
	if (hdr->length < LOG_REC_HEADER_SIZE + (uint32) hdr->key_len)
	{
		report(st, blkno, st->expected,
			   "record %d has length %u, less than its header and key (%u bytes)",
			   idx, hdr->length, (uint32) (LOG_REC_HEADER_SIZE + hdr->key_len));
		return false;
	}
	if (hdr->length > LOG_REC_MAX_LENGTH)
	{
		report(st, blkno, st->expected,
			   "record %d has length %u, more than the largest record (" UINT64_FORMAT " bytes)",
			   idx, hdr->length, LOG_REC_MAX_LENGTH);
		return false;
	}

	if (hdr->offset != st->expected)
		report(st, blkno, st->expected,
			   "record %d has offset " INT64_FORMAT ", expected " INT64_FORMAT,
			   idx, hdr->offset, st->expected);

	if (hdr->flags & ~LOG_REC_KNOWN_FLAGS)
		report(st, blkno, st->expected,
			   "record flags 0x%04x have unknown bits", hdr->flags);
	if ((hdr->flags & LOG_REC_INVALID) &&
		(hdr->flags & (LOG_REC_COMMITTED | LOG_REC_FROZEN)))
		report(st, blkno, st->expected,
			   "record flags 0x%04x mark it both invalid and committed or frozen",
			   hdr->flags);
	if ((hdr->flags & LOG_REC_HAS_KEY) == 0 && hdr->key_len != 0)
		report(st, blkno, st->expected,
			   "record has no key but a key length of %u", hdr->key_len);
	if ((hdr->flags & LOG_REC_HAS_HEADERS) &&
		hdr->length < LOG_REC_HEADER_SIZE + (uint32) hdr->key_len + VARHDRSZ)
		report(st, blkno, st->expected,
			   "record length %u leaves no room for its headers after a key of %u bytes",
			   hdr->length, hdr->key_len);
	if (all_frozen && (hdr->flags & (LOG_REC_FROZEN | LOG_REC_INVALID)) == 0)
		report(st, blkno, st->expected,
			   "record is neither frozen nor invalid on a page flagged all-frozen");

	check_xid(st, blkno, st->expected, hdr);

	/* the writer takes appended_at under the partition lock, never less */
	if (st->have_prev && hdr->appended_at < st->prev_ts)
	{
		/* timestamptz_to_str() returns a static buffer */
		char	   *prev = pstrdup(timestamptz_to_str(st->prev_ts));

		report(st, blkno, st->expected,
			   "record appended_at %s is earlier than %s of the record at offset " INT64_FORMAT,
			   timestamptz_to_str(hdr->appended_at), prev, st->prev_offset);
		pfree(prev);
	}
	return true;
}

/*
 * Check one data page (copied into st->page), continuing the walk state.
 */
static void
check_data_page(VerifyState *st, BlockNumber blkno)
{
	Page		page = (Page) st->page.data;
	PageHeader	ph = (PageHeader) page;
	LogPageOpaque opaque;
	uint32		lower;
	uint32		cont;
	uint32		pos;
	uint16		nrecords;
	bool		continued = st->pending;
	LogOffset	cont_offset = st->rec.offset;
	bool		resync = st->resync;

	/* what everything else relies on: otherwise skip the page */
	if (ph->pd_special != LOG_PAGE_DATA_END)
	{
		report(st, blkno, -1, "special area starts at %u, expected %u",
			   ph->pd_special, LOG_PAGE_DATA_END);
		skip_page(st);
		return;
	}
	opaque = LogPageGetOpaque(page);
	if (opaque->page_id != LOG_PAGE_ID)
	{
		report(st, blkno, -1, "page id is 0x%04x, expected 0x%04x",
			   opaque->page_id, LOG_PAGE_ID);
		skip_page(st);
		return;
	}
	if (opaque->flags & LOG_PAGE_META)
	{
		report(st, blkno, -1, "data page is flagged as a metapage (flags 0x%04x)",
			   opaque->flags);
		skip_page(st);
		return;
	}
	lower = ph->pd_lower;
	if (lower < LOG_PAGE_DATA_START || lower > LOG_PAGE_DATA_END)
	{
		report(st, blkno, -1, "pd_lower %u is outside the data area [%u, %u]",
			   lower, LOG_PAGE_DATA_START, LOG_PAGE_DATA_END);
		skip_page(st);
		return;
	}
	cont = opaque->cont_len;
	if (cont > lower - LOG_PAGE_DATA_START)
	{
		report(st, blkno, -1, "cont_len %u exceeds the %u bytes of data on the page",
			   cont, lower - LOG_PAGE_DATA_START);
		skip_page(st);
		return;
	}
	nrecords = opaque->nrecords;

	/* the rest is reported, and the page checked anyway */
	if (opaque->flags & ~LOG_PAGE_KNOWN_FLAGS)
		report(st, blkno, -1, "page flags 0x%04x have unknown bits", opaque->flags);
	if (ph->pd_upper != ph->pd_special)
		report(st, blkno, -1, "pd_upper %u differs from pd_special %u",
			   ph->pd_upper, ph->pd_special);
	if (PageGetPageSize(page) != BLCKSZ ||
		PageGetPageLayoutVersion(page) != PG_PAGE_LAYOUT_VERSION)
		report(st, blkno, -1, "page size %u or layout version %u is wrong",
			   (uint32) PageGetPageSize(page), PageGetPageLayoutVersion(page));

	/* the bytes that continue the previous page's record */
	if (continued)
	{
		uint32		missing = st->rec.payload - st->rec.done;
		uint32		want = Min(missing, LOG_PAGE_CAPACITY);

		if (cont == 0)
		{
			/* cut short by a crash or a failed write: fine if not committed */
			if (xid_state(st, st->rec.xid, st->rec.flags) == XID_COMMITTED)
				report(st, blkno, st->rec.offset,
					   "record of committed transaction %u starting in block %u breaks off: this page has cont_len 0 but %u bytes of the record are missing",
					   st->rec.xid, st->rec.blkno, missing);
			st->pending = false;
		}
		else if (cont != want)
		{
			report(st, blkno, st->rec.offset,
				   "cont_len %u, expected %u to continue the record starting in block %u",
				   cont, want, st->rec.blkno);
			st->pending = false;
		}
		else
		{
			record_bytes(st, blkno, (char *) page + LOG_PAGE_DATA_START, cont);
			if (st->rec.done == st->rec.payload)
				record_end(st);
			else if (nrecords > 0)
			{
				report(st, blkno, st->rec.offset,
					   "%u records start on a page that the record starting in block %u continues beyond",
					   nrecords, st->rec.blkno);
				skip_page(st);
				return;
			}
		}
	}
	else if (cont > 0 && !resync)
		report(st, blkno, -1,
			   "cont_len %u, but no record continues from the previous page", cont);

	/* first_offset: the first record starting here, or the one continued */
	if (nrecords == 0)
	{
		if (cont == 0)
			report(st, blkno, -1, "data page holds no record and continues none");
		else if (continued && opaque->first_offset != cont_offset)
			report(st, blkno, cont_offset,
				   "first offset " INT64_FORMAT " of a continuation page, expected the continued record's " INT64_FORMAT,
				   opaque->first_offset, cont_offset);
	}
	else if (resync)
	{
		if (opaque->first_offset < st->expected)
			report(st, blkno, opaque->first_offset,
				   "first offset " INT64_FORMAT " precedes the offset " INT64_FORMAT " expected at the earliest",
				   opaque->first_offset, st->expected);
		st->expected = opaque->first_offset;
	}
	else if (opaque->first_offset != st->expected)
	{
		uint32		first_pos = LogRecordAlign(LOG_PAGE_DATA_START + cont);
		LogOffset	first_rec = -1;

		if (first_pos + LOG_REC_HEADER_SIZE <= lower)
			memcpy(&first_rec, (char *) page + first_pos +
				   offsetof(LogRecordHeader, offset), sizeof(LogOffset));
		if (first_rec == opaque->first_offset)
		{
			/* page and record agree: the offsets really jump */
			report(st, blkno, opaque->first_offset,
				   "offsets jump from " INT64_FORMAT " to " INT64_FORMAT,
				   st->expected, opaque->first_offset);
			st->expected = opaque->first_offset;
		}
		else
			report(st, blkno, st->expected,
				   "first offset " INT64_FORMAT ", expected " INT64_FORMAT,
				   opaque->first_offset, st->expected);
	}
	st->resync = false;

	/* the records starting here */
	pos = LogRecordAlign(LOG_PAGE_DATA_START + cont);
	for (int i = 0; i < nrecords; i++)
	{
		LogRecordHeader hdr;
		uint32		avail;
		uint32		payload;

		if (pos > lower || lower - pos < LOG_REC_HEADER_SIZE)
		{
			report(st, blkno, -1,
				   "record %d of %u starts at byte %u, beyond the end of the data at %u",
				   i, nrecords, pos, lower);
			skip_page(st);
			return;
		}
		memcpy(&hdr, (char *) page + pos, LOG_REC_HEADER_SIZE);
		if (!check_record_header(st, blkno, i, &hdr,
								 (opaque->flags & LOG_PAGE_ALL_FROZEN) != 0))
		{
			skip_page(st);
			return;
		}
		st->expected++;
		st->have_prev = true;
		st->prev_offset = st->expected - 1;
		st->prev_ts = hdr.appended_at;
		st->prev_xid = hdr.xid;
		st->prev_flags = hdr.flags;

		memset(&st->rec, 0, sizeof(RecordState));
		st->rec.offset = st->expected - 1;
		st->rec.xid = hdr.xid;
		st->rec.flags = hdr.flags;
		st->rec.key_len = hdr.key_len;
		st->rec.blkno = blkno;
		st->rec.payload = hdr.length - LOG_REC_HEADER_SIZE;
		st->pending = true;

		pos += LOG_REC_HEADER_SIZE;
		avail = lower - pos;
		payload = st->rec.payload;
		if (payload <= avail)
		{
			record_bytes(st, blkno, (char *) page + pos, payload);
			record_end(st);
			pos = LogRecordAlign(pos + payload);
			continue;
		}

		/* continues on the next page: must be the last, on a full page */
		record_bytes(st, blkno, (char *) page + pos, avail);
		if (i != nrecords - 1)
		{
			report(st, blkno, st->rec.offset,
				   "record %d of %u does not fit on the page (%u of %u bytes) but is not the last to start on it",
				   i, nrecords, avail, payload);
			skip_page(st);
			return;
		}
		if (lower != LOG_PAGE_DATA_END)
			report(st, blkno, st->rec.offset,
				   "record continues on the next page, but the page is not full (pd_lower %u, expected %u)",
				   lower, LOG_PAGE_DATA_END);
		pos = lower;
	}

	if (!st->pending && pos != lower && nrecords > 0)
		report(st, blkno, -1,
			   "the %u records end at byte %u, but the data ends at %u",
			   nrecords, pos, lower);
}

/* check data pages [from, to) */
static void
check_pages(VerifyState *st, BlockNumber from, BlockNumber to)
{
	for (BlockNumber blkno = from; blkno < to; blkno++)
	{
		char	   *why;

		CHECK_FOR_INTERRUPTS();
		switch (read_page(st, blkno, &why))
		{
			case PAGE_DAMAGED:
				report(st, blkno, -1, "%s", why);
				pfree(why);
				skip_page(st);
				break;
			case PAGE_NEW:
				report(st, blkno, -1, "page is all zeros, but later pages hold data");
				skip_page(st);
				break;
			case PAGE_OK:
				check_data_page(st, blkno);
				break;
		}
	}
}

/*
 * The first block after the last one that is not all zeros, searching
 * backwards from nblocks (down to from).
 */
static BlockNumber
data_end(VerifyState *st, BlockNumber from, BlockNumber nblocks)
{
	BlockNumber end = nblocks;

	while (end > from)
	{
		char	   *why;

		CHECK_FOR_INTERRUPTS();
		if (read_page(st, end - 1, &why) != PAGE_NEW)
			break;
		end--;
	}
	return end;
}

static void
check_segment(VerifyState *st, const LogSegmentRef *seg, bool active,
			  LogOffset *prev_end)
{
	Relation	rel;
	BlockNumber nblocks;
	BlockNumber end;
	LogOffset	next_before = -1;
	LogOffset	next_after;

	st->relid = seg->relid;
	rel = try_relation_open(seg->relid, AccessShareLock);
	if (rel == NULL)
	{
		/* dropped since the catalog was read (log_drop, compaction) */
		*prev_end = -1;
		return;
	}
	st->rel = rel;
	if (rel->rd_rel->relam != get_table_am_oid("log", false))
	{
		report(st, InvalidBlockNumber, -1,
			   "segment \"%s\" is not a relation of the log access method",
			   RelationGetRelationName(rel));
		relation_close(rel, AccessShareLock);
		st->rel = NULL;
		*prev_end = -1;
		return;
	}
	st->relfrozenxid = rel->rd_rel->relfrozenxid;

	if (*prev_end >= 0 && seg->base_offset != *prev_end)
		report(st, InvalidBlockNumber, seg->base_offset,
			   "segment starts at offset " INT64_FORMAT ", but the previous segment ends at " INT64_FORMAT,
			   seg->base_offset, *prev_end);

	st->expected = seg->base_offset;
	st->pending = false;
	st->resync = false;

	if (active)
		next_before = LogSlotNextOffsetHint(RelationGetRelid(rel));
	nblocks = RelationGetNumberOfBlocks(rel);
	if (nblocks == 0)
	{
		report(st, InvalidBlockNumber, -1, "segment has no metapage (the relation is empty)");
		*prev_end = seg->base_offset;
		relation_close(rel, AccessShareLock);
		st->rel = NULL;
		return;
	}
	if (!check_metapage(st, seg))
	{
		*prev_end = -1;
		relation_close(rel, AccessShareLock);
		st->rel = NULL;
		return;
	}

	/* pages up to the last one holding data are complete; later ones new */
	end = data_end(st, LOG_FIRST_DATA_BLKNO, nblocks);
	check_pages(st, LOG_FIRST_DATA_BLKNO, end);

	if (st->pending &&
		xid_state(st, st->rec.xid, st->rec.flags) == XID_COMMITTED)
	{
		BlockNumber start = st->rec.blkno;

		/*
		 * A committed record has all its pages written; in the active
		 * segment they may have been written since the walk began.  Follow
		 * only this record: records starting after end are newer than the
		 * walk.
		 */
		if (active)
		{
			BlockNumber limit = RelationGetNumberOfBlocks(rel);

			while (st->pending && st->rec.blkno == start && end < limit)
			{
				check_pages(st, end, end + 1);
				end++;
			}
		}
		if (st->pending && st->rec.blkno == start)
			report(st, st->rec.blkno, st->rec.offset,
				   "record of committed transaction %u breaks off at the end of the segment: %u of its %u bytes are missing",
				   st->rec.xid, st->rec.payload - st->rec.done, st->rec.payload);
	}
	st->pending = false;

	if (active)
	{
		next_after = LogSlotNextOffsetHint(RelationGetRelid(rel));
		if (next_before >= 0 && st->expected < next_before)
			report(st, InvalidBlockNumber, st->expected,
				   "the partition's next offset is " INT64_FORMAT ", but its records end at offset " INT64_FORMAT,
				   next_before, st->expected);
		else if (next_after >= 0 && st->expected > next_after && st->have_prev &&
				 xid_state(st, st->prev_xid, st->prev_flags) != XID_IN_PROGRESS)
			report(st, InvalidBlockNumber, next_after,
				   "the segment holds records up to offset " INT64_FORMAT ", but the partition's next offset is " INT64_FORMAT,
				   st->expected - 1, next_after);
	}

	*prev_end = st->expected;
	relation_close(rel, AccessShareLock);
	st->rel = NULL;
}

PG_FUNCTION_INFO_V1(log_verify);
Datum
log_verify(PG_FUNCTION_ARGS)
{
	LogCacheEntry *log;
	VerifyState *st;
	int32		nparts;
	LogPartitionInfo *parts;

	InitMaterializedSRF(fcinfo, 0);

	/* copy the catalog's view: the cache entry may be refreshed meanwhile */
	log = LogCacheRefresh(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	/* like amcheck's, for the owner of the log (and superusers) */
	LogCheckOwner(log->name);
	nparts = log->nparts;
	parts = palloc(sizeof(LogPartitionInfo) * nparts);
	for (int p = 0; p < nparts; p++)
	{
		parts[p].nsegments = log->parts[p].nsegments;
		parts[p].segments = palloc(sizeof(LogSegmentRef) * parts[p].nsegments);
		memcpy(parts[p].segments, log->parts[p].segments,
			   sizeof(LogSegmentRef) * parts[p].nsegments);
	}

	st = palloc0(sizeof(VerifyState));
	st->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	st->strategy = GetAccessStrategy(BAS_BULKREAD);
	st->log_id = log->log_id;
	st->next_xid = InvalidTransactionId;

	for (int p = 0; p < nparts; p++)
	{
		LogOffset	prev_end = -1;

		st->partition = p;
		st->have_prev = false;
		for (int s = 0; s < parts[p].nsegments; s++)
			check_segment(st, &parts[p].segments[s],
						  s == parts[p].nsegments - 1, &prev_end);
	}

	FreeAccessStrategy(st->strategy);
	return (Datum) 0;
}
