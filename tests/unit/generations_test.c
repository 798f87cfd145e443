/*
 * Highest-seen generations: persisted across a close and reopen, never
 * lowered (in memory or on disk), one agent per state dir, raises
 * racing from several threads keep the maximum, and a raise waits for
 * the requests admitted under an older generation, every time.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "generations.h"
#include "proto.h"

struct fixture {
	char	dir[256];
	char	err[256];
};

static int
setup(void **state)
{
	struct fixture	*f;
	const char	*tmp = getenv("TMPDIR");

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/generations_test.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	const char	*names[] = { "data.mdb", "lock.mdb", "agent.lock" };
	char		 p[320];
	size_t		 i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, names[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct generations *
reopen(struct fixture *f, struct generations *g)
{
	generations_close(g);
	g = generations_open(f->dir, f->err, sizeof(f->err));
	if (g == NULL)
		fail_msg("reopen: %s", f->err);
	return g;
}

static void
test_persisted(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	assert_int_equal(generations_get(g, "Vol-1"), 0);
	assert_int_equal(generations_raise_one(g, "Vol-1", 5, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_raise_one(g, "Vol-2", 2, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_get(g, "Vol-1"), 5);
	g = reopen(f, g);
	assert_int_equal(generations_get(g, "Vol-1"), 5);
	assert_int_equal(generations_get(g, "Vol-2"), 2);
	assert_int_equal(generations_get(g, "Vol-3"), 0);
	assert_int_equal(generations_count(g), 2);
	generations_close(g);
}

static void
test_never_lowered(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	assert_int_equal(generations_raise_one(g, "Vol-1", 7, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_raise_one(g, "Vol-1", 3, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_get(g, "Vol-1"), 7);
	g = reopen(f, g);
	assert_int_equal(generations_get(g, "Vol-1"), 7);
	assert_int_equal(generations_raise_one(g, "Vol-1", 6, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_raise_one(g, "Vol-1", 9, f->err,
	    sizeof(f->err)), 0);
	g = reopen(f, g);
	assert_int_equal(generations_get(g, "Vol-1"), 9);
	/* Raising a never-seen volume to 0 records nothing. */
	assert_int_equal(generations_raise_one(g, "Vol-9", 0, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_count(g), 1);
	generations_close(g);
}

static void
test_many_volumes(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;
	char			 name[32];
	int			 i, v;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	/* Inserted out of order; looked up after a reopen. */
	for (i = 0; i < 200; i++) {
		v = (i * 73) % 200;
		snprintf(name, sizeof(name), "vol-%03d", v);
		assert_int_equal(generations_raise_one(g, name, (uint64_t)v + 1,
		    f->err, sizeof(f->err)), 0);
	}
	g = reopen(f, g);
	assert_int_equal(generations_count(g), 200);
	for (v = 0; v < 200; v++) {
		snprintf(name, sizeof(name), "vol-%03d", v);
		assert_int_equal(generations_get(g, name), (uint64_t)v + 1);
	}
	generations_close(g);
}

static void
test_one_agent_per_dir(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g, *g2;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	g2 = generations_open(f->dir, f->err, sizeof(f->err));
	assert_null(g2);
	assert_non_null(strstr(f->err, "in use by another daspool-agent"));
	generations_close(g);
}

static void
test_bad_dir(void **state)
{
	struct fixture		*f = *state;
	char			 dir[320];

	snprintf(dir, sizeof(dir), "%s/no/such/dir", f->dir);
	assert_null(generations_open(dir, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "No such file or directory"));
}

struct racer {
	struct generations	*g;
	uint64_t		 start;
};

static void *
race(void *arg)
{
	struct racer	*r = arg;
	char		 err[256];
	uint64_t	 i;

	for (i = 0; i < 50; i++)
		if (generations_raise_one(r->g, "Vol-R", r->start + i * 4, err,
		    sizeof(err)) != 0)
			return r;	/* non-NULL fails the test */
	return NULL;
}

static void
test_concurrent_raises(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;
	struct racer		 r[4];
	pthread_t		 t[4];
	void			*rv;
	int			 i;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	for (i = 0; i < 4; i++) {
		r[i].g = g;
		r[i].start = (uint64_t)i + 1;
		assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
	}
	/* Highest raise: start 4 + 49 * 4. */
	assert_int_equal(generations_get(g, "Vol-R"), 200);
	g = reopen(f, g);
	assert_int_equal(generations_get(g, "Vol-R"), 200);
	generations_close(g);
}

struct revoker {
	struct generations	*g;
	const char		*volume;
	uint64_t		 gen;
	volatile int		 done;
};

