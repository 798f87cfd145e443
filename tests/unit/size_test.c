/*
 * size_parse and size_format against tables of what people write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "size.h"

#define KiB	((uint64_t)1 << 10)
#define MiB	((uint64_t)1 << 20)
#define GiB	((uint64_t)1 << 30)
#define TiB	((uint64_t)1 << 40)
#define PiB	((uint64_t)1 << 50)

static const struct {
	const char	*text;
	uint64_t	 value;
} parse_ok[] = {
	{ "0", 0 },
	{ "4096", 4096 },
	{ "4096B", 4096 },
	{ "4096b", 4096 },
	{ "64k", 64 * KiB },
	{ "64K", 64 * KiB },
	{ "64KB", 64 * KiB },
	{ "64KiB", 64 * KiB },
	{ "64kib", 64 * KiB },
	{ "512M", 512 * MiB },
	{ "200G", 200 * GiB },
	{ "1GiB", GiB },
	{ "1gb", GiB },
	{ "1.5T", TiB + TiB / 2 },
	{ "1.5G", GiB + GiB / 2 },
	{ "0.5K", 512 },
	{ "1.25K", 1280 },
	{ "1.0", 1 },
	{ "1.50M", MiB + MiB / 2 },
	{ "2P", 2 * PiB },
	{ "007", 7 },
	{ "18446744073709551615", UINT64_MAX },
};

static const char *const parse_bad[] = {
	"", "-1", "-1G", "+1", " 1", "1 ", "G", "1X", "1GG", "1Gi", "1GiBB",
	"1.5", "1.5B", "1.1K", "0.3K", "1.", ".5K", "1..5K", "1.5.K",
	"18446744073709551616", "16384P", "99999999999999999999999",
	"17179869184G", "0x10", "1e3", "abc", "1,5K",
	"0.0000000000000000001K",
};

static const struct {
	uint64_t	 value;
	const char	*text;
} format_table[] = {
	{ 0, "0B" },
	{ 100, "100B" },
	{ 1023, "1023B" },
	{ KiB, "1K" },
	{ 1536, "1.5K" },
	{ 1537, "1537B" },
	{ 64 * KiB, "64K" },
	{ 512 * MiB, "512M" },
	{ GiB + GiB / 2, "1.5G" },
	{ 200 * GiB, "200G" },
	{ TiB + TiB / 2, "1.5T" },
	{ 2 * PiB, "2P" },
	{ 1024 * PiB, "1024P" },
	{ 10 * GiB + 512 * MiB, "10.5G" },
	{ GiB + MiB, "1025M" },
	{ UINT64_MAX, "18446744073709551615B" },
};

static void
test_parse_ok(void **state)
{
	size_t		i;
	uint64_t	v;
	char		err[128];

	(void)state;
	for (i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		v = 12345;
		err[0] = '\0';
		if (size_parse(parse_ok[i].text, &v, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", parse_ok[i].text, err);
		if (v != parse_ok[i].value)
			fail_msg("\"%s\" gave %llu", parse_ok[i].text,
			    (unsigned long long)v);
	}
}

static void
test_parse_bad(void **state)
{
	size_t		i;
	uint64_t	v;
	char		err[128];

	(void)state;
	for (i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		v = 12345;
		err[0] = '\0';
		if (size_parse(parse_bad[i], &v, err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted as %llu", parse_bad[i],
			    (unsigned long long)v);
		assert_int_equal(v, 12345);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(size_parse(NULL, &v, NULL, 0), -1);
}

static void
test_parse_edges(void **state)
{
	uint64_t	v;
	char		err[128];

	(void)state;
	/* The largest multiple of 2^40 that fits, and one unit more. */
	assert_int_equal(size_parse("16777215T", &v, err, sizeof(err)), 0);
	assert_true(v == 16777215 * TiB);
	assert_int_equal(size_parse("16777216T", &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	/* Whole part fits, fraction pushes it over. */
	assert_int_equal(size_parse("16383.5P", &v, err, sizeof(err)), 0);
	assert_int_equal(size_parse("16383.9990234375P", &v, err,
	    sizeof(err)), 0);
	assert_true(v == 16383 * PiB + 1023 * TiB);
	assert_int_equal(size_parse("16384.0P", &v, err, sizeof(err)), -1);
	assert_int_equal(size_parse("-5M", &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "negative"));
	assert_int_equal(size_parse("1.1K", &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "whole number"));
	assert_int_equal(size_parse("3Q", &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unit"));
	/* A tiny error buffer is not overrun. */
	assert_int_equal(size_parse("", &v, err, 4), -1);
	assert_int_equal(strlen(err), 3);
}

static void
test_format(void **state)
{
	size_t	i;
	char	out[32];

	(void)state;
	for (i = 0; i < sizeof(format_table) / sizeof(format_table[0]); i++) {
		size_format(format_table[i].value, out, sizeof(out));
		assert_string_equal(out, format_table[i].text);
	}
	size_format(1536, out, 3);
	assert_string_equal(out, "1.");
}

/* Whatever size_format writes, size_parse reads back exactly. */
static void
test_round_trip(void **state)
{
	uint64_t	v, back, step;
	char		out[32], err[128];
	int		shift;

	(void)state;
	for (shift = 0; shift < 64; shift++) {
		for (step = 0; step < 4; step++) {
			v = ((uint64_t)1 << shift) + step * ((uint64_t)1 <<
			    (shift > 2 ? shift - 2 : 0)) - (step == 3);
			size_format(v, out, sizeof(out));
			if (size_parse(out, &back, err, sizeof(err)) != 0)
				fail_msg("%s: %s", out, err);
			assert_true(back == v);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_edges),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
