/*
 * The inside of a region (region.h), shared by the files that work on
 * its parts.
 */
#ifndef DASPOOL_AGENT_REGION_INTERNAL_H
#define DASPOOL_AGENT_REGION_INTERNAL_H

#include "proto.h"
#include "region.h"

/* One part as opened: its backing file or device. */
struct region_store {
	char		*path;
	int		 fd;		/* -1 when unavailable */
	int		 is_blk;
	uint64_t	 base;		/* offset in the file or device */
	uint64_t	 start;		/* offset in the region */
	uint64_t	 size;
};

struct region {
	char			 name[DSP_NAME_MAX + 1];
	unsigned int		 store_count;
	struct region_store	 stores[REGION_PARTS_MAX];
	uint64_t		 size;
	int			 available;
	char			 reason[REGION_REASON_MAX];
};

/* The range is inside an available region: DSP_OK, or the refusal. */
int	region_check(const struct region *, uint64_t off, uint64_t len,
	    char *err, size_t errlen);
/* The part holding region offset off (< size), and in *n how many of
 * the len bytes from there it holds: the rest go to the next part. */
const struct region_store *region_piece(const struct region *, uint64_t off,
	    uint64_t len, uint64_t *n);

#endif
