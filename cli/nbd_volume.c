/*
 * The NBD backend of a mounted volume (nbd.h): each worker drives a
 * libdaspool volume handle of its own, with its own connections to the
 * lenders. Handles are opened under a lock, as the client they come
 * from is used by one thread at a time.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daspool.h"
#include "log.h"
#include "nbd_listen.h"
#include "nbd_volume.h"
#include "proto.h"

/* The NBD error for a library code; the end of the export when the
 * volume is no longer ours to use. */
static int
nbd_volume_error(struct daspool_volume *v, int rc, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s", daspool_volume_error(v));
	switch (rc) {
	case DASPOOL_ERR_NOTMOUNTED:
	case DASPOOL_ERR_CLOSED:
	case DSP_E_STALE:
	case DSP_E_EXPIRED:
	case DSP_E_BORROWER:
	case DSP_E_TICKET:
		return NBD_ESHUTDOWN;
	case DASPOOL_ERR_INVALID:
	case DSP_E_RANGE:
		return NBD_EINVAL;
	case DSP_E_READONLY:
		return NBD_EPERM;
	case DSP_E_NOSPACE:
		return NBD_ENOSPC;
	default:
		return NBD_EIO;
	}
}

static void *
nbd_volume_open(void *arg, char *why, size_t whylen)
{
	struct nbd_volume	*nv = arg;
	struct daspool_volume	*v = NULL;

	pthread_mutex_lock(&nv->client_lock);
	if (daspool_volume_open(nv->client, nv->name, &v) != 0)
		snprintf(why, whylen, "%s", daspool_client_error(nv->client));
	pthread_mutex_unlock(&nv->client_lock);
	return v;
}

static void
nbd_volume_close(void *h)
{
	daspool_volume_close(h);
}

static int
nbd_volume_read(void *h, void *buf, uint32_t len, uint64_t off, char *why,
    size_t whylen)
{
	int	rc;

	if ((rc = daspool_volume_read(h, buf, len, off)) != 0)
		return nbd_volume_error(h, rc, why, whylen);
	return NBD_OK;
}

static int
nbd_volume_flush(void *h, char *why, size_t whylen)
{
	int	rc;

	if ((rc = daspool_volume_flush(h)) != 0)
		return nbd_volume_error(h, rc, why, whylen);
	return NBD_OK;
}

static int
nbd_volume_write(void *h, const void *buf, uint32_t len, uint64_t off,
    int fua, char *why, size_t whylen)
{
	int	rc;

	if ((rc = daspool_volume_write(h, buf, len, off)) != 0)
		return nbd_volume_error(h, rc, why, whylen);
	return fua ? nbd_volume_flush(h, why, whylen) : NBD_OK;
}

/* The agents' erase: the range reads as zeros after it (they zero the
 * range in place where the file system can, else punch a hole). */
static int
nbd_volume_zero(void *h, uint64_t off, uint64_t len, int fua, char *why,
    size_t whylen)
{
	int	rc;

	if ((rc = daspool_volume_erase(h, off, len)) != 0)
		return nbd_volume_error(h, rc, why, whylen);
	return fua ? nbd_volume_flush(h, why, whylen) : NBD_OK;
}

/* base:allocation from the lenders' holes: a hole reads as zeroes. */
static int
nbd_volume_extents(void *h, uint64_t off, uint32_t len, struct nbd_extent *out,
    size_t max, size_t *n, char *why, size_t whylen)
{
	struct daspool_run	*runs;
	size_t			 i;
	int			 rc;

	if ((runs = calloc(max, sizeof(*runs))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NBD_ENOMEM;
	}
	if ((rc = daspool_volume_map(h, off, len, runs, max, n)) != 0) {
		free(runs);
		return nbd_volume_error(h, rc, why, whylen);
	}
	for (i = 0; i < *n; i++) {
		out[i].length = (uint32_t)runs[i].length;
		out[i].flags = runs[i].flags & DASPOOL_RUN_HOLE ?
		    NBD_STATE_HOLE | NBD_STATE_ZERO : 0;
	}
	free(runs);
	return NBD_OK;
}

static void
nbd_volume_report(void *arg, const char *what)
{
	struct nbd_volume	*nv = arg;

	log_warnx("volume %s: %s", nv->name, what);
}

void
nbd_volume_backend(struct nbd_volume *nv, struct nbd_backend *be)
{
	memset(be, 0, sizeof(*be));
	be->arg = nv;
	be->open = nbd_volume_open;
	be->close = nbd_volume_close;
	be->read = nbd_volume_read;
	be->write = nbd_volume_write;
	be->flush = nbd_volume_flush;
	be->zero = nbd_volume_zero;
	be->extents = nbd_volume_extents;
	be->report = nbd_volume_report;
}

void
nbd_volume_export(const struct nbd_volume *nv, const struct daspool_mount *m,
    struct nbd_export *e)
{
	memset(e, 0, sizeof(*e));
	e->name = nv->name;
	e->description = nv->description;
	e->size = daspool_mount_size(m);
	e->tflags = NBD_TFLAG_SEND_FLUSH | NBD_TFLAG_SEND_FUA |
	    NBD_TFLAG_SEND_TRIM | NBD_TFLAG_SEND_WRITE_ZEROES |
	    NBD_TFLAG_SEND_DF | NBD_TFLAG_CAN_MULTI_CONN;
	if (daspool_mount_readonly(m))
		e->tflags |= NBD_TFLAG_READ_ONLY;
	e->min_block = NBD_VOLUME_MIN_BLOCK;
	e->pref_block = NBD_VOLUME_PREF_BLOCK;
	e->max_block = NBD_VOLUME_MAX_BLOCK;
	e->can_extents = 1;
}

/* Waits ms or until the export stops: 1 when it stops. */
static int
nbd_keeper_wait(struct nbd_volume *nv, int ms)
{
	struct timespec	ts;
	int		stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&nv->stop_lock);
	if (!nv->stop)
		pthread_cond_timedwait(&nv->stop_cond, &nv->stop_lock, &ts);
	stop = nv->stop;
	pthread_mutex_unlock(&nv->stop_lock);
	return stop;
}

