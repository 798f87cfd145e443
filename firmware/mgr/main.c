/*
 * daspool-mgr: the management server. Reads its config, opens the LMDB
 * virtual disk table, listens for agents, borrowers and admins, reads
 * its CRL again on SIGHUP, and stops cleanly on SIGTERM or SIGINT.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "mgr.h"
#include "store.h"
#include "ticket.h"
#include "tls.h"

#define MGR_PROGNAME	"daspool-mgr"

static void __attribute__((noreturn))
usage(int full)
{
	FILE	*f = full ? stdout : stderr;

	fprintf(f, "usage: %s [-dnv] [-f file] [--rebuild | --restore file "
	    "[--force]]\n", MGR_PROGNAME);
	if (full)
		fprintf(f,
		    "\n"
		    "The daspool management server: keeps the virtual disk "
		    "table, lends\nvolumes, signs mount tickets and revokes "
		    "them.\n\n"
		    "  -f file  configuration file (default %s)\n"
		    "  -d       stay in the foreground and log to stderr\n"
		    "  -n       check the configuration and exit; with -v, "
		    "print it\n"
		    "  -v       log debug messages\n"
		    "  --rebuild\n"
		    "           rebuild the table from the lenders' records "
		    "(an empty\n"
		    "           store only; the same as rebuild = yes)\n"
		    "  --restore file\n"
		    "           start from a copy of the store (with -n, only "
		    "check it)\n"
		    "  --force  with --restore: keep the store found in "
		    "state_dir aside\n"
		    "  --help   this text\n", MGR_CONF_FILE);
	exit(full ? 0 : 1);
}

static void
mgr_pidfile(const char *path)
{
	FILE	*f;

	if (path[0] == '\0')
		return;
	if ((f = fopen(path, "w")) == NULL) {
		log_warn("pidfile %s", path);
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) == EOF)
		log_warn("pidfile %s", path);
}

/* TLS, the ticket key, and a trial open of the store: every error a
 * typo in the config can cause shows on the terminal. */
