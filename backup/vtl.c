/*
 * The virtual tape library (tape.h): a directory per slot, slot.001 up
 * to the count the library was made with. A slot with a tape holds
 * TAPE (its label and capacity, "label=L\ncapacity=N\n") and its files,
 * file.0000, file.0001, ..., one per tape file; a file being written is
 * file.NNNN.part until its mark. The drive is the link "drive" to the
 * loaded slot. A tape's capacity is the sum of its files' sizes it may
 * hold: a write past it is cut, as at the end of a real tape.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "direct_file.h"
#include "tape_driver.h"

struct vtl {
	struct tape_library	lib;		/* first: what tape.c sees */
	char		dir[PATH_MAX];
	unsigned int	slots;
	unsigned int	loaded;		/* 0: none */
	int		fd;		/* the file being read or written */
	int		writing;
	unsigned int	file;		/* its number */
	uint64_t	capacity;	/* of the loaded tape */
	uint64_t	used;
	struct direct_file out;		/* the file being written */
};

static const struct tape_driver vtl_driver;

#define vtl_fail(l, ...)	tape_fail(&(l)->lib, __VA_ARGS__)

static struct vtl *
vtl_of(struct tape_library *lib)
{
	return (struct vtl *)lib;
}

static void
vtl_path(const struct vtl *l, unsigned int slot, const char *name,
    char *out, size_t len)
{
	snprintf(out, len, "%s/slot.%03u%s%s", l->dir, slot, name[0] ? "/" :
	    "", name);
}

static void
vtl_file_path(const struct vtl *l, unsigned int file, int part,
    char *out, size_t len)
{
	char	name[32];

	snprintf(name, sizeof(name), "file.%04u%s", file, part ? ".part" : "");
	vtl_path(l, l->loaded, name, out, len);
}

/* Reads a slot's TAPE file: 0, or -1 when the slot is empty. */
static int
vtl_read_tape(const struct vtl *l, unsigned int slot,
    struct tape_slot *s)
{
	char		 path[PATH_MAX + 64], line[128];
	unsigned long long v;
	FILE		*f;

	memset(s, 0, sizeof(*s));
	vtl_path(l, slot, "TAPE", path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	s->full = 1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "label=", 6) == 0)
			snprintf(s->label, sizeof(s->label), "%.*s",
			    TAPE_LABEL_MAX, line + 6);
		else if (sscanf(line, "capacity=%llu", &v) == 1)
			s->capacity = v;
	}
	fclose(f);
	return 0;
}

/* The complete files of a slot's tape and the bytes they hold. */
static void
vtl_count_files(const struct vtl *l, unsigned int slot,
    struct tape_slot *s)
{
	char		 path[PATH_MAX + 64];
	struct stat	 st;

	for (s->files = 0, s->used = 0;; s->files++) {
		char	name[32];

		snprintf(name, sizeof(name), "file.%04u", s->files);
		vtl_path(l, slot, name, path, sizeof(path));
		if (stat(path, &st) == -1)
			break;
		s->used += (uint64_t)st.st_size;
	}
}

struct tape_library *
vtl_open(const char *dir, char *err, size_t errlen)
{
	struct vtl		*l;
	struct dirent		*e;
	DIR			*d;
	unsigned int		 n;
	char			 link[PATH_MAX + 8], target[PATH_MAX];
	ssize_t			 len;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "tape library %s: %s", dir,
		    strerror(errno));
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		closedir(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->lib.driver = &vtl_driver;
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	l->fd = -1;
	while ((e = readdir(d)) != NULL)
		if (sscanf(e->d_name, "slot.%u", &n) == 1 && n > l->slots &&
		    n <= TAPE_SLOTS_MAX)
			l->slots = n;
	closedir(d);
	if (l->slots == 0) {
		snprintf(err, errlen, "tape library %s has no slots (slot.001 "
		    "...)", dir);
		free(l);
		return NULL;
	}
	snprintf(link, sizeof(link), "%s/drive", dir);
	if ((len = readlink(link, target, sizeof(target) - 1)) > 0) {
		target[len] = '\0';
		if (sscanf(target, "slot.%u", &n) == 1 && n <= l->slots)
			l->loaded = n;
	}
	return &l->lib;
}

