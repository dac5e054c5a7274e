/*-------------------------------------------------------------------------
 *
 * groupacl.h
 *	  Owners of consumer groups (logext.group_owners) and the checks on them.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/groupacl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_META_GROUPACL_H
#define LOGEXT_META_GROUPACL_H

extern Oid	LogCheckGroup(const char *group, bool claim);
extern void LogForgetGroup(const char *group, Oid checked_owner);
extern void LogSetGroupOwner(const char *group, Oid new_owner);
extern void LogGroupAclAtPreCommit(void);
extern void LogGroupAclAtEOXact(void);

#endif							/* LOGEXT_META_GROUPACL_H */
