/*
 * Stable numbers and the change counter: every server, region and
 * volume has a number both ways; a deleted volume's or a gone region's
 * number is never given again; a store of schema 2 gets numbers for
 * every row at its upgrade; every commit, and nothing else, moves the
 * change counter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"
#include "store_fixture.h"
#include "store_internal.h"

static uint32_t
id_of(struct fixture *f, char kind, const char *a, const char *b)
{
	struct store_txn	t;
	char			key[STORE_REGION_KEY_MAX];
	size_t			len;
	uint32_t		id = 0;
	int			rc;

	len = b != NULL ? store_region_key(key, a, b) : strlen(a);
	if (b == NULL)
		memcpy(key, a, len);
	assert_int_equal(store_begin(f->s, &t, 0, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	rc = store_id_of(&t, kind, key, len, &id);
	store_end(&t, DSP_OK);
	return rc == DSP_OK ? id : 0;
}

/* The names of kind in number order, "name=numbers" joined by spaces. */
static void
listing(struct fixture *f, char kind, size_t count, char *out, size_t len)
{
	struct store_txn	t;
	uint32_t		after[2] = { 0, 0 }, numbers[2];
	char			key[STORE_REGION_KEY_MAX + 1];
	size_t			klen, used = 0, i;

	out[0] = '\0';
	assert_int_equal(store_begin(f->s, &t, 0, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	while (store_id_next(&t, kind, after, count, 0, numbers, key,
	    &klen) == DSP_OK) {
		for (i = 0; i < klen; i++)
			if (key[i] == '\0')
				key[i] = ':';
		key[klen] = '\0';
		used += (size_t)snprintf(out + used, len - used, "%s%s=%u",
		    used ? " " : "", key, numbers[count - 1]);
		memcpy(after, numbers, sizeof(after));
	}
	store_end(&t, DSP_OK);
}

static uint64_t
changes(struct fixture *f)
{
	struct store_txn	t;
	uint64_t		count, at;

	assert_int_equal(store_begin(f->s, &t, 0, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(store_changes(&t, &count, &at), DSP_OK);
	store_end(&t, DSP_OK);
	return count;
}

static void
create_single(struct fixture *f, const char *name, const char *server,
    const char *region)
{
	struct store_region_ref	r;

	memset(&r, 0, sizeof(r));
	snprintf(r.server, sizeof(r.server), "%s", server);
	snprintf(r.region, sizeof(r.region), "%s", region);
	assert_int_equal(store_volume_create(f->s, "admin:0", name,
	    DSP_FORM_SINGLE, &r, 1, 1000, f->err, sizeof(f->err)), DSP_OK);
}

static void
test_numbers(void **state)
{
	struct fixture	*f = *state;
	char		 out[1024];
	uint32_t	 first;

	assert_int_equal(fixture_register(f, "serverB", 1000, "B1:1000000",
	    NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    "A2:1000000", NULL), DSP_OK);
	assert_int_equal(id_of(f, 's', "serverB", NULL), 1);
	assert_int_equal(id_of(f, 's', "serverA", NULL), 2);
	listing(f, 's', 1, out, sizeof(out));
	assert_string_equal(out, "serverB=1 serverA=2");
	/* Regions by server number, then their own. */
	listing(f, 'r', 2, out, sizeof(out));
	assert_string_equal(out, "serverB:B1=1 serverA:A1=2 serverA:A2=3");

	create_single(f, "V1", "serverA", "A1");
	create_single(f, "V2", "serverB", "B1");
	first = id_of(f, 'v', "V1", NULL);
	assert_int_equal(first, 1);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "V1", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(id_of(f, 'v', "V1", NULL), 0);
	create_single(f, "V1", "serverA", "A1");
	/* Never given again, though the name is. */
	assert_int_equal(id_of(f, 'v', "V1", NULL), 3);
	listing(f, 'v', 1, out, sizeof(out));
	assert_string_equal(out, "V2=2 V1=3");

	/* A region the server no longer reports loses its number. */
	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    NULL), DSP_OK);
	listing(f, 'r', 2, out, sizeof(out));
	assert_string_equal(out, "serverB:B1=1 serverA:A1=2");
	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    "A2:1000000", NULL), DSP_OK);
	assert_int_equal(id_of(f, 'r', "serverA", "A2"), 4);
}

/* A schema 2 store: no numbers, no counter. */
static void
make_schema_two(struct fixture *f)
{
	struct store_txn	t;
	uint8_t			be[4] = { 0, 0, 0, 2 };
	MDB_val			key = { 6, (void *)"schema" };
	MDB_val			val = { sizeof(be), be };
	MDB_val			changes_key = { 7, (void *)"changes" };

	assert_int_equal(store_begin(f->s, &t, 1, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(mdb_drop(t.txn, f->s->ids, 0), 0);
	assert_int_equal(mdb_put(t.txn, f->s->meta, &key, &val, 0), 0);
	assert_int_equal(mdb_del(t.txn, f->s->meta, &changes_key, NULL), 0);
	/* Committed as is: store_end would count it. */
	assert_int_equal(mdb_txn_commit(t.txn), 0);
}

static void
test_upgrade(void **state)
{
	struct fixture	*f = *state;
	char		 out[1024];
	uint32_t	 from;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    "A2:1000000", NULL), DSP_OK);
	create_single(f, "W", "serverA", "A2");
	make_schema_two(f);
	store_close(f->s);
	assert_int_equal(store_open(&f->s, f->dir, 0, 0, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(id_of(f, 'v', "W", NULL), 0);
	assert_int_equal(store_upgrade(f->s, &from, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(from, 2);
	listing(f, 'r', 2, out, sizeof(out));
	assert_string_equal(out, "serverA:A1=1 serverA:A2=2");
	assert_int_equal(id_of(f, 'v', "W", NULL), 1);
	create_single(f, "X", "serverA", "A1");
	assert_int_equal(id_of(f, 'v', "X", NULL), 2);
}

static void
test_change_counter(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;
	uint64_t		 before;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    NULL), DSP_OK);
	before = changes(f);
	assert_true(before > 0);
	create_single(f, "V", "serverA", "A1");
	assert_int_equal(changes(f), before + 1);
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_OK);
	assert_int_equal(changes(f), before + 1);
	/* A refused change commits nothing. */
	assert_int_not_equal(store_allocate(f->s, "host1", "nonesuch", 0, 1100,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(changes(f), before + 1);
	assert_int_equal(store_allocate(f->s, "host1", "V", 0, 1100, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(changes(f), before + 2);
}

static int
setup(void **state)
{
	return fixture_setup(state, "ids_test");
}

static int
teardown(void **state)
{
	return fixture_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_counter, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
