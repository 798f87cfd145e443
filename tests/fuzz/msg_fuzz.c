/*
 * libFuzzer: an input is a payload, given to every decoder in turn
 * (requests and replies of every opcode, and the message of an error
 * reply). The first 24 bytes are also tried as a frame header.
 */
#include "frame.h"
#include "fuzz_common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dsp_header	hdr;

	if (len >= DSP_HEADER_SIZE)
		(void)frame_decode_header(data, DSP_MAX_PAYLOAD, &hdr);
	fuzz_every_decoder(data, len);
	return 0;
}
