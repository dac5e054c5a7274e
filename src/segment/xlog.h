/*-------------------------------------------------------------------------
 *
 * xlog.h
 *	  The WAL records of a segment's pages (logext's custom resource
 *	  manager) and the functions that write them; src/wal/ replays and
 *	  describes them.
 *
 * Three record types, each touching one page (block reference 0):
 *	META	a segment's metapage, written once at creation (WILL_INIT)
 *	APPEND	bytes appended to a data page at pd_lower, with the page's new
 *			record count / first offset / cont_len; optionally initialises
 *			the page first (WILL_INIT, so no full-page image is needed)
 *	FREEZE	flag bits set on records of a page by VACUUM
 * Hint bits have no record of their own (MarkBufferDirtyHint handles them).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/xlog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_SEGMENT_XLOG_H
#define LOGEXT_SEGMENT_XLOG_H

#include "access/rmgr.h"
#include "access/xlogreader.h"
#include "storage/buf.h"

#include "segment/page.h"

/*
 * RM_EXPERIMENTAL_ID until a permanent id is reserved on the wiki page
 * "CustomWALResourceManagers".
 */
#define RM_LOGEXT_ID			RM_EXPERIMENTAL_ID
#define LOGEXT_RMGR_NAME		"logext"

#define XLOG_LOGEXT_META		0x00
#define XLOG_LOGEXT_APPEND		0x10
#define XLOG_LOGEXT_FREEZE		0x20
#define XLOG_LOGEXT_OPMASK		0x70
/* APPEND: the page is new; initialise it before the bytes go in */
#define XLOG_LOGEXT_INIT_PAGE	0x80

typedef struct xl_logext_meta
{
	int32		log_id;
	int32		partition;
	LogOffset	base_offset;
} xl_logext_meta;

#define SizeOfLogextMeta	(offsetof(xl_logext_meta, base_offset) + sizeof(LogOffset))

/* block data: the appended bytes */
typedef struct xl_logext_append
{
	LogOffset	first_offset;	/* page's first_offset afterwards */
	uint32		cont_len;		/* page's cont_len afterwards */
	uint16		at;				/* pd_lower before (where the bytes go) */
	uint16		nrecords;		/* page's nrecords afterwards */
} xl_logext_append;

#define SizeOfLogextAppend	(offsetof(xl_logext_append, nrecords) + sizeof(uint16))

/* followed by nitems xl_logext_freeze_item */
typedef struct xl_logext_freeze
{
	TransactionId conflict_xid; /* newest xid of a committed record frozen
								 * here, or Invalid: only freezing committed
								 * records makes anything visible to older
								 * standby snapshots */
	uint16		nitems;
	uint16		page_flags;		/* LOG_PAGE_* bits to set */
} xl_logext_freeze;

#define SizeOfLogextFreeze	(offsetof(xl_logext_freeze, page_flags) + sizeof(uint16))

typedef struct xl_logext_freeze_item
{
	uint16		pos;			/* record position on the page */
	uint16		flags;			/* LOG_REC_* bits to set */
} xl_logext_freeze_item;

/* xloginsert.c: call inside the critical section that changed the page */
extern XLogRecPtr LogXLogMeta(Buffer buf, const LogMetaPageData *meta);
extern XLogRecPtr LogXLogAppend(Buffer buf, const xl_logext_append *xlrec,
								const char *data, uint32 len, bool init_page);
extern XLogRecPtr LogXLogFreeze(Buffer buf, const xl_logext_freeze *xlrec,
								const xl_logext_freeze_item *items);

#endif							/* LOGEXT_SEGMENT_XLOG_H */
