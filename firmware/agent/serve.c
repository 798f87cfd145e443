/*
 * The data port: a TLS listener and one thread per connection. A
 * connection answers its requests strictly in order (recv, handle,
 * send), which is all pipelining needs; the TLS layer buffers the rest.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
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
#include "generations.h"
#include "log.h"
#include "region.h"
#include "tls.h"

#define SERVE_MAX_CONNS		256
#define SERVE_HANDSHAKE_MS	5000
#define SERVE_STOP_WAIT_S	10
#define SERVE_SCRATCH		DSP_MAX_IO	/* search read chunk */

struct serve {
	struct agent	*agent;
	int		 listen_fd;
	int		 wake[2];	/* stops the accept thread */
	pthread_t	 accept_thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 idle;
	int		 stopping;
	unsigned int	 nconns;	/* connection threads alive */
	int		 fds[SERVE_MAX_CONNS];	/* -1: free slot */
	int		 full_logged;
};

struct conn {
	struct serve		*srv;
	struct agent		*agent;
	int			 slot;
	int			 fd;
	char			 addr[64];
	struct channel		*ch;
	char			 peer[DSP_NAME_MAX + 1];
	int			 role;
	struct buf_writer	 reply;		/* reused for every reply */
	uint8_t			*scratch;	/* SEARCH reads, on first use */
	struct access_table	 access;
	int			 in_use;	/* holds generations_use */
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

/* The disk work of a request is over: a revocation need not wait for
 * the reply to reach a peer that may be slow to read it. */
static void
conn_use_end(struct conn *c)
{
	if (c->in_use) {
		generations_use_end(c->agent->generations);
		c->in_use = 0;
	}
}

/* Logs and answers a refused request; -1 if the reply could not go. */
static int __attribute__((format(printf, 4, 5)))
conn_refuse(struct conn *c, const struct dsp_header *hdr, uint32_t status,
    const char *fmt, ...)
{
	char	why[512];
	va_list	ap;

	conn_use_end(c);
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
	conn_use_end(c);
	if (c->reply.error)
		return conn_refuse(c, hdr, DSP_E_INTERNAL, "out of memory");
	return channel_reply(c->ch, hdr, &c->reply) == 0 ? 0 : -1;
}

static int
conn_is_borrower(const struct conn *c)
{
	return c->role == DSP_ROLE_BORROWER || c->role == DSP_ROLE_BACKUP;
}

static int
conn_attach(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	struct mount_ticket	t;
	struct msg_attached	att;
	struct buf_reader	rd;
	const uint8_t		*blob;
	size_t			 blen;
	char			 why[256];
	uint64_t		 now = (uint64_t)time(NULL);
	int			 rc;

	if (!conn_is_borrower(c))
		return conn_refuse(c, hdr, DSP_E_ROLE, "role %s may not attach "
		    "tickets", dsp_role_name(c->role));
	buf_reader_init(&rd, payload, hdr->payload_length);
	buf_get_blob(&rd, &blob, &blen, DSP_TICKET_MAX);
	if (rd.error || buf_reader_finish(&rd) == -1)
		return conn_bad_frame(c, hdr, "payload is not one ticket blob");
	rc = ticket_verify(c->agent->verifier, blob, blen, &t);
	if (rc == DSP_E_FRAME)
		return conn_refuse(c, hdr, DSP_E_TICKET, "ticket is malformed");
	if (rc != DSP_OK)
		return conn_refuse(c, hdr, DSP_E_TICKET, "ticket signature does "
		    "not verify with the manager's certificate");
	if ((rc = access_admit(c->agent, &t, c->peer, now, why,
	    sizeof(why))) != DSP_OK ||
	    (rc = access_attach(&c->access, &t, now, why, sizeof(why))) != DSP_OK)
		return conn_refuse(c, hdr, rc, "%s", why);
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

static int
conn_read(struct conn *c, const struct dsp_header *hdr,
    const struct msg_data_request *req, struct region *r)
{
	struct msg_data_reply	rep;
	struct buf_writer	*w = &c->reply;
	size_t			 len = (size_t)req->length;
	char			 why[256];
	int			 rc;

	if (req->length > DSP_MAX_IO)
		return conn_refuse(c, hdr, DSP_E_TOOBIG, "read of %llu bytes; "
		    "at most %u per request", (unsigned long long)req->length,
		    DSP_MAX_IO);
	conn_echo(&rep, req);
	rep.done = len;
	rep.data = (const uint8_t *)"";
	buf_writer_reset(w);
	pthread_once(&serve_probe_once, serve_probe_inplace);
	if (serve_read_inplace) {
		msg_encode_data_reply(w, DSP_OP_READ, &rep);
		if (w->error || buf_reserve(w, len) == -1)
			return conn_refuse(c, hdr, DSP_E_INTERNAL, "out of memory");
		if ((rc = region_read(r, req->offset, w->data + w->len, len, why,
		    sizeof(why))) != DSP_OK)
			return conn_refuse(c, hdr, rc, "%s", why);
		serve_put32(w->data + w->len - 4, (uint32_t)len);
		w->len += len;
		return conn_reply(c, hdr);
	}
	if (conn_scratch(c) == -1)
		return conn_refuse(c, hdr, DSP_E_INTERNAL, "out of memory");
	if ((rc = region_read(r, req->offset, c->scratch, len, why,
	    sizeof(why))) != DSP_OK)
		return conn_refuse(c, hdr, rc, "%s", why);
	rep.data = c->scratch;
	rep.data_len = len;
	msg_encode_data_reply(w, DSP_OP_READ, &rep);
	return conn_reply(c, hdr);
}

static int
conn_search(struct conn *c, const struct msg_data_request *req,
    struct region *r, struct msg_data_reply *rep, char *why, size_t whylen)
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
	    req->data_len, max, c->scratch, SERVE_SCRATCH, rep->matches,
	    &rep->match_count, &rep->done, why, whylen);
}

