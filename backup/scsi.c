/*
 * A SCSI tape library (tape.h): the changer moved with mtx (load,
 * unload, and status read by mtx_status.c), the drive through the
 * Linux st driver on its non-rewinding device, in fixed blocks
 * (tape_block.c).
 *
 * A tape's label is its barcode: nothing is written to name it, and a
 * tape without one, or with a cleaning tape's (CLN...), is never
 * written. Labelling erases: a mark at the start of the tape, so its
 * end of data is found (a blank tape has none), and its copies start
 * at file 1. The drive tells neither capacity nor use: both read 0,
 * and a tape is written until the drive reports its end, a short
 * write that stream.c spans to the next tape. Which tapes ended is
 * remembered while the library is open.
 */
#include <sys/ioctl.h>
#include <sys/mtio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtx.h"
#include "mtx_status.h"
#include "tape_block.h"
#include "tape_driver.h"

#define SCSI_STATUS_MAX		(256 * 1024)
/* A drive threads a tape it was just given for up to minutes. */
#define SCSI_READY_WAIT		300

struct scsi {
	struct tape_library	 lib;		/* first: what tape.c sees */
	char			*changer, *drive;
	unsigned int		 drive_index;
	struct mtx_status	 st;		/* the last mtx status */
	unsigned int		 loaded;	/* the drive's tape's slot */
	int			 fd;		/* the drive, or -1 */
	int			 writing, reading;
	unsigned int		 files;		/* on the loaded tape ... */
	int			 files_known;	/* ... once appended to */
	struct tape_block	 block;
	uint8_t			 at_end[TAPE_SLOTS_MAX + 1];
};

static const struct tape_driver scsi_driver;

#define scsi_fail(s, ...)	tape_fail(&(s)->lib, __VA_ARGS__)

static struct scsi *
scsi_of(struct tape_library *lib)
{
	return (struct scsi *)lib;
}

/* mtx ARGS... on the changer; its output, or NULL with err set. */
static char *
scsi_mtx(struct scsi *s, const char *const *args)
{
	char	*out;

	if ((out = malloc(SCSI_STATUS_MAX)) == NULL) {
		scsi_fail(s, "out of memory");
		return NULL;
	}
	if (mtx_run(s->changer, args, out, SCSI_STATUS_MAX, s->lib.err,
	    sizeof(s->lib.err)) == -1) {
		free(out);
		return NULL;
	}
	return out;
}

/* The changer's state now, and the slot our drive's tape came from. */
static int
scsi_status(struct scsi *s)
{
	const char *const	 args[] = { "status", NULL };
	const struct mtx_element *d;
	char			*out;
	int			 rc;

	if ((out = scsi_mtx(s, args)) == NULL)
		return -1;
	rc = mtx_status_parse(out, &s->st, s->lib.err, sizeof(s->lib.err));
	free(out);
	if (rc == -1)
		return -1;
	if (s->drive_index >= s->st.ndrives)
		return scsi_fail(s, "drive_index %u, but the changer %s has %u "
		    "drive%s", s->drive_index, s->changer, s->st.ndrives,
		    s->st.ndrives == 1 ? "" : "s");
	d = &s->st.drives[s->drive_index];
	s->loaded = d->full ? d->source : 0;
	return 0;
}

/*
 * The tape of slot (in it, or in our drive): its element, or NULL. A
 * mail slot is a door, not a place for a copy's tape: never one.
 */
static const struct mtx_element *
scsi_tape(const struct scsi *s, unsigned int slot)
{
	const struct mtx_element *d = &s->st.drives[s->drive_index];

	if (slot < 1 || slot > s->st.nslots ||
	    s->st.slots[slot - 1].import_export)
		return NULL;
	if (d->full && d->source == slot)
		return d;
	return s->st.slots[slot - 1].full ? &s->st.slots[slot - 1] : NULL;
}

/* A barcode a copy may be written under: not a cleaning tape's. */
static int
scsi_barcode_usable(const char *tag)
{
	return tape_label_valid(tag) && strncmp(tag, "CLN", 3) != 0;
}

