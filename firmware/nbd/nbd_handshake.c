/*
 * The fixed newstyle handshake of NBD (nbd.h): the greeting, then the
 * client's options until EXPORT_NAME or GO. Every length is checked
 * against what its option can hold before a byte of it is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbd.h"

struct nbd_hs {
	const struct nbd_io	*io;
	const struct nbd_export	*export;
	struct nbd_session	*s;
	enum nbd_tls		 tls;
	int			 tls_done;
	uint32_t		 option;
	uint8_t			*data;		/* the option's */
	uint32_t		 len;
	char			*err;
	size_t			 errlen;
};

static int
nbd_hs_reply(struct nbd_hs *h, uint32_t type, const void *data, uint32_t len)
{
	uint8_t	hdr[20];

	nbd_put64(hdr, NBD_REP_MAGIC);
	nbd_put32(hdr + 8, h->option);
	nbd_put32(hdr + 12, type);
	nbd_put32(hdr + 16, len);
	if (h->io->write(h->io->arg, hdr, sizeof(hdr)) == -1 ||
	    (len > 0 && h->io->write(h->io->arg, data, len) == -1)) {
		snprintf(h->err, h->errlen, "connection lost while replying");
		return -1;
	}
	return 0;
}

/* An error reply with a sentence for the client's log. */
static int
nbd_hs_refuse(struct nbd_hs *h, uint32_t type, const char *why)
{
	return nbd_hs_reply(h, type, why, (uint32_t)strlen(why));
}

static int
nbd_hs_ack(struct nbd_hs *h)
{
	return nbd_hs_reply(h, NBD_REP_ACK, NULL, 0);
}

/* The export is named by its name, or by "" (the default). */
static int
nbd_hs_is_export(const struct nbd_hs *h, const uint8_t *name, uint32_t len)
{
	return len == 0 || (strlen(h->export->name) == len &&
	    memcmp(h->export->name, name, len) == 0);
}

static uint16_t
nbd_hs_tflags(const struct nbd_hs *h)
{
	return (uint16_t)(h->export->tflags | NBD_TFLAG_HAS_FLAGS);
}

/* The old way in: the export's size and flags, no reply header. */
static int
nbd_hs_export_name(struct nbd_hs *h)
{
	uint8_t	out[10 + 124];
	size_t	n = 10;

	if (!nbd_hs_is_export(h, h->data, h->len)) {
		snprintf(h->err, h->errlen, "NBD_OPT_EXPORT_NAME: no export "
		    "named '%.*s'", (int)(h->len > 64 ? 64 : h->len),
		    (const char *)h->data);
		return -1;
	}
	nbd_put64(out, h->export->size);
	nbd_put16(out + 8, nbd_hs_tflags(h));
	if (!h->s->no_zeroes) {
		memset(out + 10, 0, 124);
		n += 124;
	}
	if (h->io->write(h->io->arg, out, n) == -1) {
		snprintf(h->err, h->errlen, "connection lost in the handshake");
		return -1;
	}
	return 0;
}

static int
nbd_hs_list(struct nbd_hs *h)
{
	uint8_t	out[4 + NBD_NAME_MAX];
	size_t	n = strlen(h->export->name);

	if (h->len != 0)
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID,
		    "NBD_OPT_LIST takes no data");
	if (n > NBD_NAME_MAX)
		n = NBD_NAME_MAX;
	nbd_put32(out, (uint32_t)n);
	memcpy(out + 4, h->export->name, n);
	if (nbd_hs_reply(h, NBD_REP_SERVER, out, (uint32_t)(4 + n)) == -1)
		return -1;
	return nbd_hs_ack(h);
}

static int
nbd_hs_info_export(struct nbd_hs *h)
{
	uint8_t	out[12];

	nbd_put16(out, NBD_INFO_EXPORT);
	nbd_put64(out + 2, h->export->size);
	nbd_put16(out + 10, nbd_hs_tflags(h));
	return nbd_hs_reply(h, NBD_REP_INFO, out, sizeof(out));
}

