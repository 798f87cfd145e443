/*
 * A copy read back from its tapes: every chunk of the image checked
 * against its SHA-256 in the MANIFEST (verify), and, for a restore,
 * written to a file on the way (holes left holes).
 */
#ifndef DASPOOL_BACKUP_VERIFY_H
#define DASPOOL_BACKUP_VERIFY_H

#include <stdint.h>

#include "stream.h"
#include "tape.h"

struct verify_result {
	char		volume[DSP_NAME_MAX + 1];
	uint64_t	size;
	uint64_t	chunks, data_chunks;
	uint64_t	bytes;		/* image bytes read and checked */
};

/*
 * Reads the copy whose tape file is parts[0..n) in order. to_file NULL
 * only checks. 0 when every chunk matches, else -1 with the first fault
 * in err ("chunk 12 (bytes 12582912-13631487) does not match ...").
 */
int	verify_copy(struct tape_library *, const struct stream_part *parts,
	    unsigned int n, const char *to_file, struct verify_result *,
	    char *err, size_t errlen);

#endif
