/*
 * Codec of the mirror-leg messages (msg_mirror.h). Decoders are strict
 * like those of msg.c: every count bounded, names checked, no byte left.
 */
#include <string.h>

#include "bitmap.h"
#include "msg_mirror.h"

static int
mirror_finish(const struct buf_reader *r, const char *volume)
{
	if (buf_reader_finish(r) != 0)
		return DSP_E_FRAME;
	return msg_name_valid(volume) ? DSP_OK : DSP_E_INVALID;
}

static void
mirror_put_ranges(struct buf_writer *w, const struct msg_range *ranges,
    uint16_t count)
{
	uint16_t	i;

	buf_put_u16(w, count);
	for (i = 0; i < count; i++) {
		buf_put_u64(w, ranges[i].offset);
		buf_put_u64(w, ranges[i].length);
	}
}

/* -1 when the count is above DSP_MAX_RANGES or a range is empty or
 * wraps around. */
static int
mirror_get_ranges(struct buf_reader *r, struct msg_range *ranges,
    uint16_t *count)
{
	uint16_t	i;

	if ((*count = buf_get_u16(r)) > DSP_MAX_RANGES)
		return -1;
	for (i = 0; i < *count; i++) {
		ranges[i].offset = buf_get_u64(r);
		ranges[i].length = buf_get_u64(r);
		if (r->error)
			return 0;	/* truncated: reported as E_FRAME */
		if (ranges[i].length == 0 ||
		    ranges[i].offset + ranges[i].length < ranges[i].offset)
			return -1;
	}
	return 0;
}

void
msg_encode_mirror_status(struct buf_writer *w, const struct msg_mirror_status *m)
{
	const struct msg_leg_status	*l;
	uint16_t			 i;

	buf_put_string(w, m->volume);
	buf_put_u8(w, m->health);
	buf_put_u32(w, m->chunk_size);
	buf_put_u64(w, m->dirty_chunks);
	buf_put_u16(w, m->leg_count);
	for (i = 0; i < m->leg_count; i++) {
		l = &m->legs[i];
		buf_put_u8(w, l->state);
		buf_put_u8(w, l->server_up);
		buf_put_u8(w, l->full);
		buf_put_u64(w, l->resync_done);
		buf_put_u64(w, l->resync_total);
	}
}

int
msg_decode_mirror_status(const uint8_t *p, size_t len,
    struct msg_mirror_status *m)
{
	struct buf_reader	 r;
	struct msg_leg_status	*l;
	uint16_t		 i;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	m->health = buf_get_u8(&r);
	m->chunk_size = buf_get_u32(&r);
	m->dirty_chunks = buf_get_u64(&r);
	if ((m->leg_count = buf_get_u16(&r)) > DSP_MAX_EXTENTS)
		return r.error ? DSP_E_FRAME : DSP_E_INVALID;
	for (i = 0; i < m->leg_count; i++) {
		l = &m->legs[i];
		l->state = buf_get_u8(&r);
		l->server_up = buf_get_u8(&r);
		l->full = buf_get_u8(&r);
		l->resync_done = buf_get_u64(&r);
		l->resync_total = buf_get_u64(&r);
		if (l->state > DSP_LEG_RESYNCING)
			return DSP_E_INVALID;
	}
	if (m->health > DSP_HEALTH_FAILED)
		return DSP_E_INVALID;
	return mirror_finish(&r, m->volume);
}

void
msg_encode_leg_fail(struct buf_writer *w, const struct msg_leg_fail *m)
{
	buf_put_string(w, m->volume);
	buf_put_u16(w, m->leg);
	buf_put_string(w, m->reason);
	mirror_put_ranges(w, m->ranges, m->range_count);
}

int
msg_decode_leg_fail(const uint8_t *p, size_t len, struct msg_leg_fail *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	m->leg = buf_get_u16(&r);
	buf_get_string(&r, m->reason, DSP_REASON_MAX);
	if (mirror_get_ranges(&r, m->ranges, &m->range_count) == -1 ||
	    m->leg >= DSP_MAX_EXTENTS)
		return r.error ? DSP_E_FRAME : DSP_E_INVALID;
	return mirror_finish(&r, m->volume);
}

