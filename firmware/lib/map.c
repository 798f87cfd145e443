/*
 * The allocation map of a volume (daspool.h): each extent piece is
 * asked of its lender with MAP, one request at a time, as a reply may
 * describe less than was asked (its runs ran out) and the next request
 * starts where it stopped. Runs of a kind are joined across requests
 * and extents.
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
	/* A mirror piece: its length, and the map before it. */
	uint64_t		 plength;
	uint64_t		 keep_covered;
	size_t			 keep_count;
	struct daspool_run	 keep_last;
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

/* One piece on one extent; an agent that does not know MAP has data
 * everywhere. */
static int
map_piece(struct map_job *j)
{
	struct dp_job	job = { map_next, map_done, NULL, NULL, j, NULL };
	int		rc;

	do {
		j->sent = 0;
		j->restart = 0;
		rc = volume_run(j->v, volume_path(j->v, j->extent), &job,
		    j->v->err, sizeof(j->v->err));
	} while (rc == 0 && j->restart);
	if (rc == DSP_E_OPCODE) {
		map_add(j, j->end - j->pos, 0);
		rc = 0;
	}
	return rc;
}

/* One try of a mirror piece on a leg: what an earlier leg said before
 * it failed goes. */
static int
map_on_leg(void *arg, uint16_t leg, uint64_t base)
{
	struct map_job	*j = arg;

	*j->covered = j->keep_covered;
	*j->count = j->keep_count;
	if (j->keep_count > 0)
		j->runs[j->keep_count - 1] = j->keep_last;
	j->extent = leg;
	j->region = j->v->extents[leg].region;
	j->pos = base;
	j->end = base + j->plength;
	return map_piece(j);
}

/* A mirror piece, on the leg reads go to; another when that fails. */
static int
map_mirror_piece(struct map_job *j, const struct extent_piece *p)
{
	j->plength = p->length;
	j->keep_covered = *j->covered;
	j->keep_count = *j->count;
	if (j->keep_count > 0)
		j->keep_last = j->runs[j->keep_count - 1];
	return mirror_on_leg(j->v, p, map_on_leg, j);
}

static int
map_run(struct daspool_volume *v, uint64_t offset, uint64_t length,
    struct daspool_run *runs, size_t max, size_t *count)
{
	struct extent_piece	p;
	struct map_job		j;
	uint64_t		covered = 0, end = offset + length, mapped;
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
		j.region = v->extents[p.extent].region;
		j.pos = p.roffset;
		j.end = p.roffset + p.length;
		rc = v->mirror != NULL ? map_mirror_piece(&j, &p) :
		    map_piece(&j);
		if (rc != 0)
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
