/*
 * The backup's status file: written and read back whole, printed for
 * people while a run goes (progress, rate, time to go) and between
 * runs; the run lock refuses a second holder, naming the first's pid.
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

#include "status.h"

static char	dir[] = "/tmp/status_test.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_round_trip(void **state)
{
	struct backup_status	s, back;
	char			err[256];

	(void)state;
	memset(&s, 0, sizeof(s));
	s.pid = 4242;
	s.running = 1;
	s.run_started = 1764640800;
	snprintf(s.volume, sizeof(s.volume), "Vol-2");
	s.index = 2;
	s.total = 5;
	s.copy_started = 1764640810;
	s.done = 8388608;
	s.due = 16777216;
	s.copied = 1;
	s.last_started = 1764554400;
	s.last_ended = 1764554460;
	s.last_copied = 5;
	s.last_failed = 1;
	assert_int_equal(status_read(dir, &back, err, sizeof(err)), 1);
	assert_int_equal(status_write(dir, &s, err, sizeof(err)), 0);
	assert_int_equal(status_read(dir, &back, err, sizeof(err)), 0);
	assert_memory_equal(&s, &back, sizeof(s));
}

/* What status_print says, in buf. */
static void
printed(const struct backup_status *s, uint64_t now, char *buf, size_t len)
{
	FILE	*f = fmemopen(buf, len, "w");

	assert_non_null(f);
	status_print(f, s, now);
	fclose(f);
}

static void
test_print(void **state)
{
	struct backup_status	s;
	char			buf[1024];

	(void)state;
	memset(&s, 0, sizeof(s));
	printed(&s, 0, buf, sizeof(buf));
	assert_string_equal(buf, "idle\nno run has ended yet\n");

	s.pid = 4242;
	s.running = 1;
	s.run_started = 1764640800;
	snprintf(s.volume, sizeof(s.volume), "Vol-2");
	s.index = 2;
	s.total = 5;
	s.copy_started = 1764640810;
	s.done = 20000000;
	s.due = 60000000;
	s.copied = 1;
	/* 20 MB in 10 s: 2 MB/s, 40 MB to go in 20 s. */
	printed(&s, 1764640820, buf, sizeof(buf));
	assert_non_null(strstr(buf, "(pid 4242): 1 copied, 0 skipped, 0 "
	    "failed so far\n"));
	assert_non_null(strstr(buf, "copying Vol-2 (2 of 5): 20000000 of "
	    "60000000 data bytes, 2.0 MB/s, 20 s to go\n"));

	s.running = 0;
	s.last_started = 1764554400;
	s.last_ended = 1764554460;
	s.last_copied = 4;
	s.last_skipped = 1;
	printed(&s, 1764640820, buf, sizeof(buf));
	assert_non_null(strstr(buf, "idle\nlast run: started "));
	assert_non_null(strstr(buf, ", 60 s, 4 copied, 1 skipped, 0 "
	    "failed\n"));
}

static void
test_lock(void **state)
{
	char	err[256];
	int	fd;

	(void)state;
	fd = status_lock(dir, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(status_lock(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a backup run is going on (pid "));
	close(fd);
	fd = status_lock(dir, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_lock),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
