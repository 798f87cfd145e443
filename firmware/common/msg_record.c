/*
 * Codec of a lender's volume record (msg_record.h); strict like msg.c.
 */
#include <string.h>

#include <mbedtls/sha256.h>

#include "bitmap.h"
#include "msg_record.h"

#define MSG_NAMES_MAX	\
	(sizeof(((struct msg_volume_names *)0)->names) / \
	 sizeof(((struct msg_volume_names *)0)->names[0]))

static void
record_put_extent(struct buf_writer *w, const struct msg_record_extent *e)
{
	buf_put_string(w, e->server);
	buf_put_string(w, e->region);
	buf_put_u64(w, e->offset);
	buf_put_u64(w, e->length);
	buf_put_u8(w, e->leg_state);
	buf_put_u8(w, e->full_resync);
	buf_put_u8(w, e->server_retired);
	buf_put_string(w, e->leg_reason);
}

void
msg_encode_volume_record(struct buf_writer *w,
    const struct msg_volume_record *m)
{
	uint16_t	i;

	if (m->extent_count > DSP_MAX_EXTENTS) {
		w->error = 1;
		return;
	}
	buf_put_string(w, m->name);
	buf_put_u8(w, m->form);
	buf_put_u64(w, m->size);
	buf_put_u64(w, m->generation);
	buf_put_u64(w, m->revision);
	buf_put_u64(w, m->created_at);
	buf_put_u32(w, m->chunk_size);
	buf_put_u64(w, m->dirty_chunks);
	buf_put_u16(w, m->extent_count);
	for (i = 0; i < m->extent_count; i++)
		record_put_extent(w, &m->extents[i]);
	buf_put_blob(w, m->bitmap, m->bitmap_len);
}

static void
record_get_extent(struct buf_reader *r, struct msg_record_extent *e)
{
	buf_get_string(r, e->server, DSP_NAME_MAX);
	buf_get_string(r, e->region, DSP_NAME_MAX);
	e->offset = buf_get_u64(r);
	e->length = buf_get_u64(r);
	e->leg_state = buf_get_u8(r);
	e->full_resync = buf_get_u8(r);
	e->server_retired = buf_get_u8(r);
	buf_get_string(r, e->leg_reason, DSP_LEG_REASON_MAX);
}

static int
record_extent_valid(const struct msg_record_extent *e)
{
	return msg_name_valid(e->server) && msg_name_valid(e->region) &&
	    e->length > 0 && e->offset + e->length > e->offset &&
	    e->leg_state <= DSP_LEG_RESYNCING && e->full_resync <= 1 &&
	    e->server_retired <= 1;
}

/* The bitmap is empty, or covers every chunk of the volume. */
static int
record_bitmap_valid(const struct msg_volume_record *m)
{
	uint64_t	chunks;

	if (m->bitmap_len == 0)
		return 1;
	if (m->form != DSP_FORM_MIRROR || m->chunk_size == 0)
		return 0;
	chunks = m->size / m->chunk_size + (m->size % m->chunk_size != 0);
	return chunks <= DSP_MAX_CHUNKS &&
	    m->bitmap_len == BITMAP_BYTES(chunks);
}

int
msg_decode_volume_record(const uint8_t *p, size_t len,
    struct msg_volume_record *m)
{
	struct buf_reader	r;
	uint16_t		i;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->name, DSP_NAME_MAX);
	m->form = buf_get_u8(&r);
	m->size = buf_get_u64(&r);
	m->generation = buf_get_u64(&r);
	m->revision = buf_get_u64(&r);
	m->created_at = buf_get_u64(&r);
	m->chunk_size = buf_get_u32(&r);
	m->dirty_chunks = buf_get_u64(&r);
	m->extent_count = buf_get_u16(&r);
	if (m->extent_count > DSP_MAX_EXTENTS)
		return DSP_E_FRAME;
	for (i = 0; i < m->extent_count; i++)
		record_get_extent(&r, &m->extents[i]);
	buf_get_blob(&r, &m->bitmap, &m->bitmap_len, DSP_MAX_BITMAP);
	if (buf_reader_finish(&r) != 0)
		return DSP_E_FRAME;
	if (!msg_name_valid(m->name) || m->form < DSP_FORM_SINGLE ||
	    m->form > DSP_FORM_SPLIT || m->size == 0 ||
	    m->extent_count == 0 || m->generation == 0 ||
	    !record_bitmap_valid(m))
		return DSP_E_INVALID;
	for (i = 0; i < m->extent_count; i++)
		if (!record_extent_valid(&m->extents[i]))
			return DSP_E_INVALID;
	return DSP_OK;
}

/* SHA-256 over bytes in memory cannot fail; a zero digest would only
 * make two copies look different. */
void
msg_digest_bytes(const uint8_t *p, size_t len, uint8_t digest[DSP_DIGEST_LEN])
{
	unsigned char	hash[32];

	memset(hash, 0, sizeof(hash));
	(void)mbedtls_sha256_ret(p, len, hash, 0);
	memcpy(digest, hash, DSP_DIGEST_LEN);
}

int
msg_volume_record_digest(const struct msg_volume_record *m,
    uint8_t digest[DSP_DIGEST_LEN])
{
	struct buf_writer	w;
	int			rc = -1;

	buf_writer_init(&w);
	msg_encode_volume_record(&w, m);
	if (!w.error) {
		msg_digest_bytes(w.data, w.len, digest);
		rc = 0;
	}
	buf_writer_free(&w);
	return rc;
}

int
msg_volume_record_uses(const struct msg_volume_record *m, const char *server)
{
	uint16_t	i;

	for (i = 0; i < m->extent_count && i < DSP_MAX_EXTENTS; i++)
		if (strcmp(m->extents[i].server, server) == 0)
			return 1;
	return 0;
}

void
msg_encode_volume_names(struct buf_writer *w, const struct msg_volume_names *m)
{
	uint16_t	i;

	if (m->count > MSG_NAMES_MAX) {
		w->error = 1;
		return;
	}
	buf_put_u16(w, m->count);
	for (i = 0; i < m->count; i++)
		buf_put_string(w, m->names[i]);
}

int
msg_decode_volume_names(const uint8_t *p, size_t len,
    struct msg_volume_names *m)
{
	struct buf_reader	r;
	uint16_t		i;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	if ((m->count = buf_get_u16(&r)) > MSG_NAMES_MAX)
		return DSP_E_FRAME;
	for (i = 0; i < m->count; i++)
		buf_get_string(&r, m->names[i], DSP_NAME_MAX);
	if (buf_reader_finish(&r) != 0)
		return DSP_E_FRAME;
	for (i = 0; i < m->count; i++)
		if (!msg_name_valid(m->names[i]))
			return DSP_E_INVALID;
	return DSP_OK;
}

void
msg_encode_verdict(struct buf_writer *w, uint8_t verdict)
{
	buf_put_u8(w, verdict);
}

int
msg_decode_verdict(const uint8_t *p, size_t len, uint8_t *verdict)
{
	struct buf_reader	r;

	buf_reader_init(&r, p, len);
	*verdict = buf_get_u8(&r);
	if (buf_reader_finish(&r) != 0)
		return DSP_E_FRAME;
	return *verdict <= DSP_RECORD_DROP ? DSP_OK : DSP_E_INVALID;
}
