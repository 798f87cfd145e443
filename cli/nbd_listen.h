/*
 * Serving one export to NBD clients until a signal (SIGTERM, SIGINT,
 * SIGHUP) or the end of the export.
 */
#ifndef DASPOOL_NBD_LISTEN_H
#define DASPOOL_NBD_LISTEN_H

#include "nbd.h"
#include "tls.h"

#define NBD_CONNS_MAX		64
#define NBD_HANDSHAKE_MS	10000

struct nbd_listen_opts {
	const char	*socket_path;	/* a Unix socket, or */
	const char	*listen;	/* "ADDR:PORT" or "PORT" on loopback */
	int		 workers;	/* per connection */
	/* TLS (NBD_OPT_STARTTLS) with these certificates: the client must
	 * show a borrower certificate of the pool. Required off loopback;
	 * NULL: plaintext only. */
	const struct tls_paths *tls;
	int		 tls_required;
	/* Called once listening, before the first accept; NULL prints
	 * "volume NAME exported at URI". */
	void		(*ready)(void *arg, const char *uri);
	void		*ready_arg;
};

/* 0 stopped by a signal (every request read was answered), 1 the
 * export ended (the volume was taken away), -1 could not listen
 * (err). */
int	nbd_listen_run(const struct nbd_export *, const struct nbd_backend *,
	    const struct nbd_listen_opts *, char *err, size_t errlen);

#endif
