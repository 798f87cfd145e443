/*
 * Every message: round trip, every truncation refused, a trailing byte
 * refused, counts past the arrays refused, bad names refused, and the
 * data requests' per-opcode rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msg.h"

/* A codec under test, so the generic checks loop over a table. */
struct codec {
	const char	*name;
	size_t		 size;
	void		(*fill)(void *);
	void		(*encode)(struct buf_writer *, const void *);
	int		(*decode)(const uint8_t *, size_t, void *);
	void		(*compare)(const void *, const void *);
	/* The length an older sender's message has, a prefix of this
	 * one's that decodes (NULL: none). */
	size_t		(*older)(const void *);
};

static uint8_t	pattern[4096];
static uint8_t	payload[DSP_MAX_IO];

static void
fill_register(void *p)
{
	struct msg_register	*m = p;
	uint16_t		 i;

	snprintf(m->server, sizeof(m->server), "serverJ");
	snprintf(m->host, sizeof(m->host), "127.0.0.2");
	m->port = 7401;
	m->region_count = DSP_MAX_REGIONS;
	for (i = 0; i < m->region_count; i++) {
		snprintf(m->regions[i].name, sizeof(m->regions[i].name),
		    "disk-%u", i);
		m->regions[i].size = (uint64_t)i << 33;
		m->regions[i].available = i % 2;
		if (i % 2 == 0)
			snprintf(m->regions[i].reason,
			    sizeof(m->regions[i].reason), "missing %u", i);
		snprintf(m->regions[i].backing, sizeof(m->regions[i].backing),
		    "/dev/disk/by-id/wwn-%u@%u+1048576", i, i << 20);
	}
}

/* A REGISTER as agents of before send it: no backings. Its length. */
static size_t
older_register(const void *p)
{
	struct msg_register	m = *(const struct msg_register *)p;
	struct buf_writer	w;
	size_t			len, i;

	for (i = 0; i < m.region_count; i++)
		m.regions[i].backing[0] = '\0';
	buf_writer_init(&w);
	msg_encode_register(&w, &m);
	/* Each empty backing is its u16 length. */
	len = w.len - 2 * m.region_count;
	buf_writer_free(&w);
	return len;
}

static void
fill_generations(void *p)
{
	struct msg_generations	*m = p;
	uint16_t		 i;

	m->count = 256;
	for (i = 0; i < m->count; i++) {
		snprintf(m->items[i].volume, sizeof(m->items[i].volume),
		    "Vol-%u", i);
		m->items[i].generation = UINT64_MAX - i;
		m->items[i].revision = (uint64_t)i << 20;
		memset(m->items[i].digest, i, DSP_DIGEST_LEN);
	}
}

static void
fill_generation_page(void *p)
{
	struct msg_generation_page	*m = p;
	uint16_t			 i;

	m->gens.count = DSP_MAX_GENERATIONS;
	for (i = 0; i < m->gens.count; i++) {
		snprintf(m->gens.items[i].volume,
		    sizeof(m->gens.items[i].volume), "V%05u", i);
		m->gens.items[i].generation = (uint64_t)i << 40;
		m->gens.items[i].revision = i;
		m->gens.items[i].digest[i % DSP_DIGEST_LEN] = (uint8_t)i;
	}
	m->more = 1;
}

static void
fill_attach(void *p)
{
	struct msg_attach	*m = p;

	m->ticket = pattern;
	m->ticket_len = DSP_TICKET_MAX;
	m->stream = 0x0123456789abcdefULL;
}

static void
compare_attach(const void *pa, const void *pb)
{
	const struct msg_attach	*a = pa, *b = pb;

	assert_int_equal(a->ticket_len, b->ticket_len);
	assert_memory_equal(a->ticket, b->ticket, a->ticket_len);
	assert_true(a->stream == b->stream);
}

static void
fill_allocate(void *p)
{
	struct msg_allocate	*m = p;

	snprintf(m->volume, sizeof(m->volume), "Vol-1");
	m->min_size = 200ULL << 30;
}

static void
fill_allocated(void *p)
{
	struct msg_allocated	*m = p;

	snprintf(m->volume, sizeof(m->volume), "Vol-1");
	m->size = 512ULL << 20;
}

static void
fill_volume_ref(void *p)
{
	struct msg_volume_ref	*m = p;

	memset(m->volume, 'v', DSP_NAME_MAX);	/* the longest name */
	m->volume[DSP_NAME_MAX] = '\0';
}

static void
fill_mount_info(void *p)
{
	struct msg_mount_info	*m = p;
	uint16_t		 i;

	snprintf(m->volume, sizeof(m->volume), "Vol-2");
	m->form = DSP_FORM_SINGLE;
	m->size = 1ULL << 40;
	m->status = 1;
	m->generation = 42;
	m->expires_at = 1700000000;
	m->extent_count = DSP_MAX_EXTENTS;
	for (i = 0; i < m->extent_count; i++) {
		struct msg_extent *e = &m->extents[i];

		snprintf(e->server, sizeof(e->server), "server%u", i);
		snprintf(e->host, sizeof(e->host), "::1");
		e->port = (uint16_t)(7401 + i);
		snprintf(e->region, sizeof(e->region), "nvme0n%u", i);
		e->offset = (uint64_t)i << 30;
		e->length = 1ULL << 30;
	}
	m->ticket_len = DSP_TICKET_MAX;
	for (i = 0; i < DSP_TICKET_MAX; i++)
		m->ticket[i] = (uint8_t)(i * 7);
}

