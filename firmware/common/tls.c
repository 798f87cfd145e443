/*
 * Mutual TLS with mbedTLS 2.28: TLS 1.2 only, ECDHE-ECDSA with one AEAD
 * cipher suite (ChaCha20-Poly1305 unless configured), both sides verified
 * against the pool CA.
 *
 * One mbedtls_ssl_config per tls_config is shared by every connection;
 * it is read-only after tls_config_new, and its CTR-DRBG locks itself
 * (MBEDTLS_THREADING_C), so connections may run in many threads. The
 * CRL is not in it: crl_watch.c swaps it under its own lock, and the
 * verify callback looks the peer up.
 *
 * Sockets stay blocking; the I/O callbacks poll() against a per-call
 * deadline, so timeouts need no non-blocking state machine. mbedTLS asks
 * the callback for bytes only when its own record buffer is empty, so
 * buffered plaintext is never left waiting on poll().
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "crl.h"
#include "log.h"
#include "msg.h"
#include "net.h"
#include "proto.h"
#include "tls.h"

#define TLS_CLOSE_MS	200

struct tls_config {
	enum tls_side			 side;
	mbedtls_ssl_config		 conf;
	mbedtls_entropy_context		 entropy;
	mbedtls_ctr_drbg_context	 drbg;
	mbedtls_x509_crt		 ca;
	mbedtls_x509_crt		 cert;
	mbedtls_pk_context		 key;
	int				 suites[4];	/* preferred first */
	char				 own_name[DSP_NAME_MAX + 1];
	struct crl_watch		*crl;		/* NULL: no CRL */
};

struct tls_conn {
	struct tls_config	*cfg;
	mbedtls_ssl_context	 ssl;
	int			 fd;
	int64_t			 deadline;	/* monotonic ms, 0 = none */
	int			 send_timeout_ms;	/* 0 = none */
	int			 first_byte;	/* -1 until data arrives */
	int			 nonblock;	/* in an event loop's handshake */
	int			 sys_errno;
	int			 handshake_errno;	/* why it failed */
	char			 peer_name[DSP_NAME_MAX + 1];
	int			 peer_role;
	char			 revoked_serial[64];	/* set when the CRL
							 * lists the peer */
};

/* Cipher suite names of the config file, and the suite each selects. */
static const struct tls_suite {
	const char	*name;
	int		 id;
} tls_suites[] = {
	{ "aes-128-gcm", MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 },
	{ "aes-256-gcm", MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 },
	{ "chacha20-poly1305",
	    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 },
};
/*
 * The faster AEAD here. mbedTLS 2.28 runs GCM one block at a time even
 * with AES-NI + PCLMUL, so ChaCha20-Poly1305 wins: bench/aead.c gave
 * 195 MB/s for aes-128-gcm against 305 MB/s for chacha20-poly1305 on
 * 16 KiB records.
 */
#define TLS_DEFAULT_CIPHERS	"chacha20-poly1305"

/* P-256 only: it matches the certificates' keys and mbedTLS has an
 * optimised implementation of it. */
static const mbedtls_ecp_group_id tls_curves[] = {
	MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_NONE
};

/* Verification flags in plain words, most telling first. */
static const struct tls_flag {
	uint32_t	 flag;
	const char	*text;
} tls_verify_flags[] = {
	{ MBEDTLS_X509_BADCERT_NOT_TRUSTED,	"not issued by the pool CA" },
	{ MBEDTLS_X509_BADCERT_EXPIRED,		"expired" },
	{ MBEDTLS_X509_BADCERT_FUTURE,		"not valid yet" },
	{ MBEDTLS_X509_BADCERT_REVOKED,		"revoked" },
	{ MBEDTLS_X509_BADCERT_MISSING,		"peer sent no certificate" },
	{ MBEDTLS_X509_BADCERT_KEY_USAGE,
	    "key usage does not allow TLS" },
	{ MBEDTLS_X509_BADCERT_EXT_KEY_USAGE,
	    "extended key usage does not allow TLS" },
	{ MBEDTLS_X509_BADCERT_BAD_MD,		"signed with a weak hash" },
	{ MBEDTLS_X509_BADCERT_BAD_PK,
	    "signed with a refused algorithm" },
	{ MBEDTLS_X509_BADCERT_BAD_KEY,		"key type or size refused" },
	{ MBEDTLS_X509_BADCERT_CN_MISMATCH,	"name mismatch" },
};

