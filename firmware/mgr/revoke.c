/*
 * Revocation: after an unmount bumps a volume's generation, the manager
 * tells every lending server of the volume (REVOKE on the agent's data
 * port, the manager's own certificate as client) and records each ack.
 *
 * One cached connection per server, so an unmount costs one round trip
 * rather than a TLS handshake; its mutex keeps requests on it in order.
 * A server that is down or does not answer is skipped: the volume stays
 * fenced until the agent registers again and acknowledges the
 * generation itself (FENCE_ACK).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "log.h"
#include "mgr.h"
#include "store.h"
#include "tls.h"

#define REVOKE_TIMEOUT_MS	2000

struct revoke_peer {
	dsp_name		 server;
	dsp_name		 host;
	uint16_t		 port;
	struct channel		*ch;
	pthread_mutex_t		 lock;
	struct revoke_peer	*next;
};

struct revoke {
	struct mgr		*mgr;
	pthread_mutex_t		 lock;		/* the list */
	struct revoke_peer	*peers;
};

struct revoke *
revoke_new(struct mgr *m)
{
	struct revoke	*rv;

	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return NULL;
	rv->mgr = m;
	pthread_mutex_init(&rv->lock, NULL);
	return rv;
}

void
revoke_free(struct revoke *rv)
{
	struct revoke_peer	*p, *next;

	if (rv == NULL)
		return;
	for (p = rv->peers; p != NULL; p = next) {
		next = p->next;
		channel_close(p->ch);
		pthread_mutex_destroy(&p->lock);
		free(p);
	}
	pthread_mutex_destroy(&rv->lock);
	free(rv);
}

/* Peers live until revoke_free; the list only grows. */
static struct revoke_peer *
revoke_peer(struct revoke *rv, const char *server, int create)
{
	struct revoke_peer	*p;

	pthread_mutex_lock(&rv->lock);
	for (p = rv->peers; p != NULL; p = p->next)
		if (strcmp(p->server, server) == 0)
			break;
	if (p == NULL && create && (p = calloc(1, sizeof(*p))) != NULL) {
		snprintf(p->server, sizeof(p->server), "%s", server);
		pthread_mutex_init(&p->lock, NULL);
		p->next = rv->peers;
		rv->peers = p;
	}
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

static int
revoke_server(struct revoke *rv, const char *server, const char *volume,
    uint64_t generation)
{
	struct server_record	 sr;
	struct revoke_peer	*p;
	struct msg_revoke	 msg;
	struct msg_generations	 ack;
	struct buf_writer	 req;
	char			 err[512];
	int			 rc;

	if (store_get_server(rv->mgr->store, server, &sr) != DSP_OK || !sr.up) {
		log_info("volume %s stays fenced until server %s comes back "
		    "and acknowledges generation %llu", volume, server,
		    (unsigned long long)generation);
		return -1;
	}
	if ((p = revoke_peer(rv, server, 1)) == NULL) {
		log_warnx("revoke %s on %s: out of memory", volume, server);
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
	rc = revoke_send(rv, p, &req, err, sizeof(err));
	pthread_mutex_unlock(&p->lock);
	buf_writer_free(&req);

	if (rc != DSP_OK) {
		log_warnx("volume %s stays fenced: revoke at server %s (%s:%u) "
		    "failed: %s", volume, server, sr.host, sr.port, err);
		return -1;
	}
	memset(&ack, 0, sizeof(ack));
	ack.count = 1;
	snprintf(ack.items[0].volume, sizeof(ack.items[0].volume), "%s", volume);
	ack.items[0].generation = generation;
	if (store_fence_ack(rv->mgr->store, server, &ack, err,
	    sizeof(err)) != DSP_OK) {
		log_warnx("volume %s: cannot record the ack of server %s: %s",
		    volume, server, err);
		return -1;
	}
	log_debug("volume %s revoked below generation %llu at server %s",
	    volume, (unsigned long long)generation, server);
	return 0;
}

int
revoke_volume(struct revoke *rv, const struct volume_record *v)
{
	const struct volume_extent	*e;
	uint16_t			 i, j;
	int				 pending = 0;

	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (e->acked_generation >= v->generation)
			continue;
		/* One REVOKE per server, however many extents it holds. */
		for (j = 0; j < i; j++)
			if (strcmp(v->extents[j].server, e->server) == 0 &&
			    v->extents[j].acked_generation < v->generation)
				break;
		if (j < i)
			continue;
		if (revoke_server(rv, e->server, v->name, v->generation) == -1)
			pending++;
	}
	return pending;
}
