/*
 * A mounted volume as an NBD export: its backend on libdaspool and
 * what the handshake tells of it.
 *
 * CAN_MULTI_CONN is true: there is no cache on this side, every
 * connection's handles write straight to the lenders, and a flush on
 * any handle syncs every region of every lender (daspool.h,
 * Durability), so what one connection flushed every other one sees.
 */
#ifndef DASPOOL_NBD_VOLUME_H
#define DASPOOL_NBD_VOLUME_H

#include <pthread.h>

#include "daspool.h"
#include "nbd.h"

#define NBD_VOLUME_MIN_BLOCK	1
#define NBD_VOLUME_PREF_BLOCK	4096
#define NBD_VOLUME_MAX_BLOCK	(32U * 1024 * 1024)

#define NBD_KEEPER_MS		2000	/* a mirror's legs looked at */

struct nbd_volume {
	struct daspool_client	*client;
	pthread_mutex_t		 client_lock;	/* handles are opened here */
	const char		*name;
	char			 description[160];
	/* A mirror's keeper: a leg that comes back is resynced while the
	 * export runs, whether or not a client is connected. */
	pthread_t		 keeper;
	int			 keeping;
	int			 stop;
	pthread_mutex_t		 stop_lock;
	pthread_cond_t		 stop_cond;
};

struct nbd_listen_opts;

/* Serves the mounted volume until a signal (0), the end of its mount
 * (1), or -1 with err when it cannot start. */
int	nbd_volume_serve(struct daspool_client *, const char *volume,
	    const struct nbd_listen_opts *, char *err, size_t errlen);

void	nbd_volume_backend(struct nbd_volume *, struct nbd_backend *);
void	nbd_volume_export(const struct nbd_volume *,
	    const struct daspool_mount *, struct nbd_export *);

#endif