/* TLS alert descriptions a peer may send us during the handshake. */
static const struct tls_alert {
	int		 code;
	const char	*text;
} tls_alerts[] = {
	{ MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE,
	    "handshake failure (no common cipher suite, or no certificate)" },
	{ MBEDTLS_SSL_ALERT_MSG_BAD_CERT,	"our certificate was refused" },
	{ MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT,
	    "our certificate is of an unsupported kind" },
	{ MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED,	"our certificate is revoked" },
	{ MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED,	"our certificate has expired" },
	{ MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN,	"our certificate was refused" },
	{ MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA,
	    "our certificate is not issued by its pool CA" },
	{ MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED,	"access denied" },
	{ MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION,
	    "protocol version refused (TLS 1.2 only)" },
	{ MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY,
	    "insufficient security" },
	{ MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR,	"decrypt error" },
	{ MBEDTLS_SSL_ALERT_MSG_ILLEGAL_PARAMETER, "illegal parameter" },
};

static int64_t	tls_now_ms(void);
static void	tls_set_deadline(struct tls_conn *, int);
static int	tls_poll(struct tls_conn *, short);
static int	tls_bio_send(void *, const unsigned char *, size_t);
static int	tls_bio_recv(void *, unsigned char *, size_t);
static int	tls_verify_cb(void *, mbedtls_x509_crt *, int, uint32_t *);
static void	tls_verify_crl(struct tls_conn *, const mbedtls_x509_crt *,
		    uint32_t *);
static int	tls_subject(const mbedtls_x509_name *, char *, size_t, int *);
static void	tls_mbed_error(int, char *, size_t);
static void	tls_verify_text(uint32_t, char *, size_t);
static void	tls_explain_alert(struct tls_conn *, char *, size_t);
static void	tls_explain_revoked(struct tls_conn *, char *, size_t);
static void	tls_explain(struct tls_conn *, int, int, char *, size_t);
static int	tls_config_load(struct tls_config *, const struct tls_paths *,
		    char *, size_t);
static int	tls_config_setup(struct tls_config *, const char *, char *,
		    size_t);
static int	tls_config_crl(struct tls_config *, const struct tls_paths *,
		    char *, size_t);
static void	tls_config_warm(struct tls_config *);
static struct tls_conn *tls_conn_new(struct tls_config *, int, char *,
		    size_t);
static int	tls_handshake(struct tls_conn *, int, char *, size_t);
static void	tls_fail_close(struct tls_conn *);

static int64_t
tls_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tls_set_deadline(struct tls_conn *c, int timeout_ms)
{
	c->deadline = timeout_ms > 0 ? tls_now_ms() + timeout_ms : 0;
}

/* 0 when the socket is ready, or an mbedTLS error code. */
static int
tls_poll(struct tls_conn *c, short events)
{
	struct pollfd	pfd;
	int64_t		left;
	int		n;

	for (;;) {
		left = -1;
		if (c->deadline != 0 &&
		    (left = c->deadline - tls_now_ms()) <= 0)
			return MBEDTLS_ERR_SSL_TIMEOUT;
		pfd.fd = c->fd;
		pfd.events = events;
		if ((n = poll(&pfd, 1, (int)left)) > 0)
			return 0;
		if (n == 0)
			return MBEDTLS_ERR_SSL_TIMEOUT;
		if (errno != EINTR) {
			c->sys_errno = errno;
			return MBEDTLS_ERR_NET_POLL_FAILED;
		}
	}
}

static int
tls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn	*c = ctx;
	ssize_t		 n;
	int		 rc;

	for (;;) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && c->nonblock)
			return MBEDTLS_ERR_SSL_WANT_WRITE;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((rc = tls_poll(c, POLLOUT)) != 0)
				return rc;
			continue;
		}
		c->sys_errno = errno;
		if (errno == EPIPE || errno == ECONNRESET)
			return MBEDTLS_ERR_NET_CONN_RESET;
		return MBEDTLS_ERR_NET_SEND_FAILED;
	}
}

static int
tls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn	*c = ctx;
	ssize_t		 n;
	int		 rc;

	for (;;) {
		if (!c->nonblock && c->deadline != 0 &&
		    (rc = tls_poll(c, POLLIN)) != 0)
			return rc;
		n = recv(c->fd, buf, len, c->nonblock ? MSG_DONTWAIT : 0);
		if (n > 0) {
			if (c->first_byte == -1)
				c->first_byte = buf[0];
			return (int)n;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && c->nonblock)
			return MBEDTLS_ERR_SSL_WANT_READ;
		c->sys_errno = errno;
		if (errno == ECONNRESET)
			return MBEDTLS_ERR_NET_CONN_RESET;
		return MBEDTLS_ERR_NET_RECV_FAILED;
	}
}

/*
 * CN and role (OU) of a subject. -1 without exactly one CN that is a
 * valid host name (msg_name_valid);
 * several or unknown OUs give DSP_ROLE_NONE.
 */
