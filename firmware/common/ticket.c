/*
 * Mount tickets: encoding, ECDSA P-256/SHA-256 signing by the manager,
 * verification by the agents, and the per-request access check.
 *
 * mbedTLS may cache precomputed points in a key's EC group on first use,
 * so even verification may write to the key: signer and verifier each
 * keep a mutex around their key.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "buf.h"
#include "msg.h"
#include "ticket.h"

#define TICKET_VERSION	1
#define TICKET_SIG_MAX	MBEDTLS_ECDSA_MAX_LEN

struct ticket_signer {
	pthread_mutex_t			lock;
	mbedtls_pk_context		key;
	mbedtls_entropy_context		entropy;
	mbedtls_ctr_drbg_context	drbg;
};

struct ticket_verifier {
	pthread_mutex_t		lock;
	mbedtls_x509_crt	cert;	/* its pk is the manager's public key */
};

static int	ticket_hash(const uint8_t *, size_t, uint8_t[32]);
static int	ticket_decode(struct buf_reader *, struct mount_ticket *);
static void	ticket_time(uint64_t, char *, size_t);

void
ticket_encode_body(struct buf_writer *w, const struct mount_ticket *t)
{
	uint16_t	i;

	buf_put_u8(w, TICKET_VERSION);
	buf_put_string(w, t->volume);
	buf_put_string(w, t->borrower);
	buf_put_u8(w, t->mode);
	buf_put_u64(w, t->generation);
	buf_put_u64(w, t->issued_at);
	buf_put_u64(w, t->expires_at);
	buf_put_u16(w, t->extent_count);
	for (i = 0; i < t->extent_count && i < DSP_MAX_EXTENTS; i++) {
		buf_put_string(w, t->extents[i].server);
		buf_put_string(w, t->extents[i].region);
		buf_put_u64(w, t->extents[i].offset);
		buf_put_u64(w, t->extents[i].length);
	}
}

static int
ticket_hash(const uint8_t *data, size_t len, uint8_t hash[32])
{
	return mbedtls_sha256_ret(data, len, hash, 0) == 0 ? 0 : -1;
}

struct ticket_signer *
ticket_signer_new(const char *key_file, char *err, size_t errlen)
{
	static const char	 pers[] = "daspool ticket";
	struct ticket_signer	*s;
	char			 why[160];
	int			 rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	mbedtls_pk_init(&s->key);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);

	if ((rc = mbedtls_pk_parse_keyfile(&s->key, key_file, NULL)) != 0) {
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, errlen, "cannot load ticket key %s: %s",
		    key_file, why);
		goto fail;
	}
	if (!mbedtls_pk_can_do(&s->key, MBEDTLS_PK_ECDSA)) {
		snprintf(err, errlen, "ticket key %s is not an EC key",
		    key_file);
		goto fail;
	}
	if ((rc = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func,
	    &s->entropy, (const unsigned char *)pers, sizeof(pers) - 1)) != 0) {
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, errlen, "cannot seed the random generator: %s",
		    why);
		goto fail;
	}
	return s;
fail:
	ticket_signer_free(s);
	return NULL;
}

void
ticket_signer_free(struct ticket_signer *s)
{
	if (s == NULL)
		return;
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	mbedtls_pk_free(&s->key);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int
ticket_sign(struct ticket_signer *s, const struct mount_ticket *t,
    uint8_t *out, size_t cap, size_t *len)
{
	struct buf_writer	w;
	uint8_t			hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t			siglen = 0;
	int			rc;

	*len = 0;
	if (t->extent_count > DSP_MAX_EXTENTS)
		return -1;
	buf_writer_init(&w);
	ticket_encode_body(&w, t);
	if (w.error || ticket_hash(w.data, w.len, hash) == -1)
		goto fail;

	pthread_mutex_lock(&s->lock);
	rc = mbedtls_pk_sign(&s->key, MBEDTLS_MD_SHA256, hash, sizeof(hash),
	    sig, &siglen, mbedtls_ctr_drbg_random, &s->drbg);
	pthread_mutex_unlock(&s->lock);
	if (rc != 0)
		goto fail;

	buf_put_blob(&w, sig, siglen);
	if (w.error || w.len > cap)
		goto fail;
	memcpy(out, w.data, w.len);
	*len = w.len;
	buf_writer_free(&w);
	return 0;
fail:
	buf_writer_free(&w);
	return -1;
}

struct ticket_verifier *
ticket_verifier_new(const char *manager_cert_file, char *err, size_t errlen)
{
	struct ticket_verifier	*v;
	char			 why[160];
	int			 rc;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&v->lock, NULL);
	mbedtls_x509_crt_init(&v->cert);
	if ((rc = mbedtls_x509_crt_parse_file(&v->cert,
	    manager_cert_file)) != 0) {
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, errlen, "cannot load manager certificate %s: %s",
		    manager_cert_file, why);
		goto fail;
	}
	if (!mbedtls_pk_can_do(&v->cert.pk, MBEDTLS_PK_ECDSA)) {
		snprintf(err, errlen, "manager certificate %s has no EC key",
		    manager_cert_file);
		goto fail;
	}
	return v;
fail:
	ticket_verifier_free(v);
	return NULL;
}

