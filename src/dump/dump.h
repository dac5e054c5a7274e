/*-------------------------------------------------------------------------
 *
 * dump.h
 *	  logext.dump: everything logext stores, as the rows of one relation
 *	  that pg_dump dumps and pg_restore loads.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/dump/dump.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_DUMP_DUMP_H
#define LOGEXT_DUMP_DUMP_H

#include "access/tableam.h"

/* the columns of logext.dump, in order */
enum
{
	DUMP_ITEM,					/* 'log', 'segment', 'record', 'end', 'offset' */
	DUMP_LOG_NAME,
	DUMP_PARTITION,
	DUMP_LOG_OFFSET,
	DUMP_APPENDED_AT,			/* of a record; of a log or segment: created */
	DUMP_KEY,
	DUMP_VALUE,
	DUMP_HEADERS,
	DUMP_GROUP,
	DUMP_SETTINGS,
	DUMP_NATTS
};

#define DUMP_RELATION_NAME	"dump"

/*
 * The settings of a log in the settings object of its 'log' row, after
 * "partitions": log_alter's arguments, in order.
 */
typedef struct LogDumpSetting
{
	const char *key;
	Oid			type;			/* INTERVALOID, INT8OID or TEXTOID */
} LogDumpSetting;

#define LOG_DUMP_NSETTINGS	6
extern const LogDumpSetting LogDumpSettings[LOG_DUMP_NSETTINGS];

/* dumpam.c */
extern void LogDumpCheckShape(Relation rel);

/* dumpscan.c: COPY logext.dump TO ... */
extern TableScanDesc LogDumpScanBegin(Relation rel, Snapshot snapshot,
									  int nkeys, struct ScanKeyData *key,
									  ParallelTableScanDesc pscan,
									  uint32 flags);
extern void LogDumpScanEnd(TableScanDesc scan);
extern void LogDumpScanRescan(TableScanDesc scan, struct ScanKeyData *key,
							  bool set_params, bool allow_strat,
							  bool allow_sync, bool allow_pagemode);
extern bool LogDumpScanNext(TableScanDesc scan, ScanDirection direction,
							TupleTableSlot *slot);

/* restore.c: COPY logext.dump FROM ... */
extern void LogRestoreInsert(Relation rel, TupleTableSlot *slot,
							 CommandId cid, int options,
							 struct BulkInsertStateData *bistate);
extern void LogRestoreMultiInsert(Relation rel, TupleTableSlot **slots,
								  int nslots, CommandId cid, int options,
								  struct BulkInsertStateData *bistate);
extern void LogRestoreAtPrePrepare(void);
extern void LogRestoreForget(void);

#endif							/* LOGEXT_DUMP_DUMP_H */
