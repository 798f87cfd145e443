/*
 * Pushes to the lenders: every change of a volume's record is owed to
 * each of its lending servers (the store's owed table, written in the
 * same transaction as the change), and this worker delivers it:
 * VOLUME_PUT with the record, on the agent's data port with the
 * manager's own certificate as client, or VOLUME_DROP once the volume
 * is deleted. A VOLUME_PUT of a new generation is also the revocation
 * of the older ones: the agent acknowledges only once no request under
 * an older generation runs there (generations.h), so the ack is the
 * fence.
 *
 * An agent refuses a record older than the one it keeps (E_STALE), so a
 * manager whose table went back (restored from a copy) overwrites no
 * newer record before it has seen it at the agent's registration.
 *
 * One cached connection per server, so a push costs one round trip
 * rather than a TLS handshake; its mutex keeps requests on it in order.
 * Changes that revoke (unmount, release) and those a rebuild must not
 * miss (a mirror leg failing, chunks marked dirty) are pushed at once
 * by the request that made them; the rest, and every push that failed,
 * by the worker thread, to up to PUSH_PARALLEL lenders at once, with a
 * backoff per server. Until a lender
 * acknowledges a generation the volume stays fenced, and push_describe
 * tells the admin why.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "log.h"
#include "mgr.h"
#include "msg_mirror.h"
#include "stopper.h"
#include "store.h"
#include "timeutil.h"
#include "tls.h"

#define PUSH_TIMEOUT_MS		2000
#define PUSH_LOCK_MARGIN_MS	1000	/* beyond the worker's push */
#define PUSH_BACKOFF_MIN_MS	200
#define PUSH_BACKOFF_MAX_MS	30000
#define PUSH_IDLE_MS		1000	/* between scans of the owed table */
#define PUSH_BATCH		256	/* pushes per server per round */
#define PUSH_MAX_SERVERS	4096	/* owed servers looked at per round */
#define PUSH_PARALLEL		16	/* lenders pushed to at once */
#define PUSH_SETTLE_MS		20	/* after a kick, before a round */

struct push_peer {
	dsp_name		 server;
	dsp_name		 host;
	uint16_t		 port;
	struct channel		*ch;
	pthread_mutex_t		 lock;		/* ch, host, port */
	struct push_peer	*next;
	/* Guarded by push->lock. */
	unsigned int		 attempts;	/* failed, since the last ack */
	int			 backoff_ms;
	int64_t			 next_try;	/* monotonic ms */
	char			 last_error[512];
	unsigned int		 requests;	/* pushing on their own */
};

struct push {
	struct mgr		*mgr;
	pthread_mutex_t		 lock;		/* the list, the retries */
	pthread_cond_t		 kick;		/* something became owed */
	int			 kicked;
	struct push_peer	*peers;
	pthread_t		 thread;
	int			 running;
	struct stopper		 stop;
};

static void	*push_main(void *);

static void
push_kick(void *arg)
{
	struct push	*p = arg;

	pthread_mutex_lock(&p->lock);
	p->kicked = 1;
	pthread_cond_signal(&p->kick);
	pthread_mutex_unlock(&p->lock);
}

struct push *
push_new(struct mgr *m)
{
	struct push	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->mgr = m;
	pthread_mutex_init(&p->lock, NULL);
	timeutil_cond_init(&p->kick);
	stopper_init(&p->stop);
	p->kicked = 1;		/* what was owed when the manager stopped */
	store_set_owed_hook(m->store, push_kick, p);
	if (pthread_create(&p->thread, NULL, push_main, p) != 0) {
		push_free(p);
		return NULL;
	}
	p->running = 1;
	return p;
}

