/*
 * A copy read back from its tapes: every chunk of the image checked
 * against its SHA-256 in the MANIFEST (verify), and, for a restore,
 * written to a file on the way (holes left holes).
 */
#ifndef DASPOOL_BACKUP_VERIFY_H
#define DASPOOL_BACKUP_VERIFY_H

#include <stdint.h>

#include "daspool.h"
#include "manifest.h"
#include "stream.h"
#include "tape.h"

struct verify_result {
	char		volume[DSP_NAME_MAX + 1];
	uint64_t	size;
	uint64_t	chunks, data_chunks;
	uint64_t	bytes;		/* image bytes read and checked */
	/* From the MANIFEST, for a catalog rebuilt from tape. */
	uint64_t	time;
	uint8_t		kind;		/* enum manifest_kind */
	uint8_t		tree[MANIFEST_SHA_LEN];
	uint64_t	part_bytes[STREAM_PARTS_MAX];	/* read of each part */
	int		ran_out;	/* the archive goes on past the parts */
};

/* Where a restore writes: a file, or a mounted volume (NULL both:
 * only check). */
struct restore_target {
	const char		*file;
	struct daspool_volume	*volume;
};

/*
 * Reads the copy whose tape file is parts[0..n) in order, writing the
 * image to the target on the way. A volume must be at least the
 * image's size; it is zeroed first, so the holes read as zeroes. 0 when
 * every chunk matches, else -1 with the first fault in err ("chunk 12
 * (bytes 12582912-13631487) does not match ...").
 */
int	verify_copy(struct tape_library *, const struct stream_part *parts,
	    unsigned int n, const struct restore_target *,
	    struct verify_result *, char *err, size_t errlen);

#endif
