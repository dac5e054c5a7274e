/*-------------------------------------------------------------------------
 *
 * compact.h
 *	  Compaction of the consumer offsets log.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/consumer/compact.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_CONSUMER_COMPACT_H
#define LOGEXT_CONSUMER_COMPACT_H


extern int64 LogOffsetsCompact(bool force);
extern void LogOffsetsCompactDefineGucs(void);

#endif							/* LOGEXT_CONSUMER_COMPACT_H */
