/*
 * The allocation map of a volume (daspool.h): each extent piece is
 * asked of its lender with MAP, one request at a time, as a reply may
 * describe less than was asked (its runs ran out) and the next request
 * starts where it stopped. Runs of a kind are joined across requests
 * and extents.
 *
 * "Data" is always a true answer, so MAP never fails a call for a
 * lender's sake: it runs on a connection of its own that is not tried
 * again once lost (an agent of a release before MAP closes it), and a
 * piece its lender cannot map is data. Only a handle cut off or a
 * ticket no longer honoured is an error. A mirror is mapped on the leg
 * reads go to, and a failure there marks nothing out of sync.
 */
#include <string.h>

#include "internal.h"

struct map_job {
	struct daspool_volume	*v;
	uint16_t		 extent;
	const char		*region;
	uint64_t		 pos;		/* next region offset to ask */
	uint64_t		 end;
	int			 sent;		/* the one request is out */
	int			 restart;
	struct daspool_run	*runs;
	size_t			 max;
	size_t			*count;
	uint64_t		*covered;	/* volume bytes mapped */
};

/* Adds a run, joined to the last when alike; -1 when there is no room. */
static int
map_add(struct map_job *j, uint64_t length, uint32_t flags)
{
	struct daspool_run	*last;

	last = *j->count > 0 ? &j->runs[*j->count - 1] : NULL;
	if (last != NULL && last->flags == flags)
		last->length += length;
	else if (*j->count == j->max)
		return -1;
	else {
		j->runs[*j->count].length = length;
		j->runs[*j->count].flags = flags;
		(*j->count)++;
	}
	*j->covered += length;
	return 0;
}

static int
map_next(void *arg, struct dp_req *r)
{
	struct map_job	*j = arg;

	if (j->sent || j->pos >= j->end)
		return 1;
	memset(r, 0, sizeof(*r));
	r->opcode = DSP_OP_MAP;
	r->extent = j->extent;
	r->region = j->region;
	r->offset = j->pos;
	r->length = j->end - j->pos;
	j->sent = 1;
	return 0;
}

static int
map_done(void *arg, const struct dp_req *r, const struct msg_data_reply *reply)
{
	struct map_job	*j = arg;
	uint32_t	 i;

	for (i = 0; i < reply->run_count; i++)
		if (map_add(j, reply->runs[i].length, reply->runs[i].flags &
		    DSP_RUN_HOLE ? DASPOOL_RUN_HOLE : 0) == -1)
			return DP_STOP;
	j->pos = r->offset + reply->done;
	j->restart = j->pos < j->end;
	return DP_STOP;
}

/* A refusal that means the volume is no longer ours to use. */
static int
map_fatal(struct daspool_volume *v, int rc)
{
	return handle_check(v) != 0 || rc == DSP_E_STALE ||
	    rc == DSP_E_EXPIRED || rc == DSP_E_TICKET ||
	    rc == DSP_E_BORROWER || rc == DASPOOL_ERR_NOTMOUNTED ||
	    rc == DASPOOL_ERR_CLOSED;
}

/* One piece on one extent; what its lender cannot map is data. */
static int
map_piece(struct map_job *j)
{
	struct daspool_volume	*v = j->v;
	struct dp_job		 job = { map_next, map_done, NULL, NULL, j,
				    NULL };
	uint16_t		 path = v->extent_path[j->extent];
	int			 rc = 0;

	while (!v->map_unknown[path]) {
		j->sent = 0;
		j->restart = 0;
		rc = volume_run(v, v->map_paths[path], &job, v->err,
		    sizeof(v->err));
		if (rc != 0 || !j->restart)
			break;
	}
	if (rc != 0 && map_fatal(v, rc))
		return rc;
	if (rc < 0)
		v->map_unknown[path] = 1;
	if (j->pos < j->end && (rc != 0 || v->map_unknown[path]))
		map_add(j, j->end - j->pos, 0);
	return 0;
}

static int
map_run(struct daspool_volume *v, uint64_t offset, uint64_t length,
    struct daspool_run *runs, size_t max, size_t *count)
{
	struct extent_piece	p;
	struct map_job		j;
	uint64_t		covered = 0, end = offset + length, mapped;
	uint16_t		leg;
	int			rc;

	if ((rc = volume_range_check(v, offset, length)) != 0)
		return rc;
	memset(&j, 0, sizeof(j));
	j.v = v;
	j.runs = runs;
	j.max = max;
	j.count = count;
	j.covered = &covered;
	while (offset < end &&
	    extent_map_piece(&v->map, offset, end - offset, &p) == 0) {
		mapped = covered;
		j.extent = p.extent;
		j.pos = p.roffset;
		if (v->mirror != NULL) {
			if ((rc = mirror_read_leg(v, &leg)) != 0)
				return rc;
			j.extent = leg;
			j.pos = v->extents[leg].offset + (p.roffset -
			    v->extents[p.extent].offset);
		}
		j.region = v->extents[j.extent].region;
		j.end = j.pos + p.length;
		if ((rc = map_piece(&j)) != 0)
			return rc;
		/* Runs ran out inside the piece: what is mapped stands. */
		if (covered - mapped < p.length)
			break;
		offset = p.voffset + p.length;
	}
	return 0;
}

int
daspool_volume_map(struct daspool_volume *v, uint64_t offset, uint64_t length,
    struct daspool_run *runs, size_t max, size_t *count)
{
	int	rc;

	*count = 0;
	if (max == 0 || length == 0)
		return 0;
	if ((rc = handle_enter(v)) != 0)
		return rc;
	rc = map_run(v, offset, length, runs, max, count);
	handle_leave(v);
	return rc;
}
