/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *	  The logext maintenance worker and its per-database helpers.
 *
 * One maintenance worker per cluster is registered from _PG_init
 * (shared_preload_libraries).  It connects to no database (only the shared
 * catalogs, to list the databases).  Every logext.maintenance_naptime it
 * expires consumer group members whose session timeout has passed
 * (membership lives in shared memory).  It queues databases for a
 * short-lived per-database worker:
 *	- every logext.retention_check_interval, every database that accepts
 *	  connections: the worker applies the retention and rolling settings of
 *	  each of its logs (partition/retention.c), and compacts the offsets log
 *	  if it has grown;
 *	- every ten naptimes, each database where consumer offsets were
 *	  committed since the last round: the worker compacts the offsets log
 *	  if it has grown (logext.log_compact_offsets).
 * One per-database worker runs at a time; it connects, does its work and
 * exits.  DROP DATABASE (and CREATE DATABASE from a template) wait up to
 * five seconds for other sessions to leave, longer than such a visit
 * usually takes.  A database without the extension costs one connection per
 * retention check.  The worker waits at most 10 s for a lock (lock_timeout):
 * a log whose lock someone holds (an open log_alter(), say) is skipped
 * until the next round instead of holding up every other log.
 *
 * Each log is maintained in a transaction of its own (a roll must commit
 * on its own, and holds appenders of its partition until it does); an
 * error is logged and the worker goes on with the next log.
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

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
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
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "consumer/compact.h"
#include "consumer/group.h"
#include "consumer/offsetcache.h"
#include "meta/logcache.h"
#include "partition/retention.h"
#include "worker/maintenance.h"

static int	logext_maintenance_naptime_ms = 1000;
static int	logext_retention_check_interval_ms = 300 * 1000;

#define COMPACTION_ROUNDS	10	/* naptimes between compaction rounds */

/* what a per-database worker does (bgw_extra[0]) */
#define WORK_COMPACT		0x01
#define WORK_RETENTION		0x02

typedef struct QueuedDb
{
	Oid			dbid;
	int			work;
} QueuedDb;

/* the launcher's queue of databases to visit (in TopMemoryContext) */
static QueuedDb *queue = NULL;
static int	queue_len = 0;
static int	queue_cap = 0;
static bool no_slot_logged = false;	/* said once until a start succeeds */

void
LogMaintenanceRegister(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "logext");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "logext_maintenance_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "logext maintenance");
	snprintf(worker.bgw_type, BGW_MAXLEN, "logext maintenance");
	RegisterBackgroundWorker(&worker);
}

/* queue a database, or add to the work already queued for it */
static void
enqueue(Oid dbid, int work)
{
	for (int i = 0; i < queue_len; i++)
		if (queue[i].dbid == dbid)
		{
			queue[i].work |= work;
			return;
		}
	if (queue_len == queue_cap)
	{
		queue_cap = Max(16, queue_cap * 2);
		queue = queue == NULL ?
			MemoryContextAlloc(TopMemoryContext, sizeof(QueuedDb) * queue_cap) :
			repalloc(queue, sizeof(QueuedDb) * queue_cap);
	}
	queue[queue_len].dbid = dbid;
	queue[queue_len].work = work;
	queue_len++;
}

/* every database that accepts connections, for a retention check */
static void
enqueue_all_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (db->datallowconn && !db->datistemplate &&
			!database_is_invalid_form(db))
			enqueue(db->oid, WORK_RETENTION | WORK_COMPACT);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
}

/* start the worker for the first queued database; NULL if none or no slot */
static BackgroundWorkerHandle *
start_next_worker(void)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	QueuedDb	next;

	if (queue_len == 0)
		return NULL;
	next = queue[0];
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "logext");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "logext_db_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "logext maintenance for database %u",
			 next.dbid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "logext maintenance");
	worker.bgw_main_arg = ObjectIdGetDatum(next.dbid);
	worker.bgw_extra[0] = (char) next.work;
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		if (!no_slot_logged)
			ereport(LOG,
					(errmsg("logext: no background worker slot is free to maintain database %u",
							next.dbid),
					 errhint("Increase max_worker_processes.")));
		no_slot_logged = true;
		return NULL;
	}
	no_slot_logged = false;
	memmove(queue, queue + 1, sizeof(QueuedDb) * (queue_len - 1));
	queue_len--;
	return handle;
}

void
logext_maintenance_main(Datum main_arg)
{
	int			round = 0;
	TimestampTz next_retention;
	BackgroundWorkerHandle *running = NULL;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* no database: the shared catalogs only (pg_database) */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	next_retention = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												 logext_retention_check_interval_ms);

	for (;;)
	{
		pid_t		pid;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			TimestampTz soonest;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* a shorter interval applies from now */
			soonest = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  logext_retention_check_interval_ms);
			if (next_retention > soonest)
				next_retention = soonest;
		}
		LogGroupExpire();
		if (++round >= COMPACTION_ROUNDS)
		{
			Oid			dbid;

			round = 0;
			while (OidIsValid(dbid = LogOffsetsNextActiveDatabase()))
				enqueue(dbid, WORK_COMPACT);
		}
		if (GetCurrentTimestamp() >= next_retention)
		{
			enqueue_all_databases();
			next_retention = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 logext_retention_check_interval_ms);
		}
		if (running != NULL &&
			GetBackgroundWorkerPid(running, &pid) == BGWH_STOPPED)
		{
			pfree(running);
			running = NULL;
		}
		if (running == NULL)
			running = start_next_worker();

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 logext_maintenance_naptime_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* the names of the database's user logs, in TopMemoryContext; one xact */
static char **
user_logs(int *n)
{
	char	  **names = NULL;

	*n = 0;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (OidIsValid(get_extension_oid("logext", true)))
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		names = LogUserLogNames(n);
		MemoryContextSwitchTo(old);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	return names;
}

/* retention and rolling of one log, in a transaction of its own */
static void
maintain_log(const char *name)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "logext retention");
	PG_TRY();
	{
		LogCacheEntry *log = LogCacheLookup(name);
		int			nrolled;
		int			ndropped = LogEnforceRetentionAsOwner(&log, &nrolled);

		if (ndropped > 0 || nrolled > 0)
			elog(DEBUG1, "logext: log \"%s\": %d segments dropped, %d partitions rolled",
				 name, ndropped, nrolled);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* report, then go on with the next log */
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(cxt);
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
}

void
logext_db_worker_main(Datum main_arg)
{
	int			work;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg),
											  InvalidOid, 0);
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET,
					PGC_S_SESSION);
	SetConfigOption("lock_timeout", "10s", PGC_SUSET, PGC_S_SESSION);
	work = (unsigned char) MyBgworkerEntry->bgw_extra[0];

	if (work & WORK_RETENTION)
	{
		int			n;
		char	  **names = user_logs(&n);

		for (int i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			maintain_log(names[i]);
		}
	}

	if (work & WORK_COMPACT)
	{
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
	}
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}

/* logext.maintenance_naptime, logext.retention_check_interval */
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
	DefineCustomIntVariable("logext.retention_check_interval",
							"Time between checks of every log's retention and rolling settings by the maintenance worker.",
							NULL,
							&logext_retention_check_interval_ms,
							300 * 1000, 1000, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}
