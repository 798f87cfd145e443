/*
 * daspool-mgr internals shared by its files. Sections say which file
 * exports what; nothing here is used outside the daemon.
 */
#ifndef DASPOOL_MGR_H
#define DASPOOL_MGR_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "msg.h"
#include "proto.h"

struct agents;
struct channel;
struct control;
struct copies;
struct mgr_config;
struct push;
struct store;
struct ticket_signer;
struct tls_config;
struct volume_record;
struct split_watch;

/* The daemon's state, built by main.c; read-only once serving. */
struct mgr {
	const struct mgr_config	*conf;
	struct store		*store;
	struct tls_config	*tls_server;	/* listener */
	struct tls_config	*tls_client;	/* pushes to agents */
	struct ticket_signer	*signer;
	struct agents		*agents;
	struct push		*push;
	struct control		*control;
	struct copies		*copies;	/* of the store */
	uid_t			 uid;		/* the daemon's own */
	int			 rebuild;	/* import what lenders agree on */
	int			 split_rescan;	/* atomic: read the whole table
					 * for held legs (at start) */
	struct split_watch	*split_watch;	/* volumes that may hold one */
};

/* One client connection, owned by its thread (control.c). */
struct conn {
	struct mgr	*mgr;
	struct channel	*ch;
	int		 role;		/* enum dsp_role; admin on the socket */
	int		 local;		/* came in on the admin socket */
	uid_t		 uid;		/* local peers */
	char		 peer[DSP_NAME_MAX + 1];	/* CN, or "admin:<uid>" */
	char		 addr[64];	/* "ip:port", or "admin socket" */
	dsp_name	 server;	/* registered agent on this link, or "" */
	uint64_t	 serial;	/* unique per connection */
	int		 lost;		/* a reply could not be sent: close */
};

/*
 * A request handler: returns DSP_OK with the reply payload in reply, or
 * a dsp_status with a sentence in err. DSP_E_FRAME means the payload
 * was malformed: the connection is closed after the error reply.
 */
typedef int (*mgr_handler)(struct conn *, const struct dsp_header *,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen);

