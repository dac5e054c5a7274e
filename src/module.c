/*-------------------------------------------------------------------------
 *
 * module.c
 *	  Module entry point (the top of the house): _PG_init calls each
 *	  module's Init/DefineGucs function (settings, shared memory hooks, WAL
 *	  resource manager, transaction callbacks, command guards, the
 *	  maintenance worker); nothing calls into this file.
 *
 * logext must be loaded through shared_preload_libraries (on primaries and
 * standbys): its WAL records need the resource manager for recovery, and
 * the commit path needs shared memory.  Loaded any other way (LOAD, CREATE
 * EXTENSION or a function call on a server that does not preload it),
 * _PG_init raises an ERROR that says how to fix the configuration, before
 * it changes anything: PostgreSQL keeps the library mapped but not
 * registered after a failed _PG_init (dfmgr.c) and calls _PG_init again on
 * the next attempt, which then fails the same way, and the session stays
 * usable.  (Defining the PGC_POSTMASTER settings first would end the
 * session with a FATAL error instead.)
 *
 * Copyright (c) 2026, logext developers
 *
 * src/module.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "utils/guc.h"

#include "commit/pending.h"
#include "commit/precommit.h"
#include "consumer/compact.h"
#include "consumer/group.h"
#include "consumer/offsetcache.h"
#include "eoxact.h"
#include "hooks/guard.h"
#include "logext.h"
#include "shmem.h"
#include "wal/rmgr.h"
#include "worker/maintenance.h"

PG_MODULE_MAGIC;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

void		_PG_init(void);

static void
logext_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	LogShmemRequest();
	LogOffsetsShmemRequest();
	LogGroupShmemRequest();
}

static void
logext_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LogShmemStartup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	LogOffsetsShmemStartup();
	LogGroupShmemStartup();
	LWLockRelease(AddinShmemInitLock);
}

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("logext must be loaded via shared_preload_libraries"),
				 errhint("Add logext to shared_preload_libraries in postgresql.conf and restart the server.")));

	/* each module defines its own settings */
	LogShmemDefineGucs();
	LogPendingDefineGucs();
	LogPreCommitDefineGucs();
	LogOffsetsDefineGucs();
	LogOffsetsCompactDefineGucs();
	LogMaintenanceDefineGucs();
	MarkGUCPrefixReserved("logext");

	logext_preloaded = true;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = logext_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = logext_shmem_startup;

	LogRegisterRmgr();
	LogXactInit();
	LogGuardInstall();
	LogMaintenanceRegister();
}
