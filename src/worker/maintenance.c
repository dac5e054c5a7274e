/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *	  The logext maintenance worker and its per-database helpers.
 *
 * One maintenance worker per cluster is registered from _PG_init
 * (shared_preload_libraries).  It needs no database connection: every
 * logext.maintenance_naptime it expires consumer group members whose
 * session timeout has passed (membership lives in shared memory), and every
 * ten naptimes it starts a short-lived worker in each database where
 * consumer offsets were committed since the last round; that worker
 * connects, compacts the offsets log if it has grown
 * (logext.log_compact_offsets) and exits.  Short-lived workers never keep
 * a database busy, so DROP DATABASE is not blocked by logext.
 *
 * Each unit of work runs in its own transaction; an error ends the
 * per-database worker (it is started again next round) and is logged.
 *
 * The per-database worker runs as the bootstrap superuser in a database
 * whose owner may have created objects in schemas on the default
 * search_path (or set the database's search_path), for example an operator
 * "=" on regclass that would beat the built-in one.  So it runs all its SQL
 * with search_path = pg_catalog, pg_temp, set for the session after the
 * connection (and the database's and role's settings) is established.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/worker/maintenance.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

#include "consumer/compact.h"
#include "consumer/group.h"
#include "consumer/offsetcache.h"
#include "worker/maintenance.h"

static int	logext_maintenance_naptime_ms = 1000;

#define COMPACTION_ROUNDS	10	/* naptimes between compaction rounds */

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

/* start the compaction worker for one database; false if no slot is free */
static bool
start_db_worker(Oid dbid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "logext");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "logext_db_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "logext compaction for database %u", dbid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "logext compaction");
	worker.bgw_main_arg = ObjectIdGetDatum(dbid);
	worker.bgw_notify_pid = 0;
	return RegisterDynamicBackgroundWorker(&worker, &handle);
}

void
logext_maintenance_main(Datum main_arg)
{
	int			round = 0;

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
		if (++round >= COMPACTION_ROUNDS)
		{
			Oid			dbid;

			round = 0;
			while (OidIsValid(dbid = LogOffsetsNextActiveDatabase()))
			{
				if (!start_db_worker(dbid))
				{
					ereport(LOG,
							(errmsg("logext: no background worker slot free to compact the offsets of database %u",
									dbid),
							 errhint("Increase max_worker_processes.")));
					break;
				}
			}
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 logext_maintenance_naptime_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

void
logext_db_worker_main(Datum main_arg)
{
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg),
											  InvalidOid, 0);
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET,
					PGC_S_SESSION);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (OidIsValid(get_extension_oid("logext", true)))
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "SELECT logext.log_compact_offsets()");
		if (SPI_execute("SELECT logext.log_compact_offsets()", false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not compact the consumer offsets log");
		SPI_finish();
		PopActiveSnapshot();
	}
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

/* logext.maintenance_naptime */
void
LogMaintenanceDefineGucs(void)
{
	DefineCustomIntVariable("logext.maintenance_naptime",
							"Time between runs of the logext maintenance worker.",
							NULL,
							&logext_maintenance_naptime_ms,
							1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}
