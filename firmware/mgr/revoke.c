/*
 * Revocation: after an unmount bumps a volume's generation, the manager
 * tells every lending server of the volume (REVOKE on the agent's data
 * port, the manager's own certificate as client) and records each ack.
 * An agent acknowledges only once no request under an older generation
 * runs there (generations.h), so an ack is the fence.
 *
 * One cached connection per server, so an unmount costs one round trip
 * rather than a TLS handshake; its mutex keeps requests on it in order.
 * A server that does not acknowledge at once is tried again in the
 * background, with a backoff per server, until it does (or acknowledges
 * by registering again, FENCE_ACK, or is retired): a transient failure
 * never leaves a volume fenced. Until then the volume stays fenced, and
 * revoke_describe tells the admin why.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "log.h"
#include "mgr.h"
#include "stopper.h"
#include "store.h"
#include "timeutil.h"
#include "tls.h"

#define REVOKE_TIMEOUT_MS	2000
#define REVOKE_BACKOFF_MIN_MS	200
#define REVOKE_BACKOFF_MAX_MS	30000
#define REVOKE_TICK_MS		1000

/* A volume whose revocation a server has not acknowledged yet. */
struct revoke_wait {
	struct revoke_wait	*next;
	dsp_name		 volume;
	uint64_t		 generation;
};

struct revoke_peer {
	dsp_name		 server;
	dsp_name		 host;
	uint16_t		 port;
	struct channel		*ch;
	pthread_mutex_t		 lock;		/* ch, host, port */
	struct revoke_peer	*next;
	/* Retries; guarded by revoke->lock. */
	struct revoke_wait	*waits;
	unsigned int		 attempts;	/* failed, since the last ack */
	int			 backoff_ms;
	int64_t			 next_try;	/* monotonic ms */
	char			 last_error[512];
};

struct revoke {
	struct mgr		*mgr;
	pthread_mutex_t		 lock;		/* the list, the retries */
	struct revoke_peer	*peers;
	pthread_t		 thread;
	int			 running;
	struct stopper		 stop;
};

static void	*revoke_main(void *);

struct revoke *
revoke_new(struct mgr *m)
{
	struct revoke	*rv;

	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return NULL;
	rv->mgr = m;
	pthread_mutex_init(&rv->lock, NULL);
	stopper_init(&rv->stop);
	if (pthread_create(&rv->thread, NULL, revoke_main, rv) != 0) {
		revoke_free(rv);
		return NULL;
	}
	rv->running = 1;
	return rv;
}

static void
revoke_waits_free(struct revoke_peer *p)
{
	struct revoke_wait	*w;

	while ((w = p->waits) != NULL) {
		p->waits = w->next;
		free(w);
	}
}

void
revoke_free(struct revoke *rv)
{
	struct revoke_peer	*p, *next;

	if (rv == NULL)
		return;
	if (rv->running) {
		stopper_stop(&rv->stop);
		pthread_join(rv->thread, NULL);
	}
	for (p = rv->peers; p != NULL; p = next) {
		next = p->next;
		channel_close(p->ch);
		revoke_waits_free(p);
		pthread_mutex_destroy(&p->lock);
		free(p);
	}
	stopper_destroy(&rv->stop);
	pthread_mutex_destroy(&rv->lock);
	free(rv);
}

/* Peers live until revoke_free; the list only grows. rv->lock held. */
static struct revoke_peer *
revoke_peer_locked(struct revoke *rv, const char *server, int create)
{
	struct revoke_peer	*p;

	for (p = rv->peers; p != NULL; p = p->next)
		if (strcmp(p->server, server) == 0)
			break;
	if (p == NULL && create && (p = calloc(1, sizeof(*p))) != NULL) {
		snprintf(p->server, sizeof(p->server), "%s", server);
		pthread_mutex_init(&p->lock, NULL);
		p->next = rv->peers;
		rv->peers = p;
	}
	return p;
}

