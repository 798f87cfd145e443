/*
 * Requests of the NBD transmission phase: decoding, the checks made
 * before anything is carried out, and reply headers (nbd_proto.h).
 */
#include <stdio.h>

#include "nbd_proto.h"

void
nbd_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
nbd_put32(uint8_t *p, uint32_t v)
{
	nbd_put16(p, (uint16_t)(v >> 16));
	nbd_put16(p + 2, (uint16_t)v);
}

void
nbd_put64(uint8_t *p, uint64_t v)
{
	nbd_put32(p, (uint32_t)(v >> 32));
	nbd_put32(p + 4, (uint32_t)v);
}

uint16_t
nbd_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
nbd_get32(const uint8_t *p)
{
	return (uint32_t)nbd_get16(p) << 16 | nbd_get16(p + 2);
}

uint64_t
nbd_get64(const uint8_t *p)
{
	return (uint64_t)nbd_get32(p) << 32 | nbd_get32(p + 4);
}

int
nbd_request_decode(const uint8_t hdr[NBD_REQUEST_SIZE], struct nbd_request *r)
{
	if (nbd_get32(hdr) != NBD_REQUEST_MAGIC)
		return -1;
	r->flags = nbd_get16(hdr + 4);
	r->type = nbd_get16(hdr + 6);
	r->cookie = nbd_get64(hdr + 8);
	r->offset = nbd_get64(hdr + 16);
	r->length = nbd_get32(hdr + 24);
	return 0;
}

const char *
nbd_command_name(uint16_t type, char *buf, size_t len)
{
	static const char *const names[] = {
		[NBD_CMD_READ] = "READ", [NBD_CMD_WRITE] = "WRITE",
		[NBD_CMD_DISC] = "DISC", [NBD_CMD_FLUSH] = "FLUSH",
		[NBD_CMD_TRIM] = "TRIM", [NBD_CMD_WRITE_ZEROES] =
		"WRITE_ZEROES", [NBD_CMD_BLOCK_STATUS] = "BLOCK_STATUS",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type] != NULL)
		return names[type];
	snprintf(buf, len, "command %u", type);
	return buf;
}

/* The flags each command may carry. */
static uint16_t
nbd_flags_allowed(uint16_t type, const struct nbd_session *s)
{
	switch (type) {
	case NBD_CMD_READ:
		return NBD_CMD_FLAG_FUA |
		    (s->structured ? NBD_CMD_FLAG_DF : 0);
	case NBD_CMD_WRITE:
	case NBD_CMD_FLUSH:
	case NBD_CMD_TRIM:
		return NBD_CMD_FLAG_FUA;
	case NBD_CMD_WRITE_ZEROES:
		return NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE;
	case NBD_CMD_BLOCK_STATUS:
		return NBD_CMD_FLAG_REQ_ONE;
	default:
		return 0;
	}
}

static int
nbd_writes(uint16_t type)
{
	return type == NBD_CMD_WRITE || type == NBD_CMD_TRIM ||
	    type == NBD_CMD_WRITE_ZEROES;
}

/* The range: inside the export, not empty, and for READ and WRITE
 * (which carry data) no longer than the largest block. */
static int
nbd_range_check(const struct nbd_request *r, const struct nbd_export *e,
    const struct nbd_session *s, char *why, size_t whylen)
{
	char	name[32];

	if (r->length == 0) {
		snprintf(why, whylen, "%s of length 0",
		    nbd_command_name(r->type, name, sizeof(name)));
		return NBD_EINVAL;
	}
	if (r->offset > e->size || r->length > e->size - r->offset) {
		snprintf(why, whylen, "%s of %u bytes at offset %llu runs past "
		    "the end of the export (%llu bytes)",
		    nbd_command_name(r->type, name, sizeof(name)), r->length,
		    (unsigned long long)r->offset,
		    (unsigned long long)e->size);
		return r->type == NBD_CMD_WRITE ||
		    r->type == NBD_CMD_WRITE_ZEROES ? NBD_ENOSPC : NBD_EINVAL;
	}
	if ((r->type == NBD_CMD_READ || r->type == NBD_CMD_WRITE) &&
	    r->length > e->max_block) {
		snprintf(why, whylen, "%s of %u bytes is over the largest block "
		    "(%u bytes)", nbd_command_name(r->type, name, sizeof(name)),
		    r->length, e->max_block);
		return r->type == NBD_CMD_READ && s->structured ?
		    NBD_EOVERFLOW : NBD_EINVAL;
	}
	return NBD_OK;
}

int
nbd_request_check(const struct nbd_request *r, const struct nbd_export *e,
    const struct nbd_session *s, char *why, size_t whylen)
{
	char	name[32];

	switch (r->type) {
	case NBD_CMD_READ:
	case NBD_CMD_WRITE:
	case NBD_CMD_DISC:
	case NBD_CMD_FLUSH:
	case NBD_CMD_TRIM:
	case NBD_CMD_WRITE_ZEROES:
	case NBD_CMD_BLOCK_STATUS:
		break;
	default:
		snprintf(why, whylen, "unknown command %u", r->type);
		return NBD_EINVAL;
	}
	if (r->flags & ~nbd_flags_allowed(r->type, s)) {
		snprintf(why, whylen, "%s with flags 0x%x it does not take",
		    nbd_command_name(r->type, name, sizeof(name)),
		    r->flags & ~nbd_flags_allowed(r->type, s));
		return NBD_EINVAL;
	}
	if (nbd_writes(r->type) && (e->tflags & NBD_TFLAG_READ_ONLY)) {
		snprintf(why, whylen, "%s on a read-only export",
		    nbd_command_name(r->type, name, sizeof(name)));
		return NBD_EPERM;
	}
	if (r->type == NBD_CMD_BLOCK_STATUS && !s->base_allocation) {
		snprintf(why, whylen, "BLOCK_STATUS without a meta context set "
		    "(NBD_OPT_SET_META_CONTEXT %s)", NBD_META_BASE_ALLOCATION);
		return NBD_EINVAL;
	}
	if (r->type == NBD_CMD_DISC || r->type == NBD_CMD_FLUSH)
		return NBD_OK;
	return nbd_range_check(r, e, s, why, whylen);
}

size_t
nbd_simple_reply(uint8_t *out, uint32_t error, uint64_t cookie)
{
	nbd_put32(out, NBD_SIMPLE_MAGIC);
	nbd_put32(out + 4, error);
	nbd_put64(out + 8, cookie);
	return 16;
}

size_t
nbd_chunk_header(uint8_t *out, uint16_t flags, uint16_t type, uint64_t cookie,
    uint32_t length)
{
	nbd_put32(out, NBD_STRUCTURED_MAGIC);
	nbd_put16(out + 4, flags);
	nbd_put16(out + 6, type);
	nbd_put64(out + 8, cookie);
	nbd_put32(out + 16, length);
	return 20;
}
