/*-------------------------------------------------------------------------
 *
 * relation.c
 *	  Storage-level callbacks of the log access method: creating storage,
 *	  copying it (SET TABLESPACE, database-wide VACUUM FULL), VACUUM
 *	  (freezing), and size estimates.
 *
 * A segment has a fixed column layout, checked when its storage is
 * created.  Only logext creates log-AM relations (meta/segdef.c says
 * which new relation may be created), and a segment's storage is never
 * replaced: relation_set_new_filenode for an existing relation (TRUNCATE,
 * however it reaches the segment: through a parent table, or created in an
 * outer subtransaction of the current transaction) and
 * relation_nontransactional_truncate (TRUNCATE of a relation created in the
 * same subtransaction, am/unsupported.c) are refused, so a segment never
 * loses its metapage and records.
 *
 * VACUUM never removes a record (retention drops whole segments); it
 * freezes committed records older than every snapshot and marks
 * aborted ones invalid for good, WAL-logged per page, so that clog can be
 * truncated and the segment's relfrozenxid advanced.  A page on which no
 * more records can start (a later page exists) and whose records are all
 * decided gets LOG_PAGE_ALL_FROZEN and is skipped from then on.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/am/relation.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/multixact.h"
#include "access/transam.h"
#include "catalog/catalog.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type_d.h"
#include "catalog/storage.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "utils/rel.h"

#include "am/handler.h"
#include "meta/segdef.h"
#include "segment/page.h"
#include "segment/record.h"
#include "segment/xlog.h"

static void
check_layout(Relation rel)
{
	if (!LogRecordDescMatches(RelationGetDescr(rel)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("relation \"%s\" does not have the column layout of a log segment",
						RelationGetRelationName(rel)),
				 errdetail("A log segment has exactly the columns (partition int4, log_offset int8, appended_at timestamptz, key text, value bytea, headers jsonb)."),
				 errhint("Create logs with logext.log_create().")));
}

void
logam_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
								char persistence, TransactionId *freezeXid,
								MultiXactId *minmulti)
{
	SMgrRelation srel;

	/*
	 * heap_create() passes the new relation's own node; TRUNCATE
	 * (RelationSetNewRelfilenode) a fresh one for an existing relation.
	 */
	if (!RelFileNodeEquals(*newrnode, rel->rd_node))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot truncate log segment \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("Replacing the storage of a log segment would lose its records."),
				 errhint("Drop the whole log with logext.log_drop().")));
	if (!LogSegmentCreationAllowed(rel))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot create relation \"%s\" with access method log",
						RelationGetRelationName(rel)),
				 errdetail("Relations of the log access method are log segments, which only logext creates."),
				 errhint("Create logs with logext.log_create().")));
	check_layout(rel);
	if (persistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("log segment \"%s\" must be a permanent relation",
						RelationGetRelationName(rel)),
				 errdetail("Unlogged and temporary logs are not supported.")));

	/* records written from now on have xids >= RecentXmin */
	*freezeXid = RecentXmin;
	*minmulti = GetOldestMultiXactId();
	srel = RelationCreateStorage(*newrnode, persistence, true);
	smgrclose(srel);
}

/* copy all blocks verbatim (ALTER TABLE ... SET TABLESPACE and the like) */
void
logam_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	SMgrRelation dstrel = smgropen(*newrnode, rel->rd_backend);

	FlushRelationBuffers(rel);
	RelationCreateStorage(*newrnode, rel->rd_rel->relpersistence, true);
	RelationCopyStorage(RelationGetSmgr(rel), dstrel, MAIN_FORKNUM,
						rel->rd_rel->relpersistence);
	RelationDropStorage(rel);
	smgrclose(dstrel);
}

/*
 * A database-wide VACUUM FULL reaches log segments too (an explicit one is
 * refused by hooks/guard.c).  There is nothing to compact, so the blocks are
 * copied unchanged into the new storage.
 */
void
logam_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
								Relation OldIndex, bool use_sort,
								TransactionId OldestXmin,
								TransactionId *xid_cutoff,
								MultiXactId *multi_cutoff,
								double *num_tuples, double *tups_vacuumed,
								double *tups_recently_dead)
{
	if (OldIndex != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot CLUSTER log segment \"%s\"",
						RelationGetRelationName(OldTable)),
				 errdetail("Log records are kept in offset order.")));
	FlushRelationBuffers(OldTable);
	RelationCopyStorage(RelationGetSmgr(OldTable), RelationGetSmgr(NewTable),
						MAIN_FORKNUM, OldTable->rd_rel->relpersistence);
	/* nothing was frozen by the copy */
	*xid_cutoff = OldTable->rd_rel->relfrozenxid;
	*multi_cutoff = OldTable->rd_rel->relminmxid;
	*num_tuples = 0;
	*tups_vacuumed = 0;
	*tups_recently_dead = 0;
}

/*
 * Freeze or invalidate the undecided records of one page.  Returns the
 * oldest xid left undecided (or InvalidTransactionId) and counts records.
 */