static int
scsi_inventory(struct tape_library *lib, struct tape_slot *slots,
    unsigned int *n)
{
	struct scsi			*s = scsi_of(lib);
	const struct mtx_element	*t;
	unsigned int			 i;

	if (scsi_status(s) == -1)
		return -1;
	for (i = 1; i <= s->st.nslots; i++) {
		memset(&slots[i - 1], 0, sizeof(slots[i - 1]));
		if ((t = scsi_tape(s, i)) == NULL)
			continue;
		slots[i - 1].full = 1;
		if (scsi_barcode_usable(t->tag))
			snprintf(slots[i - 1].label, sizeof(slots[i - 1].label),
			    "%.*s", TAPE_LABEL_MAX, t->tag);
		slots[i - 1].at_end = s->at_end[i];
		if (i == s->loaded && s->files_known)
			slots[i - 1].files = s->files;
	}
	*n = s->st.nslots;
	return 0;
}

static unsigned int
scsi_loaded(const struct tape_library *lib)
{
	return ((const struct scsi *)lib)->loaded;
}

/* One MTIOCTOP on the drive. */
static int
scsi_op(struct scsi *s, short op, int count, const char *what)
{
	struct mtop	mt = { op, count };

	if (ioctl(s->fd, MTIOCTOP, &mt) == -1)
		return scsi_fail(s, "%s the tape in slot %u (%s): %s", what,
		    s->loaded, s->drive, strerror(errno));
	return 0;
}

/* Opens the drive, waiting while it threads a tape, in fixed blocks. */
static int
scsi_drive_open(struct scsi *s)
{
	int	waited;

	if (s->fd != -1)
		return 0;
	for (waited = 0;; waited++) {
		if ((s->fd = open(s->drive, O_RDWR | O_CLOEXEC)) != -1)
			break;
		if ((errno != EIO && errno != ENOMEDIUM && errno != EBUSY) ||
		    waited == SCSI_READY_WAIT)
			return scsi_fail(s, "%s: %s", s->drive,
			    strerror(errno));
		sleep(1);
	}
	return scsi_op(s, MTSETBLK, (int)s->block.size, "setting the block "
	    "size of");
}

/* The file being written or read is left (st marks one being written
 * when it is closed). */
static void
scsi_drive_close(struct scsi *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->writing = s->reading = 0;
}

/* The drive's tape back to its slot; the drive must let go first. */
static int
scsi_unload(struct scsi *s)
{
	char		 slot[16], drive[16];
	const char	*args[] = { "unload", slot, drive, NULL };
	char		*out;

	if (s->loaded == 0)
		return scsi_fail(s, "drive %u holds a tape the changer knows no "
		    "slot of: unload it by hand (mtx -f %s unload SLOT %u)",
		    s->drive_index, s->changer, s->drive_index);
	if (scsi_drive_open(s) == -1 || scsi_op(s, MTOFFL, 1, "ejecting") ==
	    -1)
		return -1;
	scsi_drive_close(s);
	snprintf(slot, sizeof(slot), "%u", s->loaded);
	snprintf(drive, sizeof(drive), "%u", s->drive_index);
	if ((out = scsi_mtx(s, args)) == NULL)
		return -1;
	free(out);
	s->loaded = 0;
	return 0;
}

static int
scsi_move_in(struct scsi *s, unsigned int slot)
{
	char		 from[16], drive[16];
	const char	*args[] = { "load", from, drive, NULL };
	char		*out;

	snprintf(from, sizeof(from), "%u", slot);
	snprintf(drive, sizeof(drive), "%u", s->drive_index);
	if ((out = scsi_mtx(s, args)) == NULL)
		return -1;
	free(out);
	s->loaded = slot;
	return 0;
}

