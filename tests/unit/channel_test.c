/*
 * channel_error_text: the message of an error reply as a receiver shows
 * it (the channel I/O itself is tested over TLS in tls_test.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "channel.h"

static void
error_text(const void *msg, size_t len, char *out, size_t outlen)
{
	struct buf_writer	w;

	buf_writer_init(&w);
	buf_put_blob(&w, msg, len);
	assert_false(w.error);
	channel_error_text(w.data, w.len, out, outlen);
	buf_writer_free(&w);
}

static void
test_plain(void **state)
{
	char	out[64];

	(void)state;
	error_text("no volume Vol-9", 15, out, sizeof(out));
	assert_string_equal(out, "no volume Vol-9");
	error_text("", 0, out, sizeof(out));
	assert_string_equal(out, "(no message)");
	channel_error_text((const uint8_t *)"\0\0", 2, out, sizeof(out));
	assert_string_equal(out, "(malformed error message)");
}

/* A hostile peer's control bytes and NULs arrive escaped; escapes the
 * peer quoted from its own store are shown as they are. */
static void
test_escaped(void **state)
{
	static const char	msg[] = "region A2 is unavailable: bad\\x1bname"
				    " \x1b]2;owned\x07\0tail\n";
	char			out[128];

	(void)state;
	error_text(msg, sizeof(msg) - 1, out, sizeof(out));
	assert_string_equal(out, "region A2 is unavailable: bad\\x1bname "
	    "\\x1b]2;owned\\x07\\x00tail\\x0a");
}

/* Bounded by the caller's buffer, never cut inside an escape. */
static void
test_bounded(void **state)
{
	char	out[8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	error_text("abcd\x1b" "ef", 7, out, sizeof(out));
	assert_string_equal(out, "abcd");
	error_text("abcdefghijk", 11, out, sizeof(out));
	assert_string_equal(out, "abcdefg");
	out[0] = 'Z';
	channel_error_text(NULL, 0, out, 0);
	assert_int_equal(out[0], 'Z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
