/*
 * The backup's objects over a catalog made in a temporary directory
 * with backup/catalog.c and a status file written with status.c: GET
 * of every column and scalar; GETNEXT from the scalars into the table,
 * over a forgotten copy, from a column's end into the next and past
 * the table's end; an empty catalog, a missing one (then made), and no
 * backup at all; a run whose process is gone is not running.
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "objects.h"
#include "store_fixture.h"

struct bfix {
	struct fixture		*f;
	char			 dir[300];	/* the catalog's */
	struct backup_source	 src;
	char			 err[256];
};

static void
copy_of(struct catalog_copy *c, const char *volume, uint8_t kind,
    const char *tape1, const char *tape2)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->volume, sizeof(c->volume), "%s", volume);
	c->time = 1764640800;		/* 2025-12-02 02:00:00 UTC */
	c->kind = kind;
	c->size = 16 << 20;
	c->stored = 9 << 20;
	snprintf(c->parts[0].label, sizeof(c->parts[0].label), "%s", tape1);
	c->parts[0].file = 3;
	c->nparts = 1;
	if (tape2 != NULL) {
		snprintf(c->parts[1].label, sizeof(c->parts[1].label), "%s",
		    tape2);
		c->nparts = 2;
	}
}

/* Copies 1 (Vol-1, clean), 3 (Vol-2, fuzzy, on two tapes, verified
 * bad) and 4 (Vol-3, split leg); 2 is forgotten. */
static void
catalog_fill(struct bfix *b)
{
	struct catalog		*cat;
	struct catalog_copy	 c;

	assert_int_equal(catalog_open(b->dir, &cat, b->err, sizeof(b->err)),
	    0);
	copy_of(&c, "Vol-1", MANIFEST_CLEAN, "DSP001", NULL);
	assert_int_equal(catalog_add(cat, &c, b->err, sizeof(b->err)), 0);
	copy_of(&c, "Vol-9", MANIFEST_CLEAN, "DSP001", NULL);
	assert_int_equal(catalog_add(cat, &c, b->err, sizeof(b->err)), 0);
	copy_of(&c, "Vol-2", MANIFEST_FUZZY, "DSP001", "DSP002");
	c.parts[1].file = 0;
	assert_int_equal(catalog_add(cat, &c, b->err, sizeof(b->err)), 0);
	copy_of(&c, "Vol-3", MANIFEST_SPLIT_LEG, "DSP002", NULL);
	assert_int_equal(catalog_add(cat, &c, b->err, sizeof(b->err)), 0);
	assert_int_equal(catalog_forget(cat, 2, b->err, sizeof(b->err)), 0);
	assert_int_equal(catalog_set_state(cat, 3, CATALOG_BAD, 1764648000,
	    b->err, sizeof(b->err)), 0);
	catalog_close(cat);
}

static void
oid_text(const unsigned long *oid, size_t len, char *out, size_t outlen)
{
	size_t	i, used = 0;

	out[0] = '\0';
	for (i = 0; i < len && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%lu",
		    i ? "." : "", oid[i]);
}

/* Numbers as they are; strings quoted, a DateAndTime as its fields. */
static void
cell_text(const struct cell *c, char *out, size_t outlen)
{
	const unsigned char	*p = (const unsigned char *)c->str;

	if (c->type != CELL_STRING)
		snprintf(out, outlen, "%llu", (unsigned long long)c->num);
	else if (c->len == 8 && (p[0] << 8 | p[1]) > 1970 && p[2] <= 12)
		snprintf(out, outlen, "%04d-%02d-%02d,%02d:%02d:%02d",
		    p[0] << 8 | p[1], p[2], p[3], p[4], p[5], p[6]);
	else
		snprintf(out, outlen, "\"%.*s\"", (int)c->len, c->str);
}

static void
view_of(struct bfix *b, struct view *v, struct pool_figures *pool)
{
	memset(pool, 0, sizeof(*pool));
	assert_int_equal(view_open(v, b->f->s, pool), DSP_OK);
	view_backup(v, &b->src);
}

/* GETNEXT from oid: "OID=VALUE", or "end". */
static void
next_of(struct bfix *b, const unsigned long *oid, size_t len, char *out,
    size_t outlen)
{
	struct pool_figures	pool;
	struct view		v;
	unsigned long		next[OBJECTS_OID_MAX];
	size_t			next_len;
	struct cell		c;
	char			o[96], val[280];
	int			rc;

	view_of(b, &v, &pool);
	rc = objects_next(&v, oid, len, next, &next_len, &c);
	view_close(&v);
	assert_int_not_equal(rc, -1);
	if (rc == 0) {
		snprintf(out, outlen, "end");
		return;
	}
	oid_text(next, next_len, o, sizeof(o));
	cell_text(&c, val, sizeof(val));
	snprintf(out, outlen, "%s=%s", o, val);
}

