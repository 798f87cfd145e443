/*
 * extent_map: volume offsets onto extents, for one extent (single) and
 * several laid end to end (concat).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "extent_map.h"

#define MiB	(1024ULL * 1024)

static void
ext(struct msg_extent *e, const char *server, const char *region,
    uint64_t offset, uint64_t length)
{
	memset(e, 0, sizeof(*e));
	strcpy(e->server, server);
	strcpy(e->host, "127.0.0.1");
	e->port = 7401;
	strcpy(e->region, region);
	e->offset = offset;
	e->length = length;
}

/* Three extents: 10 MiB at B2+5M, 4 MiB at C2+0, 1 byte at D+100. */
static void
three(struct extent_map *m)
{
	struct msg_extent	e[3];

	ext(&e[0], "serverB", "B2", 5 * MiB, 10 * MiB);
	ext(&e[1], "serverC", "C2", 0, 4 * MiB);
	ext(&e[2], "serverD", "D", 100, 1);
	assert_int_equal(extent_map_init(m, e, 3), 0);
}

static void
test_init_rejects(void **state)
{
	struct msg_extent	e[DSP_MAX_EXTENTS + 1];
	struct extent_map	m;
	int			i;

	(void)state;
	for (i = 0; i <= DSP_MAX_EXTENTS; i++)
		ext(&e[i], "s", "r", 0, MiB);
	assert_int_equal(extent_map_init(&m, e, 0), -1);
	assert_int_equal(extent_map_init(&m, e, DSP_MAX_EXTENTS + 1), -1);
	assert_int_equal(extent_map_init(&m, e, DSP_MAX_EXTENTS), 0);
	assert_int_equal(m.size, DSP_MAX_EXTENTS * MiB);
	/* an empty extent */
	e[1].length = 0;
	assert_int_equal(extent_map_init(&m, e, 2), -1);
	/* region offset + length overflows */
	ext(&e[1], "s", "r", UINT64_MAX - 10, 11);
	assert_int_equal(extent_map_init(&m, e, 2), -1);
	/* volume size overflows */
	ext(&e[0], "s", "r", 0, UINT64_MAX / 2 + 1);
	ext(&e[1], "s", "r", 0, UINT64_MAX / 2 + 1);
	assert_int_equal(extent_map_init(&m, e, 2), -1);
}

static void
test_single(void **state)
{
	struct msg_extent	e;
	struct extent_map	m;
	struct extent_piece	p;

	(void)state;
	ext(&e, "serverA", "A2", 4096, 64 * MiB);
	assert_int_equal(extent_map_init(&m, &e, 1), 0);
	assert_int_equal(m.size, 64 * MiB);

	assert_int_equal(extent_map_piece(&m, 0, MiB, &p), 0);
	assert_int_equal(p.extent, 0);
	assert_int_equal(p.voffset, 0);
	assert_int_equal(p.roffset, 4096);
	assert_int_equal(p.length, MiB);

	/* the last byte */
	assert_int_equal(extent_map_piece(&m, 64 * MiB - 1, 1, &p), 0);
	assert_int_equal(p.roffset, 4096 + 64 * MiB - 1);
	assert_int_equal(p.length, 1);

	/* the whole volume in one piece */
	assert_int_equal(extent_map_piece(&m, 0, 64 * MiB, &p), 0);
	assert_int_equal(p.length, 64 * MiB);
}

static void
test_zero_length(void **state)
{
	struct extent_map	m;
	struct extent_piece	p;

	(void)state;
	three(&m);
	assert_int_equal(extent_map_check(&m, 0, 0), 0);
	assert_int_equal(extent_map_check(&m, m.size, 0), 0);
	assert_int_equal(extent_map_check(&m, m.size + 1, 0), -1);
	assert_int_equal(extent_map_piece(&m, 3, 0, &p), 1);
	assert_int_equal(extent_map_piece(&m, m.size, 0, &p), 1);
	assert_int_equal(extent_map_split(&m, m.size, 0, &p, 1), 0);
}

