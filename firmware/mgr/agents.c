/*
 * Lending servers' agents: REGISTER, FENCE_ACK and HEARTBEAT on one TLS
 * connection per agent. The connection an agent registered on is its
 * lifeline: when it closes the server is marked down, unless a newer
 * connection has registered the same server meanwhile. A timer marks
 * down servers that went silent without closing.
 *
 * A heartbeat is heard in memory: no commit, no sync. The timer writes
 * the servers' last_seen in one commit every AGENTS_SEEN_FLUSH_S (or half
 * of heartbeat_timeout, if less), and a
 * server heard within heartbeat_timeout is never marked down, whatever
 * its row says.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "mgr.h"
#include "stopper.h"
#include "store.h"
#include "timeutil.h"

#define AGENTS_TICK_MS		1000
#define AGENTS_SEEN_FLUSH_S	10

struct agents_link {
	dsp_name	server;
	uint64_t	serial;		/* connection it registered on */
	int		confirmed;	/* its registration is complete */
	uint64_t	heard;		/* last heartbeat, wall seconds */
};

struct agents {
	struct mgr		*mgr;
	pthread_t		 timer;
	struct stopper		 stop;
	pthread_mutex_t		 lock;		/* guards links */
	pthread_cond_t		 confirmed;	/* a link was confirmed */
	int64_t			 started;	/* monotonic ms */
	struct agents_link	*links;
	size_t			 nlinks;
	size_t			 cap;
};

/* Heard within heartbeat_timeout on a live connection. */
static int
agents_alive(void *arg, const char *server)
{
	struct agents	*a = arg;
	uint64_t	 now = (uint64_t)time(NULL);
	size_t		 i;
	int		 alive = 0;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].server, server) == 0)
			alive = a->links[i].heard + (uint64_t)
			    a->mgr->conf->heartbeat_timeout >= now;
	pthread_mutex_unlock(&a->lock);
	return alive;
}

uint64_t
agents_last_heard(struct agents *a, const char *server)
{
	uint64_t	heard = 0;
	size_t		i;

	if (a == NULL)
		return 0;
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].server, server) == 0)
			heard = a->links[i].heard;
	pthread_mutex_unlock(&a->lock);
	return heard;
}

/* One commit for every server heard since the last flush. */
static void
agents_flush_seen(struct agents *a, uint64_t since)
{
	struct store_seen	*seen;
	size_t			 i, n = 0;
	char			 err[256];

	pthread_mutex_lock(&a->lock);
	if ((seen = calloc(a->nlinks + 1, sizeof(*seen))) != NULL)
		for (i = 0; i < a->nlinks; i++) {
			if (a->links[i].heard <= since)
				continue;
			snprintf(seen[n].server, sizeof(seen[n].server), "%s",
			    a->links[i].server);
			seen[n++].when = a->links[i].heard;
		}
	pthread_mutex_unlock(&a->lock);
	if (n > 0 && store_servers_seen(a->mgr->store, seen, n, err,
	    sizeof(err)) != DSP_OK)
		log_warnx("store: heartbeats of %zu servers: %s", n, err);
	free(seen);
}

static void *
agents_timer(void *arg)
{
	struct agents	*a = arg;
	uint64_t	 timeout = (uint64_t)a->mgr->conf->heartbeat_timeout;
	uint64_t	 flushed = (uint64_t)time(NULL), now;
	/* Rows fresher than the timeout: the in-memory check below is
	 * then only for servers silent long enough to look expired. */
	uint64_t	 flush_s = timeout / 2 < AGENTS_SEEN_FLUSH_S ?
			    (timeout / 2 ? timeout / 2 : 1) : AGENTS_SEEN_FLUSH_S;

	/* store_expire_servers logs each server it marks down. */
	while (!stopper_wait(&a->stop, AGENTS_TICK_MS)) {
		now = (uint64_t)time(NULL);
		if (now >= flushed + flush_s) {
			agents_flush_seen(a, flushed - 1);
			flushed = now;
		}
		(void)store_expire_servers(a->mgr->store, now, timeout,
		    agents_alive, a);
		split_sweep(a->mgr, now);
	}
	return NULL;
}

struct agents *
agents_start(struct mgr *m)
{
	struct agents	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->mgr = m;
	a->started = timeutil_now_ms();
	stopper_init(&a->stop);
	pthread_mutex_init(&a->lock, NULL);
	timeutil_cond_init(&a->confirmed);
	if (pthread_create(&a->timer, NULL, agents_timer, a) != 0) {
		pthread_cond_destroy(&a->confirmed);
		pthread_mutex_destroy(&a->lock);
		stopper_destroy(&a->stop);
		free(a);
		return NULL;
	}
	return a;
}

