/*-------------------------------------------------------------------------
 *
 * logext.c
 *	  The bottom of the house: whether logext was preloaded, and the error
 *	  for the code paths that need it to be (src/module.c sets the flag).
 *
 * Copyright (c) 2026, logext developers
 *
 * src/logext.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "logext.h"

bool		logext_preloaded = false;

void
LogextRequirePreload(void)
{
	if (!logext_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("logext must be loaded via shared_preload_libraries"),
				 errhint("Add logext to shared_preload_libraries in postgresql.conf and restart the server.")));
}
