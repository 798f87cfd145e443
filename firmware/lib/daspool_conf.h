/*
 * The borrower's config file (etc/daspool.conf, libconfuse syntax), for
 * the daspool command and other programs that borrow through libdaspool:
 *
 *	manager_address = "10.0.0.1"	manager_port = 7400
 *	manager_name = "manager"	(CN of the manager's certificate)
 *	ca = "/etc/daspool/ca.crt"	cert = ...	key = ...
 *	crl = "/etc/daspool/crl.pem"	(optional)
 *	state_dir = "/var/lib/daspool"	ciphers = "chacha20-poly1305"
 *	timeout = 30			(seconds)
 */
#ifndef DASPOOL_CONF_H
#define DASPOOL_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "daspool.h"

#define DASPOOL_CONF_PATH	"/etc/daspool/daspool.conf"

/* Strings are malloc'ed; NULL when not set. */
struct daspool_conf {
	char		*manager_host;
	uint16_t	 manager_port;
	char		*manager_name;
	char		*ca;
	char		*cert;
	char		*key;
	char		*crl;
	char		*state_dir;
	char		*ciphers;
	int		 timeout;	/* seconds */
};

/* Empty: everything unset, port DSP_MGR_PORT, timeout 30 s. */
void	daspool_conf_init(struct daspool_conf *);
void	daspool_conf_free(struct daspool_conf *);
/*
 * Reads path over conf (settings in the file replace those in conf).
 * Returns 0, 1 when the file does not exist (conf untouched), or -1 with
 * the file's fault (line and setting) in err.
 */
int	daspool_conf_load(const char *path, struct daspool_conf *, char *err,
	    size_t errlen);
/* Replaces *field with a copy of value; -1 when memory runs out. */
int	daspool_conf_set(char **field, const char *value);
/* Points the options at the conf's settings (valid while conf is). */
void	daspool_conf_options(const struct daspool_conf *,
	    struct daspool_options *);

#endif
