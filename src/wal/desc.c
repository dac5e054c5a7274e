/*-------------------------------------------------------------------------
 *
 * desc.c
 *	  rm_desc / rm_identify for logext WAL records: formatting only.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/wal/desc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog_internal.h"

#include "segment/xlog.h"
#include "wal/rmgr.h"

void
logext_desc(StringInfo buf, XLogReaderState *record)
{
	char	   *rec = XLogRecGetData(record);
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info & XLOG_LOGEXT_OPMASK)
	{
		case XLOG_LOGEXT_META:
			{
				xl_logext_meta *xlrec = (xl_logext_meta *) rec;

				appendStringInfo(buf, "log %d partition %d base offset " INT64_FORMAT,
								 xlrec->log_id, xlrec->partition, xlrec->base_offset);
				break;
			}
		case XLOG_LOGEXT_APPEND:
			{
				xl_logext_append *xlrec = (xl_logext_append *) rec;

				appendStringInfo(buf, "at %u records %u first offset " INT64_FORMAT " cont %u%s",
								 xlrec->at, xlrec->nrecords, xlrec->first_offset,
								 xlrec->cont_len, (info & XLOG_LOGEXT_INIT_PAGE) ? " init" : "");
				break;
			}
		case XLOG_LOGEXT_FREEZE:
			{
				xl_logext_freeze *xlrec = (xl_logext_freeze *) rec;

				appendStringInfo(buf, "conflict xid %u items %u page flags 0x%x",
								 xlrec->conflict_xid, xlrec->nitems, xlrec->page_flags);
				break;
			}
	}
}

const char *
logext_identify(uint8 info)
{
	switch (info & XLOG_LOGEXT_OPMASK)
	{
		case XLOG_LOGEXT_META:
			return "META";
		case XLOG_LOGEXT_APPEND:
			return (info & XLOG_LOGEXT_INIT_PAGE) ? "APPEND+INIT" : "APPEND";
		case XLOG_LOGEXT_FREEZE:
			return "FREEZE";
	}
	return NULL;
}
