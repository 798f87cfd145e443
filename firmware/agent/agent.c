/*
 * One agent's life: check and open what its configuration names, start
 * its data port and its link to the manager, stop and free them.
 * daspool-agent's main runs one; the swarm simulator
 * (tests/tools/dsp_swarm.c) runs many in one process, so nothing here
 * touches process-wide state (signals, the log's destination, exit).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "generations.h"
#include "log.h"
#include "net.h"
#include "records.h"
#include "region.h"
#include "size.h"
#include "tls.h"

/* The certificate must name this server and carry the agent role; the
 * manager certificate must be the manager's. */
static int
agent_check_identity(struct agent *a, char *err, size_t errlen)
{
	const struct agent_config	*conf = a->conf;
	char				 cn[DSP_NAME_MAX + 1];
	int				 role;

	if (tls_cert_identity(conf->cert, cn, sizeof(cn), &role) == -1) {
		snprintf(err, errlen, "cannot read certificate %s", conf->cert);
		return -1;
	}
	if (strcmp(cn, conf->server) != 0) {
		snprintf(err, errlen, "server \"%s\" does not match the CN "
		    "\"%s\" of certificate %s", conf->server, cn, conf->cert);
		return -1;
	}
	if (role != DSP_ROLE_AGENT) {
		snprintf(err, errlen, "certificate %s has role %s; "
		    "daspool-agent needs an agent certificate", conf->cert,
		    dsp_role_name(role));
		return -1;
	}
	if (tls_cert_identity(conf->manager_cert, a->manager_name,
	    sizeof(a->manager_name), &role) == -1) {
		snprintf(err, errlen, "cannot read manager certificate %s",
		    conf->manager_cert);
		return -1;
	}
	if (role != DSP_ROLE_MANAGER) {
		snprintf(err, errlen, "manager_cert %s has role %s, not "
		    "manager", conf->manager_cert, dsp_role_name(role));
		return -1;
	}
	return 0;
}

static void
agent_log_region(const struct region_conf *rc, struct region *r)
{
	char	size[32];

	if (!region_available(r)) {
		log_warnx("region %s unavailable: %s", rc->name,
		    region_reason(r));
		return;
	}
	size_format(region_size(r), size, sizeof(size));
	if (rc->joined)
		log_info("region %s: %u parts from %s on, %s", rc->name,
		    rc->part_count, rc->parts[0].path, size);
	else
		log_info("region %s: %s at offset %llu, %s", rc->name,
		    rc->parts[0].path,
		    (unsigned long long)rc->parts[0].offset, size);
}

static int
agent_open_regions(struct agent *a, char *err, size_t errlen)
{
	const struct region_conf	*rc;
	struct region			*r;
	unsigned int			 i;

	for (i = 0; i < a->conf->region_count; i++) {
		rc = &a->conf->regions[i];
		if ((r = region_open_parts(rc->name, rc->parts,
		    rc->part_count)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		a->regions[a->region_count++] = r;
		agent_log_region(rc, r);
	}
	return 0;
}

static int
agent_tls(struct agent *a, char *err, size_t errlen)
{
	const struct agent_config	*conf = a->conf;
	struct tls_paths		 paths;
	char				 why[256];

	memset(&paths, 0, sizeof(paths));
	paths.ca_file = conf->ca;
	paths.cert_file = conf->cert;
	paths.key_file = conf->key;
	paths.ciphers = conf->ciphers;
	paths.crl_file = conf->crl;
	if ((a->tls_server = tls_config_new(TLS_SIDE_SERVER, &paths, why,
	    sizeof(why))) == NULL ||
	    (a->tls_client = tls_config_new(TLS_SIDE_CLIENT, &paths, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "TLS: %s", why);
		return -1;
	}
	if ((a->verifier = ticket_verifier_new(conf->manager_cert, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "manager_cert: %s", why);
		return -1;
	}
	return 0;
}

/* Opens the state once so that its errors come before a daemon forks;
 * LMDB must be reopened in the process that uses it. */
static int
agent_check_state(const struct agent_config *conf, char *err, size_t errlen)
{
	struct generations	*g;
	struct records		*r;

	if ((g = generations_open(conf->state_dir, err, errlen)) == NULL)
		return -1;
	if ((r = records_open(conf->state_dir, err, errlen)) == NULL) {
		generations_close(g);
		return -1;
	}
	records_close(r);
	generations_close(g);
	return 0;
}

int
agent_open(struct agent *a, char *err, size_t errlen)
{
	const struct agent_config	*conf = a->conf;
	char				 why[256];

	a->listen_fd = -1;
	if (agent_check_identity(a, err, errlen) == -1 ||
	    agent_open_regions(a, err, errlen) == -1 ||
	    agent_check_state(conf, err, errlen) == -1 ||
	    agent_tls(a, err, errlen) == -1)
		return -1;
	if ((a->listen_fd = net_listen(conf->listen_address, conf->listen_port,
	    why, sizeof(why))) == -1) {
		snprintf(err, errlen, "listen on %s:%u: %s",
		    conf->listen_address, conf->listen_port, why);
		return -1;
	}
	a->port = net_local_port(a->listen_fd);
	return 0;
}

int
agent_start(struct agent *a, char *err, size_t errlen)
{
	const struct agent_config	*conf = a->conf;
	int				 fd = a->listen_fd;

	if ((a->generations = generations_open(conf->state_dir, err,
	    errlen)) == NULL ||
	    (a->records = records_open(conf->state_dir, err, errlen)) == NULL)
		return -1;
	log_info("%s: %zu volume generations and %zu volume records from %s",
	    conf->server, generations_count(a->generations),
	    records_count(a->records), conf->state_dir);
	/* The data port takes the socket, also when it fails. */
	a->listen_fd = -1;
	if ((a->serve = serve_start(a, fd, err, errlen)) == NULL)
		return -1;
	log_info("listening on %s:%u, advertised as %s:%u",
	    conf->listen_address, a->port, conf->advertise_address, a->port);
	if ((a->enroll = enroll_start(a, err, errlen)) == NULL)
		return -1;
	return 0;
}

int
agent_stop(struct agent *a)
{
	int	clean;

	clean = serve_stop(a->serve) == 0;
	a->serve = NULL;
	enroll_stop(a->enroll);
	a->enroll = NULL;
	return clean ? 0 : -1;
}

void
agent_free(struct agent *a)
{
	unsigned int	i;

	if (a->listen_fd != -1)
		close(a->listen_fd);
	a->listen_fd = -1;
	records_close(a->records);
	generations_close(a->generations);
	for (i = 0; i < a->region_count; i++)
		region_close(a->regions[i]);
	a->region_count = 0;
	ticket_verifier_free(a->verifier);
	tls_config_free(a->tls_server);
	tls_config_free(a->tls_client);
	a->records = NULL;
	a->generations = NULL;
	a->verifier = NULL;
	a->tls_server = a->tls_client = NULL;
}

/* The CRL is all SIGHUP reads again: a bad new one keeps the list in
 * use (the TLS layer logs why). Other settings need a restart. */
void
agent_reload(struct agent *a)
{
	tls_config_reload_crls(a->tls_server, a->tls_client);
}
