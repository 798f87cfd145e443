/*
 * One volume copied to tape (docs/BACKUP.md): opened with a read-only
 * backup ticket, mapped (holes are not read), read in slabs by several
 * threads with connections of their own while the tape is written in
 * order (double buffering: the readers fill the next slabs while one
 * is written), as a tape file holding RESTORE.txt, the image as a
 * sparse member, and the MANIFEST with each chunk's SHA-256.
 */
#ifndef DASPOOL_BACKUP_COPY_H
#define DASPOOL_BACKUP_COPY_H

#include "daspool.h"
#include "manifest.h"
#include "stream.h"

#define COPY_READERS_DEFAULT	4
#define COPY_READERS_MAX	16
#define COPY_SLAB_CHUNKS	8	/* chunks read at once */

/* A volume mounted when its turn comes (config "mounted"). */
enum copy_mounted { COPY_MOUNTED_SKIP, COPY_MOUNTED_COPY, COPY_MOUNTED_SPLIT };

struct copy_opts {
	const char		*volume;
	enum copy_mounted	 mounted;
	int			 readers;
	struct stream_policy	 tapes;		/* which tapes it may take */
	/* After each slab on tape: the data bytes written and due (the
	 * holes are not). From the writer's thread; NULL: none. */
	void			(*progress)(void *arg, uint64_t done,
				    uint64_t total);
	void			*progress_arg;
};

struct copy_result {
	struct manifest		 m;		/* manifest_free when done */
	struct tape_stream	 stream;	/* where it went */
	uint64_t		 stored;	/* image bytes written */
	double			 seconds;
};

/* 0; 1 when the volume was skipped (mounted, and the policy says so:
 * the reason in err); or -1 with the reason in err (what was written
 * stays on the tape as an incomplete file, never counted as a copy).
 * A mounted volume copied anyway is "fuzzy" in its MANIFEST. */
int	copy_volume(struct daspool_client *, struct tape_library *,
	    const struct copy_opts *, struct copy_result *, char *err,
	    size_t errlen);

#endif
