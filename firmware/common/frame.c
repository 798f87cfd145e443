/*
 * The 24-byte frame header. Decoding validates everything a receiver
 * must know before it reads or allocates the payload.
 */
#include <string.h>

#include "frame.h"

static void
frame_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
frame_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
frame_encode_header(const struct dsp_header *hdr, uint8_t out[DSP_HEADER_SIZE])
{
	frame_put32(out, hdr->magic);
	out[4] = hdr->version;
	out[5] = hdr->opcode;
	out[6] = hdr->flags >> 8;
	out[7] = hdr->flags;
	frame_put32(out + 8, (uint32_t)(hdr->request_id >> 32));
	frame_put32(out + 12, (uint32_t)hdr->request_id);
	frame_put32(out + 16, hdr->payload_length);
	frame_put32(out + 20, hdr->status);
}

int
frame_decode_header(const uint8_t in[DSP_HEADER_SIZE], size_t max_payload,
    struct dsp_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = frame_get32(in);
	if (hdr->magic != DSP_MAGIC)
		return DSP_E_FRAME;
	hdr->version = in[4];
	hdr->opcode = in[5];
	hdr->flags = (uint16_t)(in[6] << 8 | in[7]);
	hdr->request_id = (uint64_t)frame_get32(in + 8) << 32 |
	    frame_get32(in + 12);
	hdr->payload_length = frame_get32(in + 16);
	hdr->status = frame_get32(in + 20);
	/* Version first: a future version may change everything after it. */
	if (hdr->version != DSP_VERSION)
		return DSP_E_VERSION;
	if (dsp_opcode_name(hdr->opcode) == NULL)
		return DSP_E_OPCODE;
	if (hdr->flags & ~(DSP_FLAG_REPLY | DSP_FLAG_MORE))
		return DSP_E_FRAME;
	/* Only admin output comes in parts. */
	if ((hdr->flags & DSP_FLAG_MORE) && hdr->opcode != DSP_OP_ADMIN)
		return DSP_E_FRAME;
	if (hdr->payload_length > max_payload)
		return DSP_E_TOOBIG;
	return DSP_OK;
}