/* GET: the value's text, or "none". */
static void
get_of(struct bfix *b, const unsigned long *oid, size_t len, char *out,
    size_t outlen)
{
	struct pool_figures	pool;
	struct view		v;
	struct cell		c;
	int			rc;

	view_of(b, &v, &pool);
	rc = objects_get(&v, oid, len, &c);
	view_close(&v);
	assert_int_not_equal(rc, -1);
	if (rc == 0)
		snprintf(out, outlen, "none");
	else
		cell_text(&c, out, outlen);
}

#define GET(b, want, ...) do {						\
	const unsigned long	 o_[] = { __VA_ARGS__ };		\
	char			 out_[300];				\
									\
	get_of(b, o_, sizeof(o_) / sizeof(o_[0]), out_, sizeof(out_));	\
	assert_string_equal(out_, want);				\
} while (0)

#define NEXT(b, want, ...) do {						\
	const unsigned long	 o_[] = { __VA_ARGS__ };		\
	char			 out_[300];				\
									\
	next_of(b, o_, sizeof(o_) / sizeof(o_[0]), out_, sizeof(out_));	\
	assert_string_equal(out_, want);				\
} while (0)

static void
test_columns(void **state)
{
	struct bfix	*b = *state;

	catalog_fill(b);
	GET(b, "\"Vol-1\"", 7, 1, 2, 1);
	GET(b, "2025-12-02,02:00:00", 7, 1, 3, 1);
	GET(b, "1", 7, 1, 4, 1);		/* clean */
	GET(b, "1", 7, 1, 5, 1);		/* ok */
	GET(b, "\"\"", 7, 1, 6, 1);		/* never verified */
	GET(b, "16777216", 7, 1, 7, 1);
	GET(b, "9437184", 7, 1, 8, 1);
	GET(b, "\"DSP001:3\"", 7, 1, 9, 1);
	GET(b, "\"Vol-2\"", 7, 1, 2, 3);
	GET(b, "2", 7, 1, 4, 3);		/* fuzzy */
	GET(b, "2", 7, 1, 5, 3);		/* bad */
	GET(b, "2025-12-02,04:00:00", 7, 1, 6, 3);
	GET(b, "\"DSP001:3 DSP002:0\"", 7, 1, 9, 3);
	GET(b, "3", 7, 1, 4, 4);		/* split leg */
	/* The forgotten copy, the index column, past the columns, a
	 * number past the index's range, a short or long index. */
	GET(b, "none", 7, 1, 2, 2);
	GET(b, "none", 7, 1, 1, 1);
	GET(b, "none", 7, 1, 10, 1);
	GET(b, "none", 7, 1, 2, 5);
	GET(b, "none", 7, 1, 2, 4294967297UL);
	GET(b, "none", 7, 1, 2);
	GET(b, "none", 7, 1, 2, 1, 1);
	GET(b, "3", 6, 10, 0);
}

static void
test_next(void **state)
{
	struct bfix	*b = *state;

	catalog_fill(b);
	/* The store is empty: from its tables into the backup's. */
	NEXT(b, "6.1.0=2", 5);
	NEXT(b, "6.1.0=2", 1, 16, 0);
	NEXT(b, "7.1.2.1=\"Vol-1\"", 6, 10, 0);
	NEXT(b, "7.1.2.1=\"Vol-1\"", 7);
	NEXT(b, "7.1.2.1=\"Vol-1\"", 7, 1, 1);
	/* Over the forgotten copy 2. */
	NEXT(b, "7.1.2.3=\"Vol-2\"", 7, 1, 2, 1);
	NEXT(b, "7.1.2.3=\"Vol-2\"", 7, 1, 2, 2);
	NEXT(b, "7.1.2.3=\"Vol-2\"", 7, 1, 2, 1, 5);
	/* A column's end: the next column's first row. */
	NEXT(b, "7.1.3.1=2025-12-02,02:00:00", 7, 1, 2, 4);
	NEXT(b, "7.1.3.1=2025-12-02,02:00:00", 7, 1, 2, 4294967296UL);
	NEXT(b, "7.1.9.4=\"DSP002:3\"", 7, 1, 9, 3);
	/* The table's end is the MIB's. */
	NEXT(b, "end", 7, 1, 9, 4);
	NEXT(b, "end", 7, 1, 10);
	NEXT(b, "end", 8);
}

static void
test_walk(void **state)
{
	struct bfix		*b = *state;
	struct pool_figures	 pool;
	struct view		 v;
	unsigned long		 oid[OBJECTS_OID_MAX], next[OBJECTS_OID_MAX];
	size_t			 len = 0, next_len, count = 0;
	struct cell		 c, again;
	int			 rc;

	catalog_fill(b);
	view_of(b, &v, &pool);
	while ((rc = objects_next(&v, oid, len, next, &next_len, &c)) == 1) {
		assert_int_equal(objects_get(&v, next, next_len, &again), 1);
		assert_int_equal(again.num, c.num);
		assert_int_equal(again.len, c.len);
		memcpy(oid, next, next_len * sizeof(*next));
		len = next_len;
		assert_true(++count < 1000);
	}
	view_close(&v);
	assert_int_equal(rc, 0);
	/* 16 pool scalars, 10 of the backup, 3 copies x 8 columns. */
	assert_int_equal(count, 16 + 10 + 3 * 8);
}