void
ticket_verifier_free(struct ticket_verifier *v)
{
	if (v == NULL)
		return;
	mbedtls_x509_crt_free(&v->cert);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* Reads the body; DSP_OK or DSP_E_FRAME. */
static int
ticket_decode(struct buf_reader *r, struct mount_ticket *t)
{
	struct ticket_extent	*e;
	uint16_t		 i;

	memset(t, 0, sizeof(*t));
	if (buf_get_u8(r) != TICKET_VERSION)
		return DSP_E_FRAME;
	buf_get_string(r, t->volume, DSP_NAME_MAX);
	buf_get_string(r, t->borrower, DSP_NAME_MAX);
	t->mode = buf_get_u8(r);
	t->generation = buf_get_u64(r);
	t->issued_at = buf_get_u64(r);
	t->expires_at = buf_get_u64(r);
	t->extent_count = buf_get_u16(r);
	if (r->error || t->extent_count == 0 ||
	    t->extent_count > DSP_MAX_EXTENTS)
		return DSP_E_FRAME;
	if (t->mode != DSP_MODE_READONLY && t->mode != DSP_MODE_READWRITE)
		return DSP_E_FRAME;
	if (!msg_name_valid(t->volume) || !msg_name_valid(t->borrower))
		return DSP_E_FRAME;
	for (i = 0; i < t->extent_count; i++) {
		e = &t->extents[i];
		buf_get_string(r, e->server, DSP_NAME_MAX);
		buf_get_string(r, e->region, DSP_NAME_MAX);
		e->offset = buf_get_u64(r);
		e->length = buf_get_u64(r);
		if (r->error || !msg_name_valid(e->server) ||
		    !msg_name_valid(e->region) ||
		    e->length > UINT64_MAX - e->offset)
			return DSP_E_FRAME;
	}
	return DSP_OK;
}

int
ticket_peek(const uint8_t *data, size_t len, struct mount_ticket *out)
{
	struct buf_reader	r;

	buf_reader_init(&r, data, len);
	return ticket_decode(&r, out);
}

int
ticket_verify(struct ticket_verifier *v, const uint8_t *data, size_t len,
    struct mount_ticket *out)
{
	struct buf_reader	 r;
	const uint8_t		*sig;
	size_t			 body_len, siglen;
	uint8_t			 hash[32];
	int			 rc;

	buf_reader_init(&r, data, len);
	if ((rc = ticket_decode(&r, out)) != DSP_OK)
		goto bad;
	body_len = r.pos;
	buf_get_blob(&r, &sig, &siglen, TICKET_SIG_MAX);
	if (buf_reader_finish(&r) == -1 || siglen == 0) {
		rc = DSP_E_FRAME;
		goto bad;
	}
	if (ticket_hash(data, body_len, hash) == -1) {
		rc = DSP_E_INTERNAL;
		goto bad;
	}
	pthread_mutex_lock(&v->lock);
	rc = mbedtls_pk_verify(&v->cert.pk, MBEDTLS_MD_SHA256, hash,
	    sizeof(hash), sig, siglen);
	pthread_mutex_unlock(&v->lock);
	if (rc != 0) {
		rc = DSP_E_TICKET;
		goto bad;
	}
	return DSP_OK;
bad:
	/* Nothing of a rejected ticket may be used by mistake. */
	memset(out, 0, sizeof(*out));
	return rc;
}

static void
ticket_time(uint64_t t, char *out, size_t outlen)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t > (uint64_t)INT64_MAX || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, outlen, "%" PRIu64, t);
}

int
ticket_check_access(const struct mount_ticket *t, const char *peer,
    const char *server, const char *region, uint64_t offset, uint64_t length,
    int is_write, uint64_t highest_generation, uint64_t now, char *why,
    size_t whylen)
{
	const struct ticket_extent	*e, *near = NULL;
	char				 when[64];
	uint16_t			 i;

	if (strcmp(t->borrower, peer) != 0) {
		snprintf(why, whylen, "ticket is for borrower %s, not %s",
		    t->borrower, peer);
		return DSP_E_BORROWER;
	}
	if (t->generation < highest_generation) {
		snprintf(why, whylen, "ticket generation %" PRIu64 " was "
		    "revoked (agent has seen %" PRIu64 ")", t->generation,
		    highest_generation);
		return DSP_E_STALE;
	}
	if (now != 0 && now >= t->expires_at) {
		ticket_time(t->expires_at, when, sizeof(when));
		snprintf(why, whylen, "ticket expired at %s", when);
		return DSP_E_EXPIRED;
	}
	if (is_write && t->mode != DSP_MODE_READWRITE) {
		snprintf(why, whylen, "read-only ticket: volume %s may not be "
		    "written", t->volume);
		return DSP_E_READONLY;
	}
	if (length > UINT64_MAX - offset) {
		snprintf(why, whylen, "offset %" PRIu64 "+%" PRIu64 " wraps "
		    "past the end of the address space", offset, length);
		return DSP_E_RANGE;
	}
	for (i = 0; i < t->extent_count && i < DSP_MAX_EXTENTS; i++) {
		e = &t->extents[i];
		if (strcmp(e->server, server) != 0 ||
		    strcmp(e->region, region) != 0)
			continue;
		if (offset >= e->offset && offset - e->offset <= e->length &&
		    length <= e->length - (offset - e->offset))
			return DSP_OK;
		if (near == NULL)
			near = e;
	}
	if (near == NULL) {
		snprintf(why, whylen, "ticket for volume %s has no extent on "
		    "server %s region %s", t->volume, server, region);
		return DSP_E_RANGE;
	}
	snprintf(why, whylen, "offset %" PRIu64 "+%" PRIu64 " is outside "
	    "extent %s [%" PRIu64 ", %" PRIu64 ")", offset, length,
	    near->region, near->offset,
	    near->length > UINT64_MAX - near->offset ? UINT64_MAX :
	    near->offset + near->length);
	return DSP_E_RANGE;
}
