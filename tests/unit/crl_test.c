/*
 * The pool CRL: written by crl_write.c, read back and checked by crl.c
 * and by mbedTLS's own parser, revocation through pki_revoke, the list a
 * TLS config keeps current (crl_watch.c), and handshakes it refuses.
 * Three PKIs are made at test time: the pool's, a rogue one with the
 * same CA name, and one for the TLS tests.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "crl.h"
#include "crl_write.h"
#include "net.h"
#include "pki.h"
#include "proto.h"
#include "tls.h"

#define T_TIMEOUT	5000

/* One PKI directory, loaded. */
struct pool {
	char			 dir[64];
	mbedtls_x509_crt	 ca;
	mbedtls_pk_context	 key;
	mbedtls_x509_crt	 serverJ;
};

/* One TLS server handshake in a thread of its own. */
struct server {
	struct tls_config	*cfg;
	int			 lfd;
	pthread_t		 th;
	struct tls_conn		*conn;	/* NULL when refused */
	char			 err[512];
};

static struct pool			pool, rogue, tp;
static mbedtls_entropy_context		entropy;
static mbedtls_ctr_drbg_context		drbg;

static void
pool_path(char *out, const char *dir, const char *file)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, file);
}

static int
pool_make(struct pool *p)
{
	struct pki_validity	v = { 0, NULL, NULL };
	char			err[512], path[PATH_MAX];

	snprintf(p->dir, sizeof(p->dir), "/tmp/crl_test.XXXXXX");
	if (mkdtemp(p->dir) == NULL ||
	    pki_init(p->dir, "manager", NULL, 1, err, sizeof(err)) == -1 ||
	    pki_issue(p->dir, "serverJ", DSP_ROLE_BORROWER, &v, 1, err,
	    sizeof(err)) == -1 ||
	    pki_issue(p->dir, "serverA", DSP_ROLE_AGENT, &v, 1, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "pki: %s\n", err);
		return -1;
	}
	mbedtls_x509_crt_init(&p->ca);
	mbedtls_x509_crt_init(&p->serverJ);
	mbedtls_pk_init(&p->key);
	pool_path(path, p->dir, "ca.crt");
	if (mbedtls_x509_crt_parse_file(&p->ca, path) != 0)
		return -1;
	pool_path(path, p->dir, "ca.key");
	if (mbedtls_pk_parse_keyfile(&p->key, path, NULL) != 0)
		return -1;
	pool_path(path, p->dir, "serverJ.crt");
	return mbedtls_x509_crt_parse_file(&p->serverJ, path) == 0 ? 0 : -1;
}

static void
pool_remove(struct pool *p)
{
	static const char *files[] = { "ca.crt", "ca.key", "manager.crt",
	    "manager.key", "serverJ.crt", "serverJ.key", "serverA.crt",
	    "serverA.key", "crl.pem", "bad.pem", "other.crt", "agentT.crt",
	    "agentT.key", "borrowerT.crt", "borrowerT.key", "borrowerU.crt",
	    "borrowerU.key" };
	char	path[PATH_MAX];
	size_t	i;

	mbedtls_x509_crt_free(&p->ca);
	mbedtls_x509_crt_free(&p->serverJ);
	mbedtls_pk_free(&p->key);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		pool_path(path, p->dir, files[i]);
		unlink(path);
	}
	rmdir(p->dir);
}

static int
group_setup(void **state)
{
	static const char	pers[] = "crl_test";

	(void)state;
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
	    (const unsigned char *)pers, sizeof(pers) - 1) != 0)
		return -1;
	return pool_make(&pool) == 0 && pool_make(&rogue) == 0 &&
	    pool_make(&tp) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	pool_remove(&pool);
	pool_remove(&rogue);
	pool_remove(&tp);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return 0;
}

/* A CRL of p's CA listing entries, as PEM (free it). */
static char *
write_crl(struct pool *p, mbedtls_pk_context *key,
    const struct crl_revoked *entries, size_t n, uint64_t number)
{
	struct crl_spec	 s;
	char		*pem = NULL, err[512];

	memset(&s, 0, sizeof(s));
	s.ca = &p->ca;
	s.ca_key = key;
	s.this_update = time(NULL);
	s.next_update = s.this_update + 86400;
	s.number = number;
	s.revoked = entries;
	s.nrevoked = n;
	if (crl_write_pem(&s, mbedtls_ctr_drbg_random, &drbg, &pem, err,
	    sizeof(err)) == -1)
		fprintf(stderr, "crl_write_pem: %s\n", err);
	return pem;
}

