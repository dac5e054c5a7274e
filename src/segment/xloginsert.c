/*-------------------------------------------------------------------------
 *
 * xloginsert.c
 *	  Building and inserting logext WAL records; the only place that calls
 *	  XLogInsert.
 *
 * Every function is called by the code that changed the page, inside its
 * critical section, with the buffer exclusively locked and already marked
 * dirty; it returns the LSN for PageSetLSN.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/xloginsert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xloginsert.h"

#include "segment/xlog.h"

XLogRecPtr
LogXLogMeta(Buffer buf, const LogMetaPageData *meta)
{
	xl_logext_meta xlrec;

	xlrec.log_id = meta->log_id;
	xlrec.partition = meta->partition;
	xlrec.base_offset = meta->base_offset;

	XLogBeginInsert();
	XLogRegisterData((char *) &xlrec, SizeOfLogextMeta);
	XLogRegisterBuffer(0, buf, REGBUF_WILL_INIT | REGBUF_STANDARD);
	return XLogInsert(RM_LOGEXT_ID, XLOG_LOGEXT_META);
}

XLogRecPtr
LogXLogAppend(Buffer buf, const xl_logext_append *xlrec, const char *data,
			  uint32 len, bool init_page)
{
	XLogBeginInsert();
	XLogRegisterData((char *) xlrec, SizeOfLogextAppend);
	XLogRegisterBuffer(0, buf,
					   REGBUF_STANDARD | (init_page ? REGBUF_WILL_INIT : 0));
	XLogRegisterBufData(0, (char *) data, len);
	return XLogInsert(RM_LOGEXT_ID, XLOG_LOGEXT_APPEND |
					  (init_page ? XLOG_LOGEXT_INIT_PAGE : 0));
}

XLogRecPtr
LogXLogFreeze(Buffer buf, const xl_logext_freeze *xlrec,
			  const xl_logext_freeze_item *items)
{
	XLogBeginInsert();
	XLogRegisterData((char *) xlrec, SizeOfLogextFreeze);
	XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
	if (xlrec->nitems > 0)
		XLogRegisterBufData(0, (char *) items,
							xlrec->nitems * sizeof(xl_logext_freeze_item));
	return XLogInsert(RM_LOGEXT_ID, XLOG_LOGEXT_FREEZE);
}
