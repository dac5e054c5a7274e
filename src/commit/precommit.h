/*-------------------------------------------------------------------------
 *
 * precommit.h
 *	  Writing pending records at commit; positions of the last commit.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/commit/precommit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_COMMIT_PRECOMMIT_H
#define LOGEXT_COMMIT_PRECOMMIT_H

#include "logext.h"

typedef struct LogPosition
{
	char	   *log_name;
	int32		partition;
	LogOffset	first_offset;
	LogOffset	last_offset;
} LogPosition;

extern void LogPreCommitWrite(void);
extern void LogPreCommitEndXact(bool committed);
extern int	LogLastPositions(LogPosition **positions);

extern void LogPreCommitDefineGucs(void);

#endif							/* LOGEXT_COMMIT_PRECOMMIT_H */