static int
nbd_hs_info_text(struct nbd_hs *h, uint16_t kind, const char *text)
{
	uint8_t	out[2 + NBD_NAME_MAX];
	size_t	n = strlen(text);

	if (n > NBD_NAME_MAX)
		n = NBD_NAME_MAX;
	nbd_put16(out, kind);
	memcpy(out + 2, text, n);
	return nbd_hs_reply(h, NBD_REP_INFO, out, (uint32_t)(2 + n));
}

static int
nbd_hs_info_block(struct nbd_hs *h)
{
	uint8_t	out[14];

	nbd_put16(out, NBD_INFO_BLOCK_SIZE);
	nbd_put32(out + 2, h->export->min_block);
	nbd_put32(out + 6, h->export->pref_block);
	nbd_put32(out + 10, h->export->max_block);
	return nbd_hs_reply(h, NBD_REP_INFO, out, sizeof(out));
}

/* Whether INFO's lengths add up to its data. */
static int
nbd_hs_info_fits(const struct nbd_hs *h, uint32_t *namelen, uint16_t *count)
{
	if (h->len < 6)
		return 0;
	*namelen = nbd_get32(h->data);
	if (*namelen > h->len - 6)
		return 0;
	*count = nbd_get16(h->data + 4 + *namelen);
	return h->len == 4 + *namelen + 2 + 2U * *count;
}

/* INFO and GO: name length, name, count of info kinds, the kinds.
 * 0 answered (and for GO, transmission begins), -1 lost. */
static int
nbd_hs_info(struct nbd_hs *h, int *go)
{
	const char	*what = h->option == NBD_OPT_GO ? "NBD_OPT_GO" :
			    "NBD_OPT_INFO";
	uint32_t	 namelen;
	uint16_t	 count, i, kind;
	int		 want_name = 0, want_description = 0;
	char		 why[128];

	*go = 0;
	if (!nbd_hs_info_fits(h, &namelen, &count)) {
		snprintf(why, sizeof(why), "%s: its lengths do not add up to "
		    "its %u bytes", what, h->len);
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID, why);
	}
	if (!nbd_hs_is_export(h, h->data + 4, namelen))
		return nbd_hs_refuse(h, NBD_REP_ERR_UNKNOWN, "no such export");
	for (i = 0; i < count; i++) {
		kind = nbd_get16(h->data + 4 + namelen + 2 + 2 * i);
		want_name |= kind == NBD_INFO_NAME;
		want_description |= kind == NBD_INFO_DESCRIPTION;
	}
	if (nbd_hs_info_export(h) == -1 ||
	    (want_name && nbd_hs_info_text(h, NBD_INFO_NAME,
	    h->export->name) == -1) ||
	    (want_description && h->export->description != NULL &&
	    nbd_hs_info_text(h, NBD_INFO_DESCRIPTION,
	    h->export->description) == -1) ||
	    nbd_hs_info_block(h) == -1 || nbd_hs_ack(h) == -1)
		return -1;
	*go = h->option == NBD_OPT_GO;
	return 0;
}

static int
nbd_hs_structured(struct nbd_hs *h)
{
	if (h->len != 0)
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID,
		    "NBD_OPT_STRUCTURED_REPLY takes no data");
	h->s->structured = 1;
	return nbd_hs_ack(h);
}

/* Whether a query names base:allocation: the whole name, or for LIST
 * its namespace "base:" alone. */
static int
nbd_hs_query_matches(const uint8_t *q, uint32_t len, int listing)
{
	size_t	full = strlen(NBD_META_BASE_ALLOCATION);

	if (len == full && memcmp(q, NBD_META_BASE_ALLOCATION, full) == 0)
		return 1;
	return listing && len == 5 && memcmp(q, "base:", 5) == 0;
}

