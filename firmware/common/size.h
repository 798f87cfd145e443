/*
 * Sizes as people write them: "200G", "512M", "1.5T", "4096", "64k",
 * "1GiB". Units are powers of 1024; a plain number is bytes.
 */
#ifndef DASPOOL_SIZE_H
#define DASPOOL_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* 0 on success; -1 with a reason in err for empty, negative, unknown
 * unit, fraction of a byte, or overflow. */
int	size_parse(const char *, uint64_t *out, char *err, size_t errlen);
/* "1.5G", "512M", "100B": shortest form with at most one decimal. */
void	size_format(uint64_t, char *out, size_t outlen);

#endif
