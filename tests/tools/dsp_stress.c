/*
 * dsp_stress: unmount and close while other threads do I/O, for
 * unmount_race.sh.
 *
 *   dsp_stress -f CONF unmount|close|close-handles VOLUME THREADS ROUNDS
 *
 * Each round mounts VOLUME (lent to the borrower beforehand), opens
 * THREADS handles on it and gives each to a thread of its own, which
 * writes stamped blocks of random sizes into its own slice of the volume
 * and reads each back. Once every thread is under way, the main thread
 *
 *   unmount        unmounts the volume;
 *   close          closes the client, its handles still open and busy
 *                  (each thread then closes its own);
 *   close-handles  closes each handle while its thread is inside one long
 *                  write (seen from the progress callback); those threads
 *                  make that one call only, and never touch the handle
 *                  after it.
 *
 * Every call must succeed (a read giving back what was written) or fail
 * with the clean error: DASPOOL_ERR_NOTMOUNTED after an unmount,
 * DASPOOL_ERR_CLOSED after a close, with a sentence naming the volume;
 * and every later call on the handle must fail the same way. The unmount
 * or close must return within the client timeout. Exit 0 when all of it
 * held; 1 at the first thing that did not; 2 for a usage or set-up error.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daspool.h"
#include "daspool_conf.h"
#include "log.h"
#include "timeutil.h"

#define STRESS_BLOCK_MAX	(512U * 1024)	/* per write, a multiple of 4K */
#define STRESS_WARMUP_OPS	3		/* writes each before the cut */
#define STRESS_WAIT_MS		20000		/* for the threads to get going */
#define STRESS_MAX_THREADS	32

enum stress_mode { MODE_UNMOUNT, MODE_CLOSE, MODE_CLOSE_HANDLES };

struct worker {
	pthread_t		 thread;
	int			 id;
	enum stress_mode	 mode;
	const char		*volume;
	struct daspool_volume	*v;
	uint64_t		 base;		/* its slice of the volume */
	uint64_t		 size;
	atomic_int		 writes;	/* acknowledged */
	atomic_int		 inside;	/* in its long write */
	atomic_int		 finished;
	int			 rc;		/* the call that ended it */
	int			 failed;
	char			 why[1400];
};

static const char *const stress_modes[] = { "unmount", "close",
    "close-handles" };

static void
stress_usage(void)
{
	fprintf(stderr, "usage: dsp_stress -f CONF unmount|close|close-handles "
	    "VOLUME THREADS ROUNDS\n");
	exit(2);
}

static void
stress_fatal(const char *what, const char *why)
{
	fprintf(stderr, "dsp_stress: %s: %s\n", what, why);
	exit(2);
}

static void __attribute__((format(printf, 2, 3)))
worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	w->failed = 1;
}

static int
stress_expected(enum stress_mode mode)
{
	return mode == MODE_UNMOUNT ? DASPOOL_ERR_NOTMOUNTED :
	    DASPOOL_ERR_CLOSED;
}

/* Every 16 bytes: who wrote it and in which write. */
static void
stress_stamp(uint8_t *buf, size_t len, uint64_t id, uint64_t seq)
{
	size_t	i;

	for (i = 0; i + 16 <= len; i += 16) {
		memcpy(buf + i, &id, 8);
		memcpy(buf + i + 8, &seq, 8);
	}
}

/* The failure that ended the thread's calls: the clean error, a sentence
 * naming the volume, and the same again on the next call. */
static void
worker_check_cut(struct worker *w, int rc)
{
	const char	*msg = daspool_volume_error(w->v);
	uint8_t		 b[4096];
	int		 again;

	w->rc = rc;
	if (rc != stress_expected(w->mode)) {
		worker_fail(w, "thread %d: a call failed with %d (%s): %s",
		    w->id, rc, daspool_strerror(rc), msg);
		return;
	}
	if (strstr(msg, w->volume) == NULL) {
		worker_fail(w, "thread %d: the sentence of %s does not name "
		    "volume %s: '%s'", w->id, daspool_strerror(rc), w->volume,
		    msg);
		return;
	}
	if ((again = daspool_volume_read(w->v, b, sizeof(b), w->base)) != rc)
		worker_fail(w, "thread %d: after '%s', the next call gave %d "
		    "(%s)", w->id, msg, again, daspool_strerror(again));
}

