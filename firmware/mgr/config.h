/*
 * daspool-mgr configuration (libconfuse), see etc/daspool-mgr.conf.
 * mgr_config_load() parses and checks every value; nothing is opened,
 * so -n works on a machine without the certificates.
 */
#ifndef DASPOOL_MGR_CONFIG_H
#define DASPOOL_MGR_CONFIG_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

#include "gate.h"

#define MGR_CONF_FILE		"/etc/daspool/daspool-mgr.conf"

struct mgr_config {
	char		*listen_address;
	uint16_t	 listen_port;
	char		*state_dir;
	char		*ca;
	char		*cert;
	char		*key;
	char		*crl;			/* "" = none */
	char		*admin_socket;
	char		*admin_group;		/* "" = none */
	gid_t		 admin_gid;		/* valid when has_admin_gid */
	int		 has_admin_gid;
	char		*monitor_group;		/* "" = none: show only */
	gid_t		 monitor_gid;
	int		 has_monitor_gid;
	int		 ticket_lifetime;	/* seconds */
	int		 heartbeat_timeout;	/* seconds */
	struct gate_limits gate;		/* the TLS port's door */
	int		 idle_timeout;		/* s, borrowers and admins */
	uint64_t	 store_map_size;	/* bytes */
	char		*backup_dir;		/* copies of the store; "" = none */
	int		 backup_interval;	/* seconds between copies */
	int		 backup_keep;		/* copies kept */
	char		*ciphers;
	int		 log_level;		/* enum log_level */
	char		*pidfile;		/* "" = none */
	int		 rebuild;		/* table from the lenders */
};

/* 0, or -1 with "file:line: reason" (or "file: reason") in err. */
int	mgr_config_load(const char *path, struct mgr_config *, char *err,
	    size_t errlen);
void	mgr_config_free(struct mgr_config *);
/* Every key as a `key = value` line, in a fixed order. */
void	mgr_config_print(FILE *, const struct mgr_config *);

#endif
