/*
 * Mutual TLS with mbedTLS: TLS 1.2, ECDHE-ECDSA with ChaCha20-Poly1305
 * (default: the faster AEAD of mbedTLS 2.28 here) or AES-GCM; the
 * configured suite is offered first, the others after it. Both sides present a certificate issued by the pool
 * CA; a host's identity is its certificate's CN and its role the subject
 * OU ("agent", "borrower", "admin", "backup", "manager").
 * Every socket gets TCP_NODELAY.
 *
 * With a CRL (crl_file) a peer whose certificate it lists is refused at
 * the handshake, with the TLS alert "certificate revoked". The file is
 * read again when it changes (looked at, at most once a second, by the
 * next handshake) and by tls_config_reload_crl; a missing or bad new
 * file keeps the list loaded before, and says why in the log.
 *
 * A tls_config may be shared by many threads; a tls_conn belongs to one
 * thread at a time.
 */
#ifndef DASPOOL_TLS_H
#define DASPOOL_TLS_H

#include <stddef.h>
#include <stdint.h>

struct tls_config;
struct tls_conn;

enum tls_side { TLS_SIDE_SERVER, TLS_SIDE_CLIENT };

struct tls_paths {
	const char	*ca_file;	/* pool CA certificate (PEM) */
	const char	*cert_file;	/* own certificate (PEM) */
	const char	*key_file;	/* own private key (PEM) */
	const char	*ciphers;	/* "chacha20-poly1305" (default),
					 * "aes-128-gcm", "aes-256-gcm", or NULL */
	const char	*crl_file;	/* the pool CA's CRL (PEM), or NULL */
};

/* NULL on failure, with the reason in err (a CRL that does not verify
 * with the pool CA is one). */
struct tls_config *tls_config_new(enum tls_side, const struct tls_paths *,
		    char *err, size_t errlen);
void		 tls_config_free(struct tls_config *);
const char	*tls_config_own_name(const struct tls_config *);	/* own CN */
/* The CRL file, NULL without one. */
const char	*tls_config_crl_file(const struct tls_config *);
/* Reads the CRL again now (SIGHUP). 0 when read or when there is none;
 * -1 when the file is missing or bad: the list in use stays (logged). */
int		 tls_config_reload_crl(struct tls_config *);
/* SIGHUP in a daemon: the CRL of both sides of a process read again,
 * logged; one without a CRL says that other settings need a restart. */
void		 tls_config_reload_crls(struct tls_config *server,
		    struct tls_config *client);

/* Server: handshake on an accepted socket (takes the fd; closes it on
 * failure). timeout_ms bounds the handshake. */
struct tls_conn	*tls_accept(struct tls_config *, int fd, int timeout_ms,
		    char *err, size_t errlen);
/*
 * Whom a client accepts at the far end: a certificate of this role and,
 * when name is not NULL, this CN. Checked as soon as the handshake is
 * done, before the caller can send a byte (a ticket, data).
 */
struct tls_peer {
	int		 role;		/* enum dsp_role */
	const char	*name;		/* CN, or NULL for any */
};

/*
 * Server, without blocking: for an event loop that runs many handshakes
 * at once. tls_accept_start makes the accepted socket non-blocking and
 * takes it; tls_accept_step advances the handshake as far as the socket
 * allows: 0 when it is done (the peer is then known), TLS_WANT_READ or
 * TLS_WANT_WRITE for what to wait for, or -1 with err. tls_accept_ready
 * makes the socket blocking again for the thread that will serve it.
 * A connection that fails or is given up is closed with tls_abort,
 * which sends nothing and never waits.
 */
enum { TLS_WANT_READ = 1, TLS_WANT_WRITE = 2 };

struct tls_conn	*tls_accept_start(struct tls_config *, int fd, char *err,
		    size_t errlen);
int		 tls_accept_step(struct tls_conn *, char *err, size_t errlen);
int		 tls_accept_ready(struct tls_conn *);
void		 tls_abort(struct tls_conn *);
/* Sends one record without blocking, then close_notify; 0 if it went. */
int		 tls_send_last(struct tls_conn *, const void *, size_t);

/* Client: connect to host:port, handshake and check the peer against
 * expect. On failure errno is EACCES when the handshake was refused
 * (certificate, cipher, protocol) or the peer is not the one expected:
 * retrying cannot help; otherwise the connect or transport error. */
struct tls_conn	*tls_connect(struct tls_config *, const char *host,
		    uint16_t port, const struct tls_peer *expect,
		    int timeout_ms, char *err, size_t errlen);
void		 tls_close(struct tls_conn *);	/* close_notify + free */

const char	*tls_peer_name(const struct tls_conn *);	/* CN */
int		 tls_peer_role(const struct tls_conn *);	/* enum dsp_role */
/* 1 when the CRL in use now lists the peer's certificate, else 0: lets
 * a server drop connections of a certificate revoked since they were
 * made. Any thread may ask once the handshake is done. */
int		 tls_peer_revoked(const struct tls_conn *);
const char	*tls_cipher_name(const struct tls_conn *);
int		 tls_fd(const struct tls_conn *);

/* Full reads/writes: 0 on success, -1 on error or EOF (errno kept
 * where meaningful). tls_read_full waits at most timeout_ms per call
 * when timeout_ms > 0. */
int		 tls_read_full(struct tls_conn *, void *, size_t, int timeout_ms);
int		 tls_write_full(struct tls_conn *, const void *, size_t);
/* Later tls_write_full calls fail with ETIMEDOUT when the whole write
 * takes longer than timeout_ms (0 = wait for ever, the default). */
void		 tls_set_send_timeout(struct tls_conn *, int timeout_ms);

/* The role and CN carried by a PEM certificate file; for tools/tests. */
int		 tls_cert_identity(const char *cert_file, char *cn, size_t cnlen,
		    int *role);

#endif
