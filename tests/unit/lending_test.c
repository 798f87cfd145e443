/*
 * Lending rules of the store: allocation by name and by size, one
 * borrower per volume (also under a race of eight threads), mount and
 * unmount, the generation bump and fencing, release, and unavailable
 * servers and regions. Each test gets its own store in a mkdtemp dir.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_fixture.h"

static int
setup(void **state)
{
	return fixture_setup(state, "lending_test");
}

/* A single volume from one region (the form most tests need). */
static int
create_single(struct store *s, const char *actor, const char *name,
    const char *server, const char *region, uint64_t now, char *err,
    size_t errlen)
{
	struct store_region_ref	r;

	memset(&r, 0, sizeof(r));
	snprintf(r.server, sizeof(r.server), "%s", server);
	snprintf(r.region, sizeof(r.region), "%s", region);
	return store_volume_create(s, actor, name, DSP_FORM_SINGLE, &r, 1,
	    now, err, errlen);
}

static void
create(struct fixture *f, const char *vol, const char *server,
    const char *region)
{
	assert_int_equal(create_single(f->s, "admin:0", vol,
	    server, region, 1000, f->err, sizeof(f->err)), DSP_OK);
}

static int
alloc(struct fixture *f, const char *borrower, const char *vol,
    uint64_t min_size, struct volume_record *v)
{
	return store_allocate(f->s, borrower, vol, min_size, 1100, v, f->err,
	    sizeof(f->err));
}

static int
mount(struct fixture *f, const char *borrower, const char *vol,
    struct volume_record *v)
{
	return store_mount(f->s, borrower, vol, 1200, v, f->err,
	    sizeof(f->err));
}

static int
unmount(struct fixture *f, const char *borrower, const char *vol,
    struct volume_record *v)
{
	return store_unmount(f->s, borrower != NULL ? borrower : "admin:0",
	    borrower, vol, 1300, v, f->err, sizeof(f->err));
}

static int
release(struct fixture *f, const char *borrower, const char *vol,
    struct volume_record *v)
{
	return store_release(f->s, borrower != NULL ? borrower : "admin:0",
	    borrower, vol, 1400, v, f->err, sizeof(f->err));
}

static int
ack(struct fixture *f, const char *server, const char *vol, uint64_t gen)
{
	struct msg_generations	gens;

	memset(&gens, 0, sizeof(gens));
	gens.count = 1;
	snprintf(gens.items[0].volume, sizeof(gens.items[0].volume), "%s",
	    vol);
	gens.items[0].generation = gen;
	return store_fence_ack(f->s, server, &gens, NULL, f->err,
	    sizeof(f->err));
}

/* Example pool: Vol-1 100 bytes on A, Vol-2 300 on B, Vol-3 200 on C. */
static void
pool(struct fixture *f)
{
	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:100", NULL),
	    DSP_OK);
	assert_int_equal(fixture_register(f, "serverB", 1000, "B1:300", NULL),
	    DSP_OK);
	assert_int_equal(fixture_register(f, "serverC", 1000, "C1:200", NULL),
	    DSP_OK);
	create(f, "Vol-1", "serverA", "A1");
	create(f, "Vol-2", "serverB", "B1");
	create(f, "Vol-3", "serverC", "C1");
}

static void
test_allocate_by_name(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	pool(f);
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v), DSP_OK);
	assert_string_equal(v.name, "Vol-1");
	assert_string_equal(v.borrower, "serverJ");
	assert_int_equal(v.mounted, 0);
	/* Idempotent for the same borrower. */
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v), DSP_OK);
	assert_string_equal(v.borrower, "serverJ");
	/* Exclusive: a second borrower is refused, naming the first. */
	assert_int_equal(alloc(f, "serverK", "Vol-1", 0, &v), DSP_E_BUSY);
	assert_string_equal(f->err, "volume Vol-1 is lent to serverJ");
	assert_int_equal(alloc(f, "serverK", "Vol-9", 0, &v), DSP_E_NOTFOUND);
	assert_non_null(strstr(f->err, "Vol-9"));
	/* Asked for more than the volume has. */
	assert_int_equal(alloc(f, "serverK", "Vol-3", 201, &v),
	    DSP_E_NOSPACE);
	assert_int_equal(alloc(f, "bad name", "Vol-3", 0, &v), DSP_E_INVALID);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_string_equal(v.borrower, "");
}

