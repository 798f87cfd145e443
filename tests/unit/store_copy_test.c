/*
 * Copies of the store: the names sort by time and only true copies'
 * names parse; rotation keeps the newest N and touches no other file;
 * a copy of a store made in a temp dir holds its tables, is a snapshot,
 * is taken while a writer holds its transaction open, and a file that
 * is no copy of this version is refused with the reason.
 */
#include <sys/stat.h>

#include <fcntl.h>
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

#include "log.h"
#include "store.h"
#include "store_copy.h"
#include "store_fixture.h"
#include "store_internal.h"

#define T0	((time_t)1796142600)	/* 2026-12-01T16:30:00Z */

static int
setup(void **state)
{
	return fixture_setup(state, "store_copy_test");
}

/* Removes dir and the files in it (no subdirectories). */
static void
rm_dir(const char *dir)
{
	char	cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 copies[300];

	snprintf(copies, sizeof(copies), "%s/copies", f->dir);
	rm_dir(copies);
	return fixture_teardown(state);
}

static void
touch(const char *dir, const char *name)
{
	char	path[512];
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
}

static int
exists(const char *dir, const char *name)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void
test_names(void **state)
{
	static const time_t	times[] = {
	    T0 + 86400 * 400, 0, T0, 999999999, 1000000000, T0 + 1,
	    T0 + 59, T0 + 3600 * 24 * 31, 4102444800, T0 - 1,
	};
	static const char	*bad[] = {
	    "", "store-.mdb", "store-20261201T163000Z.md",
	    "store-20261201T163000Z.mdb.tmp", ".store-20261201T163000Z.mdb.tmp",
	    "store-20261201T163000.mdb", "store-2026120aT163000Z.mdb",
	    "xstore-20261201T163000Z.mdb", "store-20261301T163000Z.mdb",
	    "store-20261232T163000Z.mdb", "store-20261201T246000Z.mdb",
	    "store-20260230T000000Z.mdb", "store-20261201t163000z.mdb",
	};
	char			names[10][STORE_COPY_NAME_LEN];
	time_t			when;
	size_t			i, j;

	(void)state;
	store_copy_name(T0, names[0], sizeof(names[0]));
	assert_string_equal(names[0], "store-20261201T163000Z.mdb");
	assert_int_equal(strlen(names[0]), STORE_COPY_NAME_LEN - 1);
	store_copy_name(0, names[0], sizeof(names[0]));
	assert_string_equal(names[0], "store-19700101T000000Z.mdb");

	for (i = 0; i < 10; i++) {
		store_copy_name(times[i], names[i], sizeof(names[i]));
		assert_int_equal(store_copy_parse(names[i], &when), 0);
		assert_int_equal(when, times[i]);
	}
	/* Name order is time order. */
	for (i = 0; i < 10; i++)
		for (j = 0; j < 10; j++)
			assert_true((strcmp(names[i], names[j]) < 0) ==
			    (times[i] < times[j]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (store_copy_parse(bad[i], &when) != -1)
			fail_msg("'%s' parsed as a copy's name", bad[i]);
}

static void
test_rotate(void **state)
{
	struct fixture	*f = *state;
	/* Made out of order: only the names decide which are newest. */
	static const int order[] = { 3, 9, 0, 5, 1, 8, 2, 7, 4, 6 };
	char		 dir[300], name[STORE_COPY_NAME_LEN], tmp[64], lock[64];
	char		 newest[STORE_COPY_NAME_LEN];
	time_t		 when;
	size_t		 i;

	snprintf(dir, sizeof(dir), "%s/copies", f->dir);
	assert_int_equal(store_copy_newest(dir, name, sizeof(name), &when), 0);
	assert_int_equal(store_copy_rotate(dir, 3, f->err, sizeof(f->err)),
	    -1);
	assert_non_null(strstr(f->err, dir));

	assert_int_equal(mkdir(dir, 0700), 0);
	for (i = 0; i < 10; i++) {
		store_copy_name(T0 + order[i] * 3600, name, sizeof(name));
		touch(dir, name);
	}
	/* What mdb_stat -n leaves beside the copy it read. */
	store_copy_name(T0, name, sizeof(name));
	snprintf(lock, sizeof(lock), "%s-lock", name);
	touch(dir, lock);
	store_copy_name(T0 + 9 * 3600, newest, sizeof(newest));
	store_copy_name(T0 + 20 * 3600, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	touch(dir, tmp);
	touch(dir, "notes.txt");
	touch(dir, "store-latest.mdb");
	touch(dir, "data.mdb");

	assert_int_equal(store_copy_newest(dir, name, sizeof(name), &when), 1);
	assert_string_equal(name, newest);
	assert_int_equal(when, T0 + 9 * 3600);

	assert_int_equal(store_copy_rotate(dir, 4, f->err, sizeof(f->err)), 6);
	for (i = 0; i < 10; i++) {
		store_copy_name(T0 + (time_t)i * 3600, name, sizeof(name));
		assert_int_equal(exists(dir, name), i >= 6);
	}
	assert_false(exists(dir, tmp));
	assert_false(exists(dir, lock));
	assert_true(exists(dir, "notes.txt"));
	assert_true(exists(dir, "store-latest.mdb"));
	assert_true(exists(dir, "data.mdb"));
	assert_int_equal(store_copy_rotate(dir, 4, f->err, sizeof(f->err)), 0);
	assert_int_equal(store_copy_rotate(dir, 100, f->err, sizeof(f->err)),
	    0);
	assert_int_equal(store_copy_rotate(dir, 1, f->err, sizeof(f->err)), 3);
	assert_true(exists(dir, newest));
}

static void
fill(struct fixture *f)
{
	struct store_region_ref	r;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:500", NULL), DSP_OK);
	memset(&r, 0, sizeof(r));
	snprintf(r.server, sizeof(r.server), "serverA");
	snprintf(r.region, sizeof(r.region), "A1");
	assert_int_equal(store_volume_create(f->s, "admin:0", "Vol-1",
	    DSP_FORM_SINGLE, &r, 1, 1001, f->err, sizeof(f->err)), DSP_OK);
}

static uint64_t
entries(const struct store_info *info, const char *table)
{
	size_t	i;

	for (i = 0; i < STORE_TABLES; i++)
		if (strcmp(info->tables[i].name, table) == 0)
			return info->tables[i].entries;
	fail_msg("no table %s", table);
	return 0;
}

static void
test_copy(void **state)
{
	struct fixture		*f = *state;
	struct store		*copy;
	struct store_info	 info;
	struct volume_record	 v;
	struct stat		 st;
	char			 dir[300], path[512], want[512], again[512];
	char			 name[STORE_COPY_NAME_LEN], tmp[64];
	uint64_t		 size;

	fill(f);
	snprintf(dir, sizeof(dir), "%s/copies", f->dir);
	assert_int_equal(store_copy_write(f->s, dir, T0, path, sizeof(path),
	    &size, f->err, sizeof(f->err)), 0);
	snprintf(want, sizeof(want), "%s/store-20261201T163000Z.mdb", dir);
	assert_string_equal(path, want);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal((uint64_t)st.st_size, size);
	store_copy_name(T0, name, sizeof(name));
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	assert_false(exists(dir, tmp));

	/* Changes after the copy are not in it. */
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_copy_open(&copy, path, f->err, sizeof(f->err)),
	    0);
	assert_int_equal(store_get_volume(copy, "Vol-1", &v), DSP_OK);
	assert_int_equal(v.size, 1000);
	assert_int_equal(store_volume_delete(copy, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_READONLY);
	store_close(copy);

	assert_int_equal(store_copy_check(path, &info, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(info.schema, STORE_SCHEMA_VERSION);
	assert_int_equal(entries(&info, "servers"), 1);
	assert_int_equal(entries(&info, "regions"), 2);
	assert_int_equal(entries(&info, "volumes"), 1);
	assert_int_equal(entries(&info, "audit"), 2);
	assert_int_equal(entries(&info, "bitmaps"), 0);
	assert_true(info.map_used > 0 && info.map_used <= size);

	/* A copy of the same second replaces the first. */
	assert_int_equal(store_copy_write(f->s, dir, T0, again, sizeof(again),
	    &size, f->err, sizeof(f->err)), 0);
	assert_string_equal(again, path);
	assert_int_equal(store_copy_check(path, &info, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(entries(&info, "volumes"), 0);
	assert_int_equal(store_copy_rotate(dir, 10, f->err, sizeof(f->err)),
	    0);
}

struct writer {
	struct store	*s;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 begun;
	int		 done;
	int		 rc;
};

/* Holds a write transaction open until told to commit it. */
static void *
writer_main(void *arg)
{
	struct writer		*w = arg;
	struct store_txn	 t;
	char			 err[256];

	w->rc = store_begin(w->s, &t, 1, 2000, err, sizeof(err));
	if (w->rc == DSP_OK)
		w->rc = store_audit_add(&t, "admin:0", "test", "", "held open");
	pthread_mutex_lock(&w->lock);
	w->begun = 1;
	pthread_cond_broadcast(&w->cond);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	w->rc = store_end(&t, w->rc);
	return NULL;
}

static void
test_copy_beside_writer(void **state)
{
	struct fixture		*f = *state;
	struct writer		 w;
	struct store_info	 info;
	pthread_t		 th;
	char			 dir[300], path[512];
	uint64_t		 size;

	fill(f);
	memset(&w, 0, sizeof(w));
	w.s = f->s;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
	pthread_mutex_lock(&w.lock);
	while (!w.begun)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);

	/* The writer's lock is held: a copy that needed it would hang. */
	snprintf(dir, sizeof(dir), "%s/copies", f->dir);
	assert_int_equal(store_copy_write(f->s, dir, T0, path, sizeof(path),
	    &size, f->err, sizeof(f->err)), 0);

	pthread_mutex_lock(&w.lock);
	w.done = 1;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, DSP_OK);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);

	/* The copy holds the last commit, not the open transaction. */
	assert_int_equal(store_copy_check(path, &info, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(entries(&info, "audit"), 2);
	assert_int_equal(store_info(f->s, &info, f->err, sizeof(f->err)), 0);
	assert_int_equal(entries(&info, "audit"), 3);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int	fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A raw LMDB copy of the fixture's store, after setting its schema. */
static void
raw_copy(struct fixture *f, uint8_t schema, const char *path)
{
	struct store_txn	t;
	uint8_t			be[4] = { 0, 0, 0, schema };
	MDB_val			key = { 6, (void *)"schema" };
	MDB_val			val = { sizeof(be), be };
	int			fd;

	assert_int_equal(store_begin(f->s, &t, 1, 0, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(mdb_put(t.txn, f->s->meta, &key, &val, 0), 0);
	t.dirty = 1;
	assert_int_equal(store_end(&t, DSP_OK), DSP_OK);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_int_equal(mdb_env_copyfd2(f->s->env, fd, MDB_CP_COMPACT), 0);
	close(fd);
}

/* An LMDB file with only a meta table: LMDB, but no daspool store. */
static void
foreign_lmdb(const char *dir, const char *path)
{
	MDB_env	*env;
	MDB_txn	*txn;
	MDB_dbi	 dbi;
	uint8_t	 be[4] = { 0, 0, 0, STORE_SCHEMA_VERSION };
	MDB_val	 key = { 6, (void *)"schema" }, val = { sizeof(be), be };
	int	 fd;

	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	assert_int_equal(mdb_env_copyfd2(env, fd, 0), 0);
	close(fd);
	mdb_env_close(env);
}

static void
expect_refused(const char *path, const char *says)
{
	struct store_info	info;
	char			err[512];

	assert_int_equal(store_copy_check(path, &info, err, sizeof(err)), -1);
	if (strstr(err, says) == NULL)
		fail_msg("%s: '%s' does not say '%s'", path, err, says);
}

static void
test_check_refuses(void **state)
{
	struct fixture	*f = *state;
	char		 dir[300], path[512], other[400], junk[8192];
	char		 says[128];
	size_t		 i;

	fill(f);
	snprintf(dir, sizeof(dir), "%s/copies", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);

	snprintf(path, sizeof(path), "%s/missing.mdb", dir);
	expect_refused(path, "No such file");
	expect_refused(dir, "is a directory");
	snprintf(path, sizeof(path), "%s/empty.mdb", dir);
	write_file(path, "", 0);
	expect_refused(path, "is empty");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	snprintf(path, sizeof(path), "%s/junk.mdb", dir);
	write_file(path, junk, sizeof(junk));
	expect_refused(path, "not an LMDB file");
	write_file(path, junk, 100);
	expect_refused(path, "not an LMDB file");

	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	snprintf(path, sizeof(path), "%s/foreign.mdb", dir);
	foreign_lmdb(other, path);
	expect_refused(path, "table servers: missing");

	snprintf(path, sizeof(path), "%s/newer.mdb", dir);
	raw_copy(f, STORE_SCHEMA_VERSION + 1, path);
	snprintf(says, sizeof(says), "schema version %d, this program knows "
	    "%d and older", STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
	expect_refused(path, says);
	snprintf(path, sizeof(path), "%s/same.mdb", dir);
	raw_copy(f, STORE_SCHEMA_VERSION, path);
	assert_int_equal(store_copy_check(path, NULL, f->err, sizeof(f->err)),
	    0);
}

static int
last_audit_cb(const struct audit_record *a, void *arg)
{
	*(struct audit_record *)arg = *a;
	return 0;
}

static void
test_restored_row(void **state)
{
	struct fixture		*f = *state;
	struct audit_record	 a;

	assert_int_equal(store_copy_restored(f->s,
	    "/var/backups/daspool/store-20261201T163000Z.mdb", 3000, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(store_each_audit(f->s, last_audit_cb, &a), 0);
	assert_string_equal(a.action, "restore");
	assert_string_equal(a.actor, "manager");
	assert_int_equal(a.time, 3000);
	assert_non_null(strstr(a.detail, "store-20261201T163000Z.mdb"));
	assert_null(strstr(a.detail, "/var/backups"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_beside_writer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restored_row, setup,
		    teardown),
	};

	log_set_level(LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
