/*
 * io_bench: borrower throughput through libdaspool.
 *
 *   io_bench [-f CONFIG] [connection flags] --volume V [--size SIZE]
 *	    [--connections C]
 *	Sequential write, then read, of SIZE (default 1024M, capped at the
 *	volume size) of an already mounted volume (mount info from the
 *	state dir), in 1 MiB requests, with C connections: C threads, each
 *	with its own daspool_volume_open on a disjoint slice. Reads are
 *	checked against what was written.
 *
 *   io_bench [-f CONFIG] [connection flags] --volume V --cycles SECONDS
 *	allocate -> mount -> unmount -> release of V for SECONDS; V must be
 *	free.
 *
 * Output lines are machine-readable ("mbps" is 10^6 bytes per second):
 *   seq_write conns=1 size=1024M seconds=1.262 mbps=850.8
 *   seq_read conns=1 size=1024M seconds=1.101 mbps=975.2
 *   cycles volume=Vol-1 seconds=5.0 count=600 per_sec=120.0
 *	allocate_p50_ms=1.20 allocate_p99_ms=3.10 ... (each step's latency)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daspool.h"
#include "daspool_conf.h"
#include "log.h"
#include "size.h"

#define MiB		(1024ULL * 1024)
#define BENCH_CALL	(16 * MiB)	/* bytes per library call */

struct bench_worker {
	pthread_t		 thread;
	struct daspool_volume	*v;
	uint64_t		 offset;	/* slice in the volume */
	uint64_t		 length;
	int			 writing;
	int			 rc;
	char			 err[1024];
};

static double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every 8 bytes hold their own volume offset: reads can be checked
 * without keeping what was written. */
static void
bench_fill(uint8_t *buf, size_t len, uint64_t offset)
{
	size_t		i;
	uint64_t	v;

	for (i = 0; i + 8 <= len; i += 8) {
		v = offset + i;
		memcpy(buf + i, &v, 8);
	}
}

static void *
bench_worker_run(void *arg)
{
	struct bench_worker	*w = arg;
	uint8_t			*buf, *want = NULL;
	uint64_t		 off, end = w->offset + w->length;
	size_t			 n;

	if ((buf = malloc(BENCH_CALL)) == NULL ||
	    (!w->writing && (want = malloc(BENCH_CALL)) == NULL)) {
		w->rc = DASPOOL_ERR_SYSTEM;
		snprintf(w->err, sizeof(w->err), "out of memory");
		free(buf);
		return NULL;
	}
	for (off = w->offset; off < end && w->rc == 0; off += n) {
		n = end - off < BENCH_CALL ? (size_t)(end - off) : BENCH_CALL;
		if (w->writing) {
			bench_fill(buf, n, off);
			w->rc = daspool_volume_write(w->v, buf, n, off);
		} else {
			w->rc = daspool_volume_read(w->v, buf, n, off);
			bench_fill(want, n, off);
			if (w->rc == 0 && memcmp(buf, want, n) != 0) {
				w->rc = DASPOOL_ERR_PROTOCOL;
				snprintf(w->err, sizeof(w->err), "data read "
				    "back at %" PRIu64 " differs", off);
				break;
			}
		}
		if (w->rc != 0 && w->err[0] == '\0')
			snprintf(w->err, sizeof(w->err), "%s",
			    daspool_volume_error(w->v));
	}
	if (w->writing && w->rc == 0 &&
	    (w->rc = daspool_volume_flush(w->v)) != 0)
		snprintf(w->err, sizeof(w->err), "%s",
		    daspool_volume_error(w->v));
	free(buf);
	free(want);
	return NULL;
}

static int
bench_phase(struct bench_worker *w, int conns, int writing, uint64_t total)
{
	double	t0, dt;
	char	size[32];
	int	i, rc = 0;

	t0 = bench_now();
	for (i = 0; i < conns; i++) {
		w[i].writing = writing;
		w[i].rc = 0;
		w[i].err[0] = '\0';
		if (pthread_create(&w[i].thread, NULL, bench_worker_run,
		    &w[i]) != 0)
			fatal("pthread_create");
	}
	for (i = 0; i < conns; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].rc != 0) {
			fprintf(stderr, "io_bench: connection %d: %s\n", i,
			    w[i].err);
			rc = 1;
		}
	}
	dt = bench_now() - t0;
	size_format(total, size, sizeof(size));
	if (rc == 0)
		printf("%s conns=%d size=%s seconds=%.3f mbps=%.1f\n",
		    writing ? "seq_write" : "seq_read", conns, size, dt,
		    (double)total / 1e6 / dt);
	fflush(stdout);
	return rc;
}

