/*
 * Retention: a copy expires once it is older than keep_days and its
 * volume has at least keep_copies newer copies; a tape may be written
 * over (relabelled) only when every copy on it has expired. A copy
 * marked bad still counts as a copy of its volume here: whether to
 * keep more is the operator's call after a failed verify.
 */
#ifndef DASPOOL_BACKUP_RETENTION_H
#define DASPOOL_BACKUP_RETENTION_H

#include <time.h>

#include "catalog.h"

struct retention {
	int	keep_days;
	int	keep_copies;
};

/* 1 expired, 0 kept, -1 the catalog could not be read. */
int	retention_expired(struct catalog *, const struct retention *,
	    const struct catalog_copy *, time_t now);
/* 1 when the tape holds no copy under retention, 0 when it does (the
 * first such copy's id in *held), -1 on error. */
int	retention_tape_free(struct catalog *, const struct retention *,
	    const char *label, time_t now, uint64_t *held);

#endif
