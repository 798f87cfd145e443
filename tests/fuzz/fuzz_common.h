/*
 * Shared by the payload harnesses: run one input through the payload
 * decoders, and check that whatever a decoder accepts re-encodes to the
 * very same bytes (the layouts have exactly one encoding per message).
 */
#ifndef DASPOOL_FUZZ_COMMON_H
#define DASPOOL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Decodes data as the payload of opcode's request or reply. */
void	fuzz_payload(uint8_t opcode, int reply, const uint8_t *data, size_t len);
/* Decodes data with every payload decoder and as an error reply. */
void	fuzz_every_decoder(const uint8_t *data, size_t len);
/* The message of an error reply: printable and NUL-terminated. */
void	fuzz_error_text(const uint8_t *data, size_t len);

#endif
