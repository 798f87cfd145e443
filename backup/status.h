/*
 * What the backup is doing, for `daspool-backup status` and the admin
 * shell: a small text file in the catalog's directory, replaced whole
 * (written aside, then renamed) as a run goes, and the lock that keeps
 * two runs from overlapping.
 *
 *	pid 4242
 *	state running			(or idle)
 *	run_started 1764640800
 *	volume Vol-2			(the copy going on)
 *	index 2  total 5		(its place in the run)
 *	copy_started 1764640810
 *	done 8388608  due 16777216	(data bytes; holes are not read)
 *	copied 1  skipped 0  failed 0	(in this run so far)
 *	last_started 1764554400  last_ended 1764554460
 *	last_copied 5  last_skipped 0  last_failed 0
 */
#ifndef DASPOOL_BACKUP_STATUS_H
#define DASPOOL_BACKUP_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

#define STATUS_FILE	"status"
#define STATUS_LOCK	"run.lock"

struct backup_status {
	long		pid;
	int		running;
	uint64_t	run_started;
	char		volume[DSP_NAME_MAX + 1];
	unsigned int	index, total;
	uint64_t	copy_started;
	uint64_t	done, due;
	unsigned int	copied, skipped, failed;
	uint64_t	last_started, last_ended;
	unsigned int	last_copied, last_skipped, last_failed;
};

/* 0, or -1 with err. */
int	status_write(const char *dir, const struct backup_status *, char *err,
	    size_t errlen);
/* 0, 1 when there is none yet, -1 with err. */
int	status_read(const char *dir, struct backup_status *, char *err,
	    size_t errlen);
/* The status for people: what runs now, or the last run. */
void	status_print(FILE *, const struct backup_status *, uint64_t now);

/*
 * The run lock in dir: its fd (held until closed), or -1 with err
 * ("a backup run is going on (pid 4242)" when another holds it).
 */
int	status_lock(const char *dir, char *err, size_t errlen);

#endif
