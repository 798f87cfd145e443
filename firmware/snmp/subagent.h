/*
 * daspool-snmp: the AgentX subagent that serves DASPOOL-MIB from the
 * manager's store, opened read-only, and sends its notifications
 * through the master agent.
 *
 *   main.c       options, config, the loop
 *   agentx.c     net-snmp: registration, the request handler, traps
 *   objects.c, pool.c, rows.c   the MIB's objects (objects.h)
 *   backup_objects.c, backup_source.c   the backup's (objects.h)
 *   events.c     notifications from the audit trail (events.h)
 */
#ifndef DASPOOL_SNMP_SUBAGENT_H
#define DASPOOL_SNMP_SUBAGENT_H

#include <sys/types.h>

#include "events.h"
#include "objects.h"
#include "snmp_config.h"

struct subagent {
	const struct snmp_config *conf;
	struct store		*store;		/* NULL until it opens */
	dev_t			 store_dev;	/* of data.mdb, to see a */
	ino_t			 store_ino;	/* restore replace it */
	struct pool_figures	 pool;
	struct backup_source	 backup;
	uint64_t		 polled;	/* change counter last polled;
						 * UINT64_MAX: none yet */
	struct events		*events;
	int			 connected;	/* to the master agent */
	int			 waiting_told;	/* "waiting for the store" */
	char			 last_error[512];	/* told already */
	volatile int		 stop;
};

/* agentx.c: 0, or -1 with err. */
int	agentx_start(struct subagent *, char *err, size_t errlen);
/* Serves requests and polls the store until sa->stop. */
void	agentx_run(struct subagent *);
void	agentx_stop(void);

/* main.c: opens the store when it is there (again, after a restore);
 * 0 when open. */
int	subagent_store(struct subagent *);

#endif
