/*
 * The catalog rebuilt from the tapes alone (daspool-backup scan): every
 * copy found whole on the library's tapes goes into an empty catalog,
 * checked as verify checks it, so a lost appliance loses no copy.
 */
#ifndef DASPOOL_BACKUP_SCAN_H
#define DASPOOL_BACKUP_SCAN_H

#include <stddef.h>
#include <stdio.h>

#include "catalog.h"
#include "tape.h"

struct scan_counts {
	unsigned int	files;		/* tape files read */
	unsigned int	copies;		/* catalogued */
	unsigned int	broken;		/* copies begun on tape, not whole */
};

/*
 * Reads every file of every labelled tape. A copy is a tape file that
 * begins with its RESTORE.txt; one that runs off the end of its tape is
 * followed onto the files that begin with no copy of their own, the one
 * whose bytes carry the archive on and match the MANIFEST. Each copy
 * found (and each that is not whole) gets a line on out. 0, or -1 with
 * err when the library or the catalog fails.
 */
int	scan_library(struct tape_library *, struct catalog *, FILE *out,
	    struct scan_counts *, char *err, size_t errlen);

#endif
