/*
 * A tape file of the virtual library written past the page cache
 * (O_DIRECT) where the file system allows it: the bytes gather in an
 * aligned buffer and go to the disk a buffer at a time. A copy is
 * written once, as a drive writes it, not into the cache and then out
 * of it (which here ran at less than half the disk's direct rate).
 * Where O_DIRECT is refused the file is written as usual, its
 * writeback started every 64 MiB.
 */
#ifndef DASPOOL_BACKUP_DIRECT_FILE_H
#define DASPOOL_BACKUP_DIRECT_FILE_H

#include <stddef.h>
#include <stdint.h>

#define DIRECT_BUFFER	(4U * 1024 * 1024)
#define DIRECT_ALIGN	4096U

struct direct_file {
	int		 fd;
	int		 direct;	/* O_DIRECT is on */
	uint8_t		*buf;		/* DIRECT_BUFFER, aligned */
	size_t		 fill;
	uint64_t	 unsynced;	/* buffered: since the last writeback */
};

/* Takes fd (open for writing, at its start): 0, or -1 (errno). */
int	direct_open(struct direct_file *, int fd);
/* All of it, or -1 (errno). */
int	direct_write(struct direct_file *, const void *, size_t len);
/* The rest, then fsync: 0, or -1 (errno). */
int	direct_finish(struct direct_file *);
/* Frees the buffer; does not close fd. */
void	direct_free(struct direct_file *);

#endif
