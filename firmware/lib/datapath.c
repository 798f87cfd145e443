/*
 * The data connection of one volume handle to one lending agent: TLS,
 * ATTACH with the mount ticket, then requests pipelined up to DP_WINDOW
 * deep. Replies come in order; each is matched to its request by id and
 * its echo checked before anything is taken from it.
 *
 * A connection that breaks (agent restart, reset) is reopened with
 * backoff for up to retry_ms, re-ATTACHed, and the requests still
 * unanswered are sent again: every data request is idempotent. A
 * refusal is never retried.
 *
 * A plain transport: it is given the agent's address and name, the
 * volume and the ticket, and knows nothing of volume handles; the job's
 * refresh hook hands down a renewed ticket.
 *
 * One thread drives a datapath: an mbedTLS context is not safe for a
 * reader and a writer at once, and a window of 8 keeps the pipe full.
 * Another thread may only interrupt it: shutdown(2) of the socket under
 * ilock wakes the driver from any read, write or backoff, and the driver
 * closes the connection itself. A connection attempt in progress is not
 * cut short; it ends within its timeout.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "internal.h"
#include "log.h"
#include "timeutil.h"
#include "tls.h"

#define DP_LOST			(-100)	/* connection failed: reconnect */
#define DP_MAX_LOST		8	/* reconnects without a reply between */
#define DP_BACKOFF_MIN_MS	100
#define DP_BACKOFF_MAX_MS	2000

struct datapath {
	struct tls_config	*tls;
	char			 server[DSP_NAME_MAX + 1];
	char			 host[DSP_NAME_MAX + 1];
	uint16_t		 port;
	char			 requester[DSP_NAME_MAX + 1];
	char			 volume[DSP_NAME_MAX + 1];
	int			 timeout_ms;
	int			 retry_ms;
	int			 once;
	/* The ticket handed down, and which one the agent has. */
	uint8_t			 ticket[DSP_TICKET_MAX];
	size_t			 ticket_len;
	uint64_t		 generation;
	uint64_t		 serial;
	int			 attached;
	uint64_t		 stream;	/* the same on every reconnect */
	uint64_t		 attached_serial;
	struct channel		*ch;
	uint64_t		 next_id;
	struct buf_writer	 wbuf;
	struct dp_req		 q[DP_WINDOW];	/* sent, not yet answered */
	unsigned		 head;
	unsigned		 count;
	unsigned		 lost;		/* reconnects since a reply */
	/* ilock guards the three below, for datapath_interrupt. */
	pthread_mutex_t		 ilock;
	pthread_cond_t		 icond;		/* wakes a backoff */
	int			 sock;		/* the connection's, or -1 */
	int			 stopped;	/* the interrupt's code, or 0 */
	char			 stop_why[DASPOOL_ERRLEN];
	char			 why[DASPOOL_ERRLEN];	/* last connection failure */
	char			 err[DASPOOL_ERRLEN];	/* why the last run failed */
};

static int	datapath_stopped(struct datapath *);
static void	datapath_pause(struct datapath *, int64_t);
static int	datapath_attach(struct datapath *);
static int	datapath_connect_once(struct datapath *, const struct dp_job *,
		    int);
static int	datapath_connect(struct datapath *, const struct dp_job *);
static int	datapath_send(struct datapath *, struct dp_req *);
static int	datapath_receive(struct datapath *, struct dp_req *,
		    struct msg_data_reply *);
static int	datapath_verify(struct datapath *, struct dp_req *,
		    struct msg_data_reply *);
static int	datapath_recover(struct datapath *, const struct dp_job *);
static const char *datapath_opname(uint8_t);

