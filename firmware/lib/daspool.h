/*
 * libdaspool: the borrower's side of daspool.
 *
 * A borrowing server asks the manager for a volume (allocate), mounts it
 * (the manager returns the mount info: where the volume's extents live
 * and a mount ticket it signed), then talks straight to the lending
 * servers' agents to read and write it. Unmount and release give it back.
 *
 *	struct daspool_client	 one borrower identity (its TLS certificate),
 *				 the link to the manager and the mount infos
 *				 known here (kept in memory and in state_dir)
 *	struct daspool_volume	 an open, mounted volume: its own TLS data
 *				 connection to each lending agent
 *
 * Errors. Every function that can fail returns 0 on success or an error
 * code, and the handle the call was made on keeps a sentence naming what
 * was wrong: daspool_client_error() for calls on a client,
 * daspool_volume_error() for calls on a volume. The codes:
 *
 *	> 0	the manager or an agent refused: the value is its
 *		enum dsp_status (proto.h), e.g. DSP_E_STALE, and the sentence
 *		is the peer's own message
 *	< 0	one of enum daspool_error below, found on this side
 *
 * Threads. A client is used by one thread at a time, with one exception:
 * each volume handle may be driven by a thread of its own, concurrently
 * with the others and with the client's calls (the ticket renewals and
 * mirror bookkeeping they trigger are serialized inside the library). A
 * volume handle is driven by one thread at a time.
 *
 * Cutting I/O off from another thread. These three may be called while
 * other threads are inside calls on volume handles; a call cut off
 * returns promptly (its data connections are shut down under it; a
 * connection attempt in progress ends within timeout_ms):
 *
 *	daspool_unmount()	every handle of that volume: calls in
 *				progress on it, and every later one, fail
 *				with DASPOOL_ERR_NOTMOUNTED. It returns once
 *				the calls in progress have. The handles stay
 *				valid: close them.
 *	daspool_client_close()	every handle of the client, likewise with
 *				DASPOOL_ERR_CLOSED. The handles stay valid
 *				for their threads to read the sentence and
 *				close them; the client itself is gone (no
 *				more client calls) and its memory goes with
 *				the last handle closed.
 *	daspool_volume_close()	that handle: a call in progress on it in
 *				another thread fails with DASPOOL_ERR_CLOSED,
 *				and the close waits for that call to return,
 *				then frees the handle. That thread must not
 *				touch the handle after its call returned, not
 *				even for daspool_volume_error(): the code is
 *				all it gets.
 *
 * A handle cut off by an unmount or a client close is good for
 * daspool_volume_error(), _name(), _size() and daspool_volume_close();
 * every other call fails at once with the code it was cut off with.
 * Only daspool_volume_close() frees a handle: close each handle once,
 * before or after its client. Do not close a handle or its client from
 * that handle's progress callback.
 *
 * Durability. An acknowledged write (daspool_volume_write, _erase or
 * _init returning 0) has been carried out by the agent of every lender
 * it concerns, every writable leg of a mirror: written into the region's
 * backing file or device with pwrite(2) (zeroing may use fallocate(2) or
 * BLKZEROOUT). The bytes are in the lending machine's page cache: they
 * survive a crash or restart of the agent process, not a crash or power
 * loss of the lending machine. daspool_volume_flush() returning 0 means
 * fdatasync(2) succeeded on every region of every lender of the volume
 * (of a mirror: every writable leg, in sync or resyncing), so everything
 * written to the volume before the flush, through any handle, is on
 * stable storage. A write that failed, or was cut off, may have been
 * done in whole, in part or not at all: its range holds the old bytes,
 * the new, or a mix.
 *
 * Signals. A lender that vanishes mid-write raises SIGPIPE on the
 * socket: programs using the library should ignore SIGPIPE (the daspool
 * command does), the library then sees EPIPE and reconnects.
 */
#ifndef DASPOOL_H
#define DASPOOL_H

#include <stddef.h>
#include <stdint.h>

#define DASPOOL_NAME_MAX	63		/* volume, server, region */
#define DASPOOL_STATE_DIR	"/var/lib/daspool"
#define DASPOOL_TIMEOUT_MS	30000
#define DASPOOL_MANAGER_NAME	"manager"
#define DASPOOL_MAX_PATTERN	4096		/* longest search pattern */

