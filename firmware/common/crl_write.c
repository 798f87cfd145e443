/*
 * The pool CRL's DER, written back to front as mbedTLS's asn1write
 * works (each writer puts its element before *p and returns its length,
 * or a negative mbedTLS error):
 *
 *   CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
 *       signatureValue BIT STRING }
 *   TBSCertList ::= SEQUENCE { version INTEGER (1: v2), signature
 *       AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate
 *       Time, revokedCertificates SEQUENCE OF SEQUENCE {
 *       userCertificate INTEGER, revocationDate Time } OPTIONAL,
 *       crlExtensions [0] EXPLICIT Extensions }
 *
 * The extensions are the two RFC 5280 asks of every CRL issuer: the
 * authority key identifier and the CRL number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha1.h>

#include "crl_write.h"

#define CRL_PEM_BEGIN	"-----BEGIN X509 CRL-----\n"
#define CRL_PEM_END	"-----END X509 CRL-----\n"
#define CRL_TIME_MAX	16	/* "YYYYMMDDHHMMSSZ" */
/* An entry's SEQUENCE, INTEGER and Time headers with their contents. */
#define CRL_ENTRY_MAX	(3 * 4 + CRL_SERIAL_MAX + CRL_TIME_MAX)
/* Version, algorithm, times, extensions and the outer headers. */
#define CRL_TBS_SLACK	512
#define CRL_SEQUENCE	(MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)

typedef int	(*crl_rng)(void *, unsigned char *, size_t);

static int	crl_put_header(unsigned char **, unsigned char *, size_t,
		    unsigned char);
static int	crl_put_time(unsigned char **, unsigned char *, time_t);
static int	crl_put_entry(unsigned char **, unsigned char *,
		    const struct crl_revoked *);
static int	crl_put_revoked(unsigned char **, unsigned char *,
		    const struct crl_spec *);
static int	crl_put_extension(unsigned char **, unsigned char *,
		    const char *, size_t, size_t);
static int	crl_put_number(unsigned char **, unsigned char *, uint64_t);
static int	crl_put_aki(unsigned char **, unsigned char *,
		    const mbedtls_x509_crt *);
static int	crl_put_extensions(unsigned char **, unsigned char *,
		    const struct crl_spec *);
static int	crl_put_sig_alg(unsigned char **, unsigned char *);
static int	crl_put_tbs(unsigned char **, unsigned char *,
		    const struct crl_spec *);
static int	crl_put_signed(unsigned char **, unsigned char *,
		    const unsigned char *, size_t, const unsigned char *,
		    size_t);
static int	crl_write_check(const struct crl_spec *, char *, size_t);
static int	crl_sign(const struct crl_spec *, const unsigned char *,
		    size_t, crl_rng, void *, unsigned char *, size_t *);
static int	crl_pem(const unsigned char *, size_t, char **);
static void	crl_write_error(int, const char *, char *, size_t);

/* The tag and length of an element whose len content bytes are written. */
static int
crl_put_header(unsigned char **p, unsigned char *start, size_t len,
    unsigned char tag)
{
	size_t	n = 0;
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_tag(p, start, tag));
	return (int)n;
}

static int
crl_put_time(unsigned char **p, unsigned char *start, time_t t)
{
	struct tm	tm;
	char		s[CRL_TIME_MAX];
	int		year;

	if (gmtime_r(&t, &tm) == NULL)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	year = tm.tm_year + 1900;
	/* RFC 5280 5.1.2.4: UTCTime for 1950 to 2049, GeneralizedTime
	 * otherwise. */
	if (year >= 1950 && year < 2050) {
		strftime(s, sizeof(s), "%y%m%d%H%M%SZ", &tm);
		return mbedtls_asn1_write_tagged_string(p, start,
		    MBEDTLS_ASN1_UTC_TIME, s, strlen(s));
	}
	if (year < 0 || year > 9999)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm);
	return mbedtls_asn1_write_tagged_string(p, start,
	    MBEDTLS_ASN1_GENERALIZED_TIME, s, strlen(s));
}

static int
crl_put_entry(unsigned char **p, unsigned char *start,
    const struct crl_revoked *r)
{
	size_t	len = 0;
	int	ret;

	if (r->serial == NULL || r->serial_len == 0 ||
	    r->serial_len > CRL_SERIAL_MAX)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_time(p, start, r->when));
	/* The serial's octets as the certificate holds them, so that a
	 * lookup compares like with like. */
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start,
	    r->serial, r->serial_len));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, r->serial_len,
	    MBEDTLS_ASN1_INTEGER));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	return (int)len;
}

