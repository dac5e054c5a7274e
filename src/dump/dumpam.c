/*-------------------------------------------------------------------------
 *
 * dumpam.c
 *	  The "log_dump" table access method of logext.dump, the relation that
 *	  carries every log through pg_dump and pg_restore.
 *
 * logext.dump is an extension configuration table
 * (pg_extension_config_dump), so pg_dump writes its rows as TABLE DATA
 * (COPY logext.dump ... FROM stdin) and pg_restore loads them back, in any
 * archive format and with --jobs.  It stores nothing itself: a scan
 * (dump/dumpscan.c) produces the logs, segments, records and consumer
 * offsets as of the scan's snapshot, and an insert (dump/restore.c)
 * recreates them.  The segment relations themselves are members of the
 * extension, so pg_dump does not dump them as tables.
 *
 * Everything else an access method offers is refused with a clear error:
 * logext.dump has no rows to update, delete, lock, index or sample.  Its
 * storage is an empty file, so that VACUUM, ANALYZE and a database-wide
 * VACUUM FULL treat it like any empty table.  Only CREATE EXTENSION (and
 * binary upgrade) may create a relation of this access method.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/dump/dumpam.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/multixact.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "catalog/storage.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "utils/rel.h"

#include "dump/dump.h"
#include "meta/segdef.h"

#define HINT_DUMP "logext.dump only stands for the contents of every log: pg_dump reads it and pg_restore writes it."

/* the settings of a log row, in the order log_alter takes them */
const LogDumpSetting LogDumpSettings[LOG_DUMP_NSETTINGS] = {
	{"retention", INTERVALOID},
	{"retention_bytes", INT8OID},
	{"segment_bytes", INT8OID},
	{"segment_age", INTERVALOID},
	{"cleanup_policy", TEXTOID},
	{"delete_retention", INTERVALOID},
};

static void pg_attribute_noreturn()
refuse(Relation rel, const char *msg)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg_internal(_(msg), rel ? RelationGetRelationName(rel) : "dump"),
			 errhint(HINT_DUMP)));
}

static const TupleTableSlotOps *
dump_slot_callbacks(Relation rel)
{
	return &TTSOpsVirtual;
}

static struct IndexFetchTableData *
dump_index_fetch_begin(Relation rel)
{
	refuse(rel, gettext_noop("cannot use an index on relation \"%s\" of access method log_dump"));
}

static void
dump_index_fetch_reset(struct IndexFetchTableData *data)
{
}

static void
dump_index_fetch_end(struct IndexFetchTableData *data)
{
}

static bool
dump_index_fetch_tuple(struct IndexFetchTableData *scan, ItemPointer tid,
					   Snapshot snapshot, TupleTableSlot *slot,
					   bool *call_again, bool *all_dead)
{
	refuse(NULL, gettext_noop("cannot use an index on relation \"%s\" of access method log_dump"));
}

static bool
dump_tuple_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
							 TupleTableSlot *slot)
{
	refuse(rel, gettext_noop("cannot fetch a row by its TID from relation \"%s\" of access method log_dump"));
}

static bool
dump_tuple_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	return false;
}

static void
dump_tuple_get_latest_tid(TableScanDesc scan, ItemPointer tid)
{
	refuse(scan->rs_rd, gettext_noop("cannot follow a row version in relation \"%s\" of access method log_dump"));
}

static bool
dump_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot,
							  Snapshot snapshot)
{
	return true;
}

static TransactionId
dump_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	refuse(rel, gettext_noop("cannot delete index entries of relation \"%s\" of access method log_dump"));
}

static void
dump_tuple_insert_speculative(Relation rel, TupleTableSlot *slot,
							  CommandId cid, int options,
							  struct BulkInsertStateData *bistate,
							  uint32 specToken)
{
	refuse(rel, gettext_noop("cannot use INSERT ... ON CONFLICT on relation \"%s\" of access method log_dump"));
}

static void
dump_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
								uint32 specToken, bool succeeded)
{
	refuse(rel, gettext_noop("cannot use INSERT ... ON CONFLICT on relation \"%s\" of access method log_dump"));
}

static TM_Result
dump_tuple_delete(Relation rel, ItemPointer tid, CommandId cid,
				  Snapshot snapshot, Snapshot crosscheck, bool wait,
				  TM_FailureData *tmfd, bool changingPart)
{
	refuse(rel, gettext_noop("cannot delete from relation \"%s\" of access method log_dump"));
}

