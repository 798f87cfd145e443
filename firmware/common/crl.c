/*
 * Reads a CRL file and checks it against the pool CA; looks serial
 * numbers up in it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>

#include "crl.h"

#define CRL_PEM_BEGIN	"-----BEGIN X509 CRL-----"

static int	crl_read(const char *, unsigned char **, size_t *,
		    struct stat *, char *, size_t);
static int	crl_parse(mbedtls_x509_crl *, const unsigned char *, size_t);
static mbedtls_x509_crt *crl_issuer(const mbedtls_x509_crl *,
		    mbedtls_x509_crt *);
static int	crl_ext_number(const unsigned char *, const unsigned char *,
		    uint64_t *);

/* The whole file, NUL-terminated (PEM parsing wants it). */
static int
crl_read(const char *path, unsigned char **buf, size_t *len, struct stat *st,
    char *err, size_t errlen)
{
	ssize_t	n;
	size_t	got = 0;
	int	fd;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open CRL %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1) {
		snprintf(err, errlen, "cannot stat CRL %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st->st_mode) || st->st_size > CRL_FILE_MAX) {
		snprintf(err, errlen, "CRL %s is not a regular file of at "
		    "most %d MiB", path, CRL_FILE_MAX >> 20);
		goto fail;
	}
	if ((*buf = malloc((size_t)st->st_size + 1)) == NULL) {
		snprintf(err, errlen, "CRL %s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st->st_size &&
	    (n = read(fd, *buf + got, (size_t)st->st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "cannot read CRL %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	(*buf)[got] = '\0';
	*len = got;
	return 0;
fail:
	close(fd);
	free(*buf);
	*buf = NULL;
	return -1;
}

/* PEM wants its terminating NUL counted; DER must end where it ends. */
static int
crl_parse(mbedtls_x509_crl *crl, const unsigned char *buf, size_t len)
{
	if (strstr((const char *)buf, CRL_PEM_BEGIN) != NULL)
		return mbedtls_x509_crl_parse(crl, buf, len + 1);
	return mbedtls_x509_crl_parse_der(crl, buf, len);
}

int
crl_load(mbedtls_x509_crl *crl, const char *path, mbedtls_x509_crt *ca,
    struct stat *st, char *err, size_t errlen)
{
	struct stat	 sb;
	unsigned char	*buf;
	size_t		 len;
	char		 why[256];
	int		 rc;

	if (crl_read(path, &buf, &len, st != NULL ? st : &sb, err,
	    errlen) == -1)
		return -1;
	rc = crl_parse(crl, buf, len);
	free(buf);
	if (rc != 0) {
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, errlen, "CRL %s is not a readable CRL: %s", path,
		    why);
		return -1;
	}
	if (crl->next != NULL) {
		snprintf(err, errlen, "CRL %s holds more than one CRL", path);
		return -1;
	}
	if (crl_check(crl, ca, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "CRL %s: %s", path, why);
		return -1;
	}
	return 0;
}

static mbedtls_x509_crt *
crl_issuer(const mbedtls_x509_crl *crl, mbedtls_x509_crt *ca)
{
	for (; ca != NULL && ca->raw.p != NULL; ca = ca->next)
		if (ca->subject_raw.len == crl->issuer_raw.len &&
		    memcmp(ca->subject_raw.p, crl->issuer_raw.p,
		    crl->issuer_raw.len) == 0)
			return ca;
	return NULL;
}

int
crl_check(const mbedtls_x509_crl *crl, mbedtls_x509_crt *ca, char *err,
    size_t errlen)
{
	const mbedtls_md_info_t	*md;
	mbedtls_x509_crt	*issuer;
	unsigned char		 hash[MBEDTLS_MD_MAX_SIZE];
	char			 dn[256];

	if ((issuer = crl_issuer(crl, ca)) == NULL) {
		if (mbedtls_x509_dn_gets(dn, sizeof(dn), &crl->issuer) < 0)
			snprintf(dn, sizeof(dn), "?");
		snprintf(err, errlen, "issued by \"%s\", not by the pool CA",
		    dn);
		return -1;
	}
	if (mbedtls_x509_crt_check_key_usage(issuer,
	    MBEDTLS_X509_KU_CRL_SIGN) != 0) {
		snprintf(err, errlen, "the pool CA certificate may not sign "
		    "CRLs (key usage)");
		return -1;
	}
	if ((md = mbedtls_md_info_from_type(crl->sig_md)) == NULL ||
	    mbedtls_md(md, crl->tbs.p, crl->tbs.len, hash) != 0) {
		snprintf(err, errlen, "signed with an unknown hash");
		return -1;
	}
	if (mbedtls_pk_verify_ext(crl->sig_pk, crl->sig_opts, &issuer->pk,
	    crl->sig_md, hash, mbedtls_md_get_size(md), crl->sig.p,
	    crl->sig.len) != 0) {
		snprintf(err, errlen, "signature does not verify with the "
		    "pool CA's key");
		return -1;
	}
	return 0;
}

const mbedtls_x509_crl_entry *
crl_find(const mbedtls_x509_crl *crl, const mbedtls_x509_buf *serial)
{
	const mbedtls_x509_crl_entry	*e;

	/* Linear: a pool revokes few certificates. */
	for (e = &crl->entry; e != NULL && e->serial.len != 0; e = e->next)
		if (e->serial.len == serial->len &&
		    memcmp(e->serial.p, serial->p, serial->len) == 0)
			return e;
	return NULL;
}

size_t
crl_count(const mbedtls_x509_crl *crl)
{
	const mbedtls_x509_crl_entry	*e;
	size_t				 n = 0;

	for (e = &crl->entry; e != NULL && e->serial.len != 0; e = e->next)
		n++;
	return n;
}

/* Walks Extensions ::= SEQUENCE OF Extension for the CRL number. */
static int
crl_ext_number(const unsigned char *p, const unsigned char *end,
    uint64_t *number)
{
	unsigned char	*q = (unsigned char *)p, *ext_end;
	size_t		 len;
	int		 critical;

	if (mbedtls_asn1_get_tag(&q, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return -1;
	while (q < end) {
		if (mbedtls_asn1_get_tag(&q, end, &len,
		    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
			return -1;
		ext_end = q + len;
		if (mbedtls_asn1_get_tag(&q, ext_end, &len,
		    MBEDTLS_ASN1_OID) != 0)
			return -1;
		if (len != MBEDTLS_OID_SIZE(MBEDTLS_OID_CRL_NUMBER) ||
		    memcmp(q, MBEDTLS_OID_CRL_NUMBER, len) != 0) {
			q = ext_end;
			continue;
		}
		q += len;
		(void)mbedtls_asn1_get_bool(&q, ext_end, &critical);
		if (mbedtls_asn1_get_tag(&q, ext_end, &len,
		    MBEDTLS_ASN1_OCTET_STRING) != 0 ||
		    mbedtls_asn1_get_tag(&q, ext_end, &len,
		    MBEDTLS_ASN1_INTEGER) != 0 || len == 0 || len > 9 ||
		    (q[0] & 0x80) || (len == 9 && q[0] != 0))
			return -1;
		for (*number = 0; len > 0; len--)
			*number = *number << 8 | *q++;
		return 0;
	}
	return -1;
}

int
crl_number(const mbedtls_x509_crl *crl, uint64_t *number)
{
	if (crl->crl_ext.p == NULL || crl->crl_ext.len == 0)
		return -1;
	return crl_ext_number(crl->crl_ext.p, crl->crl_ext.p +
	    crl->crl_ext.len, number);
}

time_t
crl_time(const mbedtls_x509_time *t)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->mon - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->min;
	tm.tm_sec = t->sec;
	return timegm(&tm);
}