/* agents.c */
struct agents	*agents_start(struct mgr *);
void		 agents_stop(struct agents *);
void		 agents_conn_closed(struct conn *);
int		 agents_handle_register(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 agents_handle_heartbeat(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 agents_handle_fence_ack(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 agents_handle_generations(struct conn *,
		    const struct dsp_header *, const uint8_t *,
		    struct buf_writer *, char *, size_t);
int		 agents_handle_volume_record(struct conn *,
		    const struct dsp_header *, const uint8_t *,
		    struct buf_writer *, char *, size_t);
/*
 * 0 once every lender of the volume has registered with this manager
 * since it started (and so told it the generations it has seen), or has
 * had heartbeat_timeout to do so; otherwise waits up to wait_ms for
 * them, then -1 with the reason in why.
 */
int		 agents_wait_lenders(struct agents *,
		    const struct volume_record *, long wait_ms, char *why,
		    size_t whylen);
/* The last heartbeat heard from the server on its live connection, in
 * unix seconds; 0 if none. The store's last_seen lags it by up to 10 s. */
uint64_t	 agents_last_heard(struct agents *, const char *server);

/* lending.c */
int		 lending_handle_allocate(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 lending_handle_mount(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 lending_handle_renew(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 lending_handle_unmount(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 lending_handle_release(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
/* BACKUP_OPEN: a read-only ticket of any volume, lent or not, for the
 * backup role; its borrower is the backup's CN. */
int		 lending_handle_backup_open(struct conn *,
		    const struct dsp_header *, const uint8_t *,
		    struct buf_writer *, char *, size_t);

/* backup_list.c */
/* BACKUP_LIST: a page of the volumes (name and generation) after the
 * one named (an empty request: from the first), for the backup role. */
int		 backup_handle_list(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);

/* backup.c */
/* BACKUP_AUDIT: one row of the audit trail from the backup role, its
 * CN the actor; empty reply once committed. */
int		 backup_handle_audit(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
/* split.c: split-leg copies for the backup role (docs/BACKUP.md) */
int		 split_handle_leg(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
int		 split_handle_end(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);
/* BACKUP_OPEN renews the backup's hold with its ticket (if v has one). */
void		 split_renew(struct conn *, const struct volume_record *v);
/* From the manager's timer: lifts the holds that ran out. */
void		 split_sweep(struct mgr *, uint64_t now);
struct split_watch	*split_watch_new(void);
void		 split_watch_free(struct split_watch *);

/* push.c */
/* Starts the worker that delivers what the store's owed table lists,
 * beginning with what was owed when the manager last stopped. */
struct push	*push_new(struct mgr *);
void		 push_free(struct push *);
/* Pushes the volume's record to each of its servers at once and
 * records what they acknowledge; urgent: also to servers known to be
 * away. Returns the number of servers that have not acknowledged the
 * volume's generation (the volume stays fenced while one of an in-sync
 * extent has not; the worker goes on trying). */
int		 push_volume(struct push *, const struct volume_record *,
		    int urgent);
/* LEG_HOLD to the server: hold (enum dsp_hold) the volume for lease
 * seconds, renew a hold, or lift it (lease 0). DSP_OK once the agent
 * took it (a hold: no write admitted before it runs there), else a
 * status with err (E_STATE: a renewed or lifted hold was not there). */
int		 push_hold(struct push *, const char *server,
		    const char *volume, uint8_t hold, uint32_t lease,
		    char *err, size_t errlen);
/* The server registered again: a new connection, pushes at once. */
void		 push_forget(struct push *, const char *server);

/* How the pushes to a server that stopped taking them stand. */
struct push_state {
	unsigned int	 attempts;	/* failed since its last ack */
	int64_t		 next_in_ms;	/* until the next try */
	char		 last_error[512];
};

/* 1 and *out filled while pushes to the server fail. */
int		 push_describe(struct push *, const char *server,
		    struct push_state *);

/* copies.c */
/* What a copy gave, for the admin who asked for it. */
struct copies_result {
	int		 ok;
	char		 path[PATH_MAX];
	time_t		 time;		/* in its name */
	uint64_t	 size;		/* bytes */
	int64_t		 ms;		/* time taken */
	char		 error[256];	/* when not ok */
};

/* Where copying stands, for show store. */
struct copies_state {
	int		 enabled;	/* backup_dir is set */
	char		 last_path[PATH_MAX];	/* "" before the first */
	time_t		 last_time;
	uint64_t	 last_size;
	int64_t		 last_ms;	/* -1: found at start */
	char		 last_error[256];	/* "" after a good copy */
	time_t		 last_error_time;
	unsigned int	 made;		/* since start */
	unsigned int	 failed;
	int64_t		 next_in_ms;
	int		 change_pending;	/* a copy after a change is due */
};

/* Starts the copying thread when backup_dir is set; NULL when out of
 * memory or threads. */
struct copies	*copies_start(struct mgr *);
void		 copies_stop(struct copies *);
/* An admin change was committed: a copy follows soon. */
void		 copies_changed(struct copies *);
/* A copy now, made by the copying thread: DSP_OK, E_STATE (copies are
 * off, or the manager stops) or E_IO, with err. */
int		 copies_now(struct copies *, struct copies_result *, char *err,
		    size_t errlen);
void		 copies_describe(struct copies *, struct copies_state *);

/* restore.c */
/* --restore: puts the copy file in state_dir as its store, keeping a
 * store found there (only with force) as data.mdb.TIME. -1 with err. */
int		 restore_store(const char *file, const char *state_dir,
		    uint64_t map_size, int force, char *err, size_t errlen);
/* -n --restore: the checks only, nothing changes. */
int		 restore_check(const char *file, const char *state_dir,
		    int force, char *err, size_t errlen);

/* admin_run.c */
int		 admin_handle(struct conn *, const struct dsp_header *,
		    const uint8_t *, struct buf_writer *, char *, size_t);

#endif