static void
test_allocate_smallest_fit(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	pool(f);
	assert_int_equal(alloc(f, "serverJ", "", 150, &v), DSP_OK);
	assert_string_equal(v.name, "Vol-3");
	assert_int_equal(v.size, 200);
	assert_int_equal(alloc(f, "serverJ", "", 150, &v), DSP_OK);
	assert_string_equal(v.name, "Vol-2");
	assert_int_equal(alloc(f, "serverK", "", 150, &v), DSP_E_NOSPACE);
	assert_non_null(strstr(f->err, "150"));
	assert_int_equal(alloc(f, "serverK", "", 0, &v), DSP_OK);
	assert_string_equal(v.name, "Vol-1");
	assert_string_equal(v.borrower, "serverK");
}

static void
test_allocate_no_space(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	assert_int_equal(alloc(f, "serverJ", "", 0, &v), DSP_E_NOSPACE);
	pool(f);
	assert_int_equal(alloc(f, "serverJ", "", 301, &v), DSP_E_NOSPACE);
	assert_string_equal(f->err, "no free volume of at least 301 bytes");
}

#define RACERS	8
#define ROUNDS	100

struct race {
	struct store		*s;
	pthread_barrier_t	 start, done;
	int			 stop;
	atomic_int		 readers_stop;
	int			 reader_faults;
	int			 reader_reads;
	int			 rc[RACERS];
	char			 err[RACERS][256];
};

struct racer {
	struct race	*race;
	int		 id;
};

static void *
racer_main(void *arg)
{
	struct racer		*r = arg;
	struct race		*race = r->race;
	struct volume_record	 v;
	char			 me[16];

	snprintf(me, sizeof(me), "borrower%d", r->id);
	for (;;) {
		pthread_barrier_wait(&race->start);
		if (race->stop)
			break;
		race->rc[r->id] = store_allocate(race->s, me, "Vol-1", 0, 1100,
		    &v, race->err[r->id], sizeof(race->err[r->id]));
		pthread_barrier_wait(&race->done);
	}
	return NULL;
}

static int
count_cb(const struct volume_record *v, void *arg)
{
	(void)v;
	(*(int *)arg)++;
	return 0;
}

/* Meanwhile a reader lists the table: it never fails or blocks. */
static void *
reader_main(void *arg)
{
	struct race		*race = arg;
	struct volume_record	 v;
	int			 n;

	while (!atomic_load(&race->readers_stop)) {
		n = 0;
		if (store_each_volume(race->s, count_cb, &n) != 0 || n != 3 ||
		    store_get_volume(race->s, "Vol-1", &v) != DSP_OK)
			race->reader_faults++;
		race->reader_reads++;
	}
	return NULL;
}

/* Eight threads ask for one volume at once: exactly one wins. */
static void
test_allocate_race(void **state)
{
	struct fixture		*f = *state;
	struct race		*race;
	struct racer		 racers[RACERS];
	pthread_t		 th[RACERS], reader;
	struct volume_record	 v;
	char			 winner[16];
	int			 i, round, wins;

	pool(f);
	race = calloc(1, sizeof(*race));
	assert_non_null(race);
	race->s = f->s;
	pthread_barrier_init(&race->start, NULL, RACERS + 1);
	pthread_barrier_init(&race->done, NULL, RACERS + 1);
	for (i = 0; i < RACERS; i++) {
		racers[i].race = race;
		racers[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, racer_main,
		    &racers[i]), 0);
	}
	assert_int_equal(pthread_create(&reader, NULL, reader_main, race), 0);
	for (round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&race->start);
		pthread_barrier_wait(&race->done);
		wins = 0;
		for (i = 0; i < RACERS; i++) {
			if (race->rc[i] == DSP_OK) {
				wins++;
				snprintf(winner, sizeof(winner), "borrower%d",
				    i);
			} else {
				assert_int_equal(race->rc[i], DSP_E_BUSY);
				assert_non_null(strstr(race->err[i],
				    "is lent to borrower"));
			}
		}
		assert_int_equal(wins, 1);
		assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
		assert_string_equal(v.borrower, winner);
		assert_int_equal(release(f, winner, "Vol-1", &v), DSP_OK);
	}
	race->stop = 1;
	pthread_barrier_wait(&race->start);
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&race->readers_stop, 1);
	pthread_join(reader, NULL);
	assert_int_equal(race->reader_faults, 0);
	assert_true(race->reader_reads > 0);
	pthread_barrier_destroy(&race->start);
	pthread_barrier_destroy(&race->done);
	free(race);
}

