/*-------------------------------------------------------------------------
 *
 * page.h
 *	  On-disk format of a log segment relation.
 *
 * A segment holds consecutive offsets of one partition, starting at its
 * base offset.  Block 0 is a metapage (magic, format version, log id,
 * partition, base offset).  Every other block is a data page with the
 * standard page header and a LogPageOpaqueData special area.
 *
 * Records are packed back to back (4-byte aligned, no line pointers) from
 * the start of the data area up to pd_lower; pd_upper stays at the special
 * area, so the free space is the standard "hole" that full-page images
 * compress away.  A record is a LogRecordHeader followed by the key bytes,
 * the headers jsonb (a complete varlena, only if LOG_REC_HAS_HEADERS) and
 * the value bytes.  A record whose bytes do not fit on its page continues on
 * the following pages: such a page starts with cont_len bytes of the earlier
 * record, then the records that start on it.  A record header never spans
 * pages.  A page on which no record starts (nrecords == 0, cont_len > 0)
 * carries the offset of the record it continues in first_offset, so that
 * first_offset never decreases from block to block and a reader finds the
 * block holding any offset by binary search.
 *
 * Offsets on disk are contiguous within a segment (records of transactions
 * that crashed after the write keep theirs: they are the holes readers
 * skip).  After a restart the writer always continues on a fresh page, so a
 * record cut short by a crash is followed by a page with cont_len == 0; a
 * reader therefore never needs the length of a record it skips.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/page.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_SEGMENT_PAGE_H
#define LOGEXT_SEGMENT_PAGE_H

#include "access/transam.h"
#include "datatype/timestamp.h"
#include "storage/bufpage.h"
#include "storage/block.h"
#include "utils/rel.h"

#include "logext.h"

#define LOG_META_MAGIC			0x4C4F4758	/* "LOGX" */
#define LOG_FORMAT_VERSION		1
#define LOG_PAGE_ID				0xFF8A		/* last 2 bytes of every page */

#define LOG_METAPAGE_BLKNO		0
#define LOG_FIRST_DATA_BLKNO	1

typedef struct LogMetaPageData
{
	uint32		magic;
	uint32		version;
	int32		log_id;
	int32		partition;
	LogOffset	base_offset;
} LogMetaPageData;

typedef LogMetaPageData *LogMetaPage;

typedef struct LogPageOpaqueData
{
	LogOffset	first_offset;	/* first record starting here, or the one
								 * continued if none starts here */
	uint32		cont_len;		/* bytes at the start continuing a record */
	uint16		nrecords;		/* records starting on this page */
	uint16		flags;			/* LOG_PAGE_* */
	uint16		unused;
	uint16		page_id;		/* LOG_PAGE_ID */
} LogPageOpaqueData;

typedef LogPageOpaqueData *LogPageOpaque;

#define LOG_PAGE_META			0x0001
#define LOG_PAGE_ALL_FROZEN		0x0002	/* every record starting here is
										 * frozen or invalid */

#define LogPageGetOpaque(page) ((LogPageOpaque) PageGetSpecialPointer(page))
#define LogPageGetMeta(page) ((LogMetaPage) PageGetContents(page))

/* byte position of the first data byte of a page */
#define LOG_PAGE_DATA_START		((uint32) SizeOfPageHeaderData)
/* bytes of record data a data page can hold */
#define LOG_PAGE_CAPACITY \
	((uint32) (BLCKSZ - SizeOfPageHeaderData - MAXALIGN(sizeof(LogPageOpaqueData))))

/*
 * Record header.  Stored unaligned (4-byte boundaries), so always copy it in
 * and out with memcpy.  flags holds hint bits that readers set under a share
 * buffer lock (COMMITTED, INVALID) and FROZEN, set by VACUUM with WAL.
 */
typedef struct LogRecordHeader
{
	LogOffset	offset;
	TimestampTz appended_at;
	uint32		length;			/* header + key + headers + value */
	uint16		flags;			/* LOG_REC_* */
	uint16		key_len;
	TransactionId xid;			/* top-level xid of the appending xact */
} LogRecordHeader;

#define LOG_REC_HEADER_SIZE \
	(offsetof(LogRecordHeader, xid) + sizeof(TransactionId))	/* 28: no padding */
#define LOG_REC_FLAGS_POS		offsetof(LogRecordHeader, flags)

#define LOG_REC_HAS_KEY			0x0001
#define LOG_REC_HAS_HEADERS		0x0002
#define LOG_REC_COMMITTED		0x0010	/* hint: xid committed */
#define LOG_REC_INVALID			0x0020	/* hint: xid aborted or crashed */
#define LOG_REC_FROZEN			0x0040	/* visible to everyone (WAL-logged) */

#define LOG_REC_HINT_MASK		(LOG_REC_COMMITTED | LOG_REC_INVALID)

/* records start on 4-byte boundaries; positions are byte offsets in a page */
#define LogRecordAlign(len)		TYPEALIGN(4, (len))
/* end of the data area of a data page */
#define LOG_PAGE_DATA_END \
	((uint32) (BLCKSZ - MAXALIGN(sizeof(LogPageOpaqueData))))
/* position of the first record starting on a page */
#define LogPageFirstRecordPos(opaque) \
	LogRecordAlign(LOG_PAGE_DATA_START + (opaque)->cont_len)

/* page.c: page-level routines, no WAL (see xloginsert.c for that) */
extern void LogInitMetaPage(Page page, int32 log_id, int32 partition,
							LogOffset base_offset);
extern void LogInitDataPage(Page page);
extern void LogCheckMetaPage(Relation rel, Page page);
extern void LogReadMeta(Relation rel, LogMetaPageData *meta);
extern void LogCheckDataPage(Relation rel, BlockNumber blkno, Page page);
extern void LogReadRecordHeader(Page page, uint32 pos, LogRecordHeader *hdr);
extern void LogSetRecordFlags(Page page, uint32 pos, uint16 flags);
extern BlockNumber LogFindBlockForOffset(Relation rel, BlockNumber nblocks,
										 LogOffset target);
extern BlockNumber LogDataBlocks(Relation rel, BlockNumber *nblocks);
extern void LogSegmentEnd(Relation rel, LogOffset *next_offset,
						  BlockNumber *data_end);

#endif							/* LOGEXT_SEGMENT_PAGE_H */
