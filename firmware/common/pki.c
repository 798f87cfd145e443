/*
 * The pool CA and its certificates, written with mbedTLS only.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#include "msg.h"
#include "pki.h"
#include "pki_internal.h"
#include "proto.h"

#define PKI_CA_SUBJECT	"CN=daspool pool CA,OU=ca,O=daspool"
#define PKI_PEM_MAX	4096
#define PKI_TIME_LEN	14	/* YYYYMMDDHHMMSS */

/* What one certificate is about to say. */
struct pki_cert_req {
	mbedtls_pk_context	*subject_key;
	const char		*subject;
	mbedtls_pk_context	*issuer_key;
	const char		*issuer;
	int			 is_ca;
	char			 not_before[PKI_TIME_LEN + 1];
	char			 not_after[PKI_TIME_LEN + 1];
};

static int	pki_time_parse(const char *, time_t *);
static void	pki_time_format(time_t, char *);
static int	pki_window(const struct pki_validity *, int,
		    struct pki_cert_req *, char *, size_t);
static int	pki_genkey(mbedtls_pk_context *, struct pki_rng *, char *,
		    size_t);
static int	pki_write_key(const char *, mbedtls_pk_context *, char *,
		    size_t);
static int	pki_make_cert(const struct pki_cert_req *, struct pki_rng *,
		    unsigned char *, size_t, char *, size_t);
static int	pki_dn_string(const mbedtls_x509_name *, char *, size_t);
static int	pki_name_attr(const mbedtls_x509_name *, const char *, char *,
		    size_t);
static int	pki_create_leaf(const char *, const char *, const char *,
		    int, const struct pki_validity *, mbedtls_pk_context *,
		    mbedtls_x509_crt *, struct pki_rng *, char *, size_t);
static void	pki_print_time(FILE *, const char *, const mbedtls_x509_time *);
static void	pki_dir_of(const char *, char *);

int
pki_rng_init(struct pki_rng *r, char *err, size_t errlen)
{
	static const char	pers[] = "daspool pki";
	int			rc;

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	if ((rc = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func,
	    &r->entropy, (const unsigned char *)pers, sizeof(pers) - 1)) != 0) {
		pki_mbed_error(rc, "cannot seed the random generator", err,
		    errlen);
		return -1;
	}
	return 0;
}