static void
test_mount_requires_allocation(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	pool(f);
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_E_STATE);
	assert_string_equal(f->err, "volume Vol-1 is not allocated to you");
	assert_int_equal(mount(f, "serverJ", "Vol-9", &v), DSP_E_NOTFOUND);
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v), DSP_OK);
	assert_int_equal(mount(f, "serverK", "Vol-1", &v), DSP_E_BUSY);
	assert_string_equal(f->err, "volume Vol-1 is lent to serverJ");
	assert_int_equal(store_check_mounted(f->s, "serverJ", "Vol-1", &v,
	    f->err, sizeof(f->err)), DSP_E_STATE);
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(v.mounted, 1);
	assert_int_equal(v.generation, 1);
	assert_string_equal(v.extents[0].server, "serverA");
	/* Idempotent. */
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(v.mounted, 1);
	assert_int_equal(store_check_mounted(f->s, "serverJ", "Vol-1", &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(v.mounted, 1);
	assert_int_equal(store_check_mounted(f->s, "serverK", "Vol-1", &v,
	    f->err, sizeof(f->err)), DSP_E_BUSY);
}

static void
test_unmount_bumps_generation(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	pool(f);
	assert_int_equal(unmount(f, "serverJ", "Vol-1", &v), DSP_E_STATE);
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v), DSP_OK);
	assert_int_equal(unmount(f, "serverJ", "Vol-1", &v), DSP_E_STATE);
	assert_string_equal(f->err, "volume Vol-1 is not mounted");
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(unmount(f, "serverK", "Vol-1", &v), DSP_E_BUSY);
	assert_int_equal(unmount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(v.mounted, 0);
	assert_int_equal(v.generation, 2);
	assert_int_equal(v.extents[0].acked_generation, 1);
	assert_true(volume_is_fenced(&v));
	assert_string_equal(v.borrower, "serverJ");
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
	assert_int_equal(v.generation, 2);
	assert_int_equal(unmount(f, "serverJ", "Vol-1", &v), DSP_E_STATE);
}

