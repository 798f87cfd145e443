/*
 * Volume offsets onto extents. Linear scans: a volume has at most
 * DSP_MAX_EXTENTS (16) extents.
 */
#include <string.h>

#include "extent_map.h"

int
extent_map_init(struct extent_map *m, const struct msg_extent *e,
    uint16_t count)
{
	uint64_t	size = 0;
	uint16_t	i;

	memset(m, 0, sizeof(*m));
	if (count == 0 || count > DSP_MAX_EXTENTS)
		return -1;
	for (i = 0; i < count; i++) {
		if (e[i].length == 0 ||
		    e[i].offset > UINT64_MAX - e[i].length ||
		    size > UINT64_MAX - e[i].length)
			return -1;
		m->ext[i].vstart = size;
		m->ext[i].roffset = e[i].offset;
		m->ext[i].length = e[i].length;
		size += e[i].length;
	}
	m->count = count;
	m->size = size;
	return 0;
}

int
extent_map_check(const struct extent_map *m, uint64_t offset, uint64_t length)
{
	if (offset > m->size || length > m->size - offset)
		return -1;
	return 0;
}

int
extent_map_piece(const struct extent_map *m, uint64_t offset, uint64_t length,
    struct extent_piece *p)
{
	const struct extent_map_entry	*e;
	uint64_t			 in, left;
	uint16_t			 i;

	if (extent_map_check(m, offset, length) == -1)
		return -1;
	if (length == 0)
		return 1;
	for (i = 0; i < m->count; i++) {
		e = &m->ext[i];
		if (offset >= e->vstart && offset - e->vstart < e->length)
			break;
	}
	if (i == m->count)
		return -1;	/* not reached: offset < size */
	in = offset - e->vstart;
	left = e->length - in;
	p->extent = i;
	p->voffset = offset;
	p->roffset = e->roffset + in;
	p->length = length < left ? length : left;
	return 0;
}

int
extent_map_split(const struct extent_map *m, uint64_t offset, uint64_t length,
    struct extent_piece *pieces, int max)
{
	struct extent_piece	p;
	int			n = 0, r;

	if (extent_map_check(m, offset, length) == -1)
		return -1;
	while ((r = extent_map_piece(m, offset, length, &p)) == 0) {
		if (n == max)
			return -1;
		pieces[n++] = p;
		offset += p.length;
		length -= p.length;
	}
	return r == 1 ? n : -1;
}

int
extent_map_to_volume(const struct extent_map *m, uint16_t i, uint64_t roffset,
    uint64_t *voffset)
{
	const struct extent_map_entry	*e;

	if (i >= m->count)
		return -1;
	e = &m->ext[i];
	if (roffset < e->roffset || roffset - e->roffset >= e->length)
		return -1;
	*voffset = e->vstart + (roffset - e->roffset);
	return 0;
}
