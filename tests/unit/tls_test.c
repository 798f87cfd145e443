/*
 * Mutual TLS, sockets and framed channels on 127.0.0.1, with a server
 * thread per test. The PKI is made at test time with pki.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "buf.h"
#include "channel.h"
#include "frame.h"
#include "net.h"
#include "pki.h"
#include "proto.h"
#include "tls.h"

#define T_TIMEOUT	5000
#define AES128		"TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"
/* The default: the faster AEAD in bench/aead.c with mbedTLS 2.28. */
#define DEFAULT_SUITE	"TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256"

struct pki_dirs {
	char	pool[64];
	char	rogue[64];
};

static struct pki_dirs	d;
/* Every test server presents serverA's agent certificate. */
static const struct tls_peer	agent_a = { DSP_ROLE_AGENT, "serverA" };

/* What the server thread did with one connection. */
struct server {
	struct tls_config	*cfg;
	int			 lfd;
	int			 timeout_ms;
	int			 echo;		/* serve channel frames */
	pthread_t		 th;
	int			 ok;
	char			 err[512];
	char			 peer[DSP_NAME_MAX + 1];
	int			 role;
	char			 cipher[64];
};

static void
pool_file(char *out, const char *dir, const char *name, const char *ext)
{
	snprintf(out, PATH_MAX, "%s/%s.%s", dir, name, ext);
}

static struct tls_config *
config(enum tls_side side, const char *dir, const char *name,
    const char *ca_dir, const char *ciphers)
{
	struct tls_config	*cfg;
	struct tls_paths	 p;
	char			 ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	char			 err[512];

	pool_file(ca, ca_dir, "ca", "crt");
	pool_file(crt, dir, name, "crt");
	pool_file(key, dir, name, "key");
	memset(&p, 0, sizeof(p));
	p.ca_file = ca;
	p.cert_file = crt;
	p.key_file = key;
	p.ciphers = ciphers;
	if ((cfg = tls_config_new(side, &p, err, sizeof(err))) == NULL)
		fprintf(stderr, "tls_config_new: %s\n", err);
	return cfg;
}

static int
issue(const char *dir, const char *name, int role, const char *nb,
    const char *na)
{
	struct pki_validity	v = { 0, nb, na };
	char			err[512];

	if (pki_issue(dir, name, role, &v, 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "pki_issue %s: %s\n", name, err);
		return -1;
	}
	return 0;
}

static int
group_setup(void **state)
{
	char	err[512];

	(void)state;
	snprintf(d.pool, sizeof(d.pool), "/tmp/tls_test.XXXXXX");
	snprintf(d.rogue, sizeof(d.rogue), "/tmp/tls_test.XXXXXX");
	if (mkdtemp(d.pool) == NULL || mkdtemp(d.rogue) == NULL)
		return -1;
	if (pki_init(d.pool, "mgr1", NULL, 1, err, sizeof(err)) == -1 ||
	    pki_init(d.rogue, "manager", NULL, 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "pki_init: %s\n", err);
		return -1;
	}
	if (issue(d.pool, "serverA", DSP_ROLE_AGENT, NULL, NULL) == -1 ||
	    issue(d.pool, "serverJ", DSP_ROLE_BORROWER, NULL, NULL) == -1 ||
	    issue(d.pool, "oldhost", DSP_ROLE_BORROWER, "20200101000000",
	    "20210101000000") == -1 ||
	    issue(d.rogue, "serverJ", DSP_ROLE_BORROWER, NULL, NULL) == -1 ||
	    issue(d.rogue, "serverA", DSP_ROLE_AGENT, NULL, NULL) == -1)
		return -1;
	return 0;
}

static void
rmdir_files(const char *dir)
{
	static const char *names[] = { "ca", "manager", "serverA", "serverJ",
	    "oldhost" };
	char	p[PATH_MAX];
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pool_file(p, dir, names[i], "crt");
		unlink(p);
		pool_file(p, dir, names[i], "key");
		unlink(p);
	}
	pool_file(p, dir, "crl", "pem");
	unlink(p);
	rmdir(dir);
}