static void
vtl_close(struct tape_library *lib)
{
	struct vtl	*l = vtl_of(lib);

	if (l->fd != -1)
		close(l->fd);
	free(l);
}

static int
vtl_inventory(struct tape_library *lib, struct tape_slot *slots,
    unsigned int *n)
{
	struct vtl	*l = vtl_of(lib);
	unsigned int	 i;

	for (i = 1; i <= l->slots; i++)
		if (vtl_read_tape(l, i, &slots[i - 1]) == 0)
			vtl_count_files(l, i, &slots[i - 1]);
	*n = l->slots;
	return 0;
}

/* Ends what is open; a file being written is left as .part (no mark:
 * a crash mid-file leaves no complete file behind). */
static void
vtl_close_file(struct vtl *l)
{
	if (l->fd != -1)
		close(l->fd);
	if (l->writing)
		direct_free(&l->out);
	l->fd = -1;
	l->writing = 0;
}

static int
vtl_load(struct tape_library *lib, unsigned int slot)
{
	struct vtl		*l = vtl_of(lib);
	struct tape_slot	s;
	char			link[PATH_MAX + 8], target[32];

	if (slot < 1 || slot > l->slots)
		return vtl_fail(l, "no slot %u (the library has %u)", slot,
		    l->slots);
	if (vtl_read_tape(l, slot, &s) == -1)
		return vtl_fail(l, "slot %u is empty", slot);
	vtl_close_file(l);
	snprintf(link, sizeof(link), "%s/drive", l->dir);
	snprintf(target, sizeof(target), "slot.%03u", slot);
	unlink(link);
	if (symlink(target, link) == -1)
		return vtl_fail(l, "cannot load slot %u: %s", slot,
		    strerror(errno));
	l->loaded = slot;
	l->capacity = s.capacity;
	vtl_count_files(l, slot, &s);
	l->used = s.used;
	l->file = 0;
	return 0;
}

static unsigned int
vtl_loaded(const struct tape_library *lib)
{
	return ((const struct vtl *)lib)->loaded;
}

static int
vtl_label(struct tape_library *lib, unsigned int slot, const char *label)
{
	struct vtl		*l = vtl_of(lib);
	struct tape_slot	 s;
	char			 path[PATH_MAX + 64];
	FILE			*f;
	unsigned int		 i;

	if (!tape_label_valid(label))
		return vtl_fail(l, "label '%s': 1 to %d of A-Z 0-9", label,
		    TAPE_LABEL_MAX);
	if (slot < 1 || slot > l->slots || vtl_read_tape(l, slot, &s) == -1)
		return vtl_fail(l, "slot %u holds no tape", slot);
	if (slot == l->loaded)
		vtl_close_file(l);
	/* A new label erases the tape. */
	vtl_count_files(l, slot, &s);
	for (i = 0; i <= s.files; i++) {
		char	name[32];

		snprintf(name, sizeof(name), "file.%04u", i);
		vtl_path(l, slot, name, path, sizeof(path));
		unlink(path);
		snprintf(name, sizeof(name), "file.%04u.part", i);
		vtl_path(l, slot, name, path, sizeof(path));
		unlink(path);
	}
	vtl_path(l, slot, "TAPE", path, sizeof(path));
	if ((f = fopen(path, "w")) == NULL)
		return vtl_fail(l, "%s: %s", path, strerror(errno));
	fprintf(f, "label=%s\ncapacity=%llu\n", label,
	    (unsigned long long)s.capacity);
	if (fclose(f) != 0)
		return vtl_fail(l, "%s: %s", path, strerror(errno));
	if (slot == l->loaded)
		l->used = 0;
	return 0;
}

