/*-------------------------------------------------------------------------
 *
 * rmgr.c
 *	  Registration of logext's custom WAL resource manager.
 *
 * The library must be in shared_preload_libraries on the primary and on
 * every standby: without it recovery cannot replay logext records.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/wal/rmgr.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog_internal.h"

#include "segment/xlog.h"
#include "wal/rmgr.h"

static const RmgrData logext_rmgr = {
	.rm_name = LOGEXT_RMGR_NAME,
	.rm_redo = logext_redo,
	.rm_desc = logext_desc,
	.rm_identify = logext_identify,
	.rm_mask = logext_mask,
};

/* called from _PG_init while shared_preload_libraries is processed */
void
LogRegisterRmgr(void)
{
	/*
	 * PostgreSQL 15 declares the argument without const (16 adds it); the
	 * function copies the struct into its table and never writes through
	 * the pointer.
	 */
	RegisterCustomRmgr(RM_LOGEXT_ID, unconstify(RmgrData *, &logext_rmgr));
}