static int
group_teardown(void **state)
{
	(void)state;
	rmdir_files(d.pool);
	rmdir_files(d.rogue);
	return 0;
}

/* Echoes every request; opcode ERASE gets an error reply instead. */
static void
server_echo(struct channel *ch)
{
	struct dsp_header	 hdr;
	struct buf_writer	 w;
	const uint8_t		*p;

	buf_writer_init(&w);
	while (channel_recv(ch, &hdr, &p) == DSP_OK) {
		if (hdr.opcode == DSP_OP_ERASE) {
			channel_reply_error(ch, &hdr, DSP_E_RANGE,
			    "offset %u is outside extent A2", 7u);
			continue;
		}
		buf_writer_reset(&w);
		buf_put_bytes(&w, p, hdr.payload_length);
		if (channel_reply(ch, &hdr, &w) == -1)
			break;
	}
	buf_writer_free(&w);
}

static void *
server_main(void *arg)
{
	struct server	*s = arg;
	struct tls_conn	*c;
	int		 fd;

	if ((fd = accept(s->lfd, NULL, NULL)) == -1) {
		snprintf(s->err, sizeof(s->err), "accept: %s", strerror(errno));
		return NULL;
	}
	if ((c = tls_accept(s->cfg, fd, s->timeout_ms, s->err,
	    sizeof(s->err))) == NULL)
		return NULL;
	s->ok = 1;
	snprintf(s->peer, sizeof(s->peer), "%s", tls_peer_name(c));
	s->role = tls_peer_role(c);
	snprintf(s->cipher, sizeof(s->cipher), "%s", tls_cipher_name(c));
	if (s->echo) {
		struct channel	*ch = channel_from_tls(c);

		server_echo(ch);
		channel_close(ch);
		return NULL;
	}
	/* Wait for the client to close, so it sees a complete handshake. */
	{
		uint8_t	b;
		(void)tls_read_full(c, &b, 1, T_TIMEOUT);
	}
	tls_close(c);
	return NULL;
}

static uint16_t
server_start(struct server *s, struct tls_config *cfg, int timeout_ms,
    int echo)
{
	char	err[256];

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->timeout_ms = timeout_ms;
	s->echo = echo;
	s->lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	assert_true(s->lfd >= 0);
	assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
	return net_local_port(s->lfd);
}

static void
server_wait(struct server *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

/* One handshake between two configs; returns the client conn or NULL. */
static struct tls_conn *
pair(struct server *s, struct tls_config *srv, struct tls_config *cli,
    char *err, size_t errlen)
{
	uint16_t	port;

	port = server_start(s, srv, T_TIMEOUT, 0);
	return tls_connect(cli, "127.0.0.1", port, &agent_a, T_TIMEOUT, err,
	    errlen);
}

static void
test_handshake_ok(void **state)
{
	struct tls_config	*srv, *cli;
	struct tls_conn		*c;
	struct server		 s;
	char			 err[512] = "";

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, NULL);
	assert_non_null(srv);
	assert_non_null(cli);
	assert_string_equal(tls_config_own_name(srv), "serverA");

	c = pair(&s, srv, cli, err, sizeof(err));
	if (c == NULL)
		fail_msg("handshake: %s", err);
	assert_string_equal(tls_peer_name(c), "serverA");
	assert_int_equal(tls_peer_role(c), DSP_ROLE_AGENT);
	assert_string_equal(tls_cipher_name(c), DEFAULT_SUITE);
	assert_true(tls_fd(c) >= 0);
	tls_close(c);
	server_wait(&s);
	assert_true(s.ok);
	assert_string_equal(s.peer, "serverJ");
	assert_int_equal(s.role, DSP_ROLE_BORROWER);
	assert_string_equal(s.cipher, DEFAULT_SUITE);

	tls_config_free(srv);
	tls_config_free(cli);
}

