/*
 * The NBD server's protocol over memory: the handshake (GO, INFO, LIST,
 * EXPORT_NAME, meta contexts, the refusals of malformed options) and
 * the transmission phase (requests carried out on a memory disk, the
 * checks of ranges, flags and commands, a short WRITE payload).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "nbd.h"
#include "nbd_mem.h"

#define DISK_SIZE	(1024 * 1024)

static const struct nbd_export export = {
	"Vol-1", "a test volume", DISK_SIZE,
	NBD_TFLAG_SEND_FLUSH | NBD_TFLAG_SEND_FUA | NBD_TFLAG_SEND_TRIM |
	    NBD_TFLAG_SEND_WRITE_ZEROES | NBD_TFLAG_SEND_DF |
	    NBD_TFLAG_CAN_MULTI_CONN,
	1, 4096, 65536, 1
};

/* --- what a client sends --- */

static void
client_hello(struct buf_writer *w)
{
	buf_put_u32(w, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
}

static void
client_option(struct buf_writer *w, uint32_t option, const void *data,
    uint32_t len)
{
	buf_put_u64(w, NBD_OPT_MAGIC);
	buf_put_u32(w, option);
	buf_put_u32(w, len);
	buf_put_bytes(w, data, len);
}

/* GO or INFO: name, then the info kinds asked for. */
static void
client_go(struct buf_writer *w, uint32_t option, const char *name,
    uint16_t nkinds, const uint16_t *kinds)
{
	struct buf_writer	d;
	uint16_t		i;

	buf_writer_init(&d);
	buf_put_u32(&d, (uint32_t)strlen(name));
	buf_put_bytes(&d, name, strlen(name));
	buf_put_u16(&d, nkinds);
	for (i = 0; i < nkinds; i++)
		buf_put_u16(&d, kinds[i]);
	client_option(w, option, d.data, (uint32_t)d.len);
	buf_writer_free(&d);
}

static void
client_meta(struct buf_writer *w, uint32_t option, const char *name,
    const char *query)
{
	struct buf_writer	d;

	buf_writer_init(&d);
	buf_put_u32(&d, (uint32_t)strlen(name));
	buf_put_bytes(&d, name, strlen(name));
	buf_put_u32(&d, query != NULL);
	if (query != NULL) {
		buf_put_u32(&d, (uint32_t)strlen(query));
		buf_put_bytes(&d, query, strlen(query));
	}
	client_option(w, option, d.data, (uint32_t)d.len);
	buf_writer_free(&d);
}

static void
client_request(struct buf_writer *w, uint16_t flags, uint16_t type,
    uint64_t cookie, uint64_t offset, uint32_t length)
{
	buf_put_u32(w, NBD_REQUEST_MAGIC);
	buf_put_u16(w, flags);
	buf_put_u16(w, type);
	buf_put_u64(w, cookie);
	buf_put_u64(w, offset);
	buf_put_u32(w, length);
}

/* --- what the server answered --- */

struct reply {
	uint32_t	option;
	uint32_t	type;
	uint32_t	len;
	const uint8_t	*data;
};

/* The option replies after the 18-byte greeting, in order. */
static size_t
parse_replies(const struct nbd_mem_conn *c, struct reply *out, size_t max)
{
	size_t	pos = 18, n = 0;

	assert_true(c->outlen >= 18);
	assert_int_equal(nbd_get64(c->out), NBD_MAGIC);
	assert_int_equal(nbd_get64(c->out + 8), NBD_OPT_MAGIC);
	while (pos + 20 <= c->outlen && n < max) {
		assert_int_equal(nbd_get64(c->out + pos), NBD_REP_MAGIC);
		out[n].option = nbd_get32(c->out + pos + 8);
		out[n].type = nbd_get32(c->out + pos + 12);
		out[n].len = nbd_get32(c->out + pos + 16);
		out[n].data = c->out + pos + 20;
		pos += 20 + out[n].len;
		assert_true(pos <= c->outlen);
		n++;
	}
	return n;
}

static int
handshake(const struct buf_writer *in, struct nbd_mem_conn *c,
    struct nbd_session *s, char *err)
{
	struct nbd_io	io;

	nbd_mem_conn_init(c, in->data, in->len, &io);
	return nbd_handshake(&io, &export, NBD_TLS_NONE, s, err, 256);
}

static void
test_go(void **state)
{
	static const uint16_t	 kinds[] = { NBD_INFO_NAME,
				    NBD_INFO_DESCRIPTION };
	struct buf_writer	 w;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s;
	struct reply		 r[8];
	char			 err[256];
	size_t			 n;

	(void)state;
	buf_writer_init(&w);
	client_hello(&w);
	client_option(&w, NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	client_meta(&w, NBD_OPT_SET_META_CONTEXT, "Vol-1", "base:allocation");
	client_go(&w, NBD_OPT_GO, "Vol-1", 2, kinds);
	assert_int_equal(handshake(&w, &c, &s, err), 0);
	assert_true(s.structured);
	assert_true(s.base_allocation);
	assert_true(s.no_zeroes);
	n = parse_replies(&c, r, 8);
	assert_int_equal(n, 8);
	assert_int_equal(r[7].type, NBD_REP_ACK);
	assert_int_equal(r[0].type, NBD_REP_ACK);
	assert_int_equal(r[1].type, NBD_REP_META_CONTEXT);
	assert_int_equal(nbd_get32(r[1].data), NBD_META_BASE_ID);
	assert_memory_equal(r[1].data + 4, "base:allocation", 15);
	assert_int_equal(r[2].type, NBD_REP_ACK);
	/* GO: the export, its name, description, block sizes, ACK. */
	assert_int_equal(r[3].type, NBD_REP_INFO);
	assert_int_equal(nbd_get16(r[3].data), NBD_INFO_EXPORT);
	assert_int_equal(nbd_get64(r[3].data + 2), DISK_SIZE);
	assert_int_equal(nbd_get16(r[3].data + 10),
	    export.tflags | NBD_TFLAG_HAS_FLAGS);
	assert_int_equal(nbd_get16(r[4].data), NBD_INFO_NAME);
	assert_memory_equal(r[4].data + 2, "Vol-1", 5);
	assert_int_equal(nbd_get16(r[5].data), NBD_INFO_DESCRIPTION);
	assert_int_equal(nbd_get16(r[6].data), NBD_INFO_BLOCK_SIZE);
	assert_int_equal(nbd_get32(r[6].data + 2), 1);
	assert_int_equal(nbd_get32(r[6].data + 6), 4096);
	assert_int_equal(nbd_get32(r[6].data + 10), 65536);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

static void
test_list_info_export_name(void **state)
{
	struct buf_writer	 w;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s;
	struct reply		 r[8];
	char			 err[256];
	size_t			 n;

	(void)state;
	buf_writer_init(&w);
	client_hello(&w);
	client_option(&w, NBD_OPT_LIST, NULL, 0);
	client_go(&w, NBD_OPT_INFO, "nosuch", 0, NULL);
	client_go(&w, NBD_OPT_INFO, "", 0, NULL);
	client_option(&w, NBD_OPT_EXPORT_NAME, "Vol-1", 5);
	assert_int_equal(handshake(&w, &c, &s, err), 0);
	n = parse_replies(&c, r, 8);
	/* LIST: one export, ACK; INFO unknown; INFO default: export,
	 * block sizes, ACK; then EXPORT_NAME's bare answer. */
	assert_true(n >= 6);
	assert_int_equal(r[0].type, NBD_REP_SERVER);
	assert_int_equal(nbd_get32(r[0].data), 5);
	assert_int_equal(r[1].type, NBD_REP_ACK);
	assert_int_equal(r[2].type, NBD_REP_ERR_UNKNOWN);
	assert_int_equal(r[3].type, NBD_REP_INFO);
	assert_int_equal(r[4].type, NBD_REP_INFO);
	assert_int_equal(r[5].type, NBD_REP_ACK);
	assert_int_equal(nbd_get64(r[5].data), DISK_SIZE);
	assert_false(s.structured);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

/* Each bad option: the refusal, then the handshake goes on to GO. */
static void
test_refused_options(void **state)
{
	static const uint8_t	 short_info[] = { 0, 0, 0, 9, 'V' };
	struct buf_writer	 w;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s;
	struct reply		 r[16];
	char			 err[256];
	size_t			 n;

	(void)state;
	buf_writer_init(&w);
	client_hello(&w);
	client_option(&w, 99, "x", 1);
	client_option(&w, NBD_OPT_INFO, short_info, sizeof(short_info));
	client_option(&w, NBD_OPT_LIST, "x", 1);
	client_meta(&w, NBD_OPT_SET_META_CONTEXT, "Vol-1", "base:allocation");
	client_option(&w, NBD_OPT_STARTTLS, NULL, 0);
	client_option(&w, NBD_OPT_STRUCTURED_REPLY, "x", 1);
	client_go(&w, NBD_OPT_GO, "Vol-1", 0, NULL);
	assert_int_equal(handshake(&w, &c, &s, err), 0);
	n = parse_replies(&c, r, 16);
	assert_true(n >= 6);
	assert_int_equal(r[0].type, NBD_REP_ERR_UNSUP);
	assert_int_equal(r[1].type, NBD_REP_ERR_INVALID);
	assert_int_equal(r[2].type, NBD_REP_ERR_INVALID);
	/* Meta contexts need structured replies first. */
	assert_int_equal(r[3].type, NBD_REP_ERR_INVALID);
	assert_int_equal(r[4].type, NBD_REP_ERR_POLICY);
	assert_int_equal(r[5].type, NBD_REP_ERR_INVALID);
	assert_false(s.base_allocation);
	assert_false(s.structured);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

static void
test_handshake_violations(void **state)
{
	struct buf_writer	 w;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s;
	struct reply		 r[4];
	char			 err[256];

	(void)state;
	/* A request where an option belongs. */
	buf_writer_init(&w);
	client_hello(&w);
	client_request(&w, 0, NBD_CMD_READ, 1, 0, 512);
	assert_int_equal(handshake(&w, &c, &s, err), -1);
	assert_non_null(strstr(err, "IHAVEOPT"));
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);

	/* An export name longer than any option may be. */
	buf_writer_init(&w);
	client_hello(&w);
	buf_put_u64(&w, NBD_OPT_MAGIC);
	buf_put_u32(&w, NBD_OPT_EXPORT_NAME);
	buf_put_u32(&w, 1U << 30);
	assert_int_equal(handshake(&w, &c, &s, err), -1);
	assert_non_null(strstr(err, "at most"));
	assert_int_equal(parse_replies(&c, r, 4), 1);
	assert_int_equal(r[0].type, NBD_REP_ERR_TOO_BIG);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);

	/* Unknown client flags; an unknown export by EXPORT_NAME. */
	buf_writer_init(&w);
	buf_put_u32(&w, 0x80 | NBD_FLAG_FIXED_NEWSTYLE);
	assert_int_equal(handshake(&w, &c, &s, err), -1);
	assert_non_null(strstr(err, "client flags"));
	nbd_mem_conn_free(&c);
	buf_writer_reset(&w);
	client_hello(&w);
	client_option(&w, NBD_OPT_EXPORT_NAME, "Vol-2", 5);
	assert_int_equal(handshake(&w, &c, &s, err), -1);
	assert_non_null(strstr(err, "no export named 'Vol-2'"));
	nbd_mem_conn_free(&c);
	/* ABORT, and a client that goes away: no violation. */
	buf_writer_reset(&w);
	client_hello(&w);
	client_option(&w, NBD_OPT_ABORT, NULL, 0);
	assert_int_equal(handshake(&w, &c, &s, err), 1);
	nbd_mem_conn_free(&c);
	buf_writer_reset(&w);
	client_hello(&w);
	assert_int_equal(handshake(&w, &c, &s, err), 1);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

/* Starts "TLS" on a memory connection: counts the calls. */
static int starttls_calls;

static int
fake_starttls(void *arg, char *err, size_t errlen)
{
	(void)arg;
	(void)err;
	(void)errlen;
	starttls_calls++;
	return 0;
}

/* TLS required: every option but STARTTLS is refused until it; what
 * was set before it counts for nothing after. */
static void
test_tls_required(void **state)
{
	struct buf_writer	 w;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s;
	struct nbd_io		 io;
	struct reply		 r[8];
	char			 err[256];

	(void)state;
	buf_writer_init(&w);
	client_hello(&w);
	client_option(&w, NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	client_go(&w, NBD_OPT_GO, "Vol-1", 0, NULL);
	client_option(&w, NBD_OPT_STARTTLS, NULL, 0);
	client_go(&w, NBD_OPT_GO, "Vol-1", 0, NULL);
	nbd_mem_conn_init(&c, w.data, w.len, &io);
	io.starttls = fake_starttls;
	starttls_calls = 0;
	assert_int_equal(nbd_handshake(&io, &export, NBD_TLS_REQUIRED, &s,
	    err, sizeof(err)), 0);
	assert_int_equal(starttls_calls, 1);
	assert_int_equal(parse_replies(&c, r, 8), 6);
	assert_int_equal(r[0].type, NBD_REP_ERR_TLS_REQD);
	assert_int_equal(r[1].type, NBD_REP_ERR_TLS_REQD);
	assert_int_equal(r[2].option, NBD_OPT_STARTTLS);
	assert_int_equal(r[2].type, NBD_REP_ACK);
	assert_int_equal(r[3].type, NBD_REP_INFO);
	assert_false(s.structured);
	nbd_mem_conn_free(&c);
	/* EXPORT_NAME cannot be refused by a reply: the connection ends. */
	buf_writer_reset(&w);
	client_hello(&w);
	client_option(&w, NBD_OPT_EXPORT_NAME, "Vol-1", 5);
	nbd_mem_conn_init(&c, w.data, w.len, &io);
	io.starttls = fake_starttls;
	assert_int_equal(nbd_handshake(&io, &export, NBD_TLS_REQUIRED, &s,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "before STARTTLS"));
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

static void
test_request_checks(void **state)
{
	struct nbd_session	s = { 1, 0, 0 };
	struct nbd_export	ro = export;
	struct nbd_request	r;
	char			why[256];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = NBD_CMD_READ;
	r.offset = DISK_SIZE - 512;
	r.length = 512;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_OK);
	r.length = 513;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_EINVAL);
	assert_non_null(strstr(why, "past the end"));
	r.type = NBD_CMD_WRITE;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_ENOSPC);
	r.offset = UINT64_MAX - 10;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_ENOSPC);
	r.offset = 0;
	r.length = 65537;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_EINVAL);
	assert_non_null(strstr(why, "largest block"));
	/* TRIM and WRITE_ZEROES may be longer than a block. */
	r.type = NBD_CMD_TRIM;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_OK);
	r.type = 5;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_EINVAL);
	assert_non_null(strstr(why, "unknown command 5"));
	r.type = NBD_CMD_WRITE;
	r.length = 512;
	r.flags = NBD_CMD_FLAG_REQ_ONE;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_EINVAL);
	r.flags = 0;
	r.type = NBD_CMD_BLOCK_STATUS;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_EINVAL);
	assert_non_null(strstr(why, "meta context"));
	ro.tflags |= NBD_TFLAG_READ_ONLY;
	r.type = NBD_CMD_WRITE_ZEROES;
	assert_int_equal(nbd_request_check(&r, &ro, &s, why, sizeof(why)),
	    NBD_EPERM);
	r.type = NBD_CMD_READ;
	r.length = 0;
	assert_int_equal(nbd_request_check(&r, &export, &s, why, sizeof(why)),
	    NBD_EINVAL);
}

