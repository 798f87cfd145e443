/*
 * daspool-mgr --restore: a copy becomes the store of a new state_dir,
 * with an audit row; a store already there is refused, or kept aside
 * with --force, never deleted; a store open in another process, the
 * store itself and a file that is no copy are refused.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "mgr.h"
#include "store.h"
#include "store_copy.h"
#include "store_fixture.h"

struct restore_fixture {
	struct fixture	*f;
	char		 copy[512];	/* a copy of f's store */
	char		 state[300];	/* where it is restored */
};

static int
setup(void **state)
{
	struct restore_fixture	*r;
	struct store_region_ref	 ref;
	char			 dir[300];
	uint64_t		 size;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    fixture_setup((void **)&r->f, "restore_test") == -1)
		return -1;
	memset(&ref, 0, sizeof(ref));
	snprintf(ref.server, sizeof(ref.server), "serverA");
	snprintf(ref.region, sizeof(ref.region), "A1");
	snprintf(dir, sizeof(dir), "%s/copies", r->f->dir);
	snprintf(r->state, sizeof(r->state), "%s/state", r->f->dir);
	if (fixture_register(r->f, "serverA", 1000, "A1:1000", NULL) !=
	    DSP_OK || store_volume_create(r->f->s, "admin:0", "Vol-1",
	    DSP_FORM_SINGLE, &ref, 1, 1001, r->f->err, sizeof(r->f->err)) !=
	    DSP_OK || store_copy_write(r->f->s, dir, 1796142600, r->copy,
	    sizeof(r->copy), &size, r->f->err, sizeof(r->f->err)) == -1)
		return -1;
	*state = r;
	return 0;
}

static int
teardown(void **state)
{
	struct restore_fixture	*r = *state;
	char			 cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/copies' '%s'", r->f->dir,
	    r->state);
	if (system(cmd) != 0)
		return -1;
	fixture_teardown((void **)&r->f);
	free(r);
	return 0;
}

static int
last_audit_cb(const struct audit_record *a, void *arg)
{
	*(struct audit_record *)arg = *a;
	return 0;
}

/* Vol-1 is there, and the last audit row is the restore. */
static void
expect_restored(const char *dir)
{
	struct store		*s;
	struct volume_record	 v;
	struct audit_record	 a;
	char			 err[256];

	assert_int_equal(store_open(&s, dir, 1, 0, err, sizeof(err)), 0);
	assert_int_equal(store_get_volume(s, "Vol-1", &v), DSP_OK);
	assert_int_equal(store_each_audit(s, last_audit_cb, &a), 0);
	assert_string_equal(a.action, "restore");
	store_close(s);
}

/* Files in dir whose names start with prefix. */
static int
count_files(const char *dir, const char *prefix)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void
test_restore_new(void **state)
{
	struct restore_fixture	*r = *state;
	struct stat		 st;
	char			 err[512];

	assert_int_equal(restore_check(r->copy, r->state, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(restore_store(r->copy, r->state, 0, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(stat(r->state, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	expect_restored(r->state);
	assert_int_equal(count_files(r->state, ".data.mdb"), 0);
}

static void
test_restore_existing(void **state)
{
	struct restore_fixture	*r = *state;
	char			 err[512], data[400];

	assert_int_equal(restore_store(r->copy, r->state, 0, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(restore_check(r->copy, r->state, 0, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "already holds a store"));
	assert_non_null(strstr(err, "--force"));
	assert_int_equal(restore_store(r->copy, r->state, 0, 0, err,
	    sizeof(err)), -1);
	assert_int_equal(count_files(r->state, "data.mdb.before-restore-"), 0);

	assert_int_equal(restore_store(r->copy, r->state, 0, 1, err,
	    sizeof(err)), 0);
	assert_int_equal(count_files(r->state, "data.mdb.before-restore-"), 1);
	expect_restored(r->state);

	/* The store restoring from itself. */
	snprintf(data, sizeof(data), "%s/data.mdb", r->state);
	assert_int_equal(restore_store(data, r->state, 0, 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "itself"));
}

static void
test_restore_in_use(void **state)
{
	struct restore_fixture	*r = *state;
	char			 err[512], c;
	int			 p[2], status;
	pid_t			 pid;

	assert_int_equal(restore_store(r->copy, r->state, 0, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store	*s;

		close(p[0]);
		if (store_open(&s, r->state, 0, 0, err, sizeof(err)) != 0)
			_exit(2);
		if (write(p[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(restore_store(r->copy, r->state, 0, 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "is open in process"));
	assert_int_equal(count_files(r->state, "data.mdb.before-restore-"), 0);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(restore_store(r->copy, r->state, 0, 1, err,
	    sizeof(err)), 0);
}

static void
test_restore_refused(void **state)
{
	struct restore_fixture	*r = *state;
	char			 err[512], path[400];
	int			 fd;

	snprintf(path, sizeof(path), "%s/copies/garbage", r->f->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) != -1);
	assert_int_equal(write(fd, "not a store, not at all", 23), 23);
	close(fd);
	assert_int_equal(restore_store(path, r->state, 0, 0, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not an LMDB file"));
	assert_int_equal(access(r->state, F_OK), -1);
	snprintf(path, sizeof(path), "%s/copies/missing", r->f->dir);
	assert_int_equal(restore_check(path, r->state, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restore_new, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_existing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_in_use, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_refused, setup,
		    teardown),
	};

	log_set_level(LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
