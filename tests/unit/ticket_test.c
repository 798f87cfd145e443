/*
 * Mount tickets: signing, verification and the access check.
 * Keys come from a throw-away PKI made with pki.c in a temp directory.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "pki.h"
#include "ticket.h"

struct keys {
	char			 dir[64];
	char			 other[64];
	struct ticket_signer	*signer;
	struct ticket_signer	*other_signer;
	struct ticket_verifier	*verifier;
};

static struct keys	k;

static void
path(char *out, size_t len, const char *dir, const char *file)
{
	snprintf(out, len, "%s/%s", dir, file);
}

static void
rmpki(const char *dir)
{
	static const char *files[] = { "ca.crt", "ca.key", "manager.crt",
	    "manager.key", "crl.pem" };
	char	p[PATH_MAX];
	size_t	i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path(p, sizeof(p), dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int
group_setup(void **state)
{
	char	err[256], p[PATH_MAX];

	(void)state;
	snprintf(k.dir, sizeof(k.dir), "/tmp/ticket_test.XXXXXX");
	snprintf(k.other, sizeof(k.other), "/tmp/ticket_test.XXXXXX");
	if (mkdtemp(k.dir) == NULL || mkdtemp(k.other) == NULL)
		return -1;
	if (pki_init(k.dir, "manager", NULL, 1, err, sizeof(err)) == -1 ||
	    pki_init(k.other, "manager", NULL, 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "pki_init: %s\n", err);
		return -1;
	}
	path(p, sizeof(p), k.dir, "manager.key");
	if ((k.signer = ticket_signer_new(p, err, sizeof(err))) == NULL)
		return -1;
	path(p, sizeof(p), k.other, "manager.key");
	if ((k.other_signer = ticket_signer_new(p, err, sizeof(err))) == NULL)
		return -1;
	path(p, sizeof(p), k.dir, "manager.crt");
	if ((k.verifier = ticket_verifier_new(p, err, sizeof(err))) == NULL)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	ticket_signer_free(k.signer);
	ticket_signer_free(k.other_signer);
	ticket_verifier_free(k.verifier);
	rmpki(k.dir);
	rmpki(k.other);
	return 0;
}

/* Vol-1 lent to serverJ: A2 [0, 100) on serverA, B2 [4096, 12288) on
 * serverB; generation 3, valid until t=2000. */
static void
make_ticket(struct mount_ticket *t)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->volume, "Vol-1");
	strcpy(t->borrower, "serverJ");
	t->mode = DSP_MODE_READWRITE;
	t->generation = 3;
	t->issued_at = 1000;
	t->expires_at = 2000;
	t->extent_count = 2;
	strcpy(t->extents[0].server, "serverA");
	strcpy(t->extents[0].region, "A2");
	t->extents[0].offset = 0;
	t->extents[0].length = 100;
	strcpy(t->extents[1].server, "serverB");
	strcpy(t->extents[1].region, "B2");
	t->extents[1].offset = 4096;
	t->extents[1].length = 8192;
}

static size_t
signed_ticket(struct ticket_signer *s, const struct mount_ticket *t,
    uint8_t *out)
{
	size_t	len = 0;

	assert_int_equal(ticket_sign(s, t, out, DSP_TICKET_MAX, &len), 0);
	assert_true(len > 0 && len <= DSP_TICKET_MAX);
	return len;
}

static void
test_round_trip(void **state)
{
	struct mount_ticket	t, got;
	uint8_t			blob[DSP_TICKET_MAX];
	size_t			len;

	(void)state;
	make_ticket(&t);
	len = signed_ticket(k.signer, &t, blob);
	assert_int_equal(ticket_verify(k.verifier, blob, len, &got), DSP_OK);
	assert_memory_equal(&t, &got, sizeof(t));
}

static void
test_bad_signature(void **state)
{
	struct mount_ticket	t, got;
	uint8_t			blob[DSP_TICKET_MAX];
	size_t			len, gen_at;

	(void)state;
	make_ticket(&t);
	len = signed_ticket(k.signer, &t, blob);

	/* Last byte of the DER signature. */
	blob[len - 1] ^= 0x01;
	assert_int_equal(ticket_verify(k.verifier, blob, len, &got),
	    DSP_E_TICKET);
	assert_string_equal(got.borrower, "");
	blob[len - 1] ^= 0x01;

	/* A raised generation: version, two strings, mode. */
	gen_at = 1 + 2 + strlen(t.volume) + 2 + strlen(t.borrower) + 1;
	blob[gen_at + 7] ^= 0x04;
	assert_int_equal(ticket_verify(k.verifier, blob, len, &got),
	    DSP_E_TICKET);
	blob[gen_at + 7] ^= 0x04;
	assert_int_equal(ticket_verify(k.verifier, blob, len, &got), DSP_OK);

	/* Signed by another manager's key. */
	len = signed_ticket(k.other_signer, &t, blob);
	assert_int_equal(ticket_verify(k.verifier, blob, len, &got),
	    DSP_E_TICKET);
}

