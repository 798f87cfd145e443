/*
 * libFuzzer: an input is what an NBD client sends, from its flags on.
 * The handshake runs on it; when it reaches transmission, the rest is
 * served as requests on a 1 MiB memory disk, which aborts if it is ever
 * asked for a byte outside itself. Every option reply the server sent
 * must carry its magic.
 */
#include <stdlib.h>

#include "nbd.h"
#include "nbd_mem.h"

#define FUZZ_DISK	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct nbd_export fuzz_export = {
	"Vol-1", "fuzzed", FUZZ_DISK,
	NBD_TFLAG_SEND_FLUSH | NBD_TFLAG_SEND_FUA | NBD_TFLAG_SEND_TRIM |
	    NBD_TFLAG_SEND_WRITE_ZEROES | NBD_TFLAG_SEND_DF,
	1, 4096, 65536, 1
};

/* The greeting, then whole option replies, then maybe the bare answer
 * to EXPORT_NAME (size and flags, with or without 124 zeroes): nothing
 * else, nothing cut. */
static void
fuzz_check_replies(const struct nbd_mem_conn *c, size_t upto)
{
	size_t	pos = 18, rest;

	if (upto < 18 || nbd_get64(c->out) != NBD_MAGIC)
		abort();
	while (upto - pos >= 20 && nbd_get64(c->out + pos) == NBD_REP_MAGIC)
		pos += 20 + nbd_get32(c->out + pos + 16);
	rest = upto - pos;
	if (pos > upto || (rest != 0 && rest != 10 && rest != 134))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct nbd_mem_disk	 disk;
	static struct nbd_backend	 be;
	static int			 ready;
	struct nbd_mem_conn		 c;
	struct nbd_session		 s;
	struct nbd_io			 io;
	char				 err[512];
	size_t				 handshake_out;

	if (!ready) {
		if (nbd_mem_disk_init(&disk, FUZZ_DISK, &be) == -1)
			abort();
		ready = 1;
	}
	nbd_mem_conn_init(&c, data, len, &io);
	if (nbd_handshake(&io, &fuzz_export, NBD_TLS_NONE, &s, err,
	    sizeof(err)) == 0) {
		handshake_out = c.outlen;
		nbd_serve(&io, &fuzz_export, &s, &be, 1, err, sizeof(err));
	} else
		handshake_out = c.outlen;
	fuzz_check_replies(&c, handshake_out);
	nbd_mem_conn_free(&c);
	return 0;
}
