/*
 * The chunk bitmap of mirrors (firmware/common/bitmap.c): bit order,
 * set_range counts, next across empty bytes, the chunks of a byte range
 * at the edges, and the chunk size rule for big volumes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bitmap.h"
#include "proto.h"

static void
test_bit_order(void **state)
{
	uint8_t	b[4];

	(void)state;
	memset(b, 0, sizeof(b));
	bitmap_set(b, 0);
	bitmap_set(b, 9);
	bitmap_set(b, 31);
	/* Least significant bit first, byte i / 8: same on every host. */
	assert_int_equal(b[0], 0x01);
	assert_int_equal(b[1], 0x02);
	assert_int_equal(b[2], 0x00);
	assert_int_equal(b[3], 0x80);
	assert_true(bitmap_test(b, 9));
	assert_false(bitmap_test(b, 8));
	assert_int_equal(bitmap_count(b, 32), 3);
	/* Counting stops at bits, inside a byte too. */
	assert_int_equal(bitmap_count(b, 31), 2);
	assert_int_equal(bitmap_count(b, 9), 1);
	assert_int_equal(bitmap_count(b, 0), 0);
	assert_int_equal(BITMAP_BYTES(0), 0);
	assert_int_equal(BITMAP_BYTES(1), 1);
	assert_int_equal(BITMAP_BYTES(8), 1);
	assert_int_equal(BITMAP_BYTES(9), 2);
}

static void
test_set_range(void **state)
{
	uint8_t	b[8];

	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(bitmap_set_range(b, 3, 3), 1);
	assert_int_equal(bitmap_set_range(b, 3, 3), 0);
	/* Only the bits that were clear count. */
	assert_int_equal(bitmap_set_range(b, 0, 10), 10);
	assert_int_equal(bitmap_set_range(b, 5, 20), 10);
	assert_int_equal(bitmap_count(b, 64), 21);
	assert_int_equal(bitmap_set_range(b, 63, 63), 1);
	assert_true(bitmap_test(b, 63));
	assert_false(bitmap_test(b, 62));
	assert_int_equal(bitmap_set_range(b, 0, 63), 64 - 22);
	assert_int_equal(bitmap_count(b, 64), 64);
}

static void
test_next(void **state)
{
	uint8_t	b[16];

	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(bitmap_next(b, 128, 0), 128);
	bitmap_set(b, 0);
	bitmap_set(b, 77);
	bitmap_set(b, 127);
	assert_int_equal(bitmap_next(b, 128, 0), 0);
	assert_int_equal(bitmap_next(b, 128, 1), 77);
	assert_int_equal(bitmap_next(b, 128, 77), 77);
	assert_int_equal(bitmap_next(b, 128, 78), 127);
	assert_int_equal(bitmap_next(b, 128, 128), 128);
	/* Bits past the end are not reported, even when set. */
	assert_int_equal(bitmap_next(b, 100, 78), 100);
	assert_int_equal(bitmap_next(b, 77, 1), 77);
	/* A start inside a byte skips its lower bits. */
	bitmap_set(b, 8);
	assert_int_equal(bitmap_next(b, 128, 9), 77);
}

static void
test_chunks(void **state)
{
	const uint32_t	cs = DSP_MIRROR_CHUNK;
	uint64_t	first, last;

	(void)state;
	assert_int_equal(bitmap_chunks(0, 1, cs, 10, &first, &last), 0);
	assert_int_equal(first, 0);
	assert_int_equal(last, 0);
	assert_int_equal(bitmap_chunks(cs - 1, 2, cs, 10, &first, &last), 0);
	assert_int_equal(first, 0);
	assert_int_equal(last, 1);
	assert_int_equal(bitmap_chunks(cs, cs, cs, 10, &first, &last), 0);
	assert_int_equal(first, 1);
	assert_int_equal(last, 1);
	/* The last byte of the last chunk fits; one more does not. */
	assert_int_equal(bitmap_chunks(0, 10ULL * cs, cs, 10, &first,
	    &last), 0);
	assert_int_equal(first, 0);
	assert_int_equal(last, 9);
	assert_int_equal(bitmap_chunks(0, 10ULL * cs + 1, cs, 10, &first,
	    &last), -1);
	assert_int_equal(bitmap_chunks(10ULL * cs, 1, cs, 10, &first,
	    &last), -1);
	/* Zero length, zero chunk size and wrap-around are refused. */
	assert_int_equal(bitmap_chunks(0, 0, cs, 10, &first, &last), -1);
	assert_int_equal(bitmap_chunks(5, 0, cs, 10, &first, &last), -1);
	assert_int_equal(bitmap_chunks(0, 1, 0, 10, &first, &last), -1);
	assert_int_equal(bitmap_chunks(UINT64_MAX, 2, cs, UINT64_MAX, &first,
	    &last), -1);
	assert_int_equal(bitmap_chunks(0, 1, cs, 0, &first, &last), -1);
}

static void
test_chunk_size(void **state)
{
	const uint64_t	mib = 1024ULL * 1024;

	(void)state;
	assert_int_equal(bitmap_chunk_size(0), DSP_MIRROR_CHUNK);
	assert_int_equal(bitmap_chunk_size(1), DSP_MIRROR_CHUNK);
	assert_int_equal(bitmap_chunk_size(100 * mib), DSP_MIRROR_CHUNK);
	/* 1 MiB chunks up to 1 TiB (2^20 chunks), then doubled. */
	assert_int_equal(bitmap_chunk_size(DSP_MAX_CHUNKS * mib),
	    DSP_MIRROR_CHUNK);
	assert_int_equal(bitmap_chunk_size(DSP_MAX_CHUNKS * mib + 1),
	    2 * DSP_MIRROR_CHUNK);
	assert_int_equal(bitmap_chunk_size(2 * DSP_MAX_CHUNKS * mib),
	    2 * DSP_MIRROR_CHUNK);
	assert_int_equal(bitmap_chunk_size(2 * DSP_MAX_CHUNKS * mib + 1),
	    4 * DSP_MIRROR_CHUNK);
	assert_true(bitmap_chunk_count(100ULL << 40,
	    bitmap_chunk_size(100ULL << 40)) <= DSP_MAX_CHUNKS);

	assert_int_equal(bitmap_chunk_count(0, DSP_MIRROR_CHUNK), 0);
	assert_int_equal(bitmap_chunk_count(1, DSP_MIRROR_CHUNK), 1);
	assert_int_equal(bitmap_chunk_count(mib, DSP_MIRROR_CHUNK), 1);
	assert_int_equal(bitmap_chunk_count(mib + 1, DSP_MIRROR_CHUNK), 2);
	assert_int_equal(bitmap_chunk_count(DSP_MAX_CHUNKS * mib,
	    DSP_MIRROR_CHUNK), DSP_MAX_CHUNKS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_order),
		cmocka_unit_test(test_set_range),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_chunk_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
