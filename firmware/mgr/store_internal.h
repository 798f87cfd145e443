/*
 * Inside the store: the environment handle, the transaction wrapper
 * every operation runs in, record codecs and per-table helpers.
 *
 *   store.c          environment, transactions, errors
 *   store_info.c     sizes, table entries, versions (show store)
 *   store_copy.c     copies of the store and their rotation
 *   store_codec.c    record layouts (docs/STORE.md)
 *   store_table.c    typed get/put/delete of records, the audit trail
 *   store_read.c     store_each_*, store_get_*
 *   store_agents.c   register, heartbeat, expiry, fence acks
 *   store_admin.c    volume create/split/delete
 *   store_lending.c  allocate, mount, unmount, release
 *   store_mirror.c   mirror legs, the write-intent bitmaps, health
 *   store_records.c  the lenders' view, revisions, the owed index
 *   store_extents.c  the extents index: who holds which bytes
 *   store_index.c    the lending indexes: by server, borrower, free size
 *   store_rebuild.c  lenders' records: candidates, import, hold, resolve
 *   store_ids.c      stable numbers of servers, regions and volumes
 *   store_backup.c   the backup's rows of the audit trail
 */
#ifndef DASPOOL_STORE_INTERNAL_H
#define DASPOOL_STORE_INTERNAL_H

#include <lmdb.h>

#include "buf.h"
#include "msg_record.h"
#include "store.h"

#define STORE_RECORD_VERSION	1	/* leading byte of every record */
/* Volume records: 2 adds the mirror leg fields; 1 is still read. */
/* Volume records: 3 adds generation_at and the extents' server_retired;
 * 4 the revision, the hold and the extents' acked_revision; 1 to 3 are
 * still read. Server records: 2 adds retired. */
#define STORE_VOLUME_VERSION	5
#define STORE_SERVER_VERSION	2
/* Region records: 2 adds the backing; 1 is still read. */
#define STORE_REGION_VERSION	2
#define STORE_MAX_PIECES	64	/* volumes cut by one split */
/* Tables from "owed" on (in store_open_dbs' order) came with the
 * lenders' records; a read-only open does without them. */
#define STORE_FIRST_LATER_TABLE	6
#define STORE_IDS_TABLE		12	/* "ids", the last */
#define STORE_MAP_SIZE		(1024ULL * 1024 * 1024)
#define STORE_MAX_READERS	1024
#define STORE_AUDIT_KEEP	100000	/* oldest rows pruned beyond this */
/* "server" '\0' "region" */
#define STORE_REGION_KEY_MAX	(2 * DSP_NAME_MAX + 1)

struct store {
	MDB_env		*env;
	MDB_dbi		 meta;
	MDB_dbi		 servers;
	MDB_dbi		 regions;
	MDB_dbi		 volumes;
	MDB_dbi		 audit;
	MDB_dbi		 bitmaps;	/* mirror volume name -> bits */
	MDB_dbi		 owed;		/* "server\0volume" -> owed push */
	MDB_dbi		 candidates;	/* "volume\0server" -> its record */
	MDB_dbi		 extents;	/* "server\0region\0"offset volume */
	MDB_dbi		 server_volumes;	/* "server\0volume" */
	MDB_dbi		 borrowed;	/* "borrower\0volume" */
	MDB_dbi		 free_sizes;	/* size volume: unlent */
	MDB_dbi		 ids;		/* stable numbers (store_ids.c) */
	int		 readonly;
	unsigned int	 missing;	/* read-only: later tables absent */
	void		(*owed_hook)(void *);
	void		*owed_arg;
	struct store_batcher *batcher;	/* group commit */
};

/* One transaction and where its error sentence goes. */
struct store_txn {
	struct store	*s;
	MDB_txn		*txn;
	uint64_t	 now;
	int		 dirty;		/* commit only if something changed */
	int		 owed;		/* a push became owed: call the hook */
	char		*err;
	size_t		 errlen;
};

/* store.c */
/* store_open without the directory: path and mdb_env_open flags as
 * given (a copy is a single file: MDB_NOSUBDIR | MDB_RDONLY |
 * MDB_NOLOCK). */
int	store_open_env(struct store **, const char *path, unsigned int flags,
	    size_t map_size, char *err, size_t errlen);
