/*
 * Writes the pool's certificate revocation list: an X.509 v2 CRL
 * (RFC 5280, section 5) signed by the pool CA, as PEM. mbedTLS 2.28
 * parses CRLs but has no writer, so crl_write.c builds the DER itself.
 */
#ifndef DASPOOL_CRL_WRITE_H
#define DASPOOL_CRL_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

/* RFC 5280 4.1.2.2: a serial number is at most 20 octets. */
#define CRL_SERIAL_MAX	20
/* Bounds the DER buffer; far more than a pool has hosts. */
#define CRL_REVOKED_MAX	100000

/* One revoked certificate. */
struct crl_revoked {
	const unsigned char	*serial;	/* the INTEGER's content octets,
						 * as in the certificate */
	size_t			 serial_len;
	time_t			 when;		/* revocation time */
};

struct crl_spec {
	mbedtls_x509_crt		*ca;	/* its subject: the issuer */
	mbedtls_pk_context		*ca_key; /* ECDSA, with SHA-256 */
	time_t				 this_update;
	time_t				 next_update;
	uint64_t			 number; /* cRLNumber, counts up */
	const struct crl_revoked	*revoked;	/* in this order */
	size_t				 nrevoked;
};

/*
 * Builds and signs the CRL; *pem is a malloc'ed, NUL-terminated
 * "-----BEGIN X509 CRL-----" block. 0, or -1 with the reason in err.
 */
int	crl_write_pem(const struct crl_spec *,
	    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
	    char **pem, char *err, size_t errlen);

#endif
