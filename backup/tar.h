/*
 * POSIX tar (pax) archives as a tape file holds them: plain members
 * (the MANIFEST, RESTORE.txt) and a volume image as a GNU sparse file,
 * format 1.0 (its map at the start of the member's data, the names in
 * a pax header), which a stock GNU tar extracts byte-exact with its
 * holes as holes. Output goes through a writer callback; the archive
 * is a whole number of 512-byte blocks, which a tape driver gathers
 * into its own block size.
 */
#ifndef DASPOOL_BACKUP_TAR_H
#define DASPOOL_BACKUP_TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK	512
#define TAR_NAME_MAX	255	/* a member's name, in a pax header */

/* 0, or -1 (the writer says why in its own terms). */
typedef int	(*tar_write_fn)(void *arg, const void *buf, size_t len);

/* One region of data in a sparse image; the rest reads as zeroes. */
struct tar_region {
	uint64_t	offset;
	uint64_t	length;
};

struct tar {
	tar_write_fn	 write;
	void		*arg;
	uint64_t	 mtime;
	/* the sparse member being written */
	uint64_t	 left;		/* data bytes still due */
	uint64_t	 written;	/* of the member, for its padding */
	uint64_t	 bytes;		/* the whole archive so far */
};

void	tar_init(struct tar *, tar_write_fn, void *arg, uint64_t mtime);
/* A regular file member, whole. */
int	tar_file(struct tar *, const char *name, const void *data,
	    size_t len);
/*
 * A sparse member: name is what extraction creates, size the full
 * image's, regions (ascending, not overlapping, inside size) the data
 * that follows with tar_data, in order, exactly their total length.
 */
int	tar_sparse_begin(struct tar *, const char *name, uint64_t size,
	    const struct tar_region *regions, size_t count);
int	tar_data(struct tar *, const void *buf, size_t len);
int	tar_sparse_end(struct tar *);
/* The two zero blocks that end an archive. */
int	tar_finish(struct tar *);

/* The sparse map as tar_sparse_begin writes it, for a size check:
 * its bytes before padding. */
size_t	tar_sparse_map_len(const struct tar_region *, size_t count,
	    uint64_t size);

#endif
