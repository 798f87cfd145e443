/*
 * Mirror legs and their write-intent bitmap (docs/STORE.md). The
 * borrower copies the data; the store keeps what must survive it: which
 * leg may be read, which chunks may differ, how far a resync got.
 *
 * The bitmap is one value per volume in the "bitmaps" table, a bit per
 * chunk, set before a write while some leg is not in sync; it is the
 * union over every leg that is behind, and is dropped only when every
 * leg is in sync again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "store_internal.h"
#include "text.h"

/* The volume is a mirror, lent to borrower and mounted. */
static int
mirror_load(struct store_txn *t, const char *borrower, const char *name,
    struct volume_record *v)
{
	int	rc;

	if ((rc = store_volume_load(t, name, v)) != DSP_OK)
		return rc;
	if (v->form != DSP_FORM_MIRROR)
		return store_fail(t, DSP_E_INVALID, "volume %s is a %s volume, "
		    "not a mirror", name, dsp_form_name(v->form));
	/* No borrower: a reader that is not one (a backup). */
	if (borrower != NULL &&
	    (rc = store_check_owner(t, v, borrower)) != DSP_OK)
		return rc;
	if (borrower != NULL && !v->mounted)
		return store_fail(t, DSP_E_STATE, "volume %s is not mounted",
		    name);
	if (v->chunk_size == 0)
		return store_fail(t, DSP_E_INTERNAL, "mirror %s has no bitmap "
		    "chunk size", name);
	return DSP_OK;
}

static int
mirror_leg(struct store_txn *t, struct volume_record *v, uint16_t leg,
    struct volume_extent **e)
{
	if (leg >= v->extent_count)
		return store_fail(t, DSP_E_INVALID, "volume %s has no leg %u "
		    "(it has %u)", v->name, leg, v->extent_count);
	*e = &v->extents[leg];
	return DSP_OK;
}

static uint64_t
mirror_chunks(const struct volume_record *v)
{
	return bitmap_chunk_count(v->size, v->chunk_size);
}

static int
mirror_count_state(const struct volume_record *v, int state)
{
	uint16_t	i;
	int		n = 0;

	for (i = 0; i < v->extent_count; i++)
		n += v->extents[i].leg_state == state;
	return n;
}

/* Every range lies inside the volume; empty ranges are ignored. */
static int
mirror_check_ranges(struct store_txn *t, const struct volume_record *v,
    const struct msg_range *ranges, uint16_t n)
{
	uint16_t	i;

	if (n > DSP_MAX_RANGES)
		return store_fail(t, DSP_E_INVALID, "more than %d ranges",
		    DSP_MAX_RANGES);
	for (i = 0; i < n; i++)
		if (ranges[i].offset > v->size ||
		    ranges[i].length > v->size - ranges[i].offset)
			return store_fail(t, DSP_E_RANGE, "range of %llu bytes "
			    "at offset %llu ends past the end of volume %s "
			    "(%llu bytes)", (unsigned long long)ranges[i].length,
			    (unsigned long long)ranges[i].offset, v->name,
			    (unsigned long long)v->size);
	return DSP_OK;
}

/* Sets the chunks of the ranges (checked) and saves the bitmap if a
 * bit was new; v->dirty_chunks follows. *added = bits newly set. */
static int
mirror_mark(struct store_txn *t, struct volume_record *v,
    const struct msg_range *ranges, uint16_t n, uint64_t *added)
{
	uint64_t	 chunks = mirror_chunks(v), first, last;
	uint8_t		*bits;
	uint16_t	 i;
	int		 rc;

	*added = 0;
	if (n == 0)
		return DSP_OK;
	if ((rc = store_bitmap_load(t, v->name, chunks, &bits)) != DSP_OK)
		return rc;
	for (i = 0; i < n; i++)
		if (bitmap_chunks(ranges[i].offset, ranges[i].length,
		    v->chunk_size, chunks, &first, &last) == 0)
			*added += bitmap_set_range(bits, first, last);
	rc = DSP_OK;
	if (*added > 0) {
		v->dirty_chunks = bitmap_count(bits, chunks);
		rc = store_bitmap_save(t, v->name, bits,
		    (size_t)BITMAP_BYTES(chunks));
	}
	free(bits);
	return rc;
}

