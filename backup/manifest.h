/*
 * A copy's MANIFEST: what was copied and how to check it, in plain text
 * a person can read beside the image (docs/BACKUP.md):
 *
 *	daspool-backup manifest 1
 *	volume Vol-1
 *	form single
 *	size 16777216
 *	generation 3
 *	time 1764640800
 *	copy clean				(clean, fuzzy or split-leg)
 *	extent serverA A1 0 16777216		(one per extent, in order)
 *	chunk_size 1048576
 *	image Vol-1.img
 *	chunk 0 data SHA256			(one per chunk, in order)
 *	chunk 1 hole				(reads as zeroes, not stored)
 *	tree SHA256				(of the chunks' SHA-256s)
 *
 * The tree checksum is the SHA-256 of the chunks' SHA-256s in order, a
 * hole's being that of zeroes of its length: it checks the whole image
 * without hashing its holes, and each byte is hashed once.
 */
#ifndef DASPOOL_BACKUP_MANIFEST_H
#define DASPOOL_BACKUP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define MANIFEST_CHUNK		(1024U * 1024U)
#define MANIFEST_SHA_LEN	32

enum manifest_kind { MANIFEST_CLEAN, MANIFEST_FUZZY, MANIFEST_SPLIT_LEG };

struct manifest_extent {
	char		server[DSP_NAME_MAX + 1];
	char		region[DSP_NAME_MAX + 1];
	uint64_t	offset;
	uint64_t	length;
};

struct manifest {
	char			 volume[DSP_NAME_MAX + 1];
	char			 form[16];
	uint64_t		 size;
	uint64_t		 generation;
	uint64_t		 time;
	enum manifest_kind	 kind;
	uint16_t		 extent_count;
	struct manifest_extent	 extents[DSP_MAX_EXTENTS];
	uint32_t		 chunk_size;
	char			 image[DSP_NAME_MAX + 8];
	uint64_t		 chunks;
	uint8_t			*data;		/* per chunk: 1 data, 0 hole */
	uint8_t			(*sha)[MANIFEST_SHA_LEN];	/* per chunk */
	uint8_t			 tree[MANIFEST_SHA_LEN];
};

/* The tree checksum from the chunks' (a hole's computed here). */
void	manifest_tree(const struct manifest *, uint8_t out[MANIFEST_SHA_LEN]);

/* The chunk arrays for size bytes: 0, or -1 when memory runs out. */
int	manifest_alloc(struct manifest *, uint64_t size, uint32_t chunk_size);
void	manifest_free(struct manifest *);
const char *manifest_kind_name(enum manifest_kind);
/* The text, malloc'ed, its length in *len; NULL when memory runs out. */
char	*manifest_format(const struct manifest *, size_t *len);
/* Reads a MANIFEST back: 0, or -1 with the line at fault in err. */
int	manifest_parse(const char *text, size_t len, struct manifest *,
	    char *err, size_t errlen);

#endif
