/*
 * DASPOOL-MIB's objects on a store, without net-snmp: a GETNEXT walk
 * from nothing visits every scalar and every cell of every table in
 * OID order and ends; GETNEXT from odd OIDs (short, long, past a
 * number's range, between rows, past the end) lands where SNMP says;
 * GET answers only whole instances; rows deleted since keep no cell;
 * notifications come from the audit trail in order, the backup's
 * failures among them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "objects.h"
#include "store_fixture.h"

static struct fixture *
pool_setup(void **state)
{
	struct fixture		*f = *state;
	struct store_region_ref	 r[2];

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000000",
	    "A2:2000000", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverB", 1000, "B1:2000000",
	    NULL), DSP_OK);
	memset(r, 0, sizeof(r));
	snprintf(r[0].server, sizeof(r[0].server), "serverA");
	snprintf(r[0].region, sizeof(r[0].region), "A1");
	assert_int_equal(store_volume_create(f->s, "admin:0", "V1",
	    DSP_FORM_SINGLE, r, 1, 1000, f->err, sizeof(f->err)), DSP_OK);
	snprintf(r[0].region, sizeof(r[0].region), "A2");
	snprintf(r[1].server, sizeof(r[1].server), "serverB");
	snprintf(r[1].region, sizeof(r[1].region), "B1");
	assert_int_equal(store_volume_create(f->s, "admin:0", "M1",
	    DSP_FORM_MIRROR, r, 2, 1000, f->err, sizeof(f->err)), DSP_OK);
	return f;
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

static void
cell_text(const struct cell *c, char *out, size_t outlen)
{
	if (c->type == CELL_STRING)
		snprintf(out, outlen, "\"%.*s\"", (int)c->len, c->str);
	else
		snprintf(out, outlen, "%llu", (unsigned long long)c->num);
}

/* GETNEXT from oid: "OID=VALUE", or "end". */
static void
next_of(struct fixture *f, const unsigned long *oid, size_t len, char *out,
    size_t outlen)
{
	struct pool_figures	pool;
	struct view		v;
	unsigned long		next[OBJECTS_OID_MAX];
	size_t			next_len;
	struct cell		c;
	char			o[96], val[280];
	int			rc;

	memset(&pool, 0, sizeof(pool));
	assert_int_equal(view_open(&v, f->s, &pool), DSP_OK);
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

static void
test_walk(void **state)
{
	struct fixture		*f = pool_setup(state);
	struct pool_figures	 pool;
	struct view		 v;
	unsigned long		 oid[OBJECTS_OID_MAX], next[OBJECTS_OID_MAX];
	size_t			 len = 0, next_len, count = 0;
	struct cell		 c;
	char			 *walk, o[128], val[300];
	size_t			 used = 0;
	int			 rc;

	assert_non_null(walk = calloc(1, 65536));
	memset(&pool, 0, sizeof(pool));
	assert_int_equal(view_open(&v, f->s, &pool), DSP_OK);
	while ((rc = objects_next(&v, oid, len, next, &next_len, &c)) == 1) {
		/* Strictly increasing, and GET gives the same. */
		struct cell	again;

		assert_int_equal(objects_get(&v, next, next_len, &again), 1);
		assert_int_equal(again.num, c.num);
		assert_int_equal(again.len, c.len);
		oid_text(next, next_len, o, sizeof(o));
		cell_text(&c, val, sizeof(val));
		used += (size_t)snprintf(walk + used, 65536 - used, "%s=%s\n",
		    o, val);
		memcpy(oid, next, next_len * sizeof(*next));
		len = next_len;
		assert_true(++count < 1000);
	}
	view_close(&v);
	assert_int_equal(rc, 0);
	/* 16 scalars; 2 servers x 7 columns; 3 regions x 6; 2 volumes x
	 * 11; 3 extents x 5. */
	assert_int_equal(count, 16 + 14 + 18 + 22 + 15);
	assert_non_null(strstr(walk, "1.1.0=2\n"));
	assert_non_null(strstr(walk, "1.4.0=2\n"));
	assert_non_null(strstr(walk, "2.1.2.1=\"serverA\"\n"));
	assert_non_null(strstr(walk, "3.1.2.1.2=\"A2\"\n"));
	assert_non_null(strstr(walk, "3.1.7.1.1=\"V1\"\n"));
	assert_non_null(strstr(walk, "4.1.2.2=\"M1\"\n"));
	assert_non_null(strstr(walk, "4.1.3.2=3\n"));
	assert_non_null(strstr(walk, "5.1.2.2.2=\"serverB\"\n"));
	assert_non_null(strstr(walk, "5.1.6.2.1=1\n"));
	assert_non_null(strstr(walk, "5.1.6.1.1=0\n"));
	/* The pool figures: A1 is V1's whole, M1 all of A2 and B1. */
	assert_non_null(strstr(walk, "1.9.0=5000000\n"));
	assert_non_null(strstr(walk, "1.10.0=0\n"));
	free(walk);
}

static void
test_next_edges(void **state)
{
	struct fixture		*f = pool_setup(state);
	char			 out[400];
	const unsigned long	 empty[1] = { 0 };
	const unsigned long	 pool_end[] = { 1, 16, 0 };
	const unsigned long	 entry_only[] = { 4, 1 };
	const unsigned long	 col_only[] = { 4, 1, 2 };
	const unsigned long	 between[] = { 4, 1, 2, 1, 7 };
	const unsigned long	 huge[] = { 4, 1, 2, 5000000000UL };
	const unsigned long	 last_col[] = { 4, 1, 12, 2 };
	const unsigned long	 past_extent[] = { 5, 1, 2, 1, 1 };
	const unsigned long	 last[] = { 5, 1, 6, 2, 2 };
	const unsigned long	 beyond[] = { 9 };

	next_of(f, empty, 0, out, sizeof(out));
	assert_string_equal(out, "1.1.0=2");
	next_of(f, pool_end, 3, out, sizeof(out));
	assert_string_equal(out, "2.1.2.1=\"serverA\"");
	next_of(f, entry_only, 2, out, sizeof(out));
	assert_string_equal(out, "4.1.2.1=\"V1\"");
	next_of(f, col_only, 3, out, sizeof(out));
	assert_string_equal(out, "4.1.2.1=\"V1\"");
	/* An index longer than the table's comes after its row. */
	next_of(f, between, 5, out, sizeof(out));
	assert_string_equal(out, "4.1.2.2=\"M1\"");
	/* Past what a number holds: the next column. */
	next_of(f, huge, 4, out, sizeof(out));
	assert_string_equal(out, "4.1.3.1=1");
	next_of(f, last_col, 4, out, sizeof(out));
	assert_string_equal(out, "5.1.2.1.1=\"serverA\"");
	next_of(f, past_extent, 5, out, sizeof(out));
	assert_string_equal(out, "5.1.2.2.1=\"serverA\"");
	next_of(f, last, 5, out, sizeof(out));
	assert_string_equal(out, "end");
	next_of(f, beyond, 1, out, sizeof(out));
	assert_string_equal(out, "end");
}

static int
get_of(struct fixture *f, const unsigned long *oid, size_t len)
{
	struct pool_figures	pool;
	struct view		v;
	struct cell		c;
	int			rc;

	memset(&pool, 0, sizeof(pool));
	assert_int_equal(view_open(&v, f->s, &pool), DSP_OK);
	rc = objects_get(&v, oid, len, &c);
	view_close(&v);
	return rc;
}

static void
test_get(void **state)
{
	struct fixture		*f = pool_setup(state);
	const unsigned long	 scalar[] = { 1, 4, 0 };
	const unsigned long	 no_instance[] = { 1, 4 };
	const unsigned long	 scalar_17[] = { 1, 17, 0 };
	const unsigned long	 cell[] = { 4, 1, 2, 1 };
	const unsigned long	 index_col[] = { 4, 1, 1, 1 };
	const unsigned long	 no_row[] = { 4, 1, 2, 3 };
	const unsigned long	 short_idx[] = { 5, 1, 2, 1 };
	const unsigned long	 extent_3[] = { 5, 1, 2, 2, 3 };

	assert_int_equal(get_of(f, scalar, 3), 1);
	assert_int_equal(get_of(f, no_instance, 2), 0);
	assert_int_equal(get_of(f, scalar_17, 3), 0);
	assert_int_equal(get_of(f, cell, 4), 1);
	assert_int_equal(get_of(f, index_col, 4), 0);
	assert_int_equal(get_of(f, no_row, 4), 0);
	assert_int_equal(get_of(f, short_idx, 4), 0);
	assert_int_equal(get_of(f, extent_3, 5), 0);
	/* Deleted: its number answers nothing any more. */
	assert_int_equal(store_volume_delete(f->s, "admin:0", "V1", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(get_of(f, cell, 4), 0);
}

/* --- notifications --- */

struct told {
	char	text[1024];
	size_t	used;
};

static void
tell(const struct notice *n, void *arg)
{
	struct told	*t = arg;
	char		 val[300];

	cell_text(&n->vars[n->nvars - 1].value, val, sizeof(val));
	t->used += (size_t)snprintf(t->text + t->used, sizeof(t->text) -
	    t->used, "%s %s %s\n", n->name, n->about, val);
}

static void
poll_into(struct fixture *f, struct events *e, struct told *t, int start)
{
	struct pool_figures	pool;
	struct view		v;

	memset(&pool, 0, sizeof(pool));
	assert_int_equal(view_open(&v, f->s, &pool), DSP_OK);
	if (start)
		assert_int_equal(events_start(e, &v), DSP_OK);
	else
		assert_int_equal(events_poll(e, &v, tell, t), DSP_OK);
	view_close(&v);
}

static void
test_events(void **state)
{
	struct fixture		*f = pool_setup(state);
	struct events		*e;
	struct volume_record	 v;
	struct told		 t;

	memset(&t, 0, sizeof(t));
	assert_non_null(e = events_new(80));
	poll_into(f, e, &t, 1);
	poll_into(f, e, &t, 0);
	assert_string_equal(t.text, "");

	assert_int_equal(store_allocate(f->s, "host1", "M1", 0, 1100, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "host1", "M1", 1200, &v, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_server_down(f->s, "serverB"), DSP_OK);
	poll_into(f, e, &t, 0);
	assert_string_equal(t.text,
	    "dspVolumeMounted M1 1\n"
	    "dspServerDown serverB 2\n"
	    "dspVolumeDegraded M1 2\n");
	t.used = 0;
	t.text[0] = '\0';
	/* Back: its registration says so, and the mirror is whole again. */
	assert_int_equal(fixture_register(f, "serverB", 1400, "B1:2000000",
	    NULL), DSP_OK);
	poll_into(f, e, &t, 0);
	assert_string_equal(t.text,
	    "dspServerUp serverB 1\n"
	    "dspVolumeOk M1 1\n");
	events_free(e);
}

/* The backup's failed copies and verifies, each with its volume, what
 * failed and the words; other backup rows tell nothing. */
static void
tell_backup(const struct notice *n, void *arg)
{
	struct told	*t = arg;
	char		 oid[64], val[300];
	size_t		 i;

	t->used += (size_t)snprintf(t->text + t->used, sizeof(t->text) -
	    t->used, "%s %s", n->name, n->about);
	for (i = 0; i < n->nvars; i++) {
		oid_text(n->vars[i].oid, n->vars[i].len, oid, sizeof(oid));
		cell_text(&n->vars[i].value, val, sizeof(val));
		t->used += (size_t)snprintf(t->text + t->used,
		    sizeof(t->text) - t->used, " %s=%s", oid, val);
	}
	t->used += (size_t)snprintf(t->text + t->used, sizeof(t->text) -
	    t->used, "\n");
}

static void
test_backup_events(void **state)
{
	struct fixture		*f = pool_setup(state);
	struct pool_figures	 pool;
	struct events		*e;
	struct view		 v;
	struct told		 t;

	memset(&t, 0, sizeof(t));
	assert_non_null(e = events_new(80));
	poll_into(f, e, &t, 1);
	assert_int_equal(store_backup_audit(f->s, "backup1", "backup-run", "",
	    "run 1 started", 2000, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_backup_audit(f->s, "backup1", "backup-copy",
	    "M1", "tape L1 file 1", 2001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_backup_audit(f->s, "backup1",
	    "backup-copy-failed", "V1", "drive 0\tstuck", 2002, f->err,
	    sizeof(f->err)), DSP_OK);
	/* A volume gone since is still named. */
	assert_int_equal(store_backup_audit(f->s, "backup1",
	    "backup-verify-failed", "Gone", "tape L1 file 2: bad chunk 3",
	    2003, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_backup_audit(f->s, "backup1",
	    "backup-restore-failed", "M1", "target too small", 2004, f->err,
	    sizeof(f->err)), DSP_OK);
	memset(&pool, 0, sizeof(pool));
	assert_int_equal(view_open(&v, f->s, &pool), DSP_OK);
	assert_int_equal(events_poll(e, &v, tell_backup, &t), DSP_OK);
	view_close(&v);
	assert_string_equal(t.text,
	    "dspBackupFailed V1 2.1.1.0=\"V1\" 2.1.2.0=1 "
	    "2.1.3.0=\"drive 0\\x09stuck\"\n"
	    "dspBackupFailed Gone 2.1.1.0=\"Gone\" 2.1.2.0=2 "
	    "2.1.3.0=\"tape L1 file 2: bad chunk 3\"\n");
	events_free(e);
}

static int
setup(void **state)
{
	return fixture_setup(state, "objects_test");
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
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_events, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
