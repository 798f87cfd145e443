/*
 * Mirror I/O on the borrower. Writes (and INIT, ERASE, FLUSH) go to
 * every leg that is in sync or being resynced, in parallel, and are
 * acknowledged once all of them have answered; a read goes to one
 * in-sync leg, the next one each time.
 *
 * A leg that fails (agent gone, I/O error, no reply in time) is reported
 * to the manager, which marks it out of sync, before the write is
 * acknowledged: the manager then knows the leg misses it. While a leg is
 * not in sync, every write first marks its chunks in the manager's
 * write-intent bitmap, which says what a resync must copy. The manager
 * refuses to mark the last in-sync leg: that leg holds the newest data,
 * and the I/O fails instead.
 *
 * A write cut short by an unmount or a close may have reached some legs
 * and not others, or different requests of it on each: every leg but one
 * in-sync leg is then reported out of sync over the write's range, so
 * that a resync makes them agree again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "log.h"
#include "mirror.h"
#include "mirror_mgr.h"
#include "timeutil.h"

/* What a write does on each leg, from the leg states at its start. */
enum { TARGET_NONE, TARGET_RESYNCING, TARGET_IN_SYNC };

struct leg_run {
	struct daspool_volume	*v;
	uint16_t		 leg;
	uint8_t			 opcode;
	uint8_t			*rbuf;
	const uint8_t		*wbuf;
	uint64_t		 offset;	/* volume offset */
	uint64_t		 length;
	int			 quiet;
	int			 rc;
	char			 err[DASPOOL_ERRLEN];
	pthread_t		 thread;
	int			 threaded;
};

static void	*leg_run_main(void *);
static void	 leg_run(struct leg_run *);
static int	 mirror_read(struct daspool_volume *, uint8_t *, uint64_t,
		    uint64_t);
static int	 mirror_modify(struct daspool_volume *, uint8_t,
		    const uint8_t *, uint64_t, uint64_t);

int
mirror_stale_leg(const struct mirror *m)
{
	uint16_t	i;

	for (i = 0; i < m->legs; i++)
		if (m->state[i] != DSP_LEG_IN_SYNC)
			return i;
	return -1;
}

/* Failures that are the leg's, not the volume's: a refused ticket or a
 * bad range would be refused by every leg alike. */
int
mirror_leg_broken(int rc)
{
	return rc == DASPOOL_ERR_CONNECT || rc == DASPOOL_ERR_PROTOCOL ||
	    rc == DSP_E_IO || rc == DSP_E_NOSPACE || rc == DSP_E_UNAVAILABLE;
}

const char *
mirror_leg_name(const struct daspool_volume *v, uint16_t leg, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s:%s", v->extents[leg].server,
	    v->extents[leg].region);
	return buf;
}

