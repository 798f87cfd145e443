/*
 * A drive in fixed-block mode moves whole blocks only: what a writer
 * hands over gathers here until a block is full and goes to the drive
 * a block at a time; a reader is served out of the last block read.
 * Pure buffering, the drive behind two callbacks, so it is tested
 * without one (tape_block_test).
 */
#ifndef DASPOOL_BACKUP_TAPE_BLOCK_H
#define DASPOOL_BACKUP_TAPE_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes one block: 0 written; 1 written, and the tape is at its end
 * (write no more); -1 failed. */
typedef int	(*tape_block_put_fn)(void *arg, const void *block, size_t size);
/* Reads one block: its size, 0 at a file mark, -1 failed. */
typedef ssize_t	(*tape_block_get_fn)(void *arg, void *block, size_t size);

struct tape_block {
	uint8_t	*buf;
	size_t	 size;
	size_t	 fill;		/* writing: bytes gathered */
	size_t	 pos;		/* reading: bytes of buf served */
	int	 ended;		/* writing: the tape's end was met */
};

int	tape_block_init(struct tape_block *, size_t size);
void	tape_block_free(struct tape_block *);
/* Empties it, for a new file. */
void	tape_block_reset(struct tape_block *);
/*
 * Takes what fits before the end of the tape and returns its count
 * (less than len: the end, as tape_write). Bytes taken are on tape or
 * gathered for the next block; at the end, the block that met it was
 * written whole, so nothing taken is left behind.
 */
ssize_t	tape_block_write(struct tape_block *, const void *, size_t len,
	    tape_block_put_fn, void *arg);
/*
 * The gathered tail as a last block padded with zeroes. Only a file's
 * end is padded, and a file holds one tar archive, which ends in its
 * two zero records: tar stops there and never reads the pad.
 */
int	tape_block_flush(struct tape_block *, tape_block_put_fn, void *arg);
/* Up to len bytes of the file: 0 at its mark, -1 failed. */
ssize_t	tape_block_read(struct tape_block *, void *, size_t len,
	    tape_block_get_fn, void *arg);

#endif