static void
fill_attached(void *p)
{
	struct msg_attached	*m = p;

	snprintf(m->volume, sizeof(m->volume), "Vol.3_x:y");
	m->generation = 9;
	m->expires_at = UINT64_MAX;
}

static void
fill_revoke(void *p)
{
	struct msg_revoke	*m = p;

	snprintf(m->volume, sizeof(m->volume), "Vol-4");
	m->generation = 1ULL << 63;
}

/* Plain structs compare whole: decoders and fills both start from zero. */
static void
compare_memory(const void *a, const void *b)
{
	(void)a;
	(void)b;
}

#define ENC(fn, type)							\
static void								\
enc_##fn(struct buf_writer *w, const void *m)				\
{									\
	msg_encode_##fn(w, (const type *)m);				\
}									\
static int								\
dec_##fn(const uint8_t *p, size_t len, void *m)			\
{									\
	return msg_decode_##fn(p, len, (type *)m);			\
}

ENC(register, struct msg_register)
ENC(generations, struct msg_generations)
ENC(allocate, struct msg_allocate)
ENC(allocated, struct msg_allocated)
ENC(volume_ref, struct msg_volume_ref)
ENC(mount_info, struct msg_mount_info)
ENC(attached, struct msg_attached)
ENC(generation_page, struct msg_generation_page)
ENC(attach, struct msg_attach)
ENC(revoke, struct msg_revoke)

/* Text: the "struct" is the output buffer. */
static char	text_in[DSP_TEXT_MAX + 1];

static void
fill_text(void *p)
{
	size_t	i;

	(void)p;
	for (i = 0; i < 3000; i++)
		text_in[i] = (char)('a' + i % 26);
	text_in[i] = '\0';
}

static void
enc_text(struct buf_writer *w, const void *m)
{
	(void)m;
	msg_encode_text(w, text_in);
}

static int
dec_text(const uint8_t *p, size_t len, void *m)
{
	return msg_decode_text(p, len, m);
}

static void
compare_text(const void *a, const void *b)
{
	(void)a;
	assert_string_equal(b, text_in);
}

/* Data requests and replies, one codec per opcode. */
static uint8_t	data_opcode;

static void
fill_data_request(void *p)
{
	struct msg_data_request	*m = p;

	snprintf(m->requester, sizeof(m->requester), "serverB");
	snprintf(m->volume, sizeof(m->volume), "Vol-1");
	snprintf(m->region, sizeof(m->region), "disk0");
	m->offset = 1ULL << 35;
	m->length = 4096;
	switch (data_opcode) {
	case DSP_OP_WRITE:
		m->length = DSP_MAX_IO;
		m->data = payload;
		m->data_len = DSP_MAX_IO;
		break;
	case DSP_OP_SEARCH:
		m->length = 1ULL << 40;
		m->max_matches = DSP_MAX_MATCHES;
		m->data = pattern;
		m->data_len = sizeof(pattern);
		break;
	case DSP_OP_INIT:
	case DSP_OP_ERASE:
		m->length = 1ULL << 42;
		break;
	case DSP_OP_FLUSH:
		m->offset = m->length = 0;
		break;
	}
}

static void
enc_data_request(struct buf_writer *w, const void *m)
{
	msg_encode_data_request(w, data_opcode, m);
}

static int
dec_data_request(const uint8_t *p, size_t len, void *m)
{
	return msg_decode_data_request(p, len, data_opcode, m);
}

static void
compare_data_request(const void *pa, const void *pb)
{
	const struct msg_data_request	*a = pa, *b = pb;

	assert_string_equal(a->requester, b->requester);
	assert_string_equal(a->volume, b->volume);
	assert_string_equal(a->region, b->region);
	assert_true(a->offset == b->offset);
	assert_true(a->length == b->length);
	assert_int_equal(a->max_matches, b->max_matches);
	assert_int_equal(a->data_len, b->data_len);
	if (a->data_len > 0)
		assert_memory_equal(a->data, b->data, a->data_len);
}

static void
fill_data_reply(void *p)
{
	struct msg_data_reply	*m = p;
	uint32_t		 i;

	snprintf(m->requester, sizeof(m->requester), "serverB");
	snprintf(m->volume, sizeof(m->volume), "Vol-1");
	snprintf(m->region, sizeof(m->region), "disk0");
	m->offset = 8192;
	m->length = DSP_MAX_IO;
	m->done = DSP_MAX_IO;
	if (data_opcode == DSP_OP_READ) {
		m->data = payload;
		m->data_len = DSP_MAX_IO;
	} else if (data_opcode == DSP_OP_SEARCH) {
		m->match_count = DSP_MAX_MATCHES;
		for (i = 0; i < m->match_count; i++)
			m->matches[i] = (uint64_t)i * 4096 + 3;
	} else if (data_opcode == DSP_OP_MAP) {
		/* Runs of 8192 bytes, hole and data by turns. */
		m->run_count = DSP_MAX_RUNS;
		for (i = 0; i < m->run_count; i++) {
			m->runs[i].length = 8192;
			m->runs[i].flags = i % 2 ? DSP_RUN_HOLE : 0;
		}
		m->done = (uint64_t)DSP_MAX_RUNS * 8192;
	}
}