/* meta "schema": 0, or an LMDB error (MDB_NOTFOUND, MDB_CORRUPTED). */
int	store_schema_get(struct store *, MDB_txn *, uint32_t *version);
int	store_fail(struct store_txn *, int status, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	store_mdb_fail(struct store_txn *, const char *what, int mdb_rc);
int	store_begin(struct store *, struct store_txn *, int write, uint64_t now,
	    char *err, size_t errlen);
/* Commits if status is DSP_OK and the txn is dirty, else aborts. */
int	store_end(struct store_txn *, int status);
void	store_set_err(char *err, size_t errlen, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* store_batch.c: group commit. A job runs in a transaction of its own
 * nested in a batch's; its status is store_write's, given only once the
 * batch's commit is durable. A job that changes nothing sets no dirty. */
typedef int (*store_job_fn)(struct store_txn *, void *);
int	store_write(struct store *, uint64_t now, store_job_fn, void *,
	    char *err, size_t errlen);
int	store_batcher_init(struct store *);
void	store_batcher_free(struct store *);

/* store_codec.c: 0, or -1 for a malformed or unknown-version record */
void	store_encode_server(struct buf_writer *, const struct server_record *);
int	store_decode_server(const void *, size_t, struct server_record *);
void	store_encode_region(struct buf_writer *, const struct region_record *);
int	store_decode_region(const void *, size_t, struct region_record *);
void	store_encode_volume(struct buf_writer *, const struct volume_record *);
int	store_decode_volume(const void *, size_t, struct volume_record *);
void	store_encode_audit(struct buf_writer *, const struct audit_record *);
int	store_decode_audit(const void *, size_t, struct audit_record *);
size_t	store_region_key(char *key, const char *server, const char *region);
void	store_copy(char *dst, size_t dstlen, const char *src);

/* store_table.c: DSP_OK, DSP_E_NOTFOUND (with a sentence) or
 * DSP_E_INTERNAL */
int	store_server_load(struct store_txn *, const char *,
	    struct server_record *);
int	store_server_save(struct store_txn *, const struct server_record *);
int	store_region_load(struct store_txn *, const char *server,
	    const char *region, struct region_record *);
int	store_region_save(struct store_txn *, const struct region_record *);
int	store_region_remove(struct store_txn *, const char *server,
	    const char *region);
int	store_volume_load(struct store_txn *, const char *,
	    struct volume_record *);
int	store_volume_save(struct store_txn *, const struct volume_record *);
int	store_volume_remove(struct store_txn *, const char *);
/* The write-intent bitmap of a mirror: *bits is a malloc'd array of
 * BITMAP_BYTES(chunks) bytes, all clear when the volume has none. */
int	store_bitmap_load(struct store_txn *, const char *volume,
	    uint64_t chunks, uint8_t **bits);
int	store_bitmap_save(struct store_txn *, const char *volume,
	    const uint8_t *bits, size_t len);
/* DSP_OK also when there was none. */
int	store_bitmap_remove(struct store_txn *, const char *volume);
int	store_audit_add(struct store_txn *, const char *actor,
	    const char *action, const char *volume, const char *detail, ...)
	    __attribute__((format(printf, 5, 6)));

/* Cursor walks over one table; cb returns nonzero to stop, and that
 * value is returned: a callback that fails sets the sentence with
 * store_fail and returns the dsp_status. -1 after a store error. */
typedef int (*store_raw_cb)(const MDB_val *key, const MDB_val *val, void *);
int	store_walk(struct store_txn *, MDB_dbi, const MDB_val *from,
	    store_raw_cb, void *);
int	store_walk_status(int);		/* -1 -> DSP_E_INTERNAL */
typedef int (*store_txn_volume_cb)(struct store_txn *,
	    const struct volume_record *, void *);
int	store_walk_volumes(struct store_txn *, store_txn_volume_cb, void *);
/* The same from the first volume named after `after` (NULL: all). */
int	store_walk_volumes_after(struct store_txn *, const char *after,
	    store_txn_volume_cb, void *);
/* Name of a volume with an extent overlapping [off, off + len) of the
 * region into user (DSP_NAME_MAX + 1), skipping volume skip; 1 if one
 * does, 0 if none, -1 on error. */
int	store_region_user(struct store_txn *, const char *server,
	    const char *region, uint64_t off, uint64_t len, const char *skip,
	    char *user);

/* store_ids.c: stable numbers, written by the saves and removes of
 * store_table.c; *id may be NULL. */
int	store_ids_server(struct store_txn *, const char *server, uint32_t *id);
int	store_ids_region(struct store_txn *, const char *server,
	    const char *region);
int	store_ids_region_gone(struct store_txn *, const char *server,
	    const char *region);
int	store_ids_volume(struct store_txn *, const char *volume);
int	store_ids_volume_gone(struct store_txn *, const char *volume);
/* Every server, region and volume without one gets one (upgrade). */
int	store_ids_build(struct store_txn *);
/* The number of a name: kind 's' server, 'r' region (key from
 * store_region_key), 'v' volume. DSP_OK or DSP_E_NOTFOUND. */
int	store_id_of(struct store_txn *, char kind, const char *key, size_t len,
	    uint32_t *id);
/* The first row of kind after the numbers `after` (count of them: 1,
 * or 2 for a region's server and region; at them too if inclusive),
 * in number order: its numbers and its name key (up to
 * STORE_REGION_KEY_MAX bytes, not terminated) with its length.
 * DSP_E_NOTFOUND past the last. */
int	store_id_next(struct store_txn *, char kind, const uint32_t *after,
	    size_t count, int inclusive, uint32_t *numbers, char *key,
	    size_t *len);

/* store.c: the change counter in meta, one up per commit (of a
 * batch: once, in its parent). 0 or an LMDB error. */
int	store_changes_bump(struct store *, MDB_txn *);
int	store_count_change(struct store_txn *);
/* The counter and the unix seconds of the last commit (0 and 0 for a
 * store never written since it had one). */
int	store_changes(struct store_txn *, uint64_t *count, uint64_t *at);

/* store.c: the manager that writes the store (meta "manager": its
 * release string, u64 unix seconds it started); "" and 0 when none has
 * said. */
int	store_manager_info(struct store_txn *, char *release, size_t len,
	    uint64_t *started);

/* store_admin.c: the last generation of a deleted volume of this
 * name, 0 if none. */
uint64_t store_retired_generation(struct store_txn *, const char *name);

/* store_records.c: the lenders' view of a volume (docs/STORE.md). */
void	store_view_fields(const struct volume_record *,
	    struct msg_volume_record *);
/* With the bitmap: *bits is malloc'd (NULL when no chunk is dirty) and
 * m->bitmap points to it. */
int	store_lender_view(struct store_txn *, const struct volume_record *,
	    struct msg_volume_record *m, uint8_t **bits);
int	store_view_digest(struct store_txn *, const struct volume_record *,
	    uint8_t digest[DSP_DIGEST_LEN]);
/* v->revision one above old's when the lenders' view changed (old NULL:
 * a new record), never below old's. */
void	store_next_revision(const struct volume_record *old,
	    struct volume_record *v);
/* The owed rows after a volume is written (old NULL: new) or removed;
 * store_volume_save and store_volume_remove call these. */
int	store_records_saved(struct store_txn *, const struct volume_record *old,
	    const struct volume_record *);
int	store_records_removed(struct store_txn *, const struct volume_record *);
/* Deletes an owed row of that kind (0: any). */
int	store_owed_done(struct store_txn *, const char *server,
	    const char *volume, uint8_t kind);

/* store_extents.c: the extents index, written by store_volume_save
 * and store_volume_remove. */
int	store_extents_saved(struct store_txn *, const struct volume_record *old,
	    const struct volume_record *);
int	store_extents_removed(struct store_txn *, const struct volume_record *);
/* Each extent on the region, in offset order: cb returns nonzero to
 * stop, and that is returned; -1 after a store error. */
typedef int (*store_extent_cb)(const char *volume, uint64_t offset,
	    uint64_t length, void *);
int	store_region_extents(struct store_txn *, const char *server,
	    const char *region, store_extent_cb, void *);

/* store_index.c: the lending indexes, written by store_volume_save and
 * store_volume_remove. */
int	store_indexes_saved(struct store_txn *, const struct volume_record *old,
	    const struct volume_record *);
int	store_indexes_removed(struct store_txn *, const struct volume_record *);
/* Each volume of the index, in key order: cb returns nonzero to stop,
 * and that is returned; -1 after a store error. size is the volume's
 * for store_free_volumes, 0 for the others. */
typedef int (*store_index_cb)(struct store_txn *, const char *volume,
	    uint64_t size, void *);
/* The server's volumes by name, after `after` (NULL: from the first). */
int	store_server_volumes(struct store_txn *, const char *server,
	    const char *after, store_index_cb, void *);
int	store_borrower_volumes(struct store_txn *, const char *borrower,
	    store_index_cb, void *);
/* Unlent volumes of at least min_size, smallest first. */
int	store_free_volumes(struct store_txn *, uint64_t min_size,
	    store_index_cb, void *);
/* Every index (extents too) emptied and written again from the rows. */
int	store_indexes_build(struct store_txn *);

/* store_rebuild.c */
int	store_candidates_clear(struct store_txn *, const char *volume);
/* Holds the volume (unlent) until the newer record server keeps has
 * been seen. */
void	store_hold_newer(struct volume_record *, const char *server,
	    uint64_t revision);

/* Names collected in one walk and changed after it, so no cursor walks
 * a table that is being written. server: whose, for walks that need it. */
struct store_names {
	struct store_txn *t;
	const char	*server;
	size_t		 count;
	size_t		 cap;
	dsp_name	*names;
};

int	store_names_add(struct store_names *, const char *name, size_t len);
/* A store_walk_volumes callback adding every volume's name (arg: the
 * struct store_names). */
int	store_collect_volume(struct store_txn *, const struct volume_record *,
	    void *);

/* store_lending.c: the volume is lent to borrower (E_STATE, E_BUSY). */
int	store_check_owner(struct store_txn *, const struct volume_record *,
	    const char *borrower);

/* store_lending.c: a new generation (an unmount): the agents must
 * acknowledge it, except those of retired servers. */
void	store_bump_generation(struct volume_record *, uint64_t now);

/* store_read.c: every extent, in sync or not, acked the generation. */
int	volume_all_acked(const struct volume_record *);

#endif
