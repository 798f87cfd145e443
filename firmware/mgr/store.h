/*
 * The virtual disk table in LMDB (docs/STORE.md). Every state change is
 * one write transaction committed durably; readers (show commands, other
 * appliance processes) never block the writer.
 *
 * Functions that change state return DSP_OK or a dsp_status, with a
 * sentence for the user in err (errlen >= 256 is plenty).
 */
#ifndef DASPOOL_STORE_H
#define DASPOOL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "msg_mirror.h"
#include "msg_record.h"

struct store;

struct server_record {
	dsp_name	name;
	dsp_name	host;		/* agent data address */
	uint16_t	port;
	uint8_t		up;		/* 1 up, 0 down */
	uint64_t	last_seen;	/* unix seconds of last register/heartbeat */
	uint8_t		retired;	/* gone for good (server retire) */
	uint64_t	retired_at;	/* unix seconds */
};

struct region_record {
	dsp_name	server;
	dsp_name	name;
	uint64_t	size;
	uint8_t		available;
	char		reason[128];
	char		backing[MSG_BACKING_MAX + 1];	/* "" if unsaid */
};

struct volume_extent {
	dsp_name	server;
	dsp_name	region;
	uint64_t	offset;			/* in the region */
	uint64_t	length;
	uint64_t	acked_generation;	/* highest the agent confirmed */
	uint64_t	acked_revision;		/* of the record it keeps */
	uint8_t		server_retired;	/* counts as acked from then on */
	/* Mirror legs only (enum dsp_leg_state; in sync for other forms). */
	uint8_t		leg_state;
	uint8_t		full_resync;	/* bitmap cannot be trusted for it */
	uint64_t	resync_done;	/* chunks copied by the current resync */
	uint64_t	resync_total;
	uint64_t	last_copied;	/* chunks copied by the last resync */
	char		leg_reason[DSP_LEG_REASON_MAX + 1];	/* why out of sync */
	/* Split off for a backup copy: out of sync, no resync until
	 * given back or hold_until (unix seconds) has passed. */
	uint8_t		backup_hold;
	uint64_t	hold_until;
	uint8_t		hold_missed;	/* a write was refused there since */
};

/*
 * A volume is held (never lent) while the table and its lenders'
 * records disagree, until an admin resolves it (docs/STORE.md,
 * "Records on the lenders").
 */
enum volume_hold {
	VOLUME_HOLD_NONE	= 0,
	VOLUME_HOLD_IMPORT	= 1,	/* built from lenders' records */
	VOLUME_HOLD_CONFLICT	= 2,	/* a lender keeps a newer record */
};

struct volume_record {
	dsp_name		name;
	uint8_t			form;		/* enum dsp_usage_form */
	uint64_t		size;
	dsp_name		borrower;	/* "" when not lent */
	uint8_t			mounted;	/* status: 1 mounted, 0 not */
	uint64_t		generation;	/* bumped by every unmount */
	uint64_t		generation_at;	/* unix seconds it was set */
	uint64_t		created_at;
	uint32_t		chunk_size;	/* mirror: bitmap chunk, else 0 */
	uint64_t		dirty_chunks;	/* bits set in its bitmap */
	uint64_t		revision;	/* of its record, one up per change */
	uint8_t			hold_kind;	/* enum volume_hold */
	char			hold[256];	/* why it is held, "" if not */
	uint16_t		extent_count;
	struct volume_extent	extents[DSP_MAX_EXTENTS];
};

struct audit_record {
	uint64_t	seq;
	uint64_t	time;		/* unix seconds */
	char		actor[DSP_NAME_MAX + 1];	/* CN, or "admin:uid" */
	char		action[32];	/* "allocate", "mount", "force-unmount"... */
	char		volume[DSP_NAME_MAX + 1];
	char		detail[128];
};

/* map_size 0 = default (1 GiB). readonly opens with MDB_RDONLY (and
 * never creates anything). 0, or -1 with a sentence in err. Open once
 * per process and share the handle among threads. */
int	store_open(struct store **, const char *dir, int readonly,
	    size_t map_size, char *err, size_t errlen);
void	store_close(struct store *);

/* --- the store itself (store_info.c) --- */
/* meta "schema": 2 adds the lending indexes, 3 the stable numbers and
 * the change counter; older ones are upgraded at start. */
