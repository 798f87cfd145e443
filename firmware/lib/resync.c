/*
 * The resync thread of a mirror's volume handle. While a leg is out of
 * sync it asks the manager, every MIRROR_POLL_MS, whether the leg's
 * server is back; then it copies the chunks the write-intent bitmap
 * names (every chunk when the bitmap cannot be trusted) from an in-sync
 * leg, while the volume stays in use:
 *
 *   - the leg turns "resyncing" while no write is in flight, at the
 *     moment the manager hands out the bitmap: every later write goes to
 *     the leg too, every earlier one is in the bitmap;
 *   - a chunk is copied while no write touches it, so a copy never puts
 *     old bytes over a newer write;
 *   - the leg turns "in sync" again while no write is in flight.
 *
 * The thread has its own connections, so it never waits on the I/O
 * thread's. Progress goes to the manager at most twice a second. An
 * unmount or a close stops it (mirror_stop): its connections are
 * interrupted, a resync in progress hands the leg back out of sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitmap.h"
#include "log.h"
#include "mirror.h"
#include "mirror_mgr.h"
#include "timeutil.h"

#define RESYNC_REPORT_MS	500

struct resync {
	struct daspool_volume	*v;
	struct mirror		*m;
	uint16_t		 leg;
	uint16_t		 src;
	struct msg_resync_plan	 plan;
	uint8_t			*bits;		/* NULL: full */
	uint8_t			*buf;
	uint64_t		 total;
	uint64_t		 copied;
	int64_t			 reported_ms;
	char			 name[2 * DSP_NAME_MAX + 2];
	char			 err[DASPOOL_ERRLEN];
};

/* One request stream on the thread's own connection to a leg. */
static int
resync_run(struct resync *r, uint16_t leg, uint8_t opcode, uint64_t offset,
    uint64_t length)
{
	struct volume_job	j;
	struct dp_job		job;

	volume_job_init(&j, &job, r->v, opcode, leg,
	    r->v->extents[leg].offset + offset, length);
	j.quiet = 1;
	if (opcode == DSP_OP_READ)
		j.rbuf = r->buf;
	else if (opcode == DSP_OP_WRITE)
		j.wbuf = r->buf;
	return volume_run(r->v, r->m->rs_paths[leg], &job, r->err,
	    sizeof(r->err));
}