static void
enc_data_reply(struct buf_writer *w, const void *m)
{
	msg_encode_data_reply(w, data_opcode, m);
}

static int
dec_data_reply(const uint8_t *p, size_t len, void *m)
{
	return msg_decode_data_reply(p, len, data_opcode, m);
}

static void
compare_data_reply(const void *pa, const void *pb)
{
	const struct msg_data_reply	*a = pa, *b = pb;

	assert_string_equal(a->requester, b->requester);
	assert_string_equal(a->volume, b->volume);
	assert_string_equal(a->region, b->region);
	assert_true(a->offset == b->offset);
	assert_true(a->length == b->length);
	assert_true(a->done == b->done);
	if (data_opcode == DSP_OP_SEARCH) {
		assert_int_equal(a->match_count, b->match_count);
		assert_memory_equal(a->matches, b->matches,
		    a->match_count * sizeof(a->matches[0]));
	} else
		assert_int_equal(b->match_count, 0);
	assert_int_equal(a->run_count, b->run_count);
	assert_memory_equal(a->runs, b->runs,
	    a->run_count * sizeof(a->runs[0]));
	if (data_opcode == DSP_OP_READ) {
		assert_int_equal(a->data_len, b->data_len);
		assert_memory_equal(a->data, b->data, a->data_len);
	} else
		assert_int_equal(b->data_len, 0);
}

