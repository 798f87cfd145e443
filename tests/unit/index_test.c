/*
 * The store's indexes against the rows they index: after each step of a
 * pool's life (create in every form, split, allocate by name and by
 * size, mount, unmount, release, force-release, delete, a restart, and
 * the upgrade of a store written before the indexes) every index holds
 * exactly what a walk of the volumes says it should: one test per index.
 * The readers are checked too: a server's volumes by name, and the free
 * volumes smallest first from a size on.
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

#define LINES_MAX	(64 * 1024)

/* The rows of an index, or what they should be, one line each, sorted. */
struct lines {
	char	*text[4096];
	size_t	 count;
};

static void
lines_add(struct lines *l, const char *fmt, ...)
{
	va_list	ap;
	char	buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(l->count < sizeof(l->text) / sizeof(l->text[0]));
	assert_non_null(l->text[l->count++] = strdup(buf));
}

static int
lines_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Sorted and joined; the caller frees. */
static char *
lines_join(struct lines *l)
{
	char	*out;
	size_t	 i, n = 0;

	qsort(l->text, l->count, sizeof(l->text[0]), lines_cmp);
	assert_non_null(out = calloc(1, LINES_MAX));
	for (i = 0; i < l->count; i++) {
		n += (size_t)snprintf(out + n, LINES_MAX - n, "%s\n",
		    l->text[i]);
		assert_true(n < LINES_MAX);
		free(l->text[i]);
	}
	l->count = 0;
	return out;
}