static struct revoke_peer *
revoke_peer(struct revoke *rv, const char *server, int create)
{
	struct revoke_peer	*p;

	pthread_mutex_lock(&rv->lock);
	p = revoke_peer_locked(rv, server, create);
	pthread_mutex_unlock(&rv->lock);
	return p;
}

void
revoke_forget(struct revoke *rv, const char *server)
{
	struct revoke_peer	*p;

	if (rv == NULL || (p = revoke_peer(rv, server, 0)) == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	channel_close(p->ch);
	p->ch = NULL;
	pthread_mutex_unlock(&p->lock);
}

/* Connects to the agent's data port; the peer must be that server. */
static int
revoke_connect(struct revoke *rv, struct revoke_peer *p, char *err,
    size_t errlen)
{
	const struct tls_peer	 agent = { DSP_ROLE_AGENT, p->server };
	struct tls_conn		*tls;

	tls = tls_connect(rv->mgr->tls_client, p->host, p->port, &agent,
	    REVOKE_TIMEOUT_MS, err, errlen);
	if (tls == NULL)
		return -1;
	if ((p->ch = channel_from_tls(tls)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	channel_set_timeout(p->ch, REVOKE_TIMEOUT_MS);
	return 0;
}

/* One REVOKE on the cached connection, reconnecting once if it failed.
 * Called with p->lock held. DSP_OK, the agent's refusal, or -1. */
static int
revoke_send(struct revoke *rv, struct revoke_peer *p,
    const struct buf_writer *req, char *err, size_t errlen)
{
	const uint8_t	*reply;
	size_t		 reply_len;
	int		 attempt, fresh, rc = -1;

	for (attempt = 0; attempt < 2; attempt++) {
		fresh = p->ch == NULL;
		if (fresh && revoke_connect(rv, p, err, errlen) == -1)
			return -1;
		rc = channel_call(p->ch, DSP_OP_REVOKE, req, &reply,
		    &reply_len, err, errlen);
		if (rc != -1)
			return rc;
		channel_close(p->ch);
		p->ch = NULL;
		/* A fresh connection that fails will not do better now. */
		if (fresh)
			break;
	}
	return rc;
}

/* REVOKE(volume, generation) at the server and the ack recorded; 0, or
 * -1 with err. */
static int
revoke_push(struct revoke *rv, struct revoke_peer *p, const char *volume,
    uint64_t generation, char *err, size_t errlen)
{
	struct server_record	 sr;
	struct msg_revoke	 msg;
	struct msg_generations	*ack;
	struct buf_writer	 req;
	int			 rc;

	if (store_get_server(rv->mgr->store, p->server, &sr) != DSP_OK) {
		snprintf(err, errlen, "server %s is not registered", p->server);
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	snprintf(msg.volume, sizeof(msg.volume), "%s", volume);
	msg.generation = generation;
	buf_writer_init(&req);
	msg_encode_revoke(&req, &msg);
	pthread_mutex_lock(&p->lock);
	/* The agent moved: the cached connection goes to the old place. */
	if (strcmp(p->host, sr.host) != 0 || p->port != sr.port) {
		channel_close(p->ch);
		p->ch = NULL;
		snprintf(p->host, sizeof(p->host), "%s", sr.host);
		p->port = sr.port;
	}
	rc = revoke_send(rv, p, &req, err, errlen);
	pthread_mutex_unlock(&p->lock);
	buf_writer_free(&req);
	if (rc != DSP_OK) {
		if (rc > 0)
			snprintf(err + strlen(err), errlen - strlen(err),
			    " (%s)", dsp_status_name((uint32_t)rc));
		return -1;
	}
	if ((ack = calloc(1, sizeof(*ack))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ack->count = 1;
	snprintf(ack->items[0].volume, sizeof(ack->items[0].volume), "%s",
	    volume);
	ack->items[0].generation = generation;
	rc = store_fence_ack(rv->mgr->store, p->server, ack, err, errlen);
	free(ack);
	return rc == DSP_OK ? 0 : -1;
}

/* The server is to be tried again for this volume. rv->lock held. */
static void
revoke_wait_add(struct revoke_peer *p, const char *volume,
    uint64_t generation)
{
	struct revoke_wait	*w;

	for (w = p->waits; w != NULL; w = w->next)
		if (strcmp(w->volume, volume) == 0) {
			if (generation > w->generation)
				w->generation = generation;
			return;
		}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return;		/* the next registration acks it */
	snprintf(w->volume, sizeof(w->volume), "%s", volume);
	w->generation = generation;
	w->next = p->waits;
	p->waits = w;
	if (p->backoff_ms == 0) {
		p->backoff_ms = REVOKE_BACKOFF_MIN_MS;
		p->next_try = timeutil_now_ms() + p->backoff_ms;
	}
}

static void
revoke_failed(struct revoke *rv, struct revoke_peer *p, const char *volume,
    uint64_t generation, const char *err)
{
	pthread_mutex_lock(&rv->lock);
	revoke_wait_add(p, volume, generation);
	p->attempts++;
	snprintf(p->last_error, sizeof(p->last_error), "%s", err);
	pthread_mutex_unlock(&rv->lock);
}

/* Pushes one server now; on failure leaves it to the retries. */
static int
revoke_server(struct revoke *rv, const char *server, const char *volume,
    uint64_t generation)
{
	struct revoke_peer	*p;
	char			 err[512];

	if ((p = revoke_peer(rv, server, 1)) == NULL) {
		log_warnx("revoke %s on %s: out of memory", volume, server);
		return -1;
	}
	if (revoke_push(rv, p, volume, generation, err, sizeof(err)) == -1) {
		log_warnx("volume %s stays fenced until server %s acknowledges "
		    "generation %llu: %s; trying again in the background",
		    volume, server, (unsigned long long)generation, err);
		revoke_failed(rv, p, volume, generation, err);
		return -1;
	}
	log_debug("volume %s revoked below generation %llu at server %s",
	    volume, (unsigned long long)generation, server);
	return 0;
}

/* Servers of the volume that still owe an ack, once each. */
static int
revoke_owed(const struct volume_record *v, uint16_t i)
{
	uint16_t	j;

	if (v->extents[i].acked_generation >= v->generation)
		return 0;
	for (j = 0; j < i; j++)
		if (strcmp(v->extents[j].server, v->extents[i].server) == 0 &&
		    v->extents[j].acked_generation < v->generation)
			return 0;
	return 1;
}

int
revoke_volume(struct revoke *rv, const struct volume_record *v)
{
	uint16_t	i;
	int		pending = 0;

	for (i = 0; i < v->extent_count; i++)
		if (revoke_owed(v, i) && revoke_server(rv, v->extents[i].server,
		    v->name, v->generation) == -1)
			pending++;
	return pending;
}

/* --- the retries --- */

/* Still owed: the volume exists, and an extent on the server has not
 * acked the generation (a FENCE_ACK or a retirement may have done it). */
static int
revoke_still_owed(struct revoke *rv, const char *server,
    struct revoke_wait *w)
{
	struct volume_record	v;
	uint16_t		i;

	if (store_get_volume(rv->mgr->store, w->volume, &v) != DSP_OK)
		return 0;
	for (i = 0; i < v.extent_count; i++)
		if (strcmp(v.extents[i].server, server) == 0 &&
		    v.extents[i].acked_generation < v.generation) {
			w->generation = v.generation;
			return 1;
		}
	return 0;
}

/* One round for a server whose turn has come: every volume it owes. */
static void
revoke_retry_server(struct revoke *rv, struct revoke_peer *p)
{
	struct revoke_wait	*w, *todo;
	char			 err[512];
	int			 failed = 0;

	pthread_mutex_lock(&rv->lock);
	todo = p->waits;
	p->waits = NULL;
	pthread_mutex_unlock(&rv->lock);
	while ((w = todo) != NULL) {
		todo = w->next;
		if (failed || !revoke_still_owed(rv, p->server, w)) {
			if (failed) {
				pthread_mutex_lock(&rv->lock);
				revoke_wait_add(p, w->volume, w->generation);
				pthread_mutex_unlock(&rv->lock);
			}
			free(w);
			continue;
		}
		if (revoke_push(rv, p, w->volume, w->generation, err,
		    sizeof(err)) == 0)
			log_info("volume %s: server %s acknowledged generation "
			    "%llu after %u failed attempts", w->volume,
			    p->server, (unsigned long long)w->generation,
			    p->attempts);
		else {
			failed = 1;
			revoke_failed(rv, p, w->volume, w->generation, err);
		}
		free(w);
	}
	pthread_mutex_lock(&rv->lock);
	if (p->waits == NULL) {
		p->attempts = 0;
		p->backoff_ms = 0;
		p->last_error[0] = '\0';
	} else {
		p->backoff_ms = p->backoff_ms * 2 > REVOKE_BACKOFF_MAX_MS ?
		    REVOKE_BACKOFF_MAX_MS : p->backoff_ms * 2;
		p->next_try = timeutil_now_ms() + p->backoff_ms;
	}
	pthread_mutex_unlock(&rv->lock);
}

/* The next server whose turn has come, or NULL. */
static struct revoke_peer *
revoke_due(struct revoke *rv, int64_t now)
{
	struct revoke_peer	*p;

	pthread_mutex_lock(&rv->lock);
	for (p = rv->peers; p != NULL; p = p->next)
		if (p->waits != NULL && p->next_try <= now)
			break;
	if (p != NULL)
		p->next_try = now + REVOKE_BACKOFF_MAX_MS;	/* ours now */
	pthread_mutex_unlock(&rv->lock);
	return p;
}

/* At start: the volumes fenced when the manager last stopped. */
static int
revoke_scan_one(const struct volume_record *v, void *arg)
{
	struct revoke		*rv = arg;
	struct revoke_peer	*p;
	uint16_t		 i;

	for (i = 0; i < v->extent_count; i++) {
		if (!revoke_owed(v, i))
			continue;
		pthread_mutex_lock(&rv->lock);
		if ((p = revoke_peer_locked(rv, v->extents[i].server,
		    1)) != NULL)
			revoke_wait_add(p, v->name, v->generation);
		pthread_mutex_unlock(&rv->lock);
	}
	return 0;
}

static void *
revoke_main(void *arg)
{
	struct revoke		*rv = arg;
	struct revoke_peer	*p;

	if (store_each_volume(rv->mgr->store, revoke_scan_one, rv) != 0)
		log_warnx("cannot read the volumes fenced at start");
	while (!stopper_stopping(&rv->stop)) {
		while ((p = revoke_due(rv, timeutil_now_ms())) != NULL &&
		    !stopper_stopping(&rv->stop))
			revoke_retry_server(rv, p);
		if (stopper_wait(&rv->stop, REVOKE_TICK_MS / 5))
			break;
	}
	return NULL;
}

int
revoke_describe(struct revoke *rv, const char *server, const char *volume,
    struct revoke_state *out)
{
	struct revoke_peer	*p;
	struct revoke_wait	*w;
	int			 found = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&rv->lock);
	if ((p = revoke_peer_locked(rv, server, 0)) != NULL)
		for (w = p->waits; w != NULL && !found; w = w->next)
			found = strcmp(w->volume, volume) == 0;
	if (found) {
		out->attempts = p->attempts;
		out->next_in_ms = p->next_try - timeutil_now_ms();
		snprintf(out->last_error, sizeof(out->last_error), "%s",
		    p->last_error);
	}
	pthread_mutex_unlock(&rv->lock);
	return found;
}
