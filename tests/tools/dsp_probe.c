/*
 * dsp_probe: a deliberately misbehaving peer for the integration tests.
 * It speaks raw mbedTLS (so it can omit its certificate or present a
 * foreign one) or plain TCP, sends one thing and reports how the daemon
 * answered:
 *
 *   dsp_probe [--ca F] [--cert F --key F] HOST PORT ACTION
 *
 * ACTION: plain     send plaintext to a TLS port; exit 0 if the peer closes
 *         handshake exit 0 if the TLS handshake succeeds
 *         garbage   handshake, then a malformed frame; exit 0 if the peer
 *                   answers with an error reply or closes the connection
 *         register  handshake, then REGISTER; prints the reply status
 *                   name and message; exit 0 if the reply status is DSP_OK
 *         register-reason TEXT
 *                   as register, in the name of the certificate's CN, with
 *                   region R1 unavailable because of TEXT (any bytes)
 *         leg-fail VOLUME LEG TEXT
 *                   handshake, then LEG_FAIL of mirror leg LEG with the
 *                   reason TEXT; exit 0 if the reply status is DSP_OK
 *         split-leg VOLUME
 *                   handshake, then SPLIT_LEG of the mirror; exit 0 if
 *                   the reply status is DSP_OK
 *
 *   dsp_probe [--ca F] --cert F --key F HOST PORT data MOUNTFILE
 *       read|write|search|erase REGION OFFSET LENGTH [VOLUME]
 *
 *         handshake, ATTACH the ticket held in MOUNTFILE (a borrower's
 *         state_dir/VOLUME.mount), then one READ, WRITE (LENGTH bytes
 *         of 0x5a), SEARCH (for "daspool-needle") or ERASE of any length
 *         at region offset OFFSET, in the name of the ticket's borrower
 *         and for VOLUME (default: the ticket's). Prints "attach STATUS"
 *         and "OP ... STATUS[: message]" (with "done N" when it
 *         succeeded); exit 0 if the data request was answered DSP_OK.
 *         It bypasses every check of the client library (and waits as
 *         long as a request takes): only the agent stands in the way.
 *
 *   dsp_probe --ca F --cert F --key F serve HOST PORT RECORDFILE
 *
 *         an impersonator: listens at HOST:PORT with the certificate
 *         given (whatever its role and name), completes the TLS handshake
 *         with every client, and appends every application byte a client
 *         sends to RECORDFILE (created empty), answering nothing. Prints
 *         "listening" once ready and one line per connection; runs until
 *         killed. A client that checks whom it reached sends nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>

#include "buf.h"
#include "channel.h"
#include "frame.h"
#include "msg.h"
#include "msg_mirror.h"
#include "proto.h"
#include "ticket.h"

struct probe {
	mbedtls_net_context	 net;
	mbedtls_ssl_context	 ssl;
	mbedtls_ssl_config	 conf;
	mbedtls_x509_crt	 ca, cert;
	mbedtls_pk_context	 key;
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
};

static void	usage(void) __attribute__((noreturn));

static void
probe_die(const char *what, int ret)
{
	char buf[160] = "";

	if (ret != 0)
		mbedtls_strerror(ret, buf, sizeof(buf));
	printf("%s: %s\n", what, buf);
	exit(1);
}

static int
plain_action(const char *host, const char *port)
{
	mbedtls_net_context net;
	char buf[256];
	int ret;

	mbedtls_net_init(&net);
	if ((ret = mbedtls_net_connect(&net, host, port, MBEDTLS_NET_PROTO_TCP)))
		probe_die("connect", ret);
	(void)mbedtls_net_send(&net, (const unsigned char *)
	    "GET / HTTP/1.0\r\n\r\n", 18);
	/* The daemon must not answer in plaintext; it closes or sends an alert. */
	ret = mbedtls_net_recv_timeout(&net, (unsigned char *)buf, sizeof(buf), 5000);
	mbedtls_net_free(&net);
	if (ret == MBEDTLS_ERR_SSL_TIMEOUT) {
		printf("plaintext connection left open\n");
		return 1;
	}
	if (ret > 0 && memchr(buf, 'H', (size_t)ret) && strncmp(buf, "HTTP", 4) == 0) {
		printf("plaintext answered\n");
		return 1;
	}
	printf("plaintext refused\n");
	return 0;
}