struct datapath *
datapath_new(const struct datapath_params *p)
{
	struct datapath	*dp;

	if ((dp = calloc(1, sizeof(*dp))) == NULL)
		return NULL;
	dp->tls = p->tls;
	snprintf(dp->server, sizeof(dp->server), "%s", p->server);
	snprintf(dp->host, sizeof(dp->host), "%s", p->host);
	dp->port = p->port;
	snprintf(dp->requester, sizeof(dp->requester), "%s", p->requester);
	snprintf(dp->volume, sizeof(dp->volume), "%s", p->volume);
	dp->timeout_ms = p->timeout_ms;
	dp->retry_ms = p->retry_ms;
	dp->once = p->once;
	dp->sock = -1;
	pthread_mutex_init(&dp->ilock, NULL);
	timeutil_cond_init(&dp->icond);
	buf_writer_init(&dp->wbuf);
	/* Lets the agent retire this connection's requests when it
	 * reconnects; any value but 0 will do, unique is what matters. */
	while (dp->stream == 0)
		if (getrandom(&dp->stream, sizeof(dp->stream), 0) !=
		    sizeof(dp->stream))
			dp->stream = (uint64_t)(uintptr_t)dp ^
			    (uint64_t)timeutil_now_ms();
	return dp;
}

void
datapath_free(struct datapath *dp)
{
	if (dp == NULL)
		return;
	datapath_disconnect(dp);
	buf_writer_free(&dp->wbuf);
	pthread_cond_destroy(&dp->icond);
	pthread_mutex_destroy(&dp->ilock);
	free(dp);
}

void
datapath_set_ticket(struct datapath *dp, const uint8_t *ticket, size_t len,
    uint64_t generation, uint64_t serial)
{
	/* The mount info decoder bounds tickets; an oversized one is
	 * dropped and ATTACH says so. */
	if (len > sizeof(dp->ticket))
		len = 0;
	memcpy(dp->ticket, ticket, len);
	dp->ticket_len = len;
	dp->generation = generation;
	dp->serial = serial;
}

int
datapath_has_ticket(const struct datapath *dp, uint64_t serial)
{
	return dp->ticket_len > 0 && dp->serial == serial;
}

void
datapath_interrupt(struct datapath *dp, int code, const char *why)
{
	pthread_mutex_lock(&dp->ilock);
	if (dp->stopped == 0) {
		dp->stopped = code;
		snprintf(dp->stop_why, sizeof(dp->stop_why), "%s", why);
	}
	if (dp->sock != -1)
		(void)shutdown(dp->sock, SHUT_RDWR);
	pthread_cond_broadcast(&dp->icond);
	pthread_mutex_unlock(&dp->ilock);
}

/* The interrupt's code, with its sentence as the run's error; or 0. */
static int
datapath_stopped(struct datapath *dp)
{
	int	code;

	pthread_mutex_lock(&dp->ilock);
	if ((code = dp->stopped) != 0)
		snprintf(dp->err, sizeof(dp->err), "%s", dp->stop_why);
	pthread_mutex_unlock(&dp->ilock);
	return code;
}

/* A backoff sleep that an interrupt ends at once. */
static void
datapath_pause(struct datapath *dp, int64_t ms)
{
	struct timespec	ts;

	timeutil_deadline(&ts, CLOCK_MONOTONIC, ms);
	pthread_mutex_lock(&dp->ilock);
	while (dp->stopped == 0)
		if (pthread_cond_timedwait(&dp->icond, &dp->ilock, &ts) ==
		    ETIMEDOUT)
			break;
	pthread_mutex_unlock(&dp->ilock);
}

void
datapath_disconnect(struct datapath *dp)
{
	/* Unpublished first: an interrupt never shuts a reused fd. */
	pthread_mutex_lock(&dp->ilock);
	dp->sock = -1;
	pthread_mutex_unlock(&dp->ilock);
	channel_close(dp->ch);
	dp->ch = NULL;
	dp->attached = 0;
}

/* Each leg of a mirror runs in its own thread: errors stay with the
 * connection until the volume takes the one it reports. */
void
datapath_seterr(struct datapath *dp, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(dp->err, sizeof(dp->err), fmt, ap);
	va_end(ap);
}

const char *
datapath_error(const struct datapath *dp)
{
	return dp->err;
}

const char *
datapath_server(const struct datapath *dp)
{
	return dp->server;
}

static const char *
datapath_opname(uint8_t opcode)
{
	const char	*name = dsp_opcode_name(opcode);

	return name != NULL ? name : "request";
}