static void
test_manager_role(void **state)
{
	struct tls_config	*srv, *cli;
	struct tls_conn		*c;
	struct server		 s;
	char			 err[512] = "";

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "manager", d.pool, NULL);
	assert_non_null(cli);
	assert_string_equal(tls_config_own_name(cli), "mgr1");
	c = pair(&s, srv, cli, err, sizeof(err));
	assert_non_null(c);
	tls_close(c);
	server_wait(&s);
	assert_string_equal(s.peer, "mgr1");
	assert_int_equal(s.role, DSP_ROLE_MANAGER);
	tls_config_free(srv);
	tls_config_free(cli);
}

/* A client refuses a peer that is not the one it meant to reach, before
 * it could send anything: wrong CN, then wrong role. */
static void
test_unexpected_peer(void **state)
{
	static const struct tls_peer	 expect[] = {
		{ DSP_ROLE_AGENT, "serverB" },
		{ DSP_ROLE_MANAGER, NULL },
	};
	struct tls_config		*srv, *cli;
	struct server			 s;
	char				 err[512];
	size_t				 i;

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, NULL);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		errno = 0;
		assert_null(tls_connect(cli, "127.0.0.1", server_start(&s, srv,
		    T_TIMEOUT, 0), &expect[i], T_TIMEOUT, err, sizeof(err)));
		assert_int_equal(errno, EACCES);
		assert_non_null(strstr(err, "certificate of serverA (role "
		    "agent)"));
		assert_non_null(strstr(err, i == 0 ? "not of agent serverB" :
		    "not of manager"));
		server_wait(&s);
	}
	tls_config_free(srv);
	tls_config_free(cli);
}

static void
test_ciphers(void **state)
{
	static const struct {
		const char	*name;
		const char	*suite;
	} t[] = {
		{ "aes-128-gcm", AES128 },
		{ "aes-256-gcm", "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384" },
		{ "chacha20-poly1305",
		    "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256" },
	};
	struct tls_config	*srv, *cli;
	struct tls_conn		*c;
	struct server		 s;
	char			 err[512];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool,
		    t[i].name);
		cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool,
		    t[i].name);
		c = pair(&s, srv, cli, err, sizeof(err));
		if (c == NULL)
			fail_msg("%s: %s", t[i].name, err);
		assert_string_equal(tls_cipher_name(c), t[i].suite);
		tls_close(c);
		server_wait(&s);
		assert_string_equal(s.cipher, t[i].suite);
		tls_config_free(srv);
		tls_config_free(cli);
	}
}

