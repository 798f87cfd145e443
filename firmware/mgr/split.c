/*
 * Split-leg copies, for the backup role (docs/BACKUP.md): SPLIT_LEG
 * takes an in-sync leg of a mirror out of the write set and holds it
 * still at its agent before it answers; SPLIT_END gives it back. The
 * promise to the backup: every write acknowledged to the borrower
 * before SPLIT_LEG's reply is on the held leg, and every later one is
 * refused there and so recorded in the bitmap.
 *
 * A hold lasts as long as the backup's ticket: BACKUP_OPEN renews it,
 * and the manager's timer lifts one that ran out (the agent's own lease
 * ends then too), so a backup that died holds nothing for long.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "mgr.h"
#include "msg_mirror.h"
#include "store.h"

/* The hold's lease: the backup ticket's lifetime, renewed with it. */
static uint32_t
split_lease(const struct mgr *m)
{
	int	lease = m->conf->ticket_lifetime;

	return lease > DSP_HOLD_LEASE_MAX ? DSP_HOLD_LEASE_MAX :
	    (uint32_t)lease;
}

/*
 * The volumes that may have a held leg, for the timer's sweep: it
 * reads these records alone, never the whole table (but once at start,
 * for holds from before a restart). A volume leaves the list when the
 * sweep finds no hold on it, unless it was added again meanwhile (a
 * split that committed after the sweep read the record).
 */
struct split_watched {
	dsp_name	volume;
	uint64_t	added;		/* the list's serial when added */
};

struct split_watch {
	pthread_mutex_t		 lock;
	struct split_watched	*volumes;
	size_t			 count, cap;
	uint64_t		 serial;
};

struct split_watch *
split_watch_new(void)
{
	struct split_watch	*w;

	if ((w = calloc(1, sizeof(*w))) != NULL)
		pthread_mutex_init(&w->lock, NULL);
	return w;
}

void
split_watch_free(struct split_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w->volumes);
	free(w);
}

/* 0, or -1 out of memory (the sweep then reads the whole table). */
static int
split_watch_add(struct split_watch *w, const char *volume)
{
	struct split_watched	*grown;
	size_t			 i;
	int			 rc = 0;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->count; i++)
		if (strcmp(w->volumes[i].volume, volume) == 0)
			break;
	if (i == w->count && w->count == w->cap) {
		if ((grown = reallocarray(w->volumes, w->cap ? w->cap * 2 : 8,
		    sizeof(*grown))) == NULL)
			rc = -1;
		else {
			w->volumes = grown;
			w->cap = w->cap ? w->cap * 2 : 8;
		}
	}
	if (i == w->count && rc == 0)
		snprintf(w->volumes[w->count++].volume, sizeof(dsp_name),
		    "%s", volume);
	if (rc == 0)
		w->volumes[i].added = ++w->serial;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

static void
split_watch_drop(struct split_watch *w, const struct split_watched *seen)
{
	size_t	i;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->count; i++)
		if (strcmp(w->volumes[i].volume, seen->volume) == 0) {
			if (w->volumes[i].added == seen->added)
				w->volumes[i] = w->volumes[--w->count];
			break;
		}
	pthread_mutex_unlock(&w->lock);
}

/* A copy of the list, for the sweep to read without the lock; NULL
 * out of memory. */
static struct split_watched *
split_watch_copy(struct split_watch *w, size_t *count)
{
	struct split_watched	*copy;

	pthread_mutex_lock(&w->lock);
	*count = w->count;
	copy = calloc(w->count ? w->count : 1, sizeof(*copy));
	if (copy != NULL && w->count > 0)
		memcpy(copy, w->volumes, w->count * sizeof(*copy));
	pthread_mutex_unlock(&w->lock);
	return copy;
}

static void
split_watch(struct mgr *m, const char *volume)
{
	if (split_watch_add(m->split_watch, volume) != 0)
		__atomic_store_n(&m->split_rescan, 1, __ATOMIC_RELEASE);
}

/*
 * The agent did not take the hold in time (a long INIT or ERASE it
 * waits out, say): the leg is given back at once, and the agent told
 * to let go, lest it keep refusing the leg's resync until its lease
 * ends. The leg is put back as SPLIT_END would.
 */
