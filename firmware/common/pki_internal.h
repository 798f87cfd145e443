/*
 * Between the files of the pool PKI; callers use pki.h.
 *
 * pki.c         the CA, the certificates, and the helpers below.
 * pki_revoke.c  the PKI's side of the CRL: the empty one made at init,
 *               revocation, and what show says about it.
 */
#ifndef DASPOOL_PKI_INTERNAL_H
#define DASPOOL_PKI_INTERNAL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define PKI_PATH_MAX	4096

struct pki_rng {
	mbedtls_entropy_context		entropy;
	mbedtls_ctr_drbg_context	drbg;
};

/* --- pki.c --- */

int	pki_rng_init(struct pki_rng *, char *, size_t);
void	pki_rng_free(struct pki_rng *);
/* "what: mbedTLS's words for rc" into err. */
void	pki_mbed_error(int rc, const char *what, char *err, size_t errlen);
/* DIR/NAME.EXT into out (PKI_PATH_MAX bytes). */
int	pki_path(char *out, const char *dir, const char *name,
	    const char *ext, char *err, size_t errlen);
/* Through a temporary file and rename: the old file or the new one. */
int	pki_write_file(const char *path, const void *, size_t, mode_t,
	    char *err, size_t errlen);
/* DIR/ca.crt and DIR/ca.key, checked to belong together. */
int	pki_ca_load(const char *dir, mbedtls_x509_crt *, mbedtls_pk_context *,
	    char *err, size_t errlen);

/* --- pki_revoke.c --- */

/* DIR/crl.pem listing no certificate, signed by the new CA. */
int	pki_crl_init(const char *dir, mbedtls_x509_crt *cacrt,
	    mbedtls_pk_context *cakey, struct pki_rng *, char *err,
	    size_t errlen);
/* For pki_show: a "revoked:" line when DIR/crl.pem lists crt, and
 * *status "revoked"; a line saying why when the CRL cannot be used. */
void	pki_revocation_print(FILE *, const mbedtls_x509_crt *crt,
	    const char *dir, const char **status);

#endif