static void
probe_handshake(struct probe *p, const char *host, const char *port,
    const char *ca, const char *cert, const char *key)
{
	int ret;

	mbedtls_net_init(&p->net);
	mbedtls_ssl_init(&p->ssl);
	mbedtls_ssl_config_init(&p->conf);
	mbedtls_x509_crt_init(&p->ca);
	mbedtls_x509_crt_init(&p->cert);
	mbedtls_pk_init(&p->key);
	mbedtls_entropy_init(&p->entropy);
	mbedtls_ctr_drbg_init(&p->drbg);
	if ((ret = mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func,
	    &p->entropy, NULL, 0)))
		probe_die("rng", ret);
	if ((ret = mbedtls_ssl_config_defaults(&p->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)))
		probe_die("config", ret);
	mbedtls_ssl_conf_rng(&p->conf, mbedtls_ctr_drbg_random, &p->drbg);
	/* The probe checks the daemon's refusals, not the daemon's identity. */
	mbedtls_ssl_conf_authmode(&p->conf, MBEDTLS_SSL_VERIFY_NONE);
	if (ca && (ret = mbedtls_x509_crt_parse_file(&p->ca, ca)))
		probe_die("ca", ret);
	mbedtls_ssl_conf_ca_chain(&p->conf, &p->ca, NULL);
	if (cert) {
		if ((ret = mbedtls_x509_crt_parse_file(&p->cert, cert)))
			probe_die("cert", ret);
		if ((ret = mbedtls_pk_parse_keyfile(&p->key, key, NULL)))
			probe_die("key", ret);
		if ((ret = mbedtls_ssl_conf_own_cert(&p->conf, &p->cert, &p->key)))
			probe_die("own cert", ret);
	}
	if ((ret = mbedtls_ssl_setup(&p->ssl, &p->conf)))
		probe_die("setup", ret);
	if ((ret = mbedtls_net_connect(&p->net, host, port, MBEDTLS_NET_PROTO_TCP)))
		probe_die("connect", ret);
	mbedtls_ssl_set_bio(&p->ssl, &p->net, mbedtls_net_send, NULL,
	    mbedtls_net_recv_timeout);
	mbedtls_ssl_conf_read_timeout(&p->conf, 5000);
	while ((ret = mbedtls_ssl_handshake(&p->ssl)) != 0)
		if (ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE)
			probe_die("handshake refused", ret);
	/*
	 * With TLS 1.2 the client finishes before the server has checked
	 * the client certificate; one read tells whether it was accepted.
	 */
}

static int
probe_write(struct probe *p, const void *data, size_t len)
{
	const unsigned char *b = data;
	int ret;

	while (len > 0) {
		ret = mbedtls_ssl_write(&p->ssl, b, len);
		if (ret < 0)
			return ret;
		b += ret;
		len -= (size_t)ret;
	}
	return 0;
}

static int
probe_read(struct probe *p, void *data, size_t len)
{
	unsigned char *b = data;
	int ret;

	while (len > 0) {
		ret = mbedtls_ssl_read(&p->ssl, b, len);
		if (ret <= 0)
			return ret == 0 ? -1 : ret;
		b += ret;
		len -= (size_t)ret;
	}
	return 0;
}

