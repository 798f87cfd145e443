/*
 * Whole blocks to and from a drive (tape_block.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tape_block.h"

int
tape_block_init(struct tape_block *b, size_t size)
{
	memset(b, 0, sizeof(*b));
	if (size == 0 || (b->buf = malloc(size)) == NULL)
		return -1;
	b->size = size;
	return 0;
}

void
tape_block_free(struct tape_block *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void
tape_block_reset(struct tape_block *b)
{
	b->fill = 0;
	b->pos = 0;
	b->ended = 0;
}

ssize_t
tape_block_write(struct tape_block *b, const void *data, size_t len,
    tape_block_put_fn put, void *arg)
{
	const uint8_t	*p = data;
	size_t		 done = 0, take;
	int		 rc;

	while (!b->ended && done < len) {
		/* A whole block of the caller's goes as it is. */
		if (b->fill == 0 && len - done >= b->size) {
			if ((rc = put(arg, p + done, b->size)) == -1)
				return -1;
			done += b->size;
		} else {
			take = b->size - b->fill < len - done ?
			    b->size - b->fill : len - done;
			memcpy(b->buf + b->fill, p + done, take);
			b->fill += take;
			done += take;
			if (b->fill < b->size)
				break;
			if ((rc = put(arg, b->buf, b->size)) == -1)
				return -1;
			b->fill = 0;
		}
		b->ended = rc == 1;
	}
	return (ssize_t)done;
}

int
tape_block_flush(struct tape_block *b, tape_block_put_fn put, void *arg)
{
	if (b->fill == 0)
		return 0;
	memset(b->buf + b->fill, 0, b->size - b->fill);
	b->fill = 0;
	return put(arg, b->buf, b->size) == -1 ? -1 : 0;
}

ssize_t
tape_block_read(struct tape_block *b, void *data, size_t len,
    tape_block_get_fn get, void *arg)
{
	ssize_t	n;
	size_t	take;

	if (b->pos == b->fill) {
		if ((n = get(arg, b->buf, b->size)) <= 0)
			return n;
		b->fill = (size_t)n;
		b->pos = 0;
	}
	take = b->fill - b->pos < len ? b->fill - b->pos : len;
	memcpy(data, b->buf + b->pos, take);
	b->pos += take;
	return (ssize_t)take;
}
