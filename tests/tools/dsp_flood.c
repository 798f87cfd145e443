/*
 * dsp_flood: one hostile host holding many idle connections open
 * against a daemon, for the flood tests.
 *
 *   dsp_flood [--source ADDR] tcp HOST PORT COUNT SECONDS
 *	COUNT plain TCP connections that never send a byte
 *   dsp_flood [--source ADDR] --ca F --cert F --key F tls HOST PORT COUNT
 *	    SECONDS
 *	COUNT TLS connections that finish the handshake with a pool
 *	certificate and then idle
 *
 * Connections the daemon drops are opened again at once, for SECONDS.
 * All from ADDR (bind before connect), so the daemon sees one source.
 * At the end it prints how many it opened, how many were dropped, the
 * most it held open at once (and for tls how many handshakes finished),
 * and exits 0.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#define FLOOD_EVENTS	512

struct flood_conn {
	int			 fd;
	int			 connected;	/* TCP connect done */
	int			 handshaken;
	mbedtls_ssl_context	*ssl;		/* tls mode */
	mbedtls_net_context	 net;
};

struct flood {
	int			 tls;
	struct sockaddr_in	 dst;
	struct sockaddr_in	 src;
	int			 have_src;
	int			 epfd;
	struct flood_conn	*conns;
	unsigned int		 count;
	unsigned long		 opened, dropped, handshakes, failed;
	unsigned int		 open_now, open_max;
	mbedtls_ssl_config	 conf;
	mbedtls_x509_crt	 ca, cert;
	mbedtls_pk_context	 key;
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
};

static void
flood_die(const char *what)
{
	fprintf(stderr, "dsp_flood: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dsp_flood [--source ADDR] [--ca F --cert F "
	    "--key F] tcp|tls HOST PORT COUNT SECONDS\n");
	exit(2);
}

static double
flood_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
flood_tls_setup(struct flood *f, const char *ca, const char *cert,
    const char *key)
{
	mbedtls_ssl_config_init(&f->conf);
	mbedtls_x509_crt_init(&f->ca);
	mbedtls_x509_crt_init(&f->cert);
	mbedtls_pk_init(&f->key);
	mbedtls_entropy_init(&f->entropy);
	mbedtls_ctr_drbg_init(&f->drbg);
	if (mbedtls_ctr_drbg_seed(&f->drbg, mbedtls_entropy_func, &f->entropy,
	    NULL, 0) != 0 ||
	    mbedtls_ssl_config_defaults(&f->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0 ||
	    mbedtls_x509_crt_parse_file(&f->ca, ca) != 0 ||
	    mbedtls_x509_crt_parse_file(&f->cert, cert) != 0 ||
	    mbedtls_pk_parse_keyfile(&f->key, key, NULL) != 0 ||
	    mbedtls_ssl_conf_own_cert(&f->conf, &f->cert, &f->key) != 0) {
		fprintf(stderr, "dsp_flood: cannot load the TLS files\n");
		exit(2);
	}
	mbedtls_ssl_conf_rng(&f->conf, mbedtls_ctr_drbg_random, &f->drbg);
	mbedtls_ssl_conf_ca_chain(&f->conf, &f->ca, NULL);
	/* An attacker does not care who answers. */
	mbedtls_ssl_conf_authmode(&f->conf, MBEDTLS_SSL_VERIFY_NONE);
}

static void
flood_close(struct flood *f, struct flood_conn *c)
{
	if (c->fd == -1)
		return;
	(void)epoll_ctl(f->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->ssl != NULL) {
		mbedtls_ssl_free(c->ssl);
		free(c->ssl);
		c->ssl = NULL;
	}
	if (c->connected)
		f->open_now--;
	c->connected = c->handshaken = 0;
}

static void
flood_watch(struct flood *f, struct flood_conn *c, uint32_t events, int op)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(f->epfd, op, c->fd, &ev) == -1)
		flood_close(f, c);
}

/* Opens (again) one connection; a failure is retried on the next round. */
static void
flood_open(struct flood *f, struct flood_conn *c)
{
	int	fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (f->have_src && bind(fd, (struct sockaddr *)&f->src,
	    sizeof(f->src)) == -1) {
		close(fd);
		return;
	}
	if (connect(fd, (struct sockaddr *)&f->dst, sizeof(f->dst)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		f->failed++;
		return;
	}
	c->fd = fd;
	f->opened++;
	flood_watch(f, c, EPOLLOUT, EPOLL_CTL_ADD);
}

static int
flood_ssl_start(struct flood *f, struct flood_conn *c)
{
	if ((c->ssl = calloc(1, sizeof(*c->ssl))) == NULL)
		return -1;
	mbedtls_ssl_init(c->ssl);
	if (mbedtls_ssl_setup(c->ssl, &f->conf) != 0)
		return -1;
	c->net.fd = c->fd;
	mbedtls_ssl_set_bio(c->ssl, &c->net, mbedtls_net_send,
	    mbedtls_net_recv, NULL);
	return 0;
}

/* Advances a TLS handshake; -1 when the connection is lost. */
static int
flood_handshake(struct flood *f, struct flood_conn *c)
{
	int	rc = mbedtls_ssl_handshake(c->ssl);

	if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
		flood_watch(f, c, EPOLLIN, EPOLL_CTL_MOD);
		return 0;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		flood_watch(f, c, EPOLLOUT, EPOLL_CTL_MOD);
		return 0;
	}
	if (rc != 0)
		return -1;
	c->handshaken = 1;
	f->handshakes++;
	flood_watch(f, c, EPOLLIN, EPOLL_CTL_MOD);
	return 0;
}

