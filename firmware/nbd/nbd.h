/*
 * An NBD server for one export: the handshake on a connection, then its
 * requests served by worker threads on a backend (the export's I/O).
 * Transport and backend are the caller's: the daspool command serves a
 * mounted volume over a Unix socket, TCP or TLS; the tests and the
 * fuzzer serve memory.
 */
#ifndef DASPOOL_NBD_H
#define DASPOOL_NBD_H

#include <stddef.h>
#include <stdint.h>

#include "nbd_proto.h"

/* A connection: whole reads and writes, 0 or -1 (closed or failed). */
struct nbd_io {
	void	*arg;
	int	(*read)(void *arg, void *buf, size_t len);
	int	(*write)(void *arg, const void *buf, size_t len);
	/* NBD_OPT_STARTTLS: upgrade in place, 0 or -1; NULL: no TLS here. */
	int	(*starttls)(void *arg, char *err, size_t errlen);
	/* Ends a read waiting in another thread (the export ended); NULL:
	 * reads end by themselves. */
	void	(*shutdown)(void *arg);
};

/* The TLS policy of a listener. */
enum nbd_tls {
	NBD_TLS_NONE,		/* STARTTLS is refused */
	NBD_TLS_OFFERED,	/* STARTTLS or plaintext, the client's choice */
	NBD_TLS_REQUIRED,	/* nothing but STARTTLS before it */
};

/*
 * The option phase. 0: transmission begins (*s says how); 1: the client
 * went away or aborted; -1: a protocol violation, named in err (the
 * connection is to be closed).
 */
int	nbd_handshake(const struct nbd_io *, const struct nbd_export *,
	    enum nbd_tls, struct nbd_session *s, char *err, size_t errlen);

/*
 * The export's I/O. Each worker opens a handle of its own (handles are
 * used by one thread at a time). Calls return NBD_OK or an NBD error
 * number with a sentence in why; NBD_ESHUTDOWN ends the export (the
 * volume was taken away).
 */
struct nbd_backend {
	void	*arg;
	void	*(*open)(void *arg, char *why, size_t whylen);
	void	 (*close)(void *h);
	int	 (*read)(void *h, void *buf, uint32_t len, uint64_t off,
		    char *why, size_t whylen);
	int	 (*write)(void *h, const void *buf, uint32_t len, uint64_t off,
		    int fua, char *why, size_t whylen);
	int	 (*flush)(void *h, char *why, size_t whylen);
	/* Zeroes the range (TRIM too: its blocks then read as zero). */
	int	 (*zero)(void *h, uint64_t off, uint64_t len, int fua,
		    char *why, size_t whylen);
	/* base:allocation from off on: at most max runs, *n of them, of
	 * len bytes or fewer in all. NULL: all data. */
	int	 (*extents)(void *h, uint64_t off, uint32_t len,
		    struct nbd_extent *out, size_t max, size_t *n, char *why,
		    size_t whylen);
	/* A request refused or failed, for the log: may be NULL. */
	void	 (*report)(void *arg, const char *what);
};

#define NBD_WORKERS_DEFAULT	4
#define NBD_WORKERS_MAX		32
#define NBD_INFLIGHT_MAX	64	/* requests read ahead of replies */

/*
 * Serves the transmission phase of one connection until DISC, the
 * client leaving, a protocol violation or the export ending. Requests
 * run on `workers` threads concurrently and are answered as they
 * finish; with 0 workers the calling thread carries each out in turn
 * (a connection whose reads and writes must not overlap). 0: the client ended it; 1: the export ended (NBD_ESHUTDOWN);
 * -1: the connection failed or broke the protocol (err).
 */
int	nbd_serve(const struct nbd_io *, const struct nbd_export *,
	    const struct nbd_session *, const struct nbd_backend *,
	    int workers, char *err, size_t errlen);

#endif