static int
nbd_hs_context_reply(struct nbd_hs *h)
{
	uint8_t	out[4 + sizeof(NBD_META_BASE_ALLOCATION)];
	size_t	n = strlen(NBD_META_BASE_ALLOCATION);

	nbd_put32(out, NBD_META_BASE_ID);
	memcpy(out + 4, NBD_META_BASE_ALLOCATION, n);
	return nbd_hs_reply(h, NBD_REP_META_CONTEXT, out, (uint32_t)(4 + n));
}

/* LIST_ and SET_META_CONTEXT: export name, count of queries, each a
 * length and a string. Checked whole before anything is answered. */
static int
nbd_hs_meta(struct nbd_hs *h)
{
	int		 listing = h->option == NBD_OPT_LIST_META_CONTEXT;
	uint32_t	 namelen, count, i, pos, qlen;
	int		 found = 0;

	if (!h->s->structured)
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID, "meta contexts "
		    "need NBD_OPT_STRUCTURED_REPLY first");
	if (h->len < 8 || (namelen = nbd_get32(h->data)) > h->len - 8)
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID,
		    "meta context option: bad export name length");
	count = nbd_get32(h->data + 4 + namelen);
	for (pos = 8 + namelen, i = 0; i < count; i++) {
		if (h->len - pos < 4 ||
		    (qlen = nbd_get32(h->data + pos)) > h->len - pos - 4 ||
		    qlen > NBD_NAME_MAX)
			return nbd_hs_refuse(h, NBD_REP_ERR_INVALID,
			    "meta context option: a query runs past its data");
		pos += 4;
		found |= nbd_hs_query_matches(h->data + pos, qlen, listing);
		pos += qlen;
	}
	if (pos != h->len)
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID,
		    "meta context option: bytes after its last query");
	if (!nbd_hs_is_export(h, h->data + 4, namelen))
		return nbd_hs_refuse(h, NBD_REP_ERR_UNKNOWN, "no such export");
	/* LIST with no query lists every context. */
	if (listing && count == 0)
		found = 1;
	found &= h->export->can_extents;
	if (!listing)
		h->s->base_allocation = found;
	if (found && nbd_hs_context_reply(h) == -1)
		return -1;
	return nbd_hs_ack(h);
}

static int
nbd_hs_starttls(struct nbd_hs *h)
{
	if (h->len != 0)
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID,
		    "NBD_OPT_STARTTLS takes no data");
	if (h->tls == NBD_TLS_NONE || h->io->starttls == NULL)
		return nbd_hs_refuse(h, NBD_REP_ERR_POLICY,
		    "TLS is not offered on this socket");
	if (h->tls_done)
		return nbd_hs_refuse(h, NBD_REP_ERR_INVALID,
		    "TLS is on already");
	if (nbd_hs_ack(h) == -1 ||
	    h->io->starttls(h->io->arg, h->err, h->errlen) == -1)
		return -1;
	/* What was said in the clear counts for nothing. */
	h->tls_done = 1;
	h->s->structured = 0;
	h->s->base_allocation = 0;
	return 0;
}

/* Reads one option: 0, 1 the client left, -1 a violation. */
static int
nbd_hs_read_option(struct nbd_hs *h)
{
	uint8_t	hdr[16];

	if (h->io->read(h->io->arg, hdr, sizeof(hdr)) == -1)
		return 1;
	if (nbd_get64(hdr) != NBD_OPT_MAGIC) {
		snprintf(h->err, h->errlen, "an option without the IHAVEOPT "
		    "magic");
		return -1;
	}
	h->option = nbd_get32(hdr + 8);
	h->len = nbd_get32(hdr + 12);
	if (h->len > NBD_OPTION_MAX) {
		/* Not read: the connection ends after the refusal. */
		nbd_hs_refuse(h, NBD_REP_ERR_TOO_BIG, "option data too long");
		snprintf(h->err, h->errlen, "option %u with %u bytes of data "
		    "(at most %u)", h->option, h->len, NBD_OPTION_MAX);
		return -1;
	}
	if (h->len > 0 && h->io->read(h->io->arg, h->data, h->len) == -1) {
		snprintf(h->err, h->errlen, "connection lost in option %u",
		    h->option);
		return -1;
	}
	return 0;
}

