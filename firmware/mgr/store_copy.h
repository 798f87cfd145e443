/*
 * Copies of the store (docs/STORE.md, "Copies"): a compacted LMDB copy
 * taken in one read transaction, so it is consistent and never blocks
 * the writer. A copy is one file, store-YYYYMMDDTHHMMSSZ.mdb (UTC), so
 * the names sort by time; it is written under a hidden temporary name,
 * fsync'ed, opened and checked, then renamed: a file with a copy's
 * name is always a whole copy.
 *
 * Functions return 0, or -1 with a sentence in err (errlen >= 256 is
 * plenty).
 */
#ifndef DASPOOL_STORE_COPY_H
#define DASPOOL_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;
struct store_info;

/* "store-" 8 digits "T" 6 digits "Z.mdb", and the NUL. */
#define STORE_COPY_NAME_LEN	27

/* The copy's name for a time: store-20261201T163000Z.mdb. */
void	store_copy_name(time_t, char *name, size_t namelen);
/* The time in a copy's name; -1 for any other name (a temporary file,
 * a file of someone else, an impossible date). */
int	store_copy_parse(const char *name, time_t *);

/*
 * Writes a copy of s into dir (made 0700 if missing) named for when;
 * a copy of the same second is replaced. path gets the copy's path,
 * size its bytes.
 */
int	store_copy_write(struct store *s, const char *dir, time_t when,
	    char *path, size_t pathlen, uint64_t *size, char *err,
	    size_t errlen);

/* Opens a copy (or the data.mdb of a stopped manager) read-only, with
 * the same checks as store_open: an LMDB file, this schema version,
 * every table. Close it with store_close. */
int	store_copy_open(struct store **, const char *file, char *err,
	    size_t errlen);
/* store_copy_open, store_info, store_close; info may be NULL. */
int	store_copy_check(const char *file, struct store_info *, char *err,
	    size_t errlen);

/* Keeps the newest keep copies in dir and removes the others, and any
 * temporary file a crash left behind; other files are left alone.
 * Returns how many copies it removed, or -1 (err names the first file
 * it could not remove or read). */
int	store_copy_rotate(const char *dir, unsigned int keep, char *err,
	    size_t errlen);
/* The newest copy in dir: 1 with its name and time, 0 if none (or no
 * dir), -1 if dir cannot be read. */
int	store_copy_newest(const char *dir, char *name, size_t namelen,
	    time_t *);

/* The store now holds the copy file: every volume one generation up,
 * unlent and unmounted (fenced until its lenders acknowledge), and the
 * audit row of the restore. */
int	store_copy_restored(struct store *, const char *file, uint64_t now,
	    char *err, size_t errlen);

#endif
