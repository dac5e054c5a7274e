/*-------------------------------------------------------------------------
 *
 * groupsettings.h
 *	  The settings of a consumer group: what it does when its position is
 *	  outside a partition's offsets (Kafka's auto.offset.reset).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/groupsettings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_META_GROUPSETTINGS_H
#define LOGEXT_META_GROUPSETTINGS_H

typedef enum LogOffsetReset
{
	LOG_RESET_EARLIEST,			/* the partition's first offset */
	LOG_RESET_LATEST,			/* its last stable offset */
	LOG_RESET_ERROR				/* an error (LX001) */
} LogOffsetReset;

extern LogOffsetReset LogGroupOffsetReset(const char *group);
extern LogOffsetReset LogParseOffsetReset(const char *policy);
extern void LogSetGroupOffsetReset(const char *group, const char *policy);
extern void LogForgetGroupSettings(const char *group);

#endif							/* LOGEXT_META_GROUPSETTINGS_H */