/* Serves the requests in w on a fresh disk with that many workers (one:
 * the requests are carried out in order). */
static int
serve(const struct buf_writer *w, struct nbd_mem_disk *d,
    const struct nbd_session *s, struct nbd_mem_conn *c, int workers,
    char *err)
{
	struct nbd_backend	be;
	struct nbd_io		io;

	assert_int_equal(nbd_mem_disk_init(d, DISK_SIZE, &be), 0);
	nbd_mem_conn_init(c, w->data, w->len, &io);
	return nbd_serve(&io, &export, s, &be, workers, err, 256);
}

/* The error of the simple reply to cookie (none of these carries
 * data: every reply is its 16-byte header). */
static uint32_t
simple_reply_of(const struct nbd_mem_conn *c, uint64_t cookie)
{
	size_t	pos;

	for (pos = 0; pos + 16 <= c->outlen; pos += 16) {
		assert_int_equal(nbd_get32(c->out + pos), NBD_SIMPLE_MAGIC);
		if (nbd_get64(c->out + pos + 8) == cookie)
			return nbd_get32(c->out + pos + 4);
	}
	fail_msg("no reply for cookie %llu", (unsigned long long)cookie);
	return 0;
}

static void
test_serve_simple(void **state)
{
	struct buf_writer	 w;
	struct nbd_mem_disk	 d;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s = { 1, 0, 0 };
	uint8_t			 payload[4096];
	char			 err[256];

	(void)state;
	memset(payload, 0xa5, sizeof(payload));
	buf_writer_init(&w);
	client_request(&w, NBD_CMD_FLAG_FUA, NBD_CMD_WRITE, 1, 8192, 4096);
	buf_put_bytes(&w, payload, sizeof(payload));
	client_request(&w, 0, NBD_CMD_FLUSH, 9, 0, 0);
	client_request(&w, 0, 77, 3, 0, 0);
	client_request(&w, 0, NBD_CMD_WRITE_ZEROES, 4, 8192, 1024);
	/* DISC: what came before it is answered, nothing after read. */
	client_request(&w, 0, NBD_CMD_DISC, 5, 0, 0);
	client_request(&w, 0, NBD_CMD_READ, 6, 0, 512);
	assert_int_equal(serve(&w, &d, &s, &c, 1, err), 0);
	assert_int_equal(simple_reply_of(&c, 1), 0);
	assert_int_equal(simple_reply_of(&c, 9), 0);
	assert_int_equal(simple_reply_of(&c, 3), NBD_EINVAL);
	assert_int_equal(simple_reply_of(&c, 4), 0);
	/* Zeroed the first 1024 bytes of the write; the rest stays. */
	assert_int_equal(d.data[8192], 0);
	assert_int_equal(d.data[8192 + 1023], 0);
	assert_int_equal(d.data[8192 + 1024], 0xa5);
	assert_int_equal(d.data[8192 + 4095], 0xa5);
	assert_int_equal(c.outlen, 4 * 16);
	nbd_mem_disk_free(&d);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

static void
test_serve_structured(void **state)
{
	struct buf_writer	 w;
	struct nbd_mem_disk	 d;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s = { 1, 1, 1 };
	char			 err[256];
	size_t			 pos = 0;
	int			 seen = 0;

	(void)state;
	buf_writer_init(&w);
	client_request(&w, 0, NBD_CMD_READ, 2, 4096, 100);
	client_request(&w, NBD_CMD_FLAG_REQ_ONE, NBD_CMD_BLOCK_STATUS, 7, 0,
	    DISK_SIZE);
	client_request(&w, 0, NBD_CMD_READ, 8, DISK_SIZE, 1);
	assert_int_equal(serve(&w, &d, &s, &c, 3, err), 0);
	while (pos + 20 <= c.outlen) {
		uint16_t flags = nbd_get16(c.out + pos + 4);
		uint16_t type = nbd_get16(c.out + pos + 6);
		uint64_t cookie = nbd_get64(c.out + pos + 8);
		uint32_t len = nbd_get32(c.out + pos + 16);

		assert_int_equal(nbd_get32(c.out + pos), NBD_STRUCTURED_MAGIC);
		assert_true(flags & NBD_REPLY_FLAG_DONE);
		if (cookie == 2) {
			assert_int_equal(type, NBD_REPLY_TYPE_OFFSET_DATA);
			assert_int_equal(len, 8 + 100);
			assert_int_equal(nbd_get64(c.out + pos + 20), 4096);
		} else if (cookie == 7) {
			assert_int_equal(type, NBD_REPLY_TYPE_BLOCK_STATUS);
			assert_int_equal(len, 4 + 8);
			assert_int_equal(nbd_get32(c.out + pos + 20),
			    NBD_META_BASE_ID);
			assert_int_equal(nbd_get32(c.out + pos + 24),
			    DISK_SIZE);
		} else {
			assert_int_equal(cookie, 8);
			assert_int_equal(type, NBD_REPLY_TYPE_ERROR);
			assert_int_equal(nbd_get32(c.out + pos + 20),
			    NBD_EINVAL);
			assert_true(nbd_get16(c.out + pos + 24) > 0);
		}
		seen++;
		pos += 20 + len;
	}
	assert_int_equal(seen, 3);
	assert_int_equal(pos, c.outlen);
	nbd_mem_disk_free(&d);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

static void
test_serve_violations(void **state)
{
	struct buf_writer	 w;
	struct nbd_mem_disk	 d;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s = { 1, 0, 0 };
	char			 err[256];

	(void)state;
	/* A WRITE whose payload ends early. */
	buf_writer_init(&w);
	client_request(&w, 0, NBD_CMD_WRITE, 1, 0, 4096);
	buf_put_bytes(&w, "short", 5);
	assert_int_equal(serve(&w, &d, &s, &c, 2, err), -1);
	assert_non_null(strstr(err, "inside the payload"));
	assert_int_equal(c.outlen, 0);
	nbd_mem_disk_free(&d);
	nbd_mem_conn_free(&c);
	/* A WRITE over the largest block: its payload is not read. */
	buf_writer_reset(&w);
	client_request(&w, 0, NBD_CMD_WRITE, 1, 0, 1U << 30);
	assert_int_equal(serve(&w, &d, &s, &c, 2, err), -1);
	assert_non_null(strstr(err, "over the largest block"));
	nbd_mem_disk_free(&d);
	nbd_mem_conn_free(&c);
	/* Bad magic. */
	buf_writer_reset(&w);
	buf_put_u32(&w, 0xdeadbeef);
	buf_put_bytes(&w, "0123456789012345678901234", 24);
	assert_int_equal(serve(&w, &d, &s, &c, 2, err), -1);
	assert_non_null(strstr(err, "without the magic"));
	nbd_mem_disk_free(&d);
	nbd_mem_conn_free(&c);
	/* A refused WRITE's payload is read past: the next one works. */
	buf_writer_reset(&w);
	client_request(&w, NBD_CMD_FLAG_REQ_ONE, NBD_CMD_WRITE, 1, 0, 16);
	buf_put_bytes(&w, "AAAAAAAAAAAAAAAA", 16);
	client_request(&w, 0, NBD_CMD_WRITE, 2, 0, 16);
	buf_put_bytes(&w, "BBBBBBBBBBBBBBBB", 16);
	assert_int_equal(serve(&w, &d, &s, &c, 2, err), 0);
	assert_memory_equal(d.data, "BBBBBBBBBBBBBBBB", 16);
	nbd_mem_disk_free(&d);
	nbd_mem_conn_free(&c);
	buf_writer_free(&w);
}

/* An I/O error is the request's, and ESHUTDOWN ends the export. */
static void
test_serve_backend_errors(void **state)
{
	struct buf_writer	 w;
	struct nbd_mem_disk	 d;
	struct nbd_mem_conn	 c;
	struct nbd_session	 s = { 1, 0, 0 };
	struct nbd_backend	 be;
	struct nbd_io		 io;
	char			 err[256];

	(void)state;
	buf_writer_init(&w);
	client_request(&w, 0, NBD_CMD_READ, 1, 0, 512);
	client_request(&w, 0, NBD_CMD_FLUSH, 2, 0, 0);
	assert_int_equal(nbd_mem_disk_init(&d, DISK_SIZE, &be), 0);
	d.fail = NBD_EIO;
	nbd_mem_conn_init(&c, w.data, w.len, &io);
	assert_int_equal(nbd_serve(&io, &export, &s, &be, 1, err, 256), 0);
	assert_int_equal(simple_reply_of(&c, 1), NBD_EIO);
	assert_int_equal(simple_reply_of(&c, 2), NBD_EIO);
	nbd_mem_conn_free(&c);
	d.fail = NBD_ESHUTDOWN;
	nbd_mem_conn_init(&c, w.data, w.len, &io);
	assert_int_equal(nbd_serve(&io, &export, &s, &be, 1, err, 256), 1);
	assert_int_equal(simple_reply_of(&c, 1), NBD_ESHUTDOWN);
	nbd_mem_conn_free(&c);
	nbd_mem_disk_free(&d);
	buf_writer_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go),
		cmocka_unit_test(test_list_info_export_name),
		cmocka_unit_test(test_refused_options),
		cmocka_unit_test(test_handshake_violations),
		cmocka_unit_test(test_tls_required),
		cmocka_unit_test(test_request_checks),
		cmocka_unit_test(test_serve_simple),
		cmocka_unit_test(test_serve_structured),
		cmocka_unit_test(test_serve_violations),
		cmocka_unit_test(test_serve_backend_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
