/*-------------------------------------------------------------------------
 *
 * handler.c
 *	  The routine table of the "log" table access method and its handler.
 *
 * Callbacks live in scan.c (sequential and parallel scans), insert.c
 * (INSERT and COPY FROM append records), relation.c (storage, VACUUM,
 * sizes) and unsupported.c (everything an append-only log refuses: UPDATE,
 * DELETE, row locks, TID and index access, TABLESAMPLE).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/am/handler.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "am/handler.h"

static const TableAmRoutine logam_methods = {
	.type = T_TableAmRoutine,

	.slot_callbacks = logam_slot_callbacks,

	.scan_begin = logam_scan_begin,
	.scan_end = logam_scan_end,
	.scan_rescan = logam_scan_rescan,
	.scan_getnextslot = logam_scan_getnextslot,

	.parallelscan_estimate = table_block_parallelscan_estimate,
	.parallelscan_initialize = table_block_parallelscan_initialize,
	.parallelscan_reinitialize = table_block_parallelscan_reinitialize,

	.index_fetch_begin = logam_index_fetch_begin,
	.index_fetch_reset = logam_index_fetch_reset,
	.index_fetch_end = logam_index_fetch_end,
	.index_fetch_tuple = logam_index_fetch_tuple,

	.tuple_fetch_row_version = logam_tuple_fetch_row_version,
	.tuple_tid_valid = logam_tuple_tid_valid,
	.tuple_get_latest_tid = logam_tuple_get_latest_tid,
	.tuple_satisfies_snapshot = logam_tuple_satisfies_snapshot,
	.index_delete_tuples = logam_index_delete_tuples,

	.tuple_insert = logam_tuple_insert,
	.tuple_insert_speculative = logam_tuple_insert_speculative,
	.tuple_complete_speculative = logam_tuple_complete_speculative,
	.multi_insert = logam_multi_insert,
	.tuple_delete = logam_tuple_delete,
	.tuple_update = logam_tuple_update,
	.tuple_lock = logam_tuple_lock,

	.relation_set_new_filenode = logam_relation_set_new_filenode,
	.relation_nontransactional_truncate = logam_relation_nontransactional_truncate,
	.relation_copy_data = logam_relation_copy_data,
	.relation_copy_for_cluster = logam_relation_copy_for_cluster,
	.relation_vacuum = logam_relation_vacuum,
	.scan_analyze_next_block = logam_scan_analyze_next_block,
	.scan_analyze_next_tuple = logam_scan_analyze_next_tuple,
	.index_build_range_scan = logam_index_build_range_scan,
	.index_validate_scan = logam_index_validate_scan,

	.relation_size = logam_relation_size,
	.relation_needs_toast_table = logam_relation_needs_toast_table,
	.relation_toast_am = logam_relation_toast_am,

	.relation_estimate_size = logam_relation_estimate_size,

	.scan_sample_next_block = logam_scan_sample_next_block,
	.scan_sample_next_tuple = logam_scan_sample_next_tuple,
};

const TableAmRoutine *
LogTableAmRoutine(void)
{
	return &logam_methods;
}

/* is rel a relation of the log access method? */
bool
LogIsSegment(Relation rel)
{
	return rel->rd_tableam == &logam_methods;
}

PG_FUNCTION_INFO_V1(log_tableam_handler);
Datum
log_tableam_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&logam_methods);
}
