/*
 * The gate's thread: an epoll loop over the listening socket and every
 * connection still in its handshake. Unfinished handshakes sit in a
 * list ordered by deadline (they all get the same time), so expiring
 * them is a look at its head. A connection that failed is kept a moment
 * (draining what the peer still sends) so that the TLS alert explaining
 * the refusal reaches the peer before our close could reset it.
 *
 * A source over its limit of unfinished handshakes has its further
 * connections parked: held, unread, until one of its handshakes ends
 * (then the oldest is let in) or GATE_PARK_MS pass. Closing them at
 * once would only have a flooding host open them again in a tight loop
 * and crowd everyone out of the kernel's accept queue; parked, they
 * cost a descriptor each and no work. Past what the descriptor limit
 * allows, new ones are reset.
 *
 * A source whose authenticated connections were refused (its
 * certificate holds too many) is on probation for GATE_PROBATION_MS: it
 * starts one handshake a second at most, since each one it finishes only
 * to be refused costs this thread a signature and two verifications.
 *
 * Sources (IPv4 addresses) are counted in a table of the gate's thread
 * only; certificates (CNs) in one shared with gate_release.
 */
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "gate.h"
#include "log.h"
#include "proto.h"
#include "timeutil.h"
#include "tls.h"

#define GATE_BUCKETS		4096
#define GATE_SOURCES_MAX	65536	/* tracked addresses */
#define GATE_ACCEPT_BURST	64	/* then the handshakes get a turn */
#define GATE_EVENTS		256
#define GATE_DRAIN_MS		200
#define GATE_PAUSE_MS		100	/* out of descriptors */
#define GATE_SWEEP_MS		1000

#define GATE_PARK_MS		60000
#define GATE_PROBATION_MS	10000
#define GATE_FD_RESERVE		256	/* for logs, the store, the rest */

#define GATE_LINES_MAX		8	/* distinct reasons per interval */

/* Refusals of one source or certificate not yet written to the log. */
struct gate_tally {
	unsigned long	 count;
	int64_t		 last_log_ms;	/* 0: never logged */
	unsigned int	 lines;		/* logged in this interval */
	uint32_t	 logged[GATE_LINES_MAX];	/* their reasons' hashes */
	char		 why[200];	/* the last one counted */
};

struct gate_hs;
TAILQ_HEAD(gate_hs_list, gate_hs);

struct gate_source {
	struct gate_source	*next;
	uint32_t		 ip;		/* network order */
	unsigned int		 pending;
	unsigned int		 nparked;
	struct gate_hs_list	 parked;	/* oldest first */
	int64_t			 probation;	/* until then, one a second */
	struct gate_tally	 tally;
};

struct gate_peer {
	struct gate_peer	*next;
	char			 name[DSP_NAME_MAX + 1];
	unsigned int		 conns;
	struct gate_tally	 tally;
};

enum gate_hs_state { GATE_PENDING, GATE_PARKED, GATE_CLOSING };

/* A connection in its handshake, parked, or failed and draining. */
struct gate_hs {
	TAILQ_ENTRY(gate_hs)	 entry;		/* pending, parked or closing */
	TAILQ_ENTRY(gate_hs)	 by_source;	/* parked */
	struct tls_conn		*tls;		/* NULL while parked */
	int			 fd;
	uint32_t		 ip;
	char			 addr[32];
	int64_t			 deadline;
	enum gate_hs_state	 state;
};

struct gate {
	int			 listen_fd;
	int			 epfd;
	int			 wake[2];
	int			 listening;	/* listen_fd is in epfd */
	int64_t			 paused_until;
	pthread_t		 thread;
	int			 running;
	struct tls_config	*tls;
	struct gate_limits	 lim;
	gate_handoff_fn		*handoff;
	void			*arg;
	char			 what[32];
	const char		*log_tag;	/* its starter's (log.h) */
	struct gate_hs_list	 pending;
	struct gate_hs_list	 parked;
	struct gate_hs_list	 closing;
	unsigned int		 npending;
	unsigned int		 nparked;
	unsigned int		 parked_max;
	struct gate_source	*sources[GATE_BUCKETS];
	size_t			 nsources;
	struct gate_tally	 full;		/* refusals for being full */
	int64_t			 next_sweep;
	pthread_mutex_t		 lock;		/* peers, conns */
	struct gate_peer	*peers[GATE_BUCKETS];
	unsigned int		 conns;
};

