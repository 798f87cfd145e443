/*
 * channel_error_text: the message of an error reply as a receiver shows
 * it (the channel I/O itself is tested over TLS in tls_test.c); a reply
 * in parts, over a socket pair: every part, the end, an error after
 * parts, a part where none was asked for; a send to a peer that does
 * not read times out.
 */
#include <sys/socket.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "channel.h"
#include "msg.h"

static void
error_text(const void *msg, size_t len, char *out, size_t outlen)
{
	struct buf_writer	w;

	buf_writer_init(&w);
	buf_put_blob(&w, msg, len);
	assert_false(w.error);
	channel_error_text(w.data, w.len, out, outlen);
	buf_writer_free(&w);
}

static void
test_plain(void **state)
{
	char	out[64];

	(void)state;
	error_text("no volume Vol-9", 15, out, sizeof(out));
	assert_string_equal(out, "no volume Vol-9");
	error_text("", 0, out, sizeof(out));
	assert_string_equal(out, "(no message)");
	channel_error_text((const uint8_t *)"\0\0", 2, out, sizeof(out));
	assert_string_equal(out, "(malformed error message)");
}

/* A hostile peer's control bytes and NULs arrive escaped; escapes the
 * peer quoted from its own store are shown as they are. */
static void
test_escaped(void **state)
{
	static const char	msg[] = "region A2 is unavailable: bad\\x1bname"
				    " \x1b]2;owned\x07\0tail\n";
	char			out[128];

	(void)state;
	error_text(msg, sizeof(msg) - 1, out, sizeof(out));
	assert_string_equal(out, "region A2 is unavailable: bad\\x1bname "
	    "\\x1b]2;owned\\x07\\x00tail\\x0a");
}

/* Bounded by the caller's buffer, never cut inside an escape. */
static void
test_bounded(void **state)
{
	char	out[8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	error_text("abcd\x1b" "ef", 7, out, sizeof(out));
	assert_string_equal(out, "abcd");
	error_text("abcdefghijk", 11, out, sizeof(out));
	assert_string_equal(out, "abcdefg");
	out[0] = 'Z';
	channel_error_text(NULL, 0, out, 0);
	assert_int_equal(out[0], 'Z');
}

/* The answering side sends its frames ahead (the first call of a
 * channel is request 1); they wait in the socket's buffer. */
struct answer {
	uint16_t	 flags;
	uint32_t	 status;
	const char	*text;
};

static void
answer(struct channel *server, const struct answer *a, size_t n)
{
	struct buf_writer	 w;
	size_t			 i;

	for (i = 0; i < n; i++) {
		buf_writer_init(&w);
		if (a[i].status == DSP_OK)
			msg_encode_text(&w, a[i].text);
		else
			buf_put_blob(&w, a[i].text, strlen(a[i].text));
		assert_int_equal(channel_send(server, DSP_OP_ADMIN,
		    DSP_FLAG_REPLY | a[i].flags, 1, a[i].status, w.data,
		    w.len), 0);
		buf_writer_free(&w);
	}
}

/* The request the call sent. */
static void
asked(struct channel *server, uint16_t want_flags)
{
	struct dsp_header	 hdr;
	const uint8_t		*payload;

	assert_int_equal(channel_recv(server, &hdr, &payload), DSP_OK);
	assert_int_equal(hdr.opcode, DSP_OP_ADMIN);
	assert_int_equal(hdr.request_id, 1);
	assert_int_equal(hdr.flags, want_flags);
}

struct parts {
	char	text[256];
	int	count;
};

static int
part(const uint8_t *payload, size_t len, void *arg)
{
	struct parts	*p = arg;
	static char	 text[DSP_TEXT_MAX + 1];
	size_t		 n = strlen(p->text);

	if (msg_decode_text(payload, len, text) != DSP_OK)
		return -1;
	snprintf(p->text + n, sizeof(p->text) - n, "%s", text);
	p->count++;
	return 0;
}

static void
pair(struct channel **client, struct channel **server)
{
	int	sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	*client = channel_from_fd(sv[0]);
	*server = channel_from_fd(sv[1]);
	assert_non_null(*client);
	assert_non_null(*server);
}

static void
test_parts(void **state)
{
	static const struct answer	a[] = {
		{ DSP_FLAG_MORE, DSP_OK, "one\n" },
		{ DSP_FLAG_MORE, DSP_OK, "two\n" },
		{ 0, DSP_OK, "three\n" },
	};
	struct channel			*client, *server;
	struct buf_writer		 req;
	struct parts			 p;
	char				 err[128];

	(void)state;
	pair(&client, &server);
	answer(server, a, 3);
	memset(&p, 0, sizeof(p));
	buf_writer_init(&req);
	msg_encode_text(&req, "show volumes");
	assert_int_equal(channel_call_parts(client, DSP_OP_ADMIN, &req, part,
	    &p, err, sizeof(err)), DSP_OK);
	assert_int_equal(p.count, 3);
	assert_string_equal(p.text, "one\ntwo\nthree\n");
	asked(server, DSP_FLAG_MORE);
	buf_writer_free(&req);
	channel_close(client);
	channel_close(server);
}

/* A command that fails midway ends with an error, never a whole look. */
static void
test_parts_error(void **state)
{
	static const struct answer	a[] = {
		{ DSP_FLAG_MORE, DSP_OK, "first rows\n" },
		{ 0, DSP_E_INTERNAL, "cannot read the volume table" },
	};
	struct channel			*client, *server;
	struct parts			 p;
	char				 err[128];

	(void)state;
	pair(&client, &server);
	answer(server, a, 2);
	memset(&p, 0, sizeof(p));
	assert_int_equal(channel_call_parts(client, DSP_OP_ADMIN, NULL, part,
	    &p, err, sizeof(err)), DSP_E_INTERNAL);
	assert_int_equal(p.count, 1);
	assert_string_equal(p.text, "first rows\n");
	assert_string_equal(err, "cannot read the volume table");
	asked(server, DSP_FLAG_MORE);
	channel_close(client);
	channel_close(server);
}

/* channel_call asked for one frame: a part is a broken reply. */
static void
test_part_unasked(void **state)
{
	static const struct answer	a[] = {
		{ DSP_FLAG_MORE, DSP_OK, "one\n" },
	};
	struct channel			*client, *server;
	const uint8_t			*reply;
	size_t				 len;
	char				 err[128];

	(void)state;
	pair(&client, &server);
	answer(server, a, 1);
	assert_int_equal(channel_call(client, DSP_OP_ADMIN, NULL, &reply, &len,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in parts"));
	asked(server, 0);
	channel_close(client);
	channel_close(server);
}

/* Sends to a peer that reads nothing fail once the buffers are full. */
static void
test_send_timeout(void **state)
{
	struct channel	*client, *server;
	static uint8_t	 block[65536];
	int		 i, rc = 0;

	(void)state;
	pair(&client, &server);
	channel_set_send_timeout(server, 100);
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = channel_send(server, DSP_OP_ADMIN, DSP_FLAG_REPLY |
		    DSP_FLAG_MORE, 1, DSP_OK, block, sizeof(block));
	assert_int_equal(rc, -1);
	assert_int_equal(errno, ETIMEDOUT);
	channel_close(client);
	channel_close(server);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_parts_error),
		cmocka_unit_test(test_part_unasked),
		cmocka_unit_test(test_send_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