int
mirror_open(struct daspool_volume *v)
{
	struct msg_mirror_status	 st;
	struct mirror			*m;
	char				 err[DASPOOL_ERRLEN];
	uint16_t			 i;
	int				 rc;

	if ((rc = mirror_mgr_status(v, &st, err, sizeof(err))) != 0) {
		volume_seterr(v, "cannot read the leg states of mirror %s: %s",
		    v->name, err);
		return rc;
	}
	if (st.leg_count != v->extent_count || v->path_count != v->extent_count ||
	    st.chunk_size == 0) {
		volume_seterr(v, "the manager describes mirror %s with %u legs "
		    "and chunks of %u bytes; its mount info has %u legs on %u "
		    "servers", v->name, st.leg_count, st.chunk_size,
		    v->extent_count, v->path_count);
		return DASPOOL_ERR_PROTOCOL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto nomem;
	pthread_mutex_init(&m->lock, NULL);
	timeutil_cond_init(&m->cond);
	v->mirror = m;
	m->legs = st.leg_count;
	m->chunk_size = st.chunk_size;
	m->chunks = bitmap_chunk_count(v->map.size, m->chunk_size);
	if ((m->marked = calloc(1, BITMAP_BYTES(m->chunks) + 1)) == NULL)
		goto nomem;
	/* A resync this handle did not start is started again. */
	for (i = 0; i < m->legs; i++)
		m->state[i] = st.legs[i].state == DSP_LEG_IN_SYNC ?
		    DSP_LEG_IN_SYNC : DSP_LEG_OUT_OF_SYNC;
	/* A split-leg copy reads the leg held for it, and only that one:
	 * out of sync for the manager, it is the image the copy wants. */
	if (v->backup && v->held_leg > 0 && v->held_leg <= m->legs)
		for (i = 0; i < m->legs; i++)
			m->state[i] = i == v->held_leg - 1 ?
			    DSP_LEG_IN_SYNC : DSP_LEG_OUT_OF_SYNC;
	/* A backup only reads: no resync, which would write. */
	if (v->backup)
		return 0;
	/* All made now: another thread may interrupt them any time. */
	for (i = 0; i < m->legs; i++)
		if ((m->rs_paths[i] = volume_path_new(v, i,
		    MIRROR_LEG_RETRY_MS / 4, 0)) == NULL)
			goto nomem;
	if (pthread_create(&m->thread, NULL, resync_main, v) != 0) {
		volume_seterr(v, "cannot start the resync thread of %s",
		    v->name);
		return DASPOOL_ERR_SYSTEM;
	}
	m->started = 1;
	return 0;
nomem:
	volume_seterr(v, "out of memory");
	return DASPOOL_ERR_SYSTEM;
}

void
mirror_interrupt(struct daspool_volume *v, int code, const char *why)
{
	struct mirror	*m = v->mirror;
	uint16_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->legs; i++)
		if (m->rs_paths[i] != NULL)
			datapath_interrupt(m->rs_paths[i], code, why);
}

/* The first caller joins the thread; the others wait until it has. */
void
mirror_stop(struct daspool_volume *v)
{
	struct mirror	*m = v->mirror;
	int		 join;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = 1;
	pthread_cond_broadcast(&m->cond);
	if ((join = m->started && !m->joining))
		m->joining = 1;
	pthread_mutex_unlock(&m->lock);
	if (join) {
		pthread_join(m->thread, NULL);
		pthread_mutex_lock(&m->lock);
		m->started = 0;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	pthread_mutex_lock(&m->lock);
	while (m->started)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

int
mirror_stopping(struct mirror *m)
{
	int	stop;

	pthread_mutex_lock(&m->lock);
	stop = m->stop;
	pthread_mutex_unlock(&m->lock);
	return stop;
}

void
mirror_disconnect(struct daspool_volume *v)
{
	struct mirror	*m = v->mirror;
	uint16_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->legs; i++)
		if (m->rs_paths[i] != NULL)
			datapath_disconnect(m->rs_paths[i]);
}

void
mirror_close(struct daspool_volume *v)
{
	struct mirror	*m = v->mirror;
	uint16_t	 i;

	if (m == NULL)
		return;
	mirror_stop(v);
	for (i = 0; i < DSP_MAX_EXTENTS; i++)
		datapath_free(m->rs_paths[i]);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m->marked);
	free(m);
	v->mirror = NULL;
}

/* A backup's read failed on a leg: another in-sync leg is tried, and
 * the manager is not told (the borrower's own I/O decides a leg's
 * state). 0, or E_STATE when no in-sync leg is left to read. */
static int
mirror_leg_skipped(struct daspool_volume *v, uint16_t leg, const char *name,
    const char *why, char *err, size_t errlen)
{
	struct mirror	*m = v->mirror;
	uint16_t	 i, left = 0;

	pthread_mutex_lock(&m->lock);
	m->state[leg] = DSP_LEG_OUT_OF_SYNC;
	for (i = 0; i < m->legs; i++)
		left += m->state[i] == DSP_LEG_IN_SYNC;
	pthread_mutex_unlock(&m->lock);
	if (left == 0) {
		snprintf(err, errlen, "volume %s has no in-sync leg left to "
		    "read: leg %s failed (%s)", v->name, name, why);
		return DSP_E_STATE;
	}
	log_warnx("leg %s of volume %s cannot be read (%s); reading another",
	    name, v->name, why);
	return 0;
}