static int
bench_seq(struct daspool_client *c, const char *volume, uint64_t want,
    int conns)
{
	struct bench_worker	*w;
	uint64_t		 size, total, slice;
	int			 i, rc;

	if ((w = calloc((size_t)conns, sizeof(*w))) == NULL)
		fatal("calloc");
	/* Opened here: client calls are made from one thread. */
	for (i = 0; i < conns; i++)
		if ((rc = daspool_volume_open(c, volume, &w[i].v)) != 0) {
			fprintf(stderr, "io_bench: %s\n",
			    daspool_client_error(c));
			return 1;
		}
	size = daspool_volume_size(w[0].v);
	total = want;
	if (total > size)
		total = size / MiB * MiB;
	slice = total / (uint64_t)conns / MiB * MiB;
	if (slice == 0) {
		fprintf(stderr, "io_bench: volume %s is too small for %d "
		    "connections\n", volume, conns);
		return 1;
	}
	total = slice * (uint64_t)conns;
	for (i = 0; i < conns; i++) {
		w[i].offset = slice * (uint64_t)i;
		w[i].length = slice;
	}
	rc = bench_phase(w, conns, 1, total);
	if (rc == 0)
		rc = bench_phase(w, conns, 0, total);
	for (i = 0; i < conns; i++)
		daspool_volume_close(w[i].v);
	free(w);
	return rc;
}

/* Each step's latency, in microseconds, for its percentiles. */
struct bench_steps {
	double		*us[4];
	size_t		 count, cap;
};

static const char *bench_step_names[4] = {
	"allocate", "mount", "unmount", "release"
};

static int
bench_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
bench_pct(double *v, size_t n, unsigned int p)
{
	size_t	i = (n * p + 99) / 100;

	return n == 0 ? 0 : v[i == 0 ? 0 : i - 1];
}

static int
bench_step_add(struct bench_steps *s, size_t step, double us)
{
	double	*p;
	size_t	 i;

	if (step == 0 && s->count == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		for (i = 0; i < 4; i++) {
			if ((p = realloc(s->us[i], s->cap * sizeof(*p))) ==
			    NULL)
				return -1;
			s->us[i] = p;
		}
	}
	s->us[step][s->count] = us;
	return 0;
}

static void
bench_steps_print(struct bench_steps *s)
{
	size_t	i;

	for (i = 0; i < 4; i++) {
		qsort(s->us[i], s->count, sizeof(double), bench_cmp);
		printf(" %s_p50_ms=%.2f %s_p99_ms=%.2f", bench_step_names[i],
		    bench_pct(s->us[i], s->count, 50) / 1000,
		    bench_step_names[i], bench_pct(s->us[i], s->count, 99) /
		    1000);
		free(s->us[i]);
	}
}

static int
bench_step(struct daspool_client *c, const char *volume, size_t step)
{
	switch (step) {
	case 0:
		return daspool_allocate(c, volume, 0, NULL, NULL);
	case 1:
		return daspool_mount(c, volume, NULL);
	case 2:
		return daspool_unmount(c, volume);
	default:
		return daspool_release(c, volume);
	}
}

/* Whole cycles on one connection (no handshake counted), each step
 * timed. */
static int
bench_cycles(struct daspool_client *c, const char *volume, double seconds)
{
	struct bench_steps	steps = { { NULL }, 0, 0 };
	double			t0, t, dt;
	size_t			step = 0;
	int			rc = 0;

	t0 = bench_now();
	do {
		for (step = 0; step < 4 && rc == 0; step++) {
			t = bench_now();
			if ((rc = bench_step(c, volume, step)) == 0 &&
			    bench_step_add(&steps, step, (bench_now() - t) *
			    1e6) == -1) {
				fprintf(stderr, "io_bench: out of memory\n");
				return 1;
			}
		}
		if (rc != 0)
			break;
		steps.count++;
	} while ((dt = bench_now() - t0) < seconds);
	if (rc != 0) {
		fprintf(stderr, "io_bench: cycle %zu: %s: %s\n",
		    steps.count + 1, bench_step_names[step - 1],
		    daspool_client_error(c));
		return 1;
	}
	printf("cycles volume=%s seconds=%.1f count=%zu per_sec=%.1f",
	    volume, dt, steps.count, (double)steps.count / dt);
	bench_steps_print(&steps);
	printf("\n");
	return 0;
}

