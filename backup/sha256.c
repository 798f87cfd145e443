/*
 * SHA-256 (FIPS 180-4) with the x86 SHA extensions, or mbedTLS
 * (sha256.h). The hardware rounds take the state as ABEF and CDGH and
 * the message four words at a time; W[g] for g >= 4 comes from
 * sha256msg1/msg2 over the four vectors before it.
 */
#include <string.h>

#include <mbedtls/sha256.h>

#include "sha256.h"

#if defined(__x86_64__)
#include <immintrin.h>

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

__attribute__((target("sha,sse4.1,ssse3")))
static void
sha256_blocks_ni(uint32_t state[8], const uint8_t *p, size_t blocks)
{
	const __m128i	mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
			    0x0405060700010203ULL);
	__m128i		s0, s1, t, save0, save1, w[4], msg;
	int		g;

	t = _mm_loadu_si128((const __m128i *)&state[0]);	/* DCBA */
	s1 = _mm_loadu_si128((const __m128i *)&state[4]);	/* HGFE */
	t = _mm_shuffle_epi32(t, 0xb1);				/* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1b);			/* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8);				/* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0);			/* CDGH */
	for (; blocks > 0; blocks--, p += 64) {
		save0 = s0;
		save1 = s1;
		for (g = 0; g < 16; g++) {
			if (g < 4)
				w[g] = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(p + 16 * g)), mask);
			else {
				t = _mm_sha256msg1_epu32(w[g % 4],
				    w[(g + 1) % 4]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(
				    w[(g + 3) % 4], w[(g + 2) % 4], 4));
				w[g % 4] = _mm_sha256msg2_epu32(t,
				    w[(g + 3) % 4]);
			}
			msg = _mm_add_epi32(w[g % 4], _mm_loadu_si128(
			    (const __m128i *)&sha256_k[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0e);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	t = _mm_shuffle_epi32(s0, 0x1b);			/* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);			/* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xf0);			/* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);				/* HGFE */
	_mm_storeu_si128((__m128i *)&state[0], s0);
	_mm_storeu_si128((__m128i *)&state[4], s1);
}

static void
sha256_ni(const uint8_t *p, size_t len, uint8_t out[32])
{
	uint32_t	state[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
			    0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
			    0x5be0cd19 };
	uint8_t		tail[128];
	uint64_t	bits = (uint64_t)len * 8;
	size_t		full = len / 64, rest = len % 64, n;
	int		i;

	sha256_blocks_ni(state, p, full);
	/* The last bytes, 0x80, zeroes, and the length in bits. */
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p + full * 64, rest);
	tail[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_blocks_ni(state, tail, n / 64);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(state[i] >> 24);
		out[4 * i + 1] = (uint8_t)(state[i] >> 16);
		out[4 * i + 2] = (uint8_t)(state[i] >> 8);
		out[4 * i + 3] = (uint8_t)state[i];
	}
}

int
sha256_hardware(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("sha") &&
	    __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
}
#else
int
sha256_hardware(void)
{
	return 0;
}
#endif

void
sha256_software(const void *data, size_t len, uint8_t out[32])
{
	(void)mbedtls_sha256_ret(data, len, out, 0);
}

void
sha256(const void *data, size_t len, uint8_t out[32])
{
#if defined(__x86_64__)
	static int	hw = -1;

	if (hw == -1)
		hw = sha256_hardware();
	if (hw) {
		sha256_ni(data, len, out);
		return;
	}
#endif
	sha256_software(data, len, out);
}