int
mirror_leg_lost(struct daspool_volume *v, uint16_t leg, const char *why,
    uint64_t offset, uint64_t length, char *err, size_t errlen)
{
	struct mirror			*m = v->mirror;
	struct msg_mirror_status	 st;
	char				 name[2 * DSP_NAME_MAX + 2];
	char				 mgr_err[DASPOOL_ERRLEN];
	uint64_t			 first, last;
	int				 rc;

	mirror_leg_name(v, leg, name, sizeof(name));
	if (v->backup)
		return mirror_leg_skipped(v, leg, name, why, err, errlen);
	rc = mirror_mgr_leg_fail(v, leg, why, offset, length, &st, mgr_err,
	    sizeof(mgr_err));
	if (rc == DSP_E_STATE) {
		snprintf(err, errlen, "volume %s has no working in-sync leg "
		    "left: leg %s failed (%s); %s", v->name, name, why,
		    mgr_err);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "leg %s of volume %s failed (%s) and the "
		    "manager could not record it: %s", name, v->name, why,
		    mgr_err);
		return rc;
	}
	pthread_mutex_lock(&m->lock);
	m->state[leg] = DSP_LEG_OUT_OF_SYNC;
	if (bitmap_chunks(offset, length, m->chunk_size, m->chunks, &first,
	    &last) == 0)
		bitmap_set_range(m->marked, first, last);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	log_warnx("leg %s of volume %s is out of sync (%s)%s", name, v->name,
	    why, handle_is_cut(v) ? "" : "; the volume goes on degraded");
	return 0;
}

static void
leg_run(struct leg_run *r)
{
	struct daspool_volume	*v = r->v;
	struct volume_job	 j;
	struct dp_job		 job;
	uint64_t		 len = r->length;

	if (r->opcode == DSP_OP_FLUSH)
		len = v->extents[r->leg].length < DSP_MAX_IO ?
		    v->extents[r->leg].length : DSP_MAX_IO;
	volume_job_init(&j, &job, v, r->opcode, r->leg,
	    v->extents[r->leg].offset + r->offset, len);
	j.rbuf = r->rbuf;
	j.wbuf = r->wbuf;
	j.quiet = r->quiet;
	r->rc = volume_run(v, volume_path(v, r->leg), &job, r->err,
	    sizeof(r->err));
}

static void *
leg_run_main(void *arg)
{
	leg_run(arg);
	return NULL;
}

int
mirror_read_leg(struct daspool_volume *v, uint16_t *leg)
{
	struct mirror	*m = v->mirror;
	uint16_t	 i, l;
	int		 found = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->legs && !found; i++) {
		l = (uint16_t)((m->next_read + i) % m->legs);
		if (m->state[l] == DSP_LEG_IN_SYNC) {
			*leg = l;
			found = 1;
		}
	}
	if (found)
		m->next_read = *leg + 1U;
	pthread_mutex_unlock(&m->lock);
	if (!found) {
		volume_seterr(v, "volume %s has no in-sync leg to read from",
		    v->name);
		return DASPOOL_ERR_CONNECT;
	}
	return 0;
}

int
mirror_read_failed(struct daspool_volume *v, uint16_t leg, int rc)
{
	char	why[DASPOOL_ERRLEN];

	if (!mirror_leg_broken(rc))
		return rc;
	snprintf(why, sizeof(why), "%s", v->err);
	return mirror_leg_lost(v, leg, why, 0, 0, v->err, sizeof(v->err));
}

int
mirror_on_leg(struct daspool_volume *v, const struct extent_piece *p,
    int (*fn)(void *, uint16_t, uint64_t), void *arg)
{
	uint16_t	leg;
	int		rc;

	for (;;) {
		if ((rc = mirror_read_leg(v, &leg)) != 0)
			return rc;
		if ((rc = fn(arg, leg, v->extents[leg].offset + (p->roffset -
		    v->extents[p->extent].offset))) == 0 ||
		    (rc = mirror_read_failed(v, leg, rc)) != 0)
			return rc;
	}
}

