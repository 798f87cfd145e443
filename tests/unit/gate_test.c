/*
 * The front door (gate.c) on 127.0.0.1, with a PKI made at test time:
 * authenticated connections are handed over; a source past its limit of
 * unfinished handshakes has its further connections held until a slot
 * frees, not reset; a certificate past its connection limit is refused
 * with a REFUSED frame that names it, and gate_release lets the next one
 * in.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

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
#include <unistd.h>

#include <cmocka.h>

#include "channel.h"
#include "gate.h"
#include "net.h"
#include "pki.h"
#include "proto.h"
#include "timeutil.h"
#include "tls.h"

#define T_TIMEOUT	5000

static char	dir[64];

/* The hand-off keeps what it is given, for the test to look at. */
struct handed {
	pthread_mutex_t	 lock;
	struct tls_conn	*conns[8];
	unsigned int	 count;
};

static void
handoff(void *arg, struct tls_conn *tls, const char *addr)
{
	struct handed	*h = arg;

	(void)addr;
	pthread_mutex_lock(&h->lock);
	if (h->count < 8)
		h->conns[h->count++] = tls;
	else
		tls_close(tls);
	pthread_mutex_unlock(&h->lock);
}

static unsigned int
handed_count(struct handed *h)
{
	unsigned int	n;

	pthread_mutex_lock(&h->lock);
	n = h->count;
	pthread_mutex_unlock(&h->lock);
	return n;
}

static struct tls_config *
config(enum tls_side side, const char *name)
{
	struct tls_paths	p;
	char			ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	char			err[512];

	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	memset(&p, 0, sizeof(p));
	p.ca_file = ca;
	p.cert_file = crt;
	p.key_file = key;
	return tls_config_new(side, &p, err, sizeof(err));
}

static int
group_setup(void **state)
{
	char	err[512];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gate_test.XXXXXX");
	if (mkdtemp(dir) == NULL ||
	    pki_init(dir, "manager", NULL, 1, err, sizeof(err)) == -1 ||
	    pki_issue(dir, "serverA", DSP_ROLE_AGENT, NULL, 1, err,
	    sizeof(err)) == -1 ||
	    pki_issue(dir, "serverJ", DSP_ROLE_BORROWER, NULL, 1, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "pki: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	static const char	*files[] = { "ca.crt", "ca.key", "manager.crt",
	    "manager.key", "serverA.crt", "serverA.key", "serverJ.crt",
	    "serverJ.key", "crl.pem" };
	char			 p[PATH_MAX];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

/* A plain TCP connection that never says a word. */
static int
idle_socket(uint16_t port)
{
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static const struct tls_peer	agent_a = { DSP_ROLE_AGENT, "serverA" };

static void
test_gate(void **state)
{
	struct gate_limits	 lim = { 1000, 2, 64, 1, 16 };
	struct tls_config	*srv, *cli;
	struct tls_conn		*c1, *c2;
	struct channel		*ch;
	struct handed		 h;
	struct gate		*g;
	const uint8_t		*reply;
	size_t			 len;
	char			 err[512];
	int64_t			 t0, took;
	int			 lfd, idle[2], rc;
	uint16_t		 port;

	(void)state;
	memset(&h, 0, sizeof(h));
	pthread_mutex_init(&h.lock, NULL);
	srv = config(TLS_SIDE_SERVER, "serverA");
	cli = config(TLS_SIDE_CLIENT, "serverJ");
	assert_non_null(srv);
	assert_non_null(cli);
	lfd = net_listen("127.0.0.1", 0, err, sizeof(err));
	assert_true(lfd >= 0);
	port = net_local_port(lfd);
	g = gate_start(lfd, srv, &lim, handoff, &h, "test port", err,
	    sizeof(err));
	assert_non_null(g);

	/* Two silent connections fill this address's handshake slots: the
	 * next connection waits, held, until one is dropped (1 s), then
	 * gets through. */
	idle[0] = idle_socket(port);
	idle[1] = idle_socket(port);
	timeutil_sleep_ms(100);
	t0 = timeutil_now_ms();
	c1 = tls_connect(cli, "127.0.0.1", port, &agent_a, T_TIMEOUT, err,
	    sizeof(err));
	took = timeutil_now_ms() - t0;
	assert_non_null(c1);
	assert_true(took >= 700);
	assert_true(took < 3000);
	while (handed_count(&h) < 1)
		timeutil_sleep_ms(10);

	/* serverJ holds its one connection: the next is refused, and told
	 * why in a REFUSED frame. */
	c2 = tls_connect(cli, "127.0.0.1", port, &agent_a, T_TIMEOUT, err,
	    sizeof(err));
	assert_non_null(c2);
	ch = channel_from_tls(c2);
	channel_set_timeout(ch, T_TIMEOUT);
	rc = channel_call(ch, DSP_OP_ATTACH, NULL, &reply, &len, err,
	    sizeof(err));
	assert_int_equal(rc, DSP_E_BUSY);
	assert_non_null(strstr(err, "certificate serverJ already holds 1 "
	    "connection, the most"));
	channel_close(ch);

	gate_stop(g);
	assert_int_equal(handed_count(&h), 1);
	gate_release(g, "serverJ");
	tls_close(h.conns[0]);
	tls_close(c1);
	gate_free(g);
	close(idle[0]);
	close(idle[1]);
	tls_config_free(srv);
	tls_config_free(cli);
	pthread_mutex_destroy(&h.lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
