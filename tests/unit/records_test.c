/*
 * The table's side of the records on the lenders: the revision goes up
 * with every change lenders see and with nothing else; the owed index
 * follows every change in the same transaction, and an acknowledgement
 * clears it; a deleted volume is owed a drop; an agent that has seen a
 * newer generation lifts the volume above it, unlent; records of unknown
 * volumes are imported, held while lenders disagree, dropped when the
 * volume was deleted since, and resolved by the admin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"

#define MiB	(1024ULL * 1024)

static int
setup(void **state)
{
	struct fixture	*f;

	if (fixture_setup(state, "records_test") == -1)
		return -1;
	f = *state;
	if (fixture_register(f, "serverA", 100, "A1:16777216", "A2:16777216",
	    NULL) != DSP_OK || fixture_register(f, "serverB", 100,
	    "B1:16777216", NULL) != DSP_OK)
		return -1;
	return 0;
}

static void
create_mirror(struct fixture *f, const char *name)
{
	struct store_region_ref	refs[2];

	memset(refs, 0, sizeof(refs));
	snprintf(refs[0].server, sizeof(refs[0].server), "serverA");
	snprintf(refs[0].region, sizeof(refs[0].region), "A1");
	snprintf(refs[1].server, sizeof(refs[1].server), "serverB");
	snprintf(refs[1].region, sizeof(refs[1].region), "B1");
	assert_int_equal(store_volume_create(f->s, "admin", name,
	    DSP_FORM_MIRROR, refs, 2, 200, f->err, sizeof(f->err)), DSP_OK);
}

static size_t
owed(struct fixture *f, const char *server, struct store_owed *out)
{
	struct store_owed	buf[8];
	size_t			n;

	assert_int_equal(store_owed_list(f->s, server, NULL, out ? out : buf,
	    8, &n), DSP_OK);
	return n;
}

/* Acknowledges what the server is owed, as the push worker does. */
static void
ack_all(struct fixture *f, const char *server)
{
	struct store_owed		o[8];
	struct msg_volume_record	m;
	uint8_t				*bits;
	size_t				n, i;

	n = owed(f, server, o);
	for (i = 0; i < n; i++) {
		if (o[i].kind == STORE_OWED_DROP) {
			assert_int_equal(store_drop_acked(f->s, server,
			    o[i].volume, f->err, sizeof(f->err)), DSP_OK);
			continue;
		}
		assert_int_equal(store_get_lender_view(f->s, o[i].volume,
		    server, &m, &bits), DSP_OK);
		assert_int_equal(store_push_acked(f->s, server, o[i].volume,
		    m.generation, m.revision, f->err, sizeof(f->err)), DSP_OK);
		free(bits);
	}
}

