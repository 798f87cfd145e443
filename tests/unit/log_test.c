/*
 * Log lines: whatever was formatted into a message, the line written is
 * one line of printable text.
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

#include "log.h"

/* Runs fn with stderr going to a file; returns what it wrote. */
static char *
log_capture(void (*fn)(void))
{
	static char	 buf[8192];
	FILE		*f;
	size_t		 n;
	int		 saved;

	assert_non_null(f = tmpfile());
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_true(dup2(fileno(f), STDERR_FILENO) != -1);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
log_hostile(void)
{
	log_info("region A2: %s", "bad\x1b[31m\nname\x7f\xc3\xa9");
	log_warnx("stored %s", "bad\\x1bname and C:\\dir");
}

static void
test_escaped(void **state)
{
	const char	*out;

	(void)state;
	log_init("log_test", 1, LOG_LEVEL_DEBUG);
	out = log_capture(log_hostile);
	assert_string_equal(out,
	    "log_test: info: region A2: bad\\x1b[31m\\x0aname\\x7f\\xc3\\xa9\n"
	    "log_test: warning: stored bad\\x1bname and C:\\\\dir\n");
}

static void
log_long(void)
{
	char	msg[2000];

	memset(msg, 0x1b, sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_info("%s", msg);
}

/* A long message is cut, one line still, never inside an escape. */
static void
test_long(void **state)
{
	const char	*out, *nl;
	size_t		 len;

	(void)state;
	log_init("log_test", 1, LOG_LEVEL_DEBUG);
	out = log_capture(log_long);
	assert_non_null(nl = strchr(out, '\n'));
	assert_int_equal(nl[1], '\0');
	len = (size_t)(nl - out) - strlen("log_test: info: ");
	assert_int_equal(len % 4, 0);
	assert_true(len > 1000);
	assert_memory_equal(nl - 4, "\\x1b", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
