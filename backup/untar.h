/*
 * Reading back a tape file the backup wrote (tar.h): the members in
 * order, a sparse member's regions with their data. Only what tar.c
 * writes is understood (ustar headers, pax records, GNU sparse 1.0);
 * anything else is refused with the offset at fault.
 */
#ifndef DASPOOL_BACKUP_UNTAR_H
#define DASPOOL_BACKUP_UNTAR_H

#include <stddef.h>
#include <stdint.h>

#include "tar.h"

/* Whole reads: 0, or -1 (the reader keeps why). 1 at the end. */
typedef int	(*untar_read_fn)(void *arg, void *buf, size_t len);

struct untar_member {
	char		name[TAR_NAME_MAX + 1];
	uint64_t	size;		/* of the file as extracted */
	int		sparse;
};

/*
 * Called for each member: begin once, then data(offset, buf, len) for
 * each piece in order (offsets in the extracted file; the bytes not
 * given are holes), then end. A callback returning -1 stops the read.
 */
struct untar_fns {
	int	(*begin)(void *arg, const struct untar_member *);
	int	(*data)(void *arg, uint64_t offset, const void *buf, size_t len);
	int	(*end)(void *arg, const struct untar_member *);
	void	*arg;
};

/* Reads to the end of the archive: 0, or -1 with err. */
int	untar(untar_read_fn, void *rarg, const struct untar_fns *,
	    char *err, size_t errlen);

/* 1 when block is a sound ustar header of the member name. */
int	untar_is_member(const uint8_t block[TAR_BLOCK], const char *name);

#endif