static TM_Result
dump_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
				  CommandId cid, Snapshot snapshot, Snapshot crosscheck,
				  bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
				  bool *update_indexes)
{
	refuse(rel, gettext_noop("cannot update relation \"%s\" of access method log_dump"));
}

static TM_Result
dump_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
				TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
				LockWaitPolicy wait_policy, uint8 flags, TM_FailureData *tmfd)
{
	refuse(rel, gettext_noop("cannot lock rows of relation \"%s\" of access method log_dump"));
}


/*
 * New storage: an empty file, made only for CREATE EXTENSION, binary
 * upgrade and a VACUUM FULL's transient copy.  TRUNCATE (a new node for an
 * existing relation) is refused: there is nothing to truncate, and
 * pg_restore --clean drops the extension instead.
 */
static void
dump_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
							   char persistence, TransactionId *freezeXid,
							   MultiXactId *minmulti)
{
	SMgrRelation srel;

	if (!RelFileNodeEquals(*newrnode, rel->rd_node))
		refuse(rel, gettext_noop("cannot truncate relation \"%s\" of access method log_dump"));
	if (!creating_extension && !IsBinaryUpgrade && !LogRelationIsRewrite(rel))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot create relation \"%s\" with access method log_dump",
						RelationGetRelationName(rel)),
				 errdetail("The only relation of this access method is logext.dump, made by CREATE EXTENSION logext.")));
	*freezeXid = InvalidTransactionId;
	*minmulti = InvalidMultiXactId;
	srel = RelationCreateStorage(*newrnode, persistence, true);
	smgrclose(srel);
}

static void
dump_relation_nontransactional_truncate(Relation rel)
{
	refuse(rel, gettext_noop("cannot truncate relation \"%s\" of access method log_dump"));
}

static void
dump_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	SMgrRelation dstrel = smgropen(*newrnode, rel->rd_backend);

	RelationCreateStorage(*newrnode, rel->rd_rel->relpersistence, true);
	RelationDropStorage(rel);
	smgrclose(dstrel);
}

/* VACUUM FULL: nothing to copy */
static void
dump_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
							   Relation OldIndex, bool use_sort,
							   TransactionId OldestXmin,
							   TransactionId *xid_cutoff,
							   MultiXactId *multi_cutoff,
							   double *num_tuples, double *tups_vacuumed,
							   double *tups_recently_dead)
{
	if (OldIndex != NULL)
		refuse(OldTable, gettext_noop("cannot cluster relation \"%s\" of access method log_dump"));
	*xid_cutoff = InvalidTransactionId;
	*multi_cutoff = InvalidMultiXactId;
	*num_tuples = 0;
	*tups_vacuumed = 0;
	*tups_recently_dead = 0;
}

static void
dump_relation_vacuum(Relation rel, struct VacuumParams *params,
					 BufferAccessStrategy bstrategy)
{
}

static bool
dump_scan_analyze_next_block(TableScanDesc scan, BlockNumber blockno,
							 BufferAccessStrategy bstrategy)
{
	return false;
}

static bool
dump_scan_analyze_next_tuple(TableScanDesc scan, TransactionId OldestXmin,
							 double *liverows, double *deadrows,
							 TupleTableSlot *slot)
{
	return false;
}

static double
dump_index_build_range_scan(Relation table_rel, Relation index_rel,
							struct IndexInfo *index_info, bool allow_sync,
							bool anyvisible, bool progress,
							BlockNumber start_blockno, BlockNumber numblocks,
							IndexBuildCallback callback, void *callback_state,
							TableScanDesc scan)
{
	refuse(table_rel, gettext_noop("cannot create an index on relation \"%s\" of access method log_dump"));
}

static void
dump_index_validate_scan(Relation table_rel, Relation index_rel,
						 struct IndexInfo *index_info, Snapshot snapshot,
						 struct ValidateIndexState *state)
{
	refuse(table_rel, gettext_noop("cannot create an index on relation \"%s\" of access method log_dump"));
}

static bool
dump_relation_needs_toast_table(Relation rel)
{
	return false;
}

/* small, so that the planner never scans it in parallel */
static void
dump_relation_estimate_size(Relation rel, int32 *attr_widths,
							BlockNumber *pages, double *tuples,
							double *allvisfrac)
{
	*pages = 1;
	*tuples = 1000;
	*allvisfrac = 0;
}