#define STORE_SCHEMA_VERSION	3
#define STORE_TABLES	13

struct store_table_info {
	const char	*name;		/* "meta", "servers", ... */
	int		 missing;	/* an older store, read-only */
	uint64_t	 entries;
	uint64_t	 pages;		/* branch, leaf and overflow */
};

struct store_info {
	uint64_t		map_size;	/* the map's ceiling, bytes */
	uint64_t		map_used;	/* bytes up to the last page used */
	uint64_t		last_txn;	/* id of the last commit */
	uint32_t		page_size;
	uint32_t		schema;		/* meta "schema" */
	/* Versions this program writes (docs/STORE.md, record layouts). */
	uint32_t		record_version;	/* audit */
	uint32_t		region_version;
	uint32_t		server_version;
	uint32_t		volume_version;
	struct store_table_info	tables[STORE_TABLES];
};

/* Records this manager's release and start time (for SNMP). */
int	store_manager_started(struct store *, const char *release,
	    uint64_t now, char *err, size_t errlen);

/* One read transaction: a consistent view. 0, or -1 with err. */
int	store_info(struct store *, struct store_info *, char *err,
	    size_t errlen);

/* --- agents --- */
/* Upserts the server (up, host, port, last_seen = now), replaces its
 * region list, and fills page with the first page of the generations of
 * the volumes having an extent on this server (in name order). A
 * retired server is refused (E_STATE). */
int	store_register(struct store *, const struct msg_register *, uint64_t now,
	    struct msg_generation_page *page, char *err, size_t errlen);
/* The next page: the volumes after volume `after` in name order. */
int	store_generations(struct store *, const char *server, const char *after,
	    struct msg_generation_page *page, char *err, size_t errlen);
/*
 * Retires a server that is gone for good (refused while it is up):
 * marks it retired and its regions gone, counts every extent on it as
 * having acknowledged every generation (so volumes waiting only on it
 * are no longer fenced) and takes its mirror legs out of sync. It may
 * not register again under that name. *volumes tells how many volumes
 * use it.
 */
int	store_server_retire(struct store *, const char *actor, const char *name,
	    uint64_t now, unsigned int *volumes, char *err, size_t errlen);
int	store_heartbeat(struct store *, const char *server, uint64_t now,
	    char *err, size_t errlen);
/* Marks servers silent for longer than timeout down, but those alive
 * says are (it may be NULL); returns how many changed state, or -1. */
typedef int (*store_alive_fn)(void *, const char *server);
int	store_expire_servers(struct store *, uint64_t now, uint64_t timeout,
	    store_alive_fn alive, void *alive_arg);
/* Heartbeats heard in memory, written in one commit: the last_seen of
 * each server that is up goes to `when` if that is later. */
struct store_seen {
	dsp_name	server;
	uint64_t	when;
};
int	store_servers_seen(struct store *, const struct store_seen *,
	    size_t count, char *err, size_t errlen);
/* The agent's connection is gone: marks it down now. DSP_OK or
 * DSP_E_NOTFOUND. */
int	store_server_down(struct store *, const char *server);
/*
 * FENCE_ACK: the server has seen these generations and keeps records of
 * these revisions and digests. Raises acked_generation of its extents;
 * a generation above the table's raises the volume one above it,
 * unlent (the table is an older copy). A record equal to the table's is
 * acknowledged, another one is owed a push, and one that may be newer
 * is named in asked (NULL: not asked for).
 */
int	store_fence_ack(struct store *, const char *server,
	    const struct msg_generations *, struct msg_volume_names *asked,
	    char *err, size_t errlen);

/* --- admin --- */
struct store_region_ref {
	dsp_name	server;
	dsp_name	region;
};

/*
 * Creates a single (1 region), concat (2..DSP_MAX_EXTENTS regions, laid
 * end to end in the order given) or mirror volume (2..DSP_MAX_EXTENTS
 * legs on distinct servers, as large as the smallest leg; every leg uses
 * that many bytes from the start of its region). Each region is used
 * whole and must be available and not hold a byte of another volume.
 */
int	store_volume_create(struct store *, const char *actor,
	    const char *name, int form, const struct store_region_ref *,
	    uint16_t count, uint64_t now, char *err, size_t errlen);

