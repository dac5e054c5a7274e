/*-------------------------------------------------------------------------
 *
 * consumer.c
 *	  SQL functions of consumer groups: committing and reading offsets,
 *	  reading from the committed position, membership, and the data behind
 *	  the logext.consumer_groups and logext.group_members views.
 *
 * Offsets are committed in the caller's transaction (consumer/offsets.c),
 * so a transaction that reads a batch with log_read_group(), writes its
 * results (tables, or log_append to another log) and calls log_commit()
 * either commits all of it or none: exactly-once consume-transform-produce.
 * log_reset_offsets(..., 'latest') moves a group to the last stable offset
 * (before any commit still in flight), so it never skips a record that is
 * about to become visible.  Room for a committed offset in shared memory is
 * reserved by the call that commits it, so a full table fails that call.
 * Every call that uses a group checks (and on first use claims) the
 * group's owner (meta/groupacl.c) after the rights on the log and
 * before any lock on the group's offsets.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/api/consumer.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "api/read.h"
#include "consumer/compact.h"
#include "consumer/group.h"
#include "consumer/offsets.h"
#include "meta/groupacl.h"
#include "meta/groupsettings.h"
#include "meta/logacl.h"
#include "meta/logcache.h"
#include "segment/writer.h"
#include "shmem.h"

/* a text argument that must not be null; msg is the whole error message */
static char *
text_arg(FunctionCallInfo fcinfo, int argno, const char *msg)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg_internal("%s", _(msg))));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static char *
group_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *group = text_arg(fcinfo, argno, gettext_noop("consumer group name must not be null"));

	LogCheckGroupName(group);
	return group;
}

/*
 * The log argument; reading it is needed for anything a consumer group
 * does with it (committing, resetting or reading offsets, reading records).
 */
static LogCacheEntry *
log_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *name = text_arg(fcinfo, argno, gettext_noop("log name must not be null"));
	LogCacheEntry *log = LogCacheLookup(name);

	LogCheckAccess(log->name, ACL_SELECT);
	return log;
}

static int32
partition_arg(FunctionCallInfo fcinfo, int argno, LogCacheEntry *log)
{
	int32		partition;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("partition must not be null")));
	partition = PG_GETARG_INT32(argno);
	LogCacheCheckPartition(log, partition);
	return partition;
}

/*
 * First offset still in the partition, the next one to be written and, if
 * stable is not NULL, the last stable offset: the first offset of the
 * oldest write still in flight (written at pre-commit, its transaction not
 * yet ended), or the next offset if there is none.  Readers stop at the
 * last stable offset, so a position set past it would skip a record that
 * is about to commit.
 *
 * The next offset and the in-flight writes of the active segment are read
 * together under its partition lock (shared), because a writer advances
 * the one and notes the other under that lock (exclusively).  Writes still
 * in flight in older segments (the partition was rolled meanwhile) were
 * noted before the roll sealed them, so they are found without their locks.
 * No error is raised while the lock is held except by reading a damaged
 * segment end from disk, where abort releases it.
 */
static void
partition_bounds(LogCacheEntry **log, int32 partition, LogOffset *first,
				 LogOffset *next, LogOffset *stable)
{
	/*
	 * For the stable offset the slot is used under its lock, so the segment
	 * is opened in a mode that keeps shmem.c from freeing its slot (a roll
	 * may seal it meanwhile): RowExclusiveLock, as a writer would.
	 */
	LOCKMODE	mode = stable ? RowExclusiveLock : AccessShareLock;
	Relation	rel = LogOpenSegment(log, partition, -1, mode);
	LogPartitionInfo *pi = &(*log)->parts[partition];
	LogPartSlot *slot;
	LogOffset	inflight;
	int			pid;
	TimestampTz since;

	*first = pi->segments[0].base_offset;
	if (stable == NULL)
	{
		*next = LogSegmentNextOffset(rel);
		relation_close(rel, mode);
		return;
	}

	slot = LogSlotGet(RelationGetRelid(rel));
	LWLockAcquire(&slot->lock, LW_SHARED);
	*next = LogSegmentNextOffset(rel);
	*stable = *next;
	if (LogInflightOldest(slot, &inflight, &pid, &since))
		*stable = Min(*stable, inflight);
	LWLockRelease(&slot->lock);
	for (int s = 0; s < pi->nsegments - 1; s++)
	{
		LogPartSlot *old = LogSlotFind(pi->segments[s].relid);

		if (old != NULL && LogInflightOldest(old, &inflight, &pid, &since))
			*stable = Min(*stable, inflight);
	}
	relation_close(rel, mode);
}