/*
 * A leg held for a backup that has missed no write is the same as the
 * legs in sync: the borrower is shown it so, and goes on writing it
 * (and is refused there) rather than skip it. So a borrower skips a
 * held leg only after its own LEG_FAIL was recorded, and SPLIT_END can
 * put back at once a leg that missed nothing (docs/BACKUP.md).
 */
static uint8_t
mirror_shown_state(const struct volume_extent *e, int borrower)
{
	if (borrower && e->backup_hold && !e->hold_missed)
		return DSP_LEG_IN_SYNC;
	return e->leg_state;
}

static void
mirror_fill_status(struct store_txn *t, const struct volume_record *v,
    int borrower, struct msg_mirror_status *out)
{
	const struct volume_extent	*e;
	struct volume_record		 shown;
	struct server_record		 sr;
	uint8_t				 up[DSP_MAX_EXTENTS];
	uint16_t			 i;

	memset(out, 0, sizeof(*out));
	store_copy(out->volume, sizeof(out->volume), v->name);
	out->chunk_size = v->chunk_size;
	out->dirty_chunks = v->dirty_chunks;
	out->leg_count = v->extent_count;
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		up[i] = store_server_load(t, e->server, &sr) == DSP_OK &&
		    sr.up;
		out->legs[i].state = mirror_shown_state(e, borrower);
		out->legs[i].server_up = up[i];
		out->legs[i].full = e->full_resync;
		out->legs[i].resync_done = e->resync_done;
		out->legs[i].resync_total = e->resync_total;
	}
	shown = *v;
	for (i = 0; i < v->extent_count; i++)
		shown.extents[i].leg_state = out->legs[i].state;
	out->health = (uint8_t)volume_health(&shown, up);
}

