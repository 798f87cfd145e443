/*
 * A tape library as the backup sees it: slots holding labelled tapes,
 * one drive, and on a loaded tape a sequence of files ended by file
 * marks. A library is opened through its driver (vtl_open, the
 * directories of a virtual library), and every call below goes through
 * that driver's ops (tape_driver.h). Every call returns 0 or -1 with a
 * sentence in the library's err.
 */
#ifndef DASPOOL_BACKUP_TAPE_H
#define DASPOOL_BACKUP_TAPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAPE_LABEL_MAX	32
#define TAPE_SLOTS_MAX	256
#define TAPE_ERR_MAX	512

/* What one slot holds. */
struct tape_slot {
	int		full;
	char		label[TAPE_LABEL_MAX + 1];	/* "" unlabelled */
	uint64_t	capacity;	/* bytes */
	uint64_t	used;		/* bytes written, marks included */
	unsigned int	files;		/* complete files on it */
};

struct tape_library;

/* A virtual library: slots 1..slots, the first `tapes` holding an
 * unlabelled tape of capacity bytes each. */
int			 vtl_make(const char *dir, unsigned int slots,
			    unsigned int tapes, uint64_t capacity, char *err,
			    size_t errlen);
struct tape_library	*vtl_open(const char *dir, char *err, size_t errlen);
void			 tape_close(struct tape_library *);
const char		*tape_error(const struct tape_library *);
/* "vtl" or "scsi". */
const char		*tape_driver_name(const struct tape_library *);

/* Slots 1..n; *n at most TAPE_SLOTS_MAX. */
int	tape_inventory(struct tape_library *, struct tape_slot *slots,
	    unsigned int *n);
/* Writes a label on the tape in slot (erasing it: only for a tape
 * with no copy under retention, the caller's check). */
int	tape_label(struct tape_library *, unsigned int slot, const char *label);
/* Puts the tape of slot in the drive (the one there goes back first),
 * rewound; 0 when the drive is empty. */
int	tape_load(struct tape_library *, unsigned int slot);
unsigned int tape_loaded(const struct tape_library *);

/* Writing: appends after the last file on the tape. tape_write takes
 * what fits and returns its count; less than len means the end of the
 * tape (continue on the next). tape_mark ends the file. */
int	tape_append(struct tape_library *);
ssize_t	tape_write(struct tape_library *, const void *, size_t len);
int	tape_mark(struct tape_library *);
/* Reading: positions at file number (0 first), then reads it: 0 at its
 * end (the mark). */
int	tape_seek_file(struct tape_library *, unsigned int file);
ssize_t	tape_read(struct tape_library *, void *, size_t len);

#endif
