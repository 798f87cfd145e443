/*
 * SHA-256 of a buffer, as fast as this CPU allows: with the x86 SHA
 * instructions when it has them (the copy's chunks are hashed at the
 * read rate), else mbedTLS. Same digest either way.
 */
#ifndef DASPOOL_BACKUP_SHA256_H
#define DASPOOL_BACKUP_SHA256_H

#include <stddef.h>
#include <stdint.h>

void	sha256(const void *data, size_t len, uint8_t out[32]);
/* Whether the SHA instructions are used (for the bench's line). */
int	sha256_hardware(void);
/* mbedTLS's, always: for the tests to compare. */
void	sha256_software(const void *data, size_t len, uint8_t out[32]);

#endif
