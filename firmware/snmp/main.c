/*
 * daspool-snmp: serves DASPOOL-MIB to a master agent over AgentX from
 * the manager's store, opened read-only.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "subagent.h"


static struct subagent	*main_sa;

static void
usage(int help)
{
	fprintf(help ? stdout : stderr, "usage: %s [-dnv] [-f file]\n"
	    "  -d       stay in the foreground, log to stderr\n"
	    "  -f file  configuration (default %s)\n"
	    "  -n       check the configuration and exit; -nv prints it\n"
	    "  -v       log debug messages\n", SNMP_PROGNAME, SNMP_CONF_FILE);
	exit(help ? 0 : 1);
}

static void
main_signal(int sig)
{
	(void)sig;
	if (main_sa != NULL)
		main_sa->stop = 1;
}

static int
store_file(const struct subagent *sa, struct stat *st)
{
	char	path[4096];

	snprintf(path, sizeof(path), "%s/data.mdb", sa->conf->state_dir);
	return stat(path, st);
}

static void
store_drop(struct subagent *sa)
{
	store_close(sa->store);
	sa->store = NULL;
	memset(&sa->pool, 0, sizeof(sa->pool));
	sa->polled = UINT64_MAX;
}

/* The store's state as the one already told, after an open. */
static int
store_begin_events(struct subagent *sa, char *err, size_t errlen)
{
	struct view	v;
	int		rc;

	if (view_open(&v, sa->store, &sa->pool) != DSP_OK) {
		snprintf(err, errlen, "%s", v.err);
		return -1;
	}
	if ((rc = events_start(sa->events, &v)) != DSP_OK)
		snprintf(err, errlen, "%s", v.err);
	view_close(&v);
	return rc == DSP_OK ? 0 : -1;
}

int
subagent_store(struct subagent *sa)
{
	struct stat	st;
	char		err[512];

	if (store_file(sa, &st) == -1) {
		if (sa->store != NULL)
			log_warnx("store %s is gone", sa->conf->state_dir);
		else if (!sa->waiting_told)
			log_info("waiting for the manager's store in %s",
			    sa->conf->state_dir);
		sa->waiting_told = 1;
		if (sa->store != NULL)
			store_drop(sa);
		return -1;
	}
	/* A restore puts a new file in place: read that one. */
	if (sa->store != NULL && (st.st_dev != sa->store_dev ||
	    st.st_ino != sa->store_ino)) {
		log_info("store %s was replaced: opening it again",
		    sa->conf->state_dir);
		store_drop(sa);
	}
	if (sa->store != NULL)
		return 0;
	if (store_open(&sa->store, sa->conf->state_dir, 1, 0, err,
	    sizeof(err)) != 0) {
		/* Once per reason: a store being made fails a few times. */
		if (strcmp(err, sa->last_error) != 0)
			log_warnx("%s", err);
		snprintf(sa->last_error, sizeof(sa->last_error), "%s", err);
		sa->store = NULL;
		return -1;
	}
	sa->last_error[0] = '\0';
	if (sa->store->missing & (1U << STORE_IDS_TABLE)) {
		log_warnx("store %s was written by an older daspool-mgr: start "
		    "this release's daspool-mgr once to upgrade it",
		    sa->conf->state_dir);
		store_drop(sa);
		return -1;
	}
	if (store_begin_events(sa, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		store_drop(sa);
		return -1;
	}
	sa->store_dev = st.st_dev;
	sa->store_ino = st.st_ino;
	sa->waiting_told = 0;
	log_info("serving the store in %s", sa->conf->state_dir);
	return 0;
}

int
main(int argc, char **argv)
{
	struct snmp_config	conf;
	struct subagent		sa;
	struct sigaction	act;
	const char		*conffile = SNMP_CONF_FILE;
	char			err[512];
	int			ch, debug = 0, noaction = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "df:hnv")) != -1) {
		switch (ch) {
		case 'd': debug = 1; break;
		case 'f': conffile = optarg; break;
		case 'n': noaction = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(1); break;
		default: usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	log_init(SNMP_PROGNAME, 1, verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (snmp_config_load(conffile, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", SNMP_PROGNAME, err);
		return 1;
	}
	if (noaction) {
		if (verbose)
			snmp_config_print(stdout, &conf);
		else
			fprintf(stderr, "configuration OK\n");
		snmp_config_free(&conf);
		return 0;
	}
	log_set_level(verbose ? LOG_LEVEL_DEBUG : conf.log_level);
	if (!debug) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(SNMP_PROGNAME, 0, verbose ? LOG_LEVEL_DEBUG :
		    conf.log_level);
	}
	memset(&sa, 0, sizeof(sa));
	sa.conf = &conf;
	sa.polled = UINT64_MAX;
	sa.backup.dir = conf.backup_catalog;
	if ((sa.events = events_new(conf.store_full_percent)) == NULL)
		fatalx("out of memory");
	main_sa = &sa;
	memset(&act, 0, sizeof(act));
	act.sa_handler = main_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (conf.pidfile[0] != '\0') {
		FILE	*f = fopen(conf.pidfile, "w");

		if (f == NULL)
			fatal("pidfile %s", conf.pidfile);
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	if (agentx_start(&sa, err, sizeof(err)) == -1)
		fatalx("%s", err);
	subagent_store(&sa);
	(void)backup_source_poll(&sa.backup);
	log_info("started: DASPOOL-MIB under enterprises.%u for the master "
	    "agent at %s", conf.enterprise, conf.agentx_socket);
	agentx_run(&sa);
	agentx_stop();
	if (sa.store != NULL)
		store_close(sa.store);
	backup_source_close(&sa.backup);
	events_free(sa.events);
	if (conf.pidfile[0] != '\0')
		unlink(conf.pidfile);
	log_info("stopped");
	snmp_config_free(&conf);
	return 0;
}