static void
test_truncated(void **state)
{
	struct mount_ticket	t, got;
	uint8_t			blob[DSP_TICKET_MAX + 1];
	size_t			len, n;

	(void)state;
	make_ticket(&t);
	len = signed_ticket(k.signer, &t, blob);
	for (n = 0; n < len; n++)
		assert_int_equal(ticket_verify(k.verifier, blob, n, &got),
		    DSP_E_FRAME);
	blob[len] = 0;
	assert_int_equal(ticket_verify(k.verifier, blob, len + 1, &got),
	    DSP_E_FRAME);
}

static void
test_malformed_fields(void **state)
{
	struct mount_ticket	t, got;
	struct buf_writer	w;
	static const uint8_t	junk_sig[8] = { 0x30, 6, 2, 1, 1, 2, 1, 1 };

	(void)state;

	/* Well-formed body, signature that does not verify: E_TICKET. */
	make_ticket(&t);
	buf_writer_init(&w);
	ticket_encode_body(&w, &t);
	buf_put_blob(&w, junk_sig, sizeof(junk_sig));
	assert_false(w.error);
	assert_int_equal(ticket_verify(k.verifier, w.data, w.len, &got),
	    DSP_E_TICKET);

	/* Bad mode, bad name, no extents, wrapping extent: E_FRAME
	 * before any signature check. */
	t.mode = 7;
	buf_writer_reset(&w);
	ticket_encode_body(&w, &t);
	buf_put_blob(&w, junk_sig, sizeof(junk_sig));
	assert_int_equal(ticket_verify(k.verifier, w.data, w.len, &got),
	    DSP_E_FRAME);

	make_ticket(&t);
	strcpy(t.borrower, "server J");
	buf_writer_reset(&w);
	ticket_encode_body(&w, &t);
	buf_put_blob(&w, junk_sig, sizeof(junk_sig));
	assert_int_equal(ticket_verify(k.verifier, w.data, w.len, &got),
	    DSP_E_FRAME);

	make_ticket(&t);
	t.extent_count = 0;
	buf_writer_reset(&w);
	ticket_encode_body(&w, &t);
	buf_put_blob(&w, junk_sig, sizeof(junk_sig));
	assert_int_equal(ticket_verify(k.verifier, w.data, w.len, &got),
	    DSP_E_FRAME);

	make_ticket(&t);
	t.extents[1].offset = UINT64_MAX - 10;
	buf_writer_reset(&w);
	ticket_encode_body(&w, &t);
	buf_put_blob(&w, junk_sig, sizeof(junk_sig));
	assert_int_equal(ticket_verify(k.verifier, w.data, w.len, &got),
	    DSP_E_FRAME);

	/* Unknown version byte. */
	make_ticket(&t);
	buf_writer_reset(&w);
	ticket_encode_body(&w, &t);
	buf_put_blob(&w, junk_sig, sizeof(junk_sig));
	w.data[0] = 2;
	assert_int_equal(ticket_verify(k.verifier, w.data, w.len, &got),
	    DSP_E_FRAME);
	buf_writer_free(&w);
}

static void
test_sign_too_small(void **state)
{
	struct mount_ticket	t;
	uint8_t			blob[64];
	size_t			len = 1;

	(void)state;
	make_ticket(&t);
	assert_int_equal(ticket_sign(k.signer, &t, blob, sizeof(blob), &len),
	    -1);
	assert_int_equal(len, 0);
}

static int
check(const struct mount_ticket *t, const char *peer, const char *server,
    const char *region, uint64_t off, uint64_t len, int wr, uint64_t highest,
    uint64_t now, char *why)
{
	why[0] = '\0';
	return ticket_check_access(t, peer, server, region, off, len, wr,
	    highest, now, why, 256);
}

static void
test_access_ok(void **state)
{
	struct mount_ticket	t;
	char			why[256];

	(void)state;
	make_ticket(&t);
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 0, 100, 1, 3,
	    1500, why), DSP_OK);
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 99, 1, 0, 0,
	    1999, why), DSP_OK);
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 100, 0, 0, 3,
	    1000, why), DSP_OK);
	assert_int_equal(check(&t, "serverJ", "serverB", "B2", 4096, 8192, 1,
	    2, 1000, why), DSP_OK);
}

