/*
 * The data port: a gate (gate.h) runs the TLS handshakes and hands each
 * authenticated connection to a thread of its own. A connection answers
 * its requests strictly in order (recv, handle, send), which is all
 * pipelining needs; the TLS layer buffers the rest.
 *
 * Every data request is admitted under its ticket's generation
 * (generations.h) and, when its connection named a stream, under that
 * stream's ownership (streams.h); both are given back before the reply
 * goes out, so a revocation never waits on a slow reader. Long requests
 * run in slices and stop when either is lost.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "channel.h"
#include "gate.h"
#include "generations.h"
#include "holds.h"
#include "log.h"
#include "msg_mirror.h"
#include "records.h"
#include "region.h"
#include "streams.h"
#include "timeutil.h"
#include "tls.h"

#define SERVE_STOP_WAIT_MS	10000
#define SERVE_IDLE_MS		(10 * 60 * 1000)	/* with a ticket */
#define SERVE_CLAIM_WAIT_MS	1000
#define SERVE_SCRATCH		DSP_MAX_IO	/* search read chunk */

struct conn;
TAILQ_HEAD(conn_list, conn);

struct serve {
	struct agent		*agent;
	struct gate		*gate;
	struct streams		*streams;
	struct holds		*holds;		/* legs held for backups */
	pthread_mutex_t		 lock;		/* conns, stopping, running */
	pthread_cond_t		 idle;		/* CLOCK_MONOTONIC */
	pthread_cond_t		 ran;		/* a request ended */
	struct conn_list	 conns;
	unsigned int		 nconns;	/* connection threads alive */
	uint64_t		 serial;
	int			 stopping;
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct serve		*srv;
	struct agent		*agent;
	const char		*log_tag;	/* the gate's (log.h) */
	uint64_t		 serial;
	int			 fd;
	char			 addr[64];
	struct channel		*ch;
	char			 peer[DSP_NAME_MAX + 1];
	int			 role;
	struct buf_writer	 reply;		/* reused for every reply */
	uint8_t			*scratch;	/* SEARCH reads, on first use */
	struct access_table	 access;
	/* The request running now, for its slices; running names its
	 * volume (under srv->lock) for conn_wait_closed. */
	const struct access_slot *slot;
	const char		*running;
	char			 stop_why[160];
};

/* READ replies are built by reading straight into the reply buffer when
 * the codec puts the data blob last (checked once at run time). */
static pthread_once_t	serve_probe_once = PTHREAD_ONCE_INIT;
static int		serve_read_inplace;

static uint32_t
serve_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
serve_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
serve_probe_inplace(void)
{
	struct msg_data_reply	rep;
	struct buf_writer	with, without;

	memset(&rep, 0, sizeof(rep));
	snprintf(rep.requester, sizeof(rep.requester), "r");
	snprintf(rep.volume, sizeof(rep.volume), "v");
	snprintf(rep.region, sizeof(rep.region), "g");
	rep.length = rep.done = 3;
	buf_writer_init(&with);
	buf_writer_init(&without);
	rep.data = (const uint8_t *)"xyz";
	rep.data_len = 3;
	msg_encode_data_reply(&with, DSP_OP_READ, &rep);
	rep.data_len = 0;
	msg_encode_data_reply(&without, DSP_OP_READ, &rep);
	serve_read_inplace = !with.error && !without.error &&
	    without.len >= 4 && with.len == without.len + 3 &&
	    memcmp(with.data, without.data, without.len - 4) == 0 &&
	    serve_get32(without.data + without.len - 4) == 0 &&
	    serve_get32(with.data + without.len - 4) == 3 &&
	    memcmp(with.data + without.len, "xyz", 3) == 0;
	buf_writer_free(&with);
	buf_writer_free(&without);
	if (!serve_read_inplace)
		log_debug("READ replies are copied: data blob is not last");
}

static const char *
serve_opname(uint8_t opcode)
{
	const char	*name = dsp_opcode_name(opcode);

	return name ? name : "unknown";
}

/* Logs and answers a refused request; -1 if the reply could not go. */
static int __attribute__((format(printf, 4, 5)))
conn_refuse(struct conn *c, const struct dsp_header *hdr, uint32_t status,
    const char *fmt, ...)
{
	char	why[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s refused: %s: %s", c->peer, serve_opname(hdr->opcode),
	    dsp_status_name(status), why);
	return channel_reply_error(c->ch, hdr, status, "%s", why) == 0 ? 0 : -1;
}

