/*
 * Raw AEAD throughput of the TLS cipher suites daspool offers: encrypts
 * 16 KiB records (the TLS record size) for about a second per cipher
 * and prints "aead <name> <MB/s>" (MB = 10^6 bytes). Picks the default
 * of tls.c: the faster of aes-128-gcm and chacha20-poly1305.
 *
 * usage: aead [seconds]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/aesni.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>

#define RECORD		16384
#define AAD_LEN		13	/* TLS 1.2: seq, type, version, length */

struct aead {
	const char	*name;
	int		 kind;		/* 0 GCM, 1 ChaCha20-Poly1305 */
	unsigned	 key_bits;
};

static const struct aead aeads[] = {
	{ "aes-128-gcm",	0, 128 },
	{ "aes-256-gcm",	0, 256 },
	{ "chacha20-poly1305",	1, 256 },
};

static double	now_sec(void);
static double	run(const struct aead *, double, uint8_t *, uint8_t *);

static double
now_sec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Returns MB/s, or -1 if the cipher failed. */
static double
run(const struct aead *a, double seconds, uint8_t *in, uint8_t *out)
{
	mbedtls_gcm_context		gcm;
	mbedtls_chachapoly_context	cp;
	uint8_t				key[32], iv[12], aad[AAD_LEN], tag[16];
	uint64_t			seq = 0, bytes = 0;
	double				start, elapsed;
	int				rc = 0, i;

	memset(key, 0x5a, sizeof(key));
	memset(aad, 0x17, sizeof(aad));
	memset(iv, 0, sizeof(iv));
	mbedtls_gcm_init(&gcm);
	mbedtls_chachapoly_init(&cp);
	if (a->kind == 0)
		rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key,
		    a->key_bits);
	else
		rc = mbedtls_chachapoly_setkey(&cp, key);
	if (rc != 0)
		goto done;

	start = now_sec();
	do {
		/* 64 records between clock reads. */
		for (i = 0; i < 64 && rc == 0; i++, seq++) {
			memcpy(iv + 4, &seq, sizeof(seq));
			if (a->kind == 0)
				rc = mbedtls_gcm_crypt_and_tag(&gcm,
				    MBEDTLS_GCM_ENCRYPT, RECORD, iv, sizeof(iv),
				    aad, sizeof(aad), in, out, sizeof(tag), tag);
			else
				rc = mbedtls_chachapoly_encrypt_and_tag(&cp,
				    RECORD, iv, aad, sizeof(aad), in, out, tag);
			bytes += RECORD;
		}
		elapsed = now_sec() - start;
	} while (rc == 0 && elapsed < seconds);
done:
	mbedtls_gcm_free(&gcm);
	mbedtls_chachapoly_free(&cp);
	return rc == 0 ? bytes / elapsed / 1e6 : -1;
}

int
main(int argc, char **argv)
{
	uint8_t		*in, *out;
	double		 seconds = 1.0, mbs[3];
	size_t		 i;

	if (argc > 1 && (seconds = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: aead [seconds]\n");
		return 1;
	}
	if ((in = malloc(RECORD)) == NULL || (out = malloc(RECORD)) == NULL) {
		fprintf(stderr, "aead: out of memory\n");
		return 1;
	}
	for (i = 0; i < RECORD; i++)
		in[i] = (uint8_t)(i * 31 + 7);

	fprintf(stderr, "aead: AES-NI %s\n",
	    mbedtls_aesni_has_support(MBEDTLS_AESNI_AES) ? "available" :
	    "not available");
	for (i = 0; i < sizeof(aeads) / sizeof(aeads[0]); i++) {
		if ((mbs[i] = run(&aeads[i], seconds, in, out)) < 0) {
			fprintf(stderr, "aead: %s failed\n", aeads[i].name);
			return 1;
		}
		printf("aead %s %.1f\n", aeads[i].name, mbs[i]);
		fflush(stdout);
	}
	fprintf(stderr, "aead: fastest default candidate: %s\n",
	    mbs[0] >= mbs[2] ? aeads[0].name : aeads[2].name);
	free(in);
	free(out);
	return 0;
}