/* A piece of a split region; size 0 = the rest of the region. */
struct store_piece {
	dsp_name	name;
	uint64_t	size;
};

/*
 * Cuts new split volumes out of one region, back to back from the first
 * byte after the last volume already in it; all are created or none.
 * Only the last piece may be "rest". Overlaps are refused.
 */
int	store_volume_split(struct store *, const char *actor,
	    const struct store_region_ref *, const struct store_piece *,
	    uint16_t count, uint64_t now, char *err, size_t errlen);
/* Refused while lent or mounted. */
int	store_volume_delete(struct store *, const char *actor, const char *name,
	    char *err, size_t errlen);

/* --- lending (one borrower per volume, decided in one txn) --- */
/* name "" = the smallest free volume of at least min_size. The volume
 * must be unlent, all its extents' servers up and regions available, and
 * not fenced (every extent acked the current generation). */
int	store_allocate(struct store *, const char *borrower, const char *name,
	    uint64_t min_size, uint64_t now, struct volume_record *out,
	    char *err, size_t errlen);
/* Volume must be lent to borrower; sets mounted = 1. Idempotent for the
 * same borrower. Fills out with the record. */
int	store_mount(struct store *, const char *borrower, const char *name,
	    uint64_t now, struct volume_record *out, char *err, size_t errlen);
/* For ticket renewal: the volume is lent to borrower and mounted. */
int	store_check_mounted(struct store *, const char *borrower,
	    const char *name, struct volume_record *out, char *err,
	    size_t errlen);
/* Sets mounted = 0 and bumps generation. borrower NULL = force (admin),
 * actor names who did it. Fills out with the new record, whose
 * extents then have acked_generation < generation: the caller pushes
 * the revocation and records acks with store_fence_ack. Unmounting a
 * volume that is not mounted is DSP_E_STATE. */
int	store_unmount(struct store *, const char *actor, const char *borrower,
	    const char *name, uint64_t now, struct volume_record *out,
	    char *err, size_t errlen);
/* Clears the borrower; refused while mounted unless forced (borrower
 * NULL), in which case it unmounts first (generation bump as above). */
int	store_release(struct store *, const char *actor, const char *borrower,
	    const char *name, uint64_t now, struct volume_record *out,
	    char *err, size_t errlen);

/* --- mirror legs (docs/STORE.md) ---
 * All of these need a mirror volume lent to borrower and mounted (E_STATE
 * otherwise; E_INVALID for another form). A leg is an extent index.
 */
/* Leg states, health and bitmap summary; server_up from the servers.
 * borrower NULL: for a reader that is no borrower (a backup), of a
 * mirror lent or not. */
int	store_mirror_status(struct store *, const char *borrower,
	    const char *volume, struct msg_mirror_status *out, char *err,
	    size_t errlen);
/* Marks the leg out of sync (with reason) and the chunks of the ranges
 * dirty, in one txn. Refused (E_STATE) when it is the last in-sync leg:
 * that leg holds the newest data and must stay the reference. A leg
 * already out of sync only gets the marks. */
int	store_leg_fail(struct store *, const char *borrower,
	    const char *volume, uint16_t leg, const char *reason,
	    const struct msg_range *, uint16_t nranges, uint64_t now,
	    struct msg_mirror_status *out, char *err, size_t errlen);
/* Sets the chunks of the ranges dirty (durable when it returns). A
 * range past the end of the volume is E_RANGE. */
int	store_mark_dirty(struct store *, const char *borrower,
	    const char *volume, const struct msg_range *, uint16_t nranges,
	    char *err, size_t errlen);
/* Leg out of sync or resyncing, its server up -> resyncing; fills plan
 * with the chunks to copy (a malloc'd copy of the bitmap in *bits, NULL
 * when full; the caller frees it). resync_total = chunks to copy. */
int	store_resync_begin(struct store *, const char *borrower,
	    const char *volume, uint16_t leg, uint64_t now,
	    struct msg_resync_plan *plan, uint8_t **bits, char *err,
	    size_t errlen);
int	store_resync_progress(struct store *, const char *borrower,
	    const char *volume, uint16_t leg, uint64_t done, uint64_t total,
	    char *err, size_t errlen);
