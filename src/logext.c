/*-------------------------------------------------------------------------
 *
 * logext.c
 *	  Module entry point: GUCs, shared memory hooks, WAL resource manager,
 *	  transaction callbacks, command guards and the maintenance worker.
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
 * src/logext.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "utils/guc.h"

#include "catalog/groupacl.h"
#include "commit/precommit.h"
#include "consumer/group.h"
#include "consumer/offsets.h"
#include "dump/dump.h"
#include "hooks/guard.h"
#include "logext.h"
#include "shmem.h"
#include "wal/xlog.h"
#include "worker/maintenance.h"

PG_MODULE_MAGIC;

int			logext_max_partitions = 8192;
int			logext_append_buffer_kb = 8192;
int			logext_debug_precommit_sleep_ms = 0;
bool		logext_preloaded = false;
bool		logext_notify = false;
int			logext_max_group_offsets = 16384;
int			logext_maintenance_naptime_ms = 1000;
int			logext_offsets_compaction_threshold_kb = 8192;

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
LogextRequirePreload(void)
{
	if (!logext_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("logext must be loaded via shared_preload_libraries"),
				 errhint("Add logext to shared_preload_libraries in postgresql.conf and restart the server.")));
}

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("logext must be loaded via shared_preload_libraries"),
				 errhint("Add logext to shared_preload_libraries in postgresql.conf and restart the server.")));

	DefineCustomIntVariable("logext.max_partitions",
							"Maximum number of log partitions in use at once, over all databases.",
							NULL,
							&logext_max_partitions,
							8192, 16, 1048576,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("logext.append_buffer_size",
							"Memory a transaction uses for its pending appends before spilling them to a temporary file.",
							NULL,
							&logext_append_buffer_kb,
							8192, 64, 512 * 1024,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("logext.debug_precommit_sleep_ms",
							"Sleep this long after the pre-commit write, before commit (testing only).",
							NULL,
							&logext_debug_precommit_sleep_ms,
							0, 0, 600000,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("logext.notify",
							 "Send a NOTIFY on channel \"logext.<log name>\" when a transaction that appended to the log commits.",
							 "NOTIFY serialises committing transactions on a database-wide lock, so it is off by default.",
							 &logext_notify,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("logext.max_group_offsets",
							"Maximum number of committed (group, log, partition) offsets kept in shared memory.",
							NULL,
							&logext_max_group_offsets,
							16384, 64, 16777216,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("logext.maintenance_naptime",
							"Time between runs of the logext maintenance worker.",
							NULL,
							&logext_maintenance_naptime_ms,
							1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("logext.offsets_compaction_threshold",
							"Size of the consumer offsets log beyond which the maintenance worker compacts it.",
							NULL,
							&logext_offsets_compaction_threshold_kb,
							8192, 64, INT_MAX / 1024,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);
	LogOffsetsDefineGucs();
	MarkGUCPrefixReserved("logext");

	logext_preloaded = true;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = logext_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = logext_shmem_startup;

	LogRegisterRmgr();
	LogCommitInit();
	LogRestoreInit();
	LogGroupAclInit();
	LogGuardInstall();
	LogMaintenanceRegister();
}
