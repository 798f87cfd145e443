/*
 * Search: the agents scan their regions; the borrower cuts the range
 * into requests of at most DSP_MAX_IO bytes that overlap by plen - 1, so
 * that a match straddling two requests is seen whole by the first. Each
 * match is taken from the request where it starts (its "own" part), so
 * none is reported twice. Matches across an extent boundary are found
 * here, from the few bytes on each side.
 *
 * An agent returns at most DSP_MAX_MATCHES matches per request: when a
 * request comes back full, the search goes on from just after its last
 * match and the replies still in flight are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct search_job {
	struct daspool_volume	*v;
	const uint8_t		*pattern;
	size_t			 plen;
	uint16_t		 extent;
	const char		*region;
	uint64_t		 pos;	/* next region offset to ask from */
	uint64_t		 end;	/* end of the piece in the region */
	uint64_t		 step;	/* own part of one request */
	uint64_t		 vbase;	/* volume offset of ... */
	uint64_t		 rbase;	/* ... this region offset */
	uint64_t		 plength;	/* of a mirror piece */
	uint64_t		*out;
	size_t			 max;
	size_t			*count;
	int			 restart;
};

static int	search_next(void *, struct dp_req *);
static int	search_done(void *, const struct dp_req *,
		    const struct msg_data_reply *);
static int	search_u64_cmp(const void *, const void *);
static int	search_add(struct search_job *, uint64_t);
static int	search_piece(struct search_job *);
static int	search_mirror_piece(struct search_job *,
		    const struct extent_piece *);
static int	search_boundary(struct search_job *, uint64_t, uint64_t,
		    uint64_t);
static int	search_run(struct daspool_volume *, const void *, size_t,
		    uint64_t, uint64_t, size_t, uint64_t *, size_t *);

static int
search_u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Appends a volume offset; 1 once max_matches are found. */
static int
search_add(struct search_job *j, uint64_t voffset)
{
	if (*j->count > 0 && j->out[*j->count - 1] >= voffset)
		return 0;	/* already reported */
	if (*j->count < j->max)
		j->out[(*j->count)++] = voffset;
	return *j->count == j->max;
}

static int
search_next(void *arg, struct dp_req *r)
{
	struct search_job	*j = arg;
	uint64_t		 len, want;

	if (j->end - j->pos < j->plen || *j->count >= j->max)
		return 1;
	len = j->end - j->pos;
	if (len > DSP_MAX_IO)
		len = DSP_MAX_IO;
	want = j->max - *j->count;
	memset(r, 0, sizeof(*r));
	r->opcode = DSP_OP_SEARCH;
	r->extent = j->extent;
	r->region = j->region;
	r->offset = j->pos;
	r->length = len;
	r->data = j->pattern;
	r->data_len = j->plen;
	r->max_matches = want < DSP_MAX_MATCHES ? (uint32_t)want :
	    DSP_MAX_MATCHES;
	j->pos += j->step;
	if (j->pos > j->end)
		j->pos = j->end;
	return 0;
}

static int
search_done(void *arg, const struct dp_req *r,
    const struct msg_data_reply *reply)
{
	struct search_job	*j = arg;
	uint64_t		 m[DSP_MAX_MATCHES], own_end, last;
	uint32_t		 i, n = reply->match_count;

	memcpy(m, reply->matches, n * sizeof(m[0]));
	qsort(m, n, sizeof(m[0]), search_u64_cmp);
	own_end = r->offset + j->step;
	volume_progress(j->v, r->length < j->step ? r->length : j->step);
	for (i = 0; i < n && m[i] < own_end; i++)
		if (search_add(j, j->vbase + (m[i] - j->rbase)))
			return DP_STOP;
	/* A full reply may have left out matches of its own part. */
	if (n > 0 && n == r->max_matches) {
		last = m[n - 1];
		if (last + 1 < own_end) {
			j->pos = last + 1;
			j->restart = 1;
			return DP_STOP;
		}
	}
	return DP_GO;
}

static int
search_piece(struct search_job *j)
{
	struct dp_job	job = { search_next, search_done, NULL, NULL, j, NULL };
	int		rc;

	do {
		j->restart = 0;
		rc = volume_run(j->v, volume_path(j->v, j->extent), &job,
		    j->v->err, sizeof(j->v->err));
	} while (rc == 0 && j->restart && *j->count < j->max);
	return rc;
}