/* Tokens for the two fds that are not handshakes. */
static char	gate_token_listen, gate_token_wake;

/* --- logging once per source per interval --- */

static uint32_t
gate_hash(const char *s)
{
	uint32_t	h = 2166136261U;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619U;
	return h;
}

/* The first refusal of each kind in an interval is logged (a few kinds
 * at most); the rest are counted for gate_tally_flush. */
static void
gate_tally_note(struct gate *g, struct gate_tally *t, const char *who,
    const char *why)
{
	int64_t		now = timeutil_now_ms();
	uint32_t	h = gate_hash(why);
	unsigned int	i;

	if (t->last_log_ms == 0 ||
	    now - t->last_log_ms >= GATE_LOG_INTERVAL_S * 1000) {
		t->last_log_ms = now;
		t->lines = 0;
	}
	for (i = 0; i < t->lines && t->logged[i] != h; i++)
		;
	if (i < t->lines || t->lines == GATE_LINES_MAX) {
		t->count++;
		snprintf(t->why, sizeof(t->why), "%s", why);
		return;
	}
	log_warnx("%s: %s: %s", g->what, who, why);
	t->logged[t->lines++] = h;
}

/* Writes what was counted since the last line, once the interval is up. */
static void
gate_tally_flush(struct gate *g, struct gate_tally *t, const char *who,
    int64_t now)
{
	if (t->count == 0 || now - t->last_log_ms < GATE_LOG_INTERVAL_S * 1000)
		return;
	log_warnx("%s: %s: %lu more refused in the last %d s, the last "
	    "because: %s", g->what, who, t->count, GATE_LOG_INTERVAL_S, t->why);
	t->last_log_ms = now;
	t->lines = 0;
	t->count = 0;
}

static int
gate_tally_idle(const struct gate_tally *t, int64_t now)
{
	return t->count == 0 && (t->last_log_ms == 0 ||
	    now - t->last_log_ms >= GATE_LOG_INTERVAL_S * 1000);
}

/* --- sources --- */

static size_t
gate_ip_bucket(uint32_t ip)
{
	return (size_t)((ip * 2654435761U) >> 20) % GATE_BUCKETS;
}