static void
mgr_load(struct mgr *m, const struct mgr_config *conf)
{
	struct tls_paths	 paths;
	struct store		*s;
	char			 err[512], cn[DSP_NAME_MAX + 1];
	size_t			 upgraded;
	int			 role;
	uint32_t		 schema;

	memset(&paths, 0, sizeof(paths));
	paths.ca_file = conf->ca;
	paths.cert_file = conf->cert;
	paths.key_file = conf->key;
	paths.ciphers = conf->ciphers;
	paths.crl_file = conf->crl;
	if (tls_cert_identity(conf->cert, cn, sizeof(cn), &role) == -1)
		fatalx("cannot read certificate %s", conf->cert);
	if (role != DSP_ROLE_MANAGER)
		fatalx("certificate %s has role %s, not manager", conf->cert,
		    dsp_role_name(role));
	if ((m->tls_server = tls_config_new(TLS_SIDE_SERVER, &paths, err,
	    sizeof(err))) == NULL ||
	    (m->tls_client = tls_config_new(TLS_SIDE_CLIENT, &paths, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((m->signer = ticket_signer_new(conf->key, err,
	    sizeof(err))) == NULL)
		fatalx("ticket key: %s", err);
	/* LMDB must not cross a fork: open it for real afterwards. */
	if (store_open(&s, conf->state_dir, 0, (size_t)conf->store_map_size,
	    err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (m->rebuild && store_rebuild_begin(s, (uint64_t)time(NULL), err,
	    sizeof(err)) != DSP_OK)
		fatalx("%s", err);
	if (store_upgrade(s, &schema, err, sizeof(err)) != DSP_OK ||
	    store_records_upgrade(s, &upgraded, err, sizeof(err)) != DSP_OK)
		fatalx("%s", err);
	if (schema < STORE_SCHEMA_VERSION)
		log_info("a store of schema %u is upgraded to %u: its indexes "
		    "are built", schema, STORE_SCHEMA_VERSION);
	if (upgraded > 0)
		log_info("%zu volumes of an older store get records on their "
		    "lenders", upgraded);
	store_close(s);
}

/* The CRL is all SIGHUP reads again: a bad new one keeps the list in
 * use (the TLS layer logs why). Other settings need a restart. */
static void
mgr_reload(struct mgr *m)
{
	tls_config_reload_crls(m->tls_server, m->tls_client);
}

static void
mgr_wait(struct mgr *m, const sigset_t *stop)
{
	int	sig;

	for (;;) {
		if (sigwait(stop, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			mgr_reload(m);
			continue;
		}
		log_info("stopping on %s", strsignal(sig));
		break;
	}
}

static void
mgr_shutdown(struct mgr *m)
{
	/* Connection threads still busy use everything below. */
	if (control_close(m->control) == -1)
		return;
	copies_stop(m->copies);
	push_free(m->push);
	agents_stop(m->agents);
	split_watch_free(m->split_watch);
	store_close(m->store);
	ticket_signer_free(m->signer);
	tls_config_free(m->tls_client);
	tls_config_free(m->tls_server);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "rebuild", no_argument, NULL, 'B' },
		{ "restore", required_argument, NULL, 'R' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct mgr_config	 conf;
	struct mgr		 m;
	const char		*conffile = MGR_CONF_FILE, *restore = NULL;
	sigset_t		 stop;
	char			 err[512];
	int			 ch, debug = 0, noaction = 0, verbose = 0, level;
	int			 force = 0, rebuild = 0;

	while ((ch = getopt_long(argc, argv, "df:nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'B':
			rebuild = 1;
			break;
		case 'h':
			usage(1);
		case 'R':
			restore = optarg;
			break;
		case 'F':
			force = 1;
			break;
		default:
			usage(0);
		}
	}
	if (optind != argc || (force && restore == NULL) ||
	    (rebuild && restore != NULL))
		usage(0);

	log_init(MGR_PROGNAME, 1, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (mgr_config_load(conffile, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", MGR_PROGNAME, err);
		return 1;
	}
	if (restore != NULL && conf.rebuild) {
		fprintf(stderr, "%s: %s: rebuild = yes and --restore exclude "
		    "each other: a restore starts from a copy, a rebuild from "
		    "an empty store\n", MGR_PROGNAME, conffile);
		mgr_config_free(&conf);
		return 1;
	}
	/* Before the trial open, which would make an empty store. */
	if (restore != NULL && (noaction ? restore_check(restore,
	    conf.state_dir, force, err, sizeof(err)) : restore_store(restore,
	    conf.state_dir, conf.store_map_size, force, err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "%s: %s\n", MGR_PROGNAME, err);
		mgr_config_free(&conf);
		return 1;
	}
	if (noaction) {
		if (verbose)
			mgr_config_print(stdout, &conf);
		else
			fprintf(stderr, "configuration OK\n");
		mgr_config_free(&conf);
		return 0;
	}
	level = verbose ? LOG_LEVEL_DEBUG : conf.log_level;
	log_set_level(level);

	/* Signals go to sigwait() in this thread only. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&m, 0, sizeof(m));
	m.conf = &conf;
	m.uid = getuid();
	m.rebuild = rebuild || conf.rebuild;
	mgr_load(&m, &conf);
	if ((m.control = control_open(&m, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (!debug) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(MGR_PROGNAME, 0, level);
	}
	mgr_pidfile(conf.pidfile);
	if (store_open(&m.store, conf.state_dir, 0,
	    (size_t)conf.store_map_size, err, sizeof(err)) != 0 ||
	    store_manager_started(m.store, DASPOOL_RELEASE,
	    (uint64_t)time(NULL), err, sizeof(err)) != DSP_OK)
		fatalx("%s", err);
	if ((m.split_watch = split_watch_new()) == NULL ||
	    (m.agents = agents_start(&m)) == NULL ||
	    (m.push = push_new(&m)) == NULL)
		fatalx("cannot start: out of memory or threads");
	/* Holds of backups from before a restart run out like any other. */
	__atomic_store_n(&m.split_rescan, 1, __ATOMIC_RELEASE);
	if ((m.copies = copies_start(&m)) == NULL)
		fatalx("cannot start copying the store: out of memory or "
		    "threads");
	if (control_start(m.control, err, sizeof(err)) == -1)
		fatalx("%s", err);
	log_info("manager %s started: state in %s, tickets valid %d s%s",
	    tls_config_own_name(m.tls_server), conf.state_dir,
	    conf.ticket_lifetime, m.rebuild ? "; rebuilding the table from "
	    "the lenders' records" : "");

	mgr_wait(&m, &stop);
	mgr_shutdown(&m);
	if (conf.pidfile[0] != '\0')
		unlink(conf.pidfile);
	log_info("stopped");
	mgr_config_free(&conf);
	return 0;
}
