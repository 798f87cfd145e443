/*
 * libdaspool internals, shared by its files; not installed. Each section
 * names the file that exports it.
 */
#ifndef DASPOOL_LIB_INTERNAL_H
#define DASPOOL_LIB_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "daspool.h"
#include "extent_map.h"
#include "msg.h"

#define DASPOOL_ERRLEN	1024

struct channel;
struct datapath;
struct dp_job;
struct tls_config;

/* A mount info as the manager sent it (raw payload kept for the state
 * file) plus what the ticket says about itself. */
struct daspool_mount {
	struct daspool_mount	*next;
	struct msg_mount_info	 info;
	uint8_t			*raw;
	size_t			 raw_len;
	struct extent_map	 map;
	char			 borrower[DSP_NAME_MAX + 1];
	uint8_t			 mode;		/* enum dsp_ticket_mode */
	uint64_t		 issued_at;
	uint64_t		 serial;	/* bumped by every renewal */
	int			 backup;	/* a backup's: kept in memory
						 * only, renewed by BACKUP_OPEN */
	int			 held_leg;	/* 1 + the mirror leg a
						 * split-leg copy holds, or 0 */
};

struct daspool_client {
	struct tls_config	*tls;
	char			*manager_host;
	uint16_t		 manager_port;
	char			*manager_name;	/* its certificate's CN */
	char			*state_dir;
	int			 timeout_ms;
	/* Guards the manager link and the mounts; held across manager
	 * calls. */
	pthread_mutex_t		 lock;
	struct channel		*mgr;
	struct daspool_mount	*mounts;
	/*
	 * Guards the volume list and each handle's busy, pins, cut and
	 * released; never held across I/O (handles.c). vidle is broadcast
	 * when a handle's busy or pins go down.
	 */
	pthread_mutex_t		 vlock;
	pthread_cond_t		 vidle;
	struct daspool_volume	*volumes;
	int			 closed;	/* daspool_client_close() began */
	int			 zombie;	/* closed; freed with its last handle */
	char			 err[DASPOOL_ERRLEN];
};

struct mirror;

struct daspool_volume {
	struct daspool_volume	*next;		/* in client->volumes */
	struct daspool_client	*client;
	char			 name[DSP_NAME_MAX + 1];
	uint8_t			 form;		/* enum dsp_usage_form */
	struct extent_map	 map;		/* mirror: leg 0 only */
	struct msg_extent	 extents[DSP_MAX_EXTENTS];
	uint16_t		 extent_count;
	struct mirror		*mirror;	/* NULL unless a mirror */
	int			 backup;	/* reads only; a mirror's legs
						 * are neither resynced nor
						 * reported failed */
	int			 held_leg;	/* 1 + the only leg read, or 0 */
	/* Own copy of the ticket: another thread may renew the mount's.
	 * tlock guards it, for the mirror's leg and resync threads. */
	pthread_mutex_t		 tlock;
	uint8_t			 ticket[DSP_TICKET_MAX];
	size_t			 ticket_len;
	uint64_t		 generation;
	uint64_t		 issued_at;
	uint64_t		 expires_at;
	uint64_t		 serial;
	uint64_t		 renew_retry_at;	/* after a failed renewal */
	/* One data connection per lending server. */
	struct datapath		*paths[DSP_MAX_EXTENTS];
	uint16_t		 path_count;
	uint16_t		 extent_path[DSP_MAX_EXTENTS];
	/* And one for MAP, never retried, which an agent of a release
	 * before MAP closes (map.c): a lender found so maps as data. */
	struct datapath		*map_paths[DSP_MAX_EXTENTS];
	uint8_t			 map_unknown[DSP_MAX_EXTENTS];
	/* Under client->vlock (handles.c). */
	int			 busy;		/* calls in progress */
	int			 pins;		/* threads cutting it off */
	int			 cut;		/* 0, or what every call returns */
	int			 released;	/* connections closed */
	char			 cut_why[DASPOOL_ERRLEN];
	daspool_progress_fn	*progress;
	void			*progress_arg;
	uint64_t		 progress_done;
	uint64_t		 progress_total;
	char			 err[DASPOOL_ERRLEN];
};

