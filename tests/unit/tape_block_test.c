/*
 * Whole blocks to a drive and back, the drive a memory tape: writes of
 * any size come out as whole blocks in order, the last padded with
 * zeroes; a file of whole blocks gets no pad; at the end of the tape
 * the block that met it is written whole and the count says how much
 * was taken, so the rest goes on on the next tape with nothing lost
 * or doubled; a failed block is an error; reads of any size give the
 * file back and 0 at its mark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tape_block.h"

#define BLOCK	4096
#define DATA	(BLOCK * 10 + 777)

struct memtape {
	uint8_t		data[BLOCK * 16];
	size_t		len;		/* written */
	size_t		room;		/* blocks before the end */
	size_t		pos;		/* reading */
	int		fail;
	unsigned int	puts;
};

static int
mem_put(void *arg, const void *block, size_t size)
{
	struct memtape	*t = arg;

	assert_int_equal(size, BLOCK);
	if (t->fail)
		return -1;
	assert_true(t->len + size <= sizeof(t->data));
	memcpy(t->data + t->len, block, size);
	t->len += size;
	t->puts++;
	return t->len / BLOCK >= t->room ? 1 : 0;
}

/* The whole file, then 0: the mark. */
static ssize_t
mem_get(void *arg, void *block, size_t size)
{
	struct memtape	*t = arg;

	assert_int_equal(size, BLOCK);
	if (t->pos == t->len)
		return 0;
	memcpy(block, t->data + t->pos, size);
	t->pos += size;
	return (ssize_t)size;
}

static uint8_t	src[DATA];

static void
fill_src(void)
{
	size_t	i;

	for (i = 0; i < DATA; i++)
		src[i] = (uint8_t)(i * 7 + i / 251 + 1);
}

/* Writes src in pieces of the sizes given, in turn; what was taken. */
static size_t
write_pieces(struct tape_block *b, struct memtape *t, size_t from,
    const size_t *sizes, size_t nsizes)
{
	size_t	at = from, i, len;
	ssize_t	n;

	for (i = 0; at < DATA; i++) {
		len = sizes[i % nsizes];
		if (len > DATA - at)
			len = DATA - at;
		n = tape_block_write(b, src + at, len, mem_put, t);
		assert_true(n >= 0 && (size_t)n <= len);
		at += (size_t)n;
		if ((size_t)n < len)
			break;
	}
	return at - from;
}

static void
test_pieces_and_pad(void **state)
{
	static struct memtape	t;
	struct tape_block	b;
	const size_t		sizes[] = { 1, 511, 512, BLOCK, BLOCK * 3 + 5,
				    100, BLOCK - 1 };
	size_t			i;

	(void)state;
	fill_src();
	memset(&t, 0, sizeof(t));
	t.room = 100;
	assert_int_equal(tape_block_init(&b, BLOCK), 0);
	assert_int_equal(write_pieces(&b, &t, 0, sizes, 7), DATA);
	assert_int_equal(t.len, BLOCK * 10);
	assert_int_equal(tape_block_flush(&b, mem_put, &t), 0);
	assert_int_equal(t.len, BLOCK * 11);
	assert_memory_equal(t.data, src, DATA);
	for (i = DATA; i < t.len; i++)
		assert_int_equal(t.data[i], 0);
	/* Nothing gathered: no block. */
	assert_int_equal(tape_block_flush(&b, mem_put, &t), 0);
	assert_int_equal(t.len, BLOCK * 11);
	tape_block_free(&b);
}

static void
test_whole_blocks_no_pad(void **state)
{
	static struct memtape	t;
	struct tape_block	b;

	(void)state;
	fill_src();
	memset(&t, 0, sizeof(t));
	t.room = 100;
	assert_int_equal(tape_block_init(&b, BLOCK), 0);
	assert_int_equal(tape_block_write(&b, src, BLOCK * 2, mem_put, &t),
	    BLOCK * 2);
	assert_int_equal(tape_block_write(&b, src + BLOCK * 2, 100, mem_put,
	    &t), 100);
	assert_int_equal(tape_block_write(&b, src + BLOCK * 2 + 100,
	    BLOCK - 100, mem_put, &t), BLOCK - 100);
	assert_int_equal(t.puts, 3);
	assert_int_equal(tape_block_flush(&b, mem_put, &t), 0);
	assert_int_equal(t.len, BLOCK * 3);
	assert_memory_equal(t.data, src, BLOCK * 3);
	tape_block_free(&b);
}

static void
test_end_of_tape_spans(void **state)
{
	static struct memtape	t1, t2;
	struct tape_block	b;
	const size_t		sizes[] = { 1000, 3 * BLOCK + 17, 9 };
	size_t			first, second;

	(void)state;
	fill_src();
	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	t1.room = 4;
	t2.room = 100;
	assert_int_equal(tape_block_init(&b, BLOCK), 0);
	first = write_pieces(&b, &t1, 0, sizes, 3);
	/* The block that met the end went whole: no tail left. */
	assert_int_equal(first, BLOCK * 4);
	assert_int_equal(t1.len, BLOCK * 4);
	assert_int_equal(tape_block_write(&b, src, 10, mem_put, &t1), 0);
	assert_int_equal(tape_block_flush(&b, mem_put, &t1), 0);
	assert_int_equal(t1.len, BLOCK * 4);
	/* The next tape takes the rest. */
	tape_block_reset(&b);
	second = write_pieces(&b, &t2, first, sizes, 3);
	assert_int_equal(first + second, DATA);
	assert_int_equal(tape_block_flush(&b, mem_put, &t2), 0);
	assert_memory_equal(t1.data, src, first);
	assert_memory_equal(t2.data, src + first, second);
	tape_block_free(&b);
}

static void
test_failed_block(void **state)
{
	static struct memtape	t;
	struct tape_block	b;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.room = 100;
	t.fail = 1;
	assert_int_equal(tape_block_init(&b, BLOCK), 0);
	assert_int_equal(tape_block_write(&b, src, 100, mem_put, &t), 100);
	assert_int_equal(tape_block_write(&b, src, BLOCK, mem_put, &t), -1);
	assert_int_equal(tape_block_flush(&b, mem_put, &t), -1);
	tape_block_free(&b);
	assert_int_equal(tape_block_init(&b, 0), -1);
}

static void
test_read_back(void **state)
{
	static struct memtape	t;
	static uint8_t		got[BLOCK * 12];
	struct tape_block	b;
	size_t			len = 0, ask = 1;
	ssize_t			n;

	(void)state;
	fill_src();
	memset(&t, 0, sizeof(t));
	t.room = 100;
	assert_int_equal(tape_block_init(&b, BLOCK), 0);
	assert_int_equal(tape_block_write(&b, src, DATA, mem_put, &t), DATA);
	assert_int_equal(tape_block_flush(&b, mem_put, &t), 0);
	tape_block_reset(&b);
	while ((n = tape_block_read(&b, got + len, ask, mem_get, &t)) > 0) {
		assert_true((size_t)n <= ask);
		len += (size_t)n;
		ask = ask * 3 + 1;
		if (ask > sizeof(got) - len)
			ask = sizeof(got) - len;
	}
	assert_int_equal(n, 0);
	assert_int_equal(len, BLOCK * 11);
	assert_memory_equal(got, src, DATA);
	tape_block_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_and_pad),
		cmocka_unit_test(test_whole_blocks_no_pad),
		cmocka_unit_test(test_end_of_tape_spans),
		cmocka_unit_test(test_failed_block),
		cmocka_unit_test(test_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
