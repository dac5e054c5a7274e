/*-------------------------------------------------------------------------
 *
 * group.c
 *	  Consumer group membership and partition assignment, in shared memory.
 *
 * Members join a group with a member id and a session timeout and keep
 * their membership by heart-beating; a member that stops heart-beating
 * for longer than its timeout is removed by the maintenance worker
 * (worker/maintenance.c) and its partitions go to the others.  Like
 * Kafka's group coordinator state, membership is not persistent: after a
 * restart members join again.  Keeping it out of tables means heartbeats
 * create no dead tuples.
 *
 * Assignment is a pure function of the live members: sort them by member
 * id; partition p of any log belongs to member p mod n.  So each partition
 * has exactly one owner at a time, every member computes the same answer,
 * and a change of membership moves partitions at once.  Two members never
 * consume a partition concurrently even during such a move, because
 * log_read_group()/log_commit() take the (group, log, partition) key lock
 * (consumer/offsets.c) until their transaction ends.
 *
 * The member table is shared by all databases, so one database and one
 * role may each hold at most logext.group_quota percent of it (a join
 * beyond that fails with a clear error, nobody else's).  Slots are freed
 * by log_leave() and log_delete_group(), when their member expires (the
 * maintenance worker, or a join that needs the slot), and when the session
 * that last joined or heart-beat the member exits; a dropped database has
 * no sessions left, so its members go too.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/group.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "consumer/group.h"
#include "consumer/offsetcache.h"

#define MAX_MEMBERS		1024

typedef struct MemberSlot
{
	bool		in_use;
	Oid			dbid;
	Oid			roleid;			/* role that joined it */
	LogMemberInfo info;
} MemberSlot;

typedef struct MemberTable
{
	MemberSlot	slots[MAX_MEMBERS];
} MemberTable;

static MemberTable *members = NULL;
static LWLock *members_lock = NULL;

/* this session's member id per group, for log_read_group() */
typedef struct MyMembership
{
	char		group[LOGEXT_MAX_GROUP_LEN + 1];
	char		member[LOGEXT_MAX_MEMBER_LEN + 1];
} MyMembership;

static List *my_memberships = NIL;	/* in TopMemoryContext */
static bool exit_cleanup_registered = false;

void
LogGroupShmemRequest(void)
{
	RequestAddinShmemSpace(sizeof(MemberTable));
	RequestNamedLWLockTranche("logext_members", 1);
}

void
LogGroupShmemStartup(void)
{
	bool		found;

	members = ShmemInitStruct("logext group members", sizeof(MemberTable), &found);
	if (!found)
		memset(members, 0, sizeof(MemberTable));
	members_lock = &(GetNamedLWLockTranche("logext_members"))->lock;
}

static void
check_member_name(const char *member)
{
	size_t		len = strlen(member);

	if (len == 0 || len > LOGEXT_MAX_MEMBER_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid member id \"%s\"", member),
				 errdetail("A member id is 1 to %d bytes long.", LOGEXT_MAX_MEMBER_LEN)));
}

static bool
expired(const MemberSlot *m, TimestampTz now)
{
	return TimestampDifferenceExceeds(m->info.last_heartbeat, now,
									  m->info.session_timeout_ms);
}

/* members lock held */
static MemberSlot *
find_member(const char *group, const char *member)
{
	for (int i = 0; i < MAX_MEMBERS; i++)
	{
		MemberSlot *m = &members->slots[i];

		if (m->in_use && m->dbid == MyDatabaseId &&
			strcmp(m->info.group, group) == 0 &&
			strcmp(m->info.member, member) == 0)
			return m;
	}
	return NULL;
}

/*
 * Track the members this session joined, in join order; member NULL with
 * add false forgets all of the group's.
 */
static void
remember(const char *group, const char *member, bool add)
{
	ListCell   *lc;
	MyMembership *mm;
	MemoryContext old;

	foreach(lc, my_memberships)
	{
		mm = lfirst(lc);
		if (strcmp(mm->group, group) == 0 &&
			(member == NULL || strcmp(mm->member, member) == 0))
		{
			my_memberships = foreach_delete_current(my_memberships, lc);
			pfree(mm);
		}
	}
	if (!add)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	mm = palloc(sizeof(MyMembership));
	strlcpy(mm->group, group, sizeof(mm->group));
	strlcpy(mm->member, member, sizeof(mm->member));
	my_memberships = lappend(my_memberships, mm);
	MemoryContextSwitchTo(old);
}

/*
 * At session exit: members this session joined or last heart-beat leave
 * (an ERROR in the middle of a members lock section is impossible, but if
 * the lock is somehow still held, leave the table alone).
 */
