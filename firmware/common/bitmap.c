/*
 * Bit arrays over chunk numbers (bitmap.h).
 */
#include "bitmap.h"
#include "proto.h"

int
bitmap_test(const uint8_t *b, uint64_t bit)
{
	return (b[bit / 8] >> (bit % 8)) & 1;
}

void
bitmap_set(uint8_t *b, uint64_t bit)
{
	b[bit / 8] |= (uint8_t)(1U << (bit % 8));
}

uint64_t
bitmap_set_range(uint8_t *b, uint64_t first, uint64_t last)
{
	uint64_t	i, added = 0;

	for (i = first; i <= last; i++)
		if (!bitmap_test(b, i)) {
			bitmap_set(b, i);
			added++;
		}
	return added;
}

uint64_t
bitmap_count(const uint8_t *b, uint64_t bits)
{
	uint64_t	i, n = 0;

	for (i = 0; i < bits / 8; i++)
		n += (uint64_t)__builtin_popcount(b[i]);
	for (i = bits / 8 * 8; i < bits; i++)
		n += (uint64_t)bitmap_test(b, i);
	return n;
}

uint64_t
bitmap_next(const uint8_t *b, uint64_t bits, uint64_t from)
{
	uint64_t	i = from;

	while (i < bits) {
		/* Whole empty bytes are skipped at once. */
		if (i % 8 == 0 && b[i / 8] == 0) {
			i += 8;
			continue;
		}
		if (bitmap_test(b, i))
			return i;
		i++;
	}
	return bits;
}

int
bitmap_chunks(uint64_t offset, uint64_t length, uint32_t chunk_size,
    uint64_t bits, uint64_t *first, uint64_t *last)
{
	if (length == 0 || chunk_size == 0 || offset + length < offset)
		return -1;
	*first = offset / chunk_size;
	*last = (offset + length - 1) / chunk_size;
	return *last < bits ? 0 : -1;
}

uint32_t
bitmap_chunk_size(uint64_t volume_size)
{
	uint64_t	chunk = DSP_MIRROR_CHUNK;

	while (chunk < (1ULL << 31) &&
	    bitmap_chunk_count(volume_size, (uint32_t)chunk) > DSP_MAX_CHUNKS)
		chunk *= 2;
	return (uint32_t)chunk;
}

uint64_t
bitmap_chunk_count(uint64_t volume_size, uint32_t chunk_size)
{
	return volume_size / chunk_size + (volume_size % chunk_size != 0);
}
