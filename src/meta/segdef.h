/*-------------------------------------------------------------------------
 *
 * segdef.h
 *	  Creating segment relations: the only way a table of the log access
 *	  method comes into being.
 *
 * Copyright (c) 2026, logext developers
 *
 * src/meta/segdef.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LOGEXT_META_SEGDEF_H
#define LOGEXT_META_SEGDEF_H

#include "utils/rel.h"

/* the schema of the extension (logext.control: schema, not relocatable) */
#define LOGEXT_SCHEMA "logext"

extern bool LogSegmentCreationAllowed(Relation rel);
extern bool LogRelationIsRewrite(Relation rel);

#endif							/* LOGEXT_META_SEGDEF_H */
