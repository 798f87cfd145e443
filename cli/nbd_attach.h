/*
 * daspool attach and detach: a volume borrowed, mounted and exported by
 * a daemon of its own, and given to the system: with --mountpoint as
 * the file DIR/VOLUME through nbdfuse; without, as /dev/nbdN through
 * nbd-client where the kernel has nbd devices, else by the URI to
 * reach it.
 *
 * Files, next to the export's socket (default /run/daspool): the
 * socket nbd-VOLUME.sock, the daemon's pid in nbd-VOLUME.pid, and in
 * nbd-VOLUME.attach what was connected ("device /dev/nbd0", "fuse
 * DIR/VOLUME" or "none"), for detach to undo.
 */
#ifndef DASPOOL_NBD_ATTACH_H
#define DASPOOL_NBD_ATTACH_H

#include "daspool.h"

struct nbd_attach_opts {
	const char	*volume;
	const char	*socket_path;	/* NULL: the default */
	const char	*mountpoint;	/* nbdfuse's, when no nbd device */
	int		 foreground;	/* no daemon; logs to stderr */
	int		 verbose;
};

/* Exit statuses: 0 attached (the daemon runs on), 1 refused or failed,
 * with the reason on stderr. */
int	nbd_attach(const struct daspool_options *, const struct nbd_attach_opts *);
/* Disconnects, flushes, stops the daemon, which unmounts and releases:
 * 0, or 1 with the reason (the device is mounted, not attached...). */
int	nbd_detach(const struct daspool_options *, const struct nbd_attach_opts *);

#endif