/* Resyncing leg -> in sync, last_copied = copied, audit row naming the
 * count. When no leg is left out of sync the bitmap is cleared. */
int	store_resync_done(struct store *, const char *borrower,
	    const char *volume, uint16_t leg, uint64_t copied, uint64_t now,
	    struct msg_mirror_status *out, char *err, size_t errlen);
/* --- split-leg copies (store_split.c, docs/BACKUP.md) --- */
/* Takes an in-sync leg of a mirror out of the write set for a backup:
 * out of sync and held until 'until', in one txn, with an audit row
 * for actor. Refused (E_STATE) unless two legs are in sync, (E_BUSY)
 * when a leg is held already. *leg and *e say which. */
int	store_split_leg(struct store *, const char *actor, const char *volume,
	    uint64_t now, uint64_t until, uint16_t *leg,
	    struct volume_extent *e, char *err, size_t errlen);
/* Gives the held leg back: in sync at once when no write was refused
 * there (*resync 0), else out of sync for the borrower to resync from
 * the bitmap (*resync 1). E_STATE when it is not held (its hold ran out
 * and was lifted): a copy of it may not be a point-in-time image. */
int	store_split_end(struct store *, const char *actor, const char *volume,
	    uint16_t leg, uint64_t now, int *resync, char *err, size_t errlen);
/* Moves the hold of the volume's held leg to 'until': 1 and *leg, *e
 * filled when a leg is held, 0 when none is, else -1. */
int	store_split_extend(struct store *, const char *volume, uint64_t until,
	    uint16_t *leg, struct volume_extent *e);
/* Lifts the hold of the leg if it ran out by now: 1 with *e (as it
 * was) when it did. */
int	store_split_expire(struct store *, const char *volume, uint16_t leg,
	    uint64_t now, struct volume_extent *e);

/* For show commands and tests: a malloc'd copy of the bitmap (NULL with
 * *len 0 when it is empty). DSP_OK, E_NOTFOUND, E_INVALID. */
int	store_get_bitmap(struct store *, const char *volume, uint8_t **bits,
	    size_t *len);
/* Health from the leg states and the servers' up flags (up[i] for
 * extent i; for non-mirror forms any extent down is failed). */
int	volume_health(const struct volume_record *, const uint8_t *up);

/* --- the backup's rows (store_backup.c) --- */
/* Appends one audit row: the backup's CN as actor, its event as action,
 * the volume ("" for a run of no one volume) and the text, escaped, as
 * detail; a change of the store like any other. The caller checked the
 * fields (msg_backup_audit_check). */
int	store_backup_audit(struct store *, const char *actor,
	    const char *event, const char *volume, const char *text,
	    uint64_t now, char *err, size_t errlen);

/* --- reading (one read txn each; callbacks must not call the store) ---
 * store_each_* return 0 after the last record, the callback's value if
 * it returned nonzero to stop, or -1 on a store error; records come in
 * key order (servers and volumes by name, regions by server then name,
 * audit by sequence). store_get_* return DSP_OK, DSP_E_NOTFOUND or
 * DSP_E_INTERNAL. */
typedef int (*store_server_cb)(const struct server_record *, void *);
typedef int (*store_region_cb)(const struct region_record *, void *);
typedef int (*store_volume_cb)(const struct volume_record *, void *);
typedef int (*store_audit_cb)(const struct audit_record *, void *);
int	store_each_server(struct store *, store_server_cb, void *);
int	store_each_region(struct store *, store_region_cb, void *);
int	store_each_volume(struct store *, store_volume_cb, void *);
int	store_each_audit(struct store *, store_audit_cb, void *);
/* The last count rows of the audit trail, oldest first. */
int	store_each_audit_last(struct store *, unsigned int count,
	    store_audit_cb, void *);
/* Pages: the records after the one named (NULL or "": from the first),
 * in key order, each call one fresh read transaction; the callback
 * returns nonzero to end the page. */
int	store_each_server_after(struct store *, const char *after,
	    store_server_cb, void *);
int	store_each_region_after(struct store *, const char *server,
	    const char *region, store_region_cb, void *);
int	store_each_volume_after(struct store *, const char *after,
	    store_volume_cb, void *);