static uint64_t
be64(const void *p)
{
	const uint8_t	*b = p;
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

enum index_kind { IDX_SERVER, IDX_BORROWER, IDX_FREE, IDX_EXTENTS };

/* What a walk of the volumes says the index holds. */
static int
expect_one(struct store_txn *t, const struct volume_record *v, void *arg)
{
	struct lines	*l = ((void **)arg)[0];
	enum index_kind	 kind = *(enum index_kind *)((void **)arg)[1];
	uint16_t	 i, j;

	(void)t;
	if (kind == IDX_BORROWER && v->borrower[0] != '\0')
		lines_add(l, "%s|%s", v->borrower, v->name);
	if (kind == IDX_FREE && v->borrower[0] == '\0')
		lines_add(l, "%020llu|%s", (unsigned long long)v->size,
		    v->name);
	for (i = 0; i < v->extent_count; i++) {
		const struct volume_extent *e = &v->extents[i];

		if (kind == IDX_EXTENTS)
			lines_add(l, "%s|%s|%llu|%s|%llu", e->server,
			    e->region, (unsigned long long)e->offset, v->name,
			    (unsigned long long)e->length);
		for (j = 0; j < i; j++)
			if (strcmp(v->extents[j].server, e->server) == 0)
				break;
		if (kind == IDX_SERVER && j == i)
			lines_add(l, "%s|%s", e->server, v->name);
	}
	return 0;
}

/* What the index holds, read raw. */
static int
actual_one(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct lines	*l = ((void **)arg)[0];
	enum index_kind	 kind = *(enum index_kind *)((void **)arg)[1];
	const char	*key = k->mv_data, *second;
	size_t		 first;

	switch (kind) {
	case IDX_SERVER:
	case IDX_BORROWER:
		first = strnlen(key, k->mv_size);
		assert_true(first < k->mv_size);
		assert_int_equal(d->mv_size, 0);
		lines_add(l, "%s|%.*s", key, (int)(k->mv_size - first - 1),
		    key + first + 1);
		break;
	case IDX_FREE:
		assert_true(k->mv_size > 8);
		lines_add(l, "%020llu|%.*s", (unsigned long long)be64(key),
		    (int)(k->mv_size - 8), key + 8);
		break;
	case IDX_EXTENTS:
		first = strlen(key);
		second = key + first + 1;
		first += 1 + strlen(second) + 1;
		assert_int_equal(d->mv_size, 8);
		lines_add(l, "%s|%s|%llu|%.*s|%llu", key, second,
		    (unsigned long long)be64(key + first),
		    (int)(k->mv_size - first - 8), key + first + 8,
		    (unsigned long long)be64(d->mv_data));
		break;
	}
	return 0;
}

static MDB_dbi
index_dbi(struct store *s, enum index_kind kind)
{
	switch (kind) {
	case IDX_SERVER:	return s->server_volumes;
	case IDX_BORROWER:	return s->borrowed;
	case IDX_FREE:		return s->free_sizes;
	default:		return s->extents;
	}
}

static void
check_index(struct fixture *f, enum index_kind kind, const char *step)
{
	struct store_txn	 t;
	struct lines		*want, *have;
	void			*args[2];
	char			*w, *h;

	assert_non_null(want = calloc(1, sizeof(*want)));
	assert_non_null(have = calloc(1, sizeof(*have)));
	assert_int_equal(store_begin(f->s, &t, 0, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	args[0] = want;
	args[1] = &kind;
	assert_int_equal(store_walk_volumes(&t, expect_one, args), 0);
	args[0] = have;
	assert_int_equal(store_walk(&t, index_dbi(f->s, kind), NULL,
	    actual_one, args), 0);
	store_end(&t, DSP_OK);
	w = lines_join(want);
	h = lines_join(have);
	if (strcmp(w, h) != 0)
		fail_msg("after %s the index holds\n%s\nwhere the volumes "
		    "say\n%s", step, h, w);
	free(w);
	free(h);
	free(want);
	free(have);
}

/* --- the pool's life --- */

static void
ref(struct store_region_ref *r, const char *server, const char *region)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->server, sizeof(r->server), "%s", server);
	snprintf(r->region, sizeof(r->region), "%s", region);
}

static void
create(struct fixture *f, const char *name, int form, const char *s1,
    const char *r1, const char *s2, const char *r2)
{
	struct store_region_ref	r[2];

	ref(&r[0], s1, r1);
	if (s2 != NULL)
		ref(&r[1], s2, r2);
	assert_int_equal(store_volume_create(f->s, "admin:0", name, form, r,
	    s2 != NULL ? 2 : 1, 1000, f->err, sizeof(f->err)), DSP_OK);
}

static void
split(struct fixture *f, const char *server, const char *region,
    unsigned int count, uint64_t size)
{
	struct store_region_ref	r;
	struct store_piece	p[8];
	unsigned int		i;

	ref(&r, server, region);
	memset(p, 0, sizeof(p));
	for (i = 0; i < count; i++) {
		snprintf(p[i].name, sizeof(p[i].name), "%s-%u", region, i);
		p[i].size = size * (i + 1);
	}
	assert_int_equal(store_volume_split(f->s, "admin:0", &r, p,
	    (uint16_t)count, 1000, f->err, sizeof(f->err)), DSP_OK);
}

/* Acknowledges every generation the lenders owe, so volumes can be
 * lent and deleted again. */
static void
ack_all(struct fixture *f, const char *volume)
{
	struct volume_record	v;
	uint16_t		i;

	assert_int_equal(store_get_volume(f->s, volume, &v), DSP_OK);
	for (i = 0; i < v.extent_count; i++)
		assert_int_equal(store_push_acked(f->s, v.extents[i].server,
		    volume, v.generation, v.revision, f->err,
		    sizeof(f->err)), DSP_OK);
}

static void
reopen(struct fixture *f)
{
	store_close(f->s);
	assert_int_equal(store_open(&f->s, f->dir, 0, 0, f->err,
	    sizeof(f->err)), 0);
}

/* A store as schema 1 wrote it: no lending indexes, no extents. */
static void
make_schema_one(struct fixture *f)
{
	struct store_txn	t;
	uint8_t			be[4] = { 0, 0, 0, 1 };
	MDB_val			key = { 6, (void *)"schema" };
	MDB_val			val = { sizeof(be), be };

	assert_int_equal(store_begin(f->s, &t, 1, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(mdb_drop(t.txn, f->s->server_volumes, 0), 0);
	assert_int_equal(mdb_drop(t.txn, f->s->borrowed, 0), 0);
	assert_int_equal(mdb_drop(t.txn, f->s->free_sizes, 0), 0);
	assert_int_equal(mdb_drop(t.txn, f->s->extents, 0), 0);
	assert_int_equal(mdb_put(t.txn, f->s->meta, &key, &val, 0), 0);
	t.dirty = 1;
	assert_int_equal(store_end(&t, DSP_OK), DSP_OK);
}

static void
life(struct fixture *f, enum index_kind kind)
{
	struct volume_record	v;
	uint32_t		from;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    "A2:2000000", "A3:3000000", "A4:8000000", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverB", 1000, "B1:1000000",
	    "B2:2000000", NULL), DSP_OK);
	create(f, "S1", DSP_FORM_SINGLE, "serverA", "A1", NULL, NULL);
	create(f, "M1", DSP_FORM_MIRROR, "serverA", "A2", "serverB", "B2");
	create(f, "C1", DSP_FORM_CONCAT, "serverA", "A3", "serverB", "B1");
	split(f, "serverA", "A4", 5, 100000);
	check_index(f, kind, "create and split");

	assert_int_equal(store_allocate(f->s, "host1", "M1", 0, 1100, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "host2", NULL, 250000, 1100, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	/* The smallest free volume of at least that size. */
	assert_string_equal(v.name, "A4-2");
	assert_int_equal(store_allocate(f->s, "host2", NULL, 1, 1100, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_string_equal(v.name, "A4-0");
	assert_int_equal(store_mount(f->s, "host1", "M1", 1200, &v, f->err,
	    sizeof(f->err)), DSP_OK);
	check_index(f, kind, "allocate and mount");

	assert_int_equal(store_unmount(f->s, "host1", "host1", "M1", 1300, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_release(f->s, "host1", "host1", "M1", 1300, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_release(f->s, "admin:0", NULL, "A4-0", 1300,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	check_index(f, kind, "release and force-release");

	ack_all(f, "A4-0");
	ack_all(f, "C1");
	assert_int_equal(store_volume_delete(f->s, "admin:0", "A4-0", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "C1", f->err,
	    sizeof(f->err)), DSP_OK);
	check_index(f, kind, "delete");

	reopen(f);
	check_index(f, kind, "a restart");

	make_schema_one(f);
	reopen(f);
	assert_int_equal(store_upgrade(f->s, &from, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(from, 1);
	check_index(f, kind, "the upgrade of a schema 1 store");
	assert_int_equal(store_upgrade(f->s, &from, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(from, STORE_SCHEMA_VERSION);
}

static int
setup(void **state)
{
	return fixture_setup(state, "index_test");
}

static int
teardown(void **state)
{
	return fixture_teardown(state);
}

static void
test_server_volumes(void **state)
{
	life(*state, IDX_SERVER);
}

static void
test_borrowed(void **state)
{
	life(*state, IDX_BORROWER);
}

static void
test_free_sizes(void **state)
{
	life(*state, IDX_FREE);
}

static void
test_extents(void **state)
{
	life(*state, IDX_EXTENTS);
}

/* --- the readers --- */

static int
collect(struct store_txn *t, const char *volume, uint64_t size, void *arg)
{
	(void)t;
	lines_add(arg, "%s:%llu", volume, (unsigned long long)size);
	return 0;
}

static char *
read_index(struct fixture *f, int which, const char *key, const char *after,
    uint64_t min_size)
{
	struct store_txn	 t;
	struct lines		*l;
	char			*out, *p;
	size_t			 i;
	int			 rc;

	assert_non_null(l = calloc(1, sizeof(*l)));
	assert_int_equal(store_begin(f->s, &t, 0, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	if (which == 0)
		rc = store_server_volumes(&t, key, after, collect, l);
	else if (which == 1)
		rc = store_borrower_volumes(&t, key, collect, l);
	else
		rc = store_free_volumes(&t, min_size, collect, l);
	assert_int_equal(rc, 0);
	store_end(&t, DSP_OK);
	/* In the order the reader gave, not sorted. */
	assert_non_null(out = calloc(1, LINES_MAX));
	for (i = 0, p = out; i < l->count; i++) {
		p += sprintf(p, "%s ", l->text[i]);
		free(l->text[i]);
	}
	free(l);
	return out;
}

static void
expect_read(struct fixture *f, int which, const char *key, const char *after,
    uint64_t min_size, const char *want)
{
	char	*got = read_index(f, which, key, after, min_size);

	assert_string_equal(got, want);
	free(got);
}

static void
test_readers(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    "A4:8000000", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverAB", 1000, "B1:1000000",
	    NULL), DSP_OK);
	create(f, "S1", DSP_FORM_SINGLE, "serverAB", "B1", NULL, NULL);
	create(f, "Z1", DSP_FORM_SINGLE, "serverA", "A1", NULL, NULL);
	split(f, "serverA", "A4", 3, 100000);
	/* "serverA" is a prefix of "serverAB": its volumes are not A's. */
	expect_read(f, 0, "serverA", NULL, 0, "A4-0:0 A4-1:0 A4-2:0 Z1:0 ");
	expect_read(f, 0, "serverA", "A4-1", 0, "A4-2:0 Z1:0 ");
	expect_read(f, 0, "serverAB", NULL, 0, "S1:0 ");
	expect_read(f, 0, "serverQ", NULL, 0, "");
	expect_read(f, 2, NULL, NULL, 150000,
	    "A4-1:200000 A4-2:300000 S1:1000000 Z1:1000000 ");
	assert_int_equal(store_allocate(f->s, "host1", "Z1", 0, 1100, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "host1", "A4-0", 0, 1100, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	expect_read(f, 1, "host1", NULL, 0, "A4-0:0 Z1:0 ");
	expect_read(f, 1, "host", NULL, 0, "");
	expect_read(f, 2, NULL, NULL, 0, "A4-1:200000 A4-2:300000 "
	    "S1:1000000 ");
}

/* A store of a newer schema is refused with a sentence. */
static void
test_newer_refused(void **state)
{
	struct fixture		*f = *state;
	struct store_txn	 t;
	uint8_t			 be[4] = { 0, 0, 0, STORE_SCHEMA_VERSION + 1 };
	MDB_val			 key = { 6, (void *)"schema" };
	MDB_val			 val = { sizeof(be), be };
	struct store		*s;

	assert_int_equal(store_begin(f->s, &t, 1, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(mdb_put(t.txn, f->s->meta, &key, &val, 0), 0);
	t.dirty = 1;
	assert_int_equal(store_end(&t, DSP_OK), DSP_OK);
	assert_int_equal(store_open(&s, f->dir, 0, 0, f->err, sizeof(f->err)),
	    -1);
	assert_non_null(strstr(f->err, "written by a newer daspool-mgr"));
	/* Back, so the teardown closes a store it can open. */
	be[3] = STORE_SCHEMA_VERSION;
	assert_int_equal(store_begin(f->s, &t, 1, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(mdb_put(t.txn, f->s->meta, &key, &val, 0), 0);
	t.dirty = 1;
	assert_int_equal(store_end(&t, DSP_OK), DSP_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_volumes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_borrowed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_sizes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_extents, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_readers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_newer_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
