/*
 * The payload writer (growth, big-endian layout, error latch) and the
 * strict reader (bounds, latch, leftovers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static void
test_layout(void **state)
{
	struct buf_writer	w;
	static const uint8_t	want[] = {
		0xab,
		0x12, 0x34,
		0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x02, 'h', 'i',
		0x00, 0x00, 0x00, 0x03, 'x', 'y', 'z',
		'r', 'a', 'w',
		0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
	};

	(void)state;
	buf_writer_init(&w);
	buf_put_u8(&w, 0xab);
	buf_put_u16(&w, 0x1234);
	buf_put_u32(&w, 0xdeadbeef);
	buf_put_u64(&w, 0x0102030405060708ULL);
	buf_put_string(&w, "hi");
	buf_put_blob(&w, "xyz", 3);
	buf_put_bytes(&w, "raw", 3);
	buf_put_string(&w, "");
	buf_put_blob(&w, NULL, 0);
	assert_int_equal(w.error, 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.data, want, sizeof(want));
	buf_writer_free(&w);
	assert_null(w.data);
}

static void
test_read_back(void **state)
{
	struct buf_writer	 w;
	struct buf_reader	 r;
	const uint8_t		*blob;
	size_t			 blen;
	char			 s[8];

	(void)state;
	buf_writer_init(&w);
	buf_put_u8(&w, 7);
	buf_put_u16(&w, 65535);
	buf_put_u32(&w, 0x80000001U);
	buf_put_u64(&w, UINT64_MAX - 1);
	buf_put_string(&w, "volume");
	buf_put_blob(&w, "abc", 3);
	buf_reader_init(&r, w.data, w.len);
	assert_int_equal(buf_get_u8(&r), 7);
	assert_int_equal(buf_get_u16(&r), 65535);
	assert_int_equal(buf_get_u32(&r), 0x80000001U);
	assert_true(buf_get_u64(&r) == UINT64_MAX - 1);
	buf_get_string(&r, s, 7);
	assert_string_equal(s, "volume");
	buf_get_blob(&r, &blob, &blen, 3);
	assert_int_equal(blen, 3);
	/* Zero copy: the blob points into the writer's buffer. */
	assert_ptr_equal(blob, w.data + w.len - 3);
	assert_int_equal(buf_reader_finish(&r), 0);
	buf_writer_free(&w);
}

static void
test_growth(void **state)
{
	struct buf_writer	w;
	size_t			i, cap;
	uint8_t			big[5000];

	(void)state;
	buf_writer_init(&w);
	for (i = 0; i < 100000; i++)
		buf_put_u8(&w, (uint8_t)i);
	assert_int_equal(w.len, 100000);
	assert_true(w.cap >= w.len);
	for (i = 0; i < 100000; i++)
		assert_int_equal(w.data[i], (uint8_t)i);
	/* Reset keeps the memory. */
	cap = w.cap;
	buf_writer_reset(&w);
	assert_int_equal(w.len, 0);
	assert_int_equal(w.cap, cap);
	memset(big, 0x5a, sizeof(big));
	buf_put_bytes(&w, big, sizeof(big));
	assert_int_equal(w.len, sizeof(big));
	assert_int_equal(buf_reserve(&w, 1 << 20), 0);
	assert_true(w.cap - w.len >= (1 << 20));
	buf_writer_free(&w);
}

static void
test_writer_error_latch(void **state)
{
	struct buf_writer	w;

	(void)state;
	buf_writer_init(&w);
	buf_put_u32(&w, 1);
	/* An impossible reservation fails and latches. */
	assert_int_equal(buf_reserve(&w, SIZE_MAX), -1);
	assert_int_equal(w.error, 1);
	buf_put_u32(&w, 2);
	assert_int_equal(w.len, 4);
	assert_int_equal(buf_reserve(&w, 1), -1);
	/* Reset clears the error. */
	buf_writer_reset(&w);
	assert_int_equal(w.error, 0);
	buf_put_u8(&w, 1);
	assert_int_equal(w.len, 1);
	buf_writer_free(&w);
}