static int
tls_subject(const mbedtls_x509_name *name, char *cn, size_t cnlen, int *role)
{
	char	ou[32];
	int	ncn = 0, nou = 0;

	*role = DSP_ROLE_NONE;
	for (; name != NULL; name = name->next) {
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) == 0) {
			if (ncn++ > 0 || name->val.len == 0 ||
			    name->val.len >= cnlen ||
			    memchr(name->val.p, '\0', name->val.len) != NULL)
				return -1;
			memcpy(cn, name->val.p, name->val.len);
			cn[name->val.len] = '\0';
		} else if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_ORG_UNIT,
		    &name->oid) == 0) {
			if (nou++ > 0 || name->val.len >= sizeof(ou) ||
			    memchr(name->val.p, '\0', name->val.len) != NULL) {
				*role = DSP_ROLE_NONE;
				continue;
			}
			memcpy(ou, name->val.p, name->val.len);
			ou[name->val.len] = '\0';
			*role = dsp_role_parse(ou);
		}
	}
	if (nou > 1)
		*role = DSP_ROLE_NONE;
	/* The CN is matched against ticket borrowers and goes into logs. */
	return ncn == 1 && msg_name_valid(cn) ? 0 : -1;
}

/* Notes who the peer claims to be, so a refusal can name it, and
 * whether the CRL revokes it. */
static int
tls_verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tls_conn	*c = arg;
	int		 role;

	if (depth != 0)
		return 0;
	if (tls_subject(&crt->subject, c->peer_name, sizeof(c->peer_name),
	    &role) == -1)
		c->peer_name[0] = '\0';
	if (c->cfg->crl != NULL)
		tls_verify_crl(c, crt, flags);
	return 0;
}

/* A listed certificate fails like any bad one; mbedTLS then sends the
 * alert "certificate revoked", which the peer turns into words. */
static void
tls_verify_crl(struct tls_conn *c, const mbedtls_x509_crt *crt,
    uint32_t *flags)
{
	crl_watch_poll(c->cfg->crl);
	if (!crl_watch_revoked(c->cfg->crl, &crt->serial))
		return;
	*flags |= MBEDTLS_X509_BADCERT_REVOKED;
	if (mbedtls_x509_serial_gets(c->revoked_serial,
	    sizeof(c->revoked_serial), &crt->serial) < 0)
		snprintf(c->revoked_serial, sizeof(c->revoked_serial), "?");
}

static void
tls_mbed_error(int rc, char *buf, size_t len)
{
	mbedtls_strerror(rc, buf, len);
}

static void
tls_verify_text(uint32_t flags, char *out, size_t outlen)
{
	char	 rest[256];
	size_t	 i, n = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(tls_verify_flags) / sizeof(tls_verify_flags[0]);
	    i++) {
		if (!(flags & tls_verify_flags[i].flag))
			continue;
		flags &= ~tls_verify_flags[i].flag;
		n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0,
		    "%s%s", n ? ", " : "", tls_verify_flags[i].text);
		if (n >= outlen)
			return;
	}
	if (flags != 0 || out[0] == '\0') {
		if (mbedtls_x509_crt_verify_info(rest, sizeof(rest), "",
		    flags) < 0)
			snprintf(rest, sizeof(rest), "flags 0x%x",
			    (unsigned)flags);
		rest[strcspn(rest, "\n")] = '\0';
		snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s",
		    n ? ", " : "", rest);
	}
}

/* Handshake failures that need no detail from the connection. */
static const struct tls_cause {
	int		 rc;
	const char	*text;
} tls_causes[] = {
	{ MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE, "peer sent no certificate" },
	{ MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN,
	    "no cipher suite in common with the peer" },
	{ MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE,
	    "no cipher suite in common with the peer" },
	{ MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION,
	    "peer does not speak TLS 1.2" },
	{ MBEDTLS_ERR_SSL_CONN_EOF,	"peer closed the connection" },
	{ MBEDTLS_ERR_NET_CONN_RESET,	"peer closed the connection" },
};

static void
tls_explain_alert(struct tls_conn *c, char *err, size_t errlen)
{
	size_t	i;
	int	alert = c->ssl.in_msg != NULL ? c->ssl.in_msg[1] : -1;

	for (i = 0; i < sizeof(tls_alerts) / sizeof(tls_alerts[0]); i++)
		if (tls_alerts[i].code == alert) {
			snprintf(err, errlen, "handshake refused by peer: %s",
			    tls_alerts[i].text);
			return;
		}
	snprintf(err, errlen, "handshake refused by peer (TLS alert %d)",
	    alert);
}

/* "certificate serverJ (serial 4A:..) is revoked (CRL /etc/...)", and
 * anything else wrong with it. */
