/*-------------------------------------------------------------------------
 *
 * routing.c
 *	  Partition choice for appended records, compatible with Kafka's
 *	  default partitioner.
 *
 * An explicit partition wins.  A keyed record goes to
 * (murmur2(key bytes) & 0x7fffffff) % partitions, exactly as a Kafka
 * producer's default partitioner computes it, so keys land on the
 * partition a Kafka client would choose.  Records with neither are spread
 * round-robin (per session, starting at a pid-dependent partition).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/partition/routing.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "partition/routing.h"

/* Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) */
uint32
LogMurmur2(const char *data, int len)
{
	const uint32 m = 0x5bd1e995;
	const int	r = 24;
	const unsigned char *p = (const unsigned char *) data;
	uint32		h = 0x9747b28c ^ (uint32) len;
	int			nblocks = len / 4;

	for (int i = 0; i < nblocks; i++)
	{
		uint32		k = (uint32) p[i * 4] |
			((uint32) p[i * 4 + 1] << 8) |
			((uint32) p[i * 4 + 2] << 16) |
			((uint32) p[i * 4 + 3] << 24);

		k *= m;
		k ^= k >> r;
		k *= m;
		h *= m;
		h ^= k;
	}

	p += nblocks * 4;
	switch (len & 3)
	{
		case 3:
			h ^= (uint32) p[2] << 16;
			/* FALLTHROUGH */
		case 2:
			h ^= (uint32) p[1] << 8;
			/* FALLTHROUGH */
		case 1:
			h ^= (uint32) p[0];
			h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

int
LogRoute(LogCacheEntry *log, const char *key, int key_len, bool has_partition,
		 int32 partition)
{
	static uint32 next_spread = 0;
	static bool spread_started = false;

	if (has_partition)
	{
		LogCacheCheckPartition(log, partition);
		return partition;
	}
	if (key_len >= 0)
		return (int) ((LogMurmur2(key, key_len) & 0x7fffffff) % (uint32) log->nparts);
	if (!spread_started)
	{
		next_spread = (uint32) MyProcPid;
		spread_started = true;
	}
	return (int) (next_spread++ % (uint32) log->nparts);
}

PG_FUNCTION_INFO_V1(logext_murmur2);
Datum
logext_murmur2(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_INT32((int32) LogMurmur2(VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data)));
}

PG_FUNCTION_INFO_V1(log_partition_for);
Datum
log_partition_for(PG_FUNCTION_ARGS)
{
	LogCacheEntry *log = LogCacheLookupText(PG_GETARG_TEXT_PP(0));
	text	   *key = PG_GETARG_TEXT_PP(1);

	PG_RETURN_INT32(LogRoute(log, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key),
							 false, 0));
}