/* Anything the daemon sends on an idle connection ends it. */
static int
flood_idle_input(struct flood_conn *c)
{
	unsigned char	buf[4096];
	ssize_t		n;
	int		rc;

	if (c->ssl != NULL) {
		rc = mbedtls_ssl_read(c->ssl, buf, sizeof(buf));
		return rc == MBEDTLS_ERR_SSL_WANT_READ ? 0 : -1;
	}
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	return n == -1 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

static void
flood_event(struct flood *f, struct flood_conn *c, uint32_t events)
{
	int	err = 0, lost = 0;
	socklen_t len = sizeof(err);

	if (!c->connected) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			f->failed++;
			flood_close(f, c);
			return;
		}
		c->connected = 1;
		if (++f->open_now > f->open_max)
			f->open_max = f->open_now;
		if (!f->tls) {
			flood_watch(f, c, EPOLLIN, EPOLL_CTL_MOD);
			return;
		}
		if (flood_ssl_start(f, c) == -1)
			lost = 1;
	}
	if (!lost && f->tls && !c->handshaken)
		lost = flood_handshake(f, c) == -1;
	else if (!lost && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
	    EPOLLERR)))
		lost = flood_idle_input(c) == -1;
	if (lost) {
		f->dropped++;
		flood_close(f, c);
	}
}

static void
flood_run(struct flood *f, double seconds)
{
	struct epoll_event	 ev[FLOOD_EVENTS];
	double			 end = flood_now() + seconds;
	unsigned int		 i;
	int			 n;

	while (flood_now() < end) {
		for (i = 0; i < f->count; i++)
			if (f->conns[i].fd == -1)
				flood_open(f, &f->conns[i]);
		n = epoll_wait(f->epfd, ev, FLOOD_EVENTS, 20);
		for (i = 0; n > 0 && i < (unsigned int)n; i++)
			flood_event(f, ev[i].data.ptr, ev[i].events);
	}
}

static void
flood_limits(unsigned int count)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < count + 16) {
			fprintf(stderr, "dsp_flood: %u connections need more "
			    "than the %llu descriptors allowed\n", count,
			    (unsigned long long)rl.rlim_cur);
			exit(2);
		}
	}
}

int
main(int argc, char **argv)
{
	static struct flood	 f;
	const char		*ca = NULL, *cert = NULL, *key = NULL;
	unsigned int		 i;
	int			 a;

	for (a = 1; a + 1 < argc && strncmp(argv[a], "--", 2) == 0; a += 2) {
		if (strcmp(argv[a], "--source") == 0) {
			if (inet_pton(AF_INET, argv[a + 1],
			    &f.src.sin_addr) != 1)
				usage();
			f.src.sin_family = AF_INET;
			f.have_src = 1;
		} else if (strcmp(argv[a], "--ca") == 0)
			ca = argv[a + 1];
		else if (strcmp(argv[a], "--cert") == 0)
			cert = argv[a + 1];
		else if (strcmp(argv[a], "--key") == 0)
			key = argv[a + 1];
		else
			usage();
	}
	if (argc - a != 5)
		usage();
	f.tls = strcmp(argv[a], "tls") == 0;
	if (!f.tls && strcmp(argv[a], "tcp") != 0)
		usage();
	if (f.tls && (ca == NULL || cert == NULL || key == NULL))
		usage();
	f.dst.sin_family = AF_INET;
	f.dst.sin_port = htons((uint16_t)atoi(argv[a + 2]));
	if (inet_pton(AF_INET, argv[a + 1], &f.dst.sin_addr) != 1)
		usage();
	f.count = (unsigned int)strtoul(argv[a + 3], NULL, 10);
	flood_limits(f.count);
	if (f.tls)
		flood_tls_setup(&f, ca, cert, key);
	if ((f.conns = calloc(f.count, sizeof(*f.conns))) == NULL ||
	    (f.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		flood_die("setup");
	for (i = 0; i < f.count; i++)
		f.conns[i].fd = -1;
	flood_run(&f, atof(argv[a + 4]));
	printf("opened %lu dropped %lu failed %lu held-max %u held-end %u "
	    "handshakes %lu\n", f.opened, f.dropped, f.failed, f.open_max,
	    f.open_now, f.handshakes);
	return 0;
}