void
agents_stop(struct agents *a)
{
	if (a == NULL)
		return;
	stopper_stop(&a->stop);
	pthread_join(a->timer, NULL);
	pthread_cond_destroy(&a->confirmed);
	pthread_mutex_destroy(&a->lock);
	stopper_destroy(&a->stop);
	free(a->links);
	free(a);
}

/* The server's lifeline is now this connection. */
static int
agents_link(struct agents *a, const char *server, uint64_t serial)
{
	struct agents_link	*l;
	size_t			 i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].server, server) == 0)
			break;
	if (i == a->nlinks) {
		if (a->nlinks == a->cap) {
			l = reallocarray(a->links, a->cap ? a->cap * 2 : 16,
			    sizeof(*l));
			if (l == NULL) {
				pthread_mutex_unlock(&a->lock);
				return -1;
			}
			a->links = l;
			a->cap = a->cap ? a->cap * 2 : 16;
		}
		snprintf(a->links[i].server, sizeof(a->links[i].server), "%s",
		    server);
		a->nlinks++;
	}
	a->links[i].serial = serial;
	a->links[i].confirmed = 0;
	a->links[i].heard = (uint64_t)time(NULL);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* The agent's first heartbeat on the connection it registered on: it
 * has acknowledged every page and reported its records. */
static void
agents_confirm(struct agents *a, const char *server, uint64_t serial)
{
	size_t	i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].server, server) == 0 &&
		    a->links[i].serial == serial && !a->links[i].confirmed) {
			a->links[i].confirmed = 1;
			pthread_cond_broadcast(&a->confirmed);
		}
	pthread_mutex_unlock(&a->lock);
}

/* a->lock held: the first lender not confirmed, or NULL. */
static const char *
agents_unconfirmed(const struct agents *a, const struct volume_record *v)
{
	size_t		i;
	uint16_t	j;

	for (j = 0; j < v->extent_count; j++) {
		if (v->extents[j].server_retired)
			continue;
		for (i = 0; i < a->nlinks; i++)
			if (strcmp(a->links[i].server,
			    v->extents[j].server) == 0)
				break;
		if (i == a->nlinks || !a->links[i].confirmed)
			return v->extents[j].server;
	}
	return NULL;
}

