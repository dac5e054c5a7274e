/*-------------------------------------------------------------------------
 *
 * eoxact.c
 *	  End-of-transaction dispatch: the one transaction and subtransaction
 *	  callback of logext, which calls each module's end-of-transaction
 *	  work in a fixed order (like PostgreSQL's AtEOXact_* calls).
 *
 * Order at pre-commit: the work that may still fail and writes nothing of
 * the logs first (claims of consumer groups), then the pre-commit write of
 * the records, then the consumer offsets' own pre-commit step.  At commit
 * and abort nothing may fail: the pre-commit writer wakes readers and
 * forgets its in-flight entries, then the pending appends, the offsets
 * cache, the rolls, a restore under way and the group claims forget this
 * transaction.  Two-phase commit is refused for anything that wrote.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/eoxact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"

#include "commit/pending.h"
#include "commit/precommit.h"
#include "consumer/offsetxact.h"
#include "dump/dump.h"
#include "eoxact.h"
#include "meta/groupacl.h"
#include "partition/roll.h"

/* commit, abort, or prepare (where nothing of ours is prepared) */
static void
end_of_xact(bool committed)
{
	LogPreCommitEndXact(committed);
	LogPendingForget();
	LogOffsetsEndXact();
	LogRollEndXact(committed);
	LogRestoreForget();
	LogGroupAclAtEOXact();
}

static void
xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			LogGroupAclAtPreCommit();
			LogPreCommitWrite();
			LogOffsetsPreCommit();
			break;
		case XACT_EVENT_PRE_PREPARE:
			LogRestoreAtPrePrepare();
			if (!LogPendingIsEmpty() || LogOffsetsPending() || LogRollPending())
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot prepare a transaction that appended to a log"),
						 errdetail("Log records and consumer offsets are written at commit; two-phase commit is not supported yet."),
						 errhint("Commit the appends in a transaction of their own.")));
			break;
		case XACT_EVENT_PREPARE:
			end_of_xact(false);
			break;
		case XACT_EVENT_COMMIT:
			end_of_xact(true);
			break;
		case XACT_EVENT_ABORT:
			end_of_xact(false);
			break;
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			LogRestoreForget();
			LogGroupAclAtEOXact();
			break;
		default:
			break;
	}
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	switch (event)
	{
		case SUBXACT_EVENT_ABORT_SUB:
			LogPendingSubAbort(mySubid);
			LogOffsetsSubAbort(mySubid);
			LogRollSubAbort(mySubid);
			/* a restore continues only in the subtransaction that began it */
			LogRestoreForget();
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
			LogPendingSubCommit(mySubid, parentSubid);
			LogOffsetsSubCommit(mySubid, parentSubid);
			LogRollSubCommit(mySubid, parentSubid);
			break;
		default:
			break;
	}
}

void
LogXactInit(void)
{
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
}
