/*
 * Record layouts of the store's tables (docs/STORE.md). Every record
 * starts with a version byte so a later layout can be told apart; the
 * fields follow in a fixed order, big-endian, strings as u16 length +
 * bytes. Decoders are strict: wrong version, short or trailing bytes
 * and out-of-range counts are errors.
 */
#include <string.h>

#include "store_internal.h"

void
store_copy(char *dst, size_t dstlen, const char *src)
{
	size_t	n = strlen(src);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Keys sort by server, then region: '\0' sorts before any name byte. */
size_t
store_region_key(char *key, const char *server, const char *region)
{
	size_t	sl = strnlen(server, DSP_NAME_MAX);
	size_t	rl = strnlen(region, DSP_NAME_MAX);

	memcpy(key, server, sl);
	key[sl] = '\0';
	memcpy(key + sl + 1, region, rl);
	return sl + 1 + rl;
}

static int
store_decode_start(struct buf_reader *r, const void *p, size_t len)
{
	buf_reader_init(r, p, len);
	return buf_get_u8(r) == STORE_RECORD_VERSION ? 0 : -1;
}

void
store_encode_server(struct buf_writer *w, const struct server_record *sr)
{
	buf_put_u8(w, STORE_SERVER_VERSION);
	buf_put_string(w, sr->name);
	buf_put_string(w, sr->host);
	buf_put_u16(w, sr->port);
	buf_put_u8(w, sr->up);
	buf_put_u64(w, sr->last_seen);
	buf_put_u8(w, sr->retired);
	buf_put_u64(w, sr->retired_at);
}

/* Version 1 records, written before retirement, are still read. */
int
store_decode_server(const void *p, size_t len, struct server_record *sr)
{
	struct buf_reader	r;
	uint8_t			version;

	memset(sr, 0, sizeof(*sr));
	buf_reader_init(&r, p, len);
	version = buf_get_u8(&r);
	if (version != 1 && version != STORE_SERVER_VERSION)
		return -1;
	buf_get_string(&r, sr->name, DSP_NAME_MAX);
	buf_get_string(&r, sr->host, DSP_NAME_MAX);
	sr->port = buf_get_u16(&r);
	sr->up = buf_get_u8(&r);
	sr->last_seen = buf_get_u64(&r);
	if (version >= 2) {
		sr->retired = buf_get_u8(&r);
		sr->retired_at = buf_get_u64(&r);
		if (sr->retired > 1)
			return -1;
	}
	return buf_reader_finish(&r);
}

void
store_encode_region(struct buf_writer *w, const struct region_record *rr)
{
	buf_put_u8(w, STORE_REGION_VERSION);
	buf_put_string(w, rr->server);
	buf_put_string(w, rr->name);
	buf_put_u64(w, rr->size);
	buf_put_u8(w, rr->available);
	buf_put_string(w, rr->reason);
	buf_put_string(w, rr->backing);
}

int
store_decode_region(const void *p, size_t len, struct region_record *rr)
{
	struct buf_reader	r;
	uint8_t			version;

	memset(rr, 0, sizeof(*rr));
	buf_reader_init(&r, p, len);
	version = buf_get_u8(&r);
	if (version != 1 && version != STORE_REGION_VERSION)
		return -1;
	buf_get_string(&r, rr->server, DSP_NAME_MAX);
	buf_get_string(&r, rr->name, DSP_NAME_MAX);
	rr->size = buf_get_u64(&r);
	rr->available = buf_get_u8(&r);
	buf_get_string(&r, rr->reason, sizeof(rr->reason) - 1);
	if (version >= 2)
		buf_get_string(&r, rr->backing, MSG_BACKING_MAX);
	return buf_reader_finish(&r);
}

void
store_encode_volume(struct buf_writer *w, const struct volume_record *v)
{
	const struct volume_extent	*e;
	uint16_t			 i;

	buf_put_u8(w, STORE_VOLUME_VERSION);
	buf_put_string(w, v->name);
	buf_put_u8(w, v->form);
	buf_put_u64(w, v->size);
	buf_put_string(w, v->borrower);
	buf_put_u8(w, v->mounted);
	buf_put_u64(w, v->generation);
	buf_put_u64(w, v->created_at);
	buf_put_u32(w, v->chunk_size);
	buf_put_u64(w, v->dirty_chunks);
	buf_put_u64(w, v->generation_at);
	buf_put_u64(w, v->revision);
	buf_put_u8(w, v->hold_kind);
	buf_put_string(w, v->hold);
	buf_put_u16(w, v->extent_count);
	for (i = 0; i < v->extent_count && i < DSP_MAX_EXTENTS; i++) {
		e = &v->extents[i];
		buf_put_string(w, e->server);
		buf_put_string(w, e->region);
		buf_put_u64(w, e->offset);
		buf_put_u64(w, e->length);
		buf_put_u64(w, e->acked_generation);
		buf_put_u8(w, e->leg_state);
		buf_put_u8(w, e->full_resync);
		buf_put_u64(w, e->resync_done);
		buf_put_u64(w, e->resync_total);
		buf_put_u64(w, e->last_copied);
		buf_put_string(w, e->leg_reason);
		buf_put_u8(w, e->server_retired);
		buf_put_u64(w, e->acked_revision);
		buf_put_u8(w, e->backup_hold);
		buf_put_u64(w, e->hold_until);
		buf_put_u8(w, e->hold_missed);
	}
}

/* Version 2 fields of an extent; version 1 legs are all in sync. */
static int
store_decode_leg(struct buf_reader *r, struct volume_extent *e)
{
	e->leg_state = buf_get_u8(r);
	e->full_resync = buf_get_u8(r);
	e->resync_done = buf_get_u64(r);
	e->resync_total = buf_get_u64(r);
	e->last_copied = buf_get_u64(r);
	buf_get_string(r, e->leg_reason, sizeof(e->leg_reason) - 1);
	return e->leg_state <= DSP_LEG_RESYNCING && e->full_resync <= 1 ?
	    0 : -1;
}

int
store_decode_volume(const void *p, size_t len, struct volume_record *v)
{
	struct buf_reader	 r;
	struct volume_extent	*e;
	uint16_t		 i;
	uint8_t			 version;

	memset(v, 0, sizeof(*v));
	buf_reader_init(&r, p, len);
	version = buf_get_u8(&r);
	if (version < 1 || version > STORE_VOLUME_VERSION)
		return -1;
	buf_get_string(&r, v->name, DSP_NAME_MAX);
	v->form = buf_get_u8(&r);
	v->size = buf_get_u64(&r);
	buf_get_string(&r, v->borrower, DSP_NAME_MAX);
	v->mounted = buf_get_u8(&r);
	v->generation = buf_get_u64(&r);
	v->created_at = buf_get_u64(&r);
	if (version >= 2) {
		v->chunk_size = buf_get_u32(&r);
		v->dirty_chunks = buf_get_u64(&r);
	}
	if (version >= 3)
		v->generation_at = buf_get_u64(&r);
	if (version >= 4) {
		v->revision = buf_get_u64(&r);
		v->hold_kind = buf_get_u8(&r);
		buf_get_string(&r, v->hold, sizeof(v->hold) - 1);
		if (v->hold_kind > VOLUME_HOLD_CONFLICT)
			return -1;
	}
	v->extent_count = buf_get_u16(&r);
	if (v->extent_count > DSP_MAX_EXTENTS)
		return -1;
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		buf_get_string(&r, e->server, DSP_NAME_MAX);
		buf_get_string(&r, e->region, DSP_NAME_MAX);
		e->offset = buf_get_u64(&r);
		e->length = buf_get_u64(&r);
		e->acked_generation = buf_get_u64(&r);
		if (version >= 2 && store_decode_leg(&r, e) == -1)
			return -1;
		if (version >= 3 && (e->server_retired = buf_get_u8(&r)) > 1)
			return -1;
		if (version >= 4)
			e->acked_revision = buf_get_u64(&r);
		if (version >= 5) {
			if ((e->backup_hold = buf_get_u8(&r)) > 1)
				return -1;
			e->hold_until = buf_get_u64(&r);
			if ((e->hold_missed = buf_get_u8(&r)) > 1)
				return -1;
		}
	}
	return buf_reader_finish(&r);
}

/* The sequence number is the key, not part of the record. */
void
store_encode_audit(struct buf_writer *w, const struct audit_record *a)
{
	buf_put_u8(w, STORE_RECORD_VERSION);
	buf_put_u64(w, a->time);
	buf_put_string(w, a->actor);
	buf_put_string(w, a->action);
	buf_put_string(w, a->volume);
	buf_put_string(w, a->detail);
}

int
store_decode_audit(const void *p, size_t len, struct audit_record *a)
{
	struct buf_reader	r;

	memset(a, 0, sizeof(*a));
	if (store_decode_start(&r, p, len) == -1)
		return -1;
	a->time = buf_get_u64(&r);
	buf_get_string(&r, a->actor, sizeof(a->actor) - 1);
	buf_get_string(&r, a->action, sizeof(a->action) - 1);
	buf_get_string(&r, a->volume, sizeof(a->volume) - 1);
	buf_get_string(&r, a->detail, sizeof(a->detail) - 1);
	return buf_reader_finish(&r);
}