int
agents_wait_lenders(struct agents *a, const struct volume_record *v,
    long wait_ms, char *why, size_t whylen)
{
	const char	*server;
	int64_t		 grace, deadline;
	struct timespec	 ts;

	grace = a->started + a->mgr->conf->heartbeat_timeout * 1000LL;
	deadline = timeutil_now_ms() + wait_ms;
	pthread_mutex_lock(&a->lock);
	while ((server = agents_unconfirmed(a, v)) != NULL &&
	    timeutil_now_ms() < grace && timeutil_now_ms() < deadline) {
		timeutil_deadline(&ts, CLOCK_MONOTONIC, (deadline < grace ?
		    deadline : grace) - timeutil_now_ms());
		pthread_cond_timedwait(&a->confirmed, &a->lock, &ts);
	}
	if (server != NULL && timeutil_now_ms() < grace) {
		snprintf(why, whylen, "volume %s: server %s has not registered "
		    "since the manager started, so the newest generation it "
		    "has seen is not known yet; try again in a moment",
		    v->name, server);
		pthread_mutex_unlock(&a->lock);
		return -1;
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* 1 if the server's lifeline was this connection (now cut). */
static int
agents_unlink(struct agents *a, const char *server, uint64_t serial)
{
	size_t	i;
	int	was = 0;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nlinks; i++) {
		if (strcmp(a->links[i].server, server) != 0)
			continue;
		if (a->links[i].serial == serial) {
			a->links[i] = a->links[--a->nlinks];
			was = 1;
		}
		break;
	}
	pthread_mutex_unlock(&a->lock);
	return was;
}

void
agents_conn_closed(struct conn *c)
{
	struct agents	*a = c->mgr->agents;

	if (a == NULL || !agents_unlink(a, c->server, c->serial))
		return;
	/* store_server_down logs the change. */
	if (store_server_down(c->mgr->store, c->server) != DSP_OK)
		log_warnx("server %s: cannot record it down", c->server);
}

int
agents_handle_register(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_register		 reg;
	struct msg_generation_page	*page;
	int				 rc;

	rc = msg_decode_register(payload, hdr->payload_length, &reg);
	if (rc == DSP_E_FRAME) {
		snprintf(err, errlen, "malformed register payload");
		return rc;
	}
	if (rc != DSP_OK) {
		snprintf(err, errlen, "register payload has a field out of "
		    "range (a name, port or region count)");
		return rc;
	}
	if (strcmp(reg.server, c->peer) != 0) {
		snprintf(err, errlen, "register names server %s but the "
		    "certificate is for %s", reg.server, c->peer);
		return DSP_E_INVALID;
	}
	if ((page = malloc(sizeof(*page))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	if ((rc = store_register(c->mgr->store, &reg, (uint64_t)time(NULL),
	    page, err, errlen)) != DSP_OK) {
		free(page);
		return rc;
	}
	if (agents_link(c->mgr->agents, reg.server, c->serial) == -1) {
		free(page);
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	snprintf(c->server, sizeof(c->server), "%s", reg.server);
	/* A registering agent may have restarted: its old data port
	 * connection is gone. */
	push_forget(c->mgr->push, reg.server);
	log_info("server %s registered from %s: %u regions, data at %s:%u, "
	    "%u volumes%s", reg.server, c->addr, reg.region_count, reg.host,
	    reg.port, page->gens.count, page->more ? " in the first page" : "");
	msg_encode_generation_page(reply, page);
	free(page);
	return DSP_OK;
}

/* The next page of the generations a registering agent must learn. */
int
agents_handle_generations(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_volume_ref		 after;
	struct msg_generation_page	*page;
	int				 rc;

	rc = msg_decode_volume_ref(payload, hdr->payload_length, &after);
	if (rc != DSP_OK) {
		snprintf(err, errlen, "malformed generations request");
		return rc == DSP_E_FRAME ? rc : DSP_E_INVALID;
	}
	if (c->server[0] == '\0') {
		snprintf(err, errlen, "register before asking for generations");
		return DSP_E_STATE;
	}
	if ((page = malloc(sizeof(*page))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	if ((rc = store_generations(c->mgr->store, c->server, after.volume,
	    page, err, errlen)) == DSP_OK)
		msg_encode_generation_page(reply, page);
	free(page);
	return rc;
}

/* Heard in memory; written only when the store has the server down. */
static int
agents_heard(struct agents *a, const char *server, uint64_t serial,
    char *err, size_t errlen)
{
	struct server_record	sr;
	uint64_t		now = (uint64_t)time(NULL);
	size_t			i;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].server, server) == 0 &&
		    a->links[i].serial == serial)
			a->links[i].heard = now;
	pthread_mutex_unlock(&a->lock);
	if (store_get_server(a->mgr->store, server, &sr) == DSP_OK && sr.up)
		return DSP_OK;
	return store_heartbeat(a->mgr->store, server, now, err, errlen);
}

int
agents_handle_heartbeat(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	(void)payload;
	(void)reply;
	if (hdr->payload_length != 0) {
		snprintf(err, errlen, "malformed heartbeat: %u payload bytes, "
		    "expected none", (unsigned)hdr->payload_length);
		return DSP_E_FRAME;
	}
	if (c->server[0] == '\0') {
		snprintf(err, errlen, "register before sending heartbeats");
		return DSP_E_STATE;
	}
	agents_confirm(c->mgr->agents, c->server, c->serial);
	return agents_heard(c->mgr->agents, c->server, c->serial, err, errlen);
}

int
agents_handle_fence_ack(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_generations	*gens;
	struct msg_volume_names	*asked;
	int			 rc;

	if ((gens = malloc(sizeof(*gens))) == NULL ||
	    (asked = malloc(sizeof(*asked))) == NULL) {
		free(gens);
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	rc = msg_decode_generations(payload, hdr->payload_length, gens);
	if (rc == DSP_E_FRAME)
		snprintf(err, errlen, "malformed fence-ack payload");
	else if (rc != DSP_OK)
		snprintf(err, errlen, "fence-ack payload names a bad volume");
	else if (c->server[0] == '\0') {
		snprintf(err, errlen, "register before acknowledging fences");
		rc = DSP_E_STATE;
	} else if ((rc = store_fence_ack(c->mgr->store, c->server, gens,
	    asked, err, errlen)) == DSP_OK) {
		log_debug("server %s acknowledged %u volume generations, %u "
		    "records asked for", c->server, gens->count, asked->count);
		msg_encode_volume_names(reply, asked);
	}
	free(gens);
	free(asked);
	return rc;
}

/* A record the agent keeps: listed by nobody, or asked for. */
int
agents_handle_volume_record(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	uint8_t	verdict;
	int	rc;

	if (c->server[0] == '\0') {
		snprintf(err, errlen, "register before reporting records");
		return DSP_E_STATE;
	}
	rc = store_record_report(c->mgr->store, c->server, payload,
	    hdr->payload_length, c->mgr->rebuild, (uint64_t)time(NULL),
	    &verdict, err, errlen);
	if (rc != DSP_OK)
		return rc;
	msg_encode_verdict(reply, verdict);
	return DSP_OK;
}
