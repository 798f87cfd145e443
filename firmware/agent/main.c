/*
 * daspool-agent: lends this server's regions. Registers them with the
 * manager and serves them over TLS to borrowers holding a ticket.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: daspool-agent [-dnv] [-f config]\n"
"Lends this server's regions to the daspool pool.\n"
"\n"
"  -f config   configuration file (default " AGENT_CONF_FILE ")\n"
"  -d          stay in the foreground and log to stderr\n"
"  -v          log debug messages; with -n, print the parsed configuration\n"
"  -n          check the configuration and exit\n"
"  --help      show this help\n");
}

/* The certificate must name this server and carry the agent role; the
 * manager certificate must be the manager's. */
static void
agent_check_identity(struct agent *a)
{
	const struct agent_config	*conf = a->conf;
	char				 cn[DSP_NAME_MAX + 1];
	int				 role;

	if (tls_cert_identity(conf->cert, cn, sizeof(cn), &role) == -1)
		fatalx("cannot read certificate %s", conf->cert);
	if (strcmp(cn, conf->server) != 0)
		fatalx("server \"%s\" does not match the CN \"%s\" of "
		    "certificate %s", conf->server, cn, conf->cert);
	if (role != DSP_ROLE_AGENT)
		fatalx("certificate %s has role %s; daspool-agent needs an "
		    "agent certificate", conf->cert, dsp_role_name(role));
	if (tls_cert_identity(conf->manager_cert, a->manager_name,
	    sizeof(a->manager_name), &role) == -1)
		fatalx("cannot read manager certificate %s", conf->manager_cert);
	if (role != DSP_ROLE_MANAGER)
		fatalx("manager_cert %s has role %s, not manager",
		    conf->manager_cert, dsp_role_name(role));
}

static void
agent_open_regions(struct agent *a)
{
	const struct region_conf	*rc;
	struct region			*r;
	char				 size[32];
	unsigned int			 i;

	for (i = 0; i < a->conf->region_count; i++) {
		rc = &a->conf->regions[i];
		if ((r = region_open_parts(rc->name, rc->parts,
		    rc->part_count)) == NULL)
			fatalx("out of memory");
		a->regions[a->region_count++] = r;
		if (region_available(r)) {
			size_format(region_size(r), size, sizeof(size));
			if (rc->joined)
				log_info("region %s: %u parts from %s on, %s",
				    rc->name, rc->part_count,
				    rc->parts[0].path, size);
			else
				log_info("region %s: %s at offset %llu, %s",
				    rc->name, rc->parts[0].path,
				    (unsigned long long)rc->parts[0].offset,
				    size);
		} else
			log_warnx("region %s unavailable: %s", rc->name,
			    region_reason(r));
	}
}

static void
agent_tls(struct agent *a)
{
	const struct agent_config	*conf = a->conf;
	struct tls_paths		 paths;
	char				 err[256];

	memset(&paths, 0, sizeof(paths));
	paths.ca_file = conf->ca;
	paths.cert_file = conf->cert;
	paths.key_file = conf->key;
	paths.ciphers = conf->ciphers;
	paths.crl_file = conf->crl;
	if ((a->tls_server = tls_config_new(TLS_SIDE_SERVER, &paths, err,
	    sizeof(err))) == NULL ||
	    (a->tls_client = tls_config_new(TLS_SIDE_CLIENT, &paths, err,
	    sizeof(err))) == NULL)
		fatalx("TLS: %s", err);
	if ((a->verifier = ticket_verifier_new(conf->manager_cert, err,
	    sizeof(err))) == NULL)
		fatalx("manager_cert: %s", err);
}

/* Opens the state once before forking so its errors reach the
 * terminal; LMDB must be reopened in the process that uses it. */
static void
agent_check_state(const struct agent_config *conf)
{
	struct generations	*g;
	struct records		*r;
	char			 err[256];

	if ((g = generations_open(conf->state_dir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((r = records_open(conf->state_dir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	records_close(r);
	generations_close(g);
}

static void
agent_free(struct agent *a)
{
	unsigned int	i;

	records_close(a->records);
	generations_close(a->generations);
	for (i = 0; i < a->region_count; i++)
		region_close(a->regions[i]);
	ticket_verifier_free(a->verifier);
	tls_config_free(a->tls_server);
	tls_config_free(a->tls_client);
}

/* The CRL is all SIGHUP reads again: a bad new one keeps the list in
 * use (the TLS layer logs why). Other settings need a restart. */
static void
agent_reload(struct agent *a)
{
	const char	*crl = tls_config_crl_file(a->tls_server);

	if (crl == NULL) {
		log_info("SIGHUP: no CRL configured, nothing to read again; "
		    "restart to change the configuration");
		return;
	}
	log_info("SIGHUP: reading the CRL %s again", crl);
	(void)tls_config_reload_crl(a->tls_server);
	(void)tls_config_reload_crl(a->tls_client);
}

static void
agent_wait(struct agent *a)
{
	sigset_t	set;
	int		sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		agent_reload(a);
	}
	log_info("stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
agent_block_signals(void)
{
	sigset_t	set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Threads inherit the mask; only agent_wait sees these. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int
agent_run(struct agent *a, int foreground, int level)
{
	const struct agent_config	*conf = a->conf;
	struct serve			*srv;
	struct enroll			*enr;
	char				 err[256];
	int				 fd, clean;

	agent_check_identity(a);
	agent_open_regions(a);
	agent_check_state(conf);
	agent_tls(a);
	if ((fd = net_listen(conf->listen_address, conf->listen_port, err,
	    sizeof(err))) == -1)
		fatalx("listen on %s:%u: %s", conf->listen_address,
		    conf->listen_port, err);
	a->port = net_local_port(fd);
	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init("daspool-agent", 0, level);
	}
	agent_block_signals();
	if ((a->generations = generations_open(conf->state_dir, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((a->records = records_open(conf->state_dir, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("%s: %zu volume generations and %zu volume records from %s",
	    conf->server, generations_count(a->generations),
	    records_count(a->records), conf->state_dir);
	if ((srv = serve_start(a, fd, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("listening on %s:%u, advertised as %s:%u",
	    conf->listen_address, a->port, conf->advertise_address, a->port);
	if ((enr = enroll_start(a, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	agent_wait(a);
	clean = serve_stop(srv) == 0;
	enroll_stop(enr);
	if (!clean) {
		/* Connection threads still use the agent state. */
		log_info("stopped");
		exit(0);
	}
	agent_free(a);
	log_info("stopped");
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct agent_config	 conf;
	struct agent		 agent;
	const char		*path = AGENT_CONF_FILE;
	char			 err[512];
	int			 ch, foreground = 0, verbose = 0, noaction = 0;
	int			 rc, level;

	while ((ch = getopt_long(argc, argv, "df:hnv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (agent_config_load(path, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "daspool-agent: %s\n", err);
		return 1;
	}
	if (noaction) {
		if (verbose)
			agent_config_print(stdout, &conf);
		else
			fprintf(stderr, "configuration OK\n");
		agent_config_free(&conf);
		return 0;
	}
	level = verbose ? LOG_LEVEL_DEBUG : conf.log_level;
	log_init("daspool-agent", 1, level);
	memset(&agent, 0, sizeof(agent));
	agent.conf = &conf;
	rc = agent_run(&agent, foreground, level);
	agent_config_free(&conf);
	return rc;
}