/*
 * Every NBD_KEEPER_MS a fresh handle learns from the manager which legs
 * are out of sync; while one is, the handle's resync thread polls for
 * its server and copies it back in sync, and the handle is kept. The
 * clients' own handles come and go with their connections.
 */
static void *
nbd_volume_keeper(void *arg)
{
	struct nbd_volume	*nv = arg;
	struct daspool_volume	*v;
	char			 why[64];
	int			 rc = 0;

	while (rc != NBD_ESHUTDOWN && !nbd_keeper_wait(nv, NBD_KEEPER_MS)) {
		if ((v = nbd_volume_open(nv, why, sizeof(why))) == NULL)
			continue;
		while ((rc = daspool_volume_resync(v,
		    NBD_KEEPER_MS / 1000, NULL)) != 0 &&
		    nbd_volume_error(v, rc, why, sizeof(why)) != NBD_ESHUTDOWN &&
		    !nbd_keeper_wait(nv, 0))
			;
		if (rc != 0)
			rc = nbd_volume_error(v, rc, why, sizeof(why));
		daspool_volume_close(v);
	}
	return NULL;
}

static void
nbd_keeper_start(struct nbd_volume *nv, const struct daspool_mount *m)
{
	pthread_mutex_init(&nv->stop_lock, NULL);
	pthread_cond_init(&nv->stop_cond, NULL);
	if (strcmp(daspool_mount_form(m), "mirror") == 0 &&
	    pthread_create(&nv->keeper, NULL, nbd_volume_keeper, nv) == 0)
		nv->keeping = 1;
}

static void
nbd_keeper_stop(struct nbd_volume *nv)
{
	pthread_mutex_lock(&nv->stop_lock);
	nv->stop = 1;
	pthread_cond_broadcast(&nv->stop_cond);
	pthread_mutex_unlock(&nv->stop_lock);
	if (nv->keeping)
		pthread_join(nv->keeper, NULL);
	pthread_cond_destroy(&nv->stop_cond);
	pthread_mutex_destroy(&nv->stop_lock);
}

/* The Unix socket's directory, made when missing (/run/daspool). */
static int
nbd_volume_socket_dir(const char *path, char *err, size_t errlen)
{
	char	dir[4096], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
nbd_volume_serve(struct daspool_client *c, const char *volume,
    const struct nbd_listen_opts *o, char *err, size_t errlen)
{
	const struct daspool_mount	*m;
	struct nbd_volume		 nv;
	struct nbd_backend		 be;
	struct nbd_export		 e;
	int				 rc;

	if (daspool_mount_lookup(c, volume, &m) != 0) {
		snprintf(err, errlen, "%s: %s (mount it first: daspool mount "
		    "%s)", volume, daspool_client_error(c), volume);
		return -1;
	}
	if (o->listen == NULL &&
	    nbd_volume_socket_dir(o->socket_path, err, errlen) == -1)
		return -1;
	memset(&nv, 0, sizeof(nv));
	nv.client = c;
	nv.name = volume;
	pthread_mutex_init(&nv.client_lock, NULL);
	snprintf(nv.description, sizeof(nv.description), "daspool volume %s "
	    "(%s, %llu bytes)", volume, daspool_mount_form(m),
	    (unsigned long long)daspool_mount_size(m));
	nbd_volume_backend(&nv, &be);
	nbd_volume_export(&nv, m, &e);
	nbd_keeper_start(&nv, m);
	rc = nbd_listen_run(&e, &be, o, err, errlen);
	nbd_keeper_stop(&nv);
	if (rc == 1)
		log_warnx("volume %s: the export ended: the volume is no "
		    "longer mounted here (unmounted, forced off or its ticket "
		    "revoked)", volume);
	pthread_mutex_destroy(&nv.client_lock);
	return rc;
}
