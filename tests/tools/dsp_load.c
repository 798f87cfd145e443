/*
 * dsp_load: a write workload that can be checked afterwards, for the
 * mirror tests.
 *
 *   dsp_load -f CONF write VOLUME BLOCKS LOG STOPFILE
 *	writes 1 MiB blocks 0..BLOCKS-1 round and round, each stamped with
 *	its sequence number, until STOPFILE exists. After each write is
 *	acknowledged it appends "block seq" to LOG, then reads the block
 *	back and checks it (a read served by a stale leg shows here).
 *	Exit 1 on an I/O error, telling how long the call took. With
 *	DSP_LOAD_PAUSE_MS set it rests that long between blocks.
 *   dsp_load -f CONF verify VOLUME LOG
 *	reads every block named in LOG and checks it holds the last
 *	sequence number acknowledged for it: no acknowledged write lost.
 *   dsp_load image FILE BLOCKS LO HI
 *	checks that FILE (an image of the volume, e.g. a restored copy)
 *	is the volume as it was at one moment of a write run over BLOCKS
 *	blocks: with K its highest sequence number, every block holds the
 *	last write of it up to K, no later one, none torn; and LO <= K <=
 *	HI (the writes acknowledged before the copy began, and then
 *	ended, plus the one in flight).
 */
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daspool.h"
#include "daspool_conf.h"
#include "log.h"

#define BLOCK		(1024U * 1024U)
#define MAX_BLOCKS	4096

static void
load_fatal(const char *what, const char *why)
{
	fprintf(stderr, "dsp_load: %s: %s\n", what, why);
	exit(2);
}

static double
load_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
load_fill(uint8_t *buf, uint64_t block, uint64_t seq)
{
	size_t	i;

	for (i = 0; i < BLOCK; i += 16) {
		memcpy(buf + i, &seq, 8);
		memcpy(buf + i + 8, &block, 8);
	}
}

/* 0 when every stamp of the block is (block, seq), else the first
 * sequence number found, or UINT64_MAX for garbage. */
static uint64_t
load_check(const uint8_t *buf, uint64_t block, uint64_t seq)
{
	uint64_t	s, b;
	size_t		i;

	for (i = 0; i < BLOCK; i += 16) {
		memcpy(&s, buf + i, 8);
		memcpy(&b, buf + i + 8, 8);
		if (s != seq || b != block)
			return b == block ? s : UINT64_MAX;
	}
	return 0;
}

static int
load_write(struct daspool_volume *v, uint64_t blocks, const char *log,
    const char *stop)
{
	uint8_t		*buf, *back;
	FILE		*fp;
	uint64_t	 seq = 0, block, got;
	double		 t0;
	const char	*pause = getenv("DSP_LOAD_PAUSE_MS");
	int		 rc = 1;

	if ((buf = malloc(BLOCK)) == NULL || (back = malloc(BLOCK)) == NULL)
		load_fatal("memory", strerror(errno));
	if ((fp = fopen(log, "w")) == NULL)
		load_fatal(log, strerror(errno));
	for (;;) {
		if (access(stop, F_OK) == 0) {
			printf("wrote %llu blocks\n",
			    (unsigned long long)seq);
			rc = 0;
			break;
		}
		block = seq++ % blocks;
		load_fill(buf, block, seq);
		t0 = load_now();
		if (daspool_volume_write(v, buf, BLOCK, block * BLOCK) != 0) {
			printf("write of block %llu failed after %.1f s: %s\n",
			    (unsigned long long)block, load_now() - t0,
			    daspool_volume_error(v));
			break;
		}
		fprintf(fp, "%llu %llu\n", (unsigned long long)block,
		    (unsigned long long)seq);
		fflush(fp);
		t0 = load_now();
		if (daspool_volume_read(v, back, BLOCK, block * BLOCK) != 0) {
			printf("read of block %llu failed after %.1f s: %s\n",
			    (unsigned long long)block, load_now() - t0,
			    daspool_volume_error(v));
			break;
		}
		if (pause != NULL)
			usleep((useconds_t)atoi(pause) * 1000);
		if ((got = load_check(back, block, seq)) != 0) {
			printf("read of block %llu gave sequence %llu, not "
			    "%llu\n", (unsigned long long)block,
			    (unsigned long long)got, (unsigned long long)seq);
			rc = 3;
			break;
		}
	}
	fclose(fp);
	free(buf);
	free(back);
	return rc;
}

static int
load_verify(struct daspool_volume *v, const char *log)
{
	static uint64_t		 last[MAX_BLOCKS];
	unsigned long long	 b, s;
	uint8_t			*buf;
	uint64_t		 got, n = 0, i;
	FILE			*fp;

	if ((fp = fopen(log, "r")) == NULL)
		load_fatal(log, strerror(errno));
	while (fscanf(fp, "%llu %llu", &b, &s) == 2)
		if (b < MAX_BLOCKS)
			last[b] = s;
	fclose(fp);
	if ((buf = malloc(BLOCK)) == NULL)
		load_fatal("memory", strerror(errno));
	for (i = 0; i < MAX_BLOCKS; i++) {
		if (last[i] == 0)
			continue;
		if (daspool_volume_read(v, buf, BLOCK, i * BLOCK) != 0)
			load_fatal("read", daspool_volume_error(v));
		if ((got = load_check(buf, i, last[i])) != 0) {
			printf("block %llu holds sequence %llu, not the "
			    "acknowledged %llu\n", (unsigned long long)i,
			    (unsigned long long)got,
			    (unsigned long long)last[i]);
			free(buf);
			return 3;
		}
		n++;
	}
	free(buf);
	printf("verified %llu blocks\n", (unsigned long long)n);
	return 0;
}