static void
test_cipher_mismatch(void **state)
{
	struct tls_config	*srv, *cli;
	struct tls_conn		*c;
	struct tls_paths	 p;
	struct server		 s;
	char			 err[512] = "";

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, "aes-128-gcm");
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool,
	    "chacha20-poly1305");
	/* Hosts configured differently agree on the server's preference. */
	c = pair(&s, srv, cli, err, sizeof(err));
	assert_non_null(c);
	assert_string_equal(tls_cipher_name(c),
	    "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
	tls_close(c);
	server_wait(&s);
	assert_true(s.ok);
	tls_config_free(srv);
	tls_config_free(cli);

	/* An unknown name is refused when the config is made. */
	memset(&p, 0, sizeof(p));
	p.ca_file = p.cert_file = p.key_file = "/nonexistent";
	p.ciphers = "rc4";
	assert_null(tls_config_new(TLS_SIDE_CLIENT, &p, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent"));
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, "rc4");
	assert_null(cli);
}

/* A client that shows no certificate at all, built on raw mbedTLS. */
static void
test_client_without_cert(void **state)
{
	mbedtls_entropy_context		entropy;
	mbedtls_ctr_drbg_context	drbg;
	mbedtls_ssl_config		conf;
	mbedtls_ssl_context		ssl;
	mbedtls_net_context		net;
	mbedtls_x509_crt		ca;
	struct tls_config		*srv;
	struct server			 s;
	char				 ca_path[PATH_MAX], port[8];
	int				 rc;

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	snprintf(port, sizeof(port), "%u", server_start(&s, srv, T_TIMEOUT, 0));

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	mbedtls_net_init(&net);
	mbedtls_x509_crt_init(&ca);
	pool_file(ca_path, d.pool, "ca", "crt");
	assert_int_equal(mbedtls_x509_crt_parse_file(&ca, ca_path), 0);
	assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func,
	    &entropy, NULL, 0), 0);
	assert_int_equal(mbedtls_ssl_config_defaults(&conf,
	    MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
	    MBEDTLS_SSL_PRESET_DEFAULT), 0);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
	mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	assert_int_equal(mbedtls_ssl_setup(&ssl, &conf), 0);
	assert_int_equal(mbedtls_net_connect(&net, "127.0.0.1", port,
	    MBEDTLS_NET_PROTO_TCP), 0);
	mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv,
	    NULL);
	while ((rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ ||
	    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		;
	/* Told why, not just dropped. */
	assert_int_equal(rc, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
	mbedtls_net_free(&net);
	server_wait(&s);
	assert_false(s.ok); 
	assert_string_equal(s.err, "handshake failed: peer sent no certificate");

	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_x509_crt_free(&ca);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	tls_config_free(srv);
}

static void
test_client_other_ca(void **state)
{
	struct tls_config	*srv, *cli;
	struct server		 s;
	char			 err[512] = "";

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	/* Trusts the pool CA, but its own certificate is the rogue's. */
	cli = config(TLS_SIDE_CLIENT, d.rogue, "serverJ", d.pool, NULL);
	assert_non_null(cli);
	assert_null(pair(&s, srv, cli, err, sizeof(err)));
	assert_int_equal(errno, EACCES);	/* refused: not worth a retry */
	server_wait(&s);
	assert_false(s.ok);
	assert_non_null(strstr(s.err,
	    "certificate verification failed: not issued by the pool CA"));
	assert_non_null(strstr(err, "not issued by its pool CA"));
	tls_config_free(srv);
	tls_config_free(cli);
}

static void
test_server_other_ca(void **state)
{
	struct tls_config	*srv, *cli;
	struct server		 s;
	char			 err[512] = "";

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.rogue, "serverA", d.rogue, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, NULL);
	assert_null(pair(&s, srv, cli, err, sizeof(err)));
	assert_int_equal(errno, EACCES);
	server_wait(&s);
	assert_false(s.ok);
	assert_non_null(strstr(err,
	    "certificate verification failed: not issued by the pool CA"));
	assert_non_null(strstr(s.err, "refused by peer"));
	tls_config_free(srv);
	tls_config_free(cli);
}

static void
test_expired_cert(void **state)
{
	struct tls_config	*srv, *cli;
	struct server		 s;
	char			 err[512] = "";

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "oldhost", d.pool, NULL);
	assert_non_null(cli);
	assert_null(pair(&s, srv, cli, err, sizeof(err)));
	server_wait(&s);
	assert_false(s.ok);
	assert_non_null(strstr(s.err,
	    "certificate verification failed: expired"));
	assert_non_null(strstr(s.err, "oldhost"));
	assert_non_null(strstr(err, "our certificate has expired"));
	tls_config_free(srv);
	tls_config_free(cli);
}

static void
test_plaintext_client(void **state)
{
	struct tls_config	*srv;
	struct dsp_header	 h;
	struct server		 s;
	uint8_t			 raw[DSP_HEADER_SIZE];
	char			 err[256];
	int			 fd;

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	fd = net_connect("127.0.0.1", server_start(&s, srv, T_TIMEOUT, 0),
	    T_TIMEOUT, err, sizeof(err));
	assert_true(fd >= 0);
	memset(&h, 0, sizeof(h));
	h.magic = DSP_MAGIC;
	h.version = DSP_VERSION;
	h.opcode = DSP_OP_HEARTBEAT;
	h.request_id = 1;
	frame_encode_header(&h, raw);
	assert_int_equal(write(fd, raw, sizeof(raw)), (ssize_t)sizeof(raw));
	server_wait(&s);
	close(fd);
	assert_false(s.ok);
	assert_non_null(strstr(s.err, "handshake failed: plaintext or not TLS"));
	tls_config_free(srv);
}