/* Each volume with an extent on the region, by the extent's offset (a
 * volume on it twice comes twice), in one read transaction. */
int	store_each_region_volume(struct store *, const char *server,
	    const char *region, store_volume_cb, void *);
int	store_get_volume(struct store *, const char *name, struct volume_record *);
int	store_get_server(struct store *, const char *name, struct server_record *);

/* --- the records on the lenders (store_records.c, store_rebuild.c) --- */
enum store_owed_kind {
	STORE_OWED_PUT		= 1,	/* send the record (VOLUME_PUT) */
	STORE_OWED_DROP		= 2,	/* the volume is gone (VOLUME_DROP) */
};

/* A push a server is owed. */
struct store_owed {
	dsp_name	server;
	dsp_name	volume;
	uint8_t		kind;		/* enum store_owed_kind */
	uint64_t	generation;	/* DROP: the volume's last one */
};

/* Writes committed so far, and in how many transactions (group
 * commit: store_batch.c). */
void	store_write_counts(struct store *, uint64_t *batches, uint64_t *jobs);
/* Called after a commit that made a push owed (from that thread). */
void	store_set_owed_hook(struct store *, void (*)(void *), void *);
/* Up to max pushes owed to server, after volume `after` (NULL: from the
 * first), in volume order. */
int	store_owed_list(struct store *, const char *server, const char *after,
	    struct store_owed *, size_t max, size_t *count);
/* Volumes written before lenders kept records (revision 0) get
 * revision 1, so that their records are pushed; at start. */
int	store_records_upgrade(struct store *, size_t *count, char *err,
	    size_t errlen);
/* Brings a store of an older schema up to this one (its indexes built
 * from the rows); at start. *from: the schema it had. */
int	store_upgrade(struct store *, uint32_t *from, char *err,
	    size_t errlen);
/* The servers owed a push, up to max. */
int	store_owed_servers(struct store *, dsp_name *, size_t max,
	    size_t *count);

/* The record of volume for server, as pushed (VOLUME_PUT): *bits is
 * malloc'd, NULL when no chunk is dirty. E_NOTFOUND when the volume is
 * gone, E_STATE when it is held or no longer on that server. */
int	store_get_lender_view(struct store *, const char *volume,
	    const char *server, struct msg_volume_record *, uint8_t **bits);
/* The server keeps the record of that generation and revision; or (drop)
 * has forgotten the volume. */
int	store_push_acked(struct store *, const char *server, const char *volume,
	    uint64_t generation, uint64_t revision, char *err, size_t errlen);
int	store_drop_acked(struct store *, const char *server, const char *volume,
	    char *err, size_t errlen);
/*
 * A record an agent keeps that the table did not list for it, or asked
 * for (VOLUME_RECORD). *verdict DSP_RECORD_DROP when it is no volume of
 * the pool (or not on that server); otherwise the record is kept as a
 * candidate when the table does not match it, and the volume imported
 * or held (store_rebuild.c). rebuild: import volumes on which all
 * lenders agree without holding them.
 */
int	store_record_report(struct store *, const char *server,
	    const uint8_t *bytes, size_t len, int rebuild, uint64_t now,
	    uint8_t *verdict, char *err, size_t errlen);
/* Ends the hold of a volume: with server, takes that lender's record;
 * without, the newest record (volume built from lenders) or the
 * table's (a lender kept a newer one). how names whose. */
int	store_volume_resolve(struct store *, const char *actor,
	    const char *name, const char *server, uint64_t now, char *how,
	    size_t howlen, char *err, size_t errlen);

/* A lender's record of a held volume. */
struct store_candidate {
	dsp_name			 server;
	const struct msg_volume_record	*record;
	uint8_t				 digest[DSP_DIGEST_LEN];
};
typedef int (*store_candidate_cb)(const struct store_candidate *, void *);
int	store_each_candidate(struct store *, const char *volume,
	    store_candidate_cb, void *);
/* Marks the store as rebuilt from the lenders; refused (E_STATE) when
 * it has servers or volumes and was not marked before. */
int	store_rebuild_begin(struct store *, uint64_t now, char *err,
	    size_t errlen);

/* A volume is fenced while an extent has not acked its generation. */
int	volume_is_fenced(const struct volume_record *);

#endif
