/*
 * Where a volume's NBD export is reached (nbd_listen.h): a Unix socket,
 * or TCP on a loopback address. Each connection gets a thread for its
 * handshake and its requests; a handshake must end within
 * NBD_HANDSHAKE_MS in all (not per read: a client trickling bytes is
 * cut off too), and at most NBD_CONNS_MAX connections are served
 * at once, so idle or hostile clients cannot use up the export.
 *
 * TLS comes by NBD_OPT_STARTTLS, with the borrower's own certificate;
 * the client must show a borrower certificate of the same pool CA (not
 * revoked). A TLS connection is served by its own thread alone, as its
 * reads and writes may not overlap.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nbd_listen.h"
#include "net.h"
#include "proto.h"
#include "timeutil.h"

struct nbd_listener {
	struct tls_config		*tls;
	enum nbd_tls			 tls_mode;
	const struct nbd_export		*export;
	const struct nbd_backend	*backend;
	int				 workers;
	pthread_mutex_t			 lock;
	pthread_cond_t			 gone;		/* a connection ended */
	int				 fds[NBD_CONNS_MAX];
	int				 nconns;
	int				 ended;		/* ESHUTDOWN */
	int				 wake[2];	/* to the accept loop */
};

struct nbd_conn {
	struct nbd_listener	*l;
	int			 fd;
	struct tls_conn		*tls;		/* after STARTTLS */
	int			 fd_gone;	/* closed by a failed TLS start */
	int64_t			 deadline_ms;	/* of the handshake, or 0 */
	char			 addr[64];
	char			 peer[64 + DSP_NAME_MAX + 4];	/* for the log */
};

static int		nbd_signal_fd = -1;
static const int	nbd_sockbuf = 4 * 1024 * 1024;

static void
nbd_on_signal(int sig)
{
	char	c = (char)sig;

	if (nbd_signal_fd != -1)
		(void)!write(nbd_signal_fd, &c, 1);
}

/* What is left of the handshake's time: -1 none set, 0 it is up. */
static int
nbd_time_left(const struct nbd_conn *c)
{
	int64_t	left;

	if (c->deadline_ms == 0)
		return -1;
	left = c->deadline_ms - timeutil_now_ms();
	return left > 0 ? (int)left : 0;
}

static int
nbd_fd_read(void *arg, void *buf, size_t len)
{
	struct nbd_conn	*c = arg;
	struct pollfd	 pfd = { c->fd, POLLIN, 0 };
	uint8_t		*p = buf;
	ssize_t		 n;
	int		 left;

	if (c->tls != NULL) {
		if ((left = nbd_time_left(c)) == 0)
			return -1;
		return tls_read_full(c->tls, buf, len, left > 0 ? left : 0);
	}
	while (len > 0) {
		if ((left = nbd_time_left(c)) == 0 ||
		    (left > 0 && poll(&pfd, 1, left) == 0))
			return -1;
		if ((n = recv(c->fd, p, len, 0)) > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == 0 || errno != EINTR)
			return -1;
	}
	return 0;
}