void
msg_encode_mark_dirty(struct buf_writer *w, const struct msg_mark_dirty *m)
{
	buf_put_string(w, m->volume);
	mirror_put_ranges(w, m->ranges, m->range_count);
}

int
msg_decode_mark_dirty(const uint8_t *p, size_t len, struct msg_mark_dirty *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	if (mirror_get_ranges(&r, m->ranges, &m->range_count) == -1 ||
	    (m->range_count == 0 && !r.error))
		return r.error ? DSP_E_FRAME : DSP_E_INVALID;
	return mirror_finish(&r, m->volume);
}

void
msg_encode_leg_ref(struct buf_writer *w, const struct msg_leg_ref *m)
{
	buf_put_string(w, m->volume);
	buf_put_u16(w, m->leg);
}

int
msg_decode_leg_ref(const uint8_t *p, size_t len, struct msg_leg_ref *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	if ((m->leg = buf_get_u16(&r)) >= DSP_MAX_EXTENTS)
		return r.error ? DSP_E_FRAME : DSP_E_INVALID;
	return mirror_finish(&r, m->volume);
}

void
msg_encode_resync_plan(struct buf_writer *w, const struct msg_resync_plan *m)
{
	buf_put_string(w, m->volume);
	buf_put_u16(w, m->leg);
	buf_put_u8(w, m->full);
	buf_put_u32(w, m->chunk_size);
	buf_put_u64(w, m->chunk_count);
	buf_put_blob(w, m->bitmap, m->bitmap_len);
}

int
msg_decode_resync_plan(const uint8_t *p, size_t len, struct msg_resync_plan *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	m->leg = buf_get_u16(&r);
	m->full = buf_get_u8(&r);
	m->chunk_size = buf_get_u32(&r);
	m->chunk_count = buf_get_u64(&r);
	buf_get_blob(&r, &m->bitmap, &m->bitmap_len, DSP_MAX_BITMAP);
	if (m->leg >= DSP_MAX_EXTENTS || m->full > 1 || m->chunk_size == 0 ||
	    m->chunk_count > DSP_MAX_CHUNKS ||
	    m->bitmap_len != (m->full ? 0 : BITMAP_BYTES(m->chunk_count)))
		return r.error ? DSP_E_FRAME : DSP_E_INVALID;
	return mirror_finish(&r, m->volume);
}

void
msg_encode_resync_progress(struct buf_writer *w,
    const struct msg_resync_progress *m)
{
	buf_put_string(w, m->volume);
	buf_put_u16(w, m->leg);
	buf_put_u64(w, m->done);
	buf_put_u64(w, m->total);
}

int
msg_decode_resync_progress(const uint8_t *p, size_t len,
    struct msg_resync_progress *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	m->leg = buf_get_u16(&r);
	m->done = buf_get_u64(&r);
	m->total = buf_get_u64(&r);
	if (m->leg >= DSP_MAX_EXTENTS || m->done > m->total)
		return r.error ? DSP_E_FRAME : DSP_E_INVALID;
	return mirror_finish(&r, m->volume);
}

void
msg_encode_leg_hold(struct buf_writer *w, const struct msg_leg_hold *m)
{
	buf_put_string(w, m->volume);
	buf_put_u8(w, m->hold);
	buf_put_u32(w, m->lease);
}

/* A hold or a renewal has a lease of 1 s to a day; a lift has none. */
int
msg_decode_leg_hold(const uint8_t *p, size_t len, struct msg_leg_hold *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	m->hold = buf_get_u8(&r);
	m->lease = buf_get_u32(&r);
	if (m->hold > DSP_HOLD_RENEW || (m->hold && (m->lease == 0 ||
	    m->lease > DSP_HOLD_LEASE_MAX)) || (!m->hold && m->lease != 0))
		return r.error ? DSP_E_FRAME : DSP_E_INVALID;
	return mirror_finish(&r, m->volume);
}