/* client.c */
void	client_seterr(struct daspool_client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The memory of a closed client (handles.c says when). */
void	client_free(struct daspool_client *);
/* The mount info in memory, or NULL; lock held. */
struct daspool_mount *client_mount_find(struct daspool_client *,
	    const char *volume);
/* Finds the mount info in memory or loads it from state_dir; lock held. */
int	client_mount_get(struct daspool_client *, const char *volume,
	    struct daspool_mount **, char *err, size_t errlen);
/* RENEW at the manager unless another handle renewed since 'serial';
 * lock held. */
int	client_renew(struct daspool_client *, struct daspool_mount *,
	    uint64_t serial, char *err, size_t errlen);

/* mgrlink.c: the TLS link to the manager; lock held. */
int	mgrlink_call(struct daspool_client *, uint8_t opcode,
	    const struct buf_writer *req, const uint8_t **reply,
	    size_t *reply_len, char *err, size_t errlen);
/* The same with a VOLUME_REF of volume as the request. */
int	mgrlink_call_volume(struct daspool_client *, uint8_t opcode,
	    const char *volume, const uint8_t **reply, size_t *reply_len,
	    char *err, size_t errlen);
void	mgrlink_close(struct daspool_client *);

/* mountinfo.c */
int	mountinfo_decode(const uint8_t *raw, size_t len,
	    struct daspool_mount *, char *err, size_t errlen);
int	mountinfo_save(const char *dir, const struct daspool_mount *,
	    char *err, size_t errlen);
int	mountinfo_load(const char *dir, const char *volume,
	    struct daspool_mount **, char *err, size_t errlen);
int	mountinfo_remove(const char *dir, const char *volume, char *err,
	    size_t errlen);
int	mountinfo_list(const char *dir, daspool_status_fn *, void *,
	    char *err, size_t errlen);
void	mountinfo_free(struct daspool_mount *);
int	mountinfo_needs_renewal(uint64_t issued_at, uint64_t expires_at,
	    uint64_t now);

/* volume.c */
struct volume_ticket {
	uint8_t		ticket[DSP_TICKET_MAX];
	size_t		ticket_len;
	uint64_t	generation;
	uint64_t	serial;
};

void	volume_seterr(struct daspool_volume *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Renews the ticket when a third of its lifetime is left; a failure is
 * described in err. Safe from any thread. */
int	volume_ticket_refresh(struct daspool_volume *, char *err,
	    size_t errlen);
void	volume_ticket_get(struct daspool_volume *, struct volume_ticket *);
/* A data connection to the lender of extent i; retry_ms as for
 * datapath_params. NULL when memory runs out. */
struct datapath *volume_path_new(struct daspool_volume *, uint16_t extent,
	    int retry_ms, int once);
/* datapath_run with the volume's ticket handed down (renewed when due);
 * a failure's sentence goes to err. */
int	volume_run(struct daspool_volume *, struct datapath *, struct dp_job *,
	    char *err, size_t errlen);
/* One request stream over one extent piece (volume.c). */
struct volume_job {
	struct daspool_volume	*v;
	uint8_t			 opcode;
	uint16_t		 extent;
	const char		*region;
	uint64_t		 roffset;	/* next region offset to ask */
	uint64_t		 left;		/* bytes not asked yet */
	uint8_t			*rbuf;
	const uint8_t		*wbuf;
	int			 quiet;		/* no progress reports */
};
void	volume_job_init(struct volume_job *, struct dp_job *,
	    struct daspool_volume *, uint8_t opcode, uint16_t extent,
	    uint64_t roffset, uint64_t length);
int	volume_range_check(struct daspool_volume *, uint64_t offset,
	    uint64_t length);
void	volume_progress_start(struct daspool_volume *, uint64_t total);
void	volume_progress(struct daspool_volume *, uint64_t bytes);
struct datapath *volume_path(struct daspool_volume *, uint16_t extent);
/* Frees the handle's connections and mirror state, then the handle. */
void	volume_free(struct daspool_volume *);
/* "256M", or "200000123B": exact. */
void	volume_size_text(uint64_t, char *, size_t);

/*
 * handles.c: volume handles shared between threads (daspool.h, Threads).
 * A call on a handle runs between handle_enter and handle_leave; cutting
 * a handle off makes its calls in progress return and every later one
 * fail with the cut's code. Only daspool_volume_close frees a handle.
 */
/* 0, or the code the handle was cut off with (its sentence on v). */
int	handle_enter(struct daspool_volume *);
void	handle_leave(struct daspool_volume *);
/* The cut's code (sentence on v, caller's thread), or 0. */
int	handle_check(struct daspool_volume *);
int	handle_is_cut(struct daspool_volume *);
/* Cuts v off (unless it was already), interrupts its connections, stops
 * its resync thread, waits for its calls in progress to return and closes
 * its connections. Any thread but one inside a call on v. */
void	handle_shut(struct daspool_volume *, int code, const char *why);
/* handle_shut for every handle of the volume (NULL: of the client) not
 * yet cut off; why NULL: the sentence of a client close. */
void	handle_shut_volume(struct daspool_client *, const char *volume,
	    int code, const char *why);
/* Marks the client closed and shuts every handle of it. */
void	handle_shut_all(struct daspool_client *);
/* Links a new handle; -1 when the client is closed. */
int	handle_link(struct daspool_volume *);
/* Unlinks v once nobody cuts it any more; 1 when it was the last handle
 * of a closed client, which the caller then frees. */
int	handle_unlink(struct daspool_volume *);
/* After the client's own resources are gone: 1 when no handle is left
 * (free it now), else it stays for the last handle's close. */
int	handle_client_done(struct daspool_client *);

/* datapath.c: the pipelined connection to one lending agent, a plain
 * transport that knows nothing of volume handles. */
#define DP_WINDOW	8	/* requests in flight per connection */

struct dp_req {
	uint8_t		 opcode;
	uint16_t	 extent;
	const char	*region;
	uint64_t	 offset;	/* in the region */
	uint64_t	 length;
	const uint8_t	*data;		/* WRITE bytes, SEARCH pattern */
	size_t		 data_len;
	uint8_t		*dest;		/* READ */
	uint32_t	 max_matches;	/* SEARCH */
	uint64_t	 id;		/* set when sent */
};

enum { DP_GO = 0, DP_STOP = 1 };

/*
 * A stream of requests: next() fills the next one (returns 0, or 1 when
 * there is none left); done() takes each verified reply in order (READ
 * data already copied to dest) and returns DP_GO, DP_STOP (send nothing
 * more, discard the replies still due) or an error code (sentence set
 * with datapath_seterr). refresh (may be NULL) is called with
 * refresh_arg before each connection attempt and each new request: it
 * hands a new ticket down with datapath_set_ticket when there is one,
 * and returns 0 or an error code (sentence set with datapath_seterr).
 * renew (may be NULL) is called, once a run, when the agent refuses the
 * ticket as expired: it must hand down a renewed ticket (0) or say why
 * it cannot; the refused requests are then sent again.
 */
struct dp_job {
	int	(*next)(void *, struct dp_req *);
	int	(*done)(void *, const struct dp_req *,
		    const struct msg_data_reply *);
	int	(*refresh)(void *, struct datapath *);
	int	(*renew)(void *, struct datapath *);
	void	*arg;
	void	*refresh_arg;
};

/* What a data connection needs; the strings are copied. */
struct datapath_params {
	struct tls_config	*tls;
	const char		*host;
	uint16_t		 port;
	const char		*server;	/* the CN the agent must have */
	const char		*requester;	/* ours, echoed in replies */
	const char		*volume;
	int			 timeout_ms;	/* each wait for the agent */
	int			 retry_ms;	/* how long a lost connection
						 * is tried again */
	int			 once;		/* a connection lost during a
						 * run ends the run */
};

/*
 * A datapath is driven by one thread at a time: datapath_run and the
 * setters. datapath_interrupt may be called from any thread, any time
 * before datapath_free; datapath_disconnect by the driving thread or
 * once it is done with the datapath.
 */
struct datapath	*datapath_new(const struct datapath_params *);
void		 datapath_free(struct datapath *);
/* The mount ticket to present; ATTACHed again once the window is empty
 * when serial changes. */
void		 datapath_set_ticket(struct datapath *, const uint8_t *ticket,
		    size_t len, uint64_t generation, uint64_t serial);
/* 1 when the datapath holds the ticket of that serial. */
int		 datapath_has_ticket(const struct datapath *, uint64_t serial);
/* Breaks off the connection for good: the run in progress, and every
 * later one, returns code with why as its sentence. */
void		 datapath_interrupt(struct datapath *, int code,
		    const char *why);
void		 datapath_disconnect(struct datapath *);
const char	*datapath_error(const struct datapath *);
void		 datapath_seterr(struct datapath *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*datapath_server(const struct datapath *);
int		 datapath_run(struct datapath *, const struct dp_job *);

/* mirror.c: I/O over the legs of a mirror, see the file's comment. */
int	mirror_open(struct daspool_volume *);
/* Interrupts the resync thread's connections with code and why. */
void	mirror_interrupt(struct daspool_volume *, int code, const char *why);
/* Stops the resync thread and waits until it has ended; any thread, any
 * number of times. */
void	mirror_stop(struct daspool_volume *);
/* Closes the resync thread's connections (it has ended). */
void	mirror_disconnect(struct daspool_volume *);
void	mirror_close(struct daspool_volume *);
/* WRITE, INIT, ERASE and FLUSH on every writable leg; READ from one
 * in-sync leg. */
int	mirror_io(struct daspool_volume *, uint8_t opcode, uint8_t *rbuf,
	    const uint8_t *wbuf, uint64_t length, uint64_t offset);
/* The in-sync leg to read from now; an error when there is none. */
int	mirror_read_leg(struct daspool_volume *, uint16_t *leg);
/* A read on this leg failed with rc: reports it. 0 when another leg
 * may be tried, else the error for the caller. */
int	mirror_read_failed(struct daspool_volume *, uint16_t leg, int rc);
/* Runs fn(arg, leg, region offset) on piece p of a mirror as it lies on
 * the leg reads go to; when that leg fails it is reported and fn runs
 * again on another in-sync leg. */
int	mirror_on_leg(struct daspool_volume *, const struct extent_piece *p,
	    int (*fn)(void *, uint16_t, uint64_t), void *arg);

#endif