static void
test_wrong_borrower(void **state)
{
	struct mount_ticket	t;
	char			why[256];

	(void)state;
	make_ticket(&t);
	assert_int_equal(check(&t, "serverK", "serverA", "A2", 0, 10, 0, 3,
	    1500, why), DSP_E_BORROWER);
	assert_string_equal(why, "ticket is for borrower serverJ, not serverK");
}

static void
test_out_of_range(void **state)
{
	struct mount_ticket	t;
	char			why[256];

	(void)state;
	make_ticket(&t);
	/* Past the end. */
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 100, 1, 0, 3,
	    1500, why), DSP_E_RANGE);
	assert_string_equal(why, "offset 100+1 is outside extent A2 [0, 100)");
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 90, 11, 0, 3,
	    1500, why), DSP_E_RANGE);
	/* Before the start. */
	assert_int_equal(check(&t, "serverJ", "serverB", "B2", 4095, 2, 0, 3,
	    1500, why), DSP_E_RANGE);
	assert_string_equal(why,
	    "offset 4095+2 is outside extent B2 [4096, 12288)");
	/* A length that overflows u64. */
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 50, UINT64_MAX,
	    0, 3, 1500, why), DSP_E_RANGE);
	assert_non_null(strstr(why, "wraps"));
	assert_int_equal(check(&t, "serverJ", "serverB", "B2", 4096,
	    UINT64_MAX - 4000, 0, 3, 1500, why), DSP_E_RANGE);
	/* Wrong region, wrong server. */
	assert_int_equal(check(&t, "serverJ", "serverA", "A3", 0, 1, 0, 3,
	    1500, why), DSP_E_RANGE);
	assert_non_null(strstr(why, "no extent on server serverA region A3"));
	assert_int_equal(check(&t, "serverJ", "serverB", "A2", 0, 1, 0, 3,
	    1500, why), DSP_E_RANGE);
	assert_non_null(strstr(why, "no extent on server serverB region A2"));
}

static void
test_stale(void **state)
{
	struct mount_ticket	t;
	char			why[256];

	(void)state;
	make_ticket(&t);
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 0, 1, 0, 4,
	    1500, why), DSP_E_STALE);
	assert_string_equal(why,
	    "ticket generation 3 was revoked (agent has seen 4)");
}

static void
test_expired(void **state)
{
	struct mount_ticket	t;
	char			why[256];

	(void)state;
	make_ticket(&t);
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 0, 1, 0, 3,
	    2000, why), DSP_E_EXPIRED);
	assert_string_equal(why, "ticket expired at 1970-01-01 00:33:20 UTC");
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 0, 1, 0, 3,
	    1999, why), DSP_OK);
}

static void
test_readonly(void **state)
{
	struct mount_ticket	t;
	char			why[256];

	(void)state;
	make_ticket(&t);
	t.mode = DSP_MODE_READONLY;
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 0, 1, 1, 3,
	    1500, why), DSP_E_READONLY);
	assert_non_null(strstr(why, "read-only ticket"));
	assert_int_equal(check(&t, "serverJ", "serverA", "A2", 0, 1, 0, 3,
	    1500, why), DSP_OK);
}

#define SIGN_THREADS	4
#define SIGN_ROUNDS	25

static void *
sign_many(void *arg)
{
	struct mount_ticket	t, got;
	uint8_t			blob[DSP_TICKET_MAX];
	size_t			len;
	int			i, *bad = arg;

	make_ticket(&t);
	for (i = 0; i < SIGN_ROUNDS; i++) {
		t.generation = (uint64_t)i;
		if (ticket_sign(k.signer, &t, blob, sizeof(blob), &len) != 0 ||
		    ticket_verify(k.verifier, blob, len, &got) != DSP_OK ||
		    got.generation != (uint64_t)i)
			(*bad)++;
	}
	return NULL;
}

/* Signer and verifier are shared by the manager's and agent's threads. */
static void
test_threads(void **state)
{
	pthread_t	th[SIGN_THREADS];
	int		bad[SIGN_THREADS] = { 0 }, i;

	(void)state;
	for (i = 0; i < SIGN_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sign_many,
		    &bad[i]), 0);
	for (i = 0; i < SIGN_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(bad[i], 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed_fields),
		cmocka_unit_test(test_sign_too_small),
		cmocka_unit_test(test_access_ok),
		cmocka_unit_test(test_wrong_borrower),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