static int
scsi_load(struct tape_library *lib, unsigned int slot)
{
	struct scsi	*s = scsi_of(lib);

	if (scsi_status(s) == -1)
		return -1;
	if (slot < 1 || slot > s->st.nslots)
		return scsi_fail(s, "no slot %u (the library has %u)", slot,
		    s->st.nslots);
	if (scsi_tape(s, slot) == NULL)
		return scsi_fail(s, "slot %u is empty", slot);
	if (slot != s->loaded) {
		s->files_known = 0;
		if ((s->st.drives[s->drive_index].full && scsi_unload(s) ==
		    -1) || scsi_move_in(s, slot) == -1)
			return -1;
	}
	scsi_drive_close(s);
	if (scsi_drive_open(s) == -1)
		return -1;
	return scsi_op(s, MTREW, 1, "rewinding");
}

/* The barcode is the label: the one asked for must be the tape's. */
static int
scsi_label_check(struct scsi *s, unsigned int slot, const char *label)
{
	const struct mtx_element	*t;

	if (scsi_status(s) == -1)
		return -1;
	if ((t = scsi_tape(s, slot)) == NULL)
		return scsi_fail(s, "slot %u holds no tape", slot);
	if (t->tag[0] == '\0')
		return scsi_fail(s, "the tape in slot %u has no barcode: a "
		    "scsi library knows its tapes by their barcodes, so give "
		    "it a barcode label first", slot);
	if (!scsi_barcode_usable(t->tag))
		return scsi_fail(s, "the tape in slot %u has barcode %s, which "
		    "is a cleaning tape's or not 1 to %d of A-Z 0-9", slot,
		    t->tag, TAPE_LABEL_MAX);
	if (strcmp(t->tag, label) != 0)
		return scsi_fail(s, "the tape in slot %u has barcode %s: on a "
		    "scsi library a tape's label is its barcode", slot, t->tag);
	return 0;
}

/* Labelling erases: a mark at the start, nothing else written. */
static int
scsi_label(struct tape_library *lib, unsigned int slot, const char *label)
{
	struct scsi	*s = scsi_of(lib);

	if (!tape_label_valid(label))
		return scsi_fail(s, "label '%s': 1 to %d of A-Z 0-9", label,
		    TAPE_LABEL_MAX);
	if (scsi_label_check(s, slot, label) == -1 ||
	    scsi_load(lib, slot) == -1 ||
	    scsi_op(s, MTWEOF, 1, "erasing") == -1 ||
	    scsi_op(s, MTREW, 1, "rewinding") == -1)
		return -1;
	s->at_end[slot] = 0;
	s->files = 1;
	s->files_known = 1;
	return 0;
}

/* After the last file: the drive's end of data. */
static int
scsi_append(struct tape_library *lib)
{
	struct scsi	*s = scsi_of(lib);
	struct mtget	 mg;

	if (s->loaded == 0)
		return scsi_fail(s, "no tape in the drive");
	scsi_drive_close(s);
	if (scsi_drive_open(s) == -1)
		return -1;
	if (scsi_op(s, MTEOM, 1, "finding the end of data on") == -1)
		return scsi_fail(s, "%s; a new tape is made ready with "
		    "daspool-backup label %u BARCODE, which writes a mark at "
		    "its start", s->lib.err, s->loaded);
	if (ioctl(s->fd, MTIOCGET, &mg) == -1)
		return scsi_fail(s, "%s: %s", s->drive, strerror(errno));
	/* With st's fast-mteom option the file number is lost. */
	if (mg.mt_fileno < 0)
		return scsi_fail(s, "%s does not tell its file number at the "
		    "end of data (st option fast-mteom?)", s->drive);
	s->files = (unsigned int)mg.mt_fileno;
	s->files_known = 1;
	tape_block_reset(&s->block);
	s->writing = 1;
	return 0;
}

/*
 * One block. At the drive's early warning st reports ENOSPC (or a
 * short count) and lets the next write through, so the block is
 * written again: whole, it ends this tape's part exactly.
 */
static int
scsi_put(void *arg, const void *block, size_t size)
{
	struct scsi	*s = arg;
	ssize_t		 n;

	if ((n = write(s->fd, block, size)) == (ssize_t)size)
		return 0;
	if (n == -1 && errno != ENOSPC)
		return scsi_fail(s, "write to the tape in slot %u: %s",
		    s->loaded, strerror(errno));
	if ((n = write(s->fd, block, size)) == (ssize_t)size)
		return 1;
	return scsi_fail(s, "the tape in slot %u ended inside a block: %s",
	    s->loaded, n == -1 ? strerror(errno) : "short write");
}

