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

struct store;

struct server_record {
	dsp_name	name;
	dsp_name	host;		/* agent data address */
	uint16_t	port;
	uint8_t		up;		/* 1 up, 0 down */
	uint64_t	last_seen;	/* unix seconds of last register/heartbeat */
};

struct region_record {
	dsp_name	server;
	dsp_name	name;
	uint64_t	size;
	uint8_t		available;
	char		reason[128];
};

struct volume_extent {
	dsp_name	server;
	dsp_name	region;
	uint64_t	offset;			/* in the region */
	uint64_t	length;
	uint64_t	acked_generation;	/* highest the agent confirmed */
};

struct volume_record {
	dsp_name		name;
	uint8_t			form;		/* enum dsp_usage_form */
	uint64_t		size;
	dsp_name		borrower;	/* "" when not lent */
	uint8_t			mounted;	/* status: 1 mounted, 0 not */
	uint64_t		generation;	/* bumped by every unmount */
	uint64_t		created_at;
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

/* --- agents --- */
/* Upserts the server (up, host, port, last_seen = now), replaces its
 * region list, and fills gens with the generation of every volume having
 * an extent on this server. */
int	store_register(struct store *, const struct msg_register *, uint64_t now,
	    struct msg_generations *gens, char *err, size_t errlen);
int	store_heartbeat(struct store *, const char *server, uint64_t now,
	    char *err, size_t errlen);
/* Marks servers silent for longer than timeout down; returns how many
 * changed state, or -1. */
int	store_expire_servers(struct store *, uint64_t now, uint64_t timeout);
/* The agent's connection is gone: marks it down now. DSP_OK or
 * DSP_E_NOTFOUND. */
int	store_server_down(struct store *, const char *server);
/* The server confirmed these generations: raise acked_generation of
 * the matching extents on this server. */
int	store_fence_ack(struct store *, const char *server,
	    const struct msg_generations *, char *err, size_t errlen);

/* --- admin --- */
int	store_volume_create_single(struct store *, const char *actor,
	    const char *name, const char *server, const char *region,
	    uint64_t now, char *err, size_t errlen);
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
int	store_get_volume(struct store *, const char *name, struct volume_record *);
int	store_get_server(struct store *, const char *name, struct server_record *);

/* A volume is fenced while an extent has not acked its generation. */
int	volume_is_fenced(const struct volume_record *);

#endif