static void
tls_explain_revoked(struct tls_conn *c, char *err, size_t errlen)
{
	uint32_t	flags;
	char		more[256];
	int		n;

	n = snprintf(err, errlen, "certificate %s (serial %s) is revoked "
	    "(CRL %s)", c->peer_name[0] != '\0' ? c->peer_name : "without "
	    "a usable CN", c->revoked_serial, crl_watch_path(c->cfg->crl));
	flags = mbedtls_ssl_get_verify_result(&c->ssl) &
	    ~(uint32_t)MBEDTLS_X509_BADCERT_REVOKED;
	if (flags != 0 && n > 0 && (size_t)n < errlen) {
		tls_verify_text(flags, more, sizeof(more));
		snprintf(err + n, errlen - (size_t)n, "; also %s", more);
	}
}

/* Turns a failed handshake into a sentence naming the cause. */
static void
tls_explain(struct tls_conn *c, int rc, int timeout_ms, char *err,
    size_t errlen)
{
	char	why[256];
	size_t	i;

	/* A TLS record starts with content type 20..23. */
	if (c->first_byte != -1 && (c->first_byte < 20 || c->first_byte > 23)) {
		snprintf(err, errlen, "handshake failed: plaintext or not TLS "
		    "(first byte 0x%02x)", (unsigned)c->first_byte);
		return;
	}
	for (i = 0; i < sizeof(tls_causes) / sizeof(tls_causes[0]); i++)
		if (tls_causes[i].rc == rc) {
			snprintf(err, errlen, "handshake failed: %s",
			    tls_causes[i].text);
			return;
		}
	switch (rc) {
	case MBEDTLS_ERR_SSL_TIMEOUT:
		snprintf(err, errlen, "handshake timed out after %d ms",
		    timeout_ms);
		break;
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
		if (c->revoked_serial[0] != '\0') {
			tls_explain_revoked(c, err, errlen);
			break;
		}
		tls_verify_text(mbedtls_ssl_get_verify_result(&c->ssl), why,
		    sizeof(why));
		/* The CN is what the peer claims, noted before the check. */
		if (c->peer_name[0] != '\0')
			snprintf(err, errlen, "certificate verification "
			    "failed: %s (peer certificate CN %s)", why,
			    c->peer_name);
		else
			snprintf(err, errlen, "certificate verification "
			    "failed: %s", why);
		break;
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		tls_explain_alert(c, err, errlen);
		break;
	case MBEDTLS_ERR_NET_RECV_FAILED:
	case MBEDTLS_ERR_NET_SEND_FAILED:
	case MBEDTLS_ERR_NET_POLL_FAILED:
		snprintf(err, errlen, "handshake failed: %s",
		    strerror(c->sys_errno));
		break;
	default:
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "handshake failed: %s", why);
	}
}

/*
 * The errno a failed handshake leaves: EACCES when a side refused (a
 * certificate, a cipher, the protocol), which no retry will change;
 * ETIMEDOUT or ECONNRESET when the peer went quiet or away.
 */
static int
tls_handshake_errno(int rc)
{
	switch (rc) {
	case MBEDTLS_ERR_SSL_TIMEOUT:
		return ETIMEDOUT;
	case MBEDTLS_ERR_SSL_CONN_EOF:
	case MBEDTLS_ERR_NET_CONN_RESET:
	case MBEDTLS_ERR_NET_RECV_FAILED:
	case MBEDTLS_ERR_NET_SEND_FAILED:
	case MBEDTLS_ERR_NET_POLL_FAILED:
		return ECONNRESET;
	default:
		return EACCES;
	}
}

static int
tls_config_load(struct tls_config *cfg, const struct tls_paths *p,
    char *err, size_t errlen)
{
	char		why[160];
	uint32_t	flags;
	int		rc, role;

	if (p->ca_file == NULL || p->cert_file == NULL || p->key_file == NULL) {
		snprintf(err, errlen, "TLS needs a CA certificate, a "
		    "certificate and a key file");
		return -1;
	}
	if ((rc = mbedtls_x509_crt_parse_file(&cfg->ca, p->ca_file)) != 0) {
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "cannot load CA certificate %s: %s",
		    p->ca_file, why);
		return -1;
	}
	if ((rc = mbedtls_x509_crt_parse_file(&cfg->cert, p->cert_file)) != 0) {
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "cannot load certificate %s: %s",
		    p->cert_file, why);
		return -1;
	}
	if ((rc = mbedtls_pk_parse_keyfile(&cfg->key, p->key_file,
	    NULL)) != 0) {
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "cannot load key %s: %s", p->key_file,
		    why);
		return -1;
	}
	if (!mbedtls_pk_can_do(&cfg->key, MBEDTLS_PK_ECDSA)) {
		snprintf(err, errlen, "key %s is not an EC key (ECDHE-ECDSA "
		    "needs one)", p->key_file);
		return -1;
	}
	if (mbedtls_pk_check_pair(&cfg->cert.pk, &cfg->key) != 0) {
		snprintf(err, errlen, "key %s does not belong to certificate "
		    "%s", p->key_file, p->cert_file);
		return -1;
	}
	if (tls_subject(&cfg->cert.subject, cfg->own_name,
	    sizeof(cfg->own_name), &role) == -1) {
		snprintf(err, errlen, "certificate %s has no usable CN (1..%d "
		    "of A-Z a-z 0-9 . _ : -)", p->cert_file, DSP_NAME_MAX);
		return -1;
	}
	/* Peers will refuse a bad own certificate with a clear message;
	 * say it here too, where the operator looks first. */
	if (mbedtls_x509_crt_verify(&cfg->cert, &cfg->ca, NULL, NULL, &flags,
	    NULL, NULL) != 0) {
		tls_verify_text(flags, why, sizeof(why));
		log_warnx("own certificate %s: %s", p->cert_file, why);
	}
	return 0;
}

