/*
 * Retention: with keep_days 30 and keep_copies 2, a volume's copy
 * older than 30 days expires only once two newer copies exist; a tape
 * is free when every copy on it expired, and names a copy it holds
 * otherwise; a tape with no copy is free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "retention.h"

#define DAY	86400

static char	dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/retention_test.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static uint64_t
add(struct catalog *cat, const char *volume, uint64_t time,
    const char *tape)
{
	struct catalog_copy	c;
	char			err[256];

	memset(&c, 0, sizeof(c));
	snprintf(c.volume, sizeof(c.volume), "%s", volume);
	c.time = time;
	snprintf(c.parts[0].label, sizeof(c.parts[0].label), "%s", tape);
	c.nparts = 1;
	assert_int_equal(catalog_add(cat, &c, err, sizeof(err)), 0);
	return c.id;
}

static void
test_retention(void **state)
{
	const struct retention	r = { 30, 2 };
	const time_t		now = 1764640800;
	struct catalog		*cat;
	struct catalog_copy	c;
	char			err[256];
	uint64_t		old, mid, held;

	(void)state;
	assert_int_equal(catalog_open(dir, &cat, err, sizeof(err)), 0);
	old = add(cat, "Vol-1", now - 40 * DAY, "DSP001");
	mid = add(cat, "Vol-1", now - 35 * DAY, "DSP002");
	add(cat, "Vol-1", now - 1 * DAY, "DSP003");
	add(cat, "Vol-2", now - 90 * DAY, "DSP002");

	assert_int_equal(catalog_get(cat, old, &c), 0);
	assert_int_equal(retention_expired(cat, &r, &c, now), 1);
	/* Old enough, but only one newer copy of Vol-1. */
	assert_int_equal(catalog_get(cat, mid, &c), 0);
	assert_int_equal(retention_expired(cat, &r, &c, now), 0);
	/* Vol-2's only copy is kept however old. */
	assert_int_equal(catalog_get(cat, 4, &c), 0);
	assert_int_equal(retention_expired(cat, &r, &c, now), 0);

	assert_int_equal(retention_tape_free(cat, &r, "DSP001", now, &held),
	    1);
	assert_int_equal(retention_tape_free(cat, &r, "DSP002", now, &held),
	    0);
	assert_int_equal(held, mid);
	assert_int_equal(retention_tape_free(cat, &r, "DSP009", now, &held),
	    1);
	/* A new copy of Vol-1: the 35-day one has two newer now. */
	add(cat, "Vol-1", now, "DSP004");
	assert_int_equal(catalog_get(cat, mid, &c), 0);
	assert_int_equal(retention_expired(cat, &r, &c, now), 1);
	/* DSP002 still holds Vol-2's only copy. */
	assert_int_equal(retention_tape_free(cat, &r, "DSP002", now, &held),
	    0);
	assert_int_equal(held, 4);
	catalog_close(cat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retention, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
