/*
 * The backup catalog: copies get increasing ids that survive a reopen;
 * a volume's copies and a tape's copies are listed from their indexes,
 * in order; a state change is kept; a forgotten copy leaves no index
 * row behind. Opened read-only beside the writer, a snapshot seeks the
 * first copy from an id and counts the copies; no catalog yet is told
 * apart from a broken one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"

static char	dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/catalog_test.XXXXXX");
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

static void
copy_of(struct catalog_copy *c, const char *volume, const char *tape1,
    const char *tape2)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->volume, sizeof(c->volume), "%s", volume);
	c->time = 1764640800;
	c->size = 16 << 20;
	c->stored = 8 << 20;
	memset(c->tree, 0x5a, sizeof(c->tree));
	snprintf(c->parts[0].label, sizeof(c->parts[0].label), "%s", tape1);
	c->parts[0].file = 3;
	c->nparts = 1;
	if (tape2 != NULL) {
		snprintf(c->parts[1].label, sizeof(c->parts[1].label), "%s",
		    tape2);
		c->nparts = 2;
	}
}

struct seen {
	uint64_t	ids[8];
	int		n;
};

static int
collect(const struct catalog_copy *c, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 8)
		s->ids[s->n++] = c->id;
	return 0;
}

static void
test_catalog(void **state)
{
	struct catalog		*cat;
	struct catalog_copy	 c, back;
	struct seen		 s;
	char			 err[256];

	(void)state;
	assert_int_equal(catalog_open(dir, &cat, err, sizeof(err)), 0);
	copy_of(&c, "Vol-1", "DSP001", NULL);
	assert_int_equal(catalog_add(cat, &c, err, sizeof(err)), 0);
	assert_int_equal(c.id, 1);
	copy_of(&c, "Vol-2", "DSP001", "DSP002");
	assert_int_equal(catalog_add(cat, &c, err, sizeof(err)), 0);
	assert_int_equal(c.id, 2);
	copy_of(&c, "Vol-1", "DSP002", NULL);
	assert_int_equal(catalog_add(cat, &c, err, sizeof(err)), 0);
	assert_int_equal(c.id, 3);

	memset(&s, 0, sizeof(s));
	assert_int_equal(catalog_each(cat, "Vol-1", collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], 1);
	assert_int_equal(s.ids[1], 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(catalog_each_on_tape(cat, "DSP002", collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(catalog_each(cat, NULL, collect, &s), 0);
	assert_int_equal(s.n, 3);

	assert_int_equal(catalog_get(cat, 2, &back), 0);
	assert_string_equal(back.volume, "Vol-2");
	assert_int_equal(back.nparts, 2);
	assert_string_equal(back.parts[1].label, "DSP002");
	assert_int_equal(back.parts[0].file, 3);
	assert_memory_equal(back.tree, c.tree, sizeof(c.tree));
	assert_int_equal(catalog_get(cat, 9, &back), 1);

	assert_int_equal(catalog_set_state(cat, 2, CATALOG_BAD, 1764641000,
	    err, sizeof(err)), 0);
	assert_int_equal(catalog_forget(cat, 1, err, sizeof(err)), 0);
	assert_int_equal(catalog_forget(cat, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no copy 1"));
	catalog_close(cat);

	/* Reopened: the state stays, the forgotten copy is gone from its
	 * indexes, and ids go on. */
	assert_int_equal(catalog_open(dir, &cat, err, sizeof(err)), 0);
	assert_int_equal(catalog_get(cat, 2, &back), 0);
	assert_int_equal(back.state, CATALOG_BAD);
	assert_int_equal(back.verified_at, 1764641000);
	memset(&s, 0, sizeof(s));
	assert_int_equal(catalog_each(cat, "Vol-1", collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(catalog_each_on_tape(cat, "DSP001", collect, &s), 0);
	assert_int_equal(s.n, 1);
	copy_of(&c, "Vol-3", "DSP003", NULL);
	assert_int_equal(catalog_add(cat, &c, err, sizeof(err)), 0);
	assert_int_equal(c.id, 4);
	catalog_close(cat);
}

static void
test_readonly(void **state)
{
	struct catalog		*cat, *ro;
	struct catalog_snapshot	*snap;
	struct catalog_copy	 c;
	char			 err[256], sub[96], lock[96];
	uint64_t		 n;
	int			 i;

	(void)state;
	/* Nothing there yet, and nothing made by looking. */
	snprintf(sub, sizeof(sub), "%s/catalog", dir);
	snprintf(lock, sizeof(lock), "%s/lock.mdb", dir);
	assert_int_equal(catalog_open_readonly(sub, &ro, err, sizeof(err)), 1);
	assert_null(ro);
	assert_int_equal(catalog_open_readonly(dir, &ro, err, sizeof(err)), 1);
	assert_int_equal(access(lock, F_OK), -1);
	assert_int_equal(catalog_open(dir, &cat, err, sizeof(err)), 0);
	assert_int_equal(catalog_open_readonly(dir, &ro, err, sizeof(err)), 0);
	assert_int_equal(catalog_snapshot_begin(ro, &snap, err, sizeof(err)),
	    0);
	assert_int_equal(catalog_snapshot_seek(snap, 1, &c), 1);
	assert_int_equal(catalog_snapshot_count(snap, &n), 0);
	assert_int_equal(n, 0);
	catalog_snapshot_end(snap);
	for (i = 0; i < 4; i++) {
		copy_of(&c, "Vol-1", "DSP001", NULL);
		assert_int_equal(catalog_add(cat, &c, err, sizeof(err)), 0);
	}
	assert_int_equal(catalog_forget(cat, 2, err, sizeof(err)), 0);

	/* The writer's commits are seen by a new snapshot. */
	assert_int_equal(catalog_snapshot_begin(ro, &snap, err, sizeof(err)),
	    0);
	assert_int_equal(catalog_snapshot_seek(snap, 0, &c), 0);
	assert_int_equal(c.id, 1);
	assert_string_equal(c.volume, "Vol-1");
	assert_int_equal(c.parts[0].file, 3);
	assert_int_equal(catalog_snapshot_seek(snap, 2, &c), 0);
	assert_int_equal(c.id, 3);
	assert_int_equal(catalog_snapshot_seek(snap, 4, &c), 0);
	assert_int_equal(c.id, 4);
	assert_int_equal(catalog_snapshot_seek(snap, 5, &c), 1);
	assert_int_equal(catalog_snapshot_seek(snap, UINT64_MAX, &c), 1);
	assert_int_equal(catalog_snapshot_count(snap, &n), 0);
	assert_int_equal(n, 3);
	/* A snapshot keeps its view while the writer goes on. */
	copy_of(&c, "Vol-2", "DSP002", NULL);
	assert_int_equal(catalog_add(cat, &c, err, sizeof(err)), 0);
	assert_int_equal(catalog_snapshot_seek(snap, 5, &c), 1);
	catalog_snapshot_end(snap);
	catalog_close(ro);
	catalog_close(cat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
