/*
 * The backup's SHA-256 gives mbedTLS's digest for every length around
 * the block and padding edges, for a megabyte, and for the standard
 * "abc" vector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void
test_lengths(void **state)
{
	static uint8_t	buf[1 << 20];
	uint8_t		a[32], b[32];
	size_t		len, i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 9));
	for (len = 0; len <= 300; len++) {
		sha256(buf, len, a);
		sha256_software(buf, len, b);
		if (memcmp(a, b, 32) != 0)
			fail_msg("length %zu differs", len);
	}
	sha256(buf, sizeof(buf), a);
	sha256_software(buf, sizeof(buf), b);
	assert_memory_equal(a, b, 32);
	sha256(buf + 3, sizeof(buf) - 100, a);
	sha256_software(buf + 3, sizeof(buf) - 100, b);
	assert_memory_equal(a, b, 32);
}

static void
test_abc(void **state)
{
	static const uint8_t	want[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41,
		0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3,
		0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
		0x15, 0xad,
	};
	uint8_t			got[32];

	(void)state;
	sha256("abc", 3, got);
	assert_memory_equal(got, want, 32);
	printf("sha256: %s\n", sha256_hardware() ? "SHA instructions" :
	    "mbedTLS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_abc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