#define CODEC(n, type, cmp)						\
	{ #n, sizeof(type), fill_##n, enc_##n, dec_##n, cmp, NULL }

static const struct codec codecs[] = {
	{ "register", sizeof(struct msg_register), fill_register, enc_register,
	    dec_register, compare_memory, older_register },
	CODEC(generations, struct msg_generations, compare_memory),
	CODEC(allocate, struct msg_allocate, compare_memory),
	CODEC(allocated, struct msg_allocated, compare_memory),
	CODEC(volume_ref, struct msg_volume_ref, compare_memory),
	CODEC(mount_info, struct msg_mount_info, compare_memory),
	CODEC(attached, struct msg_attached, compare_memory),
	CODEC(generation_page, struct msg_generation_page, compare_memory),
	CODEC(attach, struct msg_attach, compare_attach),
	CODEC(revoke, struct msg_revoke, compare_memory),
	{ "text", DSP_TEXT_MAX + 1, fill_text, enc_text, dec_text,
	    compare_text, NULL },
	CODEC(data_request, struct msg_data_request, compare_data_request),
	CODEC(data_reply, struct msg_data_reply, compare_data_reply),
};

static const uint8_t data_opcodes[] = {
	DSP_OP_INIT, DSP_OP_WRITE, DSP_OP_READ, DSP_OP_SEARCH, DSP_OP_ERASE,
	DSP_OP_FLUSH, DSP_OP_MAP,
};

#define NCODECS		(sizeof(codecs) / sizeof(codecs[0]))
#define NDATAOPS	(sizeof(data_opcodes) / sizeof(data_opcodes[0]))

/* Encodes a filled message; the caller frees the writer. */
static void
encode_sample(const struct codec *c, struct buf_writer *w, void *in)
{
	memset(in, 0, c->size);
	c->fill(in);
	buf_writer_init(w);
	c->encode(w, in);
	assert_int_equal(w->error, 0);
}

static void
check_round_trip(const struct codec *c)
{
	struct buf_writer	 w;
	void			*in = calloc(1, c->size);
	void			*out = calloc(1, c->size);

	assert_non_null(in);
	assert_non_null(out);
	encode_sample(c, &w, in);
	if (c->decode(w.data, w.len, out) != DSP_OK)
		fail_msg("%s (op %u) did not decode", c->name, data_opcode);
	if (c->compare == compare_memory)
		assert_memory_equal(in, out, c->size);
	else
		c->compare(in, out);
	buf_writer_free(&w);
	free(in);
	free(out);
}

/* Every strict prefix and the message plus one byte are refused. */
static void
check_truncated_and_trailing(const struct codec *c)
{
	struct buf_writer	 w;
	void			*in = calloc(1, c->size);
	void			*out = calloc(1, c->size);
	uint8_t			*copy;
	size_t			 len, step;

	assert_non_null(in);
	assert_non_null(out);
	encode_sample(c, &w, in);
	/* Copies, so ASan sees any read past the given length. Past 20000
	 * bytes (a page of generations, a 1 MiB data request): every length
	 * within 300 bytes of either end and about 500 between (a copy of
	 * each 97th length of a megabyte took a minute under ASan). */
	step = w.len > 20000 ? (w.len / 500) | 1 : 1;
	for (len = 0; len < w.len; len += (len < 300 || len + 300 > w.len)
	    ? 1 : step) {
		copy = malloc(len > 0 ? len : 1);
		assert_non_null(copy);
		memcpy(copy, w.data, len);
		if (c->decode(copy, len, out) == DSP_OK &&
		    (c->older == NULL || len != c->older(in)))
			fail_msg("%s (op %u) accepted %zu of %zu bytes",
			    c->name, data_opcode, len, w.len);
		free(copy);
	}
	buf_put_u8(&w, 0);
	assert_int_equal(c->decode(w.data, w.len, out), DSP_E_FRAME);
	buf_writer_free(&w);
	free(in);
	free(out);
}

static void
test_round_trip(void **state)
{
	size_t	i, j;

	(void)state;
	for (i = 0; i < NCODECS; i++) {
		data_opcode = 0;
		if (strncmp(codecs[i].name, "data_", 5) != 0) {
			check_round_trip(&codecs[i]);
			continue;
		}
		for (j = 0; j < NDATAOPS; j++) {
			data_opcode = data_opcodes[j];
			check_round_trip(&codecs[i]);
		}
	}
}

static void
test_truncated_and_trailing(void **state)
{
	size_t	i, j;

	(void)state;
	for (i = 0; i < NCODECS; i++) {
		data_opcode = 0;
		if (strncmp(codecs[i].name, "data_", 5) != 0) {
			check_truncated_and_trailing(&codecs[i]);
			continue;
		}
		for (j = 0; j < NDATAOPS; j++) {
			data_opcode = data_opcodes[j];
			check_truncated_and_trailing(&codecs[i]);
		}
	}
}

/* Empty and minimal messages round trip too. */
static void
test_minimal(void **state)
{
	struct buf_writer	w;
	struct msg_register	reg, reg2;
	struct msg_generations	gen;
	struct msg_allocate	alloc;
	char			*text = malloc(DSP_TEXT_MAX + 1);

	(void)state;
	assert_non_null(text);
	buf_writer_init(&w);
	memset(&gen, 0, sizeof(gen));
	msg_encode_generations(&w, &gen);
	assert_int_equal(w.len, 2);
	assert_int_equal(msg_decode_generations(w.data, w.len, &gen), DSP_OK);
	assert_int_equal(gen.count, 0);

	buf_writer_reset(&w);
	memset(&reg, 0, sizeof(reg));
	snprintf(reg.server, sizeof(reg.server), "a");
	snprintf(reg.host, sizeof(reg.host), "b");
	reg.port = 1;
	msg_encode_register(&w, &reg);
	assert_int_equal(msg_decode_register(w.data, w.len, &reg2), DSP_OK);
	assert_memory_equal(&reg, &reg2, sizeof(reg));

	/* ALLOCATE of "any volume". */
	buf_writer_reset(&w);
	memset(&alloc, 0, sizeof(alloc));
	alloc.min_size = 1;
	msg_encode_allocate(&w, &alloc);
	assert_int_equal(msg_decode_allocate(w.data, w.len, &alloc), DSP_OK);
	assert_string_equal(alloc.volume, "");

	buf_writer_reset(&w);
	msg_encode_text(&w, "");
	assert_int_equal(msg_decode_text(w.data, w.len, text), DSP_OK);
	assert_string_equal(text, "");
	buf_writer_free(&w);
	free(text);
}

static void
test_text_limits(void **state)
{
	struct buf_writer	 w;
	char			*big = malloc(DSP_TEXT_MAX + 2);
	char			*out = malloc(DSP_TEXT_MAX + 1);
	static const uint8_t	 nul[] = { 0, 0, 0, 3, 'a', 0, 'b' };

	(void)state;
	assert_non_null(big);
	assert_non_null(out);
	memset(big, 'x', DSP_TEXT_MAX + 1);
	big[DSP_TEXT_MAX + 1] = '\0';
	/* The encoder cuts what the decoder would refuse. */
	buf_writer_init(&w);
	msg_encode_text(&w, big);
	assert_int_equal(w.len, 4 + DSP_TEXT_MAX);
	assert_int_equal(msg_decode_text(w.data, w.len, out), DSP_OK);
	assert_int_equal(strlen(out), DSP_TEXT_MAX);
	/* A hand-made blob one byte too long is refused. */
	buf_writer_reset(&w);
	buf_put_blob(&w, big, DSP_TEXT_MAX + 1);
	assert_int_equal(msg_decode_text(w.data, w.len, out), DSP_E_FRAME);
	assert_int_equal(msg_decode_text(nul, sizeof(nul), out),
	    DSP_E_INVALID);
	buf_writer_free(&w);
	free(big);
	free(out);
}

/* Hand-built payloads whose count goes past the struct's array. */
static void
test_oversized_counts(void **state)
{
	struct buf_writer	 w;
	struct msg_register	*reg = malloc(sizeof(*reg));
	struct msg_generations	*gen = malloc(sizeof(*gen));
	struct msg_mount_info	*mi = malloc(sizeof(*mi));
	struct msg_data_reply	*dr = malloc(sizeof(*dr));
	uint16_t		 i;

	(void)state;
	assert_non_null(reg);
	assert_non_null(gen);
	assert_non_null(mi);
	assert_non_null(dr);
	buf_writer_init(&w);

	/* REGISTER with 65 well-formed regions. */
	buf_put_string(&w, "serverJ");
	buf_put_string(&w, "host");
	buf_put_u16(&w, 7401);
	buf_put_u16(&w, DSP_MAX_REGIONS + 1);
	for (i = 0; i < DSP_MAX_REGIONS + 1; i++) {
		buf_put_string(&w, "r");
		buf_put_u64(&w, 1);
		buf_put_u8(&w, 1);
		buf_put_string(&w, "");
	}
	assert_int_equal(msg_decode_register(w.data, w.len, reg), DSP_E_FRAME);

	buf_writer_reset(&w);
	buf_put_u16(&w, DSP_MAX_GENERATIONS + 1);
	for (i = 0; i < DSP_MAX_GENERATIONS + 1; i++) {
		buf_put_string(&w, "v");
		buf_put_u64(&w, 1);
	}
	assert_int_equal(msg_decode_generations(w.data, w.len, gen),
	    DSP_E_FRAME);

	buf_writer_reset(&w);
	buf_put_string(&w, "v");
	buf_put_u8(&w, DSP_FORM_SINGLE);
	buf_put_u64(&w, 1);
	buf_put_u8(&w, 1);
	buf_put_u64(&w, 1);
	buf_put_u64(&w, 1);
	buf_put_u16(&w, DSP_MAX_EXTENTS + 1);
	for (i = 0; i < DSP_MAX_EXTENTS + 1; i++) {
		buf_put_string(&w, "s");
		buf_put_string(&w, "h");
		buf_put_u16(&w, 1);
		buf_put_string(&w, "r");
		buf_put_u64(&w, 0);
		buf_put_u64(&w, 1);
	}
	buf_put_blob(&w, "t", 1);
	assert_int_equal(msg_decode_mount_info(w.data, w.len, mi), DSP_E_FRAME);

	/* A ticket longer than DSP_TICKET_MAX. */
	buf_writer_reset(&w);
	buf_put_string(&w, "v");
	buf_put_u8(&w, DSP_FORM_SINGLE);
	buf_put_u64(&w, 1);
	buf_put_u8(&w, 1);
	buf_put_u64(&w, 1);
	buf_put_u64(&w, 1);
	buf_put_u16(&w, 0);
	buf_put_blob(&w, payload, DSP_TICKET_MAX + 1);
	assert_int_equal(msg_decode_mount_info(w.data, w.len, mi), DSP_E_FRAME);

	buf_writer_reset(&w);
	buf_put_string(&w, "serverB");
	buf_put_string(&w, "Vol-1");
	buf_put_string(&w, "disk0");
	buf_put_u64(&w, 0);
	buf_put_u64(&w, 4096);
	buf_put_u64(&w, 4096);
	buf_put_u32(&w, DSP_MAX_MATCHES + 1);
	for (i = 0; i < DSP_MAX_MATCHES + 1; i++)
		buf_put_u64(&w, i);
	assert_int_equal(msg_decode_data_reply(w.data, w.len, DSP_OP_SEARCH,
	    dr), DSP_E_FRAME);

	/* The encoders refuse impossible counts instead of overreading. */
	buf_writer_reset(&w);
	memset(gen, 0, sizeof(*gen));
	gen->count = DSP_MAX_GENERATIONS + 1;
	msg_encode_generations(&w, gen);
	assert_int_equal(w.error, 1);
	buf_writer_reset(&w);
	memset(mi, 0, sizeof(*mi));
	mi->ticket_len = DSP_TICKET_MAX + 1;
	msg_encode_mount_info(&w, mi);
	assert_int_equal(w.error, 1);

	buf_writer_free(&w);
	free(reg);
	free(gen);
	free(mi);
	free(dr);
}

static void
test_name_valid(void **state)
{
	char	name[DSP_NAME_MAX + 2];

	(void)state;
	assert_true(msg_name_valid("Vol-1"));
	assert_true(msg_name_valid("a"));
	assert_true(msg_name_valid("host.example.org"));
	assert_true(msg_name_valid("fe80::1"));
	assert_true(msg_name_valid("under_score"));
	assert_false(msg_name_valid(""));
	assert_false(msg_name_valid(NULL));
	assert_false(msg_name_valid("a b"));
	assert_false(msg_name_valid("a/b"));
	assert_false(msg_name_valid("vol\n"));
	assert_false(msg_name_valid("caf\xc3\xa9"));
	memset(name, 'n', DSP_NAME_MAX);
	name[DSP_NAME_MAX] = '\0';
	assert_true(msg_name_valid(name));
	name[DSP_NAME_MAX] = 'n';
	name[DSP_NAME_MAX + 1] = '\0';
	assert_false(msg_name_valid(name));
}

/* A one-string message with the given name, for the name checks. */
static void
put_ref(struct buf_writer *w, const char *name)
{
	buf_writer_reset(w);
	buf_put_string(w, name);
}

static void
test_bad_names(void **state)
{
	struct buf_writer	w;
	struct msg_volume_ref	ref;
	struct msg_allocate	alloc;
	struct msg_revoke	rev;
	struct msg_attached	att;
	char			long_name[DSP_NAME_MAX + 2];

	(void)state;
	buf_writer_init(&w);
	put_ref(&w, "bad name");
	assert_int_equal(msg_decode_volume_ref(w.data, w.len, &ref),
	    DSP_E_INVALID);
	put_ref(&w, "");
	assert_int_equal(msg_decode_volume_ref(w.data, w.len, &ref),
	    DSP_E_INVALID);
	memset(long_name, 'x', DSP_NAME_MAX + 1);
	long_name[DSP_NAME_MAX + 1] = '\0';
	put_ref(&w, long_name);
	assert_int_equal(msg_decode_volume_ref(w.data, w.len, &ref),
	    DSP_E_FRAME);
	/* Embedded NUL. */
	buf_writer_reset(&w);
	buf_put_u16(&w, 3);
	buf_put_bytes(&w, "a\0b", 3);
	assert_int_equal(msg_decode_volume_ref(w.data, w.len, &ref),
	    DSP_E_FRAME);

	put_ref(&w, "../etc");
	buf_put_u64(&w, 1);
	assert_int_equal(msg_decode_allocate(w.data, w.len, &alloc),
	    DSP_E_INVALID);
	assert_int_equal(msg_decode_revoke(w.data, w.len, &rev),
	    DSP_E_INVALID);
	assert_int_equal(msg_decode_allocated(w.data, w.len,
	    (struct msg_allocated *)&alloc), DSP_E_INVALID);
	buf_put_u64(&w, 1);
	assert_int_equal(msg_decode_attached(w.data, w.len, &att),
	    DSP_E_INVALID);
	buf_writer_free(&w);
}

/* Bad names and values deep inside the bigger messages. */
static void
test_bad_fields(void **state)
{
	struct buf_writer	 w;
	struct msg_register	*reg = calloc(1, sizeof(*reg));
	struct msg_generations	*gen = calloc(1, sizeof(*gen));
	struct msg_mount_info	*mi = calloc(1, sizeof(*mi));
	/* Big enough for any of the three. */
	void			*out = calloc(1, sizeof(*reg) + sizeof(*gen) +
				    sizeof(*mi));

	(void)state;
	assert_non_null(reg);
	assert_non_null(gen);
	assert_non_null(mi);
	assert_non_null(out);
	buf_writer_init(&w);

	/* An agent of before sends no backings: read as empty. */
	fill_register(reg);
	msg_encode_register(&w, reg);
	assert_int_equal(msg_decode_register(w.data, older_register(reg), out),
	    DSP_OK);
	assert_string_equal(((struct msg_register *)out)->regions[3].backing,
	    "");
	buf_writer_reset(&w);
	fill_register(reg);
	snprintf(reg->regions[5].name, sizeof(reg->regions[5].name), "d 5");
	msg_encode_register(&w, reg);
	assert_int_equal(msg_decode_register(w.data, w.len, out),
	    DSP_E_INVALID);
	fill_register(reg);
	reg->regions[3].available = 2;
	buf_writer_reset(&w);
	msg_encode_register(&w, reg);
	assert_int_equal(msg_decode_register(w.data, w.len, out),
	    DSP_E_INVALID);
	fill_register(reg);
	reg->port = 0;
	buf_writer_reset(&w);
	msg_encode_register(&w, reg);
	assert_int_equal(msg_decode_register(w.data, w.len, out),
	    DSP_E_INVALID);

	fill_generations(gen);
	gen->items[255].volume[0] = '\0';
	buf_writer_reset(&w);
	msg_encode_generations(&w, gen);
	assert_int_equal(msg_decode_generations(w.data, w.len, out),
	    DSP_E_INVALID);

	fill_mount_info(mi);
	snprintf(mi->extents[15].host, sizeof(mi->extents[15].host), "h/x");
	buf_writer_reset(&w);
	msg_encode_mount_info(&w, mi);
	assert_int_equal(msg_decode_mount_info(w.data, w.len, out),
	    DSP_E_INVALID);
	fill_mount_info(mi);
	mi->form = 0;
	buf_writer_reset(&w);
	msg_encode_mount_info(&w, mi);
	assert_int_equal(msg_decode_mount_info(w.data, w.len, out),
	    DSP_E_INVALID);
	fill_mount_info(mi);
	mi->extents[0].offset = UINT64_MAX;
	buf_writer_reset(&w);
	msg_encode_mount_info(&w, mi);
	assert_int_equal(msg_decode_mount_info(w.data, w.len, out),
	    DSP_E_INVALID);

	buf_writer_free(&w);
	free(reg);
	free(gen);
	free(mi);
	free(out);
}

/* A data request with every field chosen by the test. */
static int
decode_raw_request(uint8_t opcode, const char *volume, uint64_t offset,
    uint64_t length, uint32_t max_matches, size_t data_len)
{
	struct buf_writer	w;
	struct msg_data_request	m;
	int			rc;

	buf_writer_init(&w);
	buf_put_string(&w, "serverB");
	buf_put_string(&w, volume);
	buf_put_string(&w, "disk0");
	buf_put_u64(&w, offset);
	buf_put_u64(&w, length);
	buf_put_u32(&w, max_matches);
	buf_put_blob(&w, payload, data_len);
	assert_int_equal(w.error, 0);
	rc = msg_decode_data_request(w.data, w.len, opcode, &m);
	if (rc == DSP_OK && data_len > 0)
		assert_ptr_equal(m.data, w.data + w.len - data_len);
	buf_writer_free(&w);
	return rc;
}

static void
test_data_request_rules(void **state)
{
	struct msg_data_reply	reply;

	(void)state;
	/* WRITE: data_len == length <= DSP_MAX_IO. */
	assert_int_equal(decode_raw_request(DSP_OP_WRITE, "v", 0, 512, 0, 512),
	    DSP_OK);
	assert_int_equal(decode_raw_request(DSP_OP_WRITE, "v", 0, 0, 0, 0),
	    DSP_OK);
	assert_int_equal(decode_raw_request(DSP_OP_WRITE, "v", 0, 512, 0, 511),
	    DSP_E_FRAME);
	assert_int_equal(decode_raw_request(DSP_OP_WRITE, "v", 0, 512, 0, 513),
	    DSP_E_FRAME);
	assert_int_equal(decode_raw_request(DSP_OP_WRITE, "v", 0,
	    DSP_MAX_IO + 1, 0, DSP_MAX_IO), DSP_E_TOOBIG);
	assert_int_equal(decode_raw_request(DSP_OP_WRITE, "v", 0, 512, 1, 512),
	    DSP_E_INVALID);
	assert_int_equal(decode_raw_request(DSP_OP_WRITE, "v", UINT64_MAX, 512,
	    0, 512), DSP_E_INVALID);
	/* READ: no data, length <= DSP_MAX_IO. */
	assert_int_equal(decode_raw_request(DSP_OP_READ, "v", 0, DSP_MAX_IO, 0,
	    0), DSP_OK);
	assert_int_equal(decode_raw_request(DSP_OP_READ, "v", 0,
	    DSP_MAX_IO + 1, 0, 0), DSP_E_TOOBIG);
	assert_int_equal(decode_raw_request(DSP_OP_READ, "v", 0, 10, 0, 10),
	    DSP_E_FRAME);
	/* SEARCH: 1..4096 pattern bytes, max_matches <= DSP_MAX_MATCHES. */
	assert_int_equal(decode_raw_request(DSP_OP_SEARCH, "v", 0, 1ULL << 40,
	    DSP_MAX_MATCHES, 1), DSP_OK);
	assert_int_equal(decode_raw_request(DSP_OP_SEARCH, "v", 0, 1ULL << 40,
	    1, 4096), DSP_OK);
	assert_int_equal(decode_raw_request(DSP_OP_SEARCH, "v", 0, 1ULL << 40,
	    1, 0), DSP_E_INVALID);
	assert_int_equal(decode_raw_request(DSP_OP_SEARCH, "v", 0, 1ULL << 40,
	    1, 4097), DSP_E_INVALID);
	assert_int_equal(decode_raw_request(DSP_OP_SEARCH, "v", 0, 1ULL << 40,
	    DSP_MAX_MATCHES + 1, 4), DSP_E_INVALID);
	/* INIT, ERASE, FLUSH: no data, any length. */
	assert_int_equal(decode_raw_request(DSP_OP_INIT, "v", 0, UINT64_MAX,
	    0, 0), DSP_OK);
	assert_int_equal(decode_raw_request(DSP_OP_ERASE, "v", 1, UINT64_MAX,
	    0, 0), DSP_E_INVALID);
	assert_int_equal(decode_raw_request(DSP_OP_ERASE, "v", 0, 1, 0, 1),
	    DSP_E_FRAME);
	assert_int_equal(decode_raw_request(DSP_OP_INIT, "v", 0, 1, 0, 1),
	    DSP_E_FRAME);
	assert_int_equal(decode_raw_request(DSP_OP_FLUSH, "v", 0, 0, 0, 0),
	    DSP_OK);
	assert_int_equal(decode_raw_request(DSP_OP_FLUSH, "v", 0, 0, 0, 1),
	    DSP_E_FRAME);
	/* Names and opcodes. */
	assert_int_equal(decode_raw_request(DSP_OP_READ, "", 0, 1, 0, 0),
	    DSP_E_INVALID);
	assert_int_equal(decode_raw_request(DSP_OP_READ, "a b", 0, 1, 0, 0),
	    DSP_E_INVALID);
	assert_int_equal(decode_raw_request(DSP_OP_MOUNT, "v", 0, 1, 0, 0),
	    DSP_E_OPCODE);
	assert_int_equal(msg_decode_data_reply(NULL, 0, DSP_OP_ATTACH,
	    &reply), DSP_E_OPCODE);
}

static void
test_data_request_encoder(void **state)
{
	struct buf_writer	w;
	struct msg_data_request	m, back;

	(void)state;
	/* The encoder sends no data and no max_matches where the opcode
	 * has none, so a stray field cannot make a request invalid. */
	data_opcode = DSP_OP_READ;
	memset(&m, 0, sizeof(m));
	fill_data_request(&m);
	m.data = payload;
	m.data_len = 100;
	m.max_matches = 5;
	buf_writer_init(&w);
	msg_encode_data_request(&w, DSP_OP_READ, &m);
	assert_int_equal(msg_decode_data_request(w.data, w.len, DSP_OP_READ,
	    &back), DSP_OK);
	assert_int_equal(back.data_len, 0);
	assert_int_equal(back.max_matches, 0);
	buf_writer_free(&w);
}

static void
test_data_reply_rules(void **state)
{
	struct buf_writer	w;
	struct msg_data_reply	m, back;

	(void)state;
	/* A READ reply with more bytes than asked for. */
	data_opcode = DSP_OP_READ;
	memset(&m, 0, sizeof(m));
	fill_data_reply(&m);
	m.length = 10;
	m.data_len = 11;
	buf_writer_init(&w);
	msg_encode_data_reply(&w, DSP_OP_READ, &m);
	assert_int_equal(msg_decode_data_reply(w.data, w.len, DSP_OP_READ,
	    &back), DSP_E_INVALID);
	/* A short READ is fine, and points into the buffer. */
	m.data_len = 3;
	buf_writer_reset(&w);
	msg_encode_data_reply(&w, DSP_OP_READ, &m);
	assert_int_equal(msg_decode_data_reply(w.data, w.len, DSP_OP_READ,
	    &back), DSP_OK);
	assert_ptr_equal(back.data, w.data + w.len - 3);
	/* A WRITE reply decoded as READ is short of its blob. */
	buf_writer_reset(&w);
	msg_encode_data_reply(&w, DSP_OP_WRITE, &m);
	assert_int_equal(msg_decode_data_reply(w.data, w.len, DSP_OP_READ,
	    &back), DSP_E_FRAME);
	assert_int_equal(msg_decode_data_reply(w.data, w.len, DSP_OP_WRITE,
	    &back), DSP_OK);
	buf_writer_free(&w);
}

/* MAP: runs that do not add up to done, an empty run, an unknown flag,
 * more than was asked, no runs, or more runs than may be sent. */
enum map_spoil { MAP_FINE, MAP_SUM, MAP_EMPTY, MAP_FLAG, MAP_OVER, MAP_NONE,
	MAP_COUNT };

static int
map_reply_status(enum map_spoil spoil)
{
	struct buf_writer	w;
	struct msg_data_reply	m, back;
	int			rc;

	data_opcode = DSP_OP_MAP;
	memset(&m, 0, sizeof(m));
	fill_data_reply(&m);
	m.length = m.done;
	switch (spoil) {
	case MAP_FINE:
		break;
	case MAP_SUM:
		m.done--;
		break;
	case MAP_EMPTY:
		m.runs[3].length = 0;
		break;
	case MAP_FLAG:
		m.runs[0].flags = 4;
		break;
	case MAP_OVER:
		m.length = m.done - 1;
		break;
	case MAP_NONE:
		m.run_count = 0;
		break;
	case MAP_COUNT:
		m.run_count++;
		break;
	}
	buf_writer_init(&w);
	msg_encode_data_reply(&w, DSP_OP_MAP, &m);
	rc = w.error ? -1 : msg_decode_data_reply(w.data, w.len, DSP_OP_MAP,
	    &back);
	buf_writer_free(&w);
	return rc;
}

static void
test_map_reply_rules(void **state)
{
	(void)state;
	assert_int_equal(map_reply_status(MAP_FINE), DSP_OK);
	assert_int_equal(map_reply_status(MAP_SUM), DSP_E_INVALID);
	assert_int_equal(map_reply_status(MAP_EMPTY), DSP_E_INVALID);
	assert_int_equal(map_reply_status(MAP_FLAG), DSP_E_INVALID);
	assert_int_equal(map_reply_status(MAP_OVER), DSP_E_INVALID);
	assert_int_equal(map_reply_status(MAP_NONE), DSP_E_INVALID);
	/* The encoder will not write more runs than a reply holds. */
	assert_int_equal(map_reply_status(MAP_COUNT), -1);
}

/* A page that says more must name where the next starts; more is 0/1. */
static void
test_generation_page_rules(void **state)
{
	struct msg_generation_page	*m = calloc(1, sizeof(*m));
	struct buf_writer		 w;

	(void)state;
	assert_non_null(m);
	buf_writer_init(&w);
	buf_put_u16(&w, 0);
	buf_put_u8(&w, 1);
	assert_int_equal(msg_decode_generation_page(w.data, w.len, m),
	    DSP_E_INVALID);
	buf_writer_reset(&w);
	buf_put_u16(&w, 1);
	buf_put_string(&w, "Vol-1");
	buf_put_u64(&w, 3);
	buf_put_u64(&w, 0);
	buf_put_bytes(&w, "0123456789abcdef", DSP_DIGEST_LEN);
	buf_put_u8(&w, 2);
	assert_int_equal(msg_decode_generation_page(w.data, w.len, m),
	    DSP_E_INVALID);
	buf_writer_reset(&w);
	buf_put_u16(&w, 0);
	buf_put_u8(&w, 0);
	assert_int_equal(msg_decode_generation_page(w.data, w.len, m), DSP_OK);
	assert_int_equal(m->gens.count, 0);
	buf_writer_free(&w);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_oversized_counts),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_data_request_rules),
		cmocka_unit_test(test_data_request_encoder),
		cmocka_unit_test(test_data_reply_rules),
		cmocka_unit_test(test_map_reply_rules),
		cmocka_unit_test(test_generation_page_rules),
	};
	size_t	i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 13 + 1);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ (i >> 8));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