/* The sequence number a block of the image holds: 0 unwritten, else
 * its stamps' (all alike), or UINT64_MAX when torn or foreign. */
static uint64_t
image_block_seq(const uint8_t *buf, uint64_t block)
{
	uint64_t	s, b;
	size_t		i;

	for (i = 0; i < BLOCK && buf[i] == 0; i++)
		;
	if (i == BLOCK)
		return 0;
	memcpy(&s, buf, 8);
	memcpy(&b, buf + 8, 8);
	if (b != block || load_check(buf, block, s) != 0)
		return UINT64_MAX;
	return s;
}

/* Sequence s (from 1) writes block (s - 1) % blocks: the last write of
 * block b up to k, or 0. */
static uint64_t
image_expected(uint64_t b, uint64_t blocks, uint64_t k)
{
	if (k < b + 1)
		return 0;
	return k - ((k - 1 - b) % blocks);
}

static int
load_image(const char *path, uint64_t blocks, uint64_t lo, uint64_t hi)
{
	static uint64_t	 seqs[MAX_BLOCKS];
	uint8_t		*buf;
	uint64_t	 b, k = 0;
	int		 fd;

	if ((buf = malloc(BLOCK)) == NULL)
		load_fatal("memory", strerror(errno));
	if ((fd = open(path, O_RDONLY)) == -1)
		load_fatal(path, strerror(errno));
	for (b = 0; b < blocks; b++) {
		if (pread(fd, buf, BLOCK, (off_t)(b * BLOCK)) != BLOCK)
			load_fatal(path, "short image");
		if ((seqs[b] = image_block_seq(buf, b)) == UINT64_MAX) {
			printf("block %llu of the image is torn or not ours\n",
			    (unsigned long long)b);
			return 3;
		}
		if (seqs[b] > k)
			k = seqs[b];
	}
	close(fd);
	free(buf);
	for (b = 0; b < blocks; b++)
		if (seqs[b] != image_expected(b, blocks, k)) {
			printf("block %llu holds sequence %llu; the volume at "
			    "sequence %llu had %llu there\n",
			    (unsigned long long)b, (unsigned long long)seqs[b],
			    (unsigned long long)k, (unsigned long long)
			    image_expected(b, blocks, k));
			return 3;
		}
	if (k < lo || k > hi) {
		printf("the image is the volume at sequence %llu, not between "
		    "%llu and %llu\n", (unsigned long long)k,
		    (unsigned long long)lo, (unsigned long long)hi);
		return 3;
	}
	printf("point-in-time image at sequence %llu\n",
	    (unsigned long long)k);
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
	long			 blocks = 0;
	int			 rc;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Leg failures and resyncs are logged at info, for the tests. */
	log_init("dsp_load", 1, LOG_LEVEL_INFO);
	if (argc == 6 && strcmp(argv[1], "image") == 0) {
		blocks = atol(argv[3]);
		if (blocks < 1 || blocks > MAX_BLOCKS)
			load_fatal("BLOCKS", "1 to 4096");
		return load_image(argv[2], (uint64_t)blocks,
		    strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10));
	}
	if (argc < 6 || strcmp(argv[1], "-f") != 0 ||
	    (strcmp(argv[3], "write") == 0 && argc != 8) ||
	    (strcmp(argv[3], "verify") == 0 && argc != 6)) {
		fprintf(stderr, "usage: dsp_load -f CONF write VOLUME BLOCKS "
		    "LOG STOPFILE\n       dsp_load -f CONF verify VOLUME "
		    "LOG\n       dsp_load image FILE BLOCKS LO HI\n");
		return 2;
	}
	if (strcmp(argv[3], "write") == 0 &&
	    ((blocks = atol(argv[5])) < 1 || blocks > MAX_BLOCKS))
		load_fatal("BLOCKS", "1 to 4096");
	daspool_conf_init(&conf);
	if ((rc = daspool_conf_load(argv[2], &conf, why, sizeof(why))) != 0)
		load_fatal(argv[2], rc == 1 ? "no such file" : why);
	daspool_conf_options(&conf, &o);
	if (daspool_client_open(&o, &c) != 0)
		load_fatal("client", c ? daspool_client_error(c) : "memory");
	if (daspool_volume_open(c, argv[4], &v) != 0)
		load_fatal(argv[4], daspool_client_error(c));
	rc = blocks > 0 ? load_write(v, (uint64_t)blocks, argv[6], argv[7]) :
	    load_verify(v, argv[5]);
	daspool_volume_close(v);
	daspool_client_close(c);
	daspool_conf_free(&conf);
	return rc;
}
