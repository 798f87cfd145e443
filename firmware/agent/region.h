/*
 * A region: a byte range of a file or block device that this agent
 * lends. Offsets given to the I/O functions are region-relative; every
 * call checks them against the region size before touching the disk.
 *
 * region_open() never drops a region: a missing, unreadable or short
 * backing store gives an unavailable region carrying the reason, so it
 * is still reported to the manager. A region is read-only after open
 * and may be used from many threads at once.
 *
 * The I/O functions return DSP_OK or DSP_E_UNAVAILABLE, DSP_E_RANGE,
 * DSP_E_INVALID, DSP_E_IO, DSP_E_NOSPACE with a sentence in err.
 */
#ifndef DASPOOL_AGENT_REGION_H
#define DASPOOL_AGENT_REGION_H

#include <stddef.h>
#include <stdint.h>

struct region;

#define REGION_REASON_MAX	128
#define REGION_ZERO_CHUNK	(1024U * 1024U)

/* length 0: from offset to the end of the file or device. NULL only
 * when out of memory. */
struct region	*region_open(const char *name, const char *path,
		    uint64_t offset, uint64_t length);
void		 region_close(struct region *);

const char	*region_name(const struct region *);
const char	*region_path(const struct region *);
uint64_t	 region_offset(const struct region *);	/* in the file */
/* Bytes lent; for an unavailable region the configured length (0 if
 * it was "the rest" and could not be measured). */
uint64_t	 region_size(const struct region *);
int		 region_available(const struct region *);
const char	*region_reason(const struct region *);	/* "" if available */

int	region_read(struct region *, uint64_t offset, void *, size_t len,
	    char *err, size_t errlen);
int	region_write(struct region *, uint64_t offset, const void *, size_t len,
	    char *err, size_t errlen);
/* INIT and ERASE: the range reads back as zeroes afterwards. */
int	region_zero(struct region *, uint64_t offset, uint64_t len,
	    char *err, size_t errlen);
/*
 * Finds pattern in [offset, offset + len): up to max_matches offsets of
 * the first matches (overlapping ones included), ascending, in matches.
 * *done is the number of bytes examined: len when the whole range was
 * searched, less when max_matches stopped it early -- then no match
 * starts before offset + *done other than those returned, so a caller
 * can go on from there. scratch (>= 2 * pattern_len bytes) is the read
 * buffer; its size sets the read chunk.
 */
int	region_search(struct region *, uint64_t offset, uint64_t len,
	    const uint8_t *pattern, size_t pattern_len, uint32_t max_matches,
	    uint8_t *scratch, size_t scratch_len, uint64_t *matches,
	    uint32_t *match_count, uint64_t *done, char *err, size_t errlen);
int	region_flush(struct region *, char *err, size_t errlen);

#endif