static void
test_handshake_timeout(void **state)
{
	struct tls_config	*srv;
	struct server		 s;
	char			 err[256];
	int			 fd;

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	fd = net_connect("127.0.0.1", server_start(&s, srv, 150, 0),
	    T_TIMEOUT, err, sizeof(err));
	assert_true(fd >= 0);
	server_wait(&s);		/* the client says nothing */
	close(fd);
	assert_false(s.ok);
	assert_string_equal(s.err, "handshake timed out after 150 ms");
	tls_config_free(srv);
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Not a pass/fail check: prints what a handshake costs on loopback. */
static void
test_handshake_time(void **state)
{
	struct tls_config	*srv, *cli;
	struct tls_conn		*c;
	struct server		 s;
	char			 err[512];
	double			 t0, total = 0, best = 1e9, t;
	int			 i, n = 20;

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, NULL);
	for (i = 0; i < n; i++) {
		t0 = now_ms();
		c = pair(&s, srv, cli, err, sizeof(err));
		t = now_ms() - t0;
		assert_non_null(c);
		tls_close(c);
		server_wait(&s);
		total += t;
		if (t < best)
			best = t;
	}
	printf("tls_test: full handshake on loopback: mean %.2f ms, best "
	    "%.2f ms (%d runs)\n", total / n, best, n);
	tls_config_free(srv);
	tls_config_free(cli);
}

#define PAR_CLIENTS	4
#define PAR_ROUNDS	3

struct par {
	struct tls_config	*cfg;
	int			 lfd;	/* server side */
	uint16_t		 port;	/* client side */
	int			 failures;
};

