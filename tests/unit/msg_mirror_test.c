/*
 * The mirror-leg messages: round trip with the same bytes, every
 * truncation E_FRAME, a trailing byte E_FRAME, and out-of-domain fields
 * (empty or wrapping ranges, leg past the extents, a bitmap of the wrong
 * size, done > total) E_INVALID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bitmap.h"
#include "msg_mirror.h"

typedef void	(*encode_fn)(struct buf_writer *, const void *);
typedef int	(*decode_fn)(const uint8_t *, size_t, void *);

static uint8_t	bits[BITMAP_BYTES(1000)];

/* Round trip, then every shorter payload and one byte more. */
static void
check_codec(const void *msg, size_t size, encode_fn enc, decode_fn dec)
{
	struct buf_writer	w, w2;
	void			*out = calloc(1, size);
	uint8_t			*longer;
	size_t			 n;

	assert_non_null(out);
	buf_writer_init(&w);
	enc(&w, msg);
	assert_false(w.error);
	assert_int_equal(dec(w.data, w.len, out), DSP_OK);
	buf_writer_init(&w2);
	enc(&w2, out);
	assert_int_equal(w2.len, w.len);
	assert_memory_equal(w2.data, w.data, w.len);
	for (n = 0; n < w.len; n++)
		assert_int_equal(dec(w.data, n, out), DSP_E_FRAME);
	longer = calloc(1, w.len + 1);
	memcpy(longer, w.data, w.len);
	assert_int_equal(dec(longer, w.len + 1, out), DSP_E_FRAME);
	free(longer);
	buf_writer_free(&w);
	buf_writer_free(&w2);
	free(out);
}

/* Encodes msg and expects the decoder to say rc. */
static void
check_refused(const void *msg, size_t size, encode_fn enc, decode_fn dec,
    int rc)
{
	struct buf_writer	 w;
	void			*out = calloc(1, size);

	buf_writer_init(&w);
	enc(&w, msg);
	assert_int_equal(dec(w.data, w.len, out), rc);
	buf_writer_free(&w);
	free(out);
}

#define CODEC(m, name) &(m), sizeof(m), \
	(encode_fn)msg_encode_##name, (decode_fn)msg_decode_##name

static void
test_mirror_status(void **state)
{
	struct msg_mirror_status	m;
	uint16_t			i;

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.volume, sizeof(m.volume), "Vol-3");
	m.health = DSP_HEALTH_RESYNCING;
	m.chunk_size = DSP_MIRROR_CHUNK;
	m.dirty_chunks = 37;
	m.leg_count = DSP_MAX_EXTENTS;
	for (i = 0; i < m.leg_count; i++) {
		m.legs[i].state = i % 3;
		m.legs[i].server_up = i % 2;
		m.legs[i].full = (i + 1) % 2;
		m.legs[i].resync_done = i;
		m.legs[i].resync_total = 100 + i;
	}
	check_codec(CODEC(m, mirror_status));
	m.legs[3].state = 3;
	check_refused(CODEC(m, mirror_status), DSP_E_INVALID);
}

static void
test_leg_fail(void **state)
{
	struct msg_leg_fail	m;
	uint16_t		i;

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.volume, sizeof(m.volume), "Vol-3");
	m.leg = 1;
	snprintf(m.reason, sizeof(m.reason), "cannot reach agent serverD");
	m.range_count = DSP_MAX_RANGES;
	for (i = 0; i < m.range_count; i++) {
		m.ranges[i].offset = (uint64_t)i << 20;
		m.ranges[i].length = 4096;
	}
	check_codec(CODEC(m, leg_fail));
	m.ranges[5].length = 0;
	check_refused(CODEC(m, leg_fail), DSP_E_INVALID);
	m.ranges[5].length = 1;
	m.ranges[5].offset = UINT64_MAX;
	check_refused(CODEC(m, leg_fail), DSP_E_INVALID);
	m.ranges[5].offset = 0;
	m.leg = DSP_MAX_EXTENTS;
	check_refused(CODEC(m, leg_fail), DSP_E_INVALID);
	m.leg = 0;
	m.range_count = 0;
	check_codec(CODEC(m, leg_fail));	/* a read: nothing missed */
}