/*
 * mbedTLS may fill an EC group's table of precomputed points on the
 * first use of a key. Use the shared keys once now, in one thread, so
 * that concurrent handshakes only ever read those tables.
 */
static void
tls_config_warm(struct tls_config *cfg)
{
	static const unsigned char	 dummy_sig[] = { 0x30, 0x06, 0x02, 0x01,
	    0x01, 0x02, 0x01, 0x01 };
	unsigned char			 hash[32];
	unsigned char			 sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t				 len;
	mbedtls_x509_crt		*ca;

	memset(hash, 0x5a, sizeof(hash));
	(void)mbedtls_pk_sign(&cfg->key, MBEDTLS_MD_SHA256, hash, sizeof(hash),
	    sig, &len, mbedtls_ctr_drbg_random, &cfg->drbg);
	for (ca = &cfg->ca; ca != NULL && ca->raw.p != NULL; ca = ca->next)
		if (mbedtls_pk_can_do(&ca->pk, MBEDTLS_PK_ECDSA))
			(void)mbedtls_pk_verify(&ca->pk, MBEDTLS_MD_SHA256,
			    hash, sizeof(hash), dummy_sig, sizeof(dummy_sig));
}

/*
 * The configured suite goes first and the other AEAD suites follow, so
 * that hosts configured differently still agree on one (the server's
 * preference wins).
 */
static void
tls_config_order_suites(struct tls_config *cfg, size_t preferred)
{
	size_t	i, n = 0;

	cfg->suites[n++] = tls_suites[preferred].id;
	for (i = 0; i < sizeof(tls_suites) / sizeof(tls_suites[0]); i++)
		if (i != preferred)
			cfg->suites[n++] = tls_suites[i].id;
	cfg->suites[n] = 0;
}