static void *
par_serve_one(void *arg)
{
	struct par	*p = arg;
	struct tls_conn	*c;
	char		 err[512];
	uint8_t		 b;
	int		 fd;

	if ((fd = accept(p->lfd, NULL, NULL)) == -1 ||
	    (c = tls_accept(p->cfg, fd, T_TIMEOUT, err, sizeof(err))) == NULL) {
		__atomic_add_fetch(&p->failures, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	(void)tls_read_full(c, &b, 1, T_TIMEOUT);
	tls_close(c);
	return NULL;
}

static void *
par_client(void *arg)
{
	struct par	*p = arg;
	struct tls_conn	*c;
	char		 err[512];
	int		 i;

	for (i = 0; i < PAR_ROUNDS; i++) {
		c = tls_connect(p->cfg, "127.0.0.1", p->port, &agent_a,
		    T_TIMEOUT, err,
		    sizeof(err));
		if (c == NULL || strcmp(tls_peer_name(c), "serverA") != 0)
			__atomic_add_fetch(&p->failures, 1, __ATOMIC_SEQ_CST);
		tls_close(c);
	}
	return NULL;
}

/* Both configs shared by concurrent handshakes in many threads. */
static void
test_parallel_handshakes(void **state)
{
	pthread_t	 srv_th[PAR_CLIENTS * PAR_ROUNDS], cli_th[PAR_CLIENTS];
	struct par	 sp, cp;
	char		 err[256];
	int		 i;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	memset(&cp, 0, sizeof(cp));
	sp.cfg = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cp.cfg = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, NULL);
	sp.lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	assert_true(sp.lfd >= 0);
	cp.port = net_local_port(sp.lfd);
	for (i = 0; i < PAR_CLIENTS * PAR_ROUNDS; i++)
		assert_int_equal(pthread_create(&srv_th[i], NULL,
		    par_serve_one, &sp), 0);
	for (i = 0; i < PAR_CLIENTS; i++)
		assert_int_equal(pthread_create(&cli_th[i], NULL, par_client,
		    &cp), 0);
	for (i = 0; i < PAR_CLIENTS; i++)
		pthread_join(cli_th[i], NULL);
	for (i = 0; i < PAR_CLIENTS * PAR_ROUNDS; i++)
		pthread_join(srv_th[i], NULL);
	close(sp.lfd);
	assert_int_equal(sp.failures, 0);
	assert_int_equal(cp.failures, 0);
	tls_config_free(sp.cfg);
	tls_config_free(cp.cfg);
}

static void
test_channel_tls(void **state)
{
	struct tls_config	*srv, *cli;
	struct tls_conn		*c;
	struct channel		*ch;
	struct server		 s;
	struct buf_writer	 w;
	const uint8_t		*reply;
	size_t			 rlen, i;
	char			 err[512];

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, NULL);
	c = tls_connect(cli, "127.0.0.1", server_start(&s, srv, T_TIMEOUT, 1),
	    &agent_a, T_TIMEOUT, err, sizeof(err));
	assert_non_null(c);
	ch = channel_from_tls(c);
	assert_ptr_equal(channel_tls(ch), c);

	buf_writer_init(&w);
	buf_put_string(&w, "hello");
	assert_int_equal(channel_call(ch, DSP_OP_READ, &w, &reply, &rlen, err,
	    sizeof(err)), DSP_OK);
	assert_int_equal(rlen, w.len);
	assert_memory_equal(reply, w.data, w.len);

	/* Empty request, empty reply. */
	assert_int_equal(channel_call(ch, DSP_OP_FLUSH, NULL, &reply, &rlen,
	    err, sizeof(err)), DSP_OK);
	assert_int_equal(rlen, 0);

	/* The largest payload, across many records. */
	buf_writer_reset(&w);
	assert_int_equal(buf_reserve(&w, DSP_MAX_PAYLOAD), 0);
	for (i = 0; i < DSP_MAX_PAYLOAD; i++)
		w.data[i] = (uint8_t)(i * 7 + 3);
	w.len = DSP_MAX_PAYLOAD;
	assert_int_equal(channel_call(ch, DSP_OP_WRITE, &w, &reply, &rlen, err,
	    sizeof(err)), DSP_OK);
	assert_int_equal(rlen, DSP_MAX_PAYLOAD);
	assert_memory_equal(reply, w.data, DSP_MAX_PAYLOAD);

	/* An error reply carries its status and sentence. */
	assert_int_equal(channel_call(ch, DSP_OP_ERASE, NULL, &reply, &rlen,
	    err, sizeof(err)), DSP_E_RANGE);
	assert_string_equal(err, "offset 7 is outside extent A2");

	/* Too big to send at all. */
	w.len = DSP_MAX_PAYLOAD + 1;
	assert_int_equal(buf_reserve(&w, 1), 0);
	assert_int_equal(channel_call(ch, DSP_OP_WRITE, &w, &reply, &rlen, err,
	    sizeof(err)), -1);

	buf_writer_free(&w);
	channel_close(ch);
	server_wait(&s);
	assert_true(s.ok);
	tls_config_free(srv);
	tls_config_free(cli);
}