/* Reads one reply; prints its status and message. -1 if closed. */
static int
probe_reply(struct probe *p)
{
	uint8_t raw[DSP_HEADER_SIZE];
	static uint8_t payload[DSP_MAX_PAYLOAD];
	char text[4096];
	struct dsp_header hdr;
	int ret;

	if ((ret = probe_read(p, raw, sizeof(raw))) != 0) {
		printf("connection closed\n");
		return -1;
	}
	if (frame_decode_header(raw, DSP_MAX_PAYLOAD, &hdr) != DSP_OK) {
		printf("bad reply header\n");
		return -1;
	}
	if (probe_read(p, payload, hdr.payload_length) != 0) {
		printf("connection closed\n");
		return -1;
	}
	printf("status %s", dsp_status_name(hdr.status));
	if (hdr.status != DSP_OK) {
		channel_error_text(payload, hdr.payload_length, text,
		    sizeof(text));
		printf(": %s", text);
	} else if (hdr.opcode >= DSP_OP_INIT && hdr.opcode <= DSP_OP_FLUSH) {
		static struct msg_data_reply	rep;

		if (msg_decode_data_reply(payload, hdr.payload_length,
		    hdr.opcode, &rep) == DSP_OK)
			printf(", done %" PRIu64, rep.done);
	}
	printf("\n");
	return (int)hdr.status;
}

static int
probe_send(struct probe *p, uint8_t opcode, const struct buf_writer *w)
{
	static uint32_t	next_id = 1;
	struct dsp_header hdr = {
		.magic = DSP_MAGIC, .version = DSP_VERSION, .opcode = opcode,
		.request_id = next_id++, .payload_length = (uint32_t)w->len,
	};
	uint8_t raw[DSP_HEADER_SIZE];

	frame_encode_header(&hdr, raw);
	if (probe_write(p, raw, sizeof(raw)) || probe_write(p, w->data, w->len))
		return -1;
	return 0;
}

static int
garbage_action(struct probe *p)
{
	static const char junk[] = "DSPX\x09 this is not a daspool frame";
	int status;

	if (probe_write(p, junk, sizeof(junk)) != 0) {
		printf("connection closed\n");
		return 0;
	}
	status = probe_reply(p);
	if (status == DSP_OK) {
		printf("malformed frame accepted\n");
		return 1;
	}
	/* After an error reply the connection must be closed too. */
	if (status > 0 && probe_reply(p) != -1) {
		printf("connection left open after a malformed frame\n");
		return 1;
	}
	return 0;
}

/* Sends one request; prints the reply; 0 if it was DSP_OK. */
static int
probe_call(struct probe *p, uint8_t opcode, struct buf_writer *w)
{
	int status;

	if (probe_send(p, opcode, w) != 0) {
		buf_writer_free(w);
		printf("connection closed\n");
		return 1;
	}
	buf_writer_free(w);
	status = probe_reply(p);
	return status == DSP_OK ? 0 : 1;
}

/* The CN of the probe's own certificate: a REGISTER must name it. */
static void
probe_own_name(struct probe *p, char *out, size_t outlen)
{
	const mbedtls_x509_name *n;

	for (n = &p->cert.subject; n != NULL; n = n->next)
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			snprintf(out, outlen, "%.*s", (int)n->val.len,
			    (const char *)n->val.p);
			return;
		}
	snprintf(out, outlen, "probe");
}

/* reason NULL: one available region, as server "probe". Else as the
 * certificate's CN, region R1 unavailable because of reason. */
static int
register_action(struct probe *p, const char *reason)
{
	struct msg_register reg;
	struct buf_writer w;

	memset(&reg, 0, sizeof(reg));
	if (reason != NULL)
		probe_own_name(p, reg.server, sizeof(reg.server));
	else
		snprintf(reg.server, sizeof(reg.server), "probe");
	snprintf(reg.host, sizeof(reg.host), "127.0.0.1");
	reg.port = 1;
	reg.region_count = 1;
	snprintf(reg.regions[0].name, sizeof(reg.regions[0].name), "R1");
	reg.regions[0].size = 1 << 20;
	reg.regions[0].available = reason == NULL;
	if (reason != NULL)
		snprintf(reg.regions[0].reason, sizeof(reg.regions[0].reason),
		    "%s", reason);
	buf_writer_init(&w);
	msg_encode_register(&w, &reg);
	return probe_call(p, DSP_OP_REGISTER, &w);
}