static int
tls_config_setup(struct tls_config *cfg, const char *ciphers, char *err,
    size_t errlen)
{
	static const char	 pers[] = "daspool tls";
	char			 why[160];
	size_t			 i;
	int			 rc;

	if (ciphers == NULL || *ciphers == '\0')
		ciphers = TLS_DEFAULT_CIPHERS;
	for (i = 0; i < sizeof(tls_suites) / sizeof(tls_suites[0]); i++)
		if (strcmp(tls_suites[i].name, ciphers) == 0)
			break;
	if (i == sizeof(tls_suites) / sizeof(tls_suites[0])) {
		snprintf(err, errlen, "unknown cipher \"%s\" (use aes-128-gcm, "
		    "aes-256-gcm or chacha20-poly1305)", ciphers);
		return -1;
	}
	tls_config_order_suites(cfg, i);

	if ((rc = mbedtls_ctr_drbg_seed(&cfg->drbg, mbedtls_entropy_func,
	    &cfg->entropy, (const unsigned char *)pers,
	    sizeof(pers) - 1)) != 0) {
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "cannot seed the random generator: %s",
		    why);
		return -1;
	}
	if ((rc = mbedtls_ssl_config_defaults(&cfg->conf,
	    cfg->side == TLS_SIDE_SERVER ? MBEDTLS_SSL_IS_SERVER :
	    MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
	    MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "TLS configuration: %s", why);
		return -1;
	}
	mbedtls_ssl_conf_rng(&cfg->conf, mbedtls_ctr_drbg_random, &cfg->drbg);
	tls_config_warm(cfg);
	mbedtls_ssl_conf_min_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	/* Both sides must show a pool certificate; a client without one
	 * is refused, never let through as anonymous. */
	mbedtls_ssl_conf_authmode(&cfg->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&cfg->conf, &cfg->ca, NULL);
	if ((rc = mbedtls_ssl_conf_own_cert(&cfg->conf, &cfg->cert,
	    &cfg->key)) != 0) {
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "TLS configuration: %s", why);
		return -1;
	}
	mbedtls_ssl_conf_ciphersuites(&cfg->conf, cfg->suites);
	mbedtls_ssl_conf_curves(&cfg->conf, tls_curves);
	/* Every connection does a full handshake: no session resumption,
	 * no renegotiation. */
	mbedtls_ssl_conf_renegotiation(&cfg->conf,
	    MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	mbedtls_ssl_conf_legacy_renegotiation(&cfg->conf,
	    MBEDTLS_SSL_LEGACY_NO_RENEGOTIATION);
	mbedtls_ssl_conf_session_tickets(&cfg->conf,
	    MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
	return 0;
}

/* The CRL, checked against the CA now: a bad one stops a daemon at
 * start rather than refusing peers later. */
static int
tls_config_crl(struct tls_config *cfg, const struct tls_paths *p, char *err,
    size_t errlen)
{
	if (p->crl_file == NULL || p->crl_file[0] == '\0')
		return 0;
	cfg->crl = crl_watch_new(p->crl_file, &cfg->ca,
	    cfg->side == TLS_SIDE_SERVER ? "TLS server" : "TLS client", err,
	    errlen);
	return cfg->crl != NULL ? 0 : -1;
}

struct tls_config *
tls_config_new(enum tls_side side, const struct tls_paths *paths, char *err,
    size_t errlen)
{
	struct tls_config	*cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cfg->side = side;
	mbedtls_ssl_config_init(&cfg->conf);
	mbedtls_entropy_init(&cfg->entropy);
	mbedtls_ctr_drbg_init(&cfg->drbg);
	mbedtls_x509_crt_init(&cfg->ca);
	mbedtls_x509_crt_init(&cfg->cert);
	mbedtls_pk_init(&cfg->key);

	if (tls_config_load(cfg, paths, err, errlen) == -1 ||
	    tls_config_crl(cfg, paths, err, errlen) == -1 ||
	    tls_config_setup(cfg, paths->ciphers, err, errlen) == -1) {
		tls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
tls_config_free(struct tls_config *cfg)
{
	if (cfg == NULL)
		return;
	mbedtls_ssl_config_free(&cfg->conf);
	mbedtls_ctr_drbg_free(&cfg->drbg);
	mbedtls_entropy_free(&cfg->entropy);
	mbedtls_x509_crt_free(&cfg->ca);
	mbedtls_x509_crt_free(&cfg->cert);
	mbedtls_pk_free(&cfg->key);
	crl_watch_free(cfg->crl);
	free(cfg);
}

const char *
tls_config_own_name(const struct tls_config *cfg)
{
	return cfg->own_name;
}

const char *
tls_config_crl_file(const struct tls_config *cfg)
{
	return cfg->crl != NULL ? crl_watch_path(cfg->crl) : NULL;
}

int
tls_config_reload_crl(struct tls_config *cfg)
{
	return cfg->crl != NULL ? crl_watch_reload(cfg->crl) : 0;
}

void
tls_config_reload_crls(struct tls_config *server, struct tls_config *client)
{
	const char	*crl = tls_config_crl_file(server);

	if (crl == NULL) {
		log_info("SIGHUP: no CRL configured, nothing to read again; "
		    "restart to change the configuration");
		return;
	}
	log_info("SIGHUP: reading the CRL %s again", crl);
	(void)tls_config_reload_crl(server);
	(void)tls_config_reload_crl(client);
}

static struct tls_conn *
tls_conn_new(struct tls_config *cfg, int fd, char *err, size_t errlen)
{
	struct tls_conn	*c;
	char		 why[160];
	int		 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->cfg = cfg;
	c->fd = fd;
	c->first_byte = -1;
	mbedtls_ssl_init(&c->ssl);
	if ((rc = mbedtls_ssl_setup(&c->ssl, &cfg->conf)) != 0) {
		tls_mbed_error(rc, why, sizeof(why));
		snprintf(err, errlen, "TLS setup: %s", why);
		mbedtls_ssl_free(&c->ssl);
		free(c);
		return NULL;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, tls_bio_send, tls_bio_recv, NULL);
	mbedtls_ssl_set_verify(&c->ssl, tls_verify_cb, c);
	return c;
}

/* After the handshake: who the peer is. */
static int
tls_learn_peer(struct tls_conn *c, char *err, size_t errlen)
{
	const mbedtls_x509_crt	*peer;

	c->handshake_errno = EACCES;
	if ((peer = mbedtls_ssl_get_peer_cert(&c->ssl)) == NULL) {
		snprintf(err, errlen, "handshake failed: peer sent no "
		    "certificate");
		return -1;
	}
	if (tls_subject(&peer->subject, c->peer_name, sizeof(c->peer_name),
	    &c->peer_role) == -1) {
		snprintf(err, errlen, "peer certificate has no usable CN "
		    "(1..%d of A-Z a-z 0-9 . _ : -)", DSP_NAME_MAX);
		return -1;
	}
	return 0;
}

/* mbedTLS sends no alert for a missing client certificate; tell the
 * client why it is dropped. */
static void
tls_alert_no_cert(struct tls_conn *c, int rc)
{
	if (rc != MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
		return;
	if (!c->nonblock)
		tls_set_deadline(c, TLS_CLOSE_MS);
	(void)mbedtls_ssl_send_alert_message(&c->ssl,
	    MBEDTLS_SSL_ALERT_LEVEL_FATAL,
	    MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
}

static int
tls_handshake(struct tls_conn *c, int timeout_ms, char *err, size_t errlen)
{
	int	rc;

	tls_set_deadline(c, timeout_ms);
	while ((rc = mbedtls_ssl_handshake(&c->ssl)) != 0) {
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		tls_explain(c, rc, timeout_ms, err, errlen);
		c->handshake_errno = tls_handshake_errno(rc);
		tls_alert_no_cert(c, rc);
		return -1;
	}
	c->deadline = 0;
	return tls_learn_peer(c, err, errlen);
}

/*
 * After a failed handshake: mbedTLS rejects a certificate as soon as it
 * reads it, with the rest of the peer's flight still unread. Closing
 * then would send a TCP reset that can overtake our alert; drain the
 * peer's bytes briefly so it reads why it was refused.
 */
static void
tls_fail_close(struct tls_conn *c)
{
	uint8_t	buf[4096];
	ssize_t	n;

	mbedtls_ssl_free(&c->ssl);
	(void)shutdown(c->fd, SHUT_WR);
	tls_set_deadline(c, TLS_CLOSE_MS);
	while (tls_poll(c, POLLIN) == 0) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(c->fd);
	free(c);
}

struct tls_conn *
tls_accept(struct tls_config *cfg, int fd, int timeout_ms, char *err,
    size_t errlen)
{
	struct tls_conn	*c;

	net_set_nodelay(fd);
	if ((c = tls_conn_new(cfg, fd, err, errlen)) == NULL) {
		close(fd);
		return NULL;
	}
	if (tls_handshake(c, timeout_ms, err, errlen) == -1) {
		tls_fail_close(c);
		return NULL;
	}
	return c;
}

/* The peer is who the caller meant to reach; -1 with a sentence if not. */
static int
tls_check_peer(const struct tls_conn *c, const char *host, uint16_t port,
    const struct tls_peer *expect, char *err, size_t errlen)
{
	if (c->peer_role == expect->role && (expect->name == NULL ||
	    strcmp(c->peer_name, expect->name) == 0))
		return 0;
	snprintf(err, errlen, "%s:%u answers with the certificate of %s "
	    "(role %s), not of %s %s: refusing to talk to it", host, port,
	    c->peer_name, dsp_role_name(c->peer_role),
	    dsp_role_name(expect->role),
	    expect->name != NULL ? expect->name : "(any name)");
	return -1;
}

struct tls_conn *
tls_accept_start(struct tls_config *cfg, int fd, char *err, size_t errlen)
{
	struct tls_conn	*c;
	int		 flags;

	net_set_nodelay(fd);
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if ((c = tls_conn_new(cfg, fd, err, errlen)) == NULL) {
		close(fd);
		return NULL;
	}
	c->nonblock = 1;
	return c;
}

int
tls_accept_step(struct tls_conn *c, char *err, size_t errlen)
{
	int	rc;

	rc = mbedtls_ssl_handshake(&c->ssl);
	if (rc == MBEDTLS_ERR_SSL_WANT_READ)
		return TLS_WANT_READ;
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		return TLS_WANT_WRITE;
	if (rc != 0) {
		tls_explain(c, rc, 0, err, errlen);
		tls_alert_no_cert(c, rc);
		return -1;
	}
	return tls_learn_peer(c, err, errlen);
}

int
tls_accept_ready(struct tls_conn *c)
{
	int	flags;

	c->nonblock = 0;
	c->deadline = 0;
	if ((flags = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		return -1;
	return 0;
}

void
tls_abort(struct tls_conn *c)
{
	if (c == NULL)
		return;
	mbedtls_ssl_free(&c->ssl);
	close(c->fd);
	free(c);
}

int
tls_send_last(struct tls_conn *c, const void *buf, size_t len)
{
	int	rc;

	c->nonblock = 1;
	rc = mbedtls_ssl_write(&c->ssl, buf, len);
	(void)mbedtls_ssl_close_notify(&c->ssl);
	return rc == (int)len ? 0 : -1;
}

struct tls_conn *
tls_connect(struct tls_config *cfg, const char *host, uint16_t port,
    const struct tls_peer *expect, int timeout_ms, char *err, size_t errlen)
{
	struct tls_conn	*c;
	char		 why[256];
	int64_t		 start = tls_now_ms();
	int		 fd, left, saved;

	if ((fd = net_connect(host, port, timeout_ms, err, errlen)) == -1)
		return NULL;
	if ((c = tls_conn_new(cfg, fd, err, errlen)) == NULL) {
		close(fd);
		return NULL;
	}
	/* The handshake gets what the connect left of the timeout. */
	left = timeout_ms;
	if (timeout_ms > 0 && (left = timeout_ms -
	    (int)(tls_now_ms() - start)) <= 0)
		left = 1;
	if (tls_handshake(c, left, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s:%u: %s", host, port, why);
		saved = c->handshake_errno;
		tls_fail_close(c);
		errno = saved;
		return NULL;
	}
	if (tls_check_peer(c, host, port, expect, err, errlen) == -1) {
		tls_close(c);
		errno = EACCES;
		return NULL;
	}
	return c;
}

void
tls_close(struct tls_conn *c)
{
	if (c == NULL)
		return;
	/* Best effort: a peer that stopped reading must not hold us. */
	tls_set_deadline(c, TLS_CLOSE_MS);
	(void)mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_ssl_free(&c->ssl);
	close(c->fd);
	free(c);
}

const char *
tls_peer_name(const struct tls_conn *c)
{
	return c->peer_name;
}

int
tls_peer_role(const struct tls_conn *c)
{
	return c->peer_role;
}

int
tls_peer_revoked(const struct tls_conn *c)
{
	const mbedtls_x509_crt	*peer;

	if (c->cfg->crl == NULL ||
	    (peer = mbedtls_ssl_get_peer_cert(&c->ssl)) == NULL)
		return 0;
	crl_watch_poll(c->cfg->crl);
	return crl_watch_revoked(c->cfg->crl, &peer->serial);
}

const char *
tls_cipher_name(const struct tls_conn *c)
{
	return mbedtls_ssl_get_ciphersuite(&c->ssl);
}

int
tls_fd(const struct tls_conn *c)
{
	return c->fd;
}

int
tls_read_full(struct tls_conn *c, void *buf, size_t len, int timeout_ms)
{
	unsigned char	*p = buf;
	int		 rc;

	tls_set_deadline(c, timeout_ms);
	while (len > 0) {
		rc = mbedtls_ssl_read(&c->ssl, p, len);
		if (rc > 0) {
			p += rc;
			len -= (size_t)rc;
			continue;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		c->deadline = 0;
		if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
		    rc == MBEDTLS_ERR_SSL_CONN_EOF ||
		    rc == MBEDTLS_ERR_NET_CONN_RESET)
			errno = ECONNRESET;
		else if (rc == MBEDTLS_ERR_SSL_TIMEOUT)
			errno = ETIMEDOUT;
		else if (rc == MBEDTLS_ERR_NET_RECV_FAILED ||
		    rc == MBEDTLS_ERR_NET_POLL_FAILED)
			errno = c->sys_errno;
		else
			errno = EPROTO;	/* bad record, MAC failure, alert */
		return -1;
	}
	c->deadline = 0;
	return 0;
}

void
tls_set_send_timeout(struct tls_conn *c, int timeout_ms)
{
	c->send_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

int
tls_write_full(struct tls_conn *c, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	int			 rc;

	tls_set_deadline(c, c->send_timeout_ms);
	while (len > 0) {
		rc = mbedtls_ssl_write(&c->ssl, p, len);
		if (rc > 0) {
			p += rc;
			len -= (size_t)rc;
			continue;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		c->deadline = 0;
		if (rc == MBEDTLS_ERR_NET_CONN_RESET)
			errno = ECONNRESET;
		else if (rc == MBEDTLS_ERR_SSL_TIMEOUT)
			errno = ETIMEDOUT;
		else if (rc == MBEDTLS_ERR_NET_SEND_FAILED ||
		    rc == MBEDTLS_ERR_NET_POLL_FAILED)
			errno = c->sys_errno;
		else
			errno = EPROTO;
		return -1;
	}
	c->deadline = 0;
	return 0;
}

int
tls_cert_identity(const char *cert_file, char *cn, size_t cnlen, int *role)
{
	mbedtls_x509_crt	crt;
	int			rc = -1;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, cert_file) == 0)
		rc = tls_subject(&crt.subject, cn, cnlen, role);
	mbedtls_x509_crt_free(&crt);
	return rc;
}