static void
test_revision_and_owed(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v, lent;
	struct store_owed	 o[8];

	create_mirror(f, "V");
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_OK);
	assert_true(v.revision == 1);
	assert_int_equal(owed(f, "serverA", o), 1);
	assert_string_equal(o[0].volume, "V");
	assert_int_equal(o[0].kind, STORE_OWED_PUT);
	assert_int_equal(owed(f, "serverB", NULL), 1);
	ack_all(f, "serverA");
	ack_all(f, "serverB");
	assert_int_equal(owed(f, "serverA", NULL), 0);
	assert_int_equal(owed(f, "serverB", NULL), 0);
	/* Lending is no lender's business: no revision, nothing owed. */
	assert_int_equal(store_allocate(f->s, "serverJ", "V", 0, 300, &lent,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverJ", "V", 300, &lent,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_OK);
	assert_true(v.revision == 1);
	assert_int_equal(owed(f, "serverA", NULL), 0);
	/* An unmount is: a new generation, a new revision, owed to both. */
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "V", 400,
	    &lent, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_OK);
	assert_true(v.revision == 2 && v.generation == 2);
	assert_int_equal(owed(f, "serverA", o), 1);
	assert_true(o[0].generation == 2);
	ack_all(f, "serverA");
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_OK);
	assert_true(v.extents[0].acked_generation == 2 &&
	    v.extents[0].acked_revision == 2);
	assert_true(volume_is_fenced(&v));	/* serverB owes it */
	ack_all(f, "serverB");
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_OK);
	assert_false(volume_is_fenced(&v));
	/* Deleted: each lender is owed a drop with the last generation. */
	assert_int_equal(store_release(f->s, "serverJ", "serverJ", "V", 500,
	    &lent, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_delete(f->s, "admin", "V", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(owed(f, "serverB", o), 1);
	assert_int_equal(o[0].kind, STORE_OWED_DROP);
	assert_true(o[0].generation == 2);
	ack_all(f, "serverB");
	assert_int_equal(owed(f, "serverB", NULL), 0);
}

/* An agent that has seen generation 7 of a volume the table has at 1. */
static void
test_generation_catch_up(void **state)
{
	struct fixture		*f = *state;
	struct msg_generations	*g = calloc(1, sizeof(*g));
	struct msg_volume_names	*asked = calloc(1, sizeof(*asked));
	struct volume_record	 v, lent;

	create_mirror(f, "V");
	ack_all(f, "serverA");
	ack_all(f, "serverB");
	assert_int_equal(store_allocate(f->s, "serverJ", "V", 0, 300, &lent,
	    f->err, sizeof(f->err)), DSP_OK);
	g->count = 1;
	snprintf(g->items[0].volume, sizeof(g->items[0].volume), "V");
	g->items[0].generation = 7;
	assert_int_equal(store_fence_ack(f->s, "serverA", g, asked, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_OK);
	assert_true(v.generation == 8);
	assert_string_equal(v.borrower, "");
	assert_true(volume_is_fenced(&v));
	assert_int_equal(asked->count, 0);	/* keeps no record: pushed */
	assert_int_equal(owed(f, "serverA", NULL), 1);
	assert_int_equal(owed(f, "serverB", NULL), 1);
	free(g);
	free(asked);
}

static void
record_of(struct msg_volume_record *m, const char *name, uint64_t gen,
    uint64_t rev, int legs)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->form = legs == 2 ? DSP_FORM_MIRROR : DSP_FORM_SINGLE;
	m->size = 16 * MiB;
	m->generation = gen;
	m->revision = rev;
	m->chunk_size = legs == 2 ? DSP_MIRROR_CHUNK : 0;
	m->extent_count = (uint16_t)legs;
	snprintf(m->extents[0].server, sizeof(m->extents[0].server),
	    "serverA");
	snprintf(m->extents[0].region, sizeof(m->extents[0].region), "A2");
	m->extents[0].length = 16 * MiB;
	if (legs == 2) {
		snprintf(m->extents[1].server, sizeof(m->extents[1].server),
		    "serverB");
		snprintf(m->extents[1].region, sizeof(m->extents[1].region),
		    "B1");
		m->extents[1].length = 16 * MiB;
		m->extents[1].leg_state = DSP_LEG_OUT_OF_SYNC;
	}
}

static int
report(struct fixture *f, const char *server,
    const struct msg_volume_record *m, int rebuild, uint8_t *verdict)
{
	struct buf_writer	w;
	int			rc;

	buf_writer_init(&w);
	msg_encode_volume_record(&w, m);
	rc = store_record_report(f->s, server, w.data, w.len, rebuild, 900,
	    verdict, f->err, sizeof(f->err));
	buf_writer_free(&w);
	return rc;
}

static void
test_import_agreeing(void **state)
{
	struct fixture			*f = *state;
	struct msg_volume_record	 m;
	struct volume_record		 v;
	uint8_t				 verdict;

	record_of(&m, "W", 4, 9, 2);
	assert_int_equal(report(f, "serverA", &m, 1, &verdict), DSP_OK);
	assert_int_equal(verdict, DSP_RECORD_KEEP);
	assert_int_equal(store_get_volume(f->s, "W", &v), DSP_OK);
	assert_int_equal(v.hold_kind, VOLUME_HOLD_IMPORT);
	assert_non_null(strstr(v.hold, "serverB has not reported"));
	assert_int_equal(report(f, "serverB", &m, 1, &verdict), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "W", &v), DSP_OK);
	assert_int_equal(v.hold_kind, VOLUME_HOLD_NONE);
	assert_int_equal(v.form, DSP_FORM_MIRROR);
	assert_int_equal(v.extents[1].leg_state, DSP_LEG_OUT_OF_SYNC);
	assert_true(v.generation == 5 && v.revision > 9);
	assert_string_equal(v.borrower, "");
	assert_true(volume_is_fenced(&v));
	assert_int_equal(owed(f, "serverA", NULL), 1);
	/* A record naming a server that does not lend to it is dropped. */
	assert_int_equal(report(f, "serverB", &m, 1, &verdict), DSP_OK);
	assert_int_equal(verdict, DSP_RECORD_KEEP);
	record_of(&m, "W", 4, 9, 1);
	assert_int_equal(report(f, "serverB", &m, 1, &verdict), DSP_OK);
	assert_int_equal(verdict, DSP_RECORD_DROP);
}

static void
test_hold_and_resolve(void **state)
{
	struct fixture			*f = *state;
	struct msg_volume_record	 m;
	struct volume_record		 v, lent;
	char				 how[80];
	uint8_t				 verdict;

	record_of(&m, "W", 4, 9, 2);
	assert_int_equal(report(f, "serverA", &m, 1, &verdict), DSP_OK);
	record_of(&m, "W", 2, 5, 2);
	assert_int_equal(report(f, "serverB", &m, 1, &verdict), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "W", &v), DSP_OK);
	assert_int_equal(v.hold_kind, VOLUME_HOLD_IMPORT);
	assert_non_null(strstr(v.hold, "serverB keeps an older record "
	    "(generation 2 revision 5)"));
	assert_int_equal(store_allocate(f->s, "serverJ", "W", 0, 950, &lent,
	    f->err, sizeof(f->err)), DSP_E_FENCED);
	assert_non_null(strstr(f->err, "held"));
	assert_int_equal(owed(f, "serverA", NULL), 0);	/* nothing pushed */
	assert_int_equal(store_volume_resolve(f->s, "admin", "W", "serverZ",
	    990, how, sizeof(how), f->err, sizeof(f->err)), DSP_E_NOTFOUND);
	assert_int_equal(store_volume_resolve(f->s, "admin", "W", NULL, 1000,
	    how, sizeof(how), f->err, sizeof(f->err)), DSP_OK);
	assert_string_equal(how, "serverA");
	assert_int_equal(store_get_volume(f->s, "W", &v), DSP_OK);
	assert_int_equal(v.hold_kind, VOLUME_HOLD_NONE);
	assert_true(v.generation == 6);		/* above the held 5 */
	assert_int_equal(owed(f, "serverB", NULL), 1);
	assert_int_equal(store_volume_resolve(f->s, "admin", "W", NULL, 1000,
	    how, sizeof(how), f->err, sizeof(f->err)), DSP_E_STATE);
}

