/*
 * dsp_swarm: one process that plays many lending servers against a real
 * manager, for the tests and the bench of a large pool. Each server is
 * a real agent (firmware/agent/agent.c: its TLS data port, its manager
 * link, its LMDB state) with its own certificate, config, state_dir,
 * sparse region files and loopback address; the servers share the
 * process, its log and small thread stacks.
 *
 *   dsp_swarm --dir DIR --pki PKIDIR --count N --manager HOST:PORT
 *	[--first-address A] [--port P] [--prefix NAME]
 *	[--regions NAME:SIZE,...] [--heartbeat S] [--wait S] [-q | -v[v]]
 *
 * Server i (from 0) is named PREFIX and i in four digits (swarm0000).
 * Its certificate is PKIDIR/NAME.crt and NAME.key (daspool-pki issue
 * NAME --role agent; swarm_setup in tests/integration/functions.sh
 * makes them), beside PKIDIR/ca.crt, manager.crt and crl.pem if there
 * is one. It listens on port P (default 7401) of the i-th address from
 * A (default 127.20.0.1): the last byte runs from 1 to 250, then the
 * third goes up by one (127.20.0.250 is followed by 127.20.1.1). Its
 * config (written at each start, so that daspool-agent -f can run it
 * alone too), its state_dir and its regions (sparse files, default one
 * R0 of 64M, made with ftruncate when missing) are under DIR/NAME/.
 * Servers start on a thread per core, each then heartbeating every S
 * seconds (--heartbeat, default 2, the agent's default).
 *
 * Prints "all N servers registered ..." once each has registered, or
 * names those that did not within S seconds (--wait, default 300),
 * stops them all and exits 1. Then runs until SIGTERM or SIGINT and
 * stops every server; SIGHUP reads their CRL again. Log lines name
 * their server ("dsp_swarm: swarm0042: warning: ..."); warnings and
 * errors by default, -q errors only, -v info, -vv debug.
 *
 * A server costs about 16 descriptors (4 regions) and three threads
 * while idle: the data port's gate, the manager link, and the
 * manager's connection for pushes once it made one.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "log.h"
#include "proto.h"
#include "size.h"
#include "timeutil.h"

#define SWARM_STACK		(256 * 1024)	/* per thread */
#define SWARM_MMAP_THRESHOLD	(64 * 1024)
#define SWARM_POLL_MS		100
#define SWARM_MISSING_NAMED	20	/* servers named when some fail */
#define SWARM_HOSTS_PER_NET	250	/* last address byte 1-250 */
#define SWARM_PATH_MAX		256	/* --dir and --pki: shorter */

struct swarm_region {
	char		name[DSP_NAME_MAX + 1];
	uint64_t	size;
};

struct swarm_opts {
	const char		*dir;		/* absolute, see swarm_paths */
	const char		*pki;
	const char		*prefix;
	char			 manager_host[DSP_NAME_MAX + 1];
	unsigned int		 manager_port;
	struct in_addr		 first;
	unsigned int		 count;
	unsigned int		 port;
	unsigned int		 heartbeat;
	unsigned int		 wait_s;
	int			 level;
	unsigned int		 nregions;
	struct swarm_region	 regions[DSP_MAX_REGIONS];
};

struct swarm_server {
	char			 name[DSP_NAME_MAX + 1];
	char			 address[INET_ADDRSTRLEN];
	char			 home[SWARM_PATH_MAX];
	struct agent_config	 conf;
	int			 conf_loaded;
	struct agent		 agent;
	int			 started;	/* agent_open was called */
	int			 running;	/* atomic: agent_start went
						 * through */
};