/* A payload we cannot parse: the stream can no longer be trusted. */
static int
conn_bad_frame(struct conn *c, const struct dsp_header *hdr, const char *why)
{
	log_warnx("%s (%s): malformed %s request: %s; closing connection",
	    c->peer, c->addr, serve_opname(hdr->opcode), why);
	channel_reply_error(c->ch, hdr, DSP_E_FRAME, "malformed %s request: %s",
	    serve_opname(hdr->opcode), why);
	return -1;
}

static int
conn_reply(struct conn *c, const struct dsp_header *hdr)
{
	if (c->reply.error)
		return conn_refuse(c, hdr, DSP_E_INTERNAL, "out of memory");
	return channel_reply(c->ch, hdr, &c->reply) == 0 ? 0 : -1;
}

static int
conn_is_borrower(const struct conn *c)
{
	return c->role == DSP_ROLE_BORROWER || c->role == DSP_ROLE_BACKUP;
}

/* 1 once the peer has closed its side: the borrower gave this
 * connection up (a timeout, an exit), so what it queued on it is moot
 * and may be older than what it sent since on another one. */
static int
conn_peer_left(const struct conn *c)
{
	struct pollfd	pfd = { c->fd, POLLRDHUP, 0 };

	return poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* An agent whose state was lost knows of no revocation yet. */
static int
conn_refuse_unsynced(struct conn *c, const struct dsp_header *hdr)
{
	return conn_refuse(c, hdr, DSP_E_UNAVAILABLE, "server %s started "
	    "with an empty state_dir and serves no data until it has "
	    "registered with the manager and learnt which tickets are "
	    "revoked", c->agent->conf->server);
}

static void
conn_stream_ref(const struct conn *c, const char *volume, uint64_t stream,
    struct stream_ref *ref)
{
	ref->borrower = c->peer;
	ref->volume = volume;
	ref->id = stream;
	ref->conn = c->serial;
}

static void
conn_running(struct conn *c, const char *volume)
{
	pthread_mutex_lock(&c->srv->lock);
	c->running = volume;
	if (volume == NULL)
		pthread_cond_broadcast(&c->srv->ran);
	pthread_mutex_unlock(&c->srv->lock);
}

/* A closed connection of this borrower still running a request on the
 * volume (its disk is slow), or NULL. srv->lock held. */
static struct conn *
conn_closed_running(struct conn *c, const char *volume)
{
	struct conn	*o;

	TAILQ_FOREACH(o, &c->srv->conns, entry)
		if (o != c && o->running != NULL &&
		    strcmp(o->running, volume) == 0 &&
		    strcmp(o->peer, c->peer) == 0 && conn_peer_left(o))
			return o;
	return NULL;
}

/*
 * What a borrower sent on a connection it has given up (a timeout, an
 * exit) must not land after what it sends on a new one: wait until no
 * closed connection of the borrower runs a request on the volume. 0, or
 * -1 when this peer left too.
 */
static int
conn_wait_closed(struct conn *c, const char *volume)
{
	struct timespec	 deadline;
	int		 logged = 0, rc = 0;

	pthread_mutex_lock(&c->srv->lock);
	while (conn_closed_running(c, volume) != NULL) {
		if (!logged++)
			log_info("%s (%s): volume %s: waiting for a request of "
			    "a closed connection of %s to end", c->peer,
			    c->addr, volume, c->peer);
		timeutil_deadline(&deadline, CLOCK_MONOTONIC,
		    SERVE_CLAIM_WAIT_MS);
		(void)pthread_cond_timedwait(&c->srv->ran, &c->srv->lock,
		    &deadline);
		if (conn_peer_left(c)) {
			rc = -1;
			break;
		}
	}
	pthread_mutex_unlock(&c->srv->lock);
	return rc;
}

/* Becomes the owner of the stream once its earlier connections have no
 * request running; 0, or -1 to close the connection. */
static int
conn_claim(struct conn *c, const struct dsp_header *hdr, const char *volume,
    uint64_t stream)
{
	struct stream_ref	ref;
	int			rc;

	conn_stream_ref(c, volume, stream, &ref);
	if ((rc = streams_claim(c->srv->streams, &ref, 0)) == STREAM_WAITING)
		log_info("%s (%s): volume %s: waiting for a request of an "
		    "earlier connection of the same stream to end", c->peer,
		    c->addr, volume);
	while (rc == STREAM_WAITING) {
		if (conn_peer_left(c))
			return -1;
		rc = streams_claim(c->srv->streams, &ref, SERVE_CLAIM_WAIT_MS);
	}
	if (rc == STREAM_OWNED)
		return 0;
	if (rc == STREAM_SUPERSEDED)
		conn_refuse(c, hdr, DSP_E_STALE, "volume %s: a newer "
		    "connection of this stream took over", volume);
	else
		conn_refuse(c, hdr, DSP_E_INTERNAL, "out of memory");
	return -1;
}

static int
conn_attach(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	struct mount_ticket	t;
	struct msg_attach	req;
	struct msg_attached	att;
	struct stream_ref	ref;
	char			why[256];
	uint64_t		replaced;
	int			rc;

	if (!conn_is_borrower(c))
		return conn_refuse(c, hdr, DSP_E_ROLE, "role %s may not attach "
		    "tickets", dsp_role_name(c->role));
	if (msg_decode_attach(payload, hdr->payload_length, &req) != DSP_OK)
		return conn_bad_frame(c, hdr, "payload is not a ticket blob "
		    "and a stream id");
	if (!generations_synced(c->agent->generations))
		return conn_refuse_unsynced(c, hdr);
	rc = ticket_verify(c->agent->verifier, req.ticket, req.ticket_len, &t);
	if (rc == DSP_E_FRAME)
		return conn_refuse(c, hdr, DSP_E_TICKET, "ticket is malformed");
	if (rc != DSP_OK)
		return conn_refuse(c, hdr, DSP_E_TICKET, "ticket signature does "
		    "not verify with the manager's certificate");
	if ((rc = access_admit(c->agent, &t, c->peer, (uint64_t)time(NULL),
	    why, sizeof(why))) != DSP_OK ||
	    (rc = access_attach(&c->access, &t, req.stream, &replaced, why,
	    sizeof(why))) != DSP_OK)
		return conn_refuse(c, hdr, rc, "%s", why);
	if (replaced != 0) {
		conn_stream_ref(c, t.volume, replaced, &ref);
		streams_release(c->srv->streams, &ref);
	}
	if (req.stream != 0 && conn_claim(c, hdr, t.volume, req.stream) == -1)
		return -1;
	if (conn_wait_closed(c, t.volume) == -1)
		return -1;
	log_info("%s attached volume %s generation %llu (%s)", c->peer,
	    t.volume, (unsigned long long)t.generation,
	    t.mode == DSP_MODE_READWRITE ? "read-write" : "read-only");
	memset(&att, 0, sizeof(att));
	snprintf(att.volume, sizeof(att.volume), "%s", t.volume);
	att.generation = t.generation;
	att.expires_at = t.expires_at;
	buf_writer_reset(&c->reply);
	msg_encode_attached(&c->reply, &att);
	return conn_reply(c, hdr);
}

static void
conn_echo(struct msg_data_reply *rep, const struct msg_data_request *req)
{
	memset(rep, 0, sizeof(*rep));
	memcpy(rep->requester, req->requester, sizeof(rep->requester));
	memcpy(rep->volume, req->volume, sizeof(rep->volume));
	memcpy(rep->region, req->region, sizeof(rep->region));
	rep->offset = req->offset;
	rep->length = req->length;
}

static int
conn_scratch(struct conn *c)
{
	if (c->scratch == NULL)
		c->scratch = malloc(SERVE_SCRATCH);
	return c->scratch == NULL ? -1 : 0;
}

/* Between slices of a long request: may it go on? */
static int
conn_go_on(void *arg)
{
	struct conn			*c = arg;
	const struct mount_ticket	*t = &c->slot->ticket;
	struct stream_ref		 ref;
	int				 stopping;

	if (!generations_current(c->agent->generations, t->volume,
	    t->generation)) {
		snprintf(c->stop_why, sizeof(c->stop_why), "ticket generation "
		    "%llu of volume %s was revoked (now %llu)",
		    (unsigned long long)t->generation, t->volume,
		    (unsigned long long)generations_get(c->agent->generations,
		    t->volume));
		return 0;
	}
	conn_stream_ref(c, t->volume, c->slot->stream, &ref);
	if (c->slot->stream != 0 && !streams_owned(c->srv->streams, &ref)) {
		snprintf(c->stop_why, sizeof(c->stop_why), "a newer connection "
		    "of this stream took volume %s over", t->volume);
		return 0;
	}
	pthread_mutex_lock(&c->srv->lock);
	stopping = c->srv->stopping;
	pthread_mutex_unlock(&c->srv->lock);
	if (stopping) {
		snprintf(c->stop_why, sizeof(c->stop_why), "the agent is "
		    "stopping");
		return 0;
	}
	return 1;
}

/* READ straight into the reply. DSP_OK with the reply built, or a status
 * with why. */
static int
conn_read(struct conn *c, const struct msg_data_request *req,
    struct region *r, char *why, size_t whylen)
{
	struct msg_data_reply	rep;
	struct buf_writer	*w = &c->reply;
	size_t			 len = (size_t)req->length;
	int			 rc;

	if (req->length > DSP_MAX_IO) {
		snprintf(why, whylen, "read of %llu bytes; at most %u per "
		    "request", (unsigned long long)req->length, DSP_MAX_IO);
		return DSP_E_TOOBIG;
	}
	conn_echo(&rep, req);
	rep.done = len;
	rep.data = (const uint8_t *)"";
	buf_writer_reset(w);
	pthread_once(&serve_probe_once, serve_probe_inplace);
	if (serve_read_inplace) {
		msg_encode_data_reply(w, DSP_OP_READ, &rep);
		if (w->error || buf_reserve(w, len) == -1) {
			snprintf(why, whylen, "out of memory");
			return DSP_E_INTERNAL;
		}
		if ((rc = region_read(r, req->offset, w->data + w->len, len,
		    why, whylen)) != DSP_OK)
			return rc;
		serve_put32(w->data + w->len - 4, (uint32_t)len);
		w->len += len;
		return DSP_OK;
	}
	if (conn_scratch(c) == -1) {
		snprintf(why, whylen, "out of memory");
		return DSP_E_INTERNAL;
	}
	if ((rc = region_read(r, req->offset, c->scratch, len, why,
	    whylen)) != DSP_OK)
		return rc;
	rep.data = c->scratch;
	rep.data_len = len;
	msg_encode_data_reply(w, DSP_OP_READ, &rep);
	return DSP_OK;
}

static int
conn_search(struct conn *c, const struct msg_data_request *req,
    struct region *r, const struct region_slicer *slicer,
    struct msg_data_reply *rep, char *why, size_t whylen)
{
	uint32_t	max = req->max_matches ? req->max_matches : DSP_MAX_MATCHES;

	if (max > DSP_MAX_MATCHES) {
		snprintf(why, whylen, "max_matches %u is more than %d",
		    req->max_matches, DSP_MAX_MATCHES);
		return DSP_E_INVALID;
	}
	if (conn_scratch(c) == -1) {
		snprintf(why, whylen, "out of memory");
		return DSP_E_INTERNAL;
	}
	return region_search(r, req->offset, req->length, req->data,
	    req->data_len, max, c->scratch, SERVE_SCRATCH, slicer,
	    rep->matches, &rep->match_count, &rep->done, why, whylen);
}

/* Everything but READ: do it, then build the reply with the bytes done. */
static int
conn_io(struct conn *c, uint8_t opcode, const struct msg_data_request *req,
    struct region *r, char *why, size_t whylen)
{
	const struct region_slicer	 slicer = { conn_go_on, c };
	struct msg_data_reply		 rep;
	int				 rc = DSP_OK;

	conn_echo(&rep, req);
	switch (opcode) {
	case DSP_OP_WRITE:
		if (req->data_len != req->length) {
			snprintf(why, whylen, "write length %llu but %zu bytes "
			    "of data", (unsigned long long)req->length,
			    req->data_len);
			return DSP_E_INVALID;
		}
		rc = region_write(r, req->offset, req->data, req->data_len, why,
		    whylen);
		rep.done = req->length;
		break;
	case DSP_OP_INIT:
	case DSP_OP_ERASE:
		rc = region_zero(r, req->offset, req->length, &slicer,
		    &rep.done, why, whylen);
		break;
	case DSP_OP_SEARCH:
		rc = conn_search(c, req, r, &slicer, &rep, why, whylen);
		break;
	case DSP_OP_FLUSH:
		rc = region_flush(r, why, whylen);
		break;
	case DSP_OP_MAP:
		rc = region_map(r, req->offset, req->length, rep.runs,
		    DSP_MAX_RUNS, &rep.run_count, &rep.done, why, whylen);
		break;
	}
	if (rc != DSP_OK)
		return rc;
	buf_writer_reset(&c->reply);
	msg_encode_data_reply(&c->reply, opcode, &rep);
	return DSP_OK;
}

static int
conn_modifies(uint8_t opcode)
{
	return opcode == DSP_OP_WRITE || opcode == DSP_OP_INIT ||
	    opcode == DSP_OP_ERASE;
}

/*
 * A leg held for a backup copy takes no write: the borrower's client
 * takes this refusal for a broken leg and reports it (LEG_FAIL), so
 * the manager's bitmap records what the leg misses. 1 admitted
 * (holds_end_write owed), 0 refused with why, -1 out of memory.
 */
static int
conn_hold_admit(struct conn *c, const struct mount_ticket *t,
    struct region *r, char *why, size_t whylen)
{
	int	rc;

	if ((rc = holds_begin_write(c->srv->holds, t->volume)) == 0)
		snprintf(why, whylen, "volume %s: leg %s:%s held for a backup "
		    "copy", t->volume, c->agent->conf->server, region_name(r));
	else if (rc == -1)
		snprintf(why, whylen, "out of memory");
	return rc;
}

/*
 * Admits the request under its ticket's generation and its stream (and
 * a write, unless its leg is held), runs it, and gives them back before
 * the reply goes out.
 */
static int
conn_run(struct conn *c, const struct dsp_header *hdr,
    const struct msg_data_request *req, struct region *r)
{
	const struct mount_ticket	*t = &c->slot->ticket;
	struct stream_ref		 ref;
	char				 why[400], full[600];
	uint64_t			 highest;
	int				 rc, held;

	held = conn_modifies(hdr->opcode);
	if (held && (rc = conn_hold_admit(c, t, r, why, sizeof(why))) != 1)
		return conn_refuse(c, hdr, rc == 0 ? DSP_E_UNAVAILABLE :
		    DSP_E_INTERNAL, "%s", why);
	conn_stream_ref(c, t->volume, c->slot->stream, &ref);
	if (ref.id != 0 && streams_begin(c->srv->streams, &ref) != STREAM_OWNED) {
		if (held)
			holds_end_write(c->srv->holds, t->volume);
		conn_refuse(c, hdr, DSP_E_STALE, "volume %s: a newer connection "
		    "of this stream took over; closing this one", t->volume);
		return -1;
	}
	if (generations_begin(c->agent->generations, t->volume, t->generation,
	    &highest) != DSP_OK) {
		if (held)
			holds_end_write(c->srv->holds, t->volume);
		if (ref.id != 0)
			streams_end(c->srv->streams, &ref);
		return conn_refuse(c, hdr, DSP_E_STALE, "ticket generation %llu "
		    "of volume %s has been revoked (now %llu)",
		    (unsigned long long)t->generation, t->volume,
		    (unsigned long long)highest);
	}
	c->stop_why[0] = '\0';
	conn_running(c, t->volume);
	if (hdr->opcode == DSP_OP_READ)
		rc = conn_read(c, req, r, why, sizeof(why));
	else
		rc = conn_io(c, hdr->opcode, req, r, why, sizeof(why));
	/* Logged while the request still counts as running: a revocation
	 * waiting for it is logged after this line. */
	if (rc == DSP_E_STALE && c->stop_why[0] != '\0')
		log_info("%s (%s): %s: %s", c->peer, c->addr, c->stop_why, why);
	generations_end(c->agent->generations, t->volume, t->generation);
	if (held)
		holds_end_write(c->srv->holds, t->volume);
	if (ref.id != 0)
		streams_end(c->srv->streams, &ref);
	conn_running(c, NULL);
	if (rc == DSP_OK)
		return conn_reply(c, hdr);
	if (rc == DSP_E_STALE && c->stop_why[0] != '\0') {
		snprintf(full, sizeof(full), "%s: %s", c->stop_why, why);
		return conn_refuse(c, hdr, rc, "%s", full);
	}
	return conn_refuse(c, hdr, rc, "%s", why);
}

static int
conn_data(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	struct msg_data_request	 req;
	struct region		*r = NULL;
	char			 why[256];
	int			 rc;

	if (!conn_is_borrower(c))
		return conn_refuse(c, hdr, DSP_E_ROLE, "role %s may not use "
		    "regions", dsp_role_name(c->role));
	rc = msg_decode_data_request(payload, hdr->payload_length, hdr->opcode,
	    &req);
	if (rc == DSP_E_FRAME)
		return conn_bad_frame(c, hdr, "bad data request payload");
	if (rc != DSP_OK)
		return conn_refuse(c, hdr, rc, "invalid %s request",
		    serve_opname(hdr->opcode));
	if (!generations_synced(c->agent->generations))
		return conn_refuse_unsynced(c, hdr);
	if (conn_peer_left(c)) {
		log_info("%s (%s): the peer closed the connection; its queued "
		    "%s request of volume %s is dropped", c->peer, c->addr,
		    serve_opname(hdr->opcode), req.volume);
		return -1;
	}
	if ((rc = access_check(c->agent, &c->access, c->peer, hdr->opcode, &req,
	    &r, &c->slot, why, sizeof(why))) != DSP_OK)
		return conn_refuse(c, hdr, rc, "%s", why);
	return conn_run(c, hdr, &req, r);
}

/* Only the manager whose key signs our tickets may fence volumes and
 * hand us their records. */
static int
conn_is_manager(const struct conn *c)
{
	return c->role == DSP_ROLE_MANAGER &&
	    strcmp(c->peer, c->agent->manager_name) == 0;
}

static int
conn_refuse_not_manager(struct conn *c, const struct dsp_header *hdr)
{
	return conn_refuse(c, hdr, DSP_E_ROLE, "only the manager (%s) may %s",
	    c->agent->manager_name, hdr->opcode == DSP_OP_REVOKE ?
	    "revoke tickets" : hdr->opcode == DSP_OP_LEG_HOLD ?
	    "hold mirror legs" : "change volume records");
}

/* REVOKE raises the volume's generation; VOLUME_DROP also forgets its
 * record (the volume was deleted), but never the generation. */
static int
conn_revoke(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	struct msg_revoke	rv;
	char			why[256];
	int			drop = hdr->opcode == DSP_OP_VOLUME_DROP;

	if (!conn_is_manager(c))
		return conn_refuse_not_manager(c, hdr);
	if (msg_decode_revoke(payload, hdr->payload_length, &rv) != DSP_OK)
		return conn_bad_frame(c, hdr, "bad payload");
	/* Returns once no request under an older generation runs. */
	if (generations_raise_one(c->agent->generations, rv.volume,
	    rv.generation, why, sizeof(why)) == -1 ||
	    (drop && records_drop(c->agent->records, rv.volume,
	    rv.generation, NULL, why, sizeof(why)) == -1))
		return conn_refuse(c, hdr, DSP_E_IO, "%s", why);
	if (drop)
		log_info("volume %s deleted: its record is dropped", rv.volume);
	else
		log_info("volume %s revoked below generation %llu", rv.volume,
		    (unsigned long long)rv.generation);
	buf_writer_reset(&c->reply);
	return conn_reply(c, hdr);
}

/*
 * The record kept here is another one at a revision the pushed one has
 * not passed: the manager's table went back (restored from a copy), and
 * it must see this record (at registration) before anything replaces
 * it. In step, every push carries a higher revision, or the same record.
 */
static int
conn_record_newer(struct conn *c, const struct msg_volume_record *rec,
    const uint8_t *payload, size_t len, char *why, size_t whylen)
{
	uint8_t		kept[DSP_DIGEST_LEN], pushed[DSP_DIGEST_LEN];
	uint64_t	revision;

	if (records_summary(c->agent->records, rec->name, &revision,
	    kept) != 1 || rec->revision > revision)
		return 0;
	msg_digest_bytes(payload, len, pushed);
	if (memcmp(kept, pushed, DSP_DIGEST_LEN) == 0)
		return 0;
	snprintf(why, whylen, "server %s keeps revision %llu of volume %s, "
	    "another record than the pushed revision %llu; the manager sees "
	    "it when this server registers", c->agent->conf->server,
	    (unsigned long long)revision, rec->name,
	    (unsigned long long)rec->revision);
	return 1;
}

/*
 * A volume's record, which is also its revocation: the generation is
 * raised (and older requests drained) before the record is kept, so a
 * record is never newer than the fence here.
 */
static int
conn_volume_put(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	struct msg_volume_record	*rec;
	uint64_t			 seen;
	char				 why[256];
	int				 rc;

	if (!conn_is_manager(c))
		return conn_refuse_not_manager(c, hdr);
	if ((rec = malloc(sizeof(*rec))) == NULL)
		return conn_refuse(c, hdr, DSP_E_INTERNAL, "out of memory");
	rc = msg_decode_volume_record(payload, hdr->payload_length, rec);
	if (rc == DSP_E_FRAME) {
		free(rec);
		return conn_bad_frame(c, hdr, "bad volume record");
	}
	if (rc != DSP_OK)
		rc = conn_refuse(c, hdr, rc, "invalid volume record");
	else if (!msg_volume_record_uses(rec, c->agent->conf->server))
		rc = conn_refuse(c, hdr, DSP_E_INVALID, "volume %s has no "
		    "extent on server %s", rec->name, c->agent->conf->server);
	else if (conn_record_newer(c, rec, payload, hdr->payload_length,
	    why, sizeof(why)))
		rc = conn_refuse(c, hdr, DSP_E_STALE, "%s", why);
	else if ((seen = generations_get(c->agent->generations,
	    rec->name)) > rec->generation)
		rc = conn_refuse(c, hdr, DSP_E_STALE, "the record of volume %s "
		    "is of generation %llu, but generation %llu was seen here",
		    rec->name, (unsigned long long)rec->generation,
		    (unsigned long long)seen);
	else if (generations_raise_one(c->agent->generations, rec->name,
	    rec->generation, why, sizeof(why)) == -1 ||
	    records_put(c->agent->records, rec, why, sizeof(why)) == -1)
		rc = conn_refuse(c, hdr, DSP_E_IO, "%s", why);
	else {
		if (seen != 0 && seen < rec->generation)
			log_info("volume %s revoked below generation %llu",
			    rec->name, (unsigned long long)rec->generation);
		log_debug("volume %s: record of generation %llu revision %llu "
		    "kept", rec->name, (unsigned long long)rec->generation,
		    (unsigned long long)rec->revision);
		buf_writer_reset(&c->reply);
		rc = conn_reply(c, hdr);
	}
	free(rec);
	return rc;
}

/*
 * LEG_HOLD: a mirror leg here is held still for a backup copy (or
 * given back). The reply goes once no write admitted before the hold
 * runs: the manager's promise to the backup rests on it.
 */
static int
conn_leg_hold(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	struct msg_leg_hold	h;
	int			held;

	if (!conn_is_manager(c))
		return conn_refuse_not_manager(c, hdr);
	if (msg_decode_leg_hold(payload, hdr->payload_length, &h) != DSP_OK)
		return conn_bad_frame(c, hdr, "bad payload");
	if (h.hold == DSP_HOLD_RENEW)
		held = holds_renew(c->srv->holds, h.volume, h.lease);
	else if ((held = holds_set(c->srv->holds, h.volume,
	    h.hold == DSP_HOLD_SET ? h.lease : 0)) == -1)
		return conn_refuse(c, hdr, DSP_E_INTERNAL, "out of memory");
	if (h.hold == DSP_HOLD_SET)
		log_info("volume %s held for a backup copy: borrowers' writes "
		    "refused for up to %u s", h.volume, h.lease);
	else if (h.hold == DSP_HOLD_LIFT && held)
		log_info("volume %s no longer held for a backup copy",
		    h.volume);
	/* The manager learns that writes may have landed under a copy. */
	if (h.hold != DSP_HOLD_SET && !held)
		return conn_refuse(c, hdr, DSP_E_STATE, "volume %s was not "
		    "held on server %s (it restarted, or the hold's lease ran "
		    "out)", h.volume, c->agent->conf->server);
	buf_writer_reset(&c->reply);
	return conn_reply(c, hdr);
}

static int
conn_handle(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	if (hdr->flags & DSP_FLAG_REPLY)
		return conn_bad_frame(c, hdr, "reply frame sent as a request");
	switch (hdr->opcode) {
	case DSP_OP_ATTACH:
		return conn_attach(c, hdr, payload);
	case DSP_OP_INIT:
	case DSP_OP_WRITE:
	case DSP_OP_READ:
	case DSP_OP_SEARCH:
	case DSP_OP_ERASE:
	case DSP_OP_FLUSH:
	case DSP_OP_MAP:
		return conn_data(c, hdr, payload);
	case DSP_OP_REVOKE:
	case DSP_OP_VOLUME_DROP:
		return conn_revoke(c, hdr, payload);
	case DSP_OP_VOLUME_PUT:
		return conn_volume_put(c, hdr, payload);
	case DSP_OP_LEG_HOLD:
		return conn_leg_hold(c, hdr, payload);
	default:
		return conn_refuse(c, hdr, DSP_E_OPCODE, "the agent does not "
		    "serve %s requests", serve_opname(hdr->opcode));
	}
}

/* A borrower without a ticket has no business holding a connection
 * long; the manager and ticket holders may idle a while. */
static int
conn_idle_ms(const struct conn *c)
{
	if (c->access.count == 0 && c->role != DSP_ROLE_MANAGER)
		return c->agent->conf->idle_timeout * 1000;
	return SERVE_IDLE_MS;
}

static void
conn_loop(struct conn *c)
{
	struct dsp_header	 hdr;
	const uint8_t		*payload;
	int			 rc;

	for (;;) {
		memset(&hdr, 0, sizeof(hdr));
		channel_set_timeout(c->ch, conn_idle_ms(c));
		errno = 0;
		rc = channel_recv(c->ch, &hdr, &payload);
		if (rc == -1) {
			if (errno == ETIMEDOUT)
				log_debug("%s (%s): idle for %d s; closing "
				    "connection", c->peer, c->addr,
				    conn_idle_ms(c) / 1000);
			return;
		}
		if (rc != DSP_OK) {
			log_warnx("%s (%s): malformed frame: %s; closing "
			    "connection", c->peer, c->addr, dsp_status_name(rc));
			/* Without our magic and a known opcode the peer
			 * could not read an answer anyway. */
			if (hdr.magic == DSP_MAGIC &&
			    dsp_opcode_name(hdr.opcode) != NULL)
				channel_reply_error(c->ch, &hdr, (uint32_t)rc,
				    "malformed frame: %s", dsp_status_name(rc));
			return;
		}
		if (conn_handle(c, &hdr, payload) == -1)
			return;
	}
}

/* The streams this connection owns go to nobody. */
static void
conn_release_streams(struct conn *c)
{
	struct stream_ref	ref;
	unsigned int		i;

	for (i = 0; i < c->access.count; i++) {
		if (c->access.slots[i].stream == 0)
			continue;
		conn_stream_ref(c, c->access.slots[i].ticket.volume,
		    c->access.slots[i].stream, &ref);
		streams_release(c->srv->streams, &ref);
	}
}

static void
conn_free(struct conn *c)
{
	struct serve	*s = c->srv;

	conn_release_streams(c);
	pthread_mutex_lock(&s->lock);
	TAILQ_REMOVE(&s->conns, c, entry);
	pthread_mutex_unlock(&s->lock);
	channel_close(c->ch);
	gate_release(s->gate, c->peer);
	buf_writer_free(&c->reply);
	free(c->scratch);
	free(c);
	pthread_mutex_lock(&s->lock);
	if (--s->nconns == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

static void *
conn_main(void *arg)
{
	struct conn	*c = arg;
	int		 on = 1;

	log_set_tag(c->log_tag);
	/* Notice borrowers that vanished without closing. */
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	log_debug("%s: connected as %s (%s), %s", c->addr, c->peer,
	    dsp_role_name(c->role), tls_cipher_name(channel_tls(c->ch)));
	conn_loop(c);
	log_debug("%s (%s): connection closed", c->peer, c->addr);
	conn_free(c);
	return NULL;
}

/* The gate's hand-off: a thread per authenticated connection. */
static void
serve_handoff(void *arg, struct tls_conn *tls, const char *addr)
{
	struct serve	*s = arg;
	struct conn	*c;
	pthread_attr_t	 attr;
	pthread_t	 tid;
	int		 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("%s: out of memory for a connection", addr);
		gate_release(s->gate, tls_peer_name(tls));
		tls_close(tls);
		return;
	}
	c->srv = s;
	c->agent = s->agent;
	c->log_tag = log_tag();
	c->fd = tls_fd(tls);
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	snprintf(c->peer, sizeof(c->peer), "%s", tls_peer_name(tls));
	c->role = tls_peer_role(tls);
	buf_writer_init(&c->reply);
	access_init(&c->access);
	if ((c->ch = channel_from_tls(tls)) == NULL)
		goto fail;
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		goto fail;
	}
	c->serial = ++s->serial;
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	s->nconns++;
	pthread_mutex_unlock(&s->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, conn_main, c);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return;
	log_warnx("%s: cannot start a connection thread: %s", addr,
	    strerror(rc));
	conn_free(c);
	return;
fail:
	gate_release(s->gate, c->peer);
	channel_close(c->ch);
	buf_writer_free(&c->reply);
	free(c);
}

struct serve *
serve_start(struct agent *a, int listen_fd, char *err, size_t errlen)
{
	struct serve	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->streams = streams_new()) == NULL ||
	    (s->holds = holds_new()) == NULL) {
		if (s != NULL)
			streams_free(s->streams);
		free(s);
		close(listen_fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->agent = a;
	TAILQ_INIT(&s->conns);
	pthread_mutex_init(&s->lock, NULL);
	timeutil_cond_init(&s->idle);
	timeutil_cond_init(&s->ran);
	if ((s->gate = gate_start(listen_fd, a->tls_server, &a->conf->gate,
	    serve_handoff, s, "data port", err, errlen)) == NULL) {
		streams_free(s->streams);
		holds_free(s->holds);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->idle);
		pthread_cond_destroy(&s->ran);
		free(s);
		return NULL;
	}
	return s;
}

int
serve_stop(struct serve *s)
{
	struct timespec	 deadline;
	struct conn	*c;
	unsigned int	 left;

	if (s == NULL)
		return 0;
	gate_stop(s->gate);
	timeutil_deadline(&deadline, CLOCK_MONOTONIC, SERVE_STOP_WAIT_MS);
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	/* Wakes every connection thread out of its read. */
	TAILQ_FOREACH(c, &s->conns, entry)
		shutdown(c->fd, SHUT_RDWR);
	while (s->nconns > 0)
		if (pthread_cond_timedwait(&s->idle, &s->lock,
		    &deadline) == ETIMEDOUT)
			break;
	left = s->nconns;
	pthread_mutex_unlock(&s->lock);
	if (left > 0) {
		/* Threads still running own s; leave it to exit(). */
		log_warnx("%u connections did not close in time", left);
		return -1;
	}
	gate_free(s->gate);
	streams_free(s->streams);
	holds_free(s->holds);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->ran);
	free(s);
	return 0;
}