/* The source's entry, made if need be; NULL when the table is full. */
static struct gate_source *
gate_source(struct gate *g, uint32_t ip)
{
	struct gate_source	**sp = &g->sources[gate_ip_bucket(ip)], *s;

	for (s = *sp; s != NULL; s = s->next)
		if (s->ip == ip)
			return s;
	if (g->nsources >= GATE_SOURCES_MAX ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->ip = ip;
	TAILQ_INIT(&s->parked);
	s->next = *sp;
	*sp = s;
	g->nsources++;
	return s;
}

static void
gate_source_name(uint32_t ip, char *out, size_t outlen)
{
	struct in_addr	in = { ip };

	if (inet_ntop(AF_INET, &in, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

static void	gate_unpark(struct gate *, struct gate_source *,
		    struct gate_hs *);
static int	gate_hs_begin(struct gate *, struct gate_source *,
		    struct gate_hs *, int);

static void	gate_promote(struct gate *, struct gate_source *);

/* A source on probation gets one handshake a second, if none runs; one
 * whose probation is over lets its parked connections in again. */
static void
gate_probation_turn(struct gate *g, struct gate_source *s, int64_t now)
{
	struct gate_hs	*hs;

	if (s->probation == 0 || TAILQ_EMPTY(&s->parked))
		return;
	if (now >= s->probation) {
		s->probation = 0;
		gate_promote(g, s);
		return;
	}
	if (s->pending > 0 || g->npending >= g->lim.pending_max)
		return;
	hs = TAILQ_FIRST(&s->parked);
	gate_unpark(g, s, hs);
	(void)gate_hs_begin(g, s, hs, EPOLL_CTL_MOD);
}

/* Logs what is due and forgets sources with nothing left to count. */
static void
gate_sweep_sources(struct gate *g, int64_t now)
{
	struct gate_source	**sp, *s;
	char			  name[INET_ADDRSTRLEN];
	size_t			  i;

	for (i = 0; i < GATE_BUCKETS; i++)
		for (sp = &g->sources[i]; (s = *sp) != NULL;) {
			gate_source_name(s->ip, name, sizeof(name));
			gate_tally_flush(g, &s->tally, name, now);
			gate_probation_turn(g, s, now);
			if (s->pending == 0 && s->nparked == 0 &&
			    now >= s->probation &&
			    gate_tally_idle(&s->tally, now)) {
				*sp = s->next;
				free(s);
				g->nsources--;
			} else
				sp = &s->next;
		}
}

/* --- certificates --- */

static size_t
gate_name_bucket(const char *name)
{
	return gate_hash(name) % GATE_BUCKETS;
}

/* Lock held. */
static struct gate_peer *
gate_peer(struct gate *g, const char *name, int create)
{
	struct gate_peer	**pp = &g->peers[gate_name_bucket(name)], *p;

	for (p = *pp; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	if (!create || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->next = *pp;
	*pp = p;
	return p;
}

static void
gate_sweep_peers(struct gate *g, int64_t now)
{
	struct gate_peer	**pp, *p;
	char			  who[DSP_NAME_MAX + 16];
	size_t			  i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < GATE_BUCKETS; i++)
		for (pp = &g->peers[i]; (p = *pp) != NULL;) {
			snprintf(who, sizeof(who), "certificate %s", p->name);
			gate_tally_flush(g, &p->tally, who, now);
			if (p->conns == 0 && gate_tally_idle(&p->tally, now)) {
				*pp = p->next;
				free(p);
			} else
				pp = &p->next;
		}
	pthread_mutex_unlock(&g->lock);
}

void
gate_release(struct gate *g, const char *peer)
{
	struct gate_peer	*p;

	pthread_mutex_lock(&g->lock);
	if ((p = gate_peer(g, peer, 0)) != NULL && p->conns > 0)
		p->conns--;
	if (g->conns > 0)
		g->conns--;
	pthread_mutex_unlock(&g->lock);
}

/* --- handshakes --- */

static int
gate_watch(struct gate *g, struct gate_hs *hs, int op, uint32_t events)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = hs;
	return epoll_ctl(g->epfd, op, hs->fd, &ev);
}

/* Closes at once, with a reset: nothing is owed to such a peer. */
static void
gate_reset(int fd)
{
	struct linger	l = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void
gate_hs_free(struct gate *g, struct gate_hs *hs)
{
	(void)epoll_ctl(g->epfd, EPOLL_CTL_DEL, hs->fd, NULL);
	if (hs->tls != NULL)
		tls_abort(hs->tls);
	else
		gate_reset(hs->fd);
	free(hs);
}

/* Starts the handshake of a new or parked connection; -1 if it could not
 * (hs is then freed). */
static int
gate_hs_begin(struct gate *g, struct gate_source *s, struct gate_hs *hs,
    int op)
{
	char	why[200];

	if ((hs->tls = tls_accept_start(g->tls, hs->fd, why,
	    sizeof(why))) == NULL) {
		log_warnx("%s: %s: %s", g->what, hs->addr, why);
		(void)epoll_ctl(g->epfd, EPOLL_CTL_DEL, hs->fd, NULL);
		free(hs);
		return -1;
	}
	hs->state = GATE_PENDING;
	hs->deadline = timeutil_now_ms() + g->lim.handshake_ms;
	if (gate_watch(g, hs, op, EPOLLIN) == -1) {
		tls_abort(hs->tls);
		free(hs);
		return -1;
	}
	TAILQ_INSERT_TAIL(&g->pending, hs, entry);
	g->npending++;
	s->pending++;
	return 0;
}

static void
gate_unpark(struct gate *g, struct gate_source *s, struct gate_hs *hs)
{
	TAILQ_REMOVE(&g->parked, hs, entry);
	TAILQ_REMOVE(&s->parked, hs, by_source);
	g->nparked--;
	s->nparked--;
}

/* Whether a new handshake of the source may start now. */
static int
gate_may_start(const struct gate *g, const struct gate_source *s)
{
	return s->pending < g->lim.per_address &&
	    timeutil_now_ms() >= s->probation;
}

/* A handshake slot of the source is free: its oldest parked goes in. */
static void
gate_promote(struct gate *g, struct gate_source *s)
{
	struct gate_hs	*hs;

	while (gate_may_start(g, s) &&
	    (hs = TAILQ_FIRST(&s->parked)) != NULL) {
		gate_unpark(g, s, hs);
		(void)gate_hs_begin(g, s, hs, EPOLL_CTL_MOD);
	}
}

/* Leaves the pending list (and the source's count). */
static void
gate_hs_unpend(struct gate *g, struct gate_hs *hs)
{
	struct gate_source	*s;

	TAILQ_REMOVE(&g->pending, hs, entry);
	g->npending--;
	if ((s = gate_source(g, hs->ip)) != NULL && s->pending > 0) {
		s->pending--;
		gate_promote(g, s);
	}
}

/* A refused or failed connection: let the peer read why, then close. */
static void
gate_hs_close(struct gate *g, struct gate_hs *hs)
{
	gate_hs_unpend(g, hs);
	(void)shutdown(hs->fd, SHUT_WR);
	hs->state = GATE_CLOSING;
	hs->deadline = timeutil_now_ms() + GATE_DRAIN_MS;
	TAILQ_INSERT_TAIL(&g->closing, hs, entry);
	if (gate_watch(g, hs, EPOLL_CTL_MOD, EPOLLIN) == -1) {
		TAILQ_REMOVE(&g->closing, hs, entry);
		gate_hs_free(g, hs);
	}
}

static void
gate_hs_failed(struct gate *g, struct gate_hs *hs, const char *why)
{
	struct gate_source	*s = gate_source(g, hs->ip);
	char			 text[300];

	snprintf(text, sizeof(text), "TLS handshake failed: %s", why);
	if (s != NULL)
		gate_tally_note(g, &s->tally, hs->addr, text);
	else
		gate_tally_note(g, &g->full, hs->addr, text);
	gate_hs_close(g, hs);
}

/* Sends the REFUSED frame and closes; the refusal is logged by kind,
 * and its source put on probation. */
static void
gate_refuse_peer(struct gate *g, struct gate_hs *hs, struct gate_tally *t,
    const char *who, const char *why)
{
	struct gate_source	*s;
	uint8_t			 frame[512];
	size_t			 n;

	if ((s = gate_source(g, hs->ip)) != NULL)
		s->probation = timeutil_now_ms() + GATE_PROBATION_MS;
	gate_tally_note(g, t, who, why);
	if ((n = channel_refusal_frame(frame, sizeof(frame), DSP_E_BUSY,
	    why)) > 0)
		(void)tls_send_last(hs->tls, frame, n);
	gate_hs_close(g, hs);
}

/* The peer is authenticated: count it in and hand it over, or refuse. */
static void
gate_hs_done(struct gate *g, struct gate_hs *hs)
{
	struct gate_peer	*p;
	struct tls_conn		*tls = hs->tls;
	const char		*name = tls_peer_name(tls);
	char			 why[256], who[DSP_NAME_MAX + 16], addr[32];

	pthread_mutex_lock(&g->lock);
	p = gate_peer(g, name, 1);
	if (p != NULL && (g->lim.per_peer == 0 || p->conns < g->lim.per_peer) &&
	    g->conns < g->lim.conns_max) {
		p->conns++;
		g->conns++;
		pthread_mutex_unlock(&g->lock);
		gate_hs_unpend(g, hs);
		(void)epoll_ctl(g->epfd, EPOLL_CTL_DEL, hs->fd, NULL);
		snprintf(addr, sizeof(addr), "%s", hs->addr);
		free(hs);
		if (tls_accept_ready(tls) == -1) {
			log_warn("%s: %s", g->what, addr);
			tls_abort(tls);
			gate_release(g, name);
			return;
		}
		g->handoff(g->arg, tls, addr);
		return;
	}
	snprintf(who, sizeof(who), "certificate %s (%s)", name, hs->addr);
	if (p != NULL && g->conns < g->lim.conns_max)
		snprintf(why, sizeof(why), "connection refused: certificate %s "
		    "already holds %u connection%s, the most one peer may have "
		    "here", name, g->lim.per_peer,
		    g->lim.per_peer == 1 ? "" : "s");
	else
		snprintf(why, sizeof(why), "connection refused: %u connections "
		    "are open, the most this server takes", g->lim.conns_max);
	if (p != NULL) {
		pthread_mutex_unlock(&g->lock);
		/* The tally is only touched by this thread. */
		gate_refuse_peer(g, hs, &p->tally, who, why);
		return;
	}
	pthread_mutex_unlock(&g->lock);
	gate_refuse_peer(g, hs, &g->full, who, why);
}

static void
gate_hs_step(struct gate *g, struct gate_hs *hs)
{
	char	err[300];
	int	rc;

	err[0] = '\0';
	rc = tls_accept_step(hs->tls, err, sizeof(err));
	if (rc == 0)
		gate_hs_done(g, hs);
	else if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
		if (gate_watch(g, hs, EPOLL_CTL_MOD, rc == TLS_WANT_READ ?
		    EPOLLIN : EPOLLOUT) == -1)
			gate_hs_failed(g, hs, strerror(errno));
	} else
		gate_hs_failed(g, hs, err);
}

/* A closing connection: read and drop until the peer is gone. */
static void
gate_hs_drain(struct gate *g, struct gate_hs *hs)
{
	uint8_t	buf[4096];
	ssize_t	n;

	for (;;) {
		n = recv(hs->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		TAILQ_REMOVE(&g->closing, hs, entry);
		gate_hs_free(g, hs);
		return;
	}
}

/* A parked connection whose peer went away. */
static void
gate_hs_gone(struct gate *g, struct gate_hs *hs)
{
	struct gate_source	*s = gate_source(g, hs->ip);

	if (s != NULL)
		gate_unpark(g, s, hs);
	gate_hs_free(g, hs);
}

/* --- accepting --- */

static void
gate_pause(struct gate *g)
{
	(void)epoll_ctl(g->epfd, EPOLL_CTL_DEL, g->listen_fd, NULL);
	g->listening = 0;
	g->paused_until = timeutil_now_ms() + GATE_PAUSE_MS;
}

static int
gate_listen(struct gate *g)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &gate_token_listen;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->listen_fd, &ev) == -1)
		return -1;
	g->listening = 1;
	return 0;
}

/* Holds a connection of a source over its limit; -1 if it cannot. */
static int
gate_park(struct gate *g, struct gate_source *s, int fd, const char *addr)
{
	struct gate_hs	*hs;
	char		 why[200];

	if (g->nparked >= g->parked_max || (hs = calloc(1, sizeof(*hs))) == NULL)
		return -1;
	hs->fd = fd;
	hs->ip = s->ip;
	snprintf(hs->addr, sizeof(hs->addr), "%s", addr);
	hs->state = GATE_PARKED;
	hs->deadline = timeutil_now_ms() + GATE_PARK_MS;
	/* Only its closing matters while it waits. */
	if (gate_watch(g, hs, EPOLL_CTL_ADD, EPOLLRDHUP) == -1) {
		free(hs);
		return -1;
	}
	TAILQ_INSERT_TAIL(&g->parked, hs, entry);
	TAILQ_INSERT_TAIL(&s->parked, hs, by_source);
	g->nparked++;
	s->nparked++;
	snprintf(why, sizeof(why), "%u handshakes from this address are "
	    "unfinished (the limit); its further connections wait",
	    s->pending);
	gate_tally_note(g, &s->tally, hs->addr, why);
	return 0;
}

/* Admits a new connection to the handshake, parks it, or refuses it. */
static void
gate_admit(struct gate *g, int fd, const struct sockaddr_in *sin)
{
	struct gate_source	*s = gate_source(g, sin->sin_addr.s_addr);
	struct gate_hs		*hs;
	char			 addr[32], ip[INET_ADDRSTRLEN], why[200];

	gate_source_name(sin->sin_addr.s_addr, ip, sizeof(ip));
	snprintf(addr, sizeof(addr), "%s:%u", ip, ntohs(sin->sin_port));
	if (s != NULL && g->npending >= g->lim.pending_max) {
		snprintf(why, sizeof(why), "connection refused: %u handshakes "
		    "are unfinished (the limit)", g->npending);
		gate_tally_note(g, &g->full, "all sources", why);
		gate_reset(fd);
		return;
	}
	if (s != NULL && gate_may_start(g, s)) {
		if ((hs = calloc(1, sizeof(*hs))) == NULL) {
			gate_reset(fd);
			return;
		}
		hs->fd = fd;
		hs->ip = s->ip;
		snprintf(hs->addr, sizeof(hs->addr), "%s", addr);
		(void)gate_hs_begin(g, s, hs, EPOLL_CTL_ADD);
		return;
	}
	if (s != NULL && gate_park(g, s, fd, addr) == 0)
		return;
	if (s != NULL)
		snprintf(why, sizeof(why), "connection refused: %u handshakes "
		    "of this address are unfinished and %u connections wait "
		    "already (the limit)", s->pending, g->nparked);
	else
		snprintf(why, sizeof(why), "connection refused: %zu addresses "
		    "are tracked already", g->nsources);
	gate_tally_note(g, s != NULL ? &s->tally : &g->full,
	    s != NULL ? ip : "all sources", why);
	gate_reset(fd);
}

static void
gate_accept(struct gate *g)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, i;

	for (i = 0; i < GATE_ACCEPT_BURST; i++) {
		len = sizeof(sin);
		fd = accept4(g->listen_fd, (struct sockaddr *)&sin, &len,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: pause accept rather
				 * than spin on a listener that stays ready. */
				gate_tally_note(g, &g->full, "accept",
				    strerror(errno));
				gate_pause(g);
			}
			return;
		}
		if (sin.sin_family != AF_INET) {
			close(fd);
			continue;
		}
		gate_admit(g, fd, &sin);
	}
}

