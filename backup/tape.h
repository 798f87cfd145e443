/*
 * A tape library as the backup sees it: slots holding labelled tapes,
 * one drive, and on a loaded tape a sequence of files ended by file
 * marks. A library is opened through its driver (vtl_open, the
 * directories of a virtual library; scsi_open, a real library), and
 * every call below goes through that driver's ops (tape_driver.h).
 * Every call returns 0 or -1 with a sentence in the library's err.
 */
#ifndef DASPOOL_BACKUP_TAPE_H
#define DASPOOL_BACKUP_TAPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAPE_LABEL_MAX	32
#define TAPE_SLOTS_MAX	256
#define TAPE_ERR_MAX	512

/*
 * What one slot holds. A real drive does not tell a tape's capacity
 * or use: the scsi driver reports 0 for both, and a tape has room
 * until a write comes back short (at_end from then on).
 */
struct tape_slot {
	int		full;
	char		label[TAPE_LABEL_MAX + 1];	/* "" unlabelled */
	uint64_t	capacity;	/* bytes; 0 unknown */
	uint64_t	used;		/* bytes written, marks included */
	unsigned int	files;		/* complete files on it (scsi: known
					   for the loaded tape once appended
					   to, else 0) */
	int		at_end;		/* its end was met: no room */
};

/* A labelled tape that may take more: its end not met, and below its
 * capacity when that is known. */
int	tape_slot_has_room(const struct tape_slot *);

struct tape_library;

/* A virtual library: slots 1..slots, the first `tapes` holding an
 * unlabelled tape of capacity bytes each. */
int			 vtl_make(const char *dir, unsigned int slots,
			    unsigned int tapes, uint64_t capacity, char *err,
			    size_t errlen);
struct tape_library	*vtl_open(const char *dir, char *err, size_t errlen);

/* A SCSI library: the changer through mtx, the drive through st. */
struct scsi_options {
	const char	*changer;	/* its sg device, /dev/sg3 */
	const char	*drive;		/* non-rewinding st device, /dev/nst0 */
	unsigned int	 drive_index;	/* the drive's number in the changer */
	size_t		 block_size;	/* fixed, a multiple of 512 */
};
struct tape_library	*scsi_open(const struct scsi_options *, char *err,
			    size_t errlen);
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
