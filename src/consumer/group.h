/*-------------------------------------------------------------------------
 *
 * group.h
 *	  Consumer group membership and partition assignment.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/group.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_GROUP_H
#define LOGEXT_CONSUMER_GROUP_H

#include "datatype/timestamp.h"

#include "consumer/offsetkey.h"

#define LOGEXT_MAX_MEMBER_LEN	100

typedef struct LogMemberInfo
{
	char		group[LOGEXT_MAX_GROUP_LEN + 1];
	char		member[LOGEXT_MAX_MEMBER_LEN + 1];
	int			pid;
	TimestampTz joined_at;
	TimestampTz last_heartbeat;
	int			session_timeout_ms;
} LogMemberInfo;

/* the live members of a group, sorted: partition p is members[p % n] */
typedef struct LogGroupAssignment
{
	int			nmembers;
	char		(*members)[LOGEXT_MAX_MEMBER_LEN + 1];
} LogGroupAssignment;

extern void LogGroupShmemRequest(void);
extern void LogGroupShmemStartup(void);

extern void LogGroupJoin(const char *group, const char *member, int timeout_ms);
extern bool LogGroupHeartbeat(const char *group, const char *member);
extern bool LogGroupLeave(const char *group, const char *member);
extern int	LogGroupRemoveAll(const char *group);
extern const char *LogGroupMyMember(const char *group);
extern void LogGroupAssign(const char *group, LogGroupAssignment *a);
extern const char *LogGroupAssigned(const LogGroupAssignment *a,
									int32 partition);
extern int	LogGroupMembers(LogMemberInfo **members);
extern int	LogGroupExpire(void);

#endif							/* LOGEXT_CONSUMER_GROUP_H */