/*
 * Where a group reads a partition from: its committed offset, or, if it has
 * none or the offset is below the partition's first offset (removed by
 * retention), what its offset reset policy says.  *policy is read from the
 * catalog only then, once per call.
 */
static LogOffset
group_position(const char *group, LogCacheEntry **log, int32 partition,
			   int *policy)
{
	LogOffset	committed;
	LogOffset	first;
	LogOffset	next;
	LogOffset	stable;
	bool		has = LogOffsetsGet(group, (*log)->log_id, partition, &committed);

	partition_bounds(log, partition, &first, &next, NULL);
	if (has && committed >= first)
		return committed;
	if (*policy < 0)
		*policy = (int) LogGroupOffsetReset(group);
	switch ((LogOffsetReset) *policy)
	{
		case LOG_RESET_LATEST:
			partition_bounds(log, partition, &first, &next, &stable);
			return stable;
		case LOG_RESET_ERROR:
			if (has)
				ereport(ERROR,
						(errcode(ERRCODE_LOGEXT_OFFSET_OUT_OF_RANGE),
						 errmsg("the committed offset " INT64_FORMAT " of consumer group \"%s\" is out of range for partition %d of log \"%s\"",
								committed, group, partition, (*log)->name),
						 errdetail("The partition holds offsets " INT64_FORMAT " to " INT64_FORMAT "; retention removed the records before them.",
								   first, next),
						 errhint("Move the group with logext.log_reset_offsets(), or change its policy with logext.log_group_set_offset_reset().")));
			ereport(ERROR,
					(errcode(ERRCODE_LOGEXT_OFFSET_OUT_OF_RANGE),
					 errmsg("consumer group \"%s\" has no committed offset for partition %d of log \"%s\"",
							group, partition, (*log)->name),
					 errhint("Commit a starting offset with logext.log_commit() or logext.log_reset_offsets(), or change the group's policy with logext.log_group_set_offset_reset().")));
			break;
		case LOG_RESET_EARLIEST:
			break;
	}
	return first;
}

static void
commit_offset(const char *group, LogCacheEntry *log, int32 partition,
			  LogOffset next_offset, bool allow_backwards)
{
	LogOffset	first;
	LogOffset	end;
	LogOffset	current;

	LogextRequirePreload();
	PreventCommandIfReadOnly("log_commit()");
	PreventCommandDuringRecovery("log_commit()");
	if (next_offset < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset " INT64_FORMAT " is negative", next_offset)));
	LogOffsetsLockKey(group, log->log_id, partition);
	partition_bounds(&log, partition, &first, &end, NULL);
	if (next_offset > end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset " INT64_FORMAT " is beyond the end of partition %d of log \"%s\"",
						next_offset, partition, log->name),
				 errdetail("The next offset to be written is " INT64_FORMAT ".", end)));
	if (!allow_backwards &&
		LogOffsetsGet(group, log->log_id, partition, &current) &&
		next_offset < current)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot move the committed offset of group \"%s\" on partition %d of log \"%s\" back from " INT64_FORMAT " to " INT64_FORMAT,
						group, partition, log->name, current, next_offset),
				 errhint("Use logext.log_reset_offsets() to rewind a group.")));
	LogOffsetsCommit(group, log, partition, next_offset);
}

PG_FUNCTION_INFO_V1(log_commit);
Datum
log_commit(PG_FUNCTION_ARGS)
{
	char	   *group = group_arg(fcinfo, 0);
	LogCacheEntry *log = log_arg(fcinfo, 1);
	int32		partition = partition_arg(fcinfo, 2, log);

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("next_offset must not be null")));
	LogCheckGroup(group, true);
	commit_offset(group, log, partition, PG_GETARG_INT64(3), false);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(log_committed);
Datum
log_committed(PG_FUNCTION_ARGS)
{
	char	   *group = group_arg(fcinfo, 0);
	LogCacheEntry *log = log_arg(fcinfo, 1);
	int32		partition = partition_arg(fcinfo, 2, log);
	LogOffset	value;

	if (!LogOffsetsGet(group, log->log_id, partition, &value))
		PG_RETURN_NULL();
	PG_RETURN_INT64(value);
}

