/*
 * Terminal-safe text: what each byte becomes, escapes kept or doubled,
 * and the bound on the output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "text.h"

static const struct {
	const char	*in;
	const char	*escaped;	/* text_escape */
	const char	*safe;		/* text_safe */
	const char	*lines;		/* text_safe_lines */
} table[] = {
	{ "", "", "", "" },
	{ "plain text: 1-2_3.", "plain text: 1-2_3.", "plain text: 1-2_3.",
	    "plain text: 1-2_3." },
	{ "\x1b[2J", "\\x1b[2J", "\\x1b[2J", "\\x1b[2J" },
	{ "a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd", "a\\x0ab\\x09c\\x0dd",
	    "a\nb\tc\\x0dd" },
	{ "\x01\x1f\x7f\x80\xff", "\\x01\\x1f\\x7f\\x80\\xff",
	    "\\x01\\x1f\\x7f\\x80\\xff", "\\x01\\x1f\\x7f\\x80\\xff" },
	{ "caf\xc3\xa9", "caf\\xc3\\xa9", "caf\\xc3\\xa9", "caf\\xc3\\xa9" },
	{ "~ }", "~ }", "~ }", "~ }" },
	/* Backslashes: doubled by text_escape; text_safe keeps escapes. */
	{ "C:\\dir", "C:\\\\dir", "C:\\\\dir", "C:\\\\dir" },
	{ "\\x1b", "\\\\x1b", "\\x1b", "\\x1b" },
	{ "\\\\", "\\\\\\\\", "\\\\", "\\\\" },
	{ "\\x1", "\\\\x1", "\\\\x1", "\\\\x1" },
	{ "\\xg1", "\\\\xg1", "\\\\xg1", "\\\\xg1" },
	{ "\\X41", "\\\\X41", "\\\\X41", "\\\\X41" },
	{ "\\xAf", "\\\\xAf", "\\xAf", "\\xAf" },
	{ "end\\", "end\\\\", "end\\\\", "end\\\\" },
};

static void
test_table(void **state)
{
	char	out[256];
	size_t	i, n;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		n = text_escape(out, sizeof(out), table[i].in);
		assert_string_equal(out, table[i].escaped);
		assert_int_equal(n, strlen(out));
		n = text_safe(out, sizeof(out), table[i].in);
		assert_string_equal(out, table[i].safe);
		assert_int_equal(n, strlen(out));
		n = text_safe_lines(out, sizeof(out), table[i].in);
		assert_string_equal(out, table[i].lines);
		assert_int_equal(n, strlen(out));
	}
}

/* Every byte value: the output is printable ASCII only. */
static void
test_every_byte(void **state)
{
	char	in[2], out[8];
	size_t	i;
	int	c;

	(void)state;
	for (c = 1; c < 256; c++) {
		in[0] = (char)c;
		in[1] = '\0';
		text_escape(out, sizeof(out), in);
		for (i = 0; out[i] != '\0'; i++)
			assert_true(out[i] >= 0x20 && out[i] < 0x7f);
		if (c >= 0x20 && c < 0x7f && c != '\\')
			assert_int_equal(strlen(out), 1);
		else if (c == '\\')
			assert_string_equal(out, "\\\\");
		else
			assert_int_equal(strlen(out), 4);
	}
}

/* What text_escape made passes text_safe unchanged. */
static void
test_safe_keeps_escaped(void **state)
{
	static const char	*const in[] = {
		"reason \x1b]0;owned\x07 with \\x41 and \\\\ and \\",
		"\\\\x1b", "\\\\\\", "\x80\\x\\xzz",
	};
	char			 once[256], twice[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		text_escape(once, sizeof(once), in[i]);
		text_safe(twice, sizeof(twice), once);
		assert_string_equal(once, twice);
		text_safe_lines(twice, sizeof(twice), once);
		assert_string_equal(once, twice);
	}
}

/* NUL bytes inside a length-bounded input are shown, not ends. */
static void
test_bytes(void **state)
{
	static const char	in[] = { 'a', '\0', 'b', '\x1b', '\\', 'x',
				    '4', '1' };
	char			out[64];

	(void)state;
	assert_int_equal(text_safe_bytes(out, sizeof(out), in, sizeof(in)),
	    strlen("a\\x00b\\x1b\\x41"));
	assert_string_equal(out, "a\\x00b\\x1b\\x41");
	assert_int_equal(text_safe_bytes(out, sizeof(out), in, 0), 0);
	assert_string_equal(out, "");
}

/* The output stops before an escape that does not fit whole. */
static void
test_bound(void **state)
{
	char	out[16];
	size_t	n;

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(text_escape(out, 0, "abc"), 0);
	assert_int_equal(out[0], 'Z');
	assert_int_equal(text_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
	assert_int_equal(text_escape(out, 3, "abc"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(text_escape(out, 4, "abc"), 3);
	assert_string_equal(out, "abc");

	/* "ab" + \x1b needs 7 bytes with the NUL. */
	for (n = 1; n < 7; n++) {
		text_escape(out, n, "ab\x1b");
		assert_int_equal(strlen(out), n - 1 < 2 ? n - 1 : 2);
	}
	text_escape(out, 7, "ab\x1b");
	assert_string_equal(out, "ab\\x1b");
	text_escape(out, 4, "a\\b");
	assert_string_equal(out, "a\\\\");
	text_escape(out, 3, "a\\b");
	assert_string_equal(out, "a");
	/* A kept escape is not cut either. */
	text_safe(out, 4, "\\x41");
	assert_string_equal(out, "");
	text_safe(out, 5, "\\x41");
	assert_string_equal(out, "\\x41");
	text_safe_lines(out, 3, "a\nb");
	assert_string_equal(out, "a\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_safe_keeps_escaped),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
