/*
 * The PKI's side of the pool CRL, DIR/crl.pem: the empty list made with
 * the CA, revocation, and what show says. crl_write.c builds the DER;
 * crl.c reads it back and checks it against the CA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/x509_crl.h>

#include "crl.h"
#include "crl_write.h"
#include "msg.h"
#include "pki.h"
#include "pki_internal.h"
#include "proto.h"

/* The entries to write and the CRL's number. */
struct pki_crl_list {
	struct crl_revoked	*entries;
	size_t			 n;
	uint64_t		 number;
};

static int	pki_crl_write(const char *, mbedtls_x509_crt *,
		    mbedtls_pk_context *, struct pki_rng *,
		    const struct pki_crl_list *, int, char *, size_t);
static int	pki_revoke_args(const char *, int, char *, size_t);
static int	pki_revoke_target(const char *, const char *,
		    mbedtls_x509_crt *, mbedtls_x509_crt *, char *, size_t);
static int	pki_crl_current(const char *, mbedtls_x509_crt *,
		    mbedtls_x509_crl *, int *, char *, size_t);
static int	pki_crl_list(const mbedtls_x509_crl *,
		    const mbedtls_x509_crt *, time_t, struct pki_crl_list *);
static void	pki_revoked_line(FILE *, const char *, const char *);
static int	pki_crl_read(const char *, const char *, mbedtls_x509_crt *,
		    mbedtls_x509_crl *, char *, size_t);

static int
pki_crl_write(const char *dir, mbedtls_x509_crt *cacrt,
    mbedtls_pk_context *cakey, struct pki_rng *r,
    const struct pki_crl_list *l, int days, char *err, size_t errlen)
{
	struct crl_spec	 spec;
	char		 path[PKI_PATH_MAX], *pem;
	time_t		 now = time(NULL);
	int		 rc;

	if (pki_path(path, dir, "crl", "pem", err, errlen) == -1)
		return -1;
	memset(&spec, 0, sizeof(spec));
	spec.ca = cacrt;
	spec.ca_key = cakey;
	spec.this_update = now;
	spec.next_update = now + (time_t)(days != 0 ? days : PKI_CRL_DAYS) *
	    86400;
	spec.number = l->number;
	spec.revoked = l->entries;
	spec.nrevoked = l->n;
	if (crl_write_pem(&spec, mbedtls_ctr_drbg_random, &r->drbg, &pem, err,
	    errlen) == -1)
		return -1;
	rc = pki_write_file(path, pem, strlen(pem), 0644, err, errlen);
	free(pem);
	return rc;
}

int
pki_crl_init(const char *dir, mbedtls_x509_crt *cacrt,
    mbedtls_pk_context *cakey, struct pki_rng *r, char *err, size_t errlen)
{
	const struct pki_crl_list	l = { NULL, 0, 1 };

	return pki_crl_write(dir, cacrt, cakey, r, &l, 0, err, errlen);
}

static int
pki_revoke_args(const char *name, int days, char *err, size_t errlen)
{
	if (name == NULL || !msg_name_valid(name)) {
		snprintf(err, errlen, "bad name \"%s\" (1..%d of A-Z a-z 0-9 "
		    ". _ : -)", name ? name : "", DSP_NAME_MAX);
		return -1;
	}
	if (strcmp(name, "ca") == 0) {
		snprintf(err, errlen, "the pool CA cannot revoke itself; "
		    "replace the whole pool with daspool-pki init --force");
		return -1;
	}
	if (days < 0 || days > 36500) {
		snprintf(err, errlen, "bad --days %d (1..36500)", days);
		return -1;
	}
	return 0;
}

/* DIR/NAME.crt, which the CA must have signed; expired or not. */
static int
pki_revoke_target(const char *dir, const char *name, mbedtls_x509_crt *cacrt,
    mbedtls_x509_crt *crt, char *err, size_t errlen)
{
	char		path[PKI_PATH_MAX];
	uint32_t	flags;
	int		rc;

	if (pki_path(path, dir, name, "crt", err, errlen) == -1)
		return -1;
	if (access(path, F_OK) == -1) {
		snprintf(err, errlen, "no certificate %s: nothing named %s was "
		    "issued in %s", path, name, dir);
		return -1;
	}
	if ((rc = mbedtls_x509_crt_parse_file(crt, path)) != 0) {
		pki_mbed_error(rc, path, err, errlen);
		return -1;
	}
	(void)mbedtls_x509_crt_verify(crt, cacrt, NULL, NULL, &flags, NULL,
	    NULL);
	flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
	    MBEDTLS_X509_BADCERT_FUTURE);
	if (flags != 0 || crt->ca_istrue) {
		snprintf(err, errlen, "%s is not a host certificate issued by "
		    "the CA in %s", path, dir);
		return -1;
	}
	return 0;
}

/* DIR/crl.pem as it stands, checked against the CA; *have is 0 while
 * there is none. A bad one is not overwritten: its entries would go. */