enum daspool_error {
	DASPOOL_OK		= 0,
	DASPOOL_ERR_SYSTEM	= -1,	/* memory, files, threads here */
	DASPOOL_ERR_CONNECT	= -2,	/* manager or agent unreachable in time */
	DASPOOL_ERR_PROTOCOL	= -3,	/* a reply that does not match its request */
	DASPOOL_ERR_INVALID	= -4,	/* bad argument: name, size, range */
	DASPOOL_ERR_NOTMOUNTED	= -5,	/* no mount info for the volume here */
	DASPOOL_ERR_CONFIG	= -6,	/* certificates, keys, options */
	DASPOOL_ERR_CLOSED	= -7,	/* the handle or its client was closed */
};

/* "E_STALE", "not mounted", ... for any code above. */
const char	*daspool_strerror(int code);

/* --- client --- */

struct daspool_client;

struct daspool_options {
	const char	*manager_host;	/* required */
	uint16_t	 manager_port;	/* 0: 7400 */
	const char	*manager_name;	/* CN of the manager's certificate;
					 * NULL: "manager" */
	const char	*ca_file;	/* pool CA certificate (PEM) */
	const char	*cert_file;	/* this borrower's certificate; its CN
					 * is the borrower's name */
	const char	*key_file;
	const char	*crl_file;	/* the pool's CRL (PEM), NULL: none.
					 * Managers and agents it lists are
					 * refused; it is read again when the
					 * file changes */
	const char	*state_dir;	/* NULL: DASPOOL_STATE_DIR */
	const char	*ciphers;	/* preferred suite, NULL: the TLS
					 * layer's; see tls.h */
	int		 timeout_ms;	/* 0: DASPOOL_TIMEOUT_MS. Bounds every
					 * wait for a peer, and how long a lost
					 * agent connection is retried */
};

/*
 * Loads the certificates; does not connect yet (the manager is reached
 * at the first call that needs it). On failure *cp is still a handle that
 * holds the reason (NULL only when memory ran out): read it, then close.
 */
int		 daspool_client_open(const struct daspool_options *,
		    struct daspool_client **cp);
/*
 * Closes the manager link and cuts off every volume handle still open on
 * the client (see Threads): their calls in progress fail with
 * DASPOOL_ERR_CLOSED and are waited for. Those handles must still be
 * closed with daspool_volume_close(). Mounts stay mounted.
 */
void		 daspool_client_close(struct daspool_client *);
const char	*daspool_client_error(const struct daspool_client *);
const char	*daspool_client_name(const struct daspool_client *);	/* CN */

/*
 * Borrows a volume: by name, or (volume NULL or "") any free volume of
 * at least min_size bytes. name_out (DASPOOL_NAME_MAX + 1 bytes) and
 * size_out, when not NULL, tell which one was lent.
 */
int		 daspool_allocate(struct daspool_client *, const char *volume,
		    uint64_t min_size, char *name_out, uint64_t *size_out);
/* Gives a borrowed (and unmounted) volume back to the pool. */
int		 daspool_release(struct daspool_client *, const char *volume);

/* --- mount info --- */

struct daspool_mount;

/* One extent: a byte range of a lender's region, in volume order. */
struct daspool_extent {
	char		server[DASPOOL_NAME_MAX + 1];	/* lender */
	char		host[DASPOOL_NAME_MAX + 1];	/* its agent's address */
	uint16_t	port;
	char		region[DASPOOL_NAME_MAX + 1];
	uint64_t	offset;		/* in the region */
	uint64_t	length;
};

/*
 * Mounts a borrowed volume at the manager. The mount info is kept in
 * memory and saved to state_dir/VOLUME.mount (mode 0600, replaced
 * atomically), so that later processes can use the volume without asking
 * the manager again. *info, when info is not NULL, stays valid until the
 * volume is unmounted or the client closed.
 */
int		 daspool_mount(struct daspool_client *, const char *volume,
		    const struct daspool_mount **info);
/*
 * For a certificate of role backup: a read-only ticket of the volume,
 * lent or not, kept in memory only (never in state_dir) and renewed as
 * it runs out. daspool_volume_open then reads it; the agents refuse
 * every write (E_READONLY). On a mirror such a handle reads an in-sync
 * leg, tries another when it fails, and neither resyncs a leg nor
 * reports one failed: a backup leaves the volume as it found it.
 */
int		 daspool_backup_open(struct daspool_client *,
		    const char *volume, const struct daspool_mount **info);