/* After an unmount the volume is fenced until its agent acks. */
static void
test_fenced_until_ack(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	pool(f);
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v), DSP_OK);
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(unmount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_E_FENCED);
	assert_string_equal(f->err, "volume Vol-1 waits for server serverA "
	    "to acknowledge generation 2");
	assert_int_equal(release(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(alloc(f, "serverK", "Vol-1", 0, &v), DSP_E_FENCED);
	/* By size, the fenced volume is passed over. */
	assert_int_equal(alloc(f, "serverK", "", 50, &v), DSP_OK);
	assert_string_equal(v.name, "Vol-3");
	assert_int_equal(alloc(f, "serverK", "", 50, &v), DSP_OK);
	assert_string_equal(v.name, "Vol-2");
	assert_int_equal(alloc(f, "serverK", "", 50, &v), DSP_E_NOSPACE);
	assert_non_null(strstr(f->err, "1 unavailable or fenced"));

	/* An old or foreign ack changes nothing. */
	assert_int_equal(ack(f, "serverA", "Vol-1", 1), DSP_OK);
	assert_int_equal(ack(f, "serverB", "Vol-1", 2), DSP_OK);
	assert_int_equal(ack(f, "serverA", "Vol-gone", 5), DSP_OK);
	assert_int_equal(ack(f, "serverQ", "Vol-1", 2), DSP_E_NOTFOUND);
	assert_int_equal(alloc(f, "serverK", "Vol-1", 0, &v), DSP_E_FENCED);
	assert_int_equal(ack(f, "serverA", "Vol-1", 2), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
	assert_int_equal(v.extents[0].acked_generation, 2);
	assert_false(volume_is_fenced(&v));
	assert_int_equal(alloc(f, "serverK", "Vol-1", 0, &v), DSP_OK);
	assert_int_equal(mount(f, "serverK", "Vol-1", &v), DSP_OK);
	assert_int_equal(v.generation, 2);
}

static void
test_release(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	pool(f);
	assert_int_equal(release(f, "serverJ", "Vol-1", &v), DSP_E_STATE);
	assert_int_equal(release(f, NULL, "Vol-1", &v), DSP_E_STATE);
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v), DSP_OK);
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(release(f, "serverJ", "Vol-1", &v), DSP_E_STATE);
	assert_non_null(strstr(f->err, "mounted"));
	assert_int_equal(release(f, "serverK", "Vol-1", &v), DSP_E_BUSY);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
	assert_string_equal(v.borrower, "serverJ");
	assert_int_equal(v.mounted, 1);

	/* Forced: unmounted (generation bump) and released at once. */
	assert_int_equal(release(f, NULL, "Vol-1", &v), DSP_OK);
	assert_string_equal(v.borrower, "");
	assert_int_equal(v.mounted, 0);
	assert_int_equal(v.generation, 2);
	assert_true(volume_is_fenced(&v));
	assert_int_equal(store_check_mounted(f->s, "serverJ", "Vol-1", &v,
	    f->err, sizeof(f->err)), DSP_E_STATE);

	/* Unmounted first, the borrower may release. */
	assert_int_equal(alloc(f, "serverJ", "Vol-2", 0, &v), DSP_OK);
	assert_int_equal(mount(f, "serverJ", "Vol-2", &v), DSP_OK);
	assert_int_equal(unmount(f, NULL, "Vol-2", &v), DSP_OK);
	assert_int_equal(v.generation, 2);
	assert_int_equal(release(f, "serverJ", "Vol-2", &v), DSP_OK);
	assert_string_equal(v.borrower, "");
	assert_int_equal(v.generation, 2);
}

static void
test_server_down_unavailable(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;
	struct msg_register	 m;

	pool(f);
	assert_int_equal(store_server_down(f->s, "serverA"), DSP_OK);
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v),
	    DSP_E_UNAVAILABLE);
	assert_non_null(strstr(f->err, "server serverA is down"));
	assert_int_equal(alloc(f, "serverJ", "", 0, &v), DSP_OK);
	assert_string_equal(v.name, "Vol-3");

	/* Lent, then the lender goes silent: mount refused. */
	assert_int_equal(fixture_register(f, "serverA", 2000, "A1:100", NULL),
	    DSP_OK);
	assert_int_equal(alloc(f, "serverJ", "Vol-1", 0, &v), DSP_OK);
	assert_int_equal(store_expire_servers(f->s, 2031, 30, NULL, NULL), 3);
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_E_UNAVAILABLE);
	assert_non_null(strstr(f->err, "serverA"));
	assert_int_equal(fixture_register(f, "serverA", 2040, "A1:100", NULL),
	    DSP_OK);
	assert_int_equal(mount(f, "serverJ", "Vol-1", &v), DSP_OK);
	/* Unmount works with the lender down; the ack comes later. */
	assert_int_equal(store_server_down(f->s, "serverA"), DSP_OK);
	assert_int_equal(unmount(f, "serverJ", "Vol-1", &v), DSP_OK);
	assert_int_equal(release(f, "serverJ", "Vol-1", &v), DSP_OK);

	/* An unavailable region, as the agent reports it. */
	memset(&m, 0, sizeof(m));
	strcpy(m.server, "serverB");
	strcpy(m.host, "127.0.2.2");
	m.port = 7401;
	m.region_count = 1;
	strcpy(m.regions[0].name, "B1");
	m.regions[0].size = 300;
	strcpy(m.regions[0].reason, "disk missing");
	assert_int_equal(store_register(f->s, &m, 2050, NULL, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(alloc(f, "serverK", "Vol-2", 0, &v),
	    DSP_E_UNAVAILABLE);
	assert_non_null(strstr(f->err, "region B1"));
	assert_non_null(strstr(f->err, "disk missing"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allocate_by_name,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_allocate_smallest_fit,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_allocate_no_space,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_allocate_race,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mount_requires_allocation,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unmount_bumps_generation,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_fenced_until_ack,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_release,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_server_down_unavailable,
		    setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
