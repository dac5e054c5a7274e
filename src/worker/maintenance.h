/*-------------------------------------------------------------------------
 *
 * maintenance.h
 *	  The logext maintenance background worker.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/worker/maintenance.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_WORKER_MAINTENANCE_H
#define LOGEXT_WORKER_MAINTENANCE_H

#include "postgres.h"

extern void LogMaintenanceRegister(void);
extern PGDLLEXPORT void logext_maintenance_main(Datum main_arg);
extern PGDLLEXPORT void logext_db_worker_main(Datum main_arg);

extern void LogMaintenanceDefineGucs(void);

#endif							/* LOGEXT_WORKER_MAINTENANCE_H */