/* --- the loop --- */

static void
gate_expire(struct gate *g, int64_t now)
{
	struct gate_hs		*hs;
	struct gate_source	*s;
	char			 why[128];

	while ((hs = TAILQ_FIRST(&g->pending)) != NULL && hs->deadline <= now) {
		snprintf(why, sizeof(why), "TLS handshake not finished within "
		    "%d ms; dropped", g->lim.handshake_ms);
		if ((s = gate_source(g, hs->ip)) != NULL)
			gate_tally_note(g, &s->tally, hs->addr, why);
		gate_hs_unpend(g, hs);
		gate_hs_free(g, hs);
	}
	while ((hs = TAILQ_FIRST(&g->closing)) != NULL && hs->deadline <= now) {
		TAILQ_REMOVE(&g->closing, hs, entry);
		gate_hs_free(g, hs);
	}
	while ((hs = TAILQ_FIRST(&g->parked)) != NULL && hs->deadline <= now) {
		if ((s = gate_source(g, hs->ip)) != NULL)
			gate_tally_note(g, &s->tally, hs->addr, "waited "
			    "for a handshake slot too long; dropped");
		gate_hs_gone(g, hs);
	}
	if (!g->listening && now >= g->paused_until && gate_listen(g) == -1)
		g->paused_until = now + GATE_PAUSE_MS;
	if (now >= g->next_sweep) {
		gate_sweep_sources(g, now);
		gate_sweep_peers(g, now);
		gate_tally_flush(g, &g->full, "all sources", now);
		g->next_sweep = now + GATE_SWEEP_MS;
	}
}