static void *
worker_loop(void *arg)
{
	struct worker	*w = arg;
	uint8_t		*buf, *back;
	unsigned int	 seed = (unsigned int)w->id * 7919U + (unsigned)time(NULL);
	uint64_t	 seq, len, off, slots;
	int		 rc;

	if ((buf = malloc(STRESS_BLOCK_MAX)) == NULL ||
	    (back = malloc(STRESS_BLOCK_MAX)) == NULL)
		stress_fatal("memory", "out of memory");
	for (seq = 1;; seq++) {
		len = ((uint64_t)rand_r(&seed) % (STRESS_BLOCK_MAX / 4096) + 1) *
		    4096;
		if (len > w->size)
			len = w->size;
		slots = (w->size - len) / 4096 + 1;
		off = w->base + (uint64_t)rand_r(&seed) % slots * 4096;
		stress_stamp(buf, len, (uint64_t)w->id, seq);
		if ((rc = daspool_volume_write(w->v, buf, len, off)) != 0)
			break;
		atomic_fetch_add(&w->writes, 1);
		if ((rc = daspool_volume_read(w->v, back, len, off)) != 0)
			break;
		if (memcmp(buf, back, len) != 0) {
			worker_fail(w, "thread %d: %" PRIu64 " bytes at %"
			    PRIu64 " read back differ from what was written",
			    w->id, len, off);
			break;
		}
	}
	if (rc != 0)
		worker_check_cut(w, rc);
	daspool_volume_close(w->v);
	free(buf);
	free(back);
	atomic_store(&w->finished, 1);
	return NULL;
}

static void
worker_progress(uint64_t done, uint64_t total, void *arg)
{
	struct worker	*w = arg;

	(void)done;
	(void)total;
	atomic_store(&w->inside, 1);
}

/* One long write; the handle is closed by the main thread meanwhile. */
static void *
worker_long(void *arg)
{
	struct worker	*w = arg;
	uint8_t		*buf;
	int		 rc;

	if ((buf = malloc((size_t)w->size)) == NULL)
		stress_fatal("memory", "out of memory");
	stress_stamp(buf, (size_t)w->size, (uint64_t)w->id, 1);
	daspool_volume_set_progress(w->v, worker_progress, w);
	rc = daspool_volume_write(w->v, buf, (size_t)w->size, w->base);
	/* The handle may be gone now: only the code is ours to read. */
	w->rc = rc;
	if (rc != 0 && rc != DASPOOL_ERR_CLOSED)
		worker_fail(w, "thread %d: the write cut short by a close "
		    "gave %d (%s)", w->id, rc, daspool_strerror(rc));
	free(buf);
	atomic_store(&w->finished, 1);
	return NULL;
}

/* Waits until *flag is set or the thread ended; 0, or -1 after the
 * time allowed. */
static int
stress_wait(atomic_int *flag, int min, atomic_int *finished)
{
	int64_t	deadline = timeutil_now_ms() + STRESS_WAIT_MS;

	while (atomic_load(flag) < min && !atomic_load(finished))
		if (timeutil_now_ms() > deadline)
			return -1;
		else
			timeutil_sleep_ms(2);
	return 0;
}

/* The main thread's part: wait for the workers, then cut them off. */
static int
stress_cut(struct daspool_client *c, struct worker *w, int n,
    enum stress_mode mode, const char *volume, int timeout_ms,
    unsigned int *seed, int64_t *took)
{
	int64_t	start;
	int	i, rc = 0;

	for (i = 0; i < n; i++)
		if (mode != MODE_CLOSE_HANDLES && stress_wait(&w[i].writes,
		    STRESS_WARMUP_OPS, &w[i].finished) == -1) {
			fprintf(stderr, "dsp_stress: thread %d made no "
			    "progress\n", i);
			return 1;
		}
	timeutil_sleep_ms((int64_t)(rand_r(seed) % 30));
	start = timeutil_now_ms();
	switch (mode) {
	case MODE_UNMOUNT:
		if ((rc = daspool_unmount(c, volume)) != 0)
			fprintf(stderr, "dsp_stress: unmount under I/O: %s\n",
			    daspool_client_error(c));
		break;
	case MODE_CLOSE:
		daspool_client_close(c);
		break;
	case MODE_CLOSE_HANDLES:
		for (i = 0; i < n; i++) {
			if (stress_wait(&w[i].inside, 1,
			    &w[i].finished) == -1) {
				fprintf(stderr, "dsp_stress: thread %d never "
				    "got into its write\n", i);
				rc = 1;
			}
			daspool_volume_close(w[i].v);
		}
		break;
	}
	*took = timeutil_now_ms() - start;
	if (rc == 0 && *took > timeout_ms) {
		fprintf(stderr, "dsp_stress: %s took %lld ms\n",
		    stress_modes[mode], (long long)*took);
		rc = 1;
	}
	return rc != 0;
}

