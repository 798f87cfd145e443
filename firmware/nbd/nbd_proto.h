/*
 * The NBD protocol as this server speaks it: the fixed newstyle
 * handshake and the transmission phase, simple and structured replies
 * (docs/NBD.md). Numbers are big-endian on the wire.
 */
#ifndef DASPOOL_NBD_PROTO_H
#define DASPOOL_NBD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define NBD_MAGIC		0x4e42444d41474943ULL	/* "NBDMAGIC" */
#define NBD_OPT_MAGIC		0x49484156454f5054ULL	/* "IHAVEOPT" */
#define NBD_REP_MAGIC		0x0003e889045565a9ULL
#define NBD_REQUEST_MAGIC	0x25609513U
#define NBD_SIMPLE_MAGIC	0x67446698U
#define NBD_STRUCTURED_MAGIC	0x668e33efU

/* Handshake flags (server), client flags. */
#define NBD_FLAG_FIXED_NEWSTYLE	(1U << 0)
#define NBD_FLAG_NO_ZEROES	(1U << 1)

/* Options. */
enum {
	NBD_OPT_EXPORT_NAME	= 1,
	NBD_OPT_ABORT		= 2,
	NBD_OPT_LIST		= 3,
	NBD_OPT_STARTTLS	= 5,
	NBD_OPT_INFO		= 6,
	NBD_OPT_GO		= 7,
	NBD_OPT_STRUCTURED_REPLY = 8,
	NBD_OPT_LIST_META_CONTEXT = 9,
	NBD_OPT_SET_META_CONTEXT = 10,
};

/* Option replies; errors have bit 31 set. */
#define NBD_REP_ERR(n)		((1U << 31) | (n))
enum {
	NBD_REP_ACK		= 1,
	NBD_REP_SERVER		= 2,
	NBD_REP_INFO		= 3,
	NBD_REP_META_CONTEXT	= 4,
	NBD_REP_ERR_UNSUP	= NBD_REP_ERR(1),
	NBD_REP_ERR_POLICY	= NBD_REP_ERR(2),
	NBD_REP_ERR_INVALID	= NBD_REP_ERR(3),
	NBD_REP_ERR_TLS_REQD	= NBD_REP_ERR(5),
	NBD_REP_ERR_UNKNOWN	= NBD_REP_ERR(6),
	NBD_REP_ERR_TOO_BIG	= NBD_REP_ERR(9),
};

/* NBD_REP_INFO kinds. */
enum {
	NBD_INFO_EXPORT		= 0,
	NBD_INFO_NAME		= 1,
	NBD_INFO_DESCRIPTION	= 2,
	NBD_INFO_BLOCK_SIZE	= 3,
};

/* Transmission flags. */
#define NBD_TFLAG_HAS_FLAGS		(1U << 0)
#define NBD_TFLAG_READ_ONLY		(1U << 1)
#define NBD_TFLAG_SEND_FLUSH		(1U << 2)
#define NBD_TFLAG_SEND_FUA		(1U << 3)
#define NBD_TFLAG_SEND_TRIM		(1U << 5)
#define NBD_TFLAG_SEND_WRITE_ZEROES	(1U << 6)
#define NBD_TFLAG_SEND_DF		(1U << 7)
#define NBD_TFLAG_CAN_MULTI_CONN	(1U << 8)
#define NBD_TFLAG_SEND_FAST_ZERO	(1U << 11)

/* Command flags. */
#define NBD_CMD_FLAG_FUA	(1U << 0)
#define NBD_CMD_FLAG_NO_HOLE	(1U << 1)
#define NBD_CMD_FLAG_DF		(1U << 2)
#define NBD_CMD_FLAG_REQ_ONE	(1U << 3)
#define NBD_CMD_FLAG_FAST_ZERO	(1U << 4)

enum {
	NBD_CMD_READ		= 0,
	NBD_CMD_WRITE		= 1,
	NBD_CMD_DISC		= 2,
	NBD_CMD_FLUSH		= 3,
	NBD_CMD_TRIM		= 4,
	NBD_CMD_WRITE_ZEROES	= 6,
	NBD_CMD_BLOCK_STATUS	= 7,
};

/* Structured reply chunks. */
#define NBD_REPLY_FLAG_DONE	(1U << 0)
enum {
	NBD_REPLY_TYPE_NONE		= 0,
	NBD_REPLY_TYPE_OFFSET_DATA	= 1,
	NBD_REPLY_TYPE_BLOCK_STATUS	= 5,
	NBD_REPLY_TYPE_ERROR		= (1U << 15) | 1,
};

/* Errors of a reply (the protocol's numbers, not the host's errno). */
enum {
	NBD_OK		= 0,
	NBD_EPERM	= 1,
	NBD_EIO		= 5,
	NBD_ENOMEM	= 12,
	NBD_EINVAL	= 22,
	NBD_ENOSPC	= 28,
	NBD_EOVERFLOW	= 75,
	NBD_ENOTSUP	= 95,
	NBD_ESHUTDOWN	= 108,
};

/* base:allocation. */
#define NBD_STATE_HOLE		(1U << 0)
#define NBD_STATE_ZERO		(1U << 1)
#define NBD_META_BASE_ALLOCATION "base:allocation"
#define NBD_META_BASE_ID	1U

#define NBD_NAME_MAX		4096	/* an export name, a query */
#define NBD_OPTION_MAX		65536	/* an option's data */
#define NBD_REQUEST_SIZE	28
#define NBD_EXTENTS_MAX		1024	/* descriptors in one reply */

/* A request of the transmission phase, as decoded. */
struct nbd_request {
	uint16_t	flags;
	uint16_t	type;
	uint64_t	cookie;
	uint64_t	offset;
	uint32_t	length;
};

/* One run of base:allocation. */
struct nbd_extent {
	uint32_t	length;
	uint32_t	flags;		/* NBD_STATE_* */
};

/* What is exported and how. */
struct nbd_export {
	const char	*name;		/* "" is the default export too */
	const char	*description;	/* NULL: none */
	uint64_t	 size;
	uint16_t	 tflags;	/* NBD_TFLAG_* */
	uint32_t	 min_block;
	uint32_t	 pref_block;
	uint32_t	 max_block;
	int		 can_extents;	/* base:allocation is offered */
};

/* What the handshake settled. */
struct nbd_session {
	int		 no_zeroes;
	int		 structured;
	int		 base_allocation;	/* the context was set */
};

/* Big-endian helpers. */
void		nbd_put16(uint8_t *, uint16_t);
void		nbd_put32(uint8_t *, uint32_t);
void		nbd_put64(uint8_t *, uint64_t);
uint16_t	nbd_get16(const uint8_t *);
uint32_t	nbd_get32(const uint8_t *);
uint64_t	nbd_get64(const uint8_t *);

/* Decodes a request header; -1 when its magic is wrong. */
int	nbd_request_decode(const uint8_t hdr[NBD_REQUEST_SIZE],
	    struct nbd_request *);
/* Whether the request may be carried out on this export: NBD_OK, or the
 * error to reply with and a sentence naming the fault. */
int	nbd_request_check(const struct nbd_request *, const struct nbd_export *,
	    const struct nbd_session *, char *why, size_t whylen);
/* "READ", "WRITE"... or "command 9". */
const char *nbd_command_name(uint16_t type, char *buf, size_t len);

/* Reply headers, into out (at most 32 bytes): their length. */
size_t	nbd_simple_reply(uint8_t *out, uint32_t error, uint64_t cookie);
size_t	nbd_chunk_header(uint8_t *out, uint16_t flags, uint16_t type,
	    uint64_t cookie, uint32_t length);

#endif