int
store_mirror_status(struct store *s, const char *borrower,
    const char *volume, struct msg_mirror_status *out, char *err,
    size_t errlen)
{
	struct store_txn	t;
	struct volume_record	v;
	int			rc;

	if ((rc = store_begin(s, &t, 0, 0, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = mirror_load(&t, borrower, volume, &v)) == DSP_OK)
		mirror_fill_status(&t, &v, borrower != NULL, out);
	return store_end(&t, rc);
}

static int
mirror_leg_fail(struct store_txn *t, const char *borrower,
    const char *volume, uint16_t leg, const char *reason,
    const struct msg_range *ranges, uint16_t n,
    struct msg_mirror_status *out)
{
	struct volume_record	 v;
	struct volume_extent	*e = NULL;
	uint64_t		 added;
	int			 rc, changed, missed;

	if ((rc = mirror_load(t, borrower, volume, &v)) != DSP_OK ||
	    (rc = mirror_leg(t, &v, leg, &e)) != DSP_OK ||
	    (rc = mirror_check_ranges(t, &v, ranges, n)) != DSP_OK)
		return rc;
	/* That leg holds the newest data: nothing could resync from it. */
	if (e->leg_state == DSP_LEG_IN_SYNC &&
	    mirror_count_state(&v, DSP_LEG_IN_SYNC) == 1)
		return store_fail(t, DSP_E_STATE, "leg %s:%s is the last "
		    "in-sync leg of volume %s", e->server, e->region, volume);
	/* From now on the borrower skips the held leg (marking first). */
	if ((missed = e->backup_hold && !e->hold_missed))
		e->hold_missed = 1;
	changed = e->leg_state != DSP_LEG_OUT_OF_SYNC;
	if (changed) {
		e->leg_state = DSP_LEG_OUT_OF_SYNC;
		e->resync_done = e->resync_total = 0;
		/* The borrower's words, escaped before they are kept. */
		text_escape(e->leg_reason, sizeof(e->leg_reason),
		    reason != NULL && reason[0] ? reason : "failed");
	}
	if ((rc = mirror_mark(t, &v, ranges, n, &added)) != DSP_OK)
		return rc;
	if ((changed || added || missed) &&
	    (rc = store_volume_save(t, &v)) != DSP_OK)
		return rc;
	if (changed && (rc = store_audit_add(t, borrower, "leg-fail", volume,
	    "leg %s:%s out of sync: %s", e->server, e->region,
	    e->leg_reason)) != DSP_OK)
		return rc;
	mirror_fill_status(t, &v, 1, out);
	return DSP_OK;
}

int
store_leg_fail(struct store *s, const char *borrower, const char *volume,
    uint16_t leg, const char *reason, const struct msg_range *ranges,
    uint16_t nranges, uint64_t now, struct msg_mirror_status *out,
    char *err, size_t errlen)
{
	struct store_txn		t;
	struct msg_mirror_status	st;
	int				rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	rc = mirror_leg_fail(&t, borrower, volume, leg, reason, ranges,
	    nranges, &st);
	if ((rc = store_end(&t, rc)) == DSP_OK && out != NULL)
		*out = st;
	return rc;
}

/*
 * Marks are needed only while a leg is behind; with every leg in sync
 * they are accepted and dropped (nothing would ever read them).
 */
static int
mirror_mark_dirty(struct store_txn *t, const char *borrower,
    const char *volume, const struct msg_range *ranges, uint16_t n)
{
	struct volume_record	v;
	uint64_t		added;
	int			rc;

	if ((rc = mirror_load(t, borrower, volume, &v)) != DSP_OK ||
	    (rc = mirror_check_ranges(t, &v, ranges, n)) != DSP_OK)
		return rc;
	if (mirror_count_state(&v, DSP_LEG_IN_SYNC) == v.extent_count)
		return DSP_OK;
	if ((rc = mirror_mark(t, &v, ranges, n, &added)) != DSP_OK)
		return rc;
	return added ? store_volume_save(t, &v) : DSP_OK;
}

struct mirror_mark_job {
	const char		*borrower;
	const char		*volume;
	const struct msg_range	*ranges;
	uint16_t		 nranges;
};

static int
mirror_mark_dirty_job(struct store_txn *t, void *arg)
{
	const struct mirror_mark_job	*j = arg;

	return mirror_mark_dirty(t, j->borrower, j->volume, j->ranges,
	    j->nranges);
}

/* On a borrower's write path: many borrowers' marks share a commit. */
int
store_mark_dirty(struct store *s, const char *borrower, const char *volume,
    const struct msg_range *ranges, uint16_t nranges, char *err,
    size_t errlen)
{
	struct mirror_mark_job	j = { borrower, volume, ranges, nranges };

	return store_write(s, 0, mirror_mark_dirty_job, &j, err, errlen);
}

static const struct volume_extent *
mirror_held(const struct volume_record *v)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		if (v->extents[i].backup_hold)
			return &v->extents[i];
	return NULL;
}

/* The leg's lender is up, has the region and knows the generation: a
 * stale ticket cannot write behind the resync. */
static int
mirror_leg_ready(struct store_txn *t, const struct volume_record *v,
    const struct volume_extent *e)
{
	struct server_record	sr;
	struct region_record	rr;
	int			rc;

	if ((rc = store_server_load(t, e->server, &sr)) != DSP_OK)
		return rc;
	if (!sr.up)
		return store_fail(t, DSP_E_UNAVAILABLE, "leg %s:%s of volume "
		    "%s cannot be resynced: server %s is down", e->server,
		    e->region, v->name, e->server);
	if ((rc = store_region_load(t, e->server, e->region, &rr)) != DSP_OK)
		return rc;
	if (!rr.available)
		return store_fail(t, DSP_E_UNAVAILABLE, "leg %s:%s of volume "
		    "%s cannot be resynced: the region is unavailable: %s",
		    e->server, e->region, v->name, rr.reason);
	if (e->acked_generation < v->generation)
		return store_fail(t, DSP_E_FENCED, "leg %s:%s of volume %s "
		    "waits for server %s to acknowledge generation %llu",
		    e->server, e->region, v->name, e->server,
		    (unsigned long long)v->generation);
	return DSP_OK;
}

