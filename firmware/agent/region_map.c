/*
 * MAP of a region (region.h): where its backing files have data and
 * where holes, from lseek(2) SEEK_DATA and SEEK_HOLE on each part. The
 * file offset lseek moves is not used by anything else: the I/O goes
 * through pread and pwrite.
 */
#include <errno.h>
#include <unistd.h>

#include "region_internal.h"

struct region_runs {
	struct msg_run	*runs;
	uint32_t	 max;
	uint32_t	*count;
	uint64_t	*done;
};

/* Adds len bytes of one kind, joined to the last run when alike; 0, or
 * -1 when there is no room left. */
static int
region_run_add(struct region_runs *rr, uint64_t len, uint32_t flags)
{
	struct msg_run	*last;

	if (len == 0)
		return 0;
	last = *rr->count > 0 ? &rr->runs[*rr->count - 1] : NULL;
	if (last != NULL && last->flags == flags)
		last->length += len;
	else if (*rr->count == rr->max)
		return -1;
	else {
		rr->runs[*rr->count].length = len;
		rr->runs[*rr->count].flags = flags;
		(*rr->count)++;
	}
	*rr->done += len;
	return 0;
}

/* The runs of [pos, end) of one part's file. */
static int
region_map_file(const struct region_store *s, uint64_t pos, uint64_t end,
    struct region_runs *rr)
{
	off_t		data, hole;
	uint64_t	next;

	while (pos < end) {
		if ((data = lseek(s->fd, (off_t)pos, SEEK_DATA)) == -1)
			/* ENXIO: no data from pos to the end of the file;
			 * another error: holes are not known here. */
			return region_run_add(rr, end - pos, errno == ENXIO ?
			    DSP_RUN_HOLE : 0);
		if ((uint64_t)data > pos) {
			next = (uint64_t)data < end ? (uint64_t)data : end;
			if (region_run_add(rr, next - pos, DSP_RUN_HOLE) == -1)
				return -1;
			pos = next;
			continue;
		}
		hole = lseek(s->fd, (off_t)pos, SEEK_HOLE);
		next = hole == -1 || (uint64_t)hole > end ? end :
		    (uint64_t)hole;
		if (next <= pos)
			next = end;
		if (region_run_add(rr, next - pos, 0) == -1)
			return -1;
		pos = next;
	}
	return 0;
}

int
region_map(struct region *r, uint64_t off, uint64_t len, struct msg_run *runs,
    uint32_t max, uint32_t *count, uint64_t *done, char *err, size_t errlen)
{
	struct region_runs		 rr = { runs, max, count, done };
	const struct region_store	*s;
	uint64_t			 n, pos;
	int				 rc;

	*count = 0;
	*done = 0;
	if ((rc = region_check(r, off, len, err, errlen)) != DSP_OK)
		return rc;
	while (len > 0) {
		s = region_piece(r, off, len, &n);
		pos = s->base + (off - s->start);
		if (s->is_blk ? region_run_add(&rr, n, 0) :
		    region_map_file(s, pos, pos + n, &rr))
			break;
		off += n;
		len -= n;
	}
	return DSP_OK;
}
