/*-------------------------------------------------------------------------
 *
 * logacl.h
 *	  Privileges on logs (the views in schema logext_logs), and running
 *	  logext's internal work as the extension's owner.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/logacl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_META_LOGACL_H
#define LOGEXT_META_LOGACL_H

#include "nodes/parsenodes.h"

#define LOGEXT_VIEW_SCHEMA	"logext_logs"

typedef void (*LogOwnerFn) (void *arg);

extern Oid	LogViewNamespace(bool missing_ok);
extern Oid	LogViewRelid(const char *log_name);
extern void LogCheckAccess(const char *log_name, AclMode mode);
extern void LogCheckOwner(const char *log_name);
extern void LogCheckCreate(const char *log_name);
extern void LogRunAsOwner(LogOwnerFn fn, void *arg);
extern bool LogInternalChange(void);

#endif							/* LOGEXT_META_LOGACL_H */