/* Presents the ticket handed down on this connection. */
static int
datapath_attach(struct datapath *dp)
{
	struct msg_attach	 req;
	struct msg_attached	 att;
	struct buf_writer	 w;
	const uint8_t		*reply;
	size_t			 len;
	char			 why[DASPOOL_ERRLEN];
	int			 rc;

	if (dp->ticket_len == 0) {
		datapath_seterr(dp, "no mount ticket of volume %s to present "
		    "to agent %s", dp->volume, dp->server);
		return DASPOOL_ERR_SYSTEM;
	}
	buf_writer_init(&w);
	req.ticket = dp->ticket;
	req.ticket_len = dp->ticket_len;
	req.stream = dp->stream;
	msg_encode_attach(&w, &req);
	rc = channel_call(dp->ch, DSP_OP_ATTACH, &w, &reply, &len, why,
	    sizeof(why));
	buf_writer_free(&w);
	if (rc == -1) {
		snprintf(dp->why, sizeof(dp->why), "%s", why);
		return DP_LOST;
	}
	if (rc != DSP_OK) {
		datapath_seterr(dp, "agent %s refused the ticket of volume %s: "
		    "%s", dp->server, dp->volume, why);
		return rc;
	}
	if ((rc = msg_decode_attached(reply, len, &att)) != DSP_OK) {
		datapath_seterr(dp, "malformed ATTACH reply from agent %s (%s)",
		    dp->server, dsp_status_name((uint32_t)rc));
		return DASPOOL_ERR_PROTOCOL;
	}
	if (strcmp(att.volume, dp->volume) != 0 ||
	    att.generation != dp->generation) {
		datapath_seterr(dp, "agent %s attached volume %s generation "
		    "%llu instead of %s generation %llu", dp->server,
		    att.volume, (unsigned long long)att.generation, dp->volume,
		    (unsigned long long)dp->generation);
		return DASPOOL_ERR_PROTOCOL;
	}
	dp->attached = 1;
	dp->attached_serial = dp->serial;
	return 0;
}