/* Everything but READ: do it, then answer with the bytes done. */
static int
conn_io(struct conn *c, const struct dsp_header *hdr,
    const struct msg_data_request *req, struct region *r)
{
	struct msg_data_reply	rep;
	char			why[256];
	int			rc = DSP_OK;

	conn_echo(&rep, req);
	switch (hdr->opcode) {
	case DSP_OP_WRITE:
		if (req->data_len != req->length)
			return conn_refuse(c, hdr, DSP_E_INVALID, "write length "
			    "%llu but %zu bytes of data",
			    (unsigned long long)req->length, req->data_len);
		rc = region_write(r, req->offset, req->data, req->data_len, why,
		    sizeof(why));
		rep.done = req->length;
		break;
	case DSP_OP_INIT:
	case DSP_OP_ERASE:
		rc = region_zero(r, req->offset, req->length, why, sizeof(why));
		rep.done = req->length;
		break;
	case DSP_OP_SEARCH:
		rc = conn_search(c, req, r, &rep, why, sizeof(why));
		break;
	case DSP_OP_FLUSH:
		rc = region_flush(r, why, sizeof(why));
		break;
	}
	if (rc != DSP_OK)
		return conn_refuse(c, hdr, rc, "%s", why);
	buf_writer_reset(&c->reply);
	msg_encode_data_reply(&c->reply, hdr->opcode, &rep);
	return conn_reply(c, hdr);
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
	/* From the ticket check to the end of the I/O, a revocation waits. */
	generations_use_begin(c->agent->generations);
	c->in_use = 1;
	if ((rc = access_check(c->agent, &c->access, c->peer, hdr->opcode, &req,
	    &r, why, sizeof(why))) != DSP_OK)
		return conn_refuse(c, hdr, rc, "%s", why);
	if (hdr->opcode == DSP_OP_READ)
		rc = conn_read(c, hdr, &req, r);
	else
		rc = conn_io(c, hdr, &req, r);
	conn_use_end(c);
	return rc;
}

static int
conn_revoke(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload)
{
	struct msg_revoke	rv;
	char			why[256];

	if (c->role != DSP_ROLE_MANAGER ||
	    strcmp(c->peer, c->agent->manager_name) != 0)
		return conn_refuse(c, hdr, DSP_E_ROLE, "only the manager (%s) "
		    "may revoke tickets", c->agent->manager_name);
	if (msg_decode_revoke(payload, hdr->payload_length, &rv) != DSP_OK)
		return conn_bad_frame(c, hdr, "bad revoke payload");
	if (!msg_name_valid(rv.volume))
		return conn_refuse(c, hdr, DSP_E_INVALID, "bad volume name");
	if (generations_raise(c->agent->generations, rv.volume, rv.generation,
	    why, sizeof(why)) == -1)
		return conn_refuse(c, hdr, DSP_E_IO, "%s", why);
	log_info("volume %s revoked below generation %llu", rv.volume,
	    (unsigned long long)rv.generation);
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
		return conn_data(c, hdr, payload);
	case DSP_OP_REVOKE:
		return conn_revoke(c, hdr, payload);
	default:
		return conn_refuse(c, hdr, DSP_E_OPCODE, "the agent does not "
		    "serve %s requests", serve_opname(hdr->opcode));
	}
}

static void
conn_loop(struct conn *c)
{
	struct dsp_header	 hdr;
	const uint8_t		*payload;
	int			 rc;

	for (;;) {
		memset(&hdr, 0, sizeof(hdr));
		rc = channel_recv(c->ch, &hdr, &payload);
		if (rc == -1)
			return;
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

static void
conn_addr(struct conn *c)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			ip[INET_ADDRSTRLEN];

	snprintf(c->addr, sizeof(c->addr), "?");
	if (getpeername(c->fd, (struct sockaddr *)&sin, &len) == 0 &&
	    sin.sin_family == AF_INET &&
	    inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip)) != NULL)
		snprintf(c->addr, sizeof(c->addr), "%s:%u", ip,
		    ntohs(sin.sin_port));
}

