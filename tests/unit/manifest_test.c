/*
 * MANIFEST: written and read back the same, chunk by chunk; a manifest
 * cut short, with a chunk out of order, a bad checksum or an unknown
 * line is refused naming the line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/sha256.h>

#include "manifest.h"

static void
sample(struct manifest *m)
{
	uint64_t	i;

	memset(m, 0, sizeof(*m));
	snprintf(m->volume, sizeof(m->volume), "Vol-2");
	snprintf(m->form, sizeof(m->form), "concat");
	snprintf(m->image, sizeof(m->image), "Vol-2.img");
	m->generation = 7;
	m->time = 1764640800;
	m->kind = MANIFEST_SPLIT_LEG;
	m->extent_count = 2;
	snprintf(m->extents[0].server, sizeof(m->extents[0].server), "serverB");
	snprintf(m->extents[0].region, sizeof(m->extents[0].region), "B2");
	m->extents[0].length = 3 << 20;
	snprintf(m->extents[1].server, sizeof(m->extents[1].server), "serverC");
	snprintf(m->extents[1].region, sizeof(m->extents[1].region), "C2");
	m->extents[1].offset = 4096;
	m->extents[1].length = (2 << 20) + 5;
	assert_int_equal(manifest_alloc(m, (5 << 20) + 5, MANIFEST_CHUNK), 0);
	assert_int_equal(m->chunks, 6);
	for (i = 0; i < m->chunks; i++) {
		m->data[i] = i % 2;
		memset(m->sha[i], (int)i, MANIFEST_SHA_LEN);
	}
	memset(m->tree, 0xab, MANIFEST_SHA_LEN);
}

static void
test_round_trip(void **state)
{
	struct manifest	m, back;
	char		*text, err[256];
	size_t		 len;
	uint64_t	 i;

	(void)state;
	sample(&m);
	assert_non_null(text = manifest_format(&m, &len));
	assert_non_null(strstr(text, "\ncopy split-leg\n"));
	assert_non_null(strstr(text, "\nchunk 0 hole\nchunk 1 data 0101"));
	assert_int_equal(manifest_parse(text, len, &back, err, sizeof(err)), 0);
	assert_string_equal(back.volume, "Vol-2");
	assert_string_equal(back.form, "concat");
	assert_int_equal(back.size, (5 << 20) + 5);
	assert_int_equal(back.kind, MANIFEST_SPLIT_LEG);
	assert_int_equal(back.extent_count, 2);
	assert_int_equal(back.extents[1].offset, 4096);
	assert_int_equal(back.chunks, 6);
	for (i = 0; i < back.chunks; i++) {
		assert_int_equal(back.data[i], i % 2);
		if (back.data[i])
			assert_memory_equal(back.sha[i], m.sha[i],
			    MANIFEST_SHA_LEN);
	}
	assert_memory_equal(back.tree, m.tree, MANIFEST_SHA_LEN);
	manifest_free(&back);
	free(text);
	manifest_free(&m);
}

/* The text with line n replaced; parse must fail naming it. */
static void
spoiled(const char *text, const char *from, const char *to, const char *want)
{
	struct manifest	 back;
	char		 err[256], *copy, *at;
	size_t		 n = strlen(text) + strlen(to) + 1;

	copy = malloc(n);
	assert_non_null(copy);
	at = strstr(text, from);
	assert_non_null(at);
	snprintf(copy, n, "%.*s%s%s", (int)(at - text), text, to,
	    at + strlen(from));
	assert_int_equal(manifest_parse(copy, strlen(copy), &back, err,
	    sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
	free(copy);
}

static void
test_refusals(void **state)
{
	struct manifest	 m;
	char		*text;
	size_t		 len;

	(void)state;
	sample(&m);
	text = manifest_format(&m, &len);
	spoiled(text, "chunk 2 hole\n", "", "line 14 is not understood");
	spoiled(text, "chunk 1 data 01", "chunk 1 data zz", "line 13");
	spoiled(text, "copy split-leg", "copy sloppy", "line 7");
	spoiled(text, "daspool-backup manifest 1", "tarball", "line 1");
	spoiled(text, "tree abab", "nothing abab", "not understood");
	spoiled(text, "chunk 5 data", "chunk 7 data", "not understood");
	/* Each line whole: nothing after its word or number (a line that
	 * swallowed the next would not read back the same). */
	spoiled(text, "\nimage Vol-2.img", "\x02image Vol-2.img",
	    "not understood");
	spoiled(text, "volume Vol-2\n", "volume Vol-2 Vol-3\n", "line 2");
	spoiled(text, "generation 7\n", "generation 7x\n", "not understood");
	spoiled(text, "image Vol-2.img\n", "", "no volume, form or image");
	/* Cut before the tree checksum. */
	manifest_free(&m);
	text[strstr(text, "tree ") - text] = '\0';
	assert_int_equal(manifest_parse(text, strlen(text), &m, (char[64]){0},
	    64), -1);
	free(text);
}

/* A chunk of zeroes stored as data and the same chunk as a hole give
 * the same tree; a changed chunk changes it. */
static void
test_tree(void **state)
{
	static uint8_t	zeroes[MANIFEST_CHUNK];
	struct manifest	a, b;
	uint8_t		ta[MANIFEST_SHA_LEN], tb[MANIFEST_SHA_LEN];

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(manifest_alloc(&a, MANIFEST_CHUNK + 100,
	    MANIFEST_CHUNK), 0);
	assert_int_equal(manifest_alloc(&b, MANIFEST_CHUNK + 100,
	    MANIFEST_CHUNK), 0);
	b.data[0] = b.data[1] = 1;
	assert_int_equal(mbedtls_sha256_ret(zeroes, MANIFEST_CHUNK, b.sha[0],
	    0), 0);
	assert_int_equal(mbedtls_sha256_ret(zeroes, 100, b.sha[1], 0), 0);
	manifest_tree(&a, ta);
	manifest_tree(&b, tb);
	assert_memory_equal(ta, tb, MANIFEST_SHA_LEN);
	b.sha[1][0] ^= 1;
	manifest_tree(&b, tb);
	assert_memory_not_equal(ta, tb, MANIFEST_SHA_LEN);
	manifest_free(&a);
	manifest_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