static int
parse_crl(mbedtls_x509_crl *crl, const char *pem)
{
	mbedtls_x509_crl_init(crl);
	return mbedtls_x509_crl_parse(crl, (const unsigned char *)pem,
	    strlen(pem) + 1);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_write_parse(void **state)
{
	struct crl_revoked		 r;
	mbedtls_x509_crl		 crl;
	const mbedtls_x509_crl_entry	*e;
	uint64_t			 number;
	char				*pem, err[256];

	(void)state;
	r.serial = pool.serverJ.serial.p;
	r.serial_len = pool.serverJ.serial.len;
	r.when = 1700000000;
	pem = write_crl(&pool, &pool.key, &r, 1, 7);
	assert_non_null(pem);
	assert_non_null(strstr(pem, "-----BEGIN X509 CRL-----\n"));
	assert_non_null(strstr(pem, "-----END X509 CRL-----\n"));
	assert_int_equal(parse_crl(&crl, pem), 0);
	assert_int_equal(crl.version, 2);
	assert_int_equal(crl.issuer_raw.len, pool.ca.subject_raw.len);
	assert_memory_equal(crl.issuer_raw.p, pool.ca.subject_raw.p,
	    crl.issuer_raw.len);
	assert_int_equal(crl_count(&crl), 1);
	e = crl_find(&crl, &pool.serverJ.serial);
	assert_non_null(e);
	assert_int_equal(crl_time(&e->revocation_date), 1700000000);
	assert_int_equal(mbedtls_x509_crt_is_revoked(&pool.serverJ, &crl), 1);
	assert_int_equal(crl_number(&crl, &number), 0);
	assert_int_equal(number, 7);
	assert_int_equal(crl_check(&crl, &pool.ca, err, sizeof(err)), 0);
	/* The rogue CA has the same name but not the same key. */
	assert_int_equal(crl_check(&crl, &rogue.ca, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "signature does not verify"));
	mbedtls_x509_crl_free(&crl);
	free(pem);
}

static void
test_empty(void **state)
{
	mbedtls_x509_crl	 crl;
	char			*pem, err[256];

	(void)state;
	pem = write_crl(&pool, &pool.key, NULL, 0, 1);
	assert_non_null(pem);
	assert_int_equal(parse_crl(&crl, pem), 0);
	assert_int_equal(crl_count(&crl), 0);
	assert_null(crl_find(&crl, &pool.serverJ.serial));
	assert_int_equal(crl_check(&crl, &pool.ca, err, sizeof(err)), 0);
	mbedtls_x509_crl_free(&crl);
	free(pem);
}

/* Both ASN.1 time forms and CRL numbers at the edges of their encoding
 * read back as written. */
static void
test_times_numbers(void **state)
{
	static const time_t	 whens[] = { 0, 2524607999, 2524608000,
	    4102444800 };	/* 1970, 2049-12-31, 2050-01-01, 2100 */
	static const uint64_t	 numbers[] = { 0, 127, 128, 255, 256,
	    UINT64_MAX };
	unsigned char		 serials[4][3];
	struct crl_revoked	 r[4];
	const mbedtls_x509_crl_entry *e;
	mbedtls_x509_crl	 crl;
	uint64_t		 number;
	char			*pem;
	size_t			 i;

	(void)state;
	for (i = 0; i < 4; i++) {
		serials[i][0] = 0x01;
		serials[i][1] = 0x80;
		serials[i][2] = (unsigned char)i;
		r[i].serial = serials[i];
		r[i].serial_len = sizeof(serials[i]);
		r[i].when = whens[i];
	}
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		pem = write_crl(&pool, &pool.key, r, 4, numbers[i]);
		assert_non_null(pem);
		assert_int_equal(parse_crl(&crl, pem), 0);
		assert_int_equal(crl_number(&crl, &number), 0);
		assert_true(number == numbers[i]);
		assert_int_equal(crl_count(&crl), 4);
		/* Listed in the order given. */
		for (e = &crl.entry; e != NULL && e->serial.len != 0;
		    e = e->next)
			assert_int_equal(crl_time(&e->revocation_date),
			    whens[e->serial.p[2]]);
		mbedtls_x509_crl_free(&crl);
		free(pem);
	}
}