static int
pki_crl_current(const char *dir, mbedtls_x509_crt *cacrt,
    mbedtls_x509_crl *crl, int *have, char *err, size_t errlen)
{
	char	path[PKI_PATH_MAX], why[512];

	*have = 0;
	if (pki_path(path, dir, "crl", "pem", err, errlen) == -1)
		return -1;
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if (crl_load(crl, path, cacrt, NULL, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s; fix it or move it away first (its "
		    "entries would be lost)", why);
		return -1;
	}
	*have = 1;
	return 0;
}

/* The entries of crl (may be NULL), then crt's, revoked at now. */
static int
pki_crl_list(const mbedtls_x509_crl *crl, const mbedtls_x509_crt *crt,
    time_t now, struct pki_crl_list *l)
{
	const mbedtls_x509_crl_entry	*e;
	uint64_t			 number;
	size_t				 i = 0;

	l->entries = calloc((crl != NULL ? crl_count(crl) : 0) + 1,
	    sizeof(*l->entries));
	if (l->entries == NULL)
		return -1;
	for (e = crl != NULL ? &crl->entry : NULL;
	    e != NULL && e->serial.len != 0; e = e->next, i++) {
		l->entries[i].serial = e->serial.p;
		l->entries[i].serial_len = e->serial.len;
		l->entries[i].when = crl_time(&e->revocation_date);
	}
	l->entries[i].serial = crt->serial.p;
	l->entries[i].serial_len = crt->serial.len;
	l->entries[i].when = now;
	l->n = i + 1;
	l->number = crl != NULL && crl_number(crl, &number) == 0 ?
	    number + 1 : 1;
	return 0;
}

int
pki_revoke(const char *dir, const char *name, int days,
    struct pki_revocation *out, char *err, size_t errlen)
{
	struct pki_rng			 r;
	struct pki_crl_list		 l = { NULL, 0, 0 };
	mbedtls_pk_context		 cakey;
	mbedtls_x509_crt		 cacrt, crt;
	mbedtls_x509_crl		 crl;
	const mbedtls_x509_crl_entry	*e;
	int				 rc = -1, have;

	memset(out, 0, sizeof(*out));
	if (pki_revoke_args(name, days, err, errlen) == -1)
		return -1;
	mbedtls_pk_init(&cakey);
	mbedtls_x509_crt_init(&cacrt);
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crl_init(&crl);
	if (pki_rng_init(&r, err, errlen) == -1 ||
	    pki_ca_load(dir, &cacrt, &cakey, err, errlen) == -1 ||
	    pki_revoke_target(dir, name, &cacrt, &crt, err, errlen) == -1 ||
	    pki_crl_current(dir, &cacrt, &crl, &have, err, errlen) == -1)
		goto done;
	if (mbedtls_x509_serial_gets(out->serial, sizeof(out->serial),
	    &crt.serial) < 0)
		snprintf(out->serial, sizeof(out->serial), "?");
	if (have && (e = crl_find(&crl, &crt.serial)) != NULL) {
		out->already = 1;
		out->since = crl_time(&e->revocation_date);
		out->listed = crl_count(&crl);
		rc = 0;
		goto done;
	}
	out->since = time(NULL);
	if (pki_crl_list(have ? &crl : NULL, &crt, out->since, &l) == -1) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (pki_crl_write(dir, &cacrt, &cakey, &r, &l, days, err,
	    errlen) == -1)
		goto done;
	out->listed = l.n;
	rc = 0;
done:
	free(l.entries);
	mbedtls_x509_crl_free(&crl);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&cacrt);
	mbedtls_pk_free(&cakey);
	pki_rng_free(&r);
	return rc;
}

static void
pki_revoked_line(FILE *out, const char *text, const char *path)
{
	fprintf(out, "%-11s %s (%s)\n", "revoked:", text, path);
}

/* DIR/ca.crt and DIR/crl.pem (at path), checked against it. */
static int
pki_crl_read(const char *dir, const char *path, mbedtls_x509_crt *ca,
    mbedtls_x509_crl *crl, char *err, size_t errlen)
{
	char	ca_path[PKI_PATH_MAX];
	int	rc;

	if (pki_path(ca_path, dir, "ca", "crt", err, errlen) == -1)
		return -1;
	if ((rc = mbedtls_x509_crt_parse_file(ca, ca_path)) != 0) {
		pki_mbed_error(rc, ca_path, err, errlen);
		return -1;
	}
	return crl_load(crl, path, ca, NULL, err, errlen);
}

void
pki_revocation_print(FILE *out, const mbedtls_x509_crt *crt, const char *dir,
    const char **status)
{
	const mbedtls_x509_crl_entry	*e = NULL;
	mbedtls_x509_crt		 ca;
	mbedtls_x509_crl		 crl;
	char				 path[PKI_PATH_MAX], err[512];
	char				 since[64];
	time_t				 t;

	if (pki_path(path, dir, "crl", "pem", err, sizeof(err)) == -1 ||
	    access(path, F_OK) == -1)
		return;
	mbedtls_x509_crt_init(&ca);
	mbedtls_x509_crl_init(&crl);
	if (pki_crl_read(dir, path, &ca, &crl, err, sizeof(err)) == -1) {
		fprintf(out, "%-11s cannot tell: %s\n", "revoked:", err);
		goto done;
	}
	/* A serial means something only under its own issuer. */
	if (crt->issuer_raw.len == crl.issuer_raw.len &&
	    memcmp(crt->issuer_raw.p, crl.issuer_raw.p,
	    crl.issuer_raw.len) == 0)
		e = crl_find(&crl, &crt->serial);
	if (e != NULL) {
		t = crl_time(&e->revocation_date);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S UTC",
		    gmtime(&t));
		pki_revoked_line(out, since, path);
		*status = "revoked";
	} else
		pki_revoked_line(out, "no", path);
done:
	mbedtls_x509_crl_free(&crl);
	mbedtls_x509_crt_free(&ca);
}