static int
crl_put_revoked(unsigned char **p, unsigned char *start,
    const struct crl_spec *s)
{
	size_t	len = 0, i;
	int	ret;

	/* RFC 5280 5.1.2.6: no revoked certificates, no (empty) list. */
	if (s->nrevoked == 0)
		return 0;
	for (i = s->nrevoked; i > 0; i--)
		MBEDTLS_ASN1_CHK_ADD(len, crl_put_entry(p, start,
		    &s->revoked[i - 1]));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	return (int)len;
}

/* Wraps the value_len bytes just written into a non-critical
 * Extension; returns the whole extension's length. */
static int
crl_put_extension(unsigned char **p, unsigned char *start, const char *oid,
    size_t oid_len, size_t value_len)
{
	size_t	len = value_len;
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, value_len,
	    MBEDTLS_ASN1_OCTET_STRING));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(p, start, oid,
	    oid_len));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	return (int)len;
}

static int
crl_put_number(unsigned char **p, unsigned char *start, uint64_t number)
{
	unsigned char	be[9];
	size_t		len = 0, k = 0;
	int		i, ret;

	for (i = 8; i > 0; i--, number >>= 8)
		be[i] = (unsigned char)(number & 0xff);
	be[0] = 0;
	/* Shortest form that stays non-negative. */
	while (k < 8 && be[k] == 0 && !(be[k + 1] & 0x80))
		k++;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start,
	    be + k, sizeof(be) - k));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, sizeof(be) - k,
	    MBEDTLS_ASN1_INTEGER));
	return crl_put_extension(p, start, MBEDTLS_OID_CRL_NUMBER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER), len);
}

/* RFC 5280 4.2.1.2 method 1, as the CA's own subject key identifier:
 * the SHA-1 of its public key bits. */
static int
crl_put_aki(unsigned char **p, unsigned char *start,
    const mbedtls_x509_crt *ca)
{
	unsigned char	key[2 * MBEDTLS_ECP_MAX_BYTES + 16];
	unsigned char	*c = key + sizeof(key), id[20];
	size_t		len = 0;
	int		n, ret;

	if ((n = mbedtls_pk_write_pubkey(&c, key, &ca->pk)) < 0)
		return n;
	if ((ret = mbedtls_sha1_ret(c, (size_t)n, id)) != 0)
		return ret;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start, id,
	    sizeof(id)));
	/* keyIdentifier [0] IMPLICIT OCTET STRING */
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, sizeof(id),
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | 0));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	return crl_put_extension(p, start,
	    MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AUTHORITY_KEY_IDENTIFIER), len);
}

static int
crl_put_extensions(unsigned char **p, unsigned char *start,
    const struct crl_spec *s)
{
	size_t	len = 0;
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(len, crl_put_number(p, start, s->number));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_aki(p, start, s->ca));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0));
	return (int)len;
}

/* ecdsa-with-SHA256; RFC 5758 3.2: without parameters, not even NULL. */
static int
crl_put_sig_alg(unsigned char **p, unsigned char *start)
{
	const char	*oid;
	size_t		 oid_len, len = 0;
	int		 ret;

	if ((ret = mbedtls_oid_get_oid_by_sig_alg(MBEDTLS_PK_ECDSA,
	    MBEDTLS_MD_SHA256, &oid, &oid_len)) != 0)
		return ret;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_oid(p, start, oid,
	    oid_len));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	return (int)len;
}

static int
crl_put_tbs(unsigned char **p, unsigned char *start, const struct crl_spec *s)
{
	size_t	len = 0;
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(len, crl_put_extensions(p, start, s));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_revoked(p, start, s));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_time(p, start, s->next_update));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_time(p, start, s->this_update));
	/* The CA's subject byte for byte: issuer matching then never
	 * depends on how a string was re-encoded. */
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start,
	    s->ca->subject_raw.p, s->ca->subject_raw.len));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_sig_alg(p, start));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(p, start, 1));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	return (int)len;
}

static int
crl_put_signed(unsigned char **p, unsigned char *start,
    const unsigned char *tbs, size_t tbs_len, const unsigned char *sig,
    size_t sig_len)
{
	size_t	len = 0;
	int	ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_bitstring(p, start, sig,
	    sig_len * 8));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_sig_alg(p, start));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start, tbs,
	    tbs_len));
	MBEDTLS_ASN1_CHK_ADD(len, crl_put_header(p, start, len,
	    CRL_SEQUENCE));
	return (int)len;
}

