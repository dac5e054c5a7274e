/*-------------------------------------------------------------------------
 *
 * handler.h
 *	  The "log" table access method: routine table and callbacks.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/am/handler.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_AM_HANDLER_H
#define LOGEXT_AM_HANDLER_H

#include "access/tableam.h"
#include "commands/vacuum.h"
#include "utils/rel.h"

extern const TableAmRoutine *LogTableAmRoutine(void);
extern bool LogIsSegment(Relation rel);

/* scan.c */
extern const TupleTableSlotOps *logam_slot_callbacks(Relation rel);
extern TableScanDesc logam_scan_begin(Relation rel, Snapshot snapshot,
									  int nkeys, struct ScanKeyData *key,
									  ParallelTableScanDesc pscan,
									  uint32 flags);
extern void logam_scan_end(TableScanDesc scan);
extern void logam_scan_rescan(TableScanDesc scan, struct ScanKeyData *key,
							  bool set_params, bool allow_strat,
							  bool allow_sync, bool allow_pagemode);
extern bool logam_scan_getnextslot(TableScanDesc scan, ScanDirection direction,
								   TupleTableSlot *slot);
extern bool logam_scan_analyze_next_block(TableScanDesc scan,
										  BlockNumber blockno,
										  BufferAccessStrategy bstrategy);
extern bool logam_scan_analyze_next_tuple(TableScanDesc scan,
										  TransactionId OldestXmin,
										  double *liverows, double *deadrows,
										  TupleTableSlot *slot);

/* relation.c */
extern void logam_relation_set_new_filenode(Relation rel,
											const RelFileNode *newrnode,
											char persistence,
											TransactionId *freezeXid,
											MultiXactId *minmulti);
extern void logam_relation_copy_data(Relation rel, const RelFileNode *newrnode);
extern void logam_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
											Relation OldIndex, bool use_sort,
											TransactionId OldestXmin,
											TransactionId *xid_cutoff,
											MultiXactId *multi_cutoff,
											double *num_tuples,
											double *tups_vacuumed,
											double *tups_recently_dead);
extern void logam_relation_vacuum(Relation rel, struct VacuumParams *params,
								  BufferAccessStrategy bstrategy);
extern uint64 logam_relation_size(Relation rel, ForkNumber forkNumber);
extern bool logam_relation_needs_toast_table(Relation rel);
extern Oid	logam_relation_toast_am(Relation rel);
extern void logam_relation_estimate_size(Relation rel, int32 *attr_widths,
										 BlockNumber *pages, double *tuples,
										 double *allvisfrac);

/* unsupported.c */
extern struct IndexFetchTableData *logam_index_fetch_begin(Relation rel);
extern void logam_index_fetch_reset(struct IndexFetchTableData *data);
extern void logam_index_fetch_end(struct IndexFetchTableData *data);
extern bool logam_index_fetch_tuple(struct IndexFetchTableData *scan,
									ItemPointer tid, Snapshot snapshot,
									TupleTableSlot *slot, bool *call_again,
									bool *all_dead);
extern bool logam_tuple_fetch_row_version(Relation rel, ItemPointer tid,
										  Snapshot snapshot,
										  TupleTableSlot *slot);
extern bool logam_tuple_tid_valid(TableScanDesc scan, ItemPointer tid);
extern void logam_tuple_get_latest_tid(TableScanDesc scan, ItemPointer tid);
extern bool logam_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot,
										   Snapshot snapshot);
extern TransactionId logam_index_delete_tuples(Relation rel,
											   TM_IndexDeleteOp *delstate);
/* insert.c */
extern void logam_tuple_insert(Relation rel, TupleTableSlot *slot,
							   CommandId cid, int options,
							   struct BulkInsertStateData *bistate);
extern void logam_tuple_insert_speculative(Relation rel, TupleTableSlot *slot,
										   CommandId cid, int options,
										   struct BulkInsertStateData *bistate,
										   uint32 specToken);
extern void logam_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
											 uint32 specToken, bool succeeded);
extern void logam_multi_insert(Relation rel, TupleTableSlot **slots, int nslots,
							   CommandId cid, int options,
							   struct BulkInsertStateData *bistate);
extern TM_Result logam_tuple_delete(Relation rel, ItemPointer tid,
									CommandId cid, Snapshot snapshot,
									Snapshot crosscheck, bool wait,
									TM_FailureData *tmfd, bool changingPart);
extern TM_Result logam_tuple_update(Relation rel, ItemPointer otid,
									TupleTableSlot *slot, CommandId cid,
									Snapshot snapshot, Snapshot crosscheck,
									bool wait, TM_FailureData *tmfd,
									LockTupleMode *lockmode,
									bool *update_indexes);
extern TM_Result logam_tuple_lock(Relation rel, ItemPointer tid,
								  Snapshot snapshot, TupleTableSlot *slot,
								  CommandId cid, LockTupleMode mode,
								  LockWaitPolicy wait_policy, uint8 flags,
								  TM_FailureData *tmfd);
extern void logam_relation_nontransactional_truncate(Relation rel);
extern double logam_index_build_range_scan(Relation table_rel,
										   Relation index_rel,
										   struct IndexInfo *index_info,
										   bool allow_sync, bool anyvisible,
										   bool progress,
										   BlockNumber start_blockno,
										   BlockNumber numblocks,
										   IndexBuildCallback callback,
										   void *callback_state,
										   TableScanDesc scan);
extern void logam_index_validate_scan(Relation table_rel, Relation index_rel,
									  struct IndexInfo *index_info,
									  Snapshot snapshot,
									  struct ValidateIndexState *state);
extern bool logam_scan_sample_next_block(TableScanDesc scan,
										 struct SampleScanState *scanstate);
extern bool logam_scan_sample_next_tuple(TableScanDesc scan,
										 struct SampleScanState *scanstate,
										 TupleTableSlot *slot);

#endif							/* LOGEXT_AM_HANDLER_H */