/*
 * For a certificate of role backup, on a mirror opened with
 * daspool_backup_open: asks the manager to take one in-sync leg out of
 * the mirror's write set and hold it still (*leg says which). Every
 * write acknowledged to the borrower before this returns is on that
 * leg, none after it; the borrower goes on writing the other legs.
 * Handles opened from then on read that leg alone. Refused (with the
 * manager's sentence) unless two legs are in sync. The hold lasts as
 * long as the backup ticket, which the handles renew while they read.
 */
int		 daspool_backup_split(struct daspool_client *,
		    const char *volume, int *leg);
/*
 * Gives the held leg back, whatever happened to the copy; the borrower
 * resyncs it from the manager's bitmap (or it is in sync at once when
 * it missed no write). Refused (DSP_E_STATE) when the hold had run out
 * and was lifted: then the copy may not be a point-in-time image.
 */
int		 daspool_backup_split_end(struct daspool_client *,
		    const char *volume, int leg);
/*
 * For a certificate of role backup: calls fn with the name of every
 * volume of the pool, in name order (asked a page at a time; fn must
 * not call the client).
 */
typedef void	 daspool_volume_name_fn(const char *volume, void *arg);
int		 daspool_backup_list(struct daspool_client *,
		    daspool_volume_name_fn *fn, void *arg);
/*
 * For a certificate of role backup: appends one row to the manager's
 * audit trail, answered once it is committed (`show audit` lists it,
 * the SNMP subagent tells the failures). The row's actor is the
 * certificate's CN; event is its action, one of
 *
 *	backup-run		a run started or ended (volume may be none)
 *	backup-copy		a copy of the volume made
 *	backup-copy-failed	a copy of the volume failed
 *	backup-verify		a copy read back and found good
 *	backup-verify-failed	a copy read back and found bad or unreadable
 *	backup-restore		a copy written back
 *	backup-restore-failed	a restore failed
 *
 * volume is a volume name; NULL, "" or "-" for none (backup-run only).
 * text is free (NULL: none), at most 127 bytes as the row keeps it:
 * escaped, a byte outside printable ASCII counts 4 (\xNN), a backslash
 * 2. A field too long for the wire is DASPOOL_ERR_INVALID here; the
 * manager refuses an unknown event, a bad volume name, a text too long
 * once escaped (DSP_E_INVALID) and any other role (DSP_E_ROLE), each
 * with a sentence naming what was wrong.
 */
int		 daspool_backup_audit(struct daspool_client *,
		    const char *event, const char *volume, const char *text);
/* The mount info known here (memory, else state_dir); no manager call. */
int		 daspool_mount_lookup(struct daspool_client *, const char *volume,
		    const struct daspool_mount **info);
/*
 * Cuts off every volume handle of the volume (see Threads: their calls,
 * in progress in other threads or later, fail with
 * DASPOOL_ERR_NOTMOUNTED; close them), whatever the manager answers
 * next; then unmounts at the manager (which revokes the ticket at the
 * agents) and forgets the mount info, state file included. When the
 * manager answers that the mount is gone anyway (DSP_E_STATE: not
 * mounted, DSP_E_BUSY: lent to another borrower, DSP_E_NOTFOUND: no such
 * volume) the local mount info is forgotten too, and that refusal is
 * returned. Unmounting does not flush: flush first what must be durable.
 */
int		 daspool_unmount(struct daspool_client *, const char *volume);

/* Calls fn for every mount info saved in state_dir, in name order. The
 * info passed to fn is valid during the call only. */
typedef void	 daspool_status_fn(const struct daspool_mount *, void *arg);
int		 daspool_status(struct daspool_client *, daspool_status_fn *fn,
		    void *arg);

const char	*daspool_mount_volume(const struct daspool_mount *);
const char	*daspool_mount_form(const struct daspool_mount *); /* "single" */
uint64_t	 daspool_mount_size(const struct daspool_mount *);
int		 daspool_mount_status(const struct daspool_mount *); /* 1 mounted */
uint64_t	 daspool_mount_generation(const struct daspool_mount *);
uint64_t	 daspool_mount_expires(const struct daspool_mount *); /* unix s */
const char	*daspool_mount_borrower(const struct daspool_mount *);
int		 daspool_mount_readonly(const struct daspool_mount *);
int		 daspool_mount_extent_count(const struct daspool_mount *);
/* Copies extent i (0 <= i < extent_count) into *out; -1 if out of range. */
int		 daspool_mount_extent(const struct daspool_mount *, int i,
		    struct daspool_extent *out);

/* --- volume I/O --- */

struct daspool_volume;

