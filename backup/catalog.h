/*
 * The backup catalog: every copy, where it is on tape and how it was
 * checked, in an LMDB environment of its own (docs/STORE.md, "The
 * backup catalog"). Tables:
 *
 *	meta		"schema" u32, "next" u64 (the next copy's id)
 *	copies		id (u64, big-endian) -> the copy's record
 *	by_volume	volume '\0' id -> ""	(a volume's copies, in order)
 *	by_tape		label '\0' id -> ""	(the copies a tape holds)
 *
 * The indexes are written in the transaction of the record. The
 * catalog can be rebuilt from the tapes (daspool-backup scan).
 */
#ifndef DASPOOL_BACKUP_CATALOG_H
#define DASPOOL_BACKUP_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "stream.h"

#define CATALOG_SCHEMA		1
#define CATALOG_MAP_SIZE	(256ULL * 1024 * 1024)

enum catalog_state {
	CATALOG_OK		= 0,	/* written whole */
	CATALOG_BAD		= 1,	/* a verify found a chunk that differs */
};

struct catalog_copy {
	uint64_t		id;
	char			volume[DSP_NAME_MAX + 1];
	uint64_t		time;		/* unix seconds, when made */
	uint8_t			kind;		/* enum manifest_kind */
	uint8_t			state;		/* enum catalog_state */
	uint64_t		size;		/* of the image */
	uint64_t		stored;		/* bytes on tape */
	uint8_t			tree[MANIFEST_SHA_LEN];
	uint8_t			nparts;
	struct stream_part	parts[STREAM_PARTS_MAX];
	uint64_t		verified_at;	/* 0: never */
};

struct catalog;

int	catalog_open(const char *dir, struct catalog **, char *err,
	    size_t errlen);
/*
 * For a process other than the backup (daspool-snmp): nothing is made
 * or written. LMDB's lock file must still be writable, as readers
 * register in it: the reader runs as the backup's user. 0, 1 when dir
 * holds no catalog yet, -1 with err.
 */
int	catalog_open_readonly(const char *dir, struct catalog **, char *err,
	    size_t errlen);
void	catalog_close(struct catalog *);
/* Records a copy; its id is given here (c->id). 0, or -1 with err. */
int	catalog_add(struct catalog *, struct catalog_copy *, char *err,
	    size_t errlen);
/* 0, 1 when there is no such copy, -1 on error. */
int	catalog_get(struct catalog *, uint64_t id, struct catalog_copy *);
/* The copies of one volume (NULL: all), oldest first; cb returns
 * nonzero to stop. */
int	catalog_each(struct catalog *, const char *volume,
	    int (*cb)(const struct catalog_copy *, void *), void *arg);
/* The copies with a part on the tape. */
int	catalog_each_on_tape(struct catalog *, const char *label,
	    int (*cb)(const struct catalog_copy *, void *), void *arg);
int	catalog_set_state(struct catalog *, uint64_t id, uint8_t state,
	    uint64_t verified_at, char *err, size_t errlen);
/* Forgets every copy with a part on the tape (it is being erased). */
void	catalog_forget_tape(struct catalog *, const char *label);
/* A number kept beside the copies (meta): "last_run", the time of the
 * last backup run that ended. get: 0 (1 and *v 0 when never set), -1. */
int	catalog_get_u64(struct catalog *, const char *key, uint64_t *v);
int	catalog_put_u64(struct catalog *, const char *key, uint64_t v,
	    char *err, size_t errlen);
/* Forgets a copy (the tape keeps its bytes until it is relabelled). */
int	catalog_forget(struct catalog *, uint64_t id, char *err,
	    size_t errlen);

/*
 * A read snapshot: lookups in it agree with one another while the
 * backup writes. One read transaction, held until the end.
 */
struct catalog_snapshot;

int	catalog_snapshot_begin(struct catalog *, struct catalog_snapshot **,
	    char *err, size_t errlen);
void	catalog_snapshot_end(struct catalog_snapshot *);
/* The first copy whose id is from or more, by one cursor seek: 0, 1
 * when there is none, -1 (a read error or a damaged record). */
int	catalog_snapshot_seek(struct catalog_snapshot *, uint64_t from,
	    struct catalog_copy *);
/* Copies in the catalog: 0, or -1. */
int	catalog_snapshot_count(struct catalog_snapshot *, uint64_t *n);

#endif
