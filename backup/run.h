/*
 * A backup run: the volumes copied one after the other (a copy that
 * fails does not stop the others), each copy into the catalog, the
 * status file kept up to date, and one line told per copy.
 */
#ifndef DASPOOL_BACKUP_RUN_H
#define DASPOOL_BACKUP_RUN_H

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "status.h"
#include "tape.h"

struct run {
	const struct backup_config	*conf;
	struct daspool_client		*client;
	struct tape_library		*lib;
	struct catalog			*cat;		/* NULL: none */
	const char			*status_dir;	/* NULL: none */
	FILE				*out;
	volatile sig_atomic_t		*stop;		/* set: no next copy */
	struct backup_status		 st;
	time_t				 told;		/* status last written */
};

/* One volume: 0 copied, 1 skipped (the reason told), -1 failed. */
int	run_copy(struct run *, const char *volume);
/*
 * The volumes named, or (n 0) every volume of the pool the config's
 * include and exclude want, in name order. The run's start and end
 * go into the status file, and the start of a run of every volume
 * into the catalog as "last_run" (what the schedule goes by). 0 when every copy was made or skipped, 1 when one
 * failed, -1 when the run could not go at all (err).
 */
int	run_volumes(struct run *, char *const *volumes, unsigned int n,
	    char *err, size_t errlen);

#endif