static int
mirror_resync_begin(struct store_txn *t, const char *borrower,
    const char *volume, uint16_t leg, struct msg_resync_plan *plan,
    uint8_t **bits)
{
	struct volume_record		 v;
	struct volume_extent		*e = NULL;
	const struct volume_extent	*held;
	uint64_t			 chunks, total;
	int				 rc;

	if ((rc = mirror_load(t, borrower, volume, &v)) != DSP_OK ||
	    (rc = mirror_leg(t, &v, leg, &e)) != DSP_OK)
		return rc;
	if (e->leg_state == DSP_LEG_IN_SYNC)
		return store_fail(t, DSP_E_STATE, "leg %s:%s of volume %s is "
		    "in sync; there is nothing to resync", e->server,
		    e->region, volume);
	/* Copying into a held leg would change the image under the copy;
	 * copying from it (the borrower reads it as in sync) could copy
	 * what it missed. Resyncs wait for the copy. */
	if ((held = mirror_held(&v)) != NULL)
		return store_fail(t, DSP_E_BUSY, "leg %s:%s of volume %s is "
		    "held for a backup copy; %s resynced once the copy ends",
		    held->server, held->region, volume, held == e ? "it is" :
		    "other legs are");
	if ((rc = mirror_leg_ready(t, &v, e)) != DSP_OK)
		return rc;
	chunks = mirror_chunks(&v);
	total = chunks;
	if (!e->full_resync) {
		if ((rc = store_bitmap_load(t, volume, chunks, bits)) != DSP_OK)
			return rc;
		total = bitmap_count(*bits, chunks);
	}
	e->leg_state = DSP_LEG_RESYNCING;
	e->resync_done = 0;
	e->resync_total = total;
	if ((rc = store_volume_save(t, &v)) != DSP_OK ||
	    (rc = store_audit_add(t, borrower, "resync-begin", volume, "leg "
	    "%s:%s, %llu of %llu chunks%s", e->server, e->region,
	    (unsigned long long)total, (unsigned long long)chunks,
	    e->full_resync ? " (full)" : "")) != DSP_OK)
		return rc;
	memset(plan, 0, sizeof(*plan));
	store_copy(plan->volume, sizeof(plan->volume), volume);
	plan->leg = leg;
	plan->full = e->full_resync;
	plan->chunk_size = v.chunk_size;
	plan->chunk_count = chunks;
	plan->bitmap = *bits;
	plan->bitmap_len = *bits != NULL ? (size_t)BITMAP_BYTES(chunks) : 0;
	return DSP_OK;
}

int
store_resync_begin(struct store *s, const char *borrower, const char *volume,
    uint16_t leg, uint64_t now, struct msg_resync_plan *plan, uint8_t **bits,
    char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	*bits = NULL;
	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	rc = mirror_resync_begin(&t, borrower, volume, leg, plan, bits);
	if ((rc = store_end(&t, rc)) != DSP_OK) {
		free(*bits);
		*bits = NULL;
	}
	return rc;
}

static int
mirror_resyncing_leg(struct store_txn *t, const char *borrower,
    const char *volume, uint16_t leg, struct volume_record *v,
    struct volume_extent **e)
{
	int	rc;

	if ((rc = mirror_load(t, borrower, volume, v)) != DSP_OK ||
	    (rc = mirror_leg(t, v, leg, e)) != DSP_OK)
		return rc;
	if ((*e)->leg_state != DSP_LEG_RESYNCING)
		return store_fail(t, DSP_E_STATE, "leg %s:%s of volume %s is "
		    "not resyncing (it is %s)", (*e)->server, (*e)->region,
		    volume, dsp_leg_state_name((*e)->leg_state));
	return DSP_OK;
}

/* Frequent: saved without an audit row. */
static int
mirror_resync_progress(struct store_txn *t, const char *borrower,
    const char *volume, uint16_t leg, uint64_t done, uint64_t total)
{
	struct volume_record	 v;
	struct volume_extent	*e = NULL;
	int			 rc;

	rc = mirror_resyncing_leg(t, borrower, volume, leg, &v, &e);
	if (rc != DSP_OK)
		return rc;
	if (done > total)
		return store_fail(t, DSP_E_INVALID, "resync progress %llu of "
		    "%llu chunks is past the end", (unsigned long long)done,
		    (unsigned long long)total);
	if (e->resync_done == done && e->resync_total == total)
		return DSP_OK;
	e->resync_done = done;
	e->resync_total = total;
	return store_volume_save(t, &v);
}

