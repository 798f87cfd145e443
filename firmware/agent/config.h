/*
 * daspool-agent configuration (libconfuse), see etc/daspool-agent.conf.
 * agent_config_load() parses and validates; nothing is opened except a
 * stat() of each part's path to tell whether two parts share a file.
 */
#ifndef DASPOOL_AGENT_CONFIG_H
#define DASPOOL_AGENT_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "gate.h"
#include "proto.h"
#include "region.h"

#define AGENT_CONF_FILE		"/etc/daspool/daspool-agent.conf"

/*
 * One `region NAME { ... }` section: path (+ offset, length) is one
 * part; `part { ... }` subsections, joined is set, are the parts in
 * order. A part's length 0 means "to the end of the file or device"
 * (an explicit length of 0 is refused).
 */
struct region_conf {
	char			 name[DSP_NAME_MAX + 1];
	int			 joined;
	unsigned int		 part_count;
	struct region_part	 parts[REGION_PARTS_MAX];
};

struct agent_config {
	char			 server[DSP_NAME_MAX + 1];
	char			*listen_address;
	uint16_t		 listen_port;
	char			*advertise_address;
	char			*manager_address;
	uint16_t		 manager_port;
	char			*ca;
	char			*cert;
	char			*key;
	char			*manager_cert;
	char			*crl;		/* "" = none */
	char			*state_dir;
	int			 heartbeat_interval;	/* seconds */
	struct gate_limits	 gate;		/* the data port's door */
	int			 idle_timeout;	/* s, without a ticket */
	char			*ciphers;	/* NULL: TLS default */
	int			 log_level;		/* enum log_level */
	unsigned int		 region_count;
	struct region_conf	 regions[DSP_MAX_REGIONS];
};

/* 0, or -1 with "file:line: reason" (or "file: reason") in err. */
int	agent_config_load(const char *path, struct agent_config *,
	    char *err, size_t errlen);
void	agent_config_free(struct agent_config *);
/* The config as config syntax that reads back the same. */
void	agent_config_print(FILE *, const struct agent_config *);

#endif
