/*
 * dsp_latency: how long a borrower's small reads take, for the test of
 * fair agents.
 *
 *   dsp_latency -f CONF VOLUME SIZE COUNT
 *	reads SIZE bytes COUNT times, one after the other, walking the
 *	volume, and prints "reads N p50 X p99 Y max Z" (milliseconds).
 *	Exit 1 on an I/O error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daspool.h"
#include "daspool_conf.h"
#include "log.h"

static void
lat_fatal(const char *what, const char *why)
{
	fprintf(stderr, "dsp_latency: %s: %s\n", what, why);
	exit(2);
}

static int
lat_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The value below which p percent of the sorted samples lie. */
static double
lat_pct(const int64_t *us, size_t n, unsigned int p)
{
	size_t	i = (n * p + 99) / 100;

	return (double)us[i > 0 ? i - 1 : 0] / 1000.0;
}

static int64_t
lat_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
lat_run(struct daspool_volume *v, size_t size, size_t count)
{
	int64_t		*us, t0;
	uint8_t		*buf;
	uint64_t	 off = 0, vsize = daspool_volume_size(v);
	size_t		 i;

	if ((us = calloc(count, sizeof(*us))) == NULL ||
	    (buf = malloc(size)) == NULL)
		lat_fatal("memory", "out of memory");
	for (i = 0; i < count; i++) {
		if (off + size > vsize)
			off = 0;
		t0 = lat_now_us();
		if (daspool_volume_read(v, buf, size, off) != 0) {
			printf("read %zu failed: %s\n", i,
			    daspool_volume_error(v));
			return 1;
		}
		us[i] = lat_now_us() - t0;
		off += size;
	}
	qsort(us, count, sizeof(*us), lat_cmp);
	printf("reads %zu p50 %.2f p99 %.2f max %.2f\n", count,
	    lat_pct(us, count, 50), lat_pct(us, count, 99),
	    (double)us[count - 1] / 1000.0);
	free(us);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct daspool_conf	 conf;
	struct daspool_options	 o;
	struct daspool_client	*c;
	struct daspool_volume	*v;
	char			 why[1024];
	long			 size, count;
	int			 rc;

	signal(SIGPIPE, SIG_IGN);
	log_init("dsp_latency", 1, LOG_LEVEL_WARN);
	if (argc != 6 || strcmp(argv[1], "-f") != 0 ||
	    (size = atol(argv[4])) < 1 || size > (1L << 20) ||
	    (count = atol(argv[5])) < 1) {
		fprintf(stderr, "usage: dsp_latency -f CONF VOLUME SIZE "
		    "COUNT\n");
		return 2;
	}
	daspool_conf_init(&conf);
	if ((rc = daspool_conf_load(argv[2], &conf, why, sizeof(why))) != 0)
		lat_fatal(argv[2], rc == 1 ? "no such file" : why);
	daspool_conf_options(&conf, &o);
	if (daspool_client_open(&o, &c) != 0)
		lat_fatal("client", c ? daspool_client_error(c) : "memory");
	if (daspool_volume_open(c, argv[3], &v) != 0)
		lat_fatal(argv[3], daspool_client_error(c));
	rc = lat_run(v, (size_t)size, (size_t)count);
	daspool_volume_close(v);
	daspool_client_close(c);
	daspool_conf_free(&conf);
	return rc;
}