/*
 * Opens a mounted volume (mount info from memory, else state_dir). Each
 * call gives an independent handle with its own data connections (one
 * TLS connection per lending agent, opened at the first I/O and ATTACHed
 * with the mount ticket): open a volume N times to drive it over N
 * connections from N threads. On failure *vp is NULL and the reason is
 * in daspool_client_error().
 */
int		 daspool_volume_open(struct daspool_client *, const char *volume,
		    struct daspool_volume **vp);
/* Frees the handle (see Threads for a call in progress on it). Does not
 * flush. */
void		 daspool_volume_close(struct daspool_volume *);
const char	*daspool_volume_error(const struct daspool_volume *);
const char	*daspool_volume_name(const struct daspool_volume *);
uint64_t	 daspool_volume_size(const struct daspool_volume *);

/*
 * Progress of long operations (init, erase, read, write, search) on this
 * handle: fn(done, total, arg) after each chunk. NULL turns it off.
 */
typedef void	 daspool_progress_fn(uint64_t done, uint64_t total, void *arg);
void		 daspool_volume_set_progress(struct daspool_volume *,
		    daspool_progress_fn *fn, void *arg);

/*
 * The I/O calls below take volume offsets; a range must lie inside the
 * volume (DASPOOL_ERR_INVALID names it otherwise) and may be any length:
 * the library cuts it into requests of at most 1 MiB and keeps several in
 * flight on each connection. A lender that restarts is reconnected
 * (within timeout_ms) and the unanswered requests sent again; a refusal
 * (revoked ticket, wrong borrower...) is returned as is. The ticket is
 * renewed at the manager when a third of its lifetime is left.
 * On failure some of the range may have been done. What an acknowledged
 * write guarantees is under Durability above.
 */
int		 daspool_volume_read(struct daspool_volume *, void *buf,
		    size_t len, uint64_t offset);
int		 daspool_volume_write(struct daspool_volume *, const void *buf,
		    size_t len, uint64_t offset);
/* Zeroes [offset, offset + length). */
int		 daspool_volume_erase(struct daspool_volume *, uint64_t offset,
		    uint64_t length);
/* Zeroes the whole volume (see set_progress). */
int		 daspool_volume_init(struct daspool_volume *);
/*
 * Finds pattern (1..DASPOOL_MAX_PATTERN bytes) lying wholly inside
 * [offset, offset + length); stores the volume offsets
 * of the first max_matches matches, ascending, in offsets and their number
 * in *count. Overlapping matches are all reported.
 */
int		 daspool_volume_search(struct daspool_volume *,
		    const void *pattern, size_t plen, uint64_t offset,
		    uint64_t length, size_t max_matches, uint64_t *offsets,
		    size_t *count);
/*
 * Where the volume has data and where holes, which read as zeroes (the
 * lenders' SEEK_DATA and SEEK_HOLE): runs from offset on, in order, at
 * most max of them in runs and their number in *count. They cover
 * [offset, offset + length), or less when max ran out. A lender that
 * cannot tell (a block device, an agent of an older release) reports
 * data; a mirror is mapped on the leg it is read from.
 */
#define DASPOOL_RUN_HOLE	0x1
struct daspool_run {
	uint64_t	length;
	uint32_t	flags;		/* DASPOOL_RUN_HOLE */
};
int		 daspool_volume_map(struct daspool_volume *, uint64_t offset,
		    uint64_t length, struct daspool_run *runs, size_t max,
		    size_t *count);

/*
 * Asks every lender of the volume (every writable leg of a mirror) to put
 * the written data on stable storage: fdatasync(2) of each region. 0 only
 * when every one of them succeeded (see Durability).
 */
int		 daspool_volume_flush(struct daspool_volume *);

/*
 * Mirrors. A handle on a mirror resyncs a leg that comes back by itself,
 * in a thread of its own, while it is used. daspool_volume_resync()
 * starts that at once and waits, at most timeout_s seconds, until every
 * leg is in sync: 0, or an error naming a leg still out of sync (its
 * server down, or the time ran out). 0 at once for other forms.
 * *copied (may be NULL) is the chunks this handle's resyncs copied.
 * An unmount or a close stops the resync thread; a resync it cut off is
 * taken up again by the next handle. A mirror write cut off may have
 * reached some legs and not others: all legs but one in-sync leg are
 * then reported out of sync over its range, so that a resync makes them
 * agree again.
 */
int		 daspool_volume_resync(struct daspool_volume *, int timeout_s,
		    uint64_t *copied);

#endif
