/*-------------------------------------------------------------------------
 *
 * visibility.c
 *	  The read rule: is a record visible, a hole, or not yet decided?
 *
 * In this order (docs/design.md, "Read path"):
 *	1. frozen -> visible; invalid hint -> hole;
 *	2. xid running for the snapshot (XidInMVCCSnapshot) -> in progress, even
 *	   if the committed hint is set: the caller stops there (log_read) or
 *	   leaves the record out (a plain SQL scan);
 *	3. committed (hint, or clog) -> visible;
 *	4. otherwise the transaction aborted or crashed -> hole.
 * A record exists only once its transaction has an xid in the proc array,
 * so "not running for the snapshot and not committed" means it will never
 * commit.  Offsets are given out at pre-commit but transactions become
 * visible in ProcArrayEndTransaction order; the in-progress check is what
 * keeps a reader from returning offset n+1 before n.
 *
 * Hint bits follow heap's SetHintBits(): the committed hint is not set
 * while the commit record is not yet flushed, and MarkBufferDirtyHint()
 * takes care of checksums / wal_log_hints.  The caller holds a share lock.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/segment/visibility.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xlog.h"
#include "storage/bufmgr.h"
#include "storage/procarray.h"
#include "utils/snapmgr.h"

#include "segment/visibility.h"

static void
set_hint(Buffer buf, uint32 pos, TransactionId xid, uint16 flag)
{
	if (flag == LOG_REC_COMMITTED && BufferIsPermanent(buf))
	{
		XLogRecPtr	commitLSN = TransactionIdGetCommitLSN(xid);

		if (XLogNeedsFlush(commitLSN) && BufferGetLSNAtomic(buf) < commitLSN)
			return;
	}
	LogSetRecordFlags(BufferGetPage(buf), pos, flag);
	MarkBufferDirtyHint(buf, true);
}

LogVisibility
LogRecordVisibility(Buffer buf, uint32 pos, const LogRecordHeader *hdr,
					Snapshot snapshot)
{
	TransactionId xid = hdr->xid;

	if (hdr->flags & LOG_REC_FROZEN)
		return LOG_VISIBLE;
	if (hdr->flags & LOG_REC_INVALID)
		return LOG_SKIP;
	if (snapshot->snapshot_type == SNAPSHOT_ANY)
		return LOG_VISIBLE;

	if (!TransactionIdIsNormal(xid))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("log record at offset " INT64_FORMAT " has invalid transaction id %u",
						hdr->offset, xid)));
	if (snapshot->snapshot_type == SNAPSHOT_MVCC)
	{
		if (XidInMVCCSnapshot(xid, snapshot))
		{
			/* a damaged xid from the future would stop readers for good */
			if (TransactionIdFollowsOrEquals(xid, snapshot->xmax) &&
				TransactionIdFollowsOrEquals(xid, ReadNextTransactionId()))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("log record at offset " INT64_FORMAT " has transaction id %u, which is in the future",
								hdr->offset, xid)));
			return LOG_IN_PROGRESS;
		}
	}
	else if (TransactionIdIsInProgress(xid))
		return LOG_IN_PROGRESS;

	if (hdr->flags & LOG_REC_COMMITTED)
		return LOG_VISIBLE;
	if (TransactionIdDidCommit(xid))
	{
		set_hint(buf, pos, xid, LOG_REC_COMMITTED);
		return LOG_VISIBLE;
	}

	/*
	 * Not committed and not running for the snapshot.  For an MVCC snapshot
	 * that also means it had ended when the snapshot was taken; still, only
	 * set the permanent "invalid" hint once nobody can see it running.
	 */
	if (!TransactionIdIsInProgress(xid))
		set_hint(buf, pos, xid, LOG_REC_INVALID);
	return LOG_SKIP;
}