static int
datapath_connect_once(struct datapath *dp, const struct dp_job *job,
    int timeout_ms)
{
	const struct tls_peer	 agent = { DSP_ROLE_AGENT, dp->server };
	struct tls_conn		*t;
	int			 rc, stopped;

	if (job->refresh != NULL &&
	    (rc = job->refresh(job->refresh_arg, dp)) != 0)
		return rc;
	t = tls_connect(dp->tls, dp->host, dp->port, &agent, timeout_ms,
	    dp->why, sizeof(dp->why));
	if (t == NULL) {
		/* A peer that answers but refuses our certificate or
		 * cipher, or is not the agent we expect, will not change:
		 * only a connection that could not be made is retried. */
		if (errno == EACCES) {
			datapath_seterr(dp, "agent %s at %s:%u: %s",
			    dp->server, dp->host, dp->port, dp->why);
			return DASPOOL_ERR_CONNECT;
		}
		return DP_LOST;
	}
	if ((dp->ch = channel_from_tls(t)) == NULL) {
		datapath_seterr(dp, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	channel_set_timeout(dp->ch, dp->timeout_ms);
	/* Published for datapath_interrupt, unless one came meanwhile. */
	pthread_mutex_lock(&dp->ilock);
	if ((stopped = dp->stopped) == 0)
		dp->sock = channel_fd(dp->ch);
	pthread_mutex_unlock(&dp->ilock);
	if (stopped != 0) {
		datapath_disconnect(dp);
		return datapath_stopped(dp);
	}
	rc = datapath_attach(dp);
	/* It reaches the manager again and no longer honours our expired
	 * ticket: renew and present the new one. */
	if (rc == DSP_E_EXPIRED && job->renew != NULL &&
	    job->renew(job->refresh_arg, dp) == 0)
		rc = datapath_attach(dp);
	if (rc != 0)
		datapath_disconnect(dp);
	return rc;
}

/* Connects and attaches, retrying with backoff for retry_ms. */
static int
datapath_connect(struct datapath *dp, const struct dp_job *job)
{
	int64_t	 deadline, left, backoff = DP_BACKOFF_MIN_MS;
	int	 rc;

	deadline = timeutil_now_ms() + dp->retry_ms;
	for (;;) {
		if ((rc = datapath_stopped(dp)) != 0)
			return rc;
		left = deadline - timeutil_now_ms();
		rc = datapath_connect_once(dp, job, left > 0 ? (int)left : 1);
		if (rc != DP_LOST)
			return rc;
		if ((left = deadline - timeutil_now_ms()) <= 0)
			break;
		log_debug("agent %s at %s:%u: %s; retrying", dp->server,
		    dp->host, dp->port, dp->why);
		datapath_pause(dp, backoff < left ? backoff : left);
		if ((backoff *= 2) > DP_BACKOFF_MAX_MS)
			backoff = DP_BACKOFF_MAX_MS;
	}
	datapath_seterr(dp, "cannot reach agent %s at %s:%u within %d s: "
	    "%s", dp->server, dp->host, dp->port, (dp->retry_ms + 999) / 1000,
	    dp->why);
	return DASPOOL_ERR_CONNECT;
}

static int
datapath_send(struct datapath *dp, struct dp_req *r)
{
	struct msg_data_request	 m;

	memset(&m, 0, sizeof(m));
	memcpy(m.requester, dp->requester, sizeof(m.requester));
	memcpy(m.volume, dp->volume, sizeof(m.volume));
	snprintf(m.region, sizeof(m.region), "%s", r->region);
	m.offset = r->offset;
	m.length = r->length;
	m.max_matches = r->opcode == DSP_OP_SEARCH ? r->max_matches : 0;
	m.data = r->data;
	m.data_len = r->data_len;
	buf_writer_reset(&dp->wbuf);
	msg_encode_data_request(&dp->wbuf, r->opcode, &m);
	if (dp->wbuf.error) {
		datapath_seterr(dp, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	errno = 0;
	if (channel_send(dp->ch, r->opcode, 0, r->id, 0, dp->wbuf.data,
	    dp->wbuf.len) == -1) {
		snprintf(dp->why, sizeof(dp->why), "%s",
		    errno ? strerror(errno) : "send failed");
		return DP_LOST;
	}
	return 0;
}

static int
datapath_receive(struct datapath *dp, struct dp_req *r,
    struct msg_data_reply *reply)
{
	struct dsp_header	 hdr;
	const uint8_t		*p;
	char			 msg[DASPOOL_ERRLEN];
	int			 rc;

	errno = 0;
	if ((rc = channel_recv(dp->ch, &hdr, &p)) == -1) {
		snprintf(dp->why, sizeof(dp->why), "%s",
		    errno == ETIMEDOUT ? "no reply in time" :
		    errno == 0 || errno == ECONNRESET ?
		    "connection closed by the agent" : strerror(errno));
		return DP_LOST;
	}
	if (rc != DSP_OK) {
		datapath_seterr(dp, "agent %s sent a malformed frame (%s)",
		    dp->server, dsp_status_name((uint32_t)rc));
		return DASPOOL_ERR_PROTOCOL;
	}
	if (channel_is_refusal(&hdr)) {
		channel_error_text(p, hdr.payload_length, msg, sizeof(msg));
		datapath_seterr(dp, "agent %s refused the connection: %s",
		    dp->server, msg);
		return hdr.status > INT_MAX ? DSP_E_INTERNAL : (int)hdr.status;
	}
	if (!(hdr.flags & DSP_FLAG_REPLY) || hdr.opcode != r->opcode ||
	    hdr.request_id != r->id) {
		datapath_seterr(dp, "agent %s answered %s request %llu while the "
		    "reply to %s request %llu was due", dp->server,
		    datapath_opname(hdr.opcode),
		    (unsigned long long)hdr.request_id,
		    datapath_opname(r->opcode), (unsigned long long)r->id);
		return DASPOOL_ERR_PROTOCOL;
	}
	if (hdr.status != DSP_OK) {
		channel_error_text(p, hdr.payload_length, msg, sizeof(msg));
		datapath_seterr(dp, "agent %s refused %s of region %s at %llu: %s",
		    dp->server, datapath_opname(r->opcode), r->region,
		    (unsigned long long)r->offset, msg);
		return hdr.status > INT_MAX ? DSP_E_INTERNAL : (int)hdr.status;
	}
	rc = msg_decode_data_reply(p, hdr.payload_length, r->opcode, reply);
	if (rc != DSP_OK) {
		datapath_seterr(dp, "malformed %s reply from agent %s (%s)",
		    datapath_opname(r->opcode), dp->server,
		    dsp_status_name((uint32_t)rc));
		return DASPOOL_ERR_PROTOCOL;
	}
	return datapath_verify(dp, r, reply);
}

/* The reply must be about exactly what was asked, and complete. */
static int
datapath_verify(struct datapath *dp, struct dp_req *r,
    struct msg_data_reply *reply)
{
	uint32_t	i;

	if (strcmp(reply->requester, dp->requester) != 0 ||
	    strcmp(reply->volume, dp->volume) != 0 ||
	    strcmp(reply->region, r->region) != 0 ||
	    reply->offset != r->offset || reply->length != r->length) {
		datapath_seterr(dp, "agent %s answered about %s/%s region %s "
		    "%llu+%llu instead of %s/%s region %s %llu+%llu",
		    dp->server, reply->requester, reply->volume, reply->region,
		    (unsigned long long)reply->offset,
		    (unsigned long long)reply->length,
		    dp->requester, dp->volume, r->region,
		    (unsigned long long)r->offset,
		    (unsigned long long)r->length);
		return DASPOOL_ERR_PROTOCOL;
	}
	switch (r->opcode) {
	case DSP_OP_READ:
		if (reply->data_len != r->length || reply->done != r->length)
			goto short_op;
		memcpy(r->dest, reply->data, reply->data_len);
		break;
	case DSP_OP_WRITE:
	case DSP_OP_INIT:
	case DSP_OP_ERASE:
		if (reply->done != r->length)
			goto short_op;
		break;
	case DSP_OP_MAP:
		/* Runs that add up to done were checked by the decoder;
		 * nothing described is no progress. */
		if (reply->done == 0)
			goto short_op;
		break;
	case DSP_OP_SEARCH:
		if (reply->match_count > r->max_matches)
			goto bad_match;
		for (i = 0; i < reply->match_count; i++)
			if (reply->matches[i] < r->offset ||
			    reply->matches[i] - r->offset >
			    r->length - r->data_len)
				goto bad_match;
		break;
	default:
		break;
	}
	return 0;
short_op:
	datapath_seterr(dp, "agent %s did %llu of the %llu bytes of %s at region "
	    "%s offset %llu", dp->server, (unsigned long long)reply->done,
	    (unsigned long long)r->length, datapath_opname(r->opcode),
	    r->region, (unsigned long long)r->offset);
	return DASPOOL_ERR_PROTOCOL;
bad_match:
	datapath_seterr(dp, "agent %s reported search matches outside region %s "
	    "%llu+%llu", dp->server, r->region, (unsigned long long)r->offset,
	    (unsigned long long)r->length);
	return DASPOOL_ERR_PROTOCOL;
}

/* Reconnects and sends again what was not answered. */
static int
datapath_recover(struct datapath *dp, const struct dp_job *job)
{
	unsigned	i;
	int		rc;

	for (;;) {
		datapath_disconnect(dp);
		/* Broken off on purpose: nothing to recover. */
		if ((rc = datapath_stopped(dp)) != 0)
			return rc;
		if (dp->once) {
			datapath_seterr(dp, "the connection to agent %s was "
			    "lost: %s", dp->server, dp->why);
			return DASPOOL_ERR_CONNECT;
		}
		if (++dp->lost > DP_MAX_LOST) {
			datapath_seterr(dp, "the connection to agent %s "
			    "keeps failing: %s", dp->server, dp->why);
			return DASPOOL_ERR_CONNECT;
		}
		log_warnx("lost the connection to agent %s at %s:%u (%s); "
		    "reconnecting", dp->server, dp->host, dp->port, dp->why);
		if ((rc = datapath_connect(dp, job)) != 0)
			return rc;
		for (i = 0; i < dp->count; i++) {
			struct dp_req	*r = &dp->q[(dp->head + i) % DP_WINDOW];

			r->id = ++dp->next_id;
			if ((rc = datapath_send(dp, r)) != 0)
				break;
		}
		if (rc == 0) {
			if (dp->count > 0)
				log_info("reconnected to agent %s; sent %u "
				    "unanswered requests again", dp->server,
				    dp->count);
			return 0;
		}
		if (rc != DP_LOST)
			return rc;
	}
}

/* The run's result: an interrupt's code whenever it failed after one. */
static int
datapath_end(struct datapath *dp, int rc)
{
	int	stopped;

	dp->count = 0;
	if (rc != 0 && (stopped = datapath_stopped(dp)) != 0)
		return stopped;
	return rc;
}

/*
 * Runs a job to its end (or to a stop or an error): fills the window,
 * then takes one reply per request sent. A refusal stops new requests;
 * the replies still due are read and dropped so the connection stays in
 * step. A new ticket (renewal) is attached once the window is empty.
 */
int
datapath_run(struct datapath *dp, const struct dp_job *job)
{
	struct msg_data_reply	 reply;
	struct dp_req		*r;
	int			 rc, err_rc = 0, ended = 0, stop = 0;
	int			 renewed = 0;

	dp->head = dp->count = dp->lost = 0;
	if ((rc = datapath_stopped(dp)) != 0)
		return rc;
	if (dp->ch == NULL && (rc = datapath_connect(dp, job)) != 0)
		return datapath_end(dp, rc);
	for (;;) {
		rc = 0;
		while (!ended && !stop && dp->count < DP_WINDOW) {
			if (job->refresh != NULL &&
			    (rc = job->refresh(job->refresh_arg, dp)) != 0) {
				err_rc = rc;
				stop = 1;
				rc = 0;
				break;
			}
			if (!dp->attached || dp->attached_serial != dp->serial) {
				if (dp->count > 0)
					break;
				if ((rc = datapath_attach(dp)) != 0)
					break;
			}
			r = &dp->q[(dp->head + dp->count) % DP_WINDOW];
			if (job->next(job->arg, r) != 0) {
				ended = 1;
				break;
			}
			r->id = ++dp->next_id;
			dp->count++;
			if ((rc = datapath_send(dp, r)) != 0)
				break;
		}
		if (rc == 0 && dp->count > 0) {
			r = &dp->q[dp->head];
			rc = datapath_receive(dp, r, &reply);
			/* Expired ticket no longer honoured: renew once, and
			 * send what is unanswered again with the new one. */
			if (rc == DSP_E_EXPIRED && !renewed && !stop &&
			    job->renew != NULL) {
				renewed = 1;
				if (job->renew(job->refresh_arg, dp) == 0) {
					snprintf(dp->why, sizeof(dp->why), "the "
					    "agent refused the expired ticket; "
					    "renewed");
					rc = DP_LOST;
				}
			}
			if (rc != DP_LOST) {
				dp->head = (dp->head + 1) % DP_WINDOW;
				dp->count--;
				dp->lost = 0;
			}
			if (rc == 0 && !stop) {
				rc = job->done(job->arg, r, &reply);
				if (rc == DP_STOP) {
					stop = 1;
					rc = 0;
				}
			}
		}
		if (rc == DP_LOST) {
			if (stop) {
				datapath_disconnect(dp);
				break;
			}
			if ((rc = datapath_recover(dp, job)) == 0)
				continue;
			datapath_disconnect(dp);
			if (err_rc == 0)
				err_rc = rc;
			break;
		}
		if (rc == DASPOOL_ERR_PROTOCOL || rc == DASPOOL_ERR_SYSTEM ||
		    rc == DASPOOL_ERR_CONNECT) {
			/* Out of step with the agent: start afresh. */
			datapath_disconnect(dp);
			if (err_rc == 0)
				err_rc = rc;
			break;
		}
		if (rc != 0 && err_rc == 0) {
			err_rc = rc;
			stop = 1;
		}
		if (dp->count == 0 && (ended || stop))
			break;
	}
	return datapath_end(dp, err_rc);
}