static bool
dump_scan_sample_next_block(TableScanDesc scan, struct SampleScanState *scanstate)
{
	refuse(scan->rs_rd, gettext_noop("cannot use TABLESAMPLE on relation \"%s\" of access method log_dump"));
}

static bool
dump_scan_sample_next_tuple(TableScanDesc scan, struct SampleScanState *scanstate,
							TupleTableSlot *slot)
{
	refuse(scan->rs_rd, gettext_noop("cannot use TABLESAMPLE on relation \"%s\" of access method log_dump"));
}

/*
 * The columns logext.dump must have: scans and inserts address them by
 * position and type, so an ALTER TABLE that changed them is refused here
 * rather than misread.
 */
void
LogDumpCheckShape(Relation rel)
{
	static const Oid types[DUMP_NATTS] = {
		TEXTOID, TEXTOID, INT4OID, INT8OID, TIMESTAMPTZOID,
		TEXTOID, BYTEAOID, JSONBOID, TEXTOID, JSONBOID
	};
	TupleDesc	desc = RelationGetDescr(rel);
	bool		ok = desc->natts >= DUMP_NATTS;

	for (int i = 0; ok && i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (i < DUMP_NATTS)
			ok = !att->attisdropped && att->atttypid == types[i];
		else
			ok = att->attisdropped;	/* added, then dropped again */
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation \"%s\" does not have the columns of logext.dump",
						RelationGetRelationName(rel)),
				 errdetail("Its columns were changed by ALTER TABLE."),
				 errhint("Recreate it with DROP EXTENSION logext and CREATE EXTENSION logext.")));
}

static const TableAmRoutine dumpam_methods = {
	.type = T_TableAmRoutine,

	.slot_callbacks = dump_slot_callbacks,

	.scan_begin = LogDumpScanBegin,
	.scan_end = LogDumpScanEnd,
	.scan_rescan = LogDumpScanRescan,
	.scan_getnextslot = LogDumpScanNext,

	.parallelscan_estimate = table_block_parallelscan_estimate,
	.parallelscan_initialize = table_block_parallelscan_initialize,
	.parallelscan_reinitialize = table_block_parallelscan_reinitialize,

	.index_fetch_begin = dump_index_fetch_begin,
	.index_fetch_reset = dump_index_fetch_reset,
	.index_fetch_end = dump_index_fetch_end,
	.index_fetch_tuple = dump_index_fetch_tuple,

	.tuple_fetch_row_version = dump_tuple_fetch_row_version,
	.tuple_tid_valid = dump_tuple_tid_valid,
	.tuple_get_latest_tid = dump_tuple_get_latest_tid,
	.tuple_satisfies_snapshot = dump_tuple_satisfies_snapshot,
	.index_delete_tuples = dump_index_delete_tuples,

	.tuple_insert = LogRestoreInsert,
	.tuple_insert_speculative = dump_tuple_insert_speculative,
	.tuple_complete_speculative = dump_tuple_complete_speculative,
	.multi_insert = LogRestoreMultiInsert,
	.tuple_delete = dump_tuple_delete,
	.tuple_update = dump_tuple_update,
	.tuple_lock = dump_tuple_lock,

	.relation_set_new_filenode = dump_relation_set_new_filenode,
	.relation_nontransactional_truncate = dump_relation_nontransactional_truncate,
	.relation_copy_data = dump_relation_copy_data,
	.relation_copy_for_cluster = dump_relation_copy_for_cluster,
	.relation_vacuum = dump_relation_vacuum,
	.scan_analyze_next_block = dump_scan_analyze_next_block,
	.scan_analyze_next_tuple = dump_scan_analyze_next_tuple,
	.index_build_range_scan = dump_index_build_range_scan,
	.index_validate_scan = dump_index_validate_scan,

	.relation_size = table_block_relation_size,
	.relation_needs_toast_table = dump_relation_needs_toast_table,

	.relation_estimate_size = dump_relation_estimate_size,

	.scan_sample_next_block = dump_scan_sample_next_block,
	.scan_sample_next_tuple = dump_scan_sample_next_tuple,
};

PG_FUNCTION_INFO_V1(log_dump_handler);
Datum
log_dump_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&dumpam_methods);
}