struct swarm {
	struct swarm_opts	 opts;
	struct swarm_server	*servers;
	unsigned int		 next;		/* atomic: server to start */
	unsigned int		 starting;	/* atomic: starter threads */
	int			 abort;		/* atomic: start no more */
	int64_t			 started_ms;	/* all started, since the first */
	sigset_t		 signals;
	int			 stopping;	/* SIGTERM or SIGINT seen */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: dsp_swarm --dir DIR --pki PKIDIR --count N --manager HOST:PORT\n"
"           [--first-address A] [--port P] [--prefix NAME]\n"
"           [--regions NAME:SIZE,...] [--heartbeat S] [--wait S] [-q|-v]\n"
"Plays N lending servers (real agents, one process) against a manager.\n"
"\n"
"  --dir DIR          each server's config, state and regions: DIR/NAME/\n"
"  --pki PKIDIR       ca.crt, manager.crt and NAME.crt + NAME.key\n"
"  --count N          servers to play (1-65000)\n"
"  --manager H:P      the manager's address and port\n"
"  --first-address A  the first server's address (default 127.20.0.1);\n"
"                     the last byte runs 1-250, then the third goes up\n"
"  --port P           every server's data port (default %u)\n"
"  --prefix NAME      server names: NAME0000, NAME0001... (default swarm)\n"
"  --regions LIST     each server's regions (default R0:64M), sparse files\n"
"  --heartbeat S      seconds between heartbeats (default 2)\n"
"  --wait S           seconds all may take to register (default 300)\n"
"  -q                 log errors only; -v info, -vv debug (default: warnings)\n",
	    DSP_AGENT_PORT);
}

static void __attribute__((format(printf, 1, 2), noreturn))
swarm_usage_error(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "dsp_swarm: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(2);
}

static unsigned int
swarm_number(const char *opt, const char *s, unsigned long min,
    unsigned long max)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		swarm_usage_error("%s \"%s\" is not %lu-%lu", opt, s, min, max);
	return (unsigned int)v;
}

static void
swarm_parse_manager(struct swarm_opts *o, const char *s)
{
	const char	*colon = strrchr(s, ':');
	size_t		 len;

	if (colon == NULL || colon == s ||
	    (len = (size_t)(colon - s)) > DSP_NAME_MAX)
		swarm_usage_error("--manager \"%s\" is not HOST:PORT", s);
	memcpy(o->manager_host, s, len);
	o->manager_host[len] = '\0';
	o->manager_port = swarm_number("--manager port", colon + 1, 1, 65535);
}

/* Loopback only: the swarm must never answer for a real address. */
static void
swarm_parse_first(struct swarm_opts *o, const char *s)
{
	uint32_t	a;

	if (inet_pton(AF_INET, s, &o->first) != 1)
		swarm_usage_error("--first-address \"%s\" is not an IPv4 "
		    "address", s);
	a = ntohl(o->first.s_addr);
	if ((a >> 24) != 127 || (a & 0xff) < 1 ||
	    (a & 0xff) > SWARM_HOSTS_PER_NET)
		swarm_usage_error("--first-address %s: a loopback address "
		    "127.x.y.z with z from 1 to %d", s, SWARM_HOSTS_PER_NET);
}

static void
swarm_parse_regions(struct swarm_opts *o, const char *list)
{
	char			*copy, *item, *save, *colon, err[128];
	struct swarm_region	*r;

	if ((copy = strdup(list)) == NULL)
		swarm_usage_error("out of memory");
	o->nregions = 0;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if (o->nregions == DSP_MAX_REGIONS)
			swarm_usage_error("--regions: more than %d",
			    DSP_MAX_REGIONS);
		r = &o->regions[o->nregions++];
		if ((colon = strchr(item, ':')) == NULL || colon == item ||
		    (size_t)(colon - item) > DSP_NAME_MAX)
			swarm_usage_error("--regions: \"%s\" is not NAME:SIZE",
			    item);
		*colon = '\0';
		snprintf(r->name, sizeof(r->name), "%s", item);
		if (size_parse(colon + 1, &r->size, err, sizeof(err)) == -1 ||
		    r->size == 0)
			swarm_usage_error("--regions: %s: size \"%s\": %s",
			    item, colon + 1, r->size == 0 ? "zero" : err);
	}
	free(copy);
	if (o->nregions == 0)
		swarm_usage_error("--regions: none given");
}

/* 0, or -1 when server i's address is past 127.x.255.250. */
static int
swarm_address(const struct swarm_opts *o, unsigned int i, char *out,
    size_t outlen)
{
	uint32_t	first = ntohl(o->first.s_addr);
	uint32_t	index = ((first >> 8) & 0xff) * SWARM_HOSTS_PER_NET +
			    (first & 0xff) - 1 + i;
	struct in_addr	in;

	if (index / SWARM_HOSTS_PER_NET > 255)
		return -1;
	in.s_addr = htonl((first & 0xffff0000) |
	    (index / SWARM_HOSTS_PER_NET) << 8 |
	    (index % SWARM_HOSTS_PER_NET + 1));
	return inet_ntop(AF_INET, &in, out, (socklen_t)outlen) ? 0 : -1;
}

