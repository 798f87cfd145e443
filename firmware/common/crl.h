/*
 * The pool's certificate revocation list (CRL) as daspool reads it.
 *
 * crl.c        reads a CRL file and checks it against the pool CA (its
 *              issuer and signature); looks serial numbers up.
 * crl_watch.c  the CRL a TLS config keeps current: read again when the
 *              file changes (looked at, at most once a second, when a
 *              handshake asks) or on demand, swapped behind a lock while
 *              handshakes in other threads look serials up.
 *
 * crl_write.h writes them (daspool-pki).
 */
#ifndef DASPOOL_CRL_H
#define DASPOOL_CRL_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#define CRL_FILE_MAX	(16 << 20)	/* bytes; larger files are refused */

/* --- crl.c --- */

/*
 * Reads the one CRL of a PEM or DER file into crl (initialised by the
 * caller; free it in any case) and checks it with crl_check. st, when
 * not NULL, gets the stat of the file that was read. 0, or -1 with a
 * sentence naming the file in err.
 */
int	crl_load(mbedtls_x509_crl *, const char *path, mbedtls_x509_crt *ca,
	    struct stat *st, char *err, size_t errlen);
/* The CRL is issued by a certificate of ca (same subject, allowed to
 * sign CRLs) and its signature verifies with that key. 0 or -1. */
int	crl_check(const mbedtls_x509_crl *, mbedtls_x509_crt *ca, char *err,
	    size_t errlen);
/* The entry listing serial (the INTEGER's content octets), or NULL. */
const mbedtls_x509_crl_entry *crl_find(const mbedtls_x509_crl *,
	    const mbedtls_x509_buf *serial);
size_t	crl_count(const mbedtls_x509_crl *);
/* The cRLNumber extension into *number: 0, or -1 when it has none. */
int	crl_number(const mbedtls_x509_crl *, uint64_t *number);
time_t	crl_time(const mbedtls_x509_time *);

/* --- crl_watch.c --- */

struct crl_watch;

/*
 * Loads path, checked against ca (which must outlive the watch); who
 * ("TLS server") starts its log lines, telling two watches apart. NULL
 * on failure, with the reason in err.
 */
struct crl_watch *crl_watch_new(const char *path, mbedtls_x509_crt *ca,
	    const char *who, char *err, size_t errlen);
void	crl_watch_free(struct crl_watch *);
const char *crl_watch_path(const struct crl_watch *);
/* Reads the file again if its inode, size or mtime changed, at most
 * once a second. A missing or bad file keeps the list in use (logged). */
void	crl_watch_poll(struct crl_watch *);
/* Reads the file again now. 0, or -1 when the list in use stays
 * (missing or bad file, logged). */
int	crl_watch_reload(struct crl_watch *);
/* 1 when serial is in the list in use, else 0. */
int	crl_watch_revoked(struct crl_watch *, const mbedtls_x509_buf *serial);

#endif