static int
nbd_fd_write(void *arg, const void *buf, size_t len)
{
	struct nbd_conn	*c = arg;
	const uint8_t	*p = buf;
	ssize_t		 n;

	if (c->tls != NULL)
		return tls_write_full(c->tls, buf, len);
	while (len > 0) {
		if ((n = send(c->fd, p, len, MSG_NOSIGNAL)) > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* NBD_OPT_STARTTLS: the handshake on the same socket, then the peer's
 * role; the names in the log are the certificate's from here on. */
static int
nbd_fd_starttls(void *arg, char *err, size_t errlen)
{
	struct nbd_conn	*c = arg;

	if ((c->tls = tls_accept(c->l->tls, c->fd, NBD_HANDSHAKE_MS, err,
	    errlen)) == NULL) {
		c->fd_gone = 1;
		return -1;
	}
	if (tls_peer_role(c->tls) != DSP_ROLE_BORROWER) {
		snprintf(err, errlen, "certificate %s has the role %s: an "
		    "export serves borrowers", tls_peer_name(c->tls),
		    dsp_role_name(tls_peer_role(c->tls)));
		return -1;
	}
	snprintf(c->peer, sizeof(c->peer), "%s (%s)", tls_peer_name(c->tls),
	    c->addr);
	return 0;
}

static void
nbd_fd_shutdown(void *arg)
{
	struct nbd_conn	*c = arg;

	shutdown(c->fd, SHUT_RD);
}

static void
nbd_set_timeout(int fd, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void
nbd_conn_end(struct nbd_conn *c, int ended)
{
	struct nbd_listener	*l = c->l;
	int			 i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < NBD_CONNS_MAX; i++)
		if (l->fds[i] == c->fd)
			l->fds[i] = -1;
	l->nconns--;
	if (ended && !l->ended) {
		l->ended = 1;
		(void)!write(l->wake[1], "e", 1);
	}
	pthread_cond_broadcast(&l->gone);
	pthread_mutex_unlock(&l->lock);
	if (c->tls != NULL)
		tls_close(c->tls);
	else if (!c->fd_gone)
		close(c->fd);
	free(c);
}

static void *
nbd_conn_main(void *arg)
{
	struct nbd_conn		*c = arg;
	struct nbd_listener	*l = c->l;
	struct nbd_io		 io = { c, nbd_fd_read, nbd_fd_write,
				    nbd_fd_starttls, nbd_fd_shutdown };
	struct nbd_session	 s;
	char			 err[512];
	int			 rc;

	nbd_set_timeout(c->fd, NBD_HANDSHAKE_MS);
	c->deadline_ms = timeutil_now_ms() + NBD_HANDSHAKE_MS;
	if (l->tls == NULL)
		io.starttls = NULL;
	rc = nbd_handshake(&io, l->export, l->tls_mode, &s, err,
	    sizeof(err));
	if (rc == -1)
		log_warnx("%s: handshake refused: %s", c->peer, err);
	if (rc != 0) {
		nbd_conn_end(c, 0);
		return NULL;
	}
	/* An NBD client may rightly be idle for hours. */
	c->deadline_ms = 0;
	nbd_set_timeout(c->fd, 0);
	log_info("%s: connected%s%s%s", c->peer, c->tls != NULL ? ", TLS" :
	    "", s.structured ? ", structured replies" : "",
	    s.base_allocation ? ", base:allocation" : "");
	rc = nbd_serve(&io, l->export, &s, l->backend, c->tls != NULL ? 0 :
	    l->workers, err, sizeof(err));
	if (rc == -1)
		log_warnx("%s: connection dropped: %s", c->peer, err);
	else
		log_info("%s: disconnected", c->peer);
	nbd_conn_end(c, rc == 1);
	return NULL;
}

static void
nbd_peer_name(int fd, int unix_socket, char *out, size_t len)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	char			addr[INET_ADDRSTRLEN];
	static unsigned int	count;

	if (!unix_socket && getpeername(fd, (struct sockaddr *)&sin,
	    &sl) == 0 && inet_ntop(AF_INET, &sin.sin_addr, addr,
	    sizeof(addr)) != NULL)
		snprintf(out, len, "%s:%u", addr, ntohs(sin.sin_port));
	else
		snprintf(out, len, "client %u", ++count);
}

/* A connection accepted: served in a thread, or refused when full. */
static void
nbd_accept_one(struct nbd_listener *l, int lfd, int unix_socket)
{
	struct nbd_conn	*c;
	pthread_t	 t;
	int		 fd, i;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		/* Out of descriptors: the listener stays readable, so wait a
		 * little rather than spin. */
		if (errno == EMFILE || errno == ENFILE) {
			log_warnx("accept: %s", strerror(errno));
			usleep(100 * 1000);
		}
		return;
	}
	/* Room for whole replies of large reads and for the writes behind
	 * them: fewer wake-ups per request. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &nbd_sockbuf, sizeof(nbd_sockbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &nbd_sockbuf, sizeof(nbd_sockbuf));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->l = l;
	c->fd = fd;
	nbd_peer_name(fd, unix_socket, c->addr, sizeof(c->addr));
	snprintf(c->peer, sizeof(c->peer), "%s", c->addr);
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < NBD_CONNS_MAX && l->fds[i] != -1; i++)
		;
	if (i == NBD_CONNS_MAX) {
		pthread_mutex_unlock(&l->lock);
		log_warnx("%s: refused: %d connections are open (the most)",
		    c->peer, NBD_CONNS_MAX);
		close(fd);
		free(c);
		return;
	}
	l->fds[i] = fd;
	l->nconns++;
	pthread_mutex_unlock(&l->lock);
	if (pthread_create(&t, NULL, nbd_conn_main, c) != 0) {
		log_warnx("%s: cannot start a thread for it", c->peer);
		nbd_conn_end(c, 0);
		return;
	}
	pthread_detach(t);
}

/* Stops every connection: reads end, requests read are answered. */
static void
nbd_drain(struct nbd_listener *l)
{
	int	i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < NBD_CONNS_MAX; i++)
		if (l->fds[i] != -1)
			shutdown(l->fds[i], SHUT_RD);
	while (l->nconns > 0)
		pthread_cond_wait(&l->gone, &l->lock);
	pthread_mutex_unlock(&l->lock);
}

/* "ADDR:PORT" or "PORT" (then 127.0.0.1); plaintext stays on loopback. */
static int
nbd_tcp_listen(const char *spec, int tls, char *where, size_t wlen, char *err,
    size_t errlen)
{
	char		 host[64], *colon, *end;
	unsigned long	 port;
	struct in_addr	 a;
	int		 fd;

	if (strchr(spec, ':') == NULL)
		snprintf(host, sizeof(host), "127.0.0.1:%s", spec);
	else
		snprintf(host, sizeof(host), "%s", spec);
	colon = strrchr(host, ':');
	*colon = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &a) != 1) {
		snprintf(err, errlen, "--listen %s: expected ADDR:PORT (an "
		    "IPv4 address) or PORT", spec);
		return -1;
	}
	if ((ntohl(a.s_addr) >> 24) != 127 && !tls) {
		snprintf(err, errlen, "--listen %s: plaintext NBD is served "
		    "on loopback (127.0.0.0/8) or a Unix socket only; off the "
		    "host the export needs TLS", spec);
		return -1;
	}
	if ((fd = net_listen(host, (uint16_t)port, err, errlen)) == -1)
		return -1;
	snprintf(where, wlen, "%s://%s:%u/", tls ? "nbds" : "nbd", host,
	    net_local_port(fd));
	return fd;
}

