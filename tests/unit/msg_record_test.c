/*
 * The lender's volume record and the messages around it: round trip,
 * every truncation and a trailing byte refused, fields out of their
 * domain refused, and a digest that tells any change apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bitmap.h"
#include "msg_record.h"

#define CHUNKS	1000

static uint8_t	bits[BITMAP_BYTES(CHUNKS)];

/* A degraded three-leg mirror with dirty chunks. */
static void
fill_record(struct msg_volume_record *m)
{
	uint16_t	i;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "vol-m");
	m->form = DSP_FORM_MIRROR;
	m->chunk_size = DSP_MIRROR_CHUNK;
	m->size = (uint64_t)CHUNKS * DSP_MIRROR_CHUNK - 512;
	m->generation = 7;
	m->revision = 19;
	m->created_at = 1700000000;
	m->dirty_chunks = 3;
	m->extent_count = 3;
	for (i = 0; i < m->extent_count; i++) {
		snprintf(m->extents[i].server, sizeof(m->extents[i].server),
		    "server%c", 'A' + i);
		snprintf(m->extents[i].region, sizeof(m->extents[i].region),
		    "disk%u", i);
		m->extents[i].offset = i * 4096;
		m->extents[i].length = m->size;
	}
	m->extents[2].leg_state = DSP_LEG_OUT_OF_SYNC;
	snprintf(m->extents[2].leg_reason, sizeof(m->extents[2].leg_reason),
	    "write failed: E_IO");
	memset(bits, 0, sizeof(bits));
	bits[0] = 0x05;
	bits[100] = 0x80;
	m->bitmap = bits;
	m->bitmap_len = sizeof(bits);
}

static void
encode(const struct msg_volume_record *m, struct buf_writer *w)
{
	buf_writer_init(w);
	msg_encode_volume_record(w, m);
	assert_int_equal(w->error, 0);
}

static void
test_round_trip(void **state)
{
	struct msg_volume_record	*in = malloc(sizeof(*in));
	struct msg_volume_record	*out = malloc(sizeof(*out));
	struct buf_writer		 w;
	uint16_t			 i;

	(void)state;
	fill_record(in);
	encode(in, &w);
	assert_int_equal(msg_decode_volume_record(w.data, w.len, out), DSP_OK);
	assert_string_equal(out->name, in->name);
	assert_int_equal(out->form, in->form);
	assert_true(out->size == in->size && out->generation == 7 &&
	    out->revision == 19 && out->dirty_chunks == 3 &&
	    out->chunk_size == DSP_MIRROR_CHUNK);
	assert_int_equal(out->extent_count, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(out->extents[i].server,
		    in->extents[i].server);
		assert_true(out->extents[i].offset == in->extents[i].offset);
		assert_int_equal(out->extents[i].leg_state,
		    in->extents[i].leg_state);
	}
	assert_string_equal(out->extents[2].leg_reason, "write failed: E_IO");
	assert_int_equal(out->bitmap_len, sizeof(bits));
	assert_memory_equal(out->bitmap, bits, sizeof(bits));
	assert_true(msg_volume_record_uses(out, "serverC"));
	assert_false(msg_volume_record_uses(out, "serverD"));
	buf_writer_free(&w);
	free(in);
	free(out);
}

static void
test_truncated_and_trailing(void **state)
{
	struct msg_volume_record	*in = malloc(sizeof(*in));
	struct msg_volume_record	*out = malloc(sizeof(*out));
	struct buf_writer		 w;
	size_t				 n;

	(void)state;
	fill_record(in);
	encode(in, &w);
	for (n = 0; n < w.len; n++)
		assert_int_equal(msg_decode_volume_record(w.data, n, out),
		    DSP_E_FRAME);
	buf_put_u8(&w, 0);
	assert_int_equal(msg_decode_volume_record(w.data, w.len, out),
	    DSP_E_FRAME);
	buf_writer_free(&w);
	free(in);
	free(out);
}