static void *
revoke_thread(void *arg)
{
	struct revoker	*rv = arg;
	char		 err[256];

	if (generations_raise_one(rv->g, rv->volume, rv->gen, err,
	    sizeof(err)) != 0)
		return rv;
	rv->done = 1;
	return NULL;
}

static void
revoker_start(struct revoker *rv, pthread_t *t, struct generations *g,
    const char *volume, uint64_t gen)
{
	rv->g = g;
	rv->volume = volume;
	rv->gen = gen;
	rv->done = 0;
	assert_int_equal(pthread_create(t, NULL, revoke_thread, rv), 0);
}

static void
revoker_join(struct revoker *rv, pthread_t t)
{
	void	*ret;

	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_int_equal(rv->done, 1);
}

/*
 * A raise returns only after the requests admitted under an older
 * generation are done, and from its start no such request is admitted.
 */
static void
test_raise_waits_for_requests_in_flight(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;
	struct revoker		 rv;
	pthread_t		 t;
	uint64_t		 highest;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	assert_int_equal(generations_raise_one(g, "Vol-U", 3, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_begin(g, "Vol-U", 3, &highest), DSP_OK);
	revoker_start(&rv, &t, g, "Vol-U", 9);
	usleep(200000);
	assert_int_equal(rv.done, 0);
	/* The new generation is already what admission checks. */
	assert_int_equal(generations_get(g, "Vol-U"), 9);
	assert_int_equal(generations_current(g, "Vol-U", 3), 0);
	assert_int_equal(generations_begin(g, "Vol-U", 3, &highest),
	    DSP_E_STALE);
	assert_int_equal(highest, 9);
	generations_end(g, "Vol-U", 3);
	revoker_join(&rv, t);
	generations_close(g);
}

/*
 * A repeated raise (the manager retrying a revocation that timed out)
 * waits like the first one, although the generation is already stored.
 */
static void
test_repeated_raise_waits(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;
	struct revoker		 first, again;
	pthread_t		 t1, t2;
	uint64_t		 highest;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	assert_int_equal(generations_begin(g, "Vol-L", 4, &highest), DSP_OK);
	revoker_start(&first, &t1, g, "Vol-L", 5);
	usleep(100000);
	revoker_start(&again, &t2, g, "Vol-L", 5);
	usleep(200000);
	assert_int_equal(first.done, 0);
	assert_int_equal(again.done, 0);
	generations_end(g, "Vol-L", 4);
	revoker_join(&first, t1);
	revoker_join(&again, t2);
	generations_close(g);
}

/* Requests under the generation raised to, or of other volumes, do not
 * hold a raise up. */
static void
test_raise_ignores_current_and_other_volumes(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;
	uint64_t		 highest;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	assert_int_equal(generations_begin(g, "Vol-A", 2, &highest), DSP_OK);
	assert_int_equal(generations_begin(g, "Vol-B", 7, &highest), DSP_OK);
	assert_int_equal(generations_raise_one(g, "Vol-A", 2, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_raise_one(g, "Vol-C", 1, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_current(g, "Vol-A", 2), 1);
	generations_end(g, "Vol-A", 2);
	generations_end(g, "Vol-B", 7);
	generations_close(g);
}

/* A page of a registration is one commit; the synced mark persists. */
static void
test_batch_and_synced(void **state)
{
	struct fixture		*f = *state;
	struct generations	*g;
	struct msg_generation	*items;
	size_t			 i, n = 4096;

	g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(g);
	assert_int_equal(generations_synced(g), 0);
	items = calloc(n, sizeof(*items));
	assert_non_null(items);
	for (i = 0; i < n; i++) {
		snprintf(items[i].volume, sizeof(items[i].volume), "V-%04zu",
		    i);
		items[i].generation = i + 1;
	}
	assert_int_equal(generations_raise(g, items, n, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_set_synced(g, f->err, sizeof(f->err)), 0);
	g = reopen(f, g);
	assert_int_equal(generations_synced(g), 1);
	assert_int_equal(generations_count(g), n);
	assert_int_equal(generations_get(g, "V-4095"), 4096);
	/* A bad name in a batch changes nothing. */
	snprintf(items[0].volume, sizeof(items[0].volume), "bad name");
	items[1].generation = 99999;
	assert_int_equal(generations_raise(g, items, 2, f->err,
	    sizeof(f->err)), -1);
	assert_int_equal(generations_get(g, "V-0001"), 2);
	free(items);
	generations_close(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_persisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_lowered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many_volumes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_agent_per_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_raises, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_raise_waits_for_requests_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeated_raise_waits,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_raise_ignores_current_and_other_volumes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch_and_synced, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