int
store_resync_progress(struct store *s, const char *borrower,
    const char *volume, uint16_t leg, uint64_t done, uint64_t total,
    char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, 0, err, errlen)) != DSP_OK)
		return rc;
	rc = mirror_resync_progress(&t, borrower, volume, leg, done, total);
	return store_end(&t, rc);
}

static int
mirror_resync_done(struct store_txn *t, const char *borrower,
    const char *volume, uint16_t leg, uint64_t copied,
    struct msg_mirror_status *out)
{
	struct volume_record	 v;
	struct volume_extent	*e = NULL;
	int			 rc;

	rc = mirror_resyncing_leg(t, borrower, volume, leg, &v, &e);
	if (rc != DSP_OK)
		return rc;
	e->leg_state = DSP_LEG_IN_SYNC;
	e->full_resync = 0;
	e->resync_done = e->resync_total = 0;
	e->last_copied = copied;
	e->leg_reason[0] = '\0';
	/* The bits are kept while another leg may still need them. */
	if (mirror_count_state(&v, DSP_LEG_IN_SYNC) == v.extent_count) {
		if ((rc = store_bitmap_remove(t, volume)) != DSP_OK)
			return rc;
		v.dirty_chunks = 0;
	}
	if ((rc = store_volume_save(t, &v)) != DSP_OK ||
	    (rc = store_audit_add(t, borrower, "resync-done", volume, "leg "
	    "%s:%s in sync, %llu chunks copied", e->server, e->region,
	    (unsigned long long)copied)) != DSP_OK)
		return rc;
	mirror_fill_status(t, &v, 1, out);
	return DSP_OK;
}

int
store_resync_done(struct store *s, const char *borrower, const char *volume,
    uint16_t leg, uint64_t copied, uint64_t now,
    struct msg_mirror_status *out, char *err, size_t errlen)
{
	struct store_txn		t;
	struct msg_mirror_status	st;
	int				rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	rc = mirror_resync_done(&t, borrower, volume, leg, copied, &st);
	if ((rc = store_end(&t, rc)) == DSP_OK && out != NULL)
		*out = st;
	return rc;
}

int
store_get_bitmap(struct store *s, const char *volume, uint8_t **bits,
    size_t *len)
{
	struct store_txn	t;
	struct volume_record	v;
	uint64_t		chunks = 0;
	int			rc;

	*bits = NULL;
	*len = 0;
	if ((rc = store_begin(s, &t, 0, 0, NULL, 0)) != DSP_OK)
		return rc;
	if ((rc = store_volume_load(&t, volume, &v)) == DSP_OK &&
	    (v.form != DSP_FORM_MIRROR || v.chunk_size == 0))
		rc = DSP_E_INVALID;
	if (rc == DSP_OK) {
		chunks = mirror_chunks(&v);
		rc = store_bitmap_load(&t, volume, chunks, bits);
	}
	if (rc == DSP_OK && bitmap_next(*bits, chunks, 0) == chunks) {
		free(*bits);
		*bits = NULL;
	} else if (rc == DSP_OK)
		*len = (size_t)BITMAP_BYTES(chunks);
	return store_end(&t, rc);
}

/*
 * A mirror is failed when no in-sync leg can be reached, resyncing
 * while a leg is being copied, degraded while a copy is missing (out of
 * sync, or in sync on a server that is down). The other forms need
 * every extent.
 */
int
volume_health(const struct volume_record *v, const uint8_t *up)
{
	const struct volume_extent	*e;
	uint16_t			 i;
	int				 readable = 0, resyncing = 0;
	int				 missing = 0;

	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (v->form != DSP_FORM_MIRROR) {
			if (!up[i])
				return DSP_HEALTH_FAILED;
			continue;
		}
		if (e->leg_state == DSP_LEG_IN_SYNC && up[i])
			readable = 1;
		else if (e->leg_state == DSP_LEG_RESYNCING)
			resyncing = 1;
		else
			missing = 1;
	}
	if (v->form != DSP_FORM_MIRROR)
		return DSP_HEALTH_OK;
	if (!readable)
		return DSP_HEALTH_FAILED;
	if (resyncing)
		return DSP_HEALTH_RESYNCING;
	return missing ? DSP_HEALTH_DEGRADED : DSP_HEALTH_OK;
}