/* argv: VOLUME LEG TEXT */
static int
leg_fail_action(struct probe *p, char **argv)
{
	static struct msg_leg_fail m;
	struct buf_writer w;
	char *end;
	unsigned long leg;

	leg = strtoul(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || leg > UINT16_MAX)
		usage();
	memset(&m, 0, sizeof(m));
	snprintf(m.volume, sizeof(m.volume), "%s", argv[0]);
	m.leg = (uint16_t)leg;
	snprintf(m.reason, sizeof(m.reason), "%s", argv[2]);
	buf_writer_init(&w);
	msg_encode_leg_fail(&w, &m);
	return probe_call(p, DSP_OP_LEG_FAIL, &w);
}

/* argv: VOLUME */
static int
split_leg_action(struct probe *p, char **argv)
{
	struct msg_volume_ref ref;
	struct buf_writer w;

	memset(&ref, 0, sizeof(ref));
	snprintf(ref.volume, sizeof(ref.volume), "%s", argv[0]);
	buf_writer_init(&w);
	msg_encode_volume_ref(&w, &ref);
	return probe_call(p, DSP_OP_SPLIT_LEG, &w);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dsp_probe [--ca F] [--cert F --key F] HOST PORT "
	    "plain|handshake|garbage|register\n"
	    "       dsp_probe [--ca F] --cert F --key F HOST PORT "
	    "register-reason TEXT\n"
	    "       dsp_probe [--ca F] --cert F --key F HOST PORT "
	    "leg-fail VOLUME LEG TEXT\n"
	    "       dsp_probe [--ca F] --cert F --key F HOST PORT "
	    "split-leg VOLUME\n"
	    "       dsp_probe [--ca F] --cert F --key F HOST PORT data MOUNTFILE "
	    "read|write|search|erase REGION OFFSET LENGTH [VOLUME]\n"
	    "       dsp_probe --ca F --cert F --key F serve HOST PORT "
	    "RECORDFILE\n");
	exit(2);
}

/* The server side of the impersonator: one config for every client. */
static void
serve_setup(struct probe *p, const char *ca, const char *cert,
    const char *key)
{
	int ret;

	mbedtls_ssl_config_init(&p->conf);
	mbedtls_x509_crt_init(&p->ca);
	mbedtls_x509_crt_init(&p->cert);
	mbedtls_pk_init(&p->key);
	mbedtls_entropy_init(&p->entropy);
	mbedtls_ctr_drbg_init(&p->drbg);
	if ((ret = mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func,
	    &p->entropy, NULL, 0)))
		probe_die("rng", ret);
	if ((ret = mbedtls_ssl_config_defaults(&p->conf, MBEDTLS_SSL_IS_SERVER,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)))
		probe_die("config", ret);
	mbedtls_ssl_conf_rng(&p->conf, mbedtls_ctr_drbg_random, &p->drbg);
	if ((ret = mbedtls_x509_crt_parse_file(&p->ca, ca)))
		probe_die("ca", ret);
	mbedtls_ssl_conf_ca_chain(&p->conf, &p->ca, NULL);
	/* Ask for the client's certificate, as the real daemons do, but
	 * take whatever comes: the impersonator wants the client's bytes. */
	mbedtls_ssl_conf_authmode(&p->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
	if ((ret = mbedtls_x509_crt_parse_file(&p->cert, cert)))
		probe_die("cert", ret);
	if ((ret = mbedtls_pk_parse_keyfile(&p->key, key, NULL)))
		probe_die("key", ret);
	if ((ret = mbedtls_ssl_conf_own_cert(&p->conf, &p->cert, &p->key)))
		probe_die("own cert", ret);
	mbedtls_ssl_conf_read_timeout(&p->conf, 5000);
}