PG_FUNCTION_INFO_V1(log_reset_offsets);
Datum
log_reset_offsets(PG_FUNCTION_ARGS)
{
	char	   *group = group_arg(fcinfo, 0);
	LogCacheEntry *log = log_arg(fcinfo, 1);
	char	   *to = text_arg(fcinfo, 2, gettext_noop("to_position must not be null"));
	int32		from_part = 0;
	int32		to_part = log->nparts - 1;
	int64		n = 0;

	if (!PG_ARGISNULL(3))
		from_part = to_part = partition_arg(fcinfo, 3, log);
	/* once, before the first partition's key lock */
	LogCheckGroup(group, true);
	for (int32 p = from_part; p <= to_part; p++)
	{
		LogOffset	first;
		LogOffset	end;
		LogOffset	stable;
		LogOffset	target;
		char	   *endp;

		/* "latest": the last stable offset, not past a commit in flight */
		partition_bounds(&log, p, &first, &end, &stable);
		if (strcmp(to, "earliest") == 0)
			target = first;
		else if (strcmp(to, "latest") == 0)
			target = stable;
		else
		{
			errno = 0;
			target = strtoll(to, &endp, 10);
			if (errno != 0 || *to == '\0' || *endp != '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid position \"%s\"", to),
						 errhint("Use 'earliest', 'latest' or an offset.")));
		}
		commit_offset(group, log, p, target, true);
		n++;
	}
	PG_RETURN_INT64(n);
}

PG_FUNCTION_INFO_V1(log_delete_group);
Datum
log_delete_group(PG_FUNCTION_ARGS)
{
	char	   *group = group_arg(fcinfo, 0);
	LogGroupOffset *list;
	int			n = LogOffsetsList(&list);
	int64		deleted = 0;
	Oid			owner;

	LogextRequirePreload();
	PreventCommandIfReadOnly("log_delete_group()");
	owner = LogCheckGroup(group, false);
	for (int i = 0; i < n; i++)
	{
		LogCacheEntry *log = NULL;
		char	   *name;

		if (strcmp(list[i].group, group) != 0)
			continue;
		name = LogLogName(list[i].log_id);
		if (name == NULL)
			continue;			/* the log was dropped */
		log = LogCacheLookup(name);
		LogCheckAccess(log->name, ACL_SELECT);
		LogOffsetsLockKey(group, log->log_id, list[i].partition);
		LogOffsetsCommit(group, log, list[i].partition, -1);
		deleted++;
	}
	LogGroupRemoveAll(group);
	LogForgetGroupSettings(group);
	LogForgetGroup(group, owner);
	PG_RETURN_INT64(deleted);
}

PG_FUNCTION_INFO_V1(log_read_group);
Datum
log_read_group(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *group = group_arg(fcinfo, 0);
	LogCacheEntry *log = log_arg(fcinfo, 1);
	const char *me;
	int64		max_records;
	int32		wait_ms;
	int32	   *parts;
	LogOffset  *froms;
	int			nparts = 0;
	int			policy = -1;	/* the group's offset reset, once read */
	LogGroupAssignment assignment;
	MemoryContext rowcxt;

	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("max_records and wait_ms must not be null")));
	max_records = PG_GETARG_INT32(3);
	wait_ms = PG_GETARG_INT32(4);
	LogReadCheckArgs(max_records, wait_ms);
	LogCheckGroup(group, true);
	me = LogGroupMyMember(group);

	parts = palloc(sizeof(int32) * log->nparts);
	froms = palloc(sizeof(LogOffset) * log->nparts);
	if (me != NULL)
		LogGroupAssign(group, &assignment);
	if (!PG_ARGISNULL(2))
	{
		int32		p = partition_arg(fcinfo, 2, log);
		const char *owner = me ? LogGroupAssigned(&assignment, p) : NULL;

		if (owner != NULL && strcmp(owner, me) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("partition %d of log \"%s\" is assigned to member \"%s\" of group \"%s\", not to \"%s\"",
							p, log->name, owner, group, me)));
		parts[nparts++] = p;
	}
	else
	{
		for (int32 p = 0; p < log->nparts; p++)
		{
			const char *owner = me ? LogGroupAssigned(&assignment, p) : NULL;

			if (me == NULL || (owner != NULL && strcmp(owner, me) == 0))
				parts[nparts++] = p;
		}
	}

	/* the key locks keep other transactions of the group off these */
	for (int i = 0; i < nparts; i++)
	{
		LogOffsetsLockKey(group, log->log_id, parts[i]);
		froms[i] = group_position(group, &log, parts[i], &policy);
	}

	InitMaterializedSRF(fcinfo, 0);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "logext read row",
								   ALLOCSET_DEFAULT_SIZES);
	/* positions below a partition's first offset: from the earliest */
	if (LogReadPartitions(&log, nparts, parts, froms, true, max_records,
						  GetActiveSnapshot(), rsinfo, rowcxt) == 0)
		LogReadWait(&log, nparts, parts, froms, true, max_records, wait_ms,
					rsinfo, rowcxt);
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(log_join);
Datum
log_join(PG_FUNCTION_ARGS)
{
	char	   *group = group_arg(fcinfo, 0);
	char	   *member = text_arg(fcinfo, 1, gettext_noop("member id must not be null"));

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("session timeout must not be null")));
	LogCheckGroup(group, true);
	LogGroupJoin(group, member, PG_GETARG_INT32(2));
	PG_RETURN_VOID();
}

