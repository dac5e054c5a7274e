/*-------------------------------------------------------------------------
 *
 * logext.h
 *	  Extension-wide constants and small shared typedefs.
 *
 * logext keeps Kafka-style logs inside PostgreSQL: a log has a fixed number
 * of partitions, each partition is a chain of segment relations of the
 * "log" table access method, and every record gets a dense 64-bit offset
 * when its transaction commits (see commit/precommit.c).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/logext.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_LOGEXT_H
#define LOGEXT_LOGEXT_H

/* offsets within a partition: 0, 1, 2, ... */
typedef int64 LogOffset;

#define InvalidLogOffset	((LogOffset) -1)

/* the largest key we store (the record header keeps a 16-bit length) */
#define LOGEXT_MAX_KEY_LEN	PG_UINT16_MAX

/*
 * The largest key + headers + value of one record: 1 GB less 1 MB, so that
 * the record always fits in a row of log_read() (a palloc'd tuple is at most
 * MaxAllocSize, 1 GB - 1) with room to spare for the other columns.
 */
#define LOGEXT_MAX_RECORD_BYTES	((uint32) (1024 * 1024 * 1023))

/*
 * SQLSTATE of a read outside a partition's offsets (Kafka's
 * OFFSET_OUT_OF_RANGE), in a class the SQL standard leaves to
 * implementations.
 */
#define ERRCODE_LOGEXT_OFFSET_OUT_OF_RANGE	MAKE_SQLSTATE('L','X','0','0','1')

/* partitions of one log (log_create checks the same bound) */
#define LOGEXT_MAX_PARTITIONS	4096

/* set while logext.so is being preloaded; shared state exists only then */
extern bool logext_preloaded;

extern void LogextRequirePreload(void);

#endif							/* LOGEXT_LOGEXT_H */