/* One range more than the arrays hold, built by hand. */
static void
check_too_many_ranges(void)
{
	struct msg_mark_dirty	out;
	struct buf_writer	w;
	unsigned		i;

	buf_writer_init(&w);
	buf_put_string(&w, "Vol-3");
	buf_put_u16(&w, DSP_MAX_RANGES + 1);
	for (i = 0; i <= DSP_MAX_RANGES; i++) {
		buf_put_u64(&w, (uint64_t)i << 20);
		buf_put_u64(&w, 1);
	}
	assert_int_equal(msg_decode_mark_dirty(w.data, w.len, &out),
	    DSP_E_INVALID);
	buf_writer_free(&w);
}

static void
test_mark_dirty(void **state)
{
	struct msg_mark_dirty	m;

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.volume, sizeof(m.volume), "Vol-3");
	m.range_count = 2;
	m.ranges[0].offset = 0;
	m.ranges[0].length = 1;
	m.ranges[1].offset = 1ULL << 40;
	m.ranges[1].length = 1ULL << 20;
	check_codec(CODEC(m, mark_dirty));
	m.range_count = 0;
	check_refused(CODEC(m, mark_dirty), DSP_E_INVALID);
	check_too_many_ranges();
	snprintf(m.volume, sizeof(m.volume), "bad/name");
	m.range_count = 1;
	check_refused(CODEC(m, mark_dirty), DSP_E_INVALID);
}

static void
test_leg_ref_and_progress(void **state)
{
	struct msg_leg_ref		r;
	struct msg_resync_progress	p;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.volume, sizeof(r.volume), "Vol-3");
	r.leg = 15;
	check_codec(CODEC(r, leg_ref));
	r.leg = 16;
	check_refused(CODEC(r, leg_ref), DSP_E_INVALID);
	memset(&p, 0, sizeof(p));
	snprintf(p.volume, sizeof(p.volume), "Vol-3");
	p.leg = 1;
	p.done = 12;
	p.total = 40;
	check_codec(CODEC(p, resync_progress));
	p.done = 41;
	check_refused(CODEC(p, resync_progress), DSP_E_INVALID);
}

static void
test_resync_plan(void **state)
{
	struct msg_resync_plan	m;

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.volume, sizeof(m.volume), "Vol-3");
	m.leg = 1;
	m.chunk_size = DSP_MIRROR_CHUNK;
	m.chunk_count = 1000;
	bitmap_set_range(bits, 10, 20);
	m.bitmap = bits;
	m.bitmap_len = sizeof(bits);
	check_codec(CODEC(m, resync_plan));
	m.bitmap_len = sizeof(bits) - 1;
	check_refused(CODEC(m, resync_plan), DSP_E_INVALID);
	m.full = 1;
	m.bitmap = NULL;
	m.bitmap_len = 0;
	check_codec(CODEC(m, resync_plan));
	m.chunk_count = DSP_MAX_CHUNKS + 1ULL;
	check_refused(CODEC(m, resync_plan), DSP_E_INVALID);
}

/* SPLIT_LEG and SPLIT_END carry VOLUME_REF and LEG_REF; LEG_HOLD is
 * the agent's own: a hold has a lease of 1 s to a day, a lift none. */
static void
test_leg_hold(void **state)
{
	struct msg_leg_hold	h;

	(void)state;
	memset(&h, 0, sizeof(h));
	snprintf(h.volume, sizeof(h.volume), "Vol-3");
	h.hold = 1;
	h.lease = 300;
	check_codec(CODEC(h, leg_hold));
	h.lease = DSP_HOLD_LEASE_MAX;
	check_codec(CODEC(h, leg_hold));
	h.lease = DSP_HOLD_LEASE_MAX + 1;
	check_refused(CODEC(h, leg_hold), DSP_E_INVALID);
	h.lease = 0;
	check_refused(CODEC(h, leg_hold), DSP_E_INVALID);
	h.hold = 0;
	check_codec(CODEC(h, leg_hold));
	h.lease = 5;
	check_refused(CODEC(h, leg_hold), DSP_E_INVALID);
	h.hold = DSP_HOLD_RENEW;
	h.lease = 5;
	check_codec(CODEC(h, leg_hold));
	h.hold = 3;
	check_refused(CODEC(h, leg_hold), DSP_E_INVALID);
	h.hold = 1;
	snprintf(h.volume, sizeof(h.volume), "bad name");
	check_refused(CODEC(h, leg_hold), DSP_E_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mirror_status),
		cmocka_unit_test(test_leg_fail),
		cmocka_unit_test(test_mark_dirty),
		cmocka_unit_test(test_leg_ref_and_progress),
		cmocka_unit_test(test_resync_plan),
		cmocka_unit_test(test_leg_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