static void
test_deleted_and_not_rebuilding(void **state)
{
	struct fixture			*f = *state;
	struct msg_volume_record	 m;
	struct volume_record		 v;
	uint8_t				 verdict;

	create_mirror(f, "V");
	ack_all(f, "serverA");
	ack_all(f, "serverB");
	assert_int_equal(store_volume_delete(f->s, "admin", "V", f->err,
	    sizeof(f->err)), DSP_OK);
	/* A lender that missed the deletion reports it: dropped. */
	record_of(&m, "V", 1, 1, 2);
	snprintf(m.extents[0].region, sizeof(m.extents[0].region), "A1");
	assert_int_equal(report(f, "serverA", &m, 0, &verdict), DSP_OK);
	assert_int_equal(verdict, DSP_RECORD_DROP);
	assert_int_equal(store_get_volume(f->s, "V", &v), DSP_E_NOTFOUND);
	/* Without rebuild an unknown volume comes back held, even whole. */
	record_of(&m, "U", 3, 3, 1);
	assert_int_equal(report(f, "serverA", &m, 0, &verdict), DSP_OK);
	assert_int_equal(verdict, DSP_RECORD_KEEP);
	assert_int_equal(store_get_volume(f->s, "U", &v), DSP_OK);
	assert_int_equal(v.hold_kind, VOLUME_HOLD_IMPORT);
	assert_non_null(strstr(v.hold, "did not know it"));
}

/* A stale record whose bytes went to another volume since. */
static void
test_import_overlap(void **state)
{
	struct fixture			*f = *state;
	struct msg_volume_record	 m;
	struct volume_record		 v;
	uint8_t				 verdict;

	create_mirror(f, "V");
	record_of(&m, "Z", 3, 3, 1);
	snprintf(m.extents[0].region, sizeof(m.extents[0].region), "A1");
	m.extents[0].offset = 4 * MiB;
	m.extents[0].length = 4 * MiB;
	m.size = 4 * MiB;
	assert_int_equal(report(f, "serverA", &m, 1, &verdict), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Z", &v), DSP_OK);
	assert_int_equal(v.hold_kind, VOLUME_HOLD_IMPORT);
	assert_non_null(strstr(v.hold, "overlaps volume V"));
	assert_int_equal(store_volume_resolve(f->s, "admin", "Z", NULL, 1000,
	    (char [80]){ 0 }, 80, f->err, sizeof(f->err)), DSP_E_BUSY);
	assert_non_null(strstr(f->err, "overlaps volume V"));
	/* Once V is gone, Z's bytes are free and it can be taken. */
	ack_all(f, "serverA");
	ack_all(f, "serverB");
	assert_int_equal(store_volume_delete(f->s, "admin", "V", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_resolve(f->s, "admin", "Z", NULL, 1000,
	    (char [80]){ 0 }, 80, f->err, sizeof(f->err)), DSP_OK);
}

static void
test_rebuild_needs_empty(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(store_rebuild_begin(f->s, 100, f->err,
	    sizeof(f->err)), DSP_E_STATE);
	assert_non_null(strstr(f->err, "empty store"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_revision_and_owed, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_generation_catch_up,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_import_agreeing, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hold_and_resolve, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_deleted_and_not_rebuilding,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_import_overlap, setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_needs_empty,
		    setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