static int
crl_write_check(const struct crl_spec *s, char *err, size_t errlen)
{
	if (s->ca == NULL || s->ca_key == NULL ||
	    (s->nrevoked > 0 && s->revoked == NULL)) {
		snprintf(err, errlen, "CRL: no CA, key or entries given");
		return -1;
	}
	if (!mbedtls_pk_can_do(s->ca_key, MBEDTLS_PK_ECDSA) ||
	    mbedtls_pk_check_pair(&s->ca->pk, s->ca_key) != 0) {
		snprintf(err, errlen, "CRL: the signing key is not the CA "
		    "certificate's EC key");
		return -1;
	}
	if (s->nrevoked > CRL_REVOKED_MAX) {
		snprintf(err, errlen, "CRL: %zu revoked certificates, at most "
		    "%d", s->nrevoked, CRL_REVOKED_MAX);
		return -1;
	}
	if (s->next_update <= s->this_update) {
		snprintf(err, errlen, "CRL: nextUpdate must be later than "
		    "thisUpdate");
		return -1;
	}
	return 0;
}

static int
crl_sign(const struct crl_spec *s, const unsigned char *tbs, size_t tbs_len,
    crl_rng f_rng, void *p_rng, unsigned char *sig, size_t *sig_len)
{
	unsigned char	hash[32];
	int		rc;

	if ((rc = mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), tbs,
	    tbs_len, hash)) != 0)
		return rc;
	return mbedtls_pk_sign(s->ca_key, MBEDTLS_MD_SHA256, hash,
	    sizeof(hash), sig, sig_len, f_rng, p_rng);
}

static int
crl_pem(const unsigned char *der, size_t der_len, char **pem)
{
	unsigned char	*buf;
	size_t		 len = 0;
	int		 rc;

	/* Asked with no room, it tells the size it needs. */
	(void)mbedtls_pem_write_buffer(CRL_PEM_BEGIN, CRL_PEM_END, der,
	    der_len, NULL, 0, &len);
	if (len == 0 || (buf = malloc(len)) == NULL)
		return MBEDTLS_ERR_PEM_ALLOC_FAILED;
	if ((rc = mbedtls_pem_write_buffer(CRL_PEM_BEGIN, CRL_PEM_END, der,
	    der_len, buf, len, &len)) != 0) {
		free(buf);
		return rc;
	}
	*pem = (char *)buf;
	return 0;
}

static void
crl_write_error(int rc, const char *what, char *err, size_t errlen)
{
	char	why[160];

	mbedtls_strerror(rc, why, sizeof(why));
	snprintf(err, errlen, "%s: %s", what, why);
}

int
crl_write_pem(const struct crl_spec *s, crl_rng f_rng, void *p_rng,
    char **pem, char *err, size_t errlen)
{
	unsigned char	 sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	unsigned char	*tbs_buf = NULL, *der = NULL, *tbs, *p;
	size_t		 tbs_size, der_size, sig_len;
	int		 tbs_len, der_len, ret, rc = -1;

	*pem = NULL;
	if (crl_write_check(s, err, errlen) == -1)
		return -1;
	tbs_size = CRL_TBS_SLACK + s->ca->subject_raw.len +
	    s->nrevoked * CRL_ENTRY_MAX;
	der_size = tbs_size + CRL_TBS_SLACK + sizeof(sig);
	if ((tbs_buf = malloc(tbs_size)) == NULL ||
	    (der = malloc(der_size)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	tbs = tbs_buf + tbs_size;
	if ((tbs_len = crl_put_tbs(&tbs, tbs_buf, s)) < 0) {
		crl_write_error(tbs_len, "cannot encode the CRL", err, errlen);
		goto done;
	}
	if ((ret = crl_sign(s, tbs, (size_t)tbs_len, f_rng, p_rng, sig,
	    &sig_len)) != 0) {
		crl_write_error(ret, "cannot sign the CRL", err, errlen);
		goto done;
	}
	p = der + der_size;
	if ((der_len = crl_put_signed(&p, der, tbs, (size_t)tbs_len, sig,
	    sig_len)) < 0) {
		crl_write_error(der_len, "cannot encode the CRL", err, errlen);
		goto done;
	}
	if ((ret = crl_pem(p, (size_t)der_len, pem)) != 0) {
		crl_write_error(ret, "cannot write the CRL as PEM", err,
		    errlen);
		goto done;
	}
	rc = 0;
done:
	free(tbs_buf);
	free(der);
	return rc;
}
