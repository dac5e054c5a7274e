/*-------------------------------------------------------------------------
 *
 * unsupported.c
 *	  Callbacks of the log access method for operations a log refuses.
 *
 * Records are only ever appended (log_append(), or INSERT/COPY handled by
 * am/insert.c) and never updated, deleted or locked; speculative insertion
 * (ON CONFLICT) needs a row that exists before commit, which log records
 * do not.  Indexes, TID access and
 * TABLESAMPLE are not provided.  Each callback fails with
 * ERRCODE_FEATURE_NOT_SUPPORTED naming the relation and the supported
 * path.  Most of these are also caught earlier, at parse analysis or in the
 * utility hook (hooks/guard.c), so users see the error even on an empty
 * segment.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/am/unsupported.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/lsyscache.h"

#include "am/handler.h"

static void pg_attribute_noreturn()
refuse(Relation rel, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg_internal(_(msg), rel ? RelationGetRelationName(rel) : "?"),
			 errhint("%s", _(hint))));
}

#define HINT_APPEND gettext_noop("Append records with logext.log_append() or logext.log_append_batch().")
#define HINT_READ gettext_noop("Read records with logext.log_read(), or scan the whole segment with SELECT.")

struct IndexFetchTableData *
logam_index_fetch_begin(Relation rel)
{
	refuse(rel, gettext_noop("cannot use an index on log segment \"%s\""), HINT_READ);
}

void
logam_index_fetch_reset(struct IndexFetchTableData *data)
{
}

void
logam_index_fetch_end(struct IndexFetchTableData *data)
{
}

bool
logam_index_fetch_tuple(struct IndexFetchTableData *scan, ItemPointer tid,
						Snapshot snapshot, TupleTableSlot *slot,
						bool *call_again, bool *all_dead)
{
	refuse(scan->rel, gettext_noop("cannot use an index on log segment \"%s\""), HINT_READ);
}

bool
logam_tuple_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
							  TupleTableSlot *slot)
{
	refuse(rel, gettext_noop("cannot fetch rows by TID from log segment \"%s\""), HINT_READ);
}

bool
logam_tuple_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	refuse(scan->rs_rd, gettext_noop("cannot fetch rows by TID from log segment \"%s\""), HINT_READ);
}

void
logam_tuple_get_latest_tid(TableScanDesc scan, ItemPointer tid)
{
	refuse(scan->rs_rd, gettext_noop("cannot fetch rows by TID from log segment \"%s\""), HINT_READ);
}

bool
logam_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot,
							   Snapshot snapshot)
{
	refuse(rel, gettext_noop("cannot check row visibility in log segment \"%s\""), HINT_READ);
}

TransactionId
logam_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	refuse(rel, gettext_noop("cannot use an index on log segment \"%s\""), HINT_READ);
}

void
logam_tuple_insert_speculative(Relation rel, TupleTableSlot *slot,
							   CommandId cid, int options,
							   struct BulkInsertStateData *bistate,
							   uint32 specToken)
{
	refuse(rel, gettext_noop("cannot INSERT into log segment \"%s\""), HINT_APPEND);
}

void
logam_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
								 uint32 specToken, bool succeeded)
{
	refuse(rel, gettext_noop("cannot INSERT into log segment \"%s\""), HINT_APPEND);
}

TM_Result
logam_tuple_delete(Relation rel, ItemPointer tid, CommandId cid,
				   Snapshot snapshot, Snapshot crosscheck, bool wait,
				   TM_FailureData *tmfd, bool changingPart)
{
	refuse(rel, gettext_noop("cannot DELETE from log segment \"%s\""), "Log records are immutable; old segments are removed by retention.");
}

TM_Result
logam_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
				   CommandId cid, Snapshot snapshot, Snapshot crosscheck,
				   bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
				   bool *update_indexes)
{
	refuse(rel, gettext_noop("cannot UPDATE log segment \"%s\""), "Log records are immutable; append a new record instead.");
}

TM_Result
logam_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
				 TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
				 LockWaitPolicy wait_policy, uint8 flags,
				 TM_FailureData *tmfd)
{
	refuse(rel, gettext_noop("cannot lock rows in log segment \"%s\""), "Log records are immutable, so they need no row locks.");
}

void
logam_relation_nontransactional_truncate(Relation rel)
{
	refuse(rel, gettext_noop("cannot TRUNCATE log segment \"%s\""), "Drop the whole log with logext.log_drop().");
}

double
logam_index_build_range_scan(Relation table_rel, Relation index_rel,
							 struct IndexInfo *index_info, bool allow_sync,
							 bool anyvisible, bool progress,
							 BlockNumber start_blockno, BlockNumber numblocks,
							 IndexBuildCallback callback, void *callback_state,
							 TableScanDesc scan)
{
	refuse(table_rel, gettext_noop("cannot create an index on log segment \"%s\""), HINT_READ);
}

void
logam_index_validate_scan(Relation table_rel, Relation index_rel,
						  struct IndexInfo *index_info, Snapshot snapshot,
						  struct ValidateIndexState *state)
{
	refuse(table_rel, gettext_noop("cannot create an index on log segment \"%s\""), HINT_READ);
}

bool
logam_scan_sample_next_block(TableScanDesc scan,
							 struct SampleScanState *scanstate)
{
	refuse(scan->rs_rd, gettext_noop("cannot use TABLESAMPLE on log segment \"%s\""), HINT_READ);
}

bool
logam_scan_sample_next_tuple(TableScanDesc scan,
							 struct SampleScanState *scanstate,
							 TupleTableSlot *slot)
{
	refuse(scan->rs_rd, gettext_noop("cannot use TABLESAMPLE on log segment \"%s\""), HINT_READ);
}