/* Milliseconds until the next deadline of any kind. */
static int
gate_timeout(struct gate *g, int64_t now)
{
	int64_t		 next = g->next_sweep;
	struct gate_hs	*hs;

	if ((hs = TAILQ_FIRST(&g->pending)) != NULL && hs->deadline < next)
		next = hs->deadline;
	if ((hs = TAILQ_FIRST(&g->closing)) != NULL && hs->deadline < next)
		next = hs->deadline;
	if ((hs = TAILQ_FIRST(&g->parked)) != NULL && hs->deadline < next)
		next = hs->deadline;
	if (!g->listening && g->paused_until < next)
		next = g->paused_until;
	return next > now ? (int)(next - now) : 0;
}

static void *
gate_main(void *arg)
{
	struct gate		*g = arg;
	struct epoll_event	 ev[GATE_EVENTS];
	struct gate_hs		*hs;
	int			 n, i;

	log_set_tag(g->log_tag);
	for (;;) {
		n = epoll_wait(g->epfd, ev, GATE_EVENTS,
		    gate_timeout(g, timeutil_now_ms()));
		if (n == -1 && errno != EINTR)
			log_warn("%s: epoll_wait", g->what);
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == &gate_token_wake)
				return NULL;
			if (ev[i].data.ptr == &gate_token_listen) {
				gate_accept(g);
				continue;
			}
			hs = ev[i].data.ptr;
			if (hs->state == GATE_CLOSING)
				gate_hs_drain(g, hs);
			else if (hs->state == GATE_PARKED)
				gate_hs_gone(g, hs);
			else
				gate_hs_step(g, hs);
		}
		gate_expire(g, timeutil_now_ms());
	}
}