static void
test_write_refusals(void **state)
{
	struct crl_revoked	 r;
	struct crl_spec		 s;
	unsigned char		 long_serial[CRL_SERIAL_MAX + 1];
	char			*pem, err[256];

	(void)state;
	/* The key must be the CA certificate's. */
	memset(&s, 0, sizeof(s));
	s.ca = &pool.ca;
	s.ca_key = &rogue.key;
	s.this_update = 1000;
	s.next_update = 2000;
	assert_int_equal(crl_write_pem(&s, mbedtls_ctr_drbg_random, &drbg,
	    &pem, err, sizeof(err)), -1);
	assert_null(pem);
	assert_non_null(strstr(err, "not the CA certificate's"));
	s.ca_key = &pool.key;
	s.next_update = 1000;
	assert_int_equal(crl_write_pem(&s, mbedtls_ctr_drbg_random, &drbg,
	    &pem, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nextUpdate"));
	s.next_update = 2000;
	memset(long_serial, 0x11, sizeof(long_serial));
	r.serial = long_serial;
	r.serial_len = sizeof(long_serial);
	r.when = 1500;
	s.revoked = &r;
	s.nrevoked = 1;
	assert_int_equal(crl_write_pem(&s, mbedtls_ctr_drbg_random, &drbg,
	    &pem, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot encode"));
}

/* A CRL of the rogue CA, or one tampered with, is refused. */
static void
test_load(void **state)
{
	mbedtls_x509_crl	 crl;
	struct crl_revoked	 r;
	char			 path[PATH_MAX], err[512], *pem, *p;

	(void)state;
	pool_path(path, pool.dir, "crl.pem");
	mbedtls_x509_crl_init(&crl);
	assert_int_equal(crl_load(&crl, path, &pool.ca, NULL, err,
	    sizeof(err)), 0);
	mbedtls_x509_crl_free(&crl);

	pool_path(path, pool.dir, "missing.pem");
	mbedtls_x509_crl_init(&crl);
	assert_int_equal(crl_load(&crl, path, &pool.ca, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open CRL"));
	mbedtls_x509_crl_free(&crl);

	pool_path(path, pool.dir, "bad.pem");
	write_file(path, "-----BEGIN X509 CRL-----\nnot base64\n"
	    "-----END X509 CRL-----\n");
	mbedtls_x509_crl_init(&crl);
	assert_int_equal(crl_load(&crl, path, &pool.ca, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a readable CRL"));
	mbedtls_x509_crl_free(&crl);

	pool_path(path, rogue.dir, "crl.pem");
	mbedtls_x509_crl_init(&crl);
	assert_int_equal(crl_load(&crl, path, &pool.ca, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "signature does not verify"));
	mbedtls_x509_crl_free(&crl);

	/* One changed base64 character in the signed part. */
	r.serial = pool.serverJ.serial.p;
	r.serial_len = pool.serverJ.serial.len;
	r.when = 1700000000;
	pem = write_crl(&pool, &pool.key, &r, 1, 2);
	assert_non_null(pem);
	p = pem + strlen("-----BEGIN X509 CRL-----\n") + 40;
	*p = *p == 'A' ? 'B' : 'A';
	pool_path(path, pool.dir, "bad.pem");
	write_file(path, pem);
	mbedtls_x509_crl_init(&crl);
	assert_int_equal(crl_load(&crl, path, &pool.ca, NULL, err,
	    sizeof(err)), -1);
	mbedtls_x509_crl_free(&crl);
	free(pem);
}

/* The file's bytes, for "unchanged" checks (free it). */
static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = calloc(1, 65536);
	size_t	 n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_pki_revoke(void **state)
{
	struct pki_revocation		 rv, rv2;
	mbedtls_x509_crl		 crl;
	const mbedtls_x509_crl_entry	*e;
	mbedtls_x509_crt		 serverA;
	char				 path[PATH_MAX], err[512];
	char				*before, *after, *shown = NULL;
	size_t				 shown_len;
	uint64_t			 number;
	FILE				*out;

	(void)state;
	mbedtls_x509_crt_init(&serverA);
	pool_path(path, pool.dir, "serverA.crt");
	assert_int_equal(mbedtls_x509_crt_parse_file(&serverA, path), 0);

	assert_int_equal(pki_revoke(pool.dir, "serverJ", 0, &rv, err,
	    sizeof(err)), 0);
	assert_false(rv.already);
	assert_int_equal(rv.listed, 1);
	assert_int_equal(pki_revoke(pool.dir, "serverA", 0, &rv2, err,
	    sizeof(err)), 0);
	assert_int_equal(rv2.listed, 2);

	/* Both listed, the first with its own time; signed by the CA. */
	pool_path(path, pool.dir, "crl.pem");
	mbedtls_x509_crl_init(&crl);
	assert_int_equal(mbedtls_x509_crl_parse_file(&crl, path), 0);
	assert_int_equal(crl_check(&crl, &pool.ca, err, sizeof(err)), 0);
	assert_int_equal(crl_count(&crl), 2);
	e = crl_find(&crl, &pool.serverJ.serial);
	assert_non_null(e);
	assert_int_equal(crl_time(&e->revocation_date), rv.since);
	assert_non_null(crl_find(&crl, &serverA.serial));
	/* init's empty CRL was number 1. */
	assert_int_equal(crl_number(&crl, &number), 0);
	assert_int_equal(number, 3);
	mbedtls_x509_crl_free(&crl);

	/* Again: said so, nothing written. */
	before = slurp(path);
	assert_int_equal(pki_revoke(pool.dir, "serverJ", 0, &rv2, err,
	    sizeof(err)), 0);
	assert_true(rv2.already);
	assert_int_equal(rv2.since, rv.since);
	assert_string_equal(rv2.serial, rv.serial);
	after = slurp(path);
	assert_string_equal(before, after);
	free(before);
	free(after);

	assert_int_equal(pki_revoke(pool.dir, "nobody", 0, &rv2, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no certificate"));
	assert_int_equal(pki_revoke(pool.dir, "ca", 0, &rv2, err,
	    sizeof(err)), -1);
	/* A certificate of another CA is not this CA's to revoke. */
	pool_path(path, rogue.dir, "serverJ.crt");
	before = slurp(path);
	pool_path(path, pool.dir, "other.crt");
	write_file(path, before);
	free(before);
	assert_int_equal(pki_revoke(pool.dir, "other", 0, &rv2, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a host certificate issued by"));

	out = open_memstream(&shown, &shown_len);
	assert_non_null(out);
	pool_path(path, pool.dir, "serverJ.crt");
	assert_int_equal(pki_show(path, NULL, out, err, sizeof(err)), 0);
	fclose(out);
	assert_non_null(strstr(shown, "status:     revoked\n"));
	assert_non_null(strstr(shown, "revoked:    20"));
	free(shown);
	out = open_memstream(&shown, &shown_len);
	pool_path(path, pool.dir, "manager.crt");
	assert_int_equal(pki_show(path, NULL, out, err, sizeof(err)), 0);
	fclose(out);
	assert_non_null(strstr(shown, "revoked:    no ("));
	assert_non_null(strstr(shown, "status:     valid\n"));
	free(shown);
	mbedtls_x509_crt_free(&serverA);
}

/* A pool made before CRLs had no crl.pem: revoke makes one. */
static void
test_pki_revoke_new_file(void **state)
{
	struct pki_revocation	rv;
	char			path[PATH_MAX], err[512];

	(void)state;
	pool_path(path, rogue.dir, "crl.pem");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(pki_revoke(rogue.dir, "serverA", 0, &rv, err,
	    sizeof(err)), 0);
	assert_int_equal(rv.listed, 1);
	assert_int_equal(access(path, R_OK), 0);
	/* A broken one is not overwritten: its entries would be lost. */
	write_file(path, "garbage\n");
	assert_int_equal(pki_revoke(rogue.dir, "serverJ", 0, &rv, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "move it away"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(pki_revoke(rogue.dir, "serverA", 0, &rv, err,
	    sizeof(err)), 0);
}

static void
test_watch(void **state)
{
	struct crl_watch	*w;
	struct pki_revocation	 rv;
	mbedtls_x509_crt	 serverA;
	char			 path[PATH_MAX], other[PATH_MAX], err[512];
	char			*text;

	(void)state;
	mbedtls_x509_crt_init(&serverA);
	pool_path(path, tp.dir, "serverA.crt");
	assert_int_equal(mbedtls_x509_crt_parse_file(&serverA, path), 0);
	pool_path(path, tp.dir, "crl.pem");
	w = crl_watch_new(path, &tp.ca, "TLS server", err, sizeof(err));
	assert_non_null(w);
	assert_string_equal(crl_watch_path(w), path);
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 0);

	/* Looked at no more than once a second; read at once on demand. */
	assert_int_equal(pki_revoke(tp.dir, "serverJ", 0, &rv, err,
	    sizeof(err)), 0);
	crl_watch_poll(w);
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 0);
	assert_int_equal(crl_watch_reload(w), 0);
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 1);

	/* A bad or missing file keeps the list in use. */
	write_file(path, "garbage\n");
	assert_int_equal(crl_watch_reload(w), -1);
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(crl_watch_reload(w), -1);
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 1);
	/* Nor does a CRL of another CA replace it. */
	pool_path(other, rogue.dir, "crl.pem");
	text = slurp(other);
	write_file(path, text);
	free(text);
	assert_int_equal(crl_watch_reload(w), -1);
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 1);
	assert_int_equal(unlink(path), 0);

	/* A changed file is picked up by the next look a second on. */
	assert_int_equal(pki_revoke(tp.dir, "serverA", 0, &rv, err,
	    sizeof(err)), 0);
	usleep(1100 * 1000);
	crl_watch_poll(w);
	assert_int_equal(crl_watch_revoked(w, &serverA.serial), 1);
	/* The file was made anew: serverJ is no longer in it. */
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 0);
	crl_watch_free(w);

	assert_null(crl_watch_new(other, &tp.ca, "TLS client", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "signature does not verify"));
	mbedtls_x509_crt_free(&serverA);
}

/* A CRL past its next update is still used (and logged): refusing
 * every peer instead would stop the pool. */
static void
test_watch_stale(void **state)
{
	struct crl_spec		 spec;
	struct crl_revoked	 r;
	struct crl_watch	*w;
	char			 path[PATH_MAX], err[512], *pem;

	(void)state;
	r.serial = tp.serverJ.serial.p;
	r.serial_len = tp.serverJ.serial.len;
	r.when = time(NULL) - 3 * 86400;
	memset(&spec, 0, sizeof(spec));
	spec.ca = &tp.ca;
	spec.ca_key = &tp.key;
	spec.this_update = r.when;
	spec.next_update = r.when + 86400;
	spec.number = 9;
	spec.revoked = &r;
	spec.nrevoked = 1;
	assert_int_equal(crl_write_pem(&spec, mbedtls_ctr_drbg_random, &drbg,
	    &pem, err, sizeof(err)), 0);
	pool_path(path, tp.dir, "bad.pem");
	write_file(path, pem);
	free(pem);
	w = crl_watch_new(path, &tp.ca, "TLS server", err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(crl_watch_revoked(w, &tp.serverJ.serial), 1);
	crl_watch_free(w);
}

static struct tls_config *
tls_cfg(enum tls_side side, const char *name, int with_crl)
{
	struct tls_config	*cfg;
	struct tls_paths	 p;
	char			 ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	char			 crl[PATH_MAX], err[512];

	pool_path(ca, tp.dir, "ca.crt");
	snprintf(crt, sizeof(crt), "%s/%s.crt", tp.dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", tp.dir, name);
	pool_path(crl, tp.dir, "crl.pem");
	memset(&p, 0, sizeof(p));
	p.ca_file = ca;
	p.cert_file = crt;
	p.key_file = key;
	p.crl_file = with_crl ? crl : NULL;
	if ((cfg = tls_config_new(side, &p, err, sizeof(err))) == NULL)
		fprintf(stderr, "tls_config_new: %s\n", err);
	return cfg;
}

static void *
server_main(void *arg)
{
	struct server	*s = arg;
	int		 fd;

	if ((fd = accept(s->lfd, NULL, NULL)) == -1)
		return NULL;
	s->conn = tls_accept(s->cfg, fd, T_TIMEOUT, s->err, sizeof(s->err));
	return NULL;
}

/* Every test server presents agentT's certificate. */
static const struct tls_peer	agent_t = { DSP_ROLE_AGENT, "agentT" };

/* One handshake; the client's conn (or NULL, with err), and the
 * server's in s once it is done. */
static struct tls_conn *
handshake(struct server *s, struct tls_config *srv, struct tls_config *cli,
    char *err, size_t errlen)
{
	struct tls_conn	*c;
	char		 why[128];

	memset(s, 0, sizeof(*s));
	s->cfg = srv;
	s->lfd = net_listen("127.0.0.1", 0, why, sizeof(why));
	assert_true(s->lfd >= 0);
	assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
	c = tls_connect(cli, "127.0.0.1", net_local_port(s->lfd), &agent_t,
	    T_TIMEOUT, err, errlen);
	pthread_join(s->th, NULL);
	close(s->lfd);
	return c;
}

static void
test_tls(void **state)
{
	struct tls_config	*srv, *cli, *plain;
	struct tls_conn		*c;
	struct server		 s;
	struct pki_revocation	 rv;
	struct pki_validity	 v = { 0, NULL, NULL };
	char			 err[512], crl[PATH_MAX];
	char			 want[PATH_MAX + 256];

	(void)state;
	assert_int_equal(pki_issue(tp.dir, "agentT", DSP_ROLE_AGENT, &v, 1,
	    err, sizeof(err)), 0);
	assert_int_equal(pki_issue(tp.dir, "borrowerT", DSP_ROLE_BORROWER, &v,
	    1, err, sizeof(err)), 0);
	assert_int_equal(pki_issue(tp.dir, "borrowerU", DSP_ROLE_BORROWER, &v,
	    1, err, sizeof(err)), 0);
	pool_path(crl, tp.dir, "crl.pem");
	srv = tls_cfg(TLS_SIDE_SERVER, "agentT", 1);
	cli = tls_cfg(TLS_SIDE_CLIENT, "borrowerT", 1);
	assert_non_null(srv);
	assert_non_null(cli);
	assert_string_equal(tls_config_crl_file(srv), crl);

	/* Not revoked: in; revoked later: tls_peer_revoked tells. */
	c = handshake(&s, srv, cli, err, sizeof(err));
	assert_non_null(c);
	assert_non_null(s.conn);
	assert_int_equal(tls_peer_revoked(c), 0);
	assert_int_equal(tls_peer_revoked(s.conn), 0);
	assert_int_equal(pki_revoke(tp.dir, "borrowerT", 0, &rv, err,
	    sizeof(err)), 0);
	assert_int_equal(tls_config_reload_crl(srv), 0);
	assert_int_equal(tls_peer_revoked(s.conn), 1);
	assert_int_equal(tls_peer_revoked(c), 0);
	tls_close(c);
	tls_close(s.conn);

	/* The server refuses it, naming it; the client is told why. */
	assert_null(handshake(&s, srv, cli, err, sizeof(err)));
	assert_null(s.conn);
	snprintf(want, sizeof(want), "certificate borrowerT (serial %s) is "
	    "revoked (CRL %s)", rv.serial, crl);
	assert_string_equal(s.err, want);
	assert_non_null(strstr(err, "our certificate is revoked"));
	tls_config_free(cli);

	/* A client refuses a revoked server the same way. */
	assert_int_equal(pki_revoke(tp.dir, "agentT", 0, &rv, err,
	    sizeof(err)), 0);
	cli = tls_cfg(TLS_SIDE_CLIENT, "borrowerU", 1);
	assert_non_null(cli);
	assert_null(handshake(&s, srv, cli, err, sizeof(err)));
	assert_non_null(strstr(err, "certificate agentT (serial "));
	assert_non_null(strstr(err, rv.serial));
	assert_non_null(strstr(s.err, "our certificate is revoked"));
	tls_config_free(cli);

	/* Without a CRL nothing is revoked, and there is nothing to read. */
	plain = tls_cfg(TLS_SIDE_CLIENT, "borrowerT", 0);
	assert_non_null(plain);
	assert_null(tls_config_crl_file(plain));
	assert_int_equal(tls_config_reload_crl(plain), 0);
	tls_config_free(plain);
	tls_config_free(srv);
}

/* A CRL that cannot be used is an error at tls_config_new. */
static void
test_tls_bad_crl(void **state)
{
	struct tls_paths	 p;
	char			 ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	char			 crl[PATH_MAX], err[512];

	(void)state;
	pool_path(ca, tp.dir, "ca.crt");
	pool_path(crt, tp.dir, "serverJ.crt");
	pool_path(key, tp.dir, "serverJ.key");
	memset(&p, 0, sizeof(p));
	p.ca_file = ca;
	p.cert_file = crt;
	p.key_file = key;
	pool_path(crl, rogue.dir, "crl.pem");
	p.crl_file = crl;
	assert_null(tls_config_new(TLS_SIDE_SERVER, &p, err, sizeof(err)));
	assert_non_null(strstr(err, crl));
	assert_non_null(strstr(err, "signature does not verify"));
	pool_path(crl, tp.dir, "missing.pem");
	assert_null(tls_config_new(TLS_SIDE_CLIENT, &p, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open CRL"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_parse),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_times_numbers),
		cmocka_unit_test(test_write_refusals),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_pki_revoke),
		cmocka_unit_test(test_pki_revoke_new_file),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_watch_stale),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_bad_crl),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
