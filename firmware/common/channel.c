/*
 * Framed request/reply I/O over TLS or a plain socket.
 *
 * A channel is used by one thread at a time; it has no lock of its own.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "frame.h"
#include "text.h"
#include "timeutil.h"
#include "tls.h"

/* One TLS record's worth of plaintext: header plus the first bytes of
 * the payload go out together, the rest straight from the caller. */
#define CHANNEL_RECORD		16384
#define CHANNEL_RBUF_MIN	65536
#define CHANNEL_ERRMSG_MAX	1024

struct channel {
	struct tls_conn	*tls;		/* NULL for a plain fd */
	int		 fd;
	int		 timeout_ms;
	uint64_t	 next_id;
	uint8_t		*rbuf;
	size_t		 rcap;
	uint8_t		 sbuf[CHANNEL_RECORD];
};

static struct channel	*channel_new(struct tls_conn *, int);
static int		 channel_fd_read(struct channel *, void *, size_t);
static int		 channel_fd_write(int, const struct iovec *, int);
static int		 channel_read(struct channel *, void *, size_t);
static int		 channel_grow(struct channel *, size_t);
static void		 channel_lost(char *, size_t, int);

static struct channel *
channel_new(struct tls_conn *tls, int fd)
{
	struct channel	*ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->tls = tls;
	ch->fd = fd;
	return ch;
}

struct channel *
channel_from_tls(struct tls_conn *tls)
{
	struct channel	*ch;

	if ((ch = channel_new(tls, tls_fd(tls))) == NULL)
		tls_close(tls);
	return ch;
}

struct channel *
channel_from_fd(int fd)
{
	struct channel	*ch;

	if ((ch = channel_new(NULL, fd)) == NULL)
		close(fd);
	return ch;
}

void
channel_close(struct channel *ch)
{
	if (ch == NULL)
		return;
	if (ch->tls != NULL)
		tls_close(ch->tls);
	else if (ch->fd != -1)
		close(ch->fd);
	free(ch->rbuf);
	free(ch);
}

struct tls_conn *
channel_tls(struct channel *ch)
{
	return ch->tls;
}

int
channel_fd(struct channel *ch)
{
	return ch->fd;
}

