/*
 * Where each byte of a volume lives: a volume is its extents laid end to
 * end, in mount-info order (single: one extent; concat: several). Maps a
 * range of volume offsets onto pieces, each inside one extent, with its
 * region offset.
 */
#ifndef DASPOOL_EXTENT_MAP_H
#define DASPOOL_EXTENT_MAP_H

#include <stdint.h>

#include "msg.h"

struct extent_map_entry {
	uint64_t	vstart;		/* volume offset of its first byte */
	uint64_t	roffset;	/* region offset of its first byte */
	uint64_t	length;
};

struct extent_map {
	uint16_t		count;
	uint64_t		size;	/* sum of the extent lengths */
	struct extent_map_entry	ext[DSP_MAX_EXTENTS];
};

/* One piece of a range: inside extent 'extent'. */
struct extent_piece {
	uint16_t	extent;
	uint64_t	voffset;
	uint64_t	roffset;
	uint64_t	length;
};

/* 0, or -1 when count is 0 or above DSP_MAX_EXTENTS, an extent is
 * empty, or offsets overflow. */
int	extent_map_init(struct extent_map *, const struct msg_extent *,
	    uint16_t count);
/* 0 if [offset, offset + length) lies inside the volume (a zero length
 * at offset <= size does), else -1. */
int	extent_map_check(const struct extent_map *, uint64_t offset,
	    uint64_t length);
/*
 * The first piece of [offset, offset + length): the part inside the
 * extent holding offset. Returns 0 with *piece, 1 when length is 0, -1
 * when the range leaves the volume. Walk a range with:
 *	while (extent_map_piece(m, off, len, &p) == 0)
 *		{ ...; off += p.length; len -= p.length; }
 */
int	extent_map_piece(const struct extent_map *, uint64_t offset,
	    uint64_t length, struct extent_piece *piece);
/* Splits a whole range; returns the number of pieces (at most count),
 * or -1 when the range leaves the volume. */
int	extent_map_split(const struct extent_map *, uint64_t offset,
	    uint64_t length, struct extent_piece *pieces, int max);
/* The volume offset of a region offset inside extent i; -1 when it is
 * not inside it. */
int	extent_map_to_volume(const struct extent_map *, uint16_t i,
	    uint64_t roffset, uint64_t *voffset);

#endif