/* Holds off writes until those in flight are done. */
static void
resync_exclusive(struct mirror *m)
{
	pthread_mutex_lock(&m->lock);
	m->rs_exclusive = 1;
	while (m->fg_busy)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

static void
resync_set_state(struct mirror *m, uint16_t leg, int state, int exclusive)
{
	pthread_mutex_lock(&m->lock);
	if (state >= 0)
		m->state[leg] = (uint8_t)state;
	if (state == DSP_LEG_IN_SYNC && mirror_stale_leg(m) < 0)
		memset(m->marked, 0, BITMAP_BYTES(m->chunks));
	m->rs_exclusive = exclusive;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static int
resync_begin(struct resync *r)
{
	struct mirror	*m = r->m;
	int		 rc;

	resync_exclusive(m);
	rc = mirror_mgr_resync_begin(r->v, r->leg, &r->plan, &r->bits, r->err,
	    sizeof(r->err));
	resync_set_state(m, r->leg, rc == 0 ? DSP_LEG_RESYNCING : -1, 0);
	if (rc != 0)
		return rc;
	if (!r->plan.full && r->plan.chunk_count != m->chunks) {
		snprintf(r->err, sizeof(r->err), "the bitmap has %llu chunks, "
		    "the volume %llu", (unsigned long long)r->plan.chunk_count,
		    (unsigned long long)m->chunks);
		return DASPOOL_ERR_PROTOCOL;
	}
	r->total = r->plan.full ? m->chunks : bitmap_count(r->bits, m->chunks);
	log_info("resyncing leg %s of volume %s from leg %s:%s: %llu of %llu "
	    "chunks%s", r->name, r->v->name, r->v->extents[r->src].server,
	    r->v->extents[r->src].region, (unsigned long long)r->total,
	    (unsigned long long)m->chunks, r->plan.full ?
	    " (full: the bitmap cannot be trusted)" : "");
	return 0;
}

/* The next run of chunks to copy at or after *c; 0 when none is left. */
static uint64_t
resync_next_run(struct resync *r, uint64_t *c)
{
	uint64_t	n = 0, chunks = r->m->chunks;

	if (r->bits != NULL)
		*c = bitmap_next(r->bits, chunks, *c);
	while (*c + n < chunks && n < MIRROR_RUN_CHUNKS &&
	    (r->bits == NULL || bitmap_test(r->bits, *c + n)))
		n++;
	return n;
}

static int
resync_copy_run(struct resync *r, uint64_t c, uint64_t n)
{
	struct mirror	*m = r->m;
	uint64_t	 off = c * m->chunk_size;
	uint64_t	 end = (c + n) * m->chunk_size;
	int		 rc, stale;

	if (end > r->v->map.size)
		end = r->v->map.size;
	pthread_mutex_lock(&m->lock);
	while (m->fg_busy && m->fg_first < c + n && c <= m->fg_last)
		pthread_cond_wait(&m->cond, &m->lock);
	stale = m->state[r->leg] != DSP_LEG_RESYNCING ||
	    m->state[r->src] != DSP_LEG_IN_SYNC;
	m->rs_busy = 1;
	m->rs_first = c;
	m->rs_last = c + n - 1;
	pthread_mutex_unlock(&m->lock);
	if (stale) {
		snprintf(r->err, sizeof(r->err), "a leg failed meanwhile");
		rc = DASPOOL_ERR_CONNECT;
	} else if ((rc = resync_run(r, r->src, DSP_OP_READ, off,
	    end - off)) == 0 &&
	    (rc = resync_run(r, r->leg, DSP_OP_WRITE, off, end - off)) != 0 &&
	    mirror_leg_broken(rc))
		mirror_leg_lost(r->v, r->leg, r->err, 0, 0, r->err,
		    sizeof(r->err));
	pthread_mutex_lock(&m->lock);
	m->rs_busy = 0;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static void
resync_report(struct resync *r)
{
	char	err[DASPOOL_ERRLEN];
	int64_t	now = timeutil_now_ms();

	if (now - r->reported_ms < RESYNC_REPORT_MS)
		return;
	r->reported_ms = now;
	if (mirror_mgr_resync_report(r->v, DSP_OP_RESYNC_PROGRESS, r->leg,
	    r->copied, r->total, NULL, err, sizeof(err)) != 0)
		log_debug("resync progress of %s not recorded: %s", r->name,
		    err);
}

static int
resync_copy(struct resync *r)
{
	uint64_t	c = 0, n;
	int		rc;

	if ((r->buf = malloc((size_t)MIRROR_RUN_CHUNKS *
	    r->m->chunk_size)) == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	while ((n = resync_next_run(r, &c)) > 0) {
		if (mirror_stopping(r->m)) {
			snprintf(r->err, sizeof(r->err), "the handle was "
			    "closed or its volume unmounted");
			return DASPOOL_ERR_SYSTEM;
		}
		if ((rc = resync_copy_run(r, c, n)) != 0)
			return rc;
		r->copied += n;
		c += n;
		resync_report(r);
	}
	return 0;
}

static int
resync_done(struct resync *r)
{
	struct msg_mirror_status	st;
	int				rc;

	resync_exclusive(r->m);
	rc = mirror_mgr_resync_report(r->v, DSP_OP_RESYNC_DONE, r->leg,
	    r->copied, r->total, &st, r->err, sizeof(r->err));
	/* Counted before the leg shows in sync: a waiter reads it then. */
	if (rc == 0) {
		pthread_mutex_lock(&r->m->lock);
		r->m->copied += r->copied;
		pthread_mutex_unlock(&r->m->lock);
	}
	resync_set_state(r->m, r->leg, rc == 0 ? DSP_LEG_IN_SYNC : -1, 0);
	if (rc == 0) {
		log_info("leg %s of volume %s is in sync: %llu chunks copied",
		    r->name, r->v->name, (unsigned long long)r->copied);
	}
	return rc;
}

/* An in-sync leg whose server is up, to copy from. */
static int
resync_source(struct mirror *m, const struct msg_mirror_status *st,
    uint16_t *src)
{
	uint16_t	i;
	int		found = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->legs && !found; i++)
		if (m->state[i] == DSP_LEG_IN_SYNC && st->legs[i].server_up) {
			*src = i;
			found = 1;
		}
	pthread_mutex_unlock(&m->lock);
	return found;
}

static void
resync_leg(struct daspool_volume *v, uint16_t leg,
    const struct msg_mirror_status *st)
{
	struct resync	r;
	char		why[DASPOOL_ERRLEN];
	int		rc, was_resyncing;

	memset(&r, 0, sizeof(r));
	r.v = v;
	r.m = v->mirror;
	r.leg = leg;
	mirror_leg_name(v, leg, r.name, sizeof(r.name));
	if (!resync_source(r.m, st, &r.src))
		return;
	/* Only a leg whose agent answers is worth a resync. */
	if (resync_run(&r, leg, DSP_OP_FLUSH, 0, v->extents[leg].length <
	    DSP_MAX_IO ? v->extents[leg].length : DSP_MAX_IO) != 0) {
		log_debug("leg %s of volume %s not back yet: %s", r.name,
		    v->name, r.err);
		return;
	}
	if ((rc = resync_begin(&r)) == 0 && (rc = resync_copy(&r)) == 0)
		rc = resync_done(&r);
	/* Not yet (a fence, a backup copy holding the leg): asked again at
	 * the next poll, quietly. */
	if (rc == DSP_E_FENCED || rc == DSP_E_BUSY)
		log_debug("leg %s of volume %s cannot be resynced yet: %s",
		    r.name, v->name, r.err);
	else if (rc != 0)
		log_warnx("resync of leg %s of volume %s stopped after %llu "
		    "chunks: %s", r.name, v->name,
		    (unsigned long long)r.copied, r.err);
	if (rc != 0) {
		/* The leg is no longer written, and the manager is told so
		 * (a closed handle leaves no resync behind it); the next
		 * pass starts again. */
		pthread_mutex_lock(&r.m->lock);
		was_resyncing = r.m->state[leg] == DSP_LEG_RESYNCING;
		pthread_mutex_unlock(&r.m->lock);
		if (was_resyncing) {
			resync_exclusive(r.m);
			(void)mirror_leg_lost(v, leg, r.err, 0, 0, why,
			    sizeof(why));
			resync_set_state(r.m, leg, DSP_LEG_OUT_OF_SYNC, 0);
		}
		pthread_mutex_lock(&r.m->lock);
		snprintf(r.m->last_error, sizeof(r.m->last_error), "%s",
		    r.err);
		pthread_mutex_unlock(&r.m->lock);
	}
	free(r.bits);
	free(r.buf);
}

static void
resync_pass(struct daspool_volume *v)
{
	struct mirror			*m = v->mirror;
	struct msg_mirror_status	 st;
	char				 err[DASPOOL_ERRLEN];
	uint16_t			 i;
	int				 stale;

	if (mirror_mgr_status(v, &st, err, sizeof(err)) != 0) {
		log_debug("mirror %s: no leg states: %s", v->name, err);
		return;
	}
	for (i = 0; i < m->legs && i < st.leg_count && !mirror_stopping(m);
	    i++) {
		pthread_mutex_lock(&m->lock);
		stale = m->state[i] == DSP_LEG_OUT_OF_SYNC;
		pthread_mutex_unlock(&m->lock);
		if (stale && st.legs[i].server_up)
			resync_leg(v, i, &st);
	}
}

/* m->lock held; the wait runs on CLOCK_MONOTONIC. */
static void
resync_wait(struct mirror *m, int ms)
{
	struct timespec	ts;

	timeutil_deadline(&ts, CLOCK_MONOTONIC, ms);
	(void)pthread_cond_timedwait(&m->cond, &m->lock, &ts);
}

void *
resync_main(void *arg)
{
	struct daspool_volume	*v = arg;
	struct mirror		*m = v->mirror;
	int			 work;

	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		work = mirror_stale_leg(m) >= 0 || m->kick;
		m->kick = 0;
		if (!work) {
			pthread_cond_wait(&m->cond, &m->lock);
			continue;
		}
		pthread_mutex_unlock(&m->lock);
		resync_pass(v);
		pthread_mutex_lock(&m->lock);
		if (!m->stop && mirror_stale_leg(m) >= 0 && !m->kick)
			resync_wait(m, MIRROR_POLL_MS);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/* Waits for every leg in sync, or the deadline, or a cut (handle lock
 * not held: an unmount or a close stops the resync thread and wakes us). */
static int
resync_wait_sync(struct daspool_volume *v, int timeout_s, uint64_t *copied)
{
	struct mirror	*m = v->mirror;
	char		 name[2 * DSP_NAME_MAX + 2], last[DASPOOL_ERRLEN];
	int64_t		 deadline = timeutil_now_ms() + (int64_t)timeout_s * 1000;
	int		 leg, stopped, cut;
	uint8_t		 state = 0;

	pthread_mutex_lock(&m->lock);
	m->kick = 1;
	pthread_cond_broadcast(&m->cond);
	while ((leg = mirror_stale_leg(m)) >= 0 && !m->stop &&
	    timeutil_now_ms() < deadline)
		resync_wait(m, 200);
	if (copied != NULL)
		*copied = m->copied;
	stopped = m->stop;
	if (leg >= 0)
		state = m->state[leg];
	snprintf(last, sizeof(last), "%s", m->last_error);
	pthread_mutex_unlock(&m->lock);
	if (leg < 0)
		return 0;
	if (stopped && (cut = handle_check(v)) != 0)
		return cut;
	volume_seterr(v, "leg %s of volume %s is still %s after %d s%s%s",
	    mirror_leg_name(v, (uint16_t)leg, name, sizeof(name)), v->name,
	    dsp_leg_state_name(state), timeout_s, last[0] ? ": " : "", last);
	return DASPOOL_ERR_CONNECT;
}

int
daspool_volume_resync(struct daspool_volume *v, int timeout_s,
    uint64_t *copied)
{
	int	rc;

	if (copied != NULL)
		*copied = 0;
	if ((rc = handle_enter(v)) != 0)
		return rc;
	if (v->mirror != NULL)
		rc = resync_wait_sync(v, timeout_s, copied);
	handle_leave(v);
	return rc;
}
