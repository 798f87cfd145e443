/*
 * Leg holds on the agent: a held volume takes no write, others do; a
 * hold waits out the writes admitted before it; a lift or a lease that
 * ran out lets writes in again.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "holds.h"

struct holder {
	struct holds	*h;
	int		 done;		/* atomic */
};

static void *
hold_main(void *arg)
{
	struct holder	*x = arg;

	assert_int_equal(holds_set(x->h, "Vol-3", 60), 0);
	__atomic_store_n(&x->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_hold_waits_for_writes(void **state)
{
	struct holder	x = { NULL, 0 };
	pthread_t	t;

	(void)state;
	assert_non_null(x.h = holds_new());
	assert_int_equal(holds_begin_write(x.h, "Vol-3"), 1);
	assert_int_equal(pthread_create(&t, NULL, hold_main, &x), 0);
	usleep(100 * 1000);
	/* The write admitted before the hold still runs. */
	assert_int_equal(__atomic_load_n(&x.done, __ATOMIC_ACQUIRE), 0);
	holds_end_write(x.h, "Vol-3");
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(x.done, 1);
	assert_int_equal(holds_begin_write(x.h, "Vol-3"), 0);
	assert_int_equal(holds_begin_write(x.h, "Vol-1"), 1);
	holds_end_write(x.h, "Vol-1");
	/* Renewed and lifted while held: both say it was. */
	assert_int_equal(holds_renew(x.h, "Vol-3", 60), 1);
	assert_int_equal(holds_set(x.h, "Vol-3", 0), 1);
	assert_int_equal(holds_begin_write(x.h, "Vol-3"), 1);
	holds_end_write(x.h, "Vol-3");
	/* Not held (a restart, a lease run out): both say it was not. */
	assert_int_equal(holds_renew(x.h, "Vol-3", 60), 0);
	assert_int_equal(holds_set(x.h, "Vol-3", 0), 0);
	assert_int_equal(holds_begin_write(x.h, "Vol-3"), 1);
	holds_end_write(x.h, "Vol-3");
	holds_free(x.h);
}

static void
test_lease_runs_out(void **state)
{
	struct holds	*h;

	(void)state;
	assert_non_null(h = holds_new());
	assert_int_equal(holds_set(h, "Vol-3", 1), 0);
	assert_int_equal(holds_begin_write(h, "Vol-3"), 0);
	usleep(1100 * 1000);
	assert_int_equal(holds_begin_write(h, "Vol-3"), 1);
	assert_int_equal(holds_renew(h, "Vol-3", 60), 0);
	holds_end_write(h, "Vol-3");
	/* Many volumes: the table grows and keeps each one apart. */
	assert_int_equal(holds_set(h, "Vol-9", 60), 0);
	for (int i = 0; i < 40; i++) {
		char	name[16];

		snprintf(name, sizeof(name), "Vol-%d", 100 + i);
		assert_int_equal(holds_begin_write(h, name), 1);
		holds_end_write(h, name);
	}
	assert_int_equal(holds_begin_write(h, "Vol-9"), 0);
	holds_free(h);
}

/* Many volumes, made in no order: a hold and its writers are the held
 * volume's alone, found again after others were added around it. */
static void
test_many_volumes(void **state)
{
	struct holds	*h = holds_new();
	char		 name[32];
	int		 i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "v%04d", (i * 1237) % 4096);
		assert_int_equal(holds_begin_write(h, name), 1);
	}
	for (i = 0; i < 4096; i++) {
		snprintf(name, sizeof(name), "v%04d", i);
		holds_end_write(h, name);
	}
	assert_int_equal(holds_set(h, "v2000", 60), 0);
	assert_int_equal(holds_begin_write(h, "a-new-one"), 1);
	assert_int_equal(holds_begin_write(h, "z-new-one"), 1);
	assert_int_equal(holds_begin_write(h, "v2000"), 0);
	assert_int_equal(holds_begin_write(h, "v1999"), 1);
	assert_int_equal(holds_renew(h, "v2000", 60), 1);
	assert_int_equal(holds_renew(h, "v2001", 60), 0);
	assert_int_equal(holds_set(h, "v2000", 0), 1);
	assert_int_equal(holds_begin_write(h, "v2000"), 1);
	holds_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_waits_for_writes),
		cmocka_unit_test(test_lease_runs_out),
		cmocka_unit_test(test_many_volumes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