static void
test_channel_timeout(void **state)
{
	struct tls_config	*srv, *cli;
	struct tls_conn		*c;
	struct channel		*ch;
	struct server		 s;
	struct dsp_header	 h;
	const uint8_t		*p;
	char			 err[512];
	double			 t0;

	(void)state;
	srv = config(TLS_SIDE_SERVER, d.pool, "serverA", d.pool, NULL);
	cli = config(TLS_SIDE_CLIENT, d.pool, "serverJ", d.pool, NULL);
	c = tls_connect(cli, "127.0.0.1", server_start(&s, srv, T_TIMEOUT, 0),
	    &agent_a, T_TIMEOUT, err, sizeof(err));
	assert_non_null(c);
	ch = channel_from_tls(c);
	channel_set_timeout(ch, 100);
	t0 = now_ms();
	errno = 0;
	assert_int_equal(channel_recv(ch, &h, &p), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(now_ms() - t0 >= 90);
	channel_close(ch);
	server_wait(&s);
	tls_config_free(srv);
	tls_config_free(cli);
}

/* Plain-fd channels: the manager's admin socket. */
static void
test_channel_plain(void **state)
{
	struct channel		*a, *b;
	struct dsp_header	 h;
	struct buf_writer	 w;
	const uint8_t		*p;
	uint8_t			 raw[DSP_HEADER_SIZE];
	char			 text[64];
	int			 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a = channel_from_fd(sv[0]);
	b = channel_from_fd(sv[1]);
	assert_null(channel_tls(a));
	assert_int_equal(channel_fd(a), sv[0]);

	buf_writer_init(&w);
	buf_put_u32(&w, 42);
	assert_int_equal(channel_send(a, DSP_OP_ADMIN, 0, 9, 0, w.data, w.len),
	    0);
	assert_int_equal(channel_recv(b, &h, &p), DSP_OK);
	assert_int_equal(h.opcode, DSP_OP_ADMIN);
	assert_int_equal(h.request_id, 9);
	assert_int_equal(h.payload_length, 4);
	assert_int_equal(p[3], 42);

	assert_int_equal(channel_reply_error(b, &h, DSP_E_NOTFOUND,
	    "no volume %s", "Vol-9"), 0);
	assert_int_equal(channel_recv(a, &h, &p), DSP_OK);
	assert_int_equal(h.status, DSP_E_NOTFOUND);
	assert_true(h.flags & DSP_FLAG_REPLY);
	channel_error_text(p, h.payload_length, text, sizeof(text));
	assert_string_equal(text, "no volume Vol-9");
	channel_error_text(p, 2, text, sizeof(text));
	assert_string_equal(text, "(malformed error message)");

	/* A bad magic is reported as a status, not read further. */
	memset(raw, 0xee, sizeof(raw));
	assert_int_equal(write(sv[0], raw, sizeof(raw)), (ssize_t)sizeof(raw));
	assert_int_not_equal(channel_recv(b, &h, &p), DSP_OK);

	/* EOF. */
	channel_close(a);
	errno = 0;
	assert_int_equal(channel_recv(b, &h, &p), -1);
	channel_close(b);
	buf_writer_free(&w);
}

static void
test_unix_socket(void **state)
{
	struct stat	st;
	char		dir[64], path[PATH_MAX], err[256];
	int		l1, l2, c;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tls_test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/admin.sock", dir);

	l1 = net_listen_unix(path, err, sizeof(err));
	assert_true(l1 >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A live socket is not stolen. */
	assert_int_equal(net_listen_unix(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use"));
	c = net_connect_unix(path, err, sizeof(err));
	assert_true(c >= 0);
	close(c);

	/* A stale one is replaced. */
	close(l1);
	l2 = net_listen_unix(path, err, sizeof(err));
	assert_true(l2 >= 0);
	close(l2);
	unlink(path);

	assert_int_equal(net_connect_unix(path, err, sizeof(err)), -1);
	rmdir(dir);
}

static void
test_connect_refused(void **state)
{
	char		err[256];
	int		l;
	uint16_t	port;

	(void)state;
	/* A port that was free a moment ago. */
	l = net_listen("127.0.0.1", 0, err, sizeof(err));
	assert_true(l >= 0);
	port = net_local_port(l);
	close(l);
	assert_int_equal(net_connect("127.0.0.1", port, 1000, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot connect to 127.0.0.1"));
	assert_int_equal(net_listen("300.1.1.1", 0, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_ok),
		cmocka_unit_test(test_manager_role),
		cmocka_unit_test(test_unexpected_peer),
		cmocka_unit_test(test_ciphers),
		cmocka_unit_test(test_cipher_mismatch),
		cmocka_unit_test(test_client_without_cert),
		cmocka_unit_test(test_client_other_ca),
		cmocka_unit_test(test_server_other_ca),
		cmocka_unit_test(test_expired_cert),
		cmocka_unit_test(test_plaintext_client),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_handshake_time),
		cmocka_unit_test(test_parallel_handshakes),
		cmocka_unit_test(test_channel_tls),
		cmocka_unit_test(test_channel_timeout),
		cmocka_unit_test(test_channel_plain),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_connect_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