static int
vtl_append(struct tape_library *lib)
{
	struct vtl		*l = vtl_of(lib);
	struct tape_slot	s;
	char			path[PATH_MAX + 64];

	if (l->loaded == 0)
		return vtl_fail(l, "no tape in the drive");
	vtl_close_file(l);
	/* The drive may have been loaded by another process. */
	if (vtl_read_tape(l, l->loaded, &s) == -1)
		return vtl_fail(l, "the drive's slot %u holds no tape",
		    l->loaded);
	l->capacity = s.capacity;
	vtl_count_files(l, l->loaded, &s);
	l->file = s.files;
	l->used = s.used;
	vtl_file_path(l, l->file, 1, path, sizeof(path));
	if ((l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return vtl_fail(l, "%s: %s", path, strerror(errno));
	if (direct_open(&l->out, l->fd) == -1) {
		vtl_close_file(l);
		return vtl_fail(l, "%s: %s", path, strerror(errno));
	}
	l->writing = 1;
	return 0;
}

static ssize_t
vtl_write(struct tape_library *lib, const void *buf, size_t len)
{
	struct vtl	*l = vtl_of(lib);
	size_t		 room;

	if (!l->writing)
		return vtl_fail(l, "the tape is not open for writing");
	room = l->capacity > l->used ? (size_t)(l->capacity - l->used) : 0;
	if (len > room)
		len = room;
	if (len > 0 && direct_write(&l->out, buf, len) == -1)
		return vtl_fail(l, "write to the tape in slot %u: %s",
		    l->loaded, strerror(errno));
	l->used += len;
	return (ssize_t)len;
}

static int
vtl_mark(struct tape_library *lib)
{
	struct vtl	*l = vtl_of(lib);
	char		 part[PATH_MAX + 64], done[PATH_MAX + 64];

	if (!l->writing)
		return vtl_fail(l, "no tape file is being written");
	if (direct_finish(&l->out) == -1)
		return vtl_fail(l, "tape in slot %u: %s", l->loaded,
		    strerror(errno));
	vtl_close_file(l);
	vtl_file_path(l, l->file, 1, part, sizeof(part));
	vtl_file_path(l, l->file, 0, done, sizeof(done));
	if (rename(part, done) == -1)
		return vtl_fail(l, "%s: %s", done, strerror(errno));
	l->file++;
	return 0;
}

static int
vtl_seek_file(struct tape_library *lib, unsigned int file)
{
	struct vtl	*l = vtl_of(lib);
	char		 path[PATH_MAX + 64];

	if (l->loaded == 0)
		return vtl_fail(l, "no tape in the drive");
	vtl_close_file(l);
	vtl_file_path(l, file, 0, path, sizeof(path));
	if ((l->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return vtl_fail(l, "the tape in slot %u has no file %u",
		    l->loaded, file);
	l->file = file;
	return 0;
}

static ssize_t
vtl_read(struct tape_library *lib, void *buf, size_t len)
{
	struct vtl	*l = vtl_of(lib);
	ssize_t		 n;

	if (l->fd == -1 || l->writing)
		return vtl_fail(l, "no tape file is open for reading");
	if ((n = read(l->fd, buf, len)) == -1)
		return vtl_fail(l, "read from the tape in slot %u: %s",
		    l->loaded, strerror(errno));
	return n;
}

static const struct tape_driver vtl_driver = {
	.name = "vtl",
	.close = vtl_close,
	.inventory = vtl_inventory,
	.label = vtl_label,
	.load = vtl_load,
	.loaded = vtl_loaded,
	.append = vtl_append,
	.write = vtl_write,
	.mark = vtl_mark,
	.seek_file = vtl_seek_file,
	.read = vtl_read,
};

int
vtl_make(const char *dir, unsigned int slots, unsigned int tapes,
    uint64_t capacity, char *err, size_t errlen)
{
	char		 path[PATH_MAX];
	FILE		*f;
	unsigned int	 i;

	if (slots == 0 || slots > TAPE_SLOTS_MAX || tapes > slots) {
		snprintf(err, errlen, "a library has 1 to %d slots, and no "
		    "more tapes than slots", TAPE_SLOTS_MAX);
		return -1;
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 1; i <= slots; i++) {
		snprintf(path, sizeof(path), "%s/slot.%03u", dir, i);
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (i > tapes)
			continue;
		snprintf(path, sizeof(path), "%s/slot.%03u/TAPE", dir, i);
		if ((f = fopen(path, "w")) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		fprintf(f, "label=\ncapacity=%llu\n",
		    (unsigned long long)capacity);
		if (fclose(f) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}
