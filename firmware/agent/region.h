/*
 * A region: a byte range of a file or block device that this agent
 * lends, or several such parts of one server joined end to end. Offsets
 * given to the I/O functions are region-relative; every call checks
 * them against the region size before touching the disk, and a range
 * that crosses from one part into the next is split between them.
 *
 * region_open() never drops a region: a missing, unreadable or short
 * backing store gives an unavailable region carrying the reason, so it
 * is still reported to the manager. One bad part makes the whole
 * joined region unavailable, with that part's path in the reason. A
 * region is read-only after open and may be used from many threads at
 * once.
 *
 * The I/O functions return DSP_OK or DSP_E_UNAVAILABLE, DSP_E_RANGE,
 * DSP_E_INVALID, DSP_E_IO, DSP_E_NOSPACE with a sentence in err.
 */
#ifndef DASPOOL_AGENT_REGION_H
#define DASPOOL_AGENT_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct region;

#define REGION_REASON_MAX	128
#define REGION_ZERO_CHUNK	(1024U * 1024U)
/* Parts of one joined region; enough for the disks of one server. */
#define REGION_PARTS_MAX	8

/* One part: length 0 means from offset to the end of the file or
 * device. Also the parsed config's form of it (hence not const). */
struct region_part {
	char		*path;
	uint64_t	 offset;
	uint64_t	 length;
};

/* A region of one part. NULL only when out of memory. */
struct region	*region_open(const char *name, const char *path,
		    uint64_t offset, uint64_t length);
/* parts[0] first, 1..REGION_PARTS_MAX of them (else NULL, EINVAL).
 * NULL otherwise only when out of memory. */
struct region	*region_open_parts(const char *name,
		    const struct region_part *parts, unsigned int count);
void		 region_close(struct region *);

const char	*region_name(const struct region *);
const char	*region_path(const struct region *);	/* of the first part */
uint64_t	 region_offset(const struct region *);	/* in that file */
unsigned int	 region_part_count(const struct region *);
/* Bytes lent, the sum of the parts; for an unavailable region the sum
 * of the configured lengths (0 if a part was "the rest" and so could
 * not be counted). */
uint64_t	 region_size(const struct region *);
int		 region_available(const struct region *);
const char	*region_reason(const struct region *);	/* "" if available */
/* Where the region lives, for the manager: each part's path, with
 * "@offset" when not at 0 and "+length" when not to the end, joined by
 * " + "; cut with " ..." when longer than len - 1. */
void		 region_backing(const struct region *, char *out, size_t len);

int	region_read(struct region *, uint64_t offset, void *, size_t len,
	    char *err, size_t errlen);
int	region_write(struct region *, uint64_t offset, const void *, size_t len,
	    char *err, size_t errlen);
/*
 * Long operations (zeroing, search) run in slices of at most
 * REGION_SLICE_BYTES or REGION_SLICE_MS and ask go_on(arg) between
 * slices: when it answers 0 they stop with DSP_E_STALE, *done telling
 * how far they got. A NULL slicer never stops.
 */
#define REGION_SLICE_BYTES	(64ULL * 1024 * 1024)
#define REGION_SLICE_MS		100

struct region_slicer {
	int	(*go_on)(void *arg);
	void	*arg;
};

/* INIT and ERASE: the range reads back as zeroes afterwards. *done is
 * the number of bytes zeroed from offset on. */
int	region_zero(struct region *, uint64_t offset, uint64_t len,
	    const struct region_slicer *, uint64_t *done, char *err,
	    size_t errlen);
/*
 * Finds pattern in [offset, offset + len): up to max_matches offsets of
 * the first matches (overlapping ones included), ascending, in matches.
 * *done is the number of bytes examined: len when the whole range was
 * searched, less when max_matches stopped it early -- then no match
 * starts before offset + *done other than those returned, so a caller
 * can go on from there. scratch (>= 2 * pattern_len bytes) is the read
 * buffer; its size sets the read chunk. Stopped by the slicer, it
 * returns DSP_E_STALE with the matches and *done so far.
 */
int	region_search(struct region *, uint64_t offset, uint64_t len,
	    const uint8_t *pattern, size_t pattern_len, uint32_t max_matches,
	    uint8_t *scratch, size_t scratch_len,
	    const struct region_slicer *, uint64_t *matches,
	    uint32_t *match_count, uint64_t *done, char *err, size_t errlen);
/* fdatasync of every part. */
int	region_flush(struct region *, char *err, size_t errlen);
/*
 * MAP: the runs of data and of holes (which read as zeroes) in
 * [offset, offset + len), in order from offset, at most max of them;
 * *done is the bytes they cover, less than len when max ran out. What
 * cannot tell its holes (a block device, a file system without
 * SEEK_HOLE) is all data.
 */
int	region_map(struct region *, uint64_t offset, uint64_t len,
	    struct msg_run *runs, uint32_t max, uint32_t *count,
	    uint64_t *done, char *err, size_t errlen);

#endif