static ssize_t
scsi_write(struct tape_library *lib, const void *buf, size_t len)
{
	struct scsi	*s = scsi_of(lib);
	ssize_t		 n;

	if (!s->writing)
		return scsi_fail(s, "the tape is not open for writing");
	if (s->at_end[s->loaded])
		return 0;
	if ((n = tape_block_write(&s->block, buf, len, scsi_put, s)) == -1)
		return -1;
	if ((size_t)n < len)
		s->at_end[s->loaded] = 1;
	return n;
}

static int
scsi_mark(struct tape_library *lib)
{
	struct scsi	*s = scsi_of(lib);

	if (!s->writing)
		return scsi_fail(s, "no tape file is being written");
	if (tape_block_flush(&s->block, scsi_put, s) == -1 ||
	    scsi_op(s, MTWEOF, 1, "writing a file mark on") == -1)
		return -1;
	s->writing = 0;
	s->files++;
	return 0;
}

static int
scsi_seek_file(struct tape_library *lib, unsigned int file)
{
	struct scsi	*s = scsi_of(lib);

	if (s->loaded == 0)
		return scsi_fail(s, "no tape in the drive");
	scsi_drive_close(s);
	if (scsi_drive_open(s) == -1 || scsi_op(s, MTREW, 1, "rewinding") ==
	    -1)
		return -1;
	if (file > 0 && scsi_op(s, MTFSF, (int)file, "spacing forward on") ==
	    -1)
		return scsi_fail(s, "the tape in slot %u has no file %u (%s)",
		    s->loaded, file, s->lib.err);
	tape_block_reset(&s->block);
	s->reading = 1;
	return 0;
}

/* One block; 0 at the mark. */
static ssize_t
scsi_get(void *arg, void *block, size_t size)
{
	struct scsi	*s = arg;
	ssize_t		 n;

	if ((n = read(s->fd, block, size)) == -1)
		return scsi_fail(s, "read from the tape in slot %u: %s%s",
		    s->loaded, strerror(errno), errno == ENOMEM ||
		    errno == EINVAL ? " (written in another block size?)" : "");
	return n;
}

static ssize_t
scsi_read(struct tape_library *lib, void *buf, size_t len)
{
	struct scsi	*s = scsi_of(lib);

	if (!s->reading)
		return scsi_fail(s, "no tape file is open for reading");
	return tape_block_read(&s->block, buf, len, scsi_get, s);
}

static void
scsi_close(struct tape_library *lib)
{
	struct scsi	*s = scsi_of(lib);

	scsi_drive_close(s);
	tape_block_free(&s->block);
	free(s->changer);
	free(s->drive);
	free(s);
}

static const struct tape_driver scsi_driver = {
	.name = "scsi",
	.close = scsi_close,
	.inventory = scsi_inventory,
	.label = scsi_label,
	.load = scsi_load,
	.loaded = scsi_loaded,
	.append = scsi_append,
	.write = scsi_write,
	.mark = scsi_mark,
	.seek_file = scsi_seek_file,
	.read = scsi_read,
};

struct tape_library *
scsi_open(const struct scsi_options *o, char *err, size_t errlen)
{
	struct scsi	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->lib.driver = &scsi_driver;
	s->fd = -1;
	if ((s->changer = strdup(o->changer)) == NULL ||
	    (s->drive = strdup(o->drive)) == NULL ||
	    tape_block_init(&s->block, o->block_size) == -1) {
		snprintf(err, errlen, "out of memory");
		scsi_close(&s->lib);
		return NULL;
	}
	s->drive_index = o->drive_index;
	if (scsi_status(s) == -1) {
		snprintf(err, errlen, "tape library %s: %s", s->changer,
		    s->lib.err);
		scsi_close(&s->lib);
		return NULL;
	}
	return &s->lib;
}