void
pki_rng_free(struct pki_rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

void
pki_mbed_error(int rc, const char *what, char *err, size_t errlen)
{
	char	why[160];

	mbedtls_strerror(rc, why, sizeof(why));
	snprintf(err, errlen, "%s: %s", what, why);
}

int
pki_path(char *out, const char *dir, const char *name, const char *ext,
    char *err, size_t errlen)
{
	int	n;

	n = snprintf(out, PKI_PATH_MAX, "%s/%s.%s", dir, name, ext);
	if (n < 0 || n >= PKI_PATH_MAX) {
		snprintf(err, errlen, "path too long: %s", dir);
		return -1;
	}
	return 0;
}

/* "YYYYMMDDHHMMSS" in UTC; -1 unless it is a real date and time. */
static int
pki_time_parse(const char *s, time_t *out)
{
	struct tm	tm, back;
	int		v[6], i, j, width[6] = { 4, 2, 2, 2, 2, 2 };
	const char	*p = s;

	if (s == NULL || strlen(s) != PKI_TIME_LEN)
		return -1;
	for (i = 0; i < 6; i++) {
		v[i] = 0;
		for (j = 0; j < width[i]; j++, p++) {
			if (*p < '0' || *p > '9')
				return -1;
			v[i] = v[i] * 10 + (*p - '0');
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	if (v[0] < 1950 || (*out = timegm(&tm)) == (time_t)-1 ||
	    gmtime_r(out, &back) == NULL)
		return -1;
	/* timegm normalises "20240230": a changed field means a bad date */
	if (back.tm_year != v[0] - 1900 || back.tm_mon != v[1] - 1 ||
	    back.tm_mday != v[2] || back.tm_hour != v[3] ||
	    back.tm_min != v[4] || back.tm_sec != v[5])
		return -1;
	return 0;
}

static void
pki_time_format(time_t t, char *out)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, PKI_TIME_LEN + 1, "%Y%m%d%H%M%S", &tm);
}

static int
pki_window(const struct pki_validity *v, int default_days,
    struct pki_cert_req *req, char *err, size_t errlen)
{
	time_t	nb, na, now = time(NULL);
	int	days;

	if (v != NULL && (v->not_before != NULL || v->not_after != NULL)) {
		if (v->not_before == NULL || v->not_after == NULL) {
			snprintf(err, errlen, "--not-before and --not-after "
			    "go together");
			return -1;
		}
		if (pki_time_parse(v->not_before, &nb) == -1) {
			snprintf(err, errlen, "bad --not-before \"%s\" (want "
			    "YYYYMMDDHHMMSS, UTC)", v->not_before);
			return -1;
		}
		if (pki_time_parse(v->not_after, &na) == -1) {
			snprintf(err, errlen, "bad --not-after \"%s\" (want "
			    "YYYYMMDDHHMMSS, UTC)", v->not_after);
			return -1;
		}
		if (na <= nb) {
			snprintf(err, errlen, "--not-after must be later than "
			    "--not-before");
			return -1;
		}
	} else {
		days = (v != NULL && v->days != 0) ? v->days : default_days;
		if (days < 1 || days > 36500) {
			snprintf(err, errlen, "bad --days %d (1..36500)", days);
			return -1;
		}
		/* Hosts whose clocks lag a little still accept it. */
		nb = now - 3600;
		na = now + (time_t)days * 86400;
	}
	pki_time_format(nb, req->not_before);
	pki_time_format(na, req->not_after);
	return 0;
}

static int
pki_genkey(mbedtls_pk_context *key, struct pki_rng *r, char *err,
    size_t errlen)
{
	int	rc;

	if ((rc = mbedtls_pk_setup(key,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
	    (rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
	    mbedtls_pk_ec(*key), mbedtls_ctr_drbg_random, &r->drbg)) != 0) {
		pki_mbed_error(rc, "cannot generate a P-256 key", err, errlen);
		return -1;
	}
	return 0;
}

/* Writes through a temporary file and rename, so a crash leaves either
 * the old file or the new one. */
int
pki_write_file(const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	char	tmp[PKI_PATH_MAX + 8];
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode)) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) == -1 || write(fd, data, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
pki_write_key(const char *path, mbedtls_pk_context *key, char *err,
    size_t errlen)
{
	unsigned char	pem[PKI_PEM_MAX];
	int		rc;

	if ((rc = mbedtls_pk_write_key_pem(key, pem, sizeof(pem))) != 0) {
		pki_mbed_error(rc, "cannot encode key", err, errlen);
		return -1;
	}
	rc = pki_write_file(path, pem, strlen((char *)pem), S_IRUSR | S_IWUSR,
	    err, errlen);
	mbedtls_platform_zeroize(pem, sizeof(pem));
	return rc;
}

static int
pki_make_cert(const struct pki_cert_req *req, struct pki_rng *r,
    unsigned char *pem, size_t pemlen, char *err, size_t errlen)
{
	mbedtls_x509write_cert	crt;
	mbedtls_mpi		serial;
	unsigned char		raw[16];
	int			rc;

	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);

	/* A random positive 127-bit serial: never repeats in practice. */
	if ((rc = mbedtls_ctr_drbg_random(&r->drbg, raw, sizeof(raw))) != 0)
		goto fail;
	raw[0] = (raw[0] & 0x7f) | 0x40;
	if ((rc = mbedtls_mpi_read_binary(&serial, raw, sizeof(raw))) != 0)
		goto fail;

	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, req->subject_key);
	mbedtls_x509write_crt_set_issuer_key(&crt, req->issuer_key);
	if ((rc = mbedtls_x509write_crt_set_subject_name(&crt,
	    req->subject)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_issuer_name(&crt,
	    req->issuer)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_serial(&crt, &serial)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_validity(&crt, req->not_before,
	    req->not_after)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(&crt,
	    req->is_ca, req->is_ca ? 0 : -1)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_key_identifier(
	    &crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_authority_key_identifier(
	    &crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_key_usage(&crt, req->is_ca ?
	    MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN :
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) != 0)
		goto fail;
	if ((rc = mbedtls_x509write_crt_pem(&crt, pem, pemlen,
	    mbedtls_ctr_drbg_random, &r->drbg)) != 0)
		goto fail;
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	return 0;
fail:
	pki_mbed_error(rc, "cannot build certificate", err, errlen);
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	return -1;
}

/* The CA's subject as mbedTLS's name parser wants it back: "A=x,B=y",
 * in certificate order, so the issuer field matches byte for byte. */
static int
pki_dn_string(const mbedtls_x509_name *name, char *out, size_t outlen)
{
	const char	*sn;
	size_t		 n = 0, i;

	out[0] = '\0';
	for (; name != NULL; name = name->next) {
		if (name->oid.p == NULL)
			continue;
		if (mbedtls_oid_get_attr_short_name(&name->oid, &sn) != 0)
			return -1;
		if (n + strlen(sn) + 2 >= outlen)
			return -1;
		n += (size_t)snprintf(out + n, outlen - n, "%s%s=",
		    n ? "," : "", sn);
		for (i = 0; i < name->val.len; i++) {
			if (n + 3 >= outlen || name->val.p[i] == '\0')
				return -1;
			if (name->val.p[i] == ',')
				out[n++] = '\\';
			out[n++] = (char)name->val.p[i];
		}
		out[n] = '\0';
	}
	return n ? 0 : -1;
}

/* First attribute of a subject by short name ("CN", "OU"); 0 or -1. */
static int
pki_name_attr(const mbedtls_x509_name *name, const char *want, char *out,
    size_t outlen)
{
	const char	*sn;

	for (; name != NULL; name = name->next) {
		if (name->oid.p == NULL ||
		    mbedtls_oid_get_attr_short_name(&name->oid, &sn) != 0 ||
		    strcmp(sn, want) != 0)
			continue;
		if (name->val.len >= outlen)
			return -1;
		memcpy(out, name->val.p, name->val.len);
		out[name->val.len] = '\0';
		return 0;
	}
	return -1;
}

int
pki_init(const char *dir, const char *manager_name,
    const struct pki_validity *v, int force, char *err, size_t errlen)
{
	struct pki_rng		 r;
	struct pki_cert_req	 req;
	struct pki_validity	 cav;
	mbedtls_pk_context	 cakey;
	mbedtls_x509_crt	 cacrt;
	unsigned char		 pem[PKI_PEM_MAX];
	char			 crt_path[PKI_PATH_MAX], key_path[PKI_PATH_MAX];
	int			 rc = -1;

	if (manager_name == NULL)
		manager_name = "manager";
	if (!msg_name_valid(manager_name)) {
		snprintf(err, errlen, "bad manager name \"%s\" (1..%d of "
		    "A-Z a-z 0-9 . _ : -)", manager_name, DSP_NAME_MAX);
		return -1;
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (pki_path(crt_path, dir, "ca", "crt", err, errlen) == -1 ||
	    pki_path(key_path, dir, "ca", "key", err, errlen) == -1)
		return -1;
	if (!force && (access(crt_path, F_OK) == 0 ||
	    access(key_path, F_OK) == 0)) {
		snprintf(err, errlen, "%s already has a CA; refusing to "
		    "replace it (every certificate it issued would stop "
		    "working) without --force", dir);
		return -1;
	}

	memset(&req, 0, sizeof(req));
	if (v != NULL)
		cav = *v;
	else
		memset(&cav, 0, sizeof(cav));
	if (pki_window(&cav, PKI_CA_DAYS, &req, err, errlen) == -1)
		return -1;

	mbedtls_pk_init(&cakey);
	mbedtls_x509_crt_init(&cacrt);
	if (pki_rng_init(&r, err, errlen) == -1)
		goto done;
	if (pki_genkey(&cakey, &r, err, errlen) == -1)
		goto done;
	req.subject_key = req.issuer_key = &cakey;
	req.subject = req.issuer = PKI_CA_SUBJECT;
	req.is_ca = 1;
	if (pki_make_cert(&req, &r, pem, sizeof(pem), err, errlen) == -1)
		goto done;
	if (pki_write_key(key_path, &cakey, err, errlen) == -1 ||
	    pki_write_file(crt_path, pem, strlen((char *)pem), 0644, err,
	    errlen) == -1)
		goto done;
	if (mbedtls_x509_crt_parse(&cacrt, pem, strlen((char *)pem) + 1) != 0) {
		snprintf(err, errlen, "cannot read back %s", crt_path);
		goto done;
	}
	/* The manager certificate is renewed along with the CA, and the
	 * CRL starts empty: the old one was the old CA's. */
	if (pki_create_leaf(dir, "manager", manager_name, DSP_ROLE_MANAGER,
	    v, &cakey, &cacrt, &r, err, errlen) == -1 ||
	    pki_crl_init(dir, &cacrt, &cakey, &r, err, errlen) == -1)
		goto done;
	rc = 0;
done:
	mbedtls_x509_crt_free(&cacrt);
	mbedtls_pk_free(&cakey);
	pki_rng_free(&r);
	return rc;
}

/* Makes DIR/FILE.{key,crt} for CN name with role, signed by the CA. */
static int
pki_create_leaf(const char *dir, const char *file, const char *name,
    int role, const struct pki_validity *v, mbedtls_pk_context *cakey,
    mbedtls_x509_crt *cacrt, struct pki_rng *r, char *err, size_t errlen)
{
	struct pki_cert_req	 req;
	mbedtls_pk_context	 key;
	mbedtls_x509_crt	 crt;
	unsigned char		 pem[PKI_PEM_MAX];
	char			 subject[256], issuer[512];
	char			 crt_path[PKI_PATH_MAX], key_path[PKI_PATH_MAX];
	uint32_t		 flags;
	int			 rc = -1;

	memset(&req, 0, sizeof(req));
	if (pki_window(v, PKI_HOST_DAYS, &req, err, errlen) == -1)
		return -1;
	if (pki_path(crt_path, dir, file, "crt", err, errlen) == -1 ||
	    pki_path(key_path, dir, file, "key", err, errlen) == -1)
		return -1;
	if (pki_dn_string(&cacrt->subject, issuer, sizeof(issuer)) == -1) {
		snprintf(err, errlen, "cannot use the CA's subject name");
		return -1;
	}
	snprintf(subject, sizeof(subject), "CN=%s,OU=%s,O=daspool", name,
	    dsp_role_name(role));

	mbedtls_pk_init(&key);
	mbedtls_x509_crt_init(&crt);
	if (pki_genkey(&key, r, err, errlen) == -1)
		goto done;
	req.subject_key = &key;
	req.issuer_key = cakey;
	req.subject = subject;
	req.issuer = issuer;
	req.is_ca = 0;
	if (pki_make_cert(&req, r, pem, sizeof(pem), err, errlen) == -1)
		goto done;

	/* Check the chain now rather than at the first handshake; an
	 * out-of-date window is what the caller asked for. */
	if (mbedtls_x509_crt_parse(&crt, pem, strlen((char *)pem) + 1) != 0) {
		snprintf(err, errlen, "cannot read back the new certificate");
		goto done;
	}
	(void)mbedtls_x509_crt_verify(&crt, cacrt, NULL, NULL, &flags, NULL,
	    NULL);
	flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED |
	    MBEDTLS_X509_BADCERT_FUTURE);
	if (flags != 0) {
		snprintf(err, errlen, "the new certificate does not verify "
		    "against the CA (flags 0x%x)", (unsigned)flags);
		goto done;
	}
	if (pki_write_key(key_path, &key, err, errlen) == -1 ||
	    pki_write_file(crt_path, pem, strlen((char *)pem), 0644, err,
	    errlen) == -1)
		goto done;
	rc = 0;
done:
	mbedtls_x509_crt_free(&crt);
	mbedtls_pk_free(&key);
	return rc;
}

/* DIR/ca.crt and the key that belongs to it, DIR/ca.key. */
int
pki_ca_load(const char *dir, mbedtls_x509_crt *cacrt, mbedtls_pk_context *cakey,
    char *err, size_t errlen)
{
	char	path[PKI_PATH_MAX];
	int	mbrc;

	if (pki_path(path, dir, "ca", "crt", err, errlen) == -1)
		return -1;
	if ((mbrc = mbedtls_x509_crt_parse_file(cacrt, path)) != 0) {
		if (access(path, F_OK) == -1)
			snprintf(err, errlen, "no CA in %s (run daspool-pki "
			    "init --dir %s first)", dir, dir);
		else
			pki_mbed_error(mbrc, path, err, errlen);
		return -1;
	}
	if (pki_path(path, dir, "ca", "key", err, errlen) == -1)
		return -1;
	if ((mbrc = mbedtls_pk_parse_keyfile(cakey, path, NULL)) != 0) {
		pki_mbed_error(mbrc, path, err, errlen);
		return -1;
	}
	if (mbedtls_pk_check_pair(&cacrt->pk, cakey) != 0) {
		snprintf(err, errlen, "%s/ca.key does not belong to %s/ca.crt",
		    dir, dir);
		return -1;
	}
	return 0;
}

int
pki_issue(const char *dir, const char *name, int role,
    const struct pki_validity *v, int force, char *err, size_t errlen)
{
	struct pki_rng		 r;
	mbedtls_pk_context	 cakey;
	mbedtls_x509_crt	 cacrt;
	char			 path[PKI_PATH_MAX];
	int			 rc = -1;

	if (name == NULL || !msg_name_valid(name)) {
		snprintf(err, errlen, "bad name \"%s\" (1..%d of A-Z a-z 0-9 "
		    ". _ : -)", name ? name : "", DSP_NAME_MAX);
		return -1;
	}
	if (strcmp(name, "ca") == 0) {
		snprintf(err, errlen, "the name \"ca\" is the pool CA's own");
		return -1;
	}
	if (role == DSP_ROLE_NONE || dsp_role_name(role) == NULL) {
		snprintf(err, errlen, "no role given");
		return -1;
	}
	if (pki_path(path, dir, name, "crt", err, errlen) == -1)
		return -1;
	if (!force && access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists; use --force to replace it",
		    path);
		return -1;
	}

	mbedtls_pk_init(&cakey);
	mbedtls_x509_crt_init(&cacrt);
	if (pki_rng_init(&r, err, errlen) == -1 ||
	    pki_ca_load(dir, &cacrt, &cakey, err, errlen) == -1)
		goto done;
	rc = pki_create_leaf(dir, name, name, role, v, &cakey, &cacrt, &r,
	    err, errlen);
done:
	mbedtls_x509_crt_free(&cacrt);
	mbedtls_pk_free(&cakey);
	pki_rng_free(&r);
	return rc;
}

static void
pki_print_time(FILE *out, const char *label, const mbedtls_x509_time *t)
{
	fprintf(out, "%-11s %04d-%02d-%02d %02d:%02d:%02d UTC\n", label,
	    t->year, t->mon, t->day, t->hour, t->min, t->sec);
}

/* The directory part of a file name, "." when it has none. */
static void
pki_dir_of(const char *file, char *out)
{
	const char	*slash = strrchr(file, '/');
	size_t		 n;

	if (slash == NULL) {
		snprintf(out, PKI_PATH_MAX, ".");
		return;
	}
	n = slash == file ? 1 : (size_t)(slash - file);
	snprintf(out, PKI_PATH_MAX, "%.*s", (int)n, file);
}

int
pki_show(const char *cert_file, const char *dir, FILE *out, char *err,
    size_t errlen)
{
	mbedtls_x509_crt	 crt;
	char			 cn[256], ou[64], dn[512], serial[128];
	char			 own_dir[PKI_PATH_MAX];
	const char		*status;
	int			 rc;

	mbedtls_x509_crt_init(&crt);
	if ((rc = mbedtls_x509_crt_parse_file(&crt, cert_file)) != 0) {
		if (access(cert_file, R_OK) == -1)
			snprintf(err, errlen, "cannot read %s: %s", cert_file,
			    strerror(errno));
		else
			pki_mbed_error(rc, cert_file, err, errlen);
		mbedtls_x509_crt_free(&crt);
		return -1;
	}
	if (pki_name_attr(&crt.subject, "CN", cn, sizeof(cn)) == -1)
		snprintf(cn, sizeof(cn), "(none)");
	if (pki_name_attr(&crt.subject, "OU", ou, sizeof(ou)) == -1)
		snprintf(ou, sizeof(ou), "(none)");
	if (mbedtls_x509_time_is_past(&crt.valid_to))
		status = "expired";
	else if (mbedtls_x509_time_is_future(&crt.valid_from))
		status = "not valid yet";
	else
		status = "valid";

	fprintf(out, "%-11s %s\n", "name:", cn);
	fprintf(out, "%-11s %s%s\n", "role:", ou,
	    crt.ca_istrue ? " (certificate authority)" :
	    dsp_role_parse(ou) == DSP_ROLE_NONE ? " (unknown role)" : "");
	if (mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.subject) < 0)
		snprintf(dn, sizeof(dn), "?");
	fprintf(out, "%-11s %s\n", "subject:", dn);
	if (mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.issuer) < 0)
		snprintf(dn, sizeof(dn), "?");
	fprintf(out, "%-11s %s\n", "issuer:", dn);
	if (mbedtls_x509_serial_gets(serial, sizeof(serial), &crt.serial) < 0)
		snprintf(serial, sizeof(serial), "?");
	fprintf(out, "%-11s %s\n", "serial:", serial);
	pki_print_time(out, "not before:", &crt.valid_from);
	pki_print_time(out, "not after:", &crt.valid_to);
	if (dir == NULL) {
		pki_dir_of(cert_file, own_dir);
		dir = own_dir;
	}
	pki_revocation_print(out, &crt, dir, &status);
	fprintf(out, "%-11s %s\n", "status:", status);
	mbedtls_x509_crt_free(&crt);
	return 0;
}