/* One try of a mirror piece on a leg. */
static int
search_on_leg(void *arg, uint16_t leg, uint64_t base)
{
	struct search_job	*j = arg;

	j->extent = leg;
	j->region = j->v->extents[leg].region;
	j->pos = j->rbase = base;
	j->end = base + j->plength;
	return search_piece(j);
}

/*
 * A mirror is searched on one in-sync leg. When that leg fails it is
 * reported and the piece searched again on another: matches already
 * taken are not taken twice (search_add).
 */
static int
search_mirror_piece(struct search_job *j, const struct extent_piece *p)
{
	j->plength = p->length;
	return mirror_on_leg(j->v, p, search_on_leg, j);
}

/*
 * Matches starting in [from, b) that cross the extent boundary b and end
 * by 'end': read the bytes around b and look here.
 */
static int
search_boundary(struct search_job *j, uint64_t from, uint64_t b,
    uint64_t end)
{
	struct daspool_volume	*v = j->v;
	daspool_progress_fn	*fn = v->progress;
	uint64_t		 done = v->progress_done;
	uint64_t		 total = v->progress_total;
	uint64_t		 lo, hi, p;
	uint8_t			*buf;
	int			 rc;

	lo = b - from >= j->plen - 1 ? b - (j->plen - 1) : from;
	hi = end - b >= j->plen - 1 ? b + (j->plen - 1) : end;
	if (hi - lo < j->plen)
		return 0;
	if ((buf = malloc(hi - lo)) == NULL) {
		volume_seterr(v, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	v->progress = NULL;
	rc = daspool_volume_read(v, buf, hi - lo, lo);
	v->progress = fn;
	v->progress_done = done;
	v->progress_total = total;
	for (p = lo; rc == 0 && p < b && p + j->plen <= hi; p++)
		if (memcmp(buf + (p - lo), j->pattern, j->plen) == 0 &&
		    search_add(j, p))
			break;
	free(buf);
	return rc;
}

static int
search_run(struct daspool_volume *v, const void *pattern, size_t plen,
    uint64_t offset, uint64_t length, size_t max_matches, uint64_t *offsets,
    size_t *count)
{
	struct extent_piece	p;
	struct search_job	j;
	uint64_t		end = offset + length;
	int			rc;

	_Static_assert(DASPOOL_MAX_PATTERN == DSP_MAX_PATTERN,
	    "the public pattern limit is the protocol's");
	if (plen == 0 || plen > DASPOOL_MAX_PATTERN) {
		volume_seterr(v, "a search pattern has 1 to %d bytes, not %zu",
		    DASPOOL_MAX_PATTERN, plen);
		return DASPOOL_ERR_INVALID;
	}
	if ((rc = volume_range_check(v, offset, length)) != 0)
		return rc;
	if (max_matches == 0 || length < plen)
		return 0;
	volume_progress_start(v, length);
	memset(&j, 0, sizeof(j));
	j.v = v;
	j.pattern = pattern;
	j.plen = plen;
	j.step = DSP_MAX_IO - (plen - 1);
	j.out = offsets;
	j.max = max_matches;
	j.count = count;
	while (extent_map_piece(&v->map, offset, end - offset, &p) == 0) {
		j.extent = p.extent;
		j.region = v->extents[p.extent].region;
		j.pos = p.roffset;
		j.end = p.roffset + p.length;
		j.vbase = p.voffset;
		j.rbase = p.roffset;
		rc = v->mirror != NULL ? search_mirror_piece(&j, &p) :
		    search_piece(&j);
		if (rc != 0)
			return rc;
		offset = p.voffset + p.length;
		if (*count >= max_matches || offset >= end)
			break;
		if (plen > 1 && (rc = search_boundary(&j, p.voffset, offset,
		    end)) != 0)
			return rc;
		if (*count >= max_matches)
			break;
	}
	return 0;
}

int
daspool_volume_search(struct daspool_volume *v, const void *pattern,
    size_t plen, uint64_t offset, uint64_t length, size_t max_matches,
    uint64_t *offsets, size_t *count)
{
	int	rc;

	*count = 0;
	if ((rc = handle_enter(v)) != 0)
		return rc;
	rc = search_run(v, pattern, plen, offset, length, max_matches,
	    offsets, count);
	handle_leave(v);
	return rc;
}
