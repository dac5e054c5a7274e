/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *	  The maintenance background worker: expires consumer group members
 *	  whose session timeout has passed.
 *
 * Registered from _PG_init (shared_preload_libraries); one per cluster.
 * Membership lives in shared memory only, so the worker needs no database
 * connection.  It wakes every logext.maintenance_naptime and on SIGHUP.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/worker/maintenance.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/wait_event.h"

#include "consumer/group.h"
#include "worker/maintenance.h"

void
LogMaintenanceRegister(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "logext");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "logext_maintenance_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "logext maintenance");
	snprintf(worker.bgw_type, BGW_MAXLEN, "logext maintenance");
	RegisterBackgroundWorker(&worker);
}

void
logext_maintenance_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		LogGroupExpire();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 logext_maintenance_naptime_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
