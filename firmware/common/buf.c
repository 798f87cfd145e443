/*
 * Payload writer and strict reader. The writer latches its first
 * allocation failure and the reader its first fault, so encoders and
 * decoders check once at the end instead of after every field.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN_CAP	256

void
buf_writer_init(struct buf_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void
buf_writer_free(struct buf_writer *w)
{
	free(w->data);
	memset(w, 0, sizeof(*w));
}

void
buf_writer_reset(struct buf_writer *w)
{
	w->len = 0;
	w->error = 0;
}

int
buf_reserve(struct buf_writer *w, size_t extra)
{
	size_t	 cap;
	uint8_t	*p;

	if (w->error)
		return -1;
	if (extra <= w->cap - w->len)
		return 0;
	if (extra > SIZE_MAX - w->len) {
		w->error = 1;
		return -1;
	}
	cap = w->cap < BUF_MIN_CAP ? BUF_MIN_CAP : w->cap;
	while (cap < w->len + extra) {
		if (cap > SIZE_MAX / 2) {
			cap = w->len + extra;
			break;
		}
		cap *= 2;
	}
	if ((p = realloc(w->data, cap)) == NULL) {
		w->error = 1;
		return -1;
	}
	w->data = p;
	w->cap = cap;
	return 0;
}

void
buf_put_bytes(struct buf_writer *w, const void *src, size_t len)
{
	if (buf_reserve(w, len) == -1)
		return;
	if (len > 0)
		memcpy(w->data + w->len, src, len);
	w->len += len;
}

void
buf_put_u8(struct buf_writer *w, uint8_t v)
{
	buf_put_bytes(w, &v, 1);
}

void
buf_put_u16(struct buf_writer *w, uint16_t v)
{
	uint8_t	b[2] = { v >> 8, v };

	buf_put_bytes(w, b, sizeof(b));
}

void
buf_put_u32(struct buf_writer *w, uint32_t v)
{
	uint8_t	b[4] = { v >> 24, v >> 16, v >> 8, v };

	buf_put_bytes(w, b, sizeof(b));
}

void
buf_put_u64(struct buf_writer *w, uint64_t v)
{
	buf_put_u32(w, v >> 32);
	buf_put_u32(w, (uint32_t)v);
}

/* A string too long for its u16 length is a caller bug: fail the writer
 * rather than send a truncated name. */
void
buf_put_string(struct buf_writer *w, const char *s)
{
	size_t	len = s != NULL ? strlen(s) : 0;

	if (len > UINT16_MAX) {
		w->error = 1;
		return;
	}
	buf_put_u16(w, (uint16_t)len);
	buf_put_bytes(w, s, len);
}

void
buf_put_blob(struct buf_writer *w, const void *p, size_t len)
{
	if (len > UINT32_MAX) {
		w->error = 1;
		return;
	}
	buf_put_u32(w, (uint32_t)len);
	buf_put_bytes(w, p, len);
}

void
buf_reader_init(struct buf_reader *r, const void *data, size_t len)
{
	static const uint8_t	empty[1];

	/* Never do arithmetic on a NULL pointer, even with offset 0. */
	r->data = data != NULL ? data : empty;
	r->len = data != NULL ? len : 0;
	r->pos = 0;
	r->error = 0;
}

/* Returns a pointer to the next n bytes and consumes them, or NULL and
 * latches the error. */
static const uint8_t *
buf_take(struct buf_reader *r, size_t n)
{
	const uint8_t	*p;

	if (r->error || n > r->len - r->pos) {
		r->error = 1;
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += n;
	return p;
}

uint8_t
buf_get_u8(struct buf_reader *r)
{
	const uint8_t	*p = buf_take(r, 1);

	return p != NULL ? p[0] : 0;
}

uint16_t
buf_get_u16(struct buf_reader *r)
{
	const uint8_t	*p = buf_take(r, 2);

	if (p == NULL)
		return 0;
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
buf_get_u32(struct buf_reader *r)
{
	const uint8_t	*p = buf_take(r, 4);

	if (p == NULL)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint64_t
buf_get_u64(struct buf_reader *r)
{
	uint64_t	hi = buf_get_u32(r);
	uint64_t	lo = buf_get_u32(r);

	if (r->error)
		return 0;
	return hi << 32 | lo;
}

void
buf_get_string(struct buf_reader *r, char *out, size_t max_len)
{
	const uint8_t	*p;
	size_t		 len;

	out[0] = '\0';
	len = buf_get_u16(r);
	if (r->error)
		return;
	if (len > max_len) {
		r->error = 1;
		return;
	}
	if ((p = buf_take(r, len)) == NULL)
		return;
	if (len > 0 && memchr(p, '\0', len) != NULL) {
		r->error = 1;
		return;
	}
	if (len > 0)
		memcpy(out, p, len);
	out[len] = '\0';
}

void
buf_get_blob(struct buf_reader *r, const uint8_t **ptr, size_t *len,
    size_t max_len)
{
	const uint8_t	*p;
	size_t		 n;

	*ptr = NULL;
	*len = 0;
	n = buf_get_u32(r);
	if (r->error)
		return;
	if (n > max_len) {
		r->error = 1;
		return;
	}
	if ((p = buf_take(r, n)) == NULL)
		return;
	*ptr = p;
	*len = n;
}

int
buf_reader_finish(const struct buf_reader *r)
{
	if (r->error || r->pos != r->len)
		return -1;
	return 0;
}