/* One field out of its domain at a time. */
static void
test_invalid_fields(void **state)
{
	struct msg_volume_record	*in = malloc(sizeof(*in));
	struct msg_volume_record	*out = malloc(sizeof(*out));
	struct buf_writer		 w;
	int				 k;

	(void)state;
	for (k = 0; k < 9; k++) {
		fill_record(in);
		switch (k) {
		case 0: snprintf(in->name, sizeof(in->name), "bad name"); break;
		case 1: in->form = 9; break;
		case 2: in->size = 0; break;
		case 3: in->generation = 0; break;
		case 4: in->extents[1].leg_state = 3; break;
		case 5: in->extents[0].length = 0; break;
		case 6: in->bitmap_len = sizeof(bits) - 1; break;
		case 7: in->form = DSP_FORM_CONCAT; break;	/* bitmap */
		case 8: in->extents[0].offset = UINT64_MAX; break;
		}
		encode(in, &w);
		if (msg_decode_volume_record(w.data, w.len, out) !=
		    DSP_E_INVALID)
			fail_msg("case %d was not refused as invalid", k);
		buf_writer_free(&w);
	}
	fill_record(in);
	in->extent_count = DSP_MAX_EXTENTS + 1;
	buf_writer_init(&w);
	msg_encode_volume_record(&w, in);
	assert_int_equal(w.error, 1);
	buf_writer_free(&w);
	free(in);
	free(out);
}

/* Equal records, equal digests; any change, another digest; the digest
 * of the bytes is the digest of the record. */
static void
test_digest(void **state)
{
	struct msg_volume_record	*m = malloc(sizeof(*m));
	struct buf_writer		 w;
	uint8_t				 a[DSP_DIGEST_LEN], b[DSP_DIGEST_LEN];
	uint8_t				 c[DSP_DIGEST_LEN];

	(void)state;
	fill_record(m);
	assert_int_equal(msg_volume_record_digest(m, a), 0);
	encode(m, &w);
	msg_digest_bytes(w.data, w.len, c);
	assert_memory_equal(a, c, DSP_DIGEST_LEN);
	buf_writer_free(&w);
	m->extents[2].leg_state = DSP_LEG_RESYNCING;
	assert_int_equal(msg_volume_record_digest(m, b), 0);
	assert_memory_not_equal(a, b, DSP_DIGEST_LEN);
	fill_record(m);
	bits[999 / 8] |= 0x80;
	assert_int_equal(msg_volume_record_digest(m, b), 0);
	assert_memory_not_equal(a, b, DSP_DIGEST_LEN);
	fill_record(m);
	assert_int_equal(msg_volume_record_digest(m, b), 0);
	assert_memory_equal(a, b, DSP_DIGEST_LEN);
	free(m);
}

static void
test_names_and_verdict(void **state)
{
	struct msg_volume_names	*in = calloc(1, sizeof(*in));
	struct msg_volume_names	*out = malloc(sizeof(*out));
	struct buf_writer	 w;
	uint8_t			 v;
	size_t			 n;

	(void)state;
	in->count = DSP_MAX_GENERATIONS;
	for (n = 0; n < in->count; n++)
		snprintf(in->names[n], sizeof(in->names[n]), "V%05zu", n);
	buf_writer_init(&w);
	msg_encode_volume_names(&w, in);
	assert_int_equal(msg_decode_volume_names(w.data, w.len, out), DSP_OK);
	assert_int_equal(out->count, DSP_MAX_GENERATIONS);
	assert_string_equal(out->names[1023], "V01023");
	for (n = 0; n < w.len; n += 97)
		assert_int_equal(msg_decode_volume_names(w.data, n, out),
		    DSP_E_FRAME);
	buf_writer_reset(&w);
	buf_put_u16(&w, DSP_MAX_GENERATIONS + 1);
	assert_int_equal(msg_decode_volume_names(w.data, w.len, out),
	    DSP_E_FRAME);
	buf_writer_reset(&w);
	buf_put_u16(&w, 1);
	buf_put_string(&w, "no/slash");
	assert_int_equal(msg_decode_volume_names(w.data, w.len, out),
	    DSP_E_INVALID);
	buf_writer_reset(&w);
	msg_encode_verdict(&w, DSP_RECORD_DROP);
	assert_int_equal(msg_decode_verdict(w.data, w.len, &v), DSP_OK);
	assert_int_equal(v, DSP_RECORD_DROP);
	buf_writer_reset(&w);
	msg_encode_verdict(&w, 2);
	assert_int_equal(msg_decode_verdict(w.data, w.len, &v), DSP_E_INVALID);
	assert_int_equal(msg_decode_verdict(w.data, 0, &v), DSP_E_FRAME);
	buf_writer_free(&w);
	free(in);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_invalid_fields),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_names_and_verdict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