/* One client: handshake, then record what it sends until it stops. */
static void
serve_client(struct probe *p, mbedtls_net_context *client, FILE *record)
{
	unsigned char	buf[16384];
	char		why[160] = "";
	size_t		total = 0;
	int		ret;

	mbedtls_ssl_init(&p->ssl);
	if ((ret = mbedtls_ssl_setup(&p->ssl, &p->conf)))
		probe_die("setup", ret);
	mbedtls_ssl_set_bio(&p->ssl, client, mbedtls_net_send, NULL,
	    mbedtls_net_recv_timeout);
	while ((ret = mbedtls_ssl_handshake(&p->ssl)) != 0)
		if (ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
	if (ret != 0) {
		mbedtls_strerror(ret, why, sizeof(why));
		printf("client: handshake failed: %s\n", why);
		mbedtls_ssl_free(&p->ssl);
		return;
	}
	while ((ret = mbedtls_ssl_read(&p->ssl, buf, sizeof(buf))) > 0 ||
	    ret == MBEDTLS_ERR_SSL_WANT_READ) {
		if (ret <= 0)
			continue;
		fwrite(buf, 1, (size_t)ret, record);
		fflush(record);
		total += (size_t)ret;
	}
	if (ret != 0 && ret != MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		mbedtls_strerror(ret, why, sizeof(why));
	printf("client: handshake done, %zu application bytes received%s%s\n",
	    total, why[0] ? "; " : "", why);
	(void)mbedtls_ssl_close_notify(&p->ssl);
	mbedtls_ssl_free(&p->ssl);
}

static int
serve_action(struct probe *p, const char *host, const char *port,
    const char *path)
{
	mbedtls_net_context	listener, client;
	FILE			*record;
	int			 ret;

	if ((record = fopen(path, "w")) == NULL) {
		printf("cannot create %s: %s\n", path, strerror(errno));
		return 2;
	}
	mbedtls_net_init(&listener);
	if ((ret = mbedtls_net_bind(&listener, host, port,
	    MBEDTLS_NET_PROTO_TCP)))
		probe_die("bind", ret);
	printf("listening on %s:%s\n", host, port);
	for (;;) {
		mbedtls_net_init(&client);
		if ((ret = mbedtls_net_accept(&listener, &client, NULL, 0,
		    NULL)) != 0)
			probe_die("accept", ret);
		serve_client(p, &client, record);
		mbedtls_net_free(&client);
	}
}

static uint64_t
probe_number(const char *s)
{
	char		*end;
	uint64_t	 v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno != 0)
		usage();
	return v;
}

/* The raw MOUNT reply the client keeps in its state dir. */
static void
probe_load_mount(const char *path, struct msg_mount_info *info)
{
	static uint8_t	raw[65536];
	FILE		*f;
	size_t		 len;

	if ((f = fopen(path, "rb")) == NULL) {
		printf("cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	len = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	if (msg_decode_mount_info(raw, len, info) != DSP_OK) {
		printf("%s holds no mount info\n", path);
		exit(2);
	}
}

/* argv: MOUNTFILE read|write REGION OFFSET LENGTH [VOLUME] */
static int
data_action(struct probe *p, int argc, char **argv)
{
	static const struct {
		const char	*name;
		uint8_t		 opcode;
	} ops[] = {
		{ "read", DSP_OP_READ }, { "write", DSP_OP_WRITE },
		{ "search", DSP_OP_SEARCH }, { "erase", DSP_OP_ERASE },
	};
	static struct msg_mount_info	info;
	struct msg_data_request		req;
	struct mount_ticket		t;
	struct buf_writer		w;
	uint8_t				*data = NULL, opcode = 0;
	size_t				 i;
	int				 writing, status;

	if (argc < 5 || argc > 6)
		usage();
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(argv[1], ops[i].name) == 0)
			opcode = ops[i].opcode;
	if (opcode == 0)
		usage();
	writing = opcode == DSP_OP_WRITE;
	probe_load_mount(argv[0], &info);
	if (ticket_peek(info.ticket, info.ticket_len, &t) != DSP_OK) {
		printf("%s holds a malformed ticket\n", argv[0]);
		return 2;
	}

	buf_writer_init(&w);
	buf_put_blob(&w, info.ticket, info.ticket_len);
	buf_put_u64(&w, 0);	/* no stream */
	if (probe_send(p, DSP_OP_ATTACH, &w) != 0) {
		buf_writer_free(&w);
		printf("connection closed\n");
		return 1;
	}
	buf_writer_free(&w);
	printf("attach ");
	if (probe_reply(p) != DSP_OK)
		return 1;

	memset(&req, 0, sizeof(req));
	snprintf(req.requester, sizeof(req.requester), "%s", t.borrower);
	snprintf(req.volume, sizeof(req.volume), "%s",
	    argc == 6 ? argv[5] : t.volume);
	snprintf(req.region, sizeof(req.region), "%s", argv[2]);
	req.offset = probe_number(argv[3]);
	req.length = probe_number(argv[4]);
	if (writing) {
		if (req.length > DSP_MAX_IO)
			usage();
		if ((data = malloc(req.length ? req.length : 1)) == NULL)
			probe_die("malloc", 0);
		memset(data, 0x5a, req.length);
		req.data = data;
		req.data_len = req.length;
	} else if (opcode == DSP_OP_SEARCH) {
		req.data = (const uint8_t *)"daspool-needle";
		req.data_len = strlen("daspool-needle");
		req.max_matches = DSP_MAX_MATCHES;
	}
	buf_writer_init(&w);
	msg_encode_data_request(&w, opcode, &req);
	free(data);
	if (probe_send(p, opcode, &w) != 0) {
		buf_writer_free(&w);
		printf("connection closed\n");
		return 1;
	}
	buf_writer_free(&w);
	/* A long request answers when it is done or stopped. */
	mbedtls_ssl_conf_read_timeout(&p->conf, 3600 * 1000);
	printf("%s %s %s@%" PRIu64 "+%" PRIu64 " ", argv[1], req.volume,
	    req.region, req.offset, req.length);
	fflush(stdout);
	status = probe_reply(p);
	return status == DSP_OK ? 0 : 1;
}

/* Operands after the action's name; "data" checks its own. */
static int
probe_operands(const char *action)
{
	if (strcmp(action, "register-reason") == 0)
		return 1;
	if (strcmp(action, "leg-fail") == 0)
		return 3;
	if (strcmp(action, "split-leg") == 0)
		return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	/* Static: still reachable when the probe exits from deep inside. */
	static struct probe p;
	const char *ca = NULL, *cert = NULL, *key = NULL, *action;
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--ca") == 0)
			ca = argv[i + 1];
		else if (strcmp(argv[i], "--cert") == 0)
			cert = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			key = argv[i + 1];
		else
			usage();
	}
	if (argc - i < 3 || (cert && !key))
		usage();
	if (strcmp(argv[i], "serve") == 0) {
		if (argc - i != 4 || ca == NULL || cert == NULL)
			usage();
		setvbuf(stdout, NULL, _IOLBF, 0);
		/* Clients that hang up mid-reply must not kill it. */
		signal(SIGPIPE, SIG_IGN);
		serve_setup(&p, ca, cert, key);
		return serve_action(&p, argv[i + 1], argv[i + 2], argv[i + 3]);
	}
	action = argv[i + 2];
	if (strcmp(action, "data") != 0 && argc - i != 3 + probe_operands(action))
		usage();
	if (strcmp(action, "plain") == 0)
		return plain_action(argv[i], argv[i + 1]);
	probe_handshake(&p, argv[i], argv[i + 1], ca, cert, key);
	if (strcmp(action, "handshake") == 0) {
		/* A refused client certificate shows as an alert on first read. */
		mbedtls_ssl_conf_read_timeout(&p.conf, 1000);
		unsigned char b;
		int ret = mbedtls_ssl_read(&p.ssl, &b, 1);
		if (ret == MBEDTLS_ERR_SSL_TIMEOUT) {
			printf("handshake accepted\n");
			return 0;
		}
		probe_die("handshake refused", ret);
	}
	if (strcmp(action, "garbage") == 0)
		return garbage_action(&p);
	if (strcmp(action, "register") == 0)
		return register_action(&p, NULL);
	if (strcmp(action, "register-reason") == 0)
		return register_action(&p, argv[i + 3]);
	if (strcmp(action, "leg-fail") == 0)
		return leg_fail_action(&p, argv + i + 3);
	if (strcmp(action, "split-leg") == 0)
		return split_leg_action(&p, argv + i + 3);
	if (strcmp(action, "data") == 0)
		return data_action(&p, argc - i - 3, argv + i + 3);
	usage();
	return 2;
}