static int
split_undo(struct conn *c, const char *volume, uint16_t leg,
    const struct volume_extent *e, int rc, const char *why, char *err,
    size_t errlen)
{
	char	undo[256];
	int	resync;

	(void)push_hold(c->mgr->push, e->server, volume, DSP_HOLD_LIFT, 0,
	    undo, sizeof(undo));
	if (store_split_end(c->mgr->store, c->peer, volume, leg,
	    (uint64_t)time(NULL), &resync, undo, sizeof(undo)) != DSP_OK)
		log_warnx("volume %s: leg %s:%s stays held until its hold "
		    "runs out: %s", volume, e->server, e->region, undo);
	snprintf(err, errlen, "leg %s:%s of volume %s cannot be held for a "
	    "backup copy: server %s did not take the hold: %s", e->server,
	    e->region, volume, e->server, why);
	return rc == DSP_OK ? DSP_E_UNAVAILABLE : rc;
}

int
split_handle_leg(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_volume_ref	ref;
	struct msg_leg_ref	out;
	struct volume_extent	e;
	uint64_t		now = (uint64_t)time(NULL);
	uint32_t		lease = split_lease(c->mgr);
	uint16_t		leg = 0;
	char			why[512];
	int			rc;

	rc = msg_decode_volume_ref(payload, hdr->payload_length, &ref);
	if (rc == DSP_E_FRAME)
		snprintf(err, errlen, "malformed split-leg payload");
	else if (rc != DSP_OK)
		snprintf(err, errlen, "bad split-leg request: a bad volume "
		    "name");
	if (rc != DSP_OK)
		return rc;
	if ((rc = store_split_leg(c->mgr->store, c->peer, ref.volume, now,
	    now + lease, &leg, &e, err, errlen)) != DSP_OK)
		return rc;
	split_watch(c->mgr, ref.volume);
	/* Before the reply: from it on, the leg takes no write. */
	if ((rc = push_hold(c->mgr->push, e.server, ref.volume, DSP_HOLD_SET,
	    lease, why, sizeof(why))) != DSP_OK)
		return split_undo(c, ref.volume, leg, &e, rc, why, err,
		    errlen);
	log_info("volume %s: leg %s:%s held for a backup copy by %s, for "
	    "up to %u s unless renewed", ref.volume, e.server, e.region,
	    c->peer, lease);
	memset(&out, 0, sizeof(out));
	snprintf(out.volume, sizeof(out.volume), "%s", ref.volume);
	out.leg = leg;
	msg_encode_leg_ref(reply, &out);
	return DSP_OK;
}

/* The lenders' records learn the leg states in the background. */
static void
split_push_record(struct mgr *m, const char *volume)
{
	struct volume_record	v;

	if (store_get_volume(m->store, volume, &v) == DSP_OK)
		(void)push_volume(m->push, &v, 0);
}

/*
 * The agent lets go first, so that the borrower's resync, which may
 * start as soon as the store says the leg is no longer held, is not
 * refused there. The agent also says whether it held the leg all
 * along: if not (it restarted, its lease ran out, it cannot be asked)
 * the borrower may have written the leg under the copy. The leg is
 * given back either way; the backup is then told its copy may not be
 * a point-in-time image.
 */
int
split_handle_end(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_leg_ref	ref;
	struct volume_record	v;
	char			why[512];
	int			rc, resync = 0, held = DSP_OK;

	(void)reply;
	rc = msg_decode_leg_ref(payload, hdr->payload_length, &ref);
	if (rc == DSP_E_FRAME)
		snprintf(err, errlen, "malformed split-end payload");
	else if (rc != DSP_OK)
		snprintf(err, errlen, "bad split-end request: a bad volume "
		    "name or leg number");
	if (rc != DSP_OK)
		return rc;
	if ((rc = store_get_volume(c->mgr->store, ref.volume, &v)) != DSP_OK) {
		snprintf(err, errlen, "no volume named %s", ref.volume);
		return rc;
	}
	if (ref.leg < v.extent_count && v.extents[ref.leg].backup_hold &&
	    (held = push_hold(c->mgr->push, v.extents[ref.leg].server,
	    ref.volume, DSP_HOLD_LIFT, 0, why, sizeof(why))) != DSP_OK)
		log_warnx("volume %s: server %s did not lift the hold of its "
		    "leg: %s", ref.volume, v.extents[ref.leg].server, why);
	if ((rc = store_split_end(c->mgr->store, c->peer, ref.volume, ref.leg,
	    (uint64_t)time(NULL), &resync, err, errlen)) != DSP_OK)
		return rc;
	log_info("volume %s: leg %s:%s given back by %s, %s", ref.volume,
	    v.extents[ref.leg].server, v.extents[ref.leg].region, c->peer,
	    resync ? "to be resynced from the bitmap" : "in sync (it missed "
	    "no write)");
	split_push_record(c->mgr, ref.volume);
	if (held == DSP_OK)
		return DSP_OK;
	snprintf(err, errlen, "leg %s:%s of volume %s was given back, but "
	    "its hold may not have lasted the whole copy: %s",
	    v.extents[ref.leg].server, v.extents[ref.leg].region, ref.volume,
	    why);
	return DSP_E_STATE;
}