/*
 * Parked connections may use the descriptors the rest will not: the
 * soft limit is raised to the hard one, and what the connections and
 * handshakes may take, with a reserve, is kept back.
 */
static unsigned int
gate_parked_max(const struct gate_limits *lim)
{
	struct rlimit	rl;
	rlim_t		keep;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	keep = (rlim_t)lim->conns_max + lim->pending_max + GATE_FD_RESERVE;
	if (rl.rlim_cur == RLIM_INFINITY)
		return 65536;
	return rl.rlim_cur > keep ? (unsigned int)(rl.rlim_cur - keep) : 0;
}

static int
gate_setup(struct gate *g, char *err, size_t errlen)
{
	struct epoll_event	ev;
	int			flags;

	if ((flags = fcntl(g->listen_fd, F_GETFL)) == -1 ||
	    fcntl(g->listen_fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    (g->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    pipe2(g->wake, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "%s: %s", g->what, strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &gate_token_wake;
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->wake[0], &ev) == -1 ||
	    gate_listen(g) == -1) {
		snprintf(err, errlen, "%s: epoll: %s", g->what,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct gate *
gate_start(int listen_fd, struct tls_config *tls,
    const struct gate_limits *lim, gate_handoff_fn *handoff, void *arg,
    const char *what, char *err, size_t errlen)
{
	struct gate	*g;
	int		 rc;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(listen_fd);
		return NULL;
	}
	g->listen_fd = listen_fd;
	g->epfd = g->wake[0] = g->wake[1] = -1;
	g->tls = tls;
	g->lim = *lim;
	g->handoff = handoff;
	g->arg = arg;
	snprintf(g->what, sizeof(g->what), "%s", what);
	g->log_tag = log_tag();
	TAILQ_INIT(&g->pending);
	TAILQ_INIT(&g->parked);
	TAILQ_INIT(&g->closing);
	g->parked_max = gate_parked_max(lim);
	pthread_mutex_init(&g->lock, NULL);
	g->next_sweep = timeutil_now_ms() + GATE_SWEEP_MS;
	if (gate_setup(g, err, errlen) == -1) {
		gate_free(g);
		return NULL;
	}
	if ((rc = pthread_create(&g->thread, NULL, gate_main, g)) != 0) {
		snprintf(err, errlen, "%s: cannot start its thread: %s", what,
		    strerror(rc));
		gate_free(g);
		return NULL;
	}
	g->running = 1;
	return g;
}

static void
gate_drop_all(struct gate *g)
{
	struct gate_hs	*hs;

	while ((hs = TAILQ_FIRST(&g->pending)) != NULL) {
		gate_hs_unpend(g, hs);
		gate_hs_free(g, hs);
	}
	while ((hs = TAILQ_FIRST(&g->closing)) != NULL) {
		TAILQ_REMOVE(&g->closing, hs, entry);
		gate_hs_free(g, hs);
	}
	while ((hs = TAILQ_FIRST(&g->parked)) != NULL)
		gate_hs_gone(g, hs);
}

void
gate_stop(struct gate *g)
{
	if (g == NULL || !g->running)
		return;
	if (write(g->wake[1], "x", 1) != 1)
		log_warn("%s: stop", g->what);
	pthread_join(g->thread, NULL);
	g->running = 0;
	gate_drop_all(g);
	if (g->listen_fd != -1)
		close(g->listen_fd);
	g->listen_fd = -1;
}

void
gate_free(struct gate *g)
{
	struct gate_source	*s;
	struct gate_peer	*p;
	size_t			 i;

	if (g == NULL)
		return;
	gate_stop(g);
	if (g->listen_fd != -1)
		close(g->listen_fd);
	for (i = 0; i < GATE_BUCKETS; i++) {
		while ((s = g->sources[i]) != NULL) {
			g->sources[i] = s->next;
			free(s);
		}
		while ((p = g->peers[i]) != NULL) {
			g->peers[i] = p->next;
			free(p);
		}
	}
	if (g->epfd != -1)
		close(g->epfd);
	if (g->wake[0] != -1) {
		close(g->wake[0]);
		close(g->wake[1]);
	}
	pthread_mutex_destroy(&g->lock);
	free(g);
}