/* Whether "ADDR:PORT" names an address off this host (PORT alone is
 * loopback). */
static int
nbd_off_host(const char *spec)
{
	char		host[64], *colon;
	struct in_addr	a;

	snprintf(host, sizeof(host), "%s", spec);
	if ((colon = strrchr(host, ':')) == NULL)
		return 0;
	*colon = '\0';
	return inet_pton(AF_INET, host, &a) == 1 &&
	    (ntohl(a.s_addr) >> 24) != 127;
}

static int
nbd_open_listener(const struct nbd_listen_opts *o, int tls, char *where,
    size_t wlen, char *err, size_t errlen)
{
	int	fd;

	if (o->listen != NULL)
		return nbd_tcp_listen(o->listen, tls, where, wlen, err,
		    errlen);
	if ((fd = net_listen_unix(o->socket_path, err, errlen)) != -1)
		snprintf(where, wlen, "%s:///?socket=%s", tls ? "nbds+unix" :
		    "nbd+unix", o->socket_path);
	return fd;
}

static void
nbd_signals(int fd)
{
	struct sigaction	sa;

	nbd_signal_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nbd_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Accepts until a signal or the end of the export: 0 or 1. */
static int
nbd_accept_loop(struct nbd_listener *l, int lfd, int unix_socket)
{
	struct pollfd	pfd[2] = { { lfd, POLLIN, 0 }, { l->wake[0], POLLIN,
			    0 } };
	char		c = 0;

	for (;;) {
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			return 1;
		if (pfd[1].revents & POLLIN) {
			(void)!read(l->wake[0], &c, 1);
			return c == 'e';
		}
		if (pfd[0].revents & POLLIN)
			nbd_accept_one(l, lfd, unix_socket);
	}
}

int
nbd_listen_run(const struct nbd_export *e, const struct nbd_backend *be,
    const struct nbd_listen_opts *o, char *err, size_t errlen)
{
	struct nbd_listener	 l;
	char			 where[512];
	int			 lfd, ended, i, required;

	memset(&l, 0, sizeof(l));
	l.export = e;
	l.backend = be;
	l.workers = o->workers;
	/* Off the host, TLS or nothing. */
	required = o->tls_required || (o->listen != NULL &&
	    nbd_off_host(o->listen) && o->tls != NULL);
	if (o->tls != NULL && (l.tls = tls_config_new(TLS_SIDE_SERVER, o->tls,
	    err, errlen)) == NULL)
		return -1;
	l.tls_mode = required ? NBD_TLS_REQUIRED : l.tls != NULL ?
	    NBD_TLS_OFFERED : NBD_TLS_NONE;
	for (i = 0; i < NBD_CONNS_MAX; i++)
		l.fds[i] = -1;
	if (pipe2(l.wake, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		tls_config_free(l.tls);
		return -1;
	}
	if ((lfd = nbd_open_listener(o, required, where, sizeof(where), err,
	    errlen)) == -1) {
		close(l.wake[0]);
		close(l.wake[1]);
		tls_config_free(l.tls);
		return -1;
	}
	pthread_mutex_init(&l.lock, NULL);
	pthread_cond_init(&l.gone, NULL);
	nbd_signals(l.wake[1]);
	log_info("volume %s exported at %s", e->name, where);
	if (o->ready != NULL)
		o->ready(o->ready_arg, where);
	else {
		printf("volume %s exported at %s\n", e->name, where);
		fflush(stdout);
	}
	ended = nbd_accept_loop(&l, lfd, o->listen == NULL);
	close(lfd);
	if (o->listen == NULL)
		unlink(o->socket_path);
	nbd_drain(&l);
	nbd_signal_fd = -1;
	close(l.wake[0]);
	close(l.wake[1]);
	pthread_cond_destroy(&l.gone);
	pthread_mutex_destroy(&l.lock);
	tls_config_free(l.tls);
	return ended;
}