static TransactionId
freeze_page(Relation rel, Buffer buf, BlockNumber blkno, bool last_page,
			TransactionId cutoff, double *nrecords)
{
	Page		page = BufferGetPage(buf);
	LogPageOpaque opaque;
	xl_logext_freeze_item *items;
	xl_logext_freeze xlrec;
	TransactionId oldest = InvalidTransactionId;
	TransactionId conflict_xid = InvalidTransactionId;
	uint32		pos;
	int			nitems = 0;
	uint16		lower;

	if (PageIsNew(page))
		return InvalidTransactionId;
	LogCheckDataPage(rel, blkno, page);
	opaque = LogPageGetOpaque(page);
	*nrecords += opaque->nrecords;
	if (opaque->flags & LOG_PAGE_ALL_FROZEN)
		return InvalidTransactionId;

	items = palloc(sizeof(xl_logext_freeze_item) * Max(opaque->nrecords, 1));
	lower = ((PageHeader) page)->pd_lower;
	pos = LogPageFirstRecordPos(opaque);
	for (int i = 0; i < opaque->nrecords; i++)
	{
		LogRecordHeader hdr;

		if (pos + LOG_REC_HEADER_SIZE > lower)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("log segment \"%s\" block %u: record %d lies beyond the end of the data",
							RelationGetRelationName(rel), blkno, i)));
		LogReadRecordHeader(page, pos, &hdr);
		if (hdr.length < LOG_REC_HEADER_SIZE + hdr.key_len ||
			hdr.length > LOG_REC_HEADER_SIZE + (uint64) LOGEXT_MAX_RECORD_BYTES ||
			(pos + (uint64) hdr.length > lower && i + 1 < opaque->nrecords))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("log segment \"%s\" block %u: record %d has an invalid length",
							RelationGetRelationName(rel), blkno, i)));
		if ((hdr.flags & (LOG_REC_FROZEN | LOG_REC_INVALID)) == 0 &&
			(!TransactionIdIsNormal(hdr.xid) ||
			 TransactionIdFollowsOrEquals(hdr.xid, ReadNextTransactionId())))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("log segment \"%s\" block %u: record %d has invalid transaction id %u",
							RelationGetRelationName(rel), blkno, i, hdr.xid)));
		if ((hdr.flags & (LOG_REC_FROZEN | LOG_REC_INVALID)) == 0)
		{
			if (TransactionIdPrecedes(hdr.xid, cutoff))
			{
				items[nitems].pos = pos;
				if (TransactionIdDidCommit(hdr.xid))
				{
					items[nitems].flags = LOG_REC_FROZEN | LOG_REC_COMMITTED;
					if (!TransactionIdIsValid(conflict_xid) ||
						TransactionIdPrecedes(conflict_xid, hdr.xid))
						conflict_xid = hdr.xid;
				}
				else
					items[nitems].flags = LOG_REC_INVALID;
				nitems++;
			}
			else if (!TransactionIdIsValid(oldest) ||
					 TransactionIdPrecedes(hdr.xid, oldest))
				oldest = hdr.xid;
		}
		pos = LogRecordAlign((uint32) Min((uint64) pos + hdr.length, (uint64) LOG_PAGE_DATA_END));
	}

	xlrec.conflict_xid = conflict_xid;
	xlrec.nitems = nitems;
	xlrec.page_flags = (!last_page && !TransactionIdIsValid(oldest)) ?
		LOG_PAGE_ALL_FROZEN : 0;
	if (nitems > 0 || xlrec.page_flags != 0)
	{
		START_CRIT_SECTION();
		for (int i = 0; i < nitems; i++)
			LogSetRecordFlags(page, items[i].pos, items[i].flags);
		opaque->flags |= xlrec.page_flags;
		MarkBufferDirty(buf);
		if (RelationNeedsWAL(rel))
			PageSetLSN(page, LogXLogFreeze(buf, &xlrec, items));
		END_CRIT_SECTION();
	}
	pfree(items);
	return oldest;
}

void
logam_relation_vacuum(Relation rel, struct VacuumParams *params,
					  BufferAccessStrategy bstrategy)
{
	TransactionId oldest_xmin;
	TransactionId freeze_limit;
	MultiXactId oldest_mxact;
	MultiXactId mxact_cutoff;
	TransactionId new_frozen;
	BlockNumber nblocks;
	double		nrecords = 0;

	/* an empty relation gets its relfrozenxid advanced like any other */
	vacuum_set_xid_limits(rel, params->freeze_min_age, params->freeze_table_age,
						  params->multixact_freeze_min_age,
						  params->multixact_freeze_table_age,
						  &oldest_xmin, &oldest_mxact, &freeze_limit,
						  &mxact_cutoff);

	/* everything older than every snapshot is decided now */
	new_frozen = oldest_xmin;
	nblocks = RelationGetNumberOfBlocks(rel);
	for (BlockNumber blkno = LOG_FIRST_DATA_BLKNO; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		TransactionId oldest;

		vacuum_delay_point();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blkno, RBM_NORMAL, bstrategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		oldest = freeze_page(rel, buf, blkno, blkno == nblocks - 1,
							 oldest_xmin, &nrecords);
		UnlockReleaseBuffer(buf);
		if (TransactionIdIsValid(oldest) && TransactionIdPrecedes(oldest, new_frozen))
			new_frozen = oldest;
	}

	vac_update_relstats(rel, nblocks, nrecords, 0, false, new_frozen,
						oldest_mxact, NULL, NULL, false);
	ereport(params->log_min_duration >= 0 ? LOG : DEBUG2,
			(errmsg("logext: vacuumed log segment \"%s\": %u pages, %.0f records, relfrozenxid %u",
					RelationGetRelationName(rel), nblocks, nrecords, new_frozen)));
}

uint64
logam_relation_size(Relation rel, ForkNumber forkNumber)
{
	return table_block_relation_size(rel, forkNumber);
}

bool
logam_relation_needs_toast_table(Relation rel)
{
	return false;
}

Oid
logam_relation_toast_am(Relation rel)
{
	return HEAP_TABLE_AM_OID;
}

void
logam_relation_estimate_size(Relation rel, int32 *attr_widths,
							 BlockNumber *pages, double *tuples,
							 double *allvisfrac)
{
	table_block_relation_estimate_size(rel, attr_widths, pages, tuples,
									   allvisfrac, LOG_REC_HEADER_SIZE,
									   LOG_PAGE_CAPACITY);
}
