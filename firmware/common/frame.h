/*
 * Frame header codec. A frame is a 24-byte header followed by
 * payload_length bytes of payload:
 *
 *   0  u32 magic "DSPL"     8  u64 request id
 *   4  u8  version          16 u32 payload length
 *   5  u8  opcode           20 u32 status (replies)
 *   6  u16 flags (bit 0: reply)
 */
#ifndef DASPOOL_FRAME_H
#define DASPOOL_FRAME_H

#include "proto.h"

void	frame_encode_header(const struct dsp_header *, uint8_t out[DSP_HEADER_SIZE]);

/*
 * Decodes and validates a header: magic, version, known opcode, unknown
 * flag bits, payload length <= max_payload. Returns DSP_OK or the
 * dsp_status naming the fault; *hdr is filled as far as it was read.
 */
int	frame_decode_header(const uint8_t in[DSP_HEADER_SIZE], size_t max_payload,
	    struct dsp_header *hdr);

#endif