static int
mirror_read(struct daspool_volume *v, uint8_t *rbuf, uint64_t length,
    uint64_t offset)
{
	struct leg_run	r;
	int		rc;

	for (;;) {
		if ((rc = mirror_read_leg(v, &r.leg)) != 0)
			return rc;
		r.v = v;
		r.opcode = DSP_OP_READ;
		r.rbuf = rbuf;
		r.wbuf = NULL;
		r.offset = offset;
		r.length = length;
		r.quiet = 0;
		leg_run(&r);
		if (r.rc == 0)
			return 0;
		volume_seterr(v, "%s", r.err);
		if ((rc = mirror_read_failed(v, r.leg, r.rc)) != 0)
			return rc;
		volume_progress_start(v, length);
	}
}

/* Waits for the chunks, then marks them at the manager if a leg is not
 * in sync. Fills the legs to write. */
static int
mirror_begin_write(struct daspool_volume *v, int ranged, uint64_t first,
    uint64_t last, uint8_t *targets)
{
	struct mirror	*m = v->mirror;
	char		 err[DASPOOL_ERRLEN];
	uint64_t	 c, mark_off, mark_end;
	uint16_t	 i, in_sync = 0;
	int		 need_mark = 0, rc;

	pthread_mutex_lock(&m->lock);
	while (m->rs_exclusive || (ranged && m->rs_busy &&
	    m->rs_first <= last && first <= m->rs_last))
		pthread_cond_wait(&m->cond, &m->lock);
	m->fg_busy = 1;
	m->fg_first = first;
	m->fg_last = last;
	for (i = 0; i < m->legs; i++) {
		targets[i] = m->state[i] == DSP_LEG_IN_SYNC ? TARGET_IN_SYNC :
		    m->state[i] == DSP_LEG_RESYNCING ? TARGET_RESYNCING :
		    TARGET_NONE;
		in_sync += m->state[i] == DSP_LEG_IN_SYNC;
	}
	if (ranged && in_sync < m->legs)
		for (c = first; c <= last && !need_mark; c++)
			need_mark = !bitmap_test(m->marked, c);
	pthread_mutex_unlock(&m->lock);
	/* Resyncing legs alone do not hold the volume's data. */
	if (in_sync == 0) {
		volume_seterr(v, "volume %s has no in-sync leg to write to",
		    v->name);
		return DASPOOL_ERR_CONNECT;
	}
	if (!need_mark)
		return 0;
	mark_off = first * m->chunk_size;
	mark_end = (last + 1) * m->chunk_size;
	if (mark_end > v->map.size)
		mark_end = v->map.size;
	if ((rc = mirror_mgr_mark(v, mark_off, mark_end - mark_off, err,
	    sizeof(err))) != 0) {
		volume_seterr(v, "cannot record the write-intent marks of "
		    "degraded volume %s at the manager: %s", v->name, err);
		return rc;
	}
	pthread_mutex_lock(&m->lock);
	bitmap_set_range(m->marked, first, last);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static void
mirror_end_write(struct daspool_volume *v)
{
	struct mirror	*m = v->mirror;

	pthread_mutex_lock(&m->lock);
	m->fg_busy = 0;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* Runs the request stream on every target leg at once: the first in
 * this thread (it reports progress), the others in threads of their own
 * (in this thread too if one cannot be started). */
static void
mirror_run_legs(struct daspool_volume *v, struct leg_run *runs,
    const uint8_t *targets)
{
	uint16_t	i, own = v->mirror->legs;

	for (i = 0; i < v->mirror->legs; i++) {
		if (targets[i] == TARGET_NONE)
			continue;
		if (own == v->mirror->legs) {
			own = i;
			continue;
		}
		runs[i].quiet = 1;
		if (pthread_create(&runs[i].thread, NULL, leg_run_main,
		    &runs[i]) == 0)
			runs[i].threaded = 1;
		else
			leg_run(&runs[i]);
	}
	if (own < v->mirror->legs)
		leg_run(&runs[own]);
	for (i = 0; i < v->mirror->legs; i++)
		if (runs[i].threaded)
			pthread_join(runs[i].thread, NULL);
}

/*
 * The write was cut short (unmount, close): its legs may disagree on the
 * range. The first in-sync target is taken as the truth, the same leg
 * whichever handle asks; the others are reported out of sync over it.
 */
static void
mirror_settle_cut(struct daspool_volume *v, const uint8_t *targets,
    const char *why, uint64_t offset, uint64_t length)
{
	char		err[DASPOOL_ERRLEN], reason[DASPOOL_ERRLEN + 32];
	uint16_t	i, truth;

	for (truth = 0; truth < v->mirror->legs; truth++)
		if (targets[truth] == TARGET_IN_SYNC)
			break;
	snprintf(reason, sizeof(reason), "a write was cut short: %s", why);
	for (i = 0; i < v->mirror->legs; i++) {
		if (targets[i] == TARGET_NONE || i == truth)
			continue;
		if (mirror_leg_lost(v, i, reason, offset, length, err,
		    sizeof(err)) != 0)
			log_warnx("%s", err);
	}
}

/* Failed legs are reported; the first error that stops the I/O is
 * returned. */
static int
mirror_settle(struct daspool_volume *v, uint8_t opcode, struct leg_run *runs,
    const uint8_t *targets, uint64_t offset, uint64_t length)
{
	uint16_t	i;
	int		rc, result = 0;

	for (i = 0; i < v->mirror->legs; i++) {
		if (targets[i] == TARGET_NONE || runs[i].rc == 0)
			continue;
		if (runs[i].rc == DASPOOL_ERR_NOTMOUNTED ||
		    runs[i].rc == DASPOOL_ERR_CLOSED) {
			volume_seterr(v, "%s", runs[i].err);
			if (opcode != DSP_OP_FLUSH)
				mirror_settle_cut(v, targets, runs[i].err,
				    offset, length);
			return runs[i].rc;
		}
		if (!mirror_leg_broken(runs[i].rc)) {
			if (result == 0) {
				volume_seterr(v, "%s", runs[i].err);
				result = runs[i].rc;
			}
			continue;
		}
		rc = mirror_leg_lost(v, i, runs[i].err, offset, length,
		    v->err, sizeof(v->err));
		if (rc != 0 && result == 0)
			result = rc;
	}
	return result;
}

static int
mirror_modify(struct daspool_volume *v, uint8_t opcode, const uint8_t *wbuf,
    uint64_t length, uint64_t offset)
{
	struct mirror	*m = v->mirror;
	struct leg_run	 runs[DSP_MAX_EXTENTS];
	uint8_t		 targets[DSP_MAX_EXTENTS];
	uint64_t	 first = 0, last = 0;
	uint16_t	 i;
	int		 ranged, rc;

	ranged = opcode != DSP_OP_FLUSH && bitmap_chunks(offset, length,
	    m->chunk_size, m->chunks, &first, &last) == 0;
	if (opcode != DSP_OP_FLUSH && !ranged)
		return 0;	/* nothing to write */
	rc = mirror_begin_write(v, ranged, first, last, targets);
	if (rc == 0) {
		memset(runs, 0, sizeof(runs));
		for (i = 0; i < m->legs; i++) {
			runs[i].v = v;
			runs[i].leg = i;
			runs[i].opcode = opcode;
			runs[i].wbuf = wbuf;
			runs[i].offset = offset;
			runs[i].length = length;
		}
		mirror_run_legs(v, runs, targets);
		rc = mirror_settle(v, opcode, runs, targets, offset, length);
	}
	mirror_end_write(v);
	return rc;
}

int
mirror_io(struct daspool_volume *v, uint8_t opcode, uint8_t *rbuf,
    const uint8_t *wbuf, uint64_t length, uint64_t offset)
{
	if (opcode == DSP_OP_READ)
		return length == 0 ? 0 : mirror_read(v, rbuf, length, offset);
	return mirror_modify(v, opcode, wbuf, length, offset);
}
