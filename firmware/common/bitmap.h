/*
 * A plain bit array over chunk numbers: the write-intent bitmap of a
 * mirror (manager, LMDB value) and the client's record of chunks already
 * marked. Bit i is byte i / 8, bit i % 8 (least significant first), so
 * the bytes mean the same on every host and on the wire.
 */
#ifndef DASPOOL_BITMAP_H
#define DASPOOL_BITMAP_H

#include <stddef.h>
#include <stdint.h>

#define BITMAP_BYTES(bits)	(((bits) + 7) / 8)

int		bitmap_test(const uint8_t *, uint64_t bit);
void		bitmap_set(uint8_t *, uint64_t bit);
/* Sets bits [first, last]; returns how many were clear before. */
uint64_t	bitmap_set_range(uint8_t *, uint64_t first, uint64_t last);
uint64_t	bitmap_count(const uint8_t *, uint64_t bits);
/* The first set bit >= from, or bits when there is none. */
uint64_t	bitmap_next(const uint8_t *, uint64_t bits, uint64_t from);
/* The chunks [*first, *last] that a byte range touches; -1 when length
 * is 0 or the range does not fit in bits chunks. */
int		bitmap_chunks(uint64_t offset, uint64_t length,
		    uint32_t chunk_size, uint64_t bits, uint64_t *first,
		    uint64_t *last);
/* Chunk size for a volume: DSP_MIRROR_CHUNK doubled until the volume
 * needs no more than DSP_MAX_CHUNKS chunks. */
uint32_t	bitmap_chunk_size(uint64_t volume_size);
uint64_t	bitmap_chunk_count(uint64_t volume_size, uint32_t chunk_size);

#endif