static void
test_scalars(void **state)
{
	struct bfix		*b = *state;
	struct backup_status	 s;
	pid_t			 pid;

	catalog_fill(b);
	/* No run yet: nothing runs, nothing was counted. */
	GET(b, "2", 6, 1, 0);
	GET(b, "\"\"", 6, 2, 0);
	GET(b, "0", 6, 3, 0);
	GET(b, "\"\"", 6, 5, 0);
	GET(b, "\"\"", 6, 6, 0);
	GET(b, "0", 6, 9, 0);
	memset(&s, 0, sizeof(s));
	s.pid = getpid();
	s.running = 1;
	s.run_started = 1764727200;
	snprintf(s.volume, sizeof(s.volume), "Vol-2");
	s.done = 8388608;
	s.due = 16777216;
	s.last_started = 1764640800;
	s.last_ended = 1764640860;
	s.last_copied = 5;
	s.last_skipped = 1;
	s.last_failed = 2;
	assert_int_equal(status_write(b->dir, &s, b->err, sizeof(b->err)), 0);
	GET(b, "1", 6, 1, 0);
	GET(b, "\"Vol-2\"", 6, 2, 0);
	GET(b, "8388608", 6, 3, 0);
	GET(b, "16777216", 6, 4, 0);
	GET(b, "2025-12-02,02:00:00", 6, 5, 0);
	GET(b, "2025-12-02,02:01:00", 6, 6, 0);
	GET(b, "5", 6, 7, 0);
	GET(b, "1", 6, 8, 0);
	GET(b, "2", 6, 9, 0);
	GET(b, "3", 6, 10, 0);
	GET(b, "none", 6, 11, 0);
	GET(b, "none", 6, 1);
	/* Its process is gone: not running, no copy going on. */
	if ((pid = fork()) == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	s.pid = pid;
	assert_int_equal(status_write(b->dir, &s, b->err, sizeof(b->err)), 0);
	GET(b, "2", 6, 1, 0);
	GET(b, "\"\"", 6, 2, 0);
	GET(b, "0", 6, 4, 0);
	GET(b, "5", 6, 7, 0);
}

static void
test_empty(void **state)
{
	struct bfix	*b = *state;
	struct catalog	*cat;

	assert_int_equal(catalog_open(b->dir, &cat, b->err, sizeof(b->err)),
	    0);
	catalog_close(cat);
	NEXT(b, "end", 7);
	NEXT(b, "end", 6, 10, 0);
	GET(b, "0", 6, 10, 0);
	GET(b, "none", 7, 1, 2, 1);
	NEXT(b, "6.10.0=0", 6, 9, 0);
}

static void
test_missing(void **state)
{
	struct bfix		*b = *state;
	struct catalog		*cat;
	struct catalog_copy	 c;

	/* Not made yet: the scalars say so, the table is empty. */
	GET(b, "0", 6, 10, 0);
	GET(b, "2", 6, 1, 0);
	NEXT(b, "end", 6, 10, 0);
	NEXT(b, "end", 7, 1, 2, 0);
	assert_null(b->src.catalog);
	assert_int_equal(access(b->dir, F_OK), -1);
	/* Made: the next request finds it. */
	assert_int_equal(catalog_open(b->dir, &cat, b->err, sizeof(b->err)),
	    0);
	copy_of(&c, "Vol-1", MANIFEST_CLEAN, "DSP001", NULL);
	assert_int_equal(catalog_add(cat, &c, b->err, sizeof(b->err)), 0);
	catalog_close(cat);
	NEXT(b, "7.1.2.1=\"Vol-1\"", 6, 10, 0);
	GET(b, "1", 6, 10, 0);
}

static void
test_no_backup(void **state)
{
	struct bfix	*b = *state;

	catalog_fill(b);
	b->src.dir = "";
	GET(b, "none", 6, 1, 0);
	GET(b, "none", 6, 10, 0);
	GET(b, "none", 7, 1, 2, 1);
	NEXT(b, "end", 1, 16, 0);
	NEXT(b, "end", 6);
	NEXT(b, "end", 7);
}

static int
setup(void **state)
{
	struct bfix	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    fixture_setup(state, "backup_objects_test") != 0)
		return -1;
	b->f = *state;
	snprintf(b->dir, sizeof(b->dir), "%s/catalog", b->f->dir);
	b->src.dir = b->dir;
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct bfix	*b = *state;
	char		 cmd[400];

	backup_source_close(&b->src);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		return -1;
	*state = b->f;
	free(b);
	return fixture_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_backup, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