/* Whether a leg of v is held: else no write transaction is needed. */
static int
split_any_held(const struct volume_record *v)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		if (v->extents[i].backup_hold)
			return 1;
	return 0;
}

void
split_renew(struct conn *c, const struct volume_record *v)
{
	struct volume_extent	e;
	const char		*volume = v->name;
	uint32_t		lease = split_lease(c->mgr);
	uint16_t		leg;
	char			why[512];

	if (!split_any_held(v) || store_split_extend(c->mgr->store, volume,
	    (uint64_t)time(NULL) + lease, &leg, &e) != 1)
		return;
	/* A hold the agent lost is not made again: the copy is void, and
	 * SPLIT_END says so. */
	if (push_hold(c->mgr->push, e.server, volume, DSP_HOLD_RENEW, lease,
	    why, sizeof(why)) != DSP_OK)
		log_warnx("volume %s: the hold of leg %s:%s was not renewed at "
		    "server %s: %s", volume, e.server, e.region, e.server, why);
}

/* --- the sweep --- */

struct split_held {
	dsp_name	volume;
	uint16_t	leg;
	uint64_t	until;
};

struct split_scan {
	struct split_held	*held;
	size_t			 count, cap;
	int			 nomem;
};

static int
split_scan_one(const struct volume_record *v, void *arg)
{
	struct split_scan	*s = arg;
	struct split_held	*h;
	uint16_t		 i;

	for (i = 0; i < v->extent_count; i++) {
		if (!v->extents[i].backup_hold)
			continue;
		if (s->count == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 8;
			if ((h = realloc(s->held, s->cap * sizeof(*h))) ==
			    NULL) {
				s->nomem = 1;
				return 1;
			}
			s->held = h;
		}
		h = &s->held[s->count++];
		snprintf(h->volume, sizeof(h->volume), "%s", v->name);
		h->leg = i;
		h->until = v->extents[i].hold_until;
	}
	return 0;
}

/* At start: every volume with a held leg goes on the watch list. */
static int
split_rescan(struct mgr *m)
{
	struct split_scan	s;
	size_t			i;
	int			rc = 0;

	memset(&s, 0, sizeof(s));
	if (store_each_volume(m->store, split_scan_one, &s) < 0 || s.nomem)
		rc = -1;
	for (i = 0; i < s.count && rc == 0; i++)
		rc = split_watch_add(m->split_watch, s.held[i].volume);
	free(s.held);
	return rc;
}

/* The held legs of one watched volume that ran out are lifted; a volume
 * with none held leaves the list. */
static void
split_sweep_volume(struct mgr *m, const struct split_watched *w,
    uint64_t now)
{
	const char		*volume = w->volume;
	struct split_scan	s;
	struct volume_record	v;
	struct volume_extent	e;
	char			why[512];
	size_t			i;

	memset(&s, 0, sizeof(s));
	if (store_get_volume(m->store, volume, &v) != DSP_OK ||
	    (split_scan_one(&v, &s) == 0 && s.count == 0)) {
		split_watch_drop(m->split_watch, w);
		free(s.held);
		return;
	}
	for (i = 0; i < s.count; i++) {
		if (s.held[i].until > now || !store_split_expire(m->store,
		    volume, s.held[i].leg, now, &e))
			continue;
		log_warnx("volume %s: the backup's hold of leg %s:%s ran out; "
		    "the leg goes back to the mirror", volume, e.server,
		    e.region);
		if (push_hold(m->push, e.server, volume, DSP_HOLD_LIFT, 0, why,
		    sizeof(why)) != DSP_OK)
			log_warnx("volume %s: server %s did not lift the hold: "
			    "%s; it ends with its lease", volume, e.server,
			    why);
		split_push_record(m, volume);
	}
	free(s.held);
}

/* Reads the watched volumes' records only: no pass over the table. */
void
split_sweep(struct mgr *m, uint64_t now)
{
	struct split_watched	*watched;
	size_t			 i, count;

	if (__atomic_exchange_n(&m->split_rescan, 0, __ATOMIC_ACQ_REL) &&
	    split_rescan(m) != 0)
		__atomic_store_n(&m->split_rescan, 1, __ATOMIC_RELEASE);
	if ((watched = split_watch_copy(m->split_watch, &count)) == NULL)
		return;
	for (i = 0; i < count; i++)
		split_sweep_volume(m, &watched[i], now);
	free(watched);
}
