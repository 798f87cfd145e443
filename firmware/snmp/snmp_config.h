/*
 * daspool-snmp configuration (libconfuse), see etc/daspool-snmp.conf.
 * snmp_config_load() parses and checks every value; nothing is opened,
 * so -n works before the manager or snmpd is installed.
 */
#ifndef DASPOOL_SNMP_SNMP_CONFIG_H
#define DASPOOL_SNMP_SNMP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#define SNMP_CONF_FILE		"/etc/daspool/daspool-snmp.conf"
#define SNMP_PROGNAME		"daspool-snmp"
/* RFC 5612's enterprise number for documentation. */
#define SNMP_ENTERPRISE		32473
/* daspool-backup.conf's catalog. */
#define SNMP_BACKUP_CATALOG	"/var/lib/daspool/backup/catalog"

struct snmp_config {
	char		*state_dir;		/* the manager's store */
	char		*agentx_socket;		/* the master agent's */
	uint32_t	 enterprise;		/* the MIB's root */
	int		 ping_interval;		/* s: AgentX pings, reconnects */
	int		 poll_interval;		/* ms between store polls */
	int		 store_full_percent;	/* dspStoreNearlyFull from */
	int		 log_level;		/* enum log_level */
	char		*pidfile;		/* "" = none */
	char		*backup_catalog;	/* "" = no backup objects */
};

/* 0, or -1 with "file:line: reason" (or "file: reason") in err. */
int	snmp_config_load(const char *path, struct snmp_config *, char *err,
	    size_t errlen);
void	snmp_config_free(struct snmp_config *);
/* Every key as a `key = value` line, in a fixed order. */
void	snmp_config_print(FILE *, const struct snmp_config *);

#endif
