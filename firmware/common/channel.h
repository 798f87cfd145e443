/*
 * Framed request/reply I/O over a TLS connection or a plain socket (the
 * manager's local admin socket). A channel owns its receive buffer.
 *
 * Every error reply carries a human-readable message as its payload
 * (a u32-length text blob): channel_reply_error() sends one and
 * channel_error_text() reads it back.
 */
#ifndef DASPOOL_CHANNEL_H
#define DASPOOL_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "proto.h"

struct tls_conn;
struct channel;

struct channel	*channel_from_tls(struct tls_conn *);	/* takes ownership */
struct channel	*channel_from_fd(int fd);		/* takes ownership */
void		 channel_close(struct channel *);
struct tls_conn	*channel_tls(struct channel *);	/* NULL for a plain fd */
int		 channel_fd(struct channel *);

/* Receive timeout in ms for later channel_recv calls; 0 = none. */
void		 channel_set_timeout(struct channel *, int timeout_ms);
/* Send timeout in ms: a send that cannot go on for that long (TLS: a
 * frame not sent within it) fails with ETIMEDOUT; 0 = none. */
void		 channel_set_send_timeout(struct channel *, int timeout_ms);

/*
 * Reads one frame. Returns DSP_OK, or a dsp_status for a malformed
 * header (the connection should then be closed), or -1 on EOF/IO error.
 * The payload stays valid until the next channel_recv.
 */
int		 channel_recv(struct channel *, struct dsp_header *,
		    const uint8_t **payload);

/* Sends header + payload in one write. Returns 0 or -1. */
int		 channel_send(struct channel *, uint8_t opcode, uint16_t flags,
		    uint64_t request_id, uint32_t status, const void *payload,
		    size_t len);
int		 channel_reply(struct channel *, const struct dsp_header *req,
		    const struct buf_writer *payload);
int		 channel_reply_error(struct channel *, const struct dsp_header *req,
		    uint32_t status, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* Request + wait for its reply (no pipelining). On success returns
 * DSP_OK with the reply payload; on an error reply returns its status and
 * copies the message into err; -1 on connection failure. */
int		 channel_call(struct channel *, uint8_t opcode,
		    const struct buf_writer *request, const uint8_t **reply,
		    size_t *reply_len, char *err, size_t errlen);

/*
 * A call whose reply may come in parts (DSP_FLAG_MORE, ADMIN only): cb
 * gets each OK frame's payload as it arrives, the last one included,
 * and returns 0, or -1 for a payload it cannot read. Returns DSP_OK
 * after the last part, the status of an error reply (which may follow
 * parts: the answer is then incomplete) with its text in err, or -1 on
 * connection failure or a malformed reply.
 */
typedef int	(*channel_part_cb)(const uint8_t *payload, size_t len, void *);
int		 channel_call_parts(struct channel *, uint8_t opcode,
		    const struct buf_writer *request, channel_part_cb, void *,
		    char *err, size_t errlen);

/*
 * A server that refuses a connection after the handshake sends one
 * REFUSED frame (request id 0) with a status and a sentence, then
 * closes. channel_refusal_frame builds it in out (returns its length,
 * 0 if out is too small); channel_is_refusal tells one apart.
 */
size_t		 channel_refusal_frame(uint8_t *out, size_t outlen,
		    uint32_t status, const char *text);
int		 channel_is_refusal(const struct dsp_header *);

/* Extracts the message of an error reply payload into out, with its
 * non-printing bytes escaped (text_safe_bytes). */
void		 channel_error_text(const uint8_t *payload, size_t len,
		    char *out, size_t outlen);

#endif