static void
test_reader_short(void **state)
{
	static const uint8_t	data[] = { 1, 2, 3 };
	struct buf_reader	r;

	(void)state;
	buf_reader_init(&r, data, sizeof(data));
	assert_int_equal(buf_get_u16(&r), 0x0102);
	assert_int_equal(buf_get_u16(&r), 0);	/* only one byte left */
	assert_int_equal(r.error, 1);
	/* Latched: even a fitting read returns zero. */
	assert_int_equal(buf_get_u8(&r), 0);
	assert_int_equal(buf_reader_finish(&r), -1);

	buf_reader_init(&r, data, sizeof(data));
	assert_true(buf_get_u64(&r) == 0);
	assert_int_equal(buf_reader_finish(&r), -1);

	buf_reader_init(&r, NULL, 0);
	assert_int_equal(buf_reader_finish(&r), 0);
	assert_int_equal(buf_get_u8(&r), 0);
	assert_int_equal(buf_reader_finish(&r), -1);
}

static void
test_reader_leftover(void **state)
{
	static const uint8_t	data[] = { 1, 2, 3 };
	struct buf_reader	r;

	(void)state;
	buf_reader_init(&r, data, sizeof(data));
	buf_get_u16(&r);
	assert_int_equal(r.error, 0);
	assert_int_equal(buf_reader_finish(&r), -1);
	buf_get_u8(&r);
	assert_int_equal(buf_reader_finish(&r), 0);
}

static void
test_reader_string(void **state)
{
	static const uint8_t	ok[] = { 0, 3, 'a', 'b', 'c' };
	static const uint8_t	nul[] = { 0, 3, 'a', 0, 'c' };
	static const uint8_t	empty[] = { 0, 0 };
	static const uint8_t	past[] = { 0, 4, 'a', 'b', 'c' };
	struct buf_reader	r;
	char			s[4];

	(void)state;
	buf_reader_init(&r, ok, sizeof(ok));
	buf_get_string(&r, s, 3);
	assert_string_equal(s, "abc");
	assert_int_equal(buf_reader_finish(&r), 0);
	/* Longer than max_len. */
	buf_reader_init(&r, ok, sizeof(ok));
	buf_get_string(&r, s, 2);
	assert_string_equal(s, "");
	assert_int_equal(r.error, 1);
	/* Embedded NUL. */
	buf_reader_init(&r, nul, sizeof(nul));
	buf_get_string(&r, s, 3);
	assert_int_equal(r.error, 1);
	assert_string_equal(s, "");
	buf_reader_init(&r, empty, sizeof(empty));
	buf_get_string(&r, s, 3);
	assert_string_equal(s, "");
	assert_int_equal(buf_reader_finish(&r), 0);
	/* Length runs past the end. */
	buf_reader_init(&r, past, sizeof(past));
	buf_get_string(&r, s, 3);
	assert_int_equal(r.error, 1);
}

static void
test_reader_blob(void **state)
{
	static const uint8_t	 ok[] = { 0, 0, 0, 2, 'a', 'b' };
	static const uint8_t	 huge[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t	 empty[] = { 0, 0, 0, 0 };
	struct buf_reader	 r;
	const uint8_t		*p;
	size_t			 len;

	(void)state;
	buf_reader_init(&r, ok, sizeof(ok));
	buf_get_blob(&r, &p, &len, 2);
	assert_ptr_equal(p, ok + 4);
	assert_int_equal(len, 2);
	assert_int_equal(buf_reader_finish(&r), 0);
	buf_reader_init(&r, ok, sizeof(ok));
	buf_get_blob(&r, &p, &len, 1);
	assert_null(p);
	assert_int_equal(len, 0);
	assert_int_equal(r.error, 1);
	buf_reader_init(&r, huge, sizeof(huge));
	buf_get_blob(&r, &p, &len, SIZE_MAX);
	assert_null(p);
	assert_int_equal(r.error, 1);
	buf_reader_init(&r, empty, sizeof(empty));
	buf_get_blob(&r, &p, &len, 0);
	assert_int_equal(len, 0);
	assert_int_equal(buf_reader_finish(&r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_writer_error_latch),
		cmocka_unit_test(test_reader_short),
		cmocka_unit_test(test_reader_leftover),
		cmocka_unit_test(test_reader_string),
		cmocka_unit_test(test_reader_blob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