void
push_free(struct push *p)
{
	struct push_peer	*peer, *next;

	if (p == NULL)
		return;
	store_set_owed_hook(p->mgr->store, NULL, NULL);
	if (p->running) {
		stopper_stop(&p->stop);
		push_kick(p);
		pthread_join(p->thread, NULL);
	}
	for (peer = p->peers; peer != NULL; peer = next) {
		next = peer->next;
		channel_close(peer->ch);
		pthread_mutex_destroy(&peer->lock);
		free(peer);
	}
	stopper_destroy(&p->stop);
	pthread_cond_destroy(&p->kick);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Peers live until push_free; the list only grows. p->lock held. */
static struct push_peer *
push_peer_locked(struct push *p, const char *server, int create)
{
	struct push_peer	*peer;

	for (peer = p->peers; peer != NULL; peer = peer->next)
		if (strcmp(peer->server, server) == 0)
			break;
	if (peer == NULL && create &&
	    (peer = calloc(1, sizeof(*peer))) != NULL) {
		snprintf(peer->server, sizeof(peer->server), "%s", server);
		pthread_mutex_init(&peer->lock, NULL);
		peer->next = p->peers;
		p->peers = peer;
	}
	return peer;
}

static struct push_peer *
push_peer(struct push *p, const char *server, int create)
{
	struct push_peer	*peer;

	pthread_mutex_lock(&p->lock);
	peer = push_peer_locked(p, server, create);
	pthread_mutex_unlock(&p->lock);
	return peer;
}

void
push_forget(struct push *p, const char *server)
{
	struct push_peer	*peer;

	if (p == NULL || (peer = push_peer(p, server, 0)) == NULL)
		return;
	pthread_mutex_lock(&peer->lock);
	channel_close(peer->ch);
	peer->ch = NULL;
	pthread_mutex_unlock(&peer->lock);
	/* It answers again: what it is owed goes now. */
	pthread_mutex_lock(&p->lock);
	peer->next_try = 0;
	pthread_mutex_unlock(&p->lock);
	push_kick(p);
}

/* Connects to the agent's data port; the peer must be that server. */
static int
push_connect(struct push *p, struct push_peer *peer, char *err,
    size_t errlen)
{
	const struct tls_peer	 agent = { DSP_ROLE_AGENT, peer->server };
	struct tls_conn		*tls;

	tls = tls_connect(p->mgr->tls_client, peer->host, peer->port, &agent,
	    PUSH_TIMEOUT_MS, err, errlen);
	if (tls == NULL)
		return -1;
	if ((peer->ch = channel_from_tls(tls)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	channel_set_timeout(peer->ch, PUSH_TIMEOUT_MS);
	return 0;
}

/* One request on the cached connection, reconnecting once if it
 * failed; the caller holds peer->lock. DSP_OK, the agent's refusal
 * (err says why), or -1. *retried: a first connection failed. */
static int
push_call(struct push *p, struct push_peer *peer, uint8_t opcode,
    const struct buf_writer *req, int *retried, char *err, size_t errlen)
{
	struct server_record	 sr;
	const uint8_t		*reply;
	size_t			 reply_len;
	int			 attempt, fresh, rc = -1;

	if (store_get_server(p->mgr->store, peer->server, &sr) != DSP_OK) {
		snprintf(err, errlen, "server %s is not registered",
		    peer->server);
		return -1;
	}
	/* The agent moved: the cached connection goes to the old place. */
	if (strcmp(peer->host, sr.host) != 0 || peer->port != sr.port) {
		channel_close(peer->ch);
		peer->ch = NULL;
		snprintf(peer->host, sizeof(peer->host), "%s", sr.host);
		peer->port = sr.port;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		fresh = peer->ch == NULL;
		if (fresh && push_connect(p, peer, err, errlen) == -1)
			break;
		rc = channel_call(peer->ch, opcode, req, &reply, &reply_len,
		    err, errlen);
		if (rc != -1)
			break;
		*retried = 1;
		channel_close(peer->ch);
		peer->ch = NULL;
		/* A fresh connection that fails will not do better now. */
		if (fresh)
			break;
	}
	if (rc > 0)
		snprintf(err + strlen(err), errlen - strlen(err), " (%s)",
		    dsp_status_name((uint32_t)rc));
	return rc;
}

static unsigned int
push_attempts(struct push *p, struct push_peer *peer)
{
	unsigned int	attempts;

	pthread_mutex_lock(&p->lock);
	attempts = peer->attempts;
	pthread_mutex_unlock(&p->lock);
	return attempts;
}

/* A generation acknowledged after attempts that failed is worth a line:
 * the volume was fenced for longer than a round trip. */
static void
push_log_ack(struct push *p, struct push_peer *peer, const char *volume,
    uint64_t generation, int retried)
{
	unsigned int	failed = push_attempts(p, peer) + (retried ? 1 : 0);

	if (failed > 0)
		log_info("volume %s: server %s acknowledged generation %llu "
		    "after %u failed attempts", volume, peer->server,
		    (unsigned long long)generation, failed);
}

/* VOLUME_PUT of the volume's record as the store has it now, and the
 * ack recorded; peer->lock held. 0, 1 when nothing is to be sent any
 * more, -1 + err. */
static int
push_put(struct push *p, struct push_peer *peer, const char *volume,
    char *err, size_t errlen)
{
	struct msg_volume_record	*rec;
	struct buf_writer		 req;
	uint8_t				*bits;
	int				 rc, retried = 0;

	if ((rec = malloc(sizeof(*rec))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = store_get_lender_view(p->mgr->store, volume, peer->server, rec,
	    &bits);
	if (rc != DSP_OK) {
		free(rec);
		if (rc == DSP_E_NOTFOUND || rc == DSP_E_STATE)
			return 1;	/* gone, held or moved */
		snprintf(err, errlen, "cannot read volume %s", volume);
		return -1;
	}
	buf_writer_init(&req);
	msg_encode_volume_record(&req, rec);
	rc = push_call(p, peer, DSP_OP_VOLUME_PUT, &req, &retried, err,
	    errlen);
	buf_writer_free(&req);
	free(bits);
	if (rc == DSP_OK)
		rc = store_push_acked(p->mgr->store, peer->server, volume,
		    rec->generation, rec->revision, err, errlen);
	if (rc == DSP_OK) {
		log_debug("volume %s: server %s keeps generation %llu revision "
		    "%llu", volume, peer->server,
		    (unsigned long long)rec->generation,
		    (unsigned long long)rec->revision);
		push_log_ack(p, peer, volume, rec->generation, retried);
	}
	free(rec);
	return rc == DSP_OK ? 0 : -1;
}

static int
push_drop(struct push *p, struct push_peer *peer, const char *volume,
    uint64_t generation, char *err, size_t errlen)
{
	struct msg_revoke	msg;
	struct buf_writer	req;
	int			rc, retried = 0;

	memset(&msg, 0, sizeof(msg));
	snprintf(msg.volume, sizeof(msg.volume), "%s", volume);
	msg.generation = generation;
	buf_writer_init(&req);
	msg_encode_revoke(&req, &msg);
	rc = push_call(p, peer, DSP_OP_VOLUME_DROP, &req, &retried, err,
	    errlen);
	buf_writer_free(&req);
	if (rc == DSP_OK)
		rc = store_drop_acked(p->mgr->store, peer->server, volume, err,
		    errlen);
	return rc == DSP_OK ? 0 : -1;
}

/* peer->lock held. */
static int
push_one(struct push *p, struct push_peer *peer, const struct store_owed *o,
    char *err, size_t errlen)
{
	if (o->kind == STORE_OWED_DROP)
		return push_drop(p, peer, o->volume, o->generation, err,
		    errlen);
	if (push_put(p, peer, o->volume, err, errlen) == -1)
		return -1;
	return 0;
}

static void
push_failed(struct push *p, struct push_peer *peer, const char *err)
{
	pthread_mutex_lock(&p->lock);
	peer->attempts++;
	snprintf(peer->last_error, sizeof(peer->last_error), "%s", err);
	peer->backoff_ms = peer->backoff_ms == 0 ? PUSH_BACKOFF_MIN_MS :
	    peer->backoff_ms * 2 > PUSH_BACKOFF_MAX_MS ? PUSH_BACKOFF_MAX_MS :
	    peer->backoff_ms * 2;
	peer->next_try = timeutil_now_ms() + peer->backoff_ms;
	pthread_mutex_unlock(&p->lock);
}

static void
push_succeeded(struct push *p, struct push_peer *peer)
{
	unsigned int	attempts;

	pthread_mutex_lock(&p->lock);
	attempts = peer->attempts;
	peer->attempts = 0;
	peer->backoff_ms = 0;
	peer->last_error[0] = '\0';
	pthread_mutex_unlock(&p->lock);
	if (attempts > 0)
		log_info("server %s takes pushes again after %u failed "
		    "attempts", peer->server, attempts);
}

/* --- at once, from a request --- */

/* Servers of the volume, once each, retired ones aside. */
static int
push_first_on(const struct volume_record *v, uint16_t i)
{
	uint16_t	j;

	if (v->extents[i].server_retired)
		return 0;
	for (j = 0; j < i; j++)
		if (strcmp(v->extents[j].server, v->extents[i].server) == 0)
			return 0;
	return 1;
}

/* The server of extent i has not acknowledged the volume as it is. */
static int
push_owed(const struct volume_record *v, uint16_t i)
{
	uint16_t	j;

	for (j = i; j < v->extent_count; j++)
		if (strcmp(v->extents[j].server, v->extents[i].server) == 0 &&
		    (v->extents[j].acked_generation < v->generation ||
		    v->extents[j].acked_revision < v->revision))
			return 1;
	return 0;
}

static int
push_is_failing(struct push *p, struct push_peer *peer)
{
	int	failing;

	pthread_mutex_lock(&p->lock);
	failing = peer->attempts > 0;
	pthread_mutex_unlock(&p->lock);
	return failing;
}

/* Still owed by the server of extent i, as the store has it now. */
static int
push_still_owed(struct push *p, const char *volume, const char *server)
{
	struct volume_record	v;
	uint16_t		i;

	if (store_get_volume(p->mgr->store, volume, &v) != DSP_OK ||
	    v.hold_kind != VOLUME_HOLD_NONE)
		return 0;
	for (i = 0; i < v.extent_count; i++)
		if (strcmp(v.extents[i].server, server) == 0)
			return push_owed(&v, i);
	return 0;
}

/* The peer, for a push on behalf of a request: the worker may be
 * pushing to it. The request waits out one push of the worker (its
 * outcome is then known), never longer. 0: locked at once, 1: after
 * the worker's push, -1: still busy. */
static int
push_lock_peer(struct push_peer *peer)
{
	struct timespec	ts;

	if (pthread_mutex_trylock(&peer->lock) == 0)
		return 0;
	timeutil_deadline(&ts, CLOCK_REALTIME, PUSH_TIMEOUT_MS +
	    PUSH_LOCK_MARGIN_MS);
	return pthread_mutex_timedlock(&peer->lock, &ts) == 0 ? 1 : -1;
}

static void
push_requests(struct push *p, struct push_peer *peer, int delta)
{
	pthread_mutex_lock(&p->lock);
	peer->requests += (unsigned int)delta;
	pthread_mutex_unlock(&p->lock);
}

int
push_volume(struct push *p, const struct volume_record *v, int urgent)
{
	struct push_peer	*peer;
	struct volume_record	 now;
	char			 err[512];
	uint16_t		 i;
	int			 pending = 0, rc, waited;

	for (i = 0; i < v->extent_count; i++) {
		if (!push_first_on(v, i) || !push_owed(v, i) ||
		    v->hold_kind != VOLUME_HOLD_NONE ||
		    (peer = push_peer(p, v->extents[i].server, 1)) == NULL)
			continue;
		/* A lender known to be away is left to the worker rather
		 * than hold up a borrower's write. */
		if (!urgent && push_is_failing(p, peer))
			continue;
		push_requests(p, peer, 1);
		waited = push_lock_peer(peer);
		push_requests(p, peer, -1);
		if (waited == -1) {
			log_warnx("volume %s: server %s is busy with an earlier "
			    "push; this one goes on in the background",
			    v->name, peer->server);
			continue;
		}
		/* The worker's push just failed there: no second wait. */
		if (waited && push_is_failing(p, peer)) {
			pthread_mutex_unlock(&peer->lock);
			continue;
		}
		rc = 0;
		if (push_still_owed(p, v->name, peer->server))
			rc = push_put(p, peer, v->name, err, sizeof(err));
		pthread_mutex_unlock(&peer->lock);
		if (rc == -1) {
			log_warnx("volume %s: server %s does not take its "
			    "record (generation %llu): %s; trying again in the "
			    "background", v->name, peer->server,
			    (unsigned long long)v->generation, err);
			push_failed(p, peer, err);
		} else
			push_succeeded(p, peer);
	}
	if (store_get_volume(p->mgr->store, v->name, &now) != DSP_OK)
		return 0;
	for (i = 0; i < now.extent_count; i++)
		if (push_first_on(&now, i) &&
		    now.extents[i].acked_generation < now.generation)
			pending++;
	return pending;
}

/*
 * LEG_HOLD goes on the same connection as the records, behind any push
 * of the worker, and is never left to the worker: the backup waits for
 * its answer.
 */
int
push_hold(struct push *p, const char *server, const char *volume,
    uint8_t hold, uint32_t lease, char *err, size_t errlen)
{
	struct push_peer	*peer;
	struct msg_leg_hold	 h;
	struct buf_writer	 req;
	int			 rc, retried = 0;

	if ((peer = push_peer(p, server, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	push_requests(p, peer, 1);
	rc = push_lock_peer(peer);
	push_requests(p, peer, -1);
	if (rc == -1) {
		snprintf(err, errlen, "server %s is busy with an earlier push",
		    server);
		return DSP_E_UNAVAILABLE;
	}
	memset(&h, 0, sizeof(h));
	snprintf(h.volume, sizeof(h.volume), "%s", volume);
	h.hold = hold;
	h.lease = hold == DSP_HOLD_LIFT ? 0 : lease;
	buf_writer_init(&req);
	msg_encode_leg_hold(&req, &h);
	rc = push_call(p, peer, DSP_OP_LEG_HOLD, &req, &retried, err, errlen);
	buf_writer_free(&req);
	pthread_mutex_unlock(&peer->lock);
	return rc == -1 ? DSP_E_UNAVAILABLE : rc;
}

/* --- the worker --- */

/* One round for a server whose turn has come. 1 if more is owed. */
static int
push_server_round(struct push *p, struct push_peer *peer)
{
	struct store_owed	*owed;
	char			 err[512];
	size_t			 count = 0, i;

	if ((owed = calloc(PUSH_BATCH, sizeof(*owed))) == NULL)
		return 0;
	if (store_owed_list(p->mgr->store, peer->server, NULL, owed,
	    PUSH_BATCH, &count) != DSP_OK)
		count = 0;
	pthread_mutex_lock(&peer->lock);
	for (i = 0; i < count && !stopper_stopping(&p->stop); i++)
		if (push_one(p, peer, &owed[i], err, sizeof(err)) == -1)
			break;
	pthread_mutex_unlock(&peer->lock);
	free(owed);
	if (i < count) {
		if (!push_is_failing(p, peer))
			log_warnx("server %s: %zu volume records owed, the "
			    "first not taken: %s; trying again in the "
			    "background", peer->server, count - i, err);
		push_failed(p, peer, err);
		return 0;
	}
	push_succeeded(p, peer);
	return count == PUSH_BATCH;
}

/* One round shared by PUSH_PARALLEL threads: a lender that does not
 * answer holds up one of them for a timeout, not the others. */
struct push_round {
	struct push	*p;
	dsp_name	*servers;
	size_t		 count;
	size_t		 next;		/* under p->lock */
	int		 more;		/* under p->lock */
};

static void *
push_round_main(void *arg)
{
	struct push_round	*r = arg;
	struct push		*p = r->p;
	struct push_peer	*peer;
	size_t			 i;
	int			 due, more;

	while (!stopper_stopping(&p->stop)) {
		pthread_mutex_lock(&p->lock);
		i = r->next < r->count ? r->next++ : r->count;
		pthread_mutex_unlock(&p->lock);
		if (i == r->count ||
		    (peer = push_peer(p, r->servers[i], 1)) == NULL)
			break;
		pthread_mutex_lock(&p->lock);
		due = peer->next_try <= timeutil_now_ms();
		/* A request is pushing there itself: next round. */
		if (peer->requests > 0) {
			due = 0;
			r->more = 1;
		}
		pthread_mutex_unlock(&p->lock);
		if (!due)
			continue;
		more = push_server_round(p, peer);
		pthread_mutex_lock(&p->lock);
		r->more |= more;
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

/* The servers owed a push whose turn has come, each tried once. */
static int
push_round(struct push *p)
{
	struct push_round	r = { p, NULL, 0, 0, 0 };
	pthread_t		threads[PUSH_PARALLEL];
	size_t			i, n = 0;

	if ((r.servers = calloc(PUSH_MAX_SERVERS, sizeof(dsp_name))) == NULL)
		return 0;
	if (store_owed_servers(p->mgr->store, r.servers, PUSH_MAX_SERVERS,
	    &r.count) != DSP_OK)
		r.count = 0;
	/* This thread is one of them; the others only when there is work. */
	for (i = 1; i < PUSH_PARALLEL && i < r.count; i++)
		if (pthread_create(&threads[n], NULL, push_round_main,
		    &r) == 0)
			n++;
	push_round_main(&r);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	free(r.servers);
	return r.more;
}

static void *
push_main(void *arg)
{
	struct push	*p = arg;
	struct timespec	 ts;
	int		 more = 0;

	while (!stopper_stopping(&p->stop)) {
		pthread_mutex_lock(&p->lock);
		if (!p->kicked && !more) {
			timeutil_deadline(&ts, CLOCK_MONOTONIC, PUSH_IDLE_MS);
			pthread_cond_timedwait(&p->kick, &p->lock, &ts);
		}
		p->kicked = 0;
		pthread_mutex_unlock(&p->lock);
		/* The request whose commit kicked this pushes first. */
		if (!stopper_wait(&p->stop, PUSH_SETTLE_MS))
			more = push_round(p);
	}
	return NULL;
}

int
push_describe(struct push *p, const char *server, struct push_state *out)
{
	struct push_peer	*peer;
	int			 failing = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&p->lock);
	if ((peer = push_peer_locked(p, server, 0)) != NULL &&
	    peer->attempts > 0) {
		failing = 1;
		out->attempts = peer->attempts;
		out->next_in_ms = peer->next_try - timeutil_now_ms();
		snprintf(out->last_error, sizeof(out->last_error), "%s",
		    peer->last_error);
	}
	pthread_mutex_unlock(&p->lock);
	return failing;
}