static void
members_exit_cleanup(int code, Datum arg)
{
	if (members == NULL || LWLockHeldByMe(members_lock))
		return;
	LWLockAcquire(members_lock, LW_EXCLUSIVE);
	for (int i = 0; i < MAX_MEMBERS; i++)
	{
		MemberSlot *m = &members->slots[i];

		if (m->in_use && m->dbid == MyDatabaseId && m->info.pid == MyProcPid)
			m->in_use = false;
	}
	LWLockRelease(members_lock);
}

static void
register_exit_cleanup(void)
{
	if (!exit_cleanup_registered)
	{
		before_shmem_exit(members_exit_cleanup, (Datum) 0);
		exit_cleanup_registered = true;
	}
}

typedef enum MemberJoinResult
{
	MEMBER_JOIN_OK,
	MEMBER_TABLE_FULL,
	MEMBER_DB_QUOTA,
	MEMBER_ROLE_QUOTA
} MemberJoinResult;

void
LogGroupJoin(const char *group, const char *member, int timeout_ms)
{
	MemberSlot *m;
	TimestampTz now = GetCurrentTimestamp();
	Oid			role = GetUserId();
	int			quota = LogGroupQuota(MAX_MEMBERS);
	MemberJoinResult r = MEMBER_JOIN_OK;

	LogextRequirePreload();
	LogCheckGroupName(group);
	check_member_name(member);
	if (timeout_ms < 100 || timeout_ms > 3600 * 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session timeout must be between 100 ms and 1 hour, not %d ms",
						timeout_ms)));
	register_exit_cleanup();

	LWLockAcquire(members_lock, LW_EXCLUSIVE);
	m = find_member(group, member);
	if (m == NULL)
	{
		MemberSlot *free_slot = NULL;
		int			in_db = 0;
		int			of_role = 0;

		/* a free slot, or one whose member expired; count live members */
		for (int i = 0; i < MAX_MEMBERS; i++)
		{
			MemberSlot *s = &members->slots[i];

			if (!s->in_use || expired(s, now))
			{
				if (free_slot == NULL)
					free_slot = s;
				continue;
			}
			if (s->dbid == MyDatabaseId)
				in_db++;
			if (s->roleid == role)
				of_role++;
		}
		if (free_slot == NULL)
			r = MEMBER_TABLE_FULL;
		else if (in_db >= quota)
			r = MEMBER_DB_QUOTA;
		else if (of_role >= quota)
			r = MEMBER_ROLE_QUOTA;
		else
		{
			m = free_slot;
			memset(m, 0, sizeof(MemberSlot));
			m->in_use = true;
			m->dbid = MyDatabaseId;
			m->roleid = role;
			strlcpy(m->info.group, group, sizeof(m->info.group));
			strlcpy(m->info.member, member, sizeof(m->info.member));
			m->info.joined_at = now;
		}
	}
	if (m != NULL)
	{
		m->info.pid = MyProcPid;
		m->info.last_heartbeat = now;
		m->info.session_timeout_ms = timeout_ms;
	}
	LWLockRelease(members_lock);

	switch (r)
	{
		case MEMBER_JOIN_OK:
			break;
		case MEMBER_TABLE_FULL:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many consumer group members"),
					 errdetail("At most %d members can be joined at once, over all databases.",
							   MAX_MEMBERS),
					 errhint("Members leave with logext.log_leave(), when their session ends or when their session timeout expires.")));
			break;
		case MEMBER_DB_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many consumer group members in database \"%s\"",
							get_database_name(MyDatabaseId)),
					 errdetail("One database may have at most %d of the %d members (logext.group_quota is %d%%).",
							   quota, MAX_MEMBERS, logext_group_quota),
					 errhint("Members leave with logext.log_leave(), when their session ends or when their session timeout expires.")));
			break;
		case MEMBER_ROLE_QUOTA:
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many consumer group members joined by role \"%s\"",
							GetUserNameFromId(role, false)),
					 errdetail("One role may have at most %d of the %d members (logext.group_quota is %d%%).",
							   quota, MAX_MEMBERS, logext_group_quota),
					 errhint("Members leave with logext.log_leave(), when their session ends or when their session timeout expires.")));
			break;
	}
	remember(group, member, true);
}

