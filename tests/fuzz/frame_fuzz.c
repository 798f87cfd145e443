/*
 * libFuzzer: an input is a frame as it arrives on a socket. The header
 * must decode without fault and re-encode to the same 24 bytes; a valid
 * header's payload goes to the decoder its opcode selects, or, in an
 * error reply, is read as the error message.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz_common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dsp_header	hdr;
	uint8_t			back[DSP_HEADER_SIZE];
	size_t			plen;

	if (len < DSP_HEADER_SIZE)
		return 0;
	if (frame_decode_header(data, DSP_MAX_PAYLOAD, &hdr) != DSP_OK)
		return 0;
	frame_encode_header(&hdr, back);
	if (memcmp(back, data, DSP_HEADER_SIZE) != 0)
		abort();
	/* Like a receiver: at most payload_length bytes are the payload. */
	plen = len - DSP_HEADER_SIZE;
	if (plen > hdr.payload_length)
		plen = hdr.payload_length;
	if ((hdr.flags & DSP_FLAG_REPLY) && hdr.status != DSP_OK)
		fuzz_error_text(data + DSP_HEADER_SIZE, plen);
	else
		fuzz_payload(hdr.opcode, hdr.flags & DSP_FLAG_REPLY,
		    data + DSP_HEADER_SIZE, plen);
	return 0;
}
