/*-------------------------------------------------------------------------
 *
 * rmgr.h
 *	  logext's custom WAL resource manager: registration, redo and
 *	  description of the records that src/segment/xlog.h defines.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/wal/rmgr.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_WAL_RMGR_H
#define LOGEXT_WAL_RMGR_H

#include "access/xlogreader.h"
#include "lib/stringinfo.h"

/* redo.c */
extern void logext_redo(XLogReaderState *record);
extern void logext_mask(char *pagedata, BlockNumber blkno);

/* desc.c */
extern void logext_desc(StringInfo buf, XLogReaderState *record);
extern const char *logext_identify(uint8 info);

/* rmgr.c: called from _PG_init */
extern void LogRegisterRmgr(void);

#endif							/* LOGEXT_WAL_RMGR_H */
