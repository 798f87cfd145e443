/*
 * The tape file's tar writer: header checksums and fields, pax records
 * whose length counts itself, the sparse map (with its closing entry
 * when the image ends in a hole), base-256 sizes past 8 GiB, and the
 * refusals (regions out of order or outside the image, more data than
 * the regions hold, a member ended early).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "tar.h"

static int
into(void *arg, const void *buf, size_t len)
{
	buf_put_bytes(arg, buf, len);
	return 0;
}

/* The checksum of a header block as tar computes it. */
static unsigned int
checksum(const uint8_t *h)
{
	unsigned int	sum = 0;
	size_t		i;

	for (i = 0; i < TAR_BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	return sum;
}

static void
test_file(void **state)
{
	struct buf_writer	w;
	struct tar		t;
	char			sum[8];

	(void)state;
	buf_writer_init(&w);
	tar_init(&t, into, &w, 1700000000);
	assert_int_equal(tar_file(&t, "MANIFEST", "hello\n", 6), 0);
	assert_int_equal(tar_finish(&t), 0);
	/* Header, one data block, two zero blocks. */
	assert_int_equal(w.len, 4 * TAR_BLOCK);
	assert_int_equal(t.bytes, w.len);
	assert_string_equal((char *)w.data, "MANIFEST");
	assert_memory_equal(w.data + 124, "00000000006", 12);
	assert_int_equal(w.data[156], '0');
	assert_memory_equal(w.data + 257, "ustar\0" "00", 8);
	snprintf(sum, sizeof(sum), "%06o", checksum(w.data));
	assert_memory_equal(w.data + 148, sum, 6);
	assert_memory_equal(w.data + TAR_BLOCK, "hello\n", 6);
	buf_writer_free(&w);
}

/* The pax header of a sparse member, and its map block after the
 * member's own header. */
static void
test_sparse_layout(void **state)
{
	static const struct tar_region	r[] = { { 4096, 10 }, { 8192, 5 } };
	struct buf_writer		w;
	struct tar			t;
	const char			*pax, *map;

	(void)state;
	buf_writer_init(&w);
	tar_init(&t, into, &w, 0);
	assert_int_equal(tar_sparse_begin(&t, "Vol-1.img", 65536, r, 2), 0);
	assert_int_equal(tar_data(&t, "0123456789", 10), 0);
	assert_int_equal(tar_data(&t, "abcde", 5), 0);
	assert_int_equal(tar_sparse_end(&t), 0);
	assert_int_equal(w.data[156], 'x');
	pax = (const char *)w.data + TAR_BLOCK;
	assert_non_null(strstr(pax, "22 GNU.sparse.major=1\n"));
	assert_non_null(strstr(pax, "22 GNU.sparse.minor=0\n"));
	assert_non_null(strstr(pax, "29 GNU.sparse.name=Vol-1.img\n"));
	assert_non_null(strstr(pax, "29 GNU.sparse.realsize=65536\n"));
	/* The member: its name for tars without sparse support, its size
	 * the map block and the 15 data bytes. */
	assert_string_equal((char *)w.data + 2 * TAR_BLOCK,
	    "GNUSparseFile.0/Vol-1.img");
	assert_memory_equal(w.data + 2 * TAR_BLOCK + 124, "00000001017", 12);
	map = (const char *)w.data + 3 * TAR_BLOCK;
	assert_string_equal(map, "3\n4096\n10\n8192\n5\n65536\n0\n");
	assert_memory_equal(w.data + 4 * TAR_BLOCK, "0123456789abcde", 15);
	assert_int_equal(w.len, 5 * TAR_BLOCK);
	buf_writer_free(&w);
}

static void
test_large_and_empty(void **state)
{
	struct tar_region	r = { 0, 9ULL << 30 };
	struct buf_writer	w;
	struct tar		t;

	(void)state;
	buf_writer_init(&w);
	tar_init(&t, into, &w, 0);
	/* 9 GiB of data: base 256 in the header, "size" in pax. */
	assert_int_equal(tar_sparse_begin(&t, "big", 9ULL << 30, &r, 1), 0);
	assert_non_null(strstr((char *)w.data + TAR_BLOCK, " size=9663676928"));
	assert_int_equal((uint8_t)w.data[2 * TAR_BLOCK + 124], 0x80);
	buf_writer_free(&w);
	/* No data at all: one closing entry sets the length. */
	buf_writer_init(&w);
	tar_init(&t, into, &w, 0);
	assert_int_equal(tar_sparse_begin(&t, "empty", 1 << 20, NULL, 0), 0);
	assert_int_equal(tar_sparse_end(&t), 0);
	assert_string_equal((char *)w.data + 3 * TAR_BLOCK, "1\n1048576\n0\n");
	buf_writer_free(&w);
}

static void
test_refusals(void **state)
{
	static const struct tar_region	overlap[] = { { 0, 10 }, { 5, 10 } };
	static const struct tar_region	outside[] = { { 100, 10 } };
	struct buf_writer		w;
	struct tar			t;
	char				name[TAR_NAME_MAX + 2];

	(void)state;
	buf_writer_init(&w);
	tar_init(&t, into, &w, 0);
	assert_int_equal(tar_sparse_begin(&t, "a", 100, overlap, 2), -1);
	assert_int_equal(tar_sparse_begin(&t, "a", 105, outside, 1), -1);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(tar_file(&t, name, "", 0), -1);
	assert_int_equal(tar_sparse_begin(&t, "a", 200, outside, 1), 0);
	assert_int_equal(tar_data(&t, "0123456789x", 11), -1);
	assert_int_equal(tar_data(&t, "01234", 5), 0);
	/* Ended before its data: refused. */
	assert_int_equal(tar_sparse_end(&t), -1);
	buf_writer_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_sparse_layout),
		cmocka_unit_test(test_large_and_empty),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