/* One option answered: 0 go on, 2 transmission begins, 1 client gone,
 * -1 violation or lost. */
static int
nbd_hs_option(struct nbd_hs *h)
{
	int	go = 0;

	if (h->tls == NBD_TLS_REQUIRED && !h->tls_done &&
	    h->option != NBD_OPT_STARTTLS && h->option != NBD_OPT_ABORT) {
		if (h->option == NBD_OPT_EXPORT_NAME) {
			snprintf(h->err, h->errlen, "NBD_OPT_EXPORT_NAME "
			    "before STARTTLS on a socket that requires TLS");
			return -1;
		}
		return nbd_hs_refuse(h, NBD_REP_ERR_TLS_REQD,
		    "this export requires TLS (NBD_OPT_STARTTLS)");
	}
	switch (h->option) {
	case NBD_OPT_EXPORT_NAME:
		return nbd_hs_export_name(h) == -1 ? -1 : 2;
	case NBD_OPT_ABORT:
		nbd_hs_ack(h);
		return 1;
	case NBD_OPT_LIST:
		return nbd_hs_list(h);
	case NBD_OPT_INFO:
	case NBD_OPT_GO:
		if (nbd_hs_info(h, &go) == -1)
			return -1;
		return go ? 2 : 0;
	case NBD_OPT_STRUCTURED_REPLY:
		return nbd_hs_structured(h);
	case NBD_OPT_LIST_META_CONTEXT:
	case NBD_OPT_SET_META_CONTEXT:
		return nbd_hs_meta(h);
	case NBD_OPT_STARTTLS:
		return nbd_hs_starttls(h);
	default:
		return nbd_hs_refuse(h, NBD_REP_ERR_UNSUP, "unknown option");
	}
}

static int
nbd_hs_greet(struct nbd_hs *h)
{
	uint8_t		out[18], in[4];
	uint32_t	flags;

	nbd_put64(out, NBD_MAGIC);
	nbd_put64(out + 8, NBD_OPT_MAGIC);
	nbd_put16(out + 16, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	if (h->io->write(h->io->arg, out, sizeof(out)) == -1 ||
	    h->io->read(h->io->arg, in, sizeof(in)) == -1)
		return 1;
	flags = nbd_get32(in);
	if (flags & ~(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES)) {
		snprintf(h->err, h->errlen, "unknown client flags 0x%x",
		    flags);
		return -1;
	}
	if (!(flags & NBD_FLAG_FIXED_NEWSTYLE)) {
		snprintf(h->err, h->errlen, "the client does not speak the "
		    "fixed newstyle handshake");
		return -1;
	}
	h->s->no_zeroes = (flags & NBD_FLAG_NO_ZEROES) != 0;
	return 0;
}

int
nbd_handshake(const struct nbd_io *io, const struct nbd_export *export,
    enum nbd_tls tls, struct nbd_session *s, char *err, size_t errlen)
{
	struct nbd_hs	h;
	int		rc;

	memset(&h, 0, sizeof(h));
	memset(s, 0, sizeof(*s));
	h.io = io;
	h.export = export;
	h.s = s;
	h.tls = tls;
	h.err = err;
	h.errlen = errlen;
	err[0] = '\0';
	if ((rc = nbd_hs_greet(&h)) != 0)
		return rc;
	if ((h.data = malloc(NBD_OPTION_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((rc = nbd_hs_read_option(&h)) == 0 &&
	    (rc = nbd_hs_option(&h)) == 0)
		;
	free(h.data);
	return rc == 2 ? 0 : rc;
}
