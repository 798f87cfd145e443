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
#include "log.h"

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
	char	err[512];

	if (agent_open(a, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init("daspool-agent", 0, level);
	}
	agent_block_signals();
	if (agent_start(a, err, sizeof(err)) == -1)
		fatalx("%s", err);
	agent_wait(a);
	if (agent_stop(a) == -1) {
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
