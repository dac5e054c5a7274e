/*-------------------------------------------------------------------------
 *
 * offsetkey.h
 *	  Keys, version lists and records of committed consumer-group offsets:
 *	  the types every file of the offsets module works with.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/offsetkey.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_OFFSETKEY_H
#define LOGEXT_CONSUMER_OFFSETKEY_H

#include "access/transam.h"

#include "logext.h"

#define LOGEXT_MAX_GROUP_LEN	100
#define LOGEXT_OFFSETS_LOG		"__consumer_offsets"

#define OFFSET_VERSIONS		4
#define LOADED_MARKER		(-1)	/* log_id of the per-database marker, and
									 * of the seed marker record */
#define NO_OFFSET			(-1)	/* value of a deleted (reset) key */

typedef struct OffsetKey
{
	Oid			dbid;
	Oid			olog;			/* logext.logs: keeps apart a re-created
								 * extension's offsets */
	int32		log_id;
	int32		partition;
	char		group[LOGEXT_MAX_GROUP_LEN + 1];
} OffsetKey;

typedef struct OffsetVersion
{
	TransactionId xid;
	LogOffset	value;
} OffsetVersion;

typedef struct OffsetEntry
{
	OffsetKey	key;
	Oid			owner;			/* role that created it; InvalidOid if it
								 * was rebuilt from the log */
	TransactionId reserved_by;	/* last transaction that reserved it */
	int			nversions;
	OffsetVersion versions[OFFSET_VERSIONS];	/* oldest first */
} OffsetEntry;

/* value of a record in the offsets log */
typedef struct OffsetRecord
{
	int32		log_id;
	int32		partition;
	LogOffset	next_offset;
} OffsetRecord;

/* one committed offset, as listed by logext.consumer_groups */
typedef struct LogGroupOffset
{
	char		group[LOGEXT_MAX_GROUP_LEN + 1];
	int32		log_id;
	int32		partition;
	LogOffset	next_offset;
} LogGroupOffset;

extern void LogCheckGroupName(const char *group);
extern Oid	OffsetsInstallation(void);
extern void OffsetKeyInit(OffsetKey *key, Oid olog, const char *group,
						  int32 log_id, int32 partition);
extern void OffsetKeyMake(OffsetKey *key, const char *group, int32 log_id,
						  int32 partition);
extern void OffsetVersionsPrune(OffsetVersion *versions, int *nversions);
extern bool OffsetVersionsAdd(OffsetVersion *versions, int *nversions,
							  TransactionId xid, LogOffset value);
extern bool OffsetVersionsResolve(const OffsetVersion *versions, int n,
								  LogOffset *value);

#endif							/* LOGEXT_CONSUMER_OFFSETKEY_H */