static void
swarm_options(struct swarm_opts *o, int argc, char *argv[])
{
	enum { OPT_DIR = 1, OPT_PKI, OPT_COUNT, OPT_MANAGER, OPT_FIRST,
	    OPT_PORT, OPT_PREFIX, OPT_REGIONS, OPT_HEARTBEAT, OPT_WAIT };
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "pki", required_argument, NULL, OPT_PKI },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "manager", required_argument, NULL, OPT_MANAGER },
		{ "first-address", required_argument, NULL, OPT_FIRST },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "regions", required_argument, NULL, OPT_REGIONS },
		{ "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char	last[INET_ADDRSTRLEN];
	int	ch;

	memset(o, 0, sizeof(*o));
	o->prefix = "swarm";
	o->port = DSP_AGENT_PORT;
	o->heartbeat = 2;
	o->wait_s = 300;
	o->level = LOG_LEVEL_WARN;
	swarm_parse_first(o, "127.20.0.1");
	swarm_parse_regions(o, "R0:64M");
	while ((ch = getopt_long(argc, argv, "hqv", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR:
			o->dir = optarg;
			break;
		case OPT_PKI:
			o->pki = optarg;
			break;
		case OPT_COUNT:
			o->count = swarm_number("--count", optarg, 1, 65000);
			break;
		case OPT_MANAGER:
			swarm_parse_manager(o, optarg);
			break;
		case OPT_FIRST:
			swarm_parse_first(o, optarg);
			break;
		case OPT_PORT:
			o->port = swarm_number("--port", optarg, 1, 65535);
			break;
		case OPT_PREFIX:
			o->prefix = optarg;
			break;
		case OPT_REGIONS:
			swarm_parse_regions(o, optarg);
			break;
		case OPT_HEARTBEAT:
			o->heartbeat = swarm_number("--heartbeat", optarg, 1,
			    3600);
			break;
		case OPT_WAIT:
			o->wait_s = swarm_number("--wait", optarg, 1, 86400);
			break;
		case 'q':
			o->level = LOG_LEVEL_ERROR;
			break;
		case 'v':
			o->level = o->level < LOG_LEVEL_INFO ? LOG_LEVEL_INFO :
			    LOG_LEVEL_DEBUG;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		swarm_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (o->count > 0 && swarm_address(o, o->count - 1, last,
	    sizeof(last)) == -1)
		swarm_usage_error("%u servers do not fit in the addresses "
		    "from --first-address to 127.x.255.%d", o->count,
		    SWARM_HOSTS_PER_NET);
	if (o->dir == NULL || o->pki == NULL || o->count == 0 ||
	    o->manager_host[0] == '\0')
		swarm_usage_error("--dir, --pki, --count and --manager are "
		    "required");
	if (strlen(o->prefix) > DSP_NAME_MAX - 5)
		swarm_usage_error("--prefix is too long");
}

/* --- one server --- */

/* The agents' configs want absolute paths; DIR is made if missing.
 * Each must leave room for a server's name and a file name. */
static int
swarm_paths(struct swarm_opts *o, char *err, size_t errlen)
{
	static char	dir[PATH_MAX], pki[PATH_MAX];

	if (mkdir(o->dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", o->dir, strerror(errno));
		return -1;
	}
	if (realpath(o->dir, dir) == NULL || realpath(o->pki, pki) == NULL) {
		snprintf(err, errlen, "%s: %s", realpath(o->dir, dir) == NULL ?
		    o->dir : o->pki, strerror(errno));
		return -1;
	}
	if (strlen(dir) + strlen(o->prefix) + 32 >= SWARM_PATH_MAX ||
	    strlen(pki) + strlen(o->prefix) + 32 >= SWARM_PATH_MAX) {
		snprintf(err, errlen, "--dir or --pki is longer than %d bytes",
		    SWARM_PATH_MAX - 32 - (int)strlen(o->prefix));
		return -1;
	}
	o->dir = dir;
	o->pki = pki;
	return 0;
}

static int
swarm_mkdir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A region file of the size asked, sparse: nothing is written. */
static int
swarm_region_file(const char *path, uint64_t size, char *err, size_t errlen)
{
	struct stat	st;
	int		fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || ((uint64_t)st.st_size != size &&
	    ftruncate(fd, (off_t)size) == -1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
swarm_write_regions(const struct swarm_opts *o, const struct swarm_server *s,
    FILE *f)
{
	unsigned int	i;

	for (i = 0; i < o->nregions; i++)
		fprintf(f, "region \"%s\" {\n\tpath = \"%s/%s\"\n}\n",
		    o->regions[i].name, s->home, o->regions[i].name);
}

/* The config as a daspool-agent of this server would read it. */
static int
swarm_write_config(const struct swarm_opts *o, const struct swarm_server *s,
    const char *path, char *err, size_t errlen)
{
	char	crl[SWARM_PATH_MAX + 16];
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(crl, sizeof(crl), "%s/crl.pem", o->pki);
	fprintf(f, "server = \"%s\"\nlisten_address = \"%s\"\n"
	    "listen_port = %u\nmanager_address = \"%s\"\nmanager_port = %u\n"
	    "ca = \"%s/ca.crt\"\ncert = \"%s/%s.crt\"\nkey = \"%s/%s.key\"\n"
	    "manager_cert = \"%s/manager.crt\"\n", s->name, s->address,
	    o->port, o->manager_host, o->manager_port, o->pki, o->pki,
	    s->name, o->pki, s->name, o->pki);
	if (access(crl, R_OK) == 0)
		fprintf(f, "crl = \"%s\"\n", crl);
	fprintf(f, "state_dir = \"%s/state\"\nheartbeat_interval = %u\n",
	    s->home, o->heartbeat);
	swarm_write_regions(o, s, f);
	if (fclose(f) == EOF) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* libconfuse's parser keeps its state in globals. */
static pthread_mutex_t	swarm_config_lock = PTHREAD_MUTEX_INITIALIZER;

/* Its directory, region files and config, then the config loaded. */
static int
swarm_prepare(const struct swarm_opts *o, struct swarm_server *s,
    unsigned int i, char *err, size_t errlen)
{
	char		path[SWARM_PATH_MAX + 2 * DSP_NAME_MAX + 32];
	unsigned int	r;

	snprintf(s->name, sizeof(s->name), "%s%04u", o->prefix, i);
	if (swarm_address(o, i, s->address, sizeof(s->address)) == -1) {
		snprintf(err, errlen, "no address left for server %u after "
		    "127.x.255.%d", i, SWARM_HOSTS_PER_NET);
		return -1;
	}
	snprintf(s->home, sizeof(s->home), "%s/%s", o->dir, s->name);
	if (swarm_mkdir(s->home, err, errlen) == -1)
		return -1;
	for (r = 0; r < o->nregions; r++) {
		snprintf(path, sizeof(path), "%s/%s", s->home,
		    o->regions[r].name);
		if (swarm_region_file(path, o->regions[r].size, err,
		    errlen) == -1)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/daspool-agent.conf", s->home);
	if (swarm_write_config(o, s, path, err, errlen) == -1)
		return -1;
	pthread_mutex_lock(&swarm_config_lock);
	if (agent_config_load(path, &s->conf, err, errlen) == 0)
		s->conf_loaded = 1;
	pthread_mutex_unlock(&swarm_config_lock);
	return s->conf_loaded ? 0 : -1;
}

/* The agent's threads take this thread's log tag: its name. */
static int
swarm_start_server(struct swarm_server *s, char *err, size_t errlen)
{
	int	rc = 0;

	s->agent.conf = &s->conf;
	s->agent.listen_fd = -1;
	s->started = 1;
	log_set_tag(s->name);
	if (agent_open(&s->agent, err, errlen) == -1 ||
	    agent_start(&s->agent, err, errlen) == -1)
		rc = -1;
	else
		__atomic_store_n(&s->running, 1, __ATOMIC_RELEASE);
	log_set_tag(NULL);
	return rc;
}

/* 0, or -1 when a connection thread outlived the wait: then the
 * agent's state stays allocated for it. */
static int
swarm_stop_server(struct swarm_server *s)
{
	int	rc = 0;

	log_set_tag(s->name);
	if (s->started && agent_stop(&s->agent) == -1)
		rc = -1;
	else if (s->started)
		agent_free(&s->agent);
	if (rc == 0 && s->conf_loaded)
		agent_config_free(&s->conf);
	log_set_tag(NULL);
	return rc;
}

/* --- the process --- */

/*
 * Thousands of threads and descriptors: every thread the agents start
 * gets a small stack (they keep their buffers on the heap), and the
 * descriptor limit goes up to what is allowed. Each LMDB environment
 * callocs 3 MiB of write lists it barely touches; with the threshold
 * fixed they stay mmap'd zero pages, where malloc's sliding threshold
 * would soon carve them out of the heap and hold them resident.
 */
static void
swarm_limits(void)
{
	pthread_attr_t	attr;
	struct rlimit	rl;

	if (mallopt(M_MMAP_THRESHOLD, SWARM_MMAP_THRESHOLD) != 1)
		log_debug("malloc's mmap threshold is not ours to fix");

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, SWARM_STACK) != 0 ||
	    pthread_setattr_default_np(&attr) != 0)
		log_warnx("cannot make thread stacks small; using the default");
	pthread_attr_destroy(&attr);
}

/* Only the main thread takes these, in swarm_signal. */
static void
swarm_block_signals(struct swarm *sw)
{
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sw->signals);
	sigaddset(&sw->signals, SIGTERM);
	sigaddset(&sw->signals, SIGINT);
	sigaddset(&sw->signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sw->signals, NULL);
}

/* Waits up to ms for a signal; a SIGHUP reads the CRLs again. 1 once
 * SIGTERM or SIGINT came. */
static int
swarm_signal(struct swarm *sw, long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };
	unsigned int	i;
	int		sig;

	if (sw->stopping)
		return 1;
	if ((sig = sigtimedwait(&sw->signals, NULL, &ts)) == -1)
		return 0;
	if (sig == SIGHUP) {
		for (i = 0; i < sw->opts.count; i++)
			if (__atomic_load_n(&sw->servers[i].running,
			    __ATOMIC_ACQUIRE))
				agent_reload(&sw->servers[i].agent);
		return 0;
	}
	log_info("stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sw->stopping = 1;
	return 1;
}

/* Takes the next server to start until none is left or one failed. */
static void *
swarm_starter(void *arg)
{
	struct swarm		*sw = arg;
	struct swarm_server	*s;
	char			 err[1024];
	unsigned int		 i;

	while (!__atomic_load_n(&sw->abort, __ATOMIC_ACQUIRE) &&
	    (i = __atomic_fetch_add(&sw->next, 1, __ATOMIC_ACQ_REL)) <
	    sw->opts.count) {
		s = &sw->servers[i];
		if (swarm_prepare(&sw->opts, s, i, err, sizeof(err)) == -1 ||
		    swarm_start_server(s, err, sizeof(err)) == -1) {
			fprintf(stderr, "dsp_swarm: server %u (%s): %s\n", i,
			    s->name, err);
			__atomic_store_n(&sw->abort, 1, __ATOMIC_RELEASE);
		}
	}
	__atomic_sub_fetch(&sw->starting, 1, __ATOMIC_ACQ_REL);
	return NULL;
}

/*
 * A server's TLS configurations cost some 30 ms of CPU to load (keys
 * parsed, their curve tables computed), so servers start on a thread
 * per core; signals are taken meanwhile. 0, or -1 if one failed or the
 * swarm was told to stop.
 */
static int
swarm_start_all(struct swarm *sw, int64_t started)
{
	pthread_t	*threads;
	long		 cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int	 n, i;

	n = cores < 1 ? 1 : cores > 16 ? 16 : (unsigned int)cores;
	if ((threads = calloc(n, sizeof(*threads))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		__atomic_add_fetch(&sw->starting, 1, __ATOMIC_ACQ_REL);
		if (pthread_create(&threads[i], NULL, swarm_starter, sw) != 0) {
			__atomic_sub_fetch(&sw->starting, 1, __ATOMIC_ACQ_REL);
			break;
		}
	}
	if (i == 0) {
		__atomic_add_fetch(&sw->starting, 1, __ATOMIC_ACQ_REL);
		swarm_starter(sw);
	}
	while (__atomic_load_n(&sw->starting, __ATOMIC_ACQUIRE) > 0)
		if (swarm_signal(sw, SWARM_POLL_MS / 10))
			__atomic_store_n(&sw->abort, 1, __ATOMIC_RELEASE);
	while (i-- > 0)
		pthread_join(threads[i], NULL);
	free(threads);
	sw->started_ms = timeutil_now_ms() - started;
	return __atomic_load_n(&sw->abort, __ATOMIC_ACQUIRE) ? -1 : 0;
}

static unsigned int
swarm_registered(const struct swarm *sw)
{
	unsigned int	i, n = 0;

	for (i = 0; i < sw->opts.count; i++)
		n += agent_manager_reachable(&sw->servers[i].agent) != 0;
	return n;
}

static void
swarm_name_missing(const struct swarm *sw)
{
	unsigned int	i, named = 0, missing;

	missing = sw->opts.count - swarm_registered(sw);
	fprintf(stderr, "dsp_swarm: %u of %u servers did not register with "
	    "manager %s:%u within %u s:", missing, sw->opts.count,
	    sw->opts.manager_host, sw->opts.manager_port, sw->opts.wait_s);
	for (i = 0; i < sw->opts.count && named < SWARM_MISSING_NAMED; i++)
		if (!agent_manager_reachable(&sw->servers[i].agent)) {
			fprintf(stderr, " %s", sw->servers[i].name);
			named++;
		}
	if (missing > named)
		fprintf(stderr, " and %u more", missing - named);
	fprintf(stderr, "\n");
}

/* 0 once every server has registered (the line is printed), -1 when
 * the wait is over first or the swarm is told to stop. */
static int
swarm_wait_registered(struct swarm *sw, int64_t started)
{
	const struct swarm_opts	*o = &sw->opts;
	int64_t			 deadline = started + o->wait_s * 1000LL;
	char			 last[INET_ADDRSTRLEN];

	while (swarm_registered(sw) < o->count) {
		if (timeutil_now_ms() >= deadline) {
			swarm_name_missing(sw);
			return -1;
		}
		if (swarm_signal(sw, SWARM_POLL_MS))
			return -1;
	}
	(void)swarm_address(o, o->count - 1, last, sizeof(last));
	printf("dsp_swarm: all %u servers registered with manager %s:%u in "
	    "%.1f s, started in %.1f s (%s on %s to %s on %s, port %u)\n",
	    o->count, o->manager_host, o->manager_port,
	    (double)(timeutil_now_ms() - started) / 1000.0,
	    (double)sw->started_ms / 1000.0,
	    sw->servers[0].name, sw->servers[0].address,
	    sw->servers[o->count - 1].name, last, o->port);
	fflush(stdout);
	return 0;
}

static int
swarm_stop_all(struct swarm *sw)
{
	unsigned int	i, stuck = 0;

	for (i = 0; i < sw->opts.count; i++)
		if (swarm_stop_server(&sw->servers[i]) == -1)
			stuck++;
	if (stuck > 0)
		log_warnx("%u servers kept a connection past the stop", stuck);
	return stuck > 0 ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	struct swarm	sw;
	int64_t		started;
	char		err[1024];
	int		rc = 0;

	memset(&sw, 0, sizeof(sw));
	swarm_options(&sw.opts, argc, argv);
	log_init("dsp_swarm", 1, sw.opts.level);
	if (swarm_paths(&sw.opts, err, sizeof(err)) == -1) {
		fprintf(stderr, "dsp_swarm: %s\n", err);
		return 1;
	}
	swarm_limits();
	swarm_block_signals(&sw);
	if ((sw.servers = calloc(sw.opts.count, sizeof(*sw.servers))) == NULL) {
		fprintf(stderr, "dsp_swarm: out of memory for %u servers\n",
		    sw.opts.count);
		return 1;
	}
	started = timeutil_now_ms();
	if (swarm_start_all(&sw, started) == -1 ||
	    swarm_wait_registered(&sw, started) == -1)
		rc = sw.stopping ? 0 : 1;
	else
		while (!swarm_signal(&sw, 60 * 1000))
			;
	if (swarm_stop_all(&sw) == -1)
		return rc;	/* threads still use the servers */
	free(sw.servers);
	return rc;
}