/* the group of log_heartbeat() and log_leave(), checked, and the member */
static char *
member_args(FunctionCallInfo fcinfo, char **member)
{
	char	   *group = group_arg(fcinfo, 0);

	*member = text_arg(fcinfo, 1, gettext_noop("member id must not be null"));
	LogCheckGroup(group, false);
	return group;
}

PG_FUNCTION_INFO_V1(log_heartbeat);
Datum
log_heartbeat(PG_FUNCTION_ARGS)
{
	char	   *member;
	char	   *group = member_args(fcinfo, &member);

	PG_RETURN_BOOL(LogGroupHeartbeat(group, member));
}

PG_FUNCTION_INFO_V1(log_leave);
Datum
log_leave(PG_FUNCTION_ARGS)
{
	char	   *member;
	char	   *group = member_args(fcinfo, &member);

	PG_RETURN_BOOL(LogGroupLeave(group, member));
}

PG_FUNCTION_INFO_V1(log_group_set_owner);
Datum
log_group_set_owner(PG_FUNCTION_ARGS)
{
	char	   *group = group_arg(fcinfo, 0);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("new owner must not be null")));
	LogextRequirePreload();
	PreventCommandIfReadOnly("log_group_set_owner()");
	PreventCommandDuringRecovery("log_group_set_owner()");
	LogSetGroupOwner(group, PG_GETARG_OID(1));
	PG_RETURN_VOID();
}

/* log_group_set_offset_reset(group, policy): for the group's owner */
PG_FUNCTION_INFO_V1(log_group_set_offset_reset);
Datum
log_group_set_offset_reset(PG_FUNCTION_ARGS)
{
	char	   *group = group_arg(fcinfo, 0);
	char	   *policy = text_arg(fcinfo, 1, gettext_noop("offset_reset must not be null"));

	LogextRequirePreload();
	PreventCommandIfReadOnly("log_group_set_offset_reset()");
	PreventCommandDuringRecovery("log_group_set_offset_reset()");
	(void) LogParseOffsetReset(policy);
	LogCheckGroup(group, true);
	LogSetGroupOffsetReset(group, policy);
	PG_RETURN_VOID();
}

typedef struct GroupAssignmentEntry
{
	char		group[LOGEXT_MAX_GROUP_LEN + 1];	/* hash key */
	LogGroupAssignment assignment;
} GroupAssignmentEntry;

/* (group, log_id, partition, committed offset, owner) for the view */
PG_FUNCTION_INFO_V1(log_group_offsets);
Datum
log_group_offsets(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogGroupOffset *list;
	int			n;
	HASHCTL		ctl;
	HTAB	   *assignments;

	InitMaterializedSRF(fcinfo, 0);
	n = LogOffsetsList(&list);

	/* each group's assignment once */
	ctl.keysize = LOGEXT_MAX_GROUP_LEN + 1;
	ctl.entrysize = sizeof(GroupAssignmentEntry);
	ctl.hcxt = CurrentMemoryContext;
	assignments = hash_create("logext group assignments", 64, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (int i = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};
		GroupAssignmentEntry *entry;
		bool		found;
		const char *owner;

		entry = hash_search(assignments, list[i].group, HASH_ENTER, &found);
		if (!found)
			LogGroupAssign(list[i].group, &entry->assignment);
		owner = LogGroupAssigned(&entry->assignment, list[i].partition);
		values[0] = CStringGetTextDatum(list[i].group);
		values[1] = Int32GetDatum(list[i].log_id);
		values[2] = Int32GetDatum(list[i].partition);
		values[3] = Int64GetDatum(list[i].next_offset);
		if (owner != NULL)
			values[4] = CStringGetTextDatum(owner);
		else
			nulls[4] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	hash_destroy(assignments);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(log_group_members);
Datum
log_group_members(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LogMemberInfo *list;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = LogGroupMembers(&list);
	for (int i = 0; i < n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = CStringGetTextDatum(list[i].group);
		values[1] = CStringGetTextDatum(list[i].member);
		values[2] = Int32GetDatum(list[i].pid);
		values[3] = TimestampTzGetDatum(list[i].joined_at);
		values[4] = TimestampTzGetDatum(list[i].last_heartbeat);
		values[5] = Int32GetDatum(list[i].session_timeout_ms);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(log_compact_offsets);
Datum
log_compact_offsets(PG_FUNCTION_ARGS)
{
	PreventCommandIfReadOnly("log_compact_offsets()");
	PG_RETURN_INT64(LogOffsetsCompact(PG_GETARG_BOOL(0)));
}
