/*
 * Shared by the fuzz harnesses: run one input through every payload
 * decoder, and check that whatever a decoder accepts re-encodes to the
 * very same bytes (the layouts have exactly one encoding per message).
 */
#ifndef DASPOOL_FUZZ_COMMON_H
#define DASPOOL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Decodes data as the payload of opcode (requests and replies). */
void	fuzz_payload(uint8_t opcode, int reply, const uint8_t *data, size_t len);
/* Decodes data with every decoder. */
void	fuzz_every_decoder(const uint8_t *data, size_t len);

#endif
