/*
 * Highest-seen generations: persisted across a close and reopen, never
 * lowered (in memory or on disk), one agent per state dir, and raises
 * racing from several threads keep the maximum.
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
	assert_int_equal(generations_raise(g, "Vol-1", 5, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_raise(g, "Vol-2", 2, f->err,
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
	assert_int_equal(generations_raise(g, "Vol-1", 7, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_raise(g, "Vol-1", 3, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_get(g, "Vol-1"), 7);
	g = reopen(f, g);
	assert_int_equal(generations_get(g, "Vol-1"), 7);
	assert_int_equal(generations_raise(g, "Vol-1", 6, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(generations_raise(g, "Vol-1", 9, f->err,
	    sizeof(f->err)), 0);
	g = reopen(f, g);
	assert_int_equal(generations_get(g, "Vol-1"), 9);
	/* Raising a never-seen volume to 0 records nothing. */
	assert_int_equal(generations_raise(g, "Vol-9", 0, f->err,
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
		assert_int_equal(generations_raise(g, name, (uint64_t)v + 1,
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
		if (generations_raise(r->g, "Vol-R", r->start + i * 4, err,
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
	volatile int		 done;
};

static void *
revoke_thread(void *arg)
{
	struct revoker	*rv = arg;
	char		 err[256];

	if (generations_raise(rv->g, "Vol-U", 9, err, sizeof(err)) != 0)
		return rv;
	rv->done = 1;
	return NULL;
}

/* A raise returns only after the requests checked before it are done. */
static void
test_raise_waits_for_requests_in_flight(void **state)
{
	struct fixture		*f = *state;
	struct revoker		 rv;
	pthread_t		 t;
	void			*ret;

	rv.g = generations_open(f->dir, f->err, sizeof(f->err));
	assert_non_null(rv.g);
	rv.done = 0;
	generations_use_begin(rv.g);
	assert_int_equal(pthread_create(&t, NULL, revoke_thread, &rv), 0);
	usleep(200000);
	assert_int_equal(rv.done, 0);
	/* The new generation is already visible to later checks. */
	assert_int_equal(generations_get(rv.g, "Vol-U"), 9);
	generations_use_end(rv.g);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_int_equal(rv.done, 1);
	generations_close(rv.g);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