/* false if the member is not (or no longer) in the group */
bool
LogGroupHeartbeat(const char *group, const char *member)
{
	MemberSlot *m;
	TimestampTz now = GetCurrentTimestamp();
	bool		ok = false;

	LogextRequirePreload();
	register_exit_cleanup();
	LWLockAcquire(members_lock, LW_EXCLUSIVE);
	m = find_member(group, member);
	if (m != NULL && !expired(m, now))
	{
		m->info.last_heartbeat = now;
		m->info.pid = MyProcPid;
		ok = true;
	}
	LWLockRelease(members_lock);
	return ok;
}

bool
LogGroupLeave(const char *group, const char *member)
{
	MemberSlot *m;

	LogextRequirePreload();
	LWLockAcquire(members_lock, LW_EXCLUSIVE);
	m = find_member(group, member);
	if (m != NULL)
		m->in_use = false;
	LWLockRelease(members_lock);
	remember(group, member, false);
	return m != NULL;
}

int
LogGroupRemoveAll(const char *group)
{
	int			n = 0;

	LogextRequirePreload();
	LWLockAcquire(members_lock, LW_EXCLUSIVE);
	for (int i = 0; i < MAX_MEMBERS; i++)
	{
		MemberSlot *m = &members->slots[i];

		if (m->in_use && m->dbid == MyDatabaseId && strcmp(m->info.group, group) == 0)
		{
			m->in_use = false;
			n++;
		}
	}
	LWLockRelease(members_lock);
	remember(group, NULL, false);
	return n;
}

/* the member id this session last joined the group with, or NULL */
const char *
LogGroupMyMember(const char *group)
{
	ListCell   *lc;
	const char *result = NULL;

	foreach(lc, my_memberships)
	{
		MyMembership *mm = lfirst(lc);

		if (strcmp(mm->group, group) == 0)
			result = mm->member;
	}
	return result;
}

static int
member_id_cmp(const void *a, const void *b)
{
	return strcmp((const char *) a, (const char *) b);
}

/*
 * The live members of a group, sorted by member id, read once (for a call
 * that needs the owners of several partitions); LogGroupAssigned() gives
 * a partition's owner.
 */
void
LogGroupAssign(const char *group, LogGroupAssignment *a)
{
	TimestampTz now = GetCurrentTimestamp();
	int			n = 0;

	a->nmembers = 0;
	a->members = NULL;
	if (members == NULL)
		return;
	LWLockAcquire(members_lock, LW_SHARED);
	for (int i = 0; i < MAX_MEMBERS; i++)
	{
		MemberSlot *m = &members->slots[i];

		if (m->in_use && m->dbid == MyDatabaseId &&
			strcmp(m->info.group, group) == 0 && !expired(m, now))
			n++;
	}
	/* (an out-of-memory error here releases the lock on abort) */
	if (n > 0)
		a->members = palloc(sizeof(*a->members) * n);
	for (int i = 0; i < MAX_MEMBERS && a->nmembers < n; i++)
	{
		MemberSlot *m = &members->slots[i];

		if (m->in_use && m->dbid == MyDatabaseId &&
			strcmp(m->info.group, group) == 0 && !expired(m, now))
			strlcpy(a->members[a->nmembers++], m->info.member,
					LOGEXT_MAX_MEMBER_LEN + 1);
	}
	LWLockRelease(members_lock);
	if (a->nmembers > 1)
		qsort(a->members, a->nmembers, sizeof(*a->members), member_id_cmp);
}

/* the member a partition is assigned to, or NULL if the group has none */
const char *
LogGroupAssigned(const LogGroupAssignment *a, int32 partition)
{
	return a->nmembers > 0 ? a->members[partition % a->nmembers] : NULL;
}

/* every member of this database, palloc'd */
int
LogGroupMembers(LogMemberInfo **list)
{
	int			n = 0;

	*list = palloc(sizeof(LogMemberInfo) * MAX_MEMBERS);
	if (members == NULL)
		return 0;
	LWLockAcquire(members_lock, LW_SHARED);
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (members->slots[i].in_use && members->slots[i].dbid == MyDatabaseId)
			(*list)[n++] = members->slots[i].info;
	LWLockRelease(members_lock);
	return n;
}

/* remove members past their session timeout (maintenance worker) */
int
LogGroupExpire(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int			n = 0;

	LWLockAcquire(members_lock, LW_EXCLUSIVE);
	for (int i = 0; i < MAX_MEMBERS; i++)
	{
		MemberSlot *m = &members->slots[i];

		if (m->in_use && expired(m, now))
		{
			m->in_use = false;
			n++;
			ereport(LOG,
					(errmsg("logext: member \"%s\" of consumer group \"%s\" expired after %d ms without heartbeat",
							m->info.member, m->info.group, m->info.session_timeout_ms)));
		}
	}
	LWLockRelease(members_lock);
	return n;
}
