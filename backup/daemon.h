/*
 * daspool-backup as a daemon: a run of every volume whenever the
 * schedule says one is due since the last (so a run missed while the
 * appliance was off goes at start), until SIGTERM or SIGINT.
 */
#ifndef DASPOOL_BACKUP_DAEMON_H
#define DASPOOL_BACKUP_DAEMON_H

#include <signal.h>
#include <time.h>

#include "schedule.h"

struct daemon_opts {
	const struct schedule	*schedule;
	/* The start of the last run of every volume (0: never). */
	time_t			(*last_run)(void *arg);
	/* One run; nonzero when it could not start (tried again after
	 * retry seconds). */
	int			(*run)(void *arg);
	void			*arg;
	unsigned int		 retry;		/* seconds */
};

/* Set by SIGTERM and SIGINT: the run in progress stops after its copy. */
extern volatile sig_atomic_t	daemon_stop;

/* Until stopped: 0. */
int	backup_daemon(const struct daemon_opts *);

#endif