static void
test_out_of_range(void **state)
{
	struct extent_map	m;
	struct extent_piece	p[4];

	(void)state;
	three(&m);
	assert_int_equal(m.size, 14 * MiB + 1);
	assert_int_equal(extent_map_check(&m, 0, m.size), 0);
	assert_int_equal(extent_map_check(&m, 0, m.size + 1), -1);
	assert_int_equal(extent_map_check(&m, m.size, 1), -1);
	assert_int_equal(extent_map_check(&m, 1, m.size), -1);
	/* offset + length wraps around */
	assert_int_equal(extent_map_check(&m, 10, UINT64_MAX), -1);
	assert_int_equal(extent_map_check(&m, UINT64_MAX, 2), -1);
	assert_int_equal(extent_map_piece(&m, m.size, 1, p), -1);
	assert_int_equal(extent_map_split(&m, 5, m.size, p, 4), -1);
}

static void
test_boundaries(void **state)
{
	struct extent_map	m;
	struct extent_piece	p;
	uint64_t		v;

	(void)state;
	three(&m);
	/* last byte of extent 0, first of extent 1 */
	assert_int_equal(extent_map_piece(&m, 10 * MiB - 1, 1, &p), 0);
	assert_int_equal(p.extent, 0);
	assert_int_equal(p.roffset, 15 * MiB - 1);
	assert_int_equal(extent_map_piece(&m, 10 * MiB, 1, &p), 0);
	assert_int_equal(p.extent, 1);
	assert_int_equal(p.roffset, 0);
	/* the one-byte extent */
	assert_int_equal(extent_map_piece(&m, 14 * MiB, 1, &p), 0);
	assert_int_equal(p.extent, 2);
	assert_int_equal(p.roffset, 100);
	assert_int_equal(p.length, 1);
	/* a range that ends exactly at a boundary stays in one extent */
	assert_int_equal(extent_map_piece(&m, 6 * MiB, 4 * MiB, &p), 0);
	assert_int_equal(p.extent, 0);
	assert_int_equal(p.length, 4 * MiB);

	/* back from region offsets */
	assert_int_equal(extent_map_to_volume(&m, 0, 5 * MiB, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(extent_map_to_volume(&m, 1, 4 * MiB - 1, &v), 0);
	assert_int_equal(v, 14 * MiB - 1);
	assert_int_equal(extent_map_to_volume(&m, 2, 100, &v), 0);
	assert_int_equal(v, 14 * MiB);
	assert_int_equal(extent_map_to_volume(&m, 0, 5 * MiB - 1, &v), -1);
	assert_int_equal(extent_map_to_volume(&m, 0, 15 * MiB, &v), -1);
	assert_int_equal(extent_map_to_volume(&m, 2, 101, &v), -1);
	assert_int_equal(extent_map_to_volume(&m, 3, 0, &v), -1);
}

static void
test_spanning(void **state)
{
	struct extent_map	m;
	struct extent_piece	p[DSP_MAX_EXTENTS];
	uint64_t		off, len, total;
	int			n;

	(void)state;
	three(&m);
	/* 2 MiB across the first boundary */
	n = extent_map_split(&m, 9 * MiB, 2 * MiB, p, DSP_MAX_EXTENTS);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].extent, 0);
	assert_int_equal(p[0].voffset, 9 * MiB);
	assert_int_equal(p[0].roffset, 14 * MiB);
	assert_int_equal(p[0].length, MiB);
	assert_int_equal(p[1].extent, 1);
	assert_int_equal(p[1].voffset, 10 * MiB);
	assert_int_equal(p[1].roffset, 0);
	assert_int_equal(p[1].length, MiB);

	/* the whole volume: three pieces */
	n = extent_map_split(&m, 0, m.size, p, DSP_MAX_EXTENTS);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].length, 10 * MiB);
	assert_int_equal(p[1].length, 4 * MiB);
	assert_int_equal(p[2].length, 1);
	assert_int_equal(p[2].roffset, 100);

	/* not enough room for the pieces */
	assert_int_equal(extent_map_split(&m, 0, m.size, p, 2), -1);

	/* walking byte ranges of every start and length adds up */
	for (off = 10 * MiB - 3; off < 10 * MiB + 3; off++)
		for (len = 0; len <= 6 && off + len <= m.size; len++) {
			n = extent_map_split(&m, off, len, p, DSP_MAX_EXTENTS);
			assert_true(n >= 0);
			total = 0;
			for (int i = 0; i < n; i++) {
				assert_int_equal(p[i].voffset, off + total);
				total += p[i].length;
			}
			assert_int_equal(total, len);
		}
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_spanning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