static void
serve_release(struct serve *s, struct conn *c)
{
	pthread_mutex_lock(&s->lock);
	s->fds[c->slot] = -1;
	pthread_mutex_unlock(&s->lock);
	if (c->ch != NULL)
		channel_close(c->ch);
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
	struct tls_conn	*tls;
	char		 err[256];
	int		 on = 1;

	conn_addr(c);
	/* Notice borrowers that vanished without closing. */
	setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	tls = tls_accept(c->agent->tls_server, c->fd, SERVE_HANDSHAKE_MS, err,
	    sizeof(err));
	if (tls == NULL) {
		log_warnx("%s: TLS handshake failed: %s", c->addr, err);
		goto done;
	}
	c->ch = channel_from_tls(tls);
	snprintf(c->peer, sizeof(c->peer), "%s", tls_peer_name(tls));
	c->role = tls_peer_role(tls);
	log_debug("%s: connected as %s (%s), %s", c->addr, c->peer,
	    dsp_role_name(c->role), tls_cipher_name(tls));
	conn_loop(c);
	log_debug("%s (%s): connection closed", c->peer, c->addr);
done:
	serve_release(c->srv, c);
	return NULL;
}

/* Takes a slot for fd; -1 when the connection limit is reached. */
static int
serve_slot(struct serve *s, int fd)
{
	int	i, slot = -1;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < SERVE_MAX_CONNS && !s->stopping; i++)
		if (s->fds[i] == -1) {
			s->fds[i] = fd;
			s->nconns++;
			slot = i;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return slot;
}

static void
serve_spawn(struct serve *s, int fd)
{
	pthread_attr_t	 attr;
	pthread_t	 tid;
	struct conn	*c;
	int		 slot;

	if ((slot = serve_slot(s, fd)) == -1) {
		if (!s->full_logged)
			log_warnx("%d connections open, refusing more",
			    SERVE_MAX_CONNS);
		s->full_logged = 1;
		close(fd);
		return;
	}
	s->full_logged = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("out of memory for a connection");
		goto fail;
	}
	c->srv = s;
	c->agent = s->agent;
	c->slot = slot;
	c->fd = fd;
	snprintf(c->peer, sizeof(c->peer), "?");
	buf_writer_init(&c->reply);
	access_init(&c->access);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, conn_main, c) != 0) {
		pthread_attr_destroy(&attr);
		log_warnx("cannot start a connection thread");
		free(c);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	return;
fail:
	close(fd);
	pthread_mutex_lock(&s->lock);
	s->fds[slot] = -1;
	s->nconns--;
	pthread_mutex_unlock(&s->lock);
}

static void *
serve_accept_main(void *arg)
{
	struct serve	*s = arg;
	struct pollfd	 pfd[2];
	int		 fd;

	pfd[0].fd = s->listen_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = s->wake[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1 && errno != EINTR) {
			log_warn("poll");
			continue;
		}
		if (pfd[1].revents)
			return NULL;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			/* Out of descriptors: pause rather than spin. */
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept");
				usleep(100 * 1000);
			} else if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED)
				log_warn("accept");
			continue;
		}
		serve_spawn(s, fd);
	}
}

struct serve *
serve_start(struct agent *a, int listen_fd, char *err, size_t errlen)
{
	struct serve	*s;
	int		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->agent = a;
	s->listen_fd = listen_fd;
	for (i = 0; i < SERVE_MAX_CONNS; i++)
		s->fds[i] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (pipe2(s->wake, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(s);
		return NULL;
	}
	if (pthread_create(&s->accept_thread, NULL, serve_accept_main, s) != 0) {
		snprintf(err, errlen, "cannot start the accept thread");
		close(s->wake[0]);
		close(s->wake[1]);
		free(s);
		return NULL;
	}
	return s;
}

int
serve_stop(struct serve *s)
{
	struct timespec	deadline;
	int		i;

	if (s == NULL)
		return 0;
	if (write(s->wake[1], "x", 1) != 1)
		log_warn("stop accept thread");
	pthread_join(s->accept_thread, NULL);
	close(s->listen_fd);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SERVE_STOP_WAIT_S;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	/* Wakes every connection thread out of its read. */
	for (i = 0; i < SERVE_MAX_CONNS; i++)
		if (s->fds[i] != -1)
			shutdown(s->fds[i], SHUT_RDWR);
	while (s->nconns > 0)
		if (pthread_cond_timedwait(&s->idle, &s->lock,
		    &deadline) == ETIMEDOUT)
			break;
	i = (int)s->nconns;
	pthread_mutex_unlock(&s->lock);
	if (i > 0) {
		/* Threads still running own s; leave it to exit(). */
		log_warnx("%d connections did not close in time", i);
		return -1;
	}
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle);
	free(s);
	return 0;
}