void
channel_set_timeout(struct channel *ch, int timeout_ms)
{
	ch->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

/* A plain socket's kernel timeout bounds each blocked write; not a
 * socket (a pipe in a test), it just blocks as before. */
void
channel_set_send_timeout(struct channel *ch, int timeout_ms)
{
	struct timeval	tv;

	if (timeout_ms < 0)
		timeout_ms = 0;
	if (ch->tls != NULL) {
		tls_set_send_timeout(ch->tls, timeout_ms);
		return;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	(void)setsockopt(ch->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Reads exactly len bytes from a plain socket within the timeout. */
static int
channel_fd_read(struct channel *ch, void *buf, size_t len)
{
	struct pollfd	 pfd;
	uint8_t		*p = buf;
	int64_t		 deadline = 0, left;
	ssize_t		 n;
	int		 r;

	if (ch->timeout_ms > 0)
		deadline = timeutil_now_ms() + ch->timeout_ms;
	while (len > 0) {
		if (deadline != 0) {
			if ((left = deadline - timeutil_now_ms()) <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			pfd.fd = ch->fd;
			pfd.events = POLLIN;
			if ((r = poll(&pfd, 1, (int)left)) == -1) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (r == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		if ((n = read(ch->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
channel_fd_write(int fd, const struct iovec *iov_in, int iovcnt)
{
	struct iovec	 iov[2];
	ssize_t		 n;
	int		 i = 0;

	memcpy(iov, iov_in, sizeof(iov[0]) * (size_t)iovcnt);
	while (i < iovcnt) {
		if (iov[i].iov_len == 0) {
			i++;
			continue;
		}
		if ((n = writev(fd, iov + i, iovcnt - i)) == -1) {
			if (errno == EINTR)
				continue;
			/* SO_SNDTIMEO ran out: the peer stopped reading. */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		while (n > 0 && i < iovcnt) {
			if ((size_t)n >= iov[i].iov_len) {
				n -= (ssize_t)iov[i].iov_len;
				iov[i].iov_len = 0;
				i++;
			} else {
				iov[i].iov_base =
				    (uint8_t *)iov[i].iov_base + n;
				iov[i].iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

static int
channel_read(struct channel *ch, void *buf, size_t len)
{
	if (ch->tls != NULL)
		return tls_read_full(ch->tls, buf, len, ch->timeout_ms);
	return channel_fd_read(ch, buf, len);
}

static int
channel_grow(struct channel *ch, size_t need)
{
	uint8_t	*p;
	size_t	 cap;

	if (need <= ch->rcap)
		return 0;
	cap = ch->rcap ? ch->rcap : CHANNEL_RBUF_MIN;
	while (cap < need)
		cap *= 2;
	if (cap > DSP_MAX_PAYLOAD)
		cap = DSP_MAX_PAYLOAD;
	if ((p = realloc(ch->rbuf, cap)) == NULL)
		return -1;
	ch->rbuf = p;
	ch->rcap = cap;
	return 0;
}

int
channel_recv(struct channel *ch, struct dsp_header *hdr,
    const uint8_t **payload)
{
	static const uint8_t	 empty[1];
	uint8_t			 raw[DSP_HEADER_SIZE];
	int			 rc;

	*payload = empty;
	if (channel_read(ch, raw, sizeof(raw)) == -1)
		return -1;
	/* Check the header before trusting its length. */
	if ((rc = frame_decode_header(raw, DSP_MAX_PAYLOAD, hdr)) != DSP_OK)
		return rc;
	if (hdr->payload_length == 0)
		return DSP_OK;
	if (channel_grow(ch, hdr->payload_length) == -1)
		return -1;
	if (channel_read(ch, ch->rbuf, hdr->payload_length) == -1)
		return -1;
	*payload = ch->rbuf;
	return DSP_OK;
}

int
channel_send(struct channel *ch, uint8_t opcode, uint16_t flags,
    uint64_t request_id, uint32_t status, const void *payload, size_t len)
{
	struct dsp_header	 hdr;
	struct iovec		 iov[2];
	size_t			 first;

	if (len > DSP_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = DSP_MAGIC;
	hdr.version = DSP_VERSION;
	hdr.opcode = opcode;
	hdr.flags = flags;
	hdr.request_id = request_id;
	hdr.payload_length = (uint32_t)len;
	hdr.status = status;
	frame_encode_header(&hdr, ch->sbuf);

	if (ch->tls == NULL) {
		iov[0].iov_base = ch->sbuf;
		iov[0].iov_len = DSP_HEADER_SIZE;
		iov[1].iov_base = (void *)(uintptr_t)payload;
		iov[1].iov_len = len;
		return channel_fd_write(ch->fd, iov, 2);
	}

	/* Fill the first record; only the tail of a big payload goes out
	 * uncopied in further full records. */
	first = len;
	if (first > CHANNEL_RECORD - DSP_HEADER_SIZE)
		first = CHANNEL_RECORD - DSP_HEADER_SIZE;
	if (first > 0)
		memcpy(ch->sbuf + DSP_HEADER_SIZE, payload, first);
	if (tls_write_full(ch->tls, ch->sbuf, DSP_HEADER_SIZE + first) == -1)
		return -1;
	if (len > first && tls_write_full(ch->tls,
	    (const uint8_t *)payload + first, len - first) == -1)
		return -1;
	return 0;
}

int
channel_reply(struct channel *ch, const struct dsp_header *req,
    const struct buf_writer *payload)
{
	if (payload != NULL && payload->error)
		return channel_reply_error(ch, req, DSP_E_INTERNAL,
		    "out of memory while building the reply");
	return channel_send(ch, req->opcode, DSP_FLAG_REPLY, req->request_id,
	    DSP_OK, payload ? payload->data : NULL, payload ? payload->len : 0);
}

int
channel_reply_error(struct channel *ch, const struct dsp_header *req,
    uint32_t status, const char *fmt, ...)
{
	char			 text[CHANNEL_ERRMSG_MAX];
	uint8_t			 blob[4 + CHANNEL_ERRMSG_MAX];
	va_list			 ap;
	size_t			 n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);

	/* The same bytes buf_put_blob would write, without an allocation
	 * on the error path. */
	blob[0] = (uint8_t)(n >> 24);
	blob[1] = (uint8_t)(n >> 16);
	blob[2] = (uint8_t)(n >> 8);
	blob[3] = (uint8_t)n;
	memcpy(blob + 4, text, n);
	if (status == DSP_OK)
		status = DSP_E_INTERNAL;
	return channel_send(ch, req->opcode, DSP_FLAG_REPLY, req->request_id,
	    status, blob, 4 + n);
}

size_t
channel_refusal_frame(uint8_t *out, size_t outlen, uint32_t status,
    const char *text)
{
	struct dsp_header	hdr;
	size_t			n = strlen(text);

	if (outlen < DSP_HEADER_SIZE + 4 + n)
		return 0;
	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = DSP_MAGIC;
	hdr.version = DSP_VERSION;
	hdr.opcode = DSP_OP_REFUSED;
	hdr.flags = DSP_FLAG_REPLY;
	hdr.payload_length = (uint32_t)(4 + n);
	hdr.status = status;
	frame_encode_header(&hdr, out);
	out[DSP_HEADER_SIZE] = (uint8_t)(n >> 24);
	out[DSP_HEADER_SIZE + 1] = (uint8_t)(n >> 16);
	out[DSP_HEADER_SIZE + 2] = (uint8_t)(n >> 8);
	out[DSP_HEADER_SIZE + 3] = (uint8_t)n;
	memcpy(out + DSP_HEADER_SIZE + 4, text, n);
	return DSP_HEADER_SIZE + 4 + n;
}

int
channel_is_refusal(const struct dsp_header *hdr)
{
	return hdr->opcode == DSP_OP_REFUSED && hdr->request_id == 0 &&
	    (hdr->flags & DSP_FLAG_REPLY) && hdr->status != DSP_OK;
}

void
channel_error_text(const uint8_t *payload, size_t len, char *out,
    size_t outlen)
{
	struct buf_reader	 r;
	const uint8_t		*text;
	size_t			 tlen;

	if (outlen == 0)
		return;
	buf_reader_init(&r, payload, len);
	buf_get_blob(&r, &text, &tlen, DSP_TEXT_MAX);
	if (buf_reader_finish(&r) == -1) {
		snprintf(out, outlen, "(malformed error message)");
		return;
	}
	if (tlen == 0) {
		snprintf(out, outlen, "(no message)");
		return;
	}
	/* The text goes to logs and terminals. */
	text_safe_bytes(out, outlen, text, tlen);
}

static void
channel_lost(char *err, size_t errlen, int e)
{
	if (e == ETIMEDOUT)
		snprintf(err, errlen, "no reply in time");
	else if (e == ECONNRESET || e == 0)
		snprintf(err, errlen, "connection closed by peer");
	else
		snprintf(err, errlen, "connection lost: %s", strerror(e));
}

/* Sends a request; its id in *id. 0, or -1 with err. */
static int
channel_request(struct channel *ch, uint8_t opcode, uint16_t flags,
    const struct buf_writer *request, uint64_t *id, char *err, size_t errlen)
{
	if (request != NULL && request->error) {
		snprintf(err, errlen, "out of memory while building the "
		    "request");
		return -1;
	}
	*id = ++ch->next_id;
	if (channel_send(ch, opcode, flags, *id, 0, request ? request->data :
	    NULL, request ? request->len : 0) == -1) {
		channel_lost(err, errlen, errno);
		return -1;
	}
	return 0;
}

/*
 * The next frame answering request id (or a REFUSED frame instead):
 * 0 with hdr and its payload, or -1 with err. Late replies to earlier
 * calls that timed out are skipped.
 */
static int
channel_await(struct channel *ch, uint8_t opcode, uint64_t id,
    struct dsp_header *hdr, const uint8_t **reply, char *err, size_t errlen)
{
	int	rc;

	for (;;) {
		errno = 0;
		if ((rc = channel_recv(ch, hdr, reply)) == -1) {
			channel_lost(err, errlen, errno);
			return -1;
		}
		if (rc != DSP_OK) {
			snprintf(err, errlen, "malformed reply frame (%s)",
			    dsp_status_name((uint32_t)rc));
			return -1;
		}
		if (channel_is_refusal(hdr))
			return 0;
		if ((hdr->flags & DSP_FLAG_REPLY) && hdr->request_id < id)
			continue;
		break;
	}
	if (!(hdr->flags & DSP_FLAG_REPLY) || hdr->request_id != id ||
	    hdr->opcode != opcode) {
		snprintf(err, errlen, "unexpected frame from peer (opcode %u, "
		    "request %llu) while waiting for reply %llu", hdr->opcode,
		    (unsigned long long)hdr->request_id, (unsigned long long)id);
		return -1;
	}
	return 0;
}

/* DSP_OK, or the status of an error reply with its text in err. */
static int
channel_status(const struct dsp_header *hdr, const uint8_t *reply, char *err,
    size_t errlen)
{
	if (hdr->status == DSP_OK)
		return DSP_OK;
	channel_error_text(reply, hdr->payload_length, err, errlen);
	return hdr->status > INT_MAX ? DSP_E_INTERNAL : (int)hdr->status;
}

int
channel_call(struct channel *ch, uint8_t opcode,
    const struct buf_writer *request, const uint8_t **reply,
    size_t *reply_len, char *err, size_t errlen)
{
	struct dsp_header	 hdr;
	uint64_t		 id;

	*reply = NULL;
	*reply_len = 0;
	if (channel_request(ch, opcode, 0, request, &id, err, errlen) == -1 ||
	    channel_await(ch, opcode, id, &hdr, reply, err, errlen) == -1)
		return -1;
	if (hdr.flags & DSP_FLAG_MORE) {
		snprintf(err, errlen, "a reply in parts to a request that did "
		    "not ask for one");
		return -1;
	}
	*reply_len = hdr.payload_length;
	return channel_status(&hdr, *reply, err, errlen);
}

int
channel_call_parts(struct channel *ch, uint8_t opcode,
    const struct buf_writer *request, channel_part_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct dsp_header	 hdr;
	const uint8_t		*reply;
	uint64_t		 id;
	int			 rc;

	if (channel_request(ch, opcode, DSP_FLAG_MORE, request, &id, err,
	    errlen) == -1)
		return -1;
	for (;;) {
		if (channel_await(ch, opcode, id, &hdr, &reply, err,
		    errlen) == -1)
			return -1;
		/* An error ends the reply, even after parts. */
		if ((rc = channel_status(&hdr, reply, err, errlen)) != DSP_OK) {
			if (!(hdr.flags & DSP_FLAG_MORE))
				return rc;
			snprintf(err, errlen, "an error reply marked as a part");
			return -1;
		}
		if (cb(reply, hdr.payload_length, arg) == -1) {
			snprintf(err, errlen, "malformed reply payload");
			return -1;
		}
		if (!(hdr.flags & DSP_FLAG_MORE))
			return DSP_OK;
	}
}