static void __attribute__((noreturn))
bench_usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: io_bench [-f CONFIG] [--manager HOST[:PORT]] [--ca F "
	    "--cert F --key F]\n"
	    "                [--state-dir DIR] [--ciphers NAME] --volume V\n"
	    "                [--size SIZE] [--connections C] | "
	    "[--cycles SECONDS]\n");
	exit(status);
}

static long
bench_number(const char *flag, const char *s, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > max) {
		fprintf(stderr, "io_bench: invalid %s '%s': 1 to %ld\n", flag,
		    s, max);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "config",	required_argument,	NULL, 'f' },
		{ "manager",	required_argument,	NULL, 'm' },
		{ "ca",		required_argument,	NULL, 'A' },
		{ "cert",	required_argument,	NULL, 'C' },
		{ "key",	required_argument,	NULL, 'K' },
		{ "state-dir",	required_argument,	NULL, 'S' },
		{ "ciphers",	required_argument,	NULL, 'c' },
		{ "volume",	required_argument,	NULL, 'V' },
		{ "size",	required_argument,	NULL, 'n' },
		{ "connections", required_argument,	NULL, 'j' },
		{ "cycles",	required_argument,	NULL, 's' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct daspool_conf	 conf;
	struct daspool_options	 o;
	struct daspool_client	*c;
	const char		*config = NULL, *manager = NULL, *ca = NULL;
	const char		*cert = NULL, *key = NULL, *state_dir = NULL;
	const char		*ciphers = NULL, *volume = NULL;
	char			 why[1024], *colon;
	uint64_t		 size = 1024 * MiB;
	long			 conns = 1, cycles = 0;
	int			 ch, rc;

	signal(SIGPIPE, SIG_IGN);
	log_init("io_bench", 1, LOG_LEVEL_WARN);
	while ((ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': config = optarg; break;
		case 'm': manager = optarg; break;
		case 'A': ca = optarg; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'S': state_dir = optarg; break;
		case 'c': ciphers = optarg; break;
		case 'V': volume = optarg; break;
		case 'n':
			if (size_parse(optarg, &size, why, sizeof(why)) == -1 ||
			    size < MiB) {
				fprintf(stderr, "io_bench: invalid --size "
				    "'%s': %s\n", optarg, why[0] ? why :
				    "at least 1M");
				exit(2);
			}
			break;
		case 'j': conns = bench_number("--connections", optarg, 256);
			break;
		case 's': cycles = bench_number("--cycles", optarg, 86400);
			break;
		case 'h': bench_usage(0);
		default: bench_usage(2);
		}
	}
	if (optind != argc || volume == NULL)
		bench_usage(2);
	/* The file first, the flags over it. */
	daspool_conf_init(&conf);
	if (config != NULL &&
	    (rc = daspool_conf_load(config, &conf, why, sizeof(why))) != 0)
		fatalx("%s", rc == 1 ? "no such config file" : why);
	if ((ca && daspool_conf_set(&conf.ca, ca) == -1) ||
	    (cert && daspool_conf_set(&conf.cert, cert) == -1) ||
	    (key && daspool_conf_set(&conf.key, key) == -1) ||
	    (state_dir && daspool_conf_set(&conf.state_dir, state_dir) == -1) ||
	    (ciphers && daspool_conf_set(&conf.ciphers, ciphers) == -1) ||
	    (manager && daspool_conf_set(&conf.manager_host, manager) == -1))
		fatalx("out of memory");
	if (manager != NULL &&
	    (colon = strrchr(conf.manager_host, ':')) != NULL) {
		*colon = '\0';
		conf.manager_port = (uint16_t)bench_number("--manager port",
		    colon + 1, 65535);
	}
	daspool_conf_options(&conf, &o);
	if ((rc = daspool_client_open(&o, &c)) != 0)
		fatalx("%s", c ? daspool_client_error(c) : "out of memory");
	if (cycles > 0)
		rc = bench_cycles(c, volume, (double)cycles);
	else
		rc = bench_seq(c, volume, size, (int)conns);
	daspool_client_close(c);
	daspool_conf_free(&conf);
	return rc;
}