static int
stress_round(const struct daspool_options *o, enum stress_mode mode,
    const char *volume, int n, int round, unsigned int *seed)
{
	static struct worker	 w[STRESS_MAX_THREADS];
	struct daspool_client	*c;
	uint64_t		 size, slice;
	int64_t			 took = 0;
	int			 i, rc, failed, cut = 0, writes = 0;

	memset(w, 0, sizeof(w));
	if (daspool_client_open(o, &c) != 0)
		stress_fatal("client", c ? daspool_client_error(c) : "memory");
	if (daspool_mount(c, volume, NULL) != 0)
		stress_fatal(volume, daspool_client_error(c));
	for (i = 0; i < n; i++)
		if (daspool_volume_open(c, volume, &w[i].v) != 0)
			stress_fatal(volume, daspool_client_error(c));
	size = daspool_volume_size(w[0].v);
	slice = size / (uint64_t)n / 4096 * 4096;
	for (i = 0; i < n; i++) {
		w[i].id = i;
		w[i].mode = mode;
		w[i].volume = volume;
		w[i].base = slice * (uint64_t)i;
		w[i].size = slice;
		if (pthread_create(&w[i].thread, NULL, mode == MODE_CLOSE_HANDLES ?
		    worker_long : worker_loop, &w[i]) != 0)
			stress_fatal("threads", "cannot start a thread");
	}
	failed = stress_cut(c, w, n, mode, volume, o->timeout_ms, seed, &took);
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].failed) {
			fprintf(stderr, "dsp_stress: round %d: %s\n", round,
			    w[i].why);
			failed = 1;
		}
		cut += w[i].rc != 0;
		writes += atomic_load(&w[i].writes);
	}
	/* After a client close the last handle's close freed it. */
	if (mode != MODE_CLOSE)
		daspool_client_close(c);
	rc = failed ? 1 : 0;
	printf("round %d, %s under I/O on %s in %lld ms: %d threads, %d "
	    "writes acknowledged before, %d calls cut off cleanly%s\n", round,
	    stress_modes[mode], volume, (long long)took, n, writes, cut,
	    failed ? "; FAILED" : "");
	return rc;
}

int
main(int argc, char **argv)
{
	struct daspool_conf	 conf;
	struct daspool_options	 o;
	enum stress_mode	 mode;
	unsigned int		 seed = (unsigned int)time(NULL);
	char			 why[1024];
	int			 n, rounds, round, rc = 0;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("dsp_stress", 1, LOG_LEVEL_WARN);
	if (argc != 7 || strcmp(argv[1], "-f") != 0)
		stress_usage();
	for (mode = MODE_UNMOUNT; mode <= MODE_CLOSE_HANDLES; mode++)
		if (strcmp(argv[3], stress_modes[mode]) == 0)
			break;
	if (mode > MODE_CLOSE_HANDLES)
		stress_usage();
	n = atoi(argv[5]);
	rounds = atoi(argv[6]);
	if (n < 1 || n > STRESS_MAX_THREADS || rounds < 1)
		stress_usage();
	daspool_conf_init(&conf);
	if ((rc = daspool_conf_load(argv[2], &conf, why, sizeof(why))) != 0)
		stress_fatal(argv[2], rc == 1 ? "no such file" : why);
	daspool_conf_options(&conf, &o);
	if (o.timeout_ms == 0)
		o.timeout_ms = DASPOOL_TIMEOUT_MS;
	for (round = 1, rc = 0; round <= rounds && rc == 0; round++)
		rc = stress_round(&o, mode, argv[4], n, round, &seed);
	daspool_conf_free(&conf);
	return rc;
}
