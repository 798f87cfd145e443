/*
 * The client handle and its control calls to the manager: allocate,
 * mount, renew, unmount, release, and the mount infos known here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "log.h"
#include "timeutil.h"
#include "tls.h"

static int	client_name_check(struct daspool_client *, const char *);
static void	client_mount_forget(struct daspool_client *, const char *);
static void	client_mount_replace(struct daspool_mount *,
		    struct daspool_mount *);
static int	client_simple_call(struct daspool_client *, uint8_t,
		    const char *);
static int	client_fetch_mount(struct daspool_client *, uint8_t,
		    const char *, struct daspool_mount **, char *, size_t);

const char *
daspool_strerror(int code)
{
	switch (code) {
	case DASPOOL_OK:
		return "success";
	case DASPOOL_ERR_SYSTEM:
		return "system error";
	case DASPOOL_ERR_CONNECT:
		return "unreachable";
	case DASPOOL_ERR_PROTOCOL:
		return "protocol error";
	case DASPOOL_ERR_INVALID:
		return "invalid argument";
	case DASPOOL_ERR_NOTMOUNTED:
		return "not mounted";
	case DASPOOL_ERR_CONFIG:
		return "configuration error";
	case DASPOOL_ERR_CLOSED:
		return "handle closed";
	}
	if (code > 0)
		return dsp_status_name((uint32_t)code);
	return "unknown error";
}

void
client_seterr(struct daspool_client *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

const char *
daspool_client_error(const struct daspool_client *c)
{
	return c->err;
}

const char *
daspool_client_name(const struct daspool_client *c)
{
	return c->tls != NULL ? tls_config_own_name(c->tls) : "";
}

int
daspool_client_open(const struct daspool_options *o,
    struct daspool_client **cp)
{
	struct daspool_client	*c;
	struct tls_paths	 paths;
	char			 why[512];

	if ((*cp = c = calloc(1, sizeof(*c))) == NULL)
		return DASPOOL_ERR_SYSTEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->vlock, NULL);
	timeutil_cond_init(&c->vidle);
	c->manager_port = o->manager_port ? o->manager_port : DSP_MGR_PORT;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DASPOOL_TIMEOUT_MS;
	if ((o->manager_host != NULL &&
	    (c->manager_host = strdup(o->manager_host)) == NULL) ||
	    (c->manager_name = strdup(o->manager_name != NULL ?
	    o->manager_name : DASPOOL_MANAGER_NAME)) == NULL ||
	    (c->state_dir = strdup(o->state_dir != NULL ? o->state_dir :
	    DASPOOL_STATE_DIR)) == NULL) {
		client_seterr(c, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	if (o->ca_file == NULL || o->cert_file == NULL || o->key_file == NULL) {
		client_seterr(c, "no %s given: set ca, cert and key in the "
		    "config file or give --ca, --cert and --key",
		    o->ca_file == NULL ? "CA certificate" :
		    o->cert_file == NULL ? "certificate" : "private key");
		return DASPOOL_ERR_CONFIG;
	}
	memset(&paths, 0, sizeof(paths));
	paths.ca_file = o->ca_file;
	paths.cert_file = o->cert_file;
	paths.key_file = o->key_file;
	paths.crl_file = o->crl_file;
	paths.ciphers = o->ciphers;
	c->tls = tls_config_new(TLS_SIDE_CLIENT, &paths, why, sizeof(why));
	if (c->tls == NULL) {
		client_seterr(c, "%s", why);
		return DASPOOL_ERR_CONFIG;
	}
	return 0;
}

/*
 * Cuts off every handle still open (calls in progress in other threads
 * return DASPOOL_ERR_CLOSED and are waited for), then frees what the
 * handles no longer need. The client's memory goes with the last handle
 * still open, if any (handles.c).
 */
void
daspool_client_close(struct daspool_client *c)
{
	struct daspool_mount	*m;

	if (c == NULL)
		return;
	handle_shut_all(c);
	pthread_mutex_lock(&c->lock);
	while ((m = c->mounts) != NULL) {
		c->mounts = m->next;
		mountinfo_free(m);
	}
	mgrlink_close(c);
	pthread_mutex_unlock(&c->lock);
	if (c->tls != NULL)
		tls_config_free(c->tls);
	c->tls = NULL;
	free(c->manager_host);
	free(c->manager_name);
	free(c->state_dir);
	c->manager_host = c->manager_name = c->state_dir = NULL;
	if (handle_client_done(c))
		client_free(c);
}

void
client_free(struct daspool_client *c)
{
	pthread_cond_destroy(&c->vidle);
	pthread_mutex_destroy(&c->vlock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int
client_name_check(struct daspool_client *c, const char *volume)
{
	if (volume == NULL || !msg_name_valid(volume)) {
		client_seterr(c, "invalid volume name '%s': use 1 to %d of "
		    "A-Z a-z 0-9 . _ : -", volume ? volume : "",
		    DSP_NAME_MAX);
		return DASPOOL_ERR_INVALID;
	}
	return 0;
}

struct daspool_mount *
client_mount_find(struct daspool_client *c, const char *volume)
{
	struct daspool_mount	*m;

	for (m = c->mounts; m != NULL; m = m->next)
		if (strcmp(m->info.volume, volume) == 0)
			return m;
	return NULL;
}

int
client_mount_get(struct daspool_client *c, const char *volume,
    struct daspool_mount **mp, char *err, size_t errlen)
{
	struct daspool_mount	*m;
	int			 rc;

	if ((m = client_mount_find(c, volume)) == NULL) {
		rc = mountinfo_load(c->state_dir, volume, &m, err, errlen);
		if (rc != 0)
			return rc;
		m->next = c->mounts;
		c->mounts = m;
	}
	*mp = m;
	return 0;
}

/* New contents, same place: volume handles and callers keep pointers. */
static void
client_mount_replace(struct daspool_mount *m, struct daspool_mount *n)
{
	struct daspool_mount	*next = m->next;
	uint64_t		 serial = m->serial;
	int			 backup = m->backup;
	int			 held_leg = m->held_leg;

	free(m->raw);
	*m = *n;
	m->next = next;
	m->serial = serial + 1;
	m->backup = backup;
	m->held_leg = held_leg;
	free(n);
}

/* Forgets the mount info here (its handles are cut off already). */
static void
client_mount_forget(struct daspool_client *c, const char *volume)
{
	struct daspool_mount	**mp, *m;
	char			  why[DASPOOL_ERRLEN];

	for (mp = &c->mounts; (m = *mp) != NULL; mp = &m->next)
		if (strcmp(m->info.volume, volume) == 0) {
			*mp = m->next;
			mountinfo_free(m);
			break;
		}
	if (mountinfo_remove(c->state_dir, volume, why, sizeof(why)) != 0)
		log_warnx("%s", why);
}

/* MOUNT or RENEW: both answer with a mount info. */
static int
client_fetch_mount(struct daspool_client *c, uint8_t opcode,
    const char *volume, struct daspool_mount **mp, char *err, size_t errlen)
{
	struct daspool_mount	*m;
	const uint8_t		*reply;
	size_t			 len;
	int			 rc;

	*mp = NULL;
	rc = mgrlink_call_volume(c, opcode, volume, &reply, &len, err, errlen);
	if (rc != 0)
		return rc;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	if ((rc = mountinfo_decode(reply, len, m, err, errlen)) != 0) {
		free(m);
		return rc;
	}
	if (strcmp(m->info.volume, volume) != 0) {
		snprintf(err, errlen, "the manager answered with the mount "
		    "info of volume %s for volume %s", m->info.volume, volume);
		mountinfo_free(m);
		return DASPOOL_ERR_PROTOCOL;
	}
	*mp = m;
	return 0;
}

int
client_renew(struct daspool_client *c, struct daspool_mount *m,
    uint64_t serial, char *err, size_t errlen)
{
	struct daspool_mount	*n;
	char			 why[DASPOOL_ERRLEN];
	int			 rc;

	/* Another handle may have renewed it already. */
	if (m->serial != serial && !mountinfo_needs_renewal(m->issued_at,
	    m->info.expires_at, (uint64_t)time(NULL)))
		return 0;
	rc = client_fetch_mount(c, m->backup ? DSP_OP_BACKUP_OPEN :
	    DSP_OP_RENEW, m->info.volume, &n, err, errlen);
	if (rc != 0)
		return rc;
	client_mount_replace(m, n);
	/* The old ticket in the file is still good until it expires. */
	if (!m->backup &&
	    mountinfo_save(c->state_dir, m, why, sizeof(why)) != 0)
		log_warnx("ticket of %s renewed but not saved: %s",
		    m->info.volume, why);
	log_debug("renewed the ticket of %s until %llu", m->info.volume,
	    (unsigned long long)m->info.expires_at);
	return 0;
}

int
daspool_allocate(struct daspool_client *c, const char *volume,
    uint64_t min_size, char *name_out, uint64_t *size_out)
{
	struct msg_allocate	 req;
	struct msg_allocated	 got;
	struct buf_writer	 w;
	const uint8_t		*reply;
	size_t			 len;
	int			 rc;

	memset(&req, 0, sizeof(req));
	if (volume != NULL && volume[0] != '\0') {
		if ((rc = client_name_check(c, volume)) != 0)
			return rc;
		snprintf(req.volume, sizeof(req.volume), "%s", volume);
	}
	req.min_size = min_size;
	buf_writer_init(&w);
	msg_encode_allocate(&w, &req);
	pthread_mutex_lock(&c->lock);
	rc = mgrlink_call(c, DSP_OP_ALLOCATE, &w, &reply, &len, c->err,
	    sizeof(c->err));
	if (rc == 0 && (rc = msg_decode_allocated(reply, len, &got)) != 0) {
		client_seterr(c, "malformed ALLOCATE reply (%s)",
		    dsp_status_name((uint32_t)rc));
		rc = DASPOOL_ERR_PROTOCOL;
	}
	pthread_mutex_unlock(&c->lock);
	buf_writer_free(&w);
	if (rc != 0)
		return rc;
	if (name_out != NULL)
		memcpy(name_out, got.volume, sizeof(got.volume));
	if (size_out != NULL)
		*size_out = got.size;
	return 0;
}

/* Control calls that take a volume name and answer with nothing. */
static int
client_simple_call(struct daspool_client *c, uint8_t opcode,
    const char *volume)
{
	const uint8_t	*reply;
	size_t		 len;

	return mgrlink_call_volume(c, opcode, volume, &reply, &len, c->err,
	    sizeof(c->err));
}

int
daspool_release(struct daspool_client *c, const char *volume)
{
	int	rc;

	if ((rc = client_name_check(c, volume)) != 0)
		return rc;
	pthread_mutex_lock(&c->lock);
	rc = client_simple_call(c, DSP_OP_RELEASE, volume);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
daspool_mount(struct daspool_client *c, const char *volume,
    const struct daspool_mount **info)
{
	struct daspool_mount	*m, *old;
	char			 why[DASPOOL_ERRLEN];
	int			 rc;

	if ((rc = client_name_check(c, volume)) != 0)
		return rc;
	pthread_mutex_lock(&c->lock);
	rc = client_fetch_mount(c, DSP_OP_MOUNT, volume, &m, c->err,
	    sizeof(c->err));
	if (rc != 0)
		goto done;
	if ((old = client_mount_find(c, volume)) != NULL) {
		client_mount_replace(old, m);
		m = old;
	} else {
		m->next = c->mounts;
		c->mounts = m;
	}
	if ((rc = mountinfo_save(c->state_dir, m, why, sizeof(why))) != 0) {
		client_seterr(c, "volume %s is mounted but its mount info "
		    "could not be saved: %s", volume, why);
		goto done;
	}
	if (info != NULL)
		*info = m;
done:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
daspool_backup_open(struct daspool_client *c, const char *volume,
    const struct daspool_mount **info)
{
	struct daspool_mount	*m, *old;
	int			 rc;

	if ((rc = client_name_check(c, volume)) != 0)
		return rc;
	pthread_mutex_lock(&c->lock);
	rc = client_fetch_mount(c, DSP_OP_BACKUP_OPEN, volume, &m, c->err,
	    sizeof(c->err));
	if (rc == 0) {
		m->backup = 1;
		if ((old = client_mount_find(c, volume)) != NULL) {
			client_mount_replace(old, m);
			old->backup = 1;
			m = old;
		} else {
			m->next = c->mounts;
			c->mounts = m;
		}
		if (info != NULL)
			*info = m;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
daspool_mount_lookup(struct daspool_client *c, const char *volume,
    const struct daspool_mount **info)
{
	struct daspool_mount	*m;
	int			 rc;

	if ((rc = client_name_check(c, volume)) != 0)
		return rc;
	pthread_mutex_lock(&c->lock);
	rc = client_mount_get(c, volume, &m, c->err, sizeof(c->err));
	pthread_mutex_unlock(&c->lock);
	if (rc == 0 && info != NULL)
		*info = m;
	return rc;
}

/*
 * The volume's handles are cut off first, whatever the manager answers:
 * no write of ours is in flight when it revokes the ticket, and a mirror
 * write cut short is reported while the volume is still mounted.
 */
int
daspool_unmount(struct daspool_client *c, const char *volume)
{
	char	why[DASPOOL_ERRLEN];
	int	rc;

	if ((rc = client_name_check(c, volume)) != 0)
		return rc;
	snprintf(why, sizeof(why), "volume %s was unmounted", volume);
	handle_shut_volume(c, volume, DASPOOL_ERR_NOTMOUNTED, why);
	pthread_mutex_lock(&c->lock);
	rc = client_simple_call(c, DSP_OP_UNMOUNT, volume);
	/* Refusals saying the mount is gone: forget it here too. */
	if (rc == 0 || rc == DSP_E_STATE || rc == DSP_E_NOTFOUND ||
	    rc == DSP_E_BUSY)
		client_mount_forget(c, volume);
	pthread_mutex_unlock(&c->lock);
	/* Handles opened meanwhile. */
	handle_shut_volume(c, volume, DASPOOL_ERR_NOTMOUNTED, why);
	return rc;
}

int
daspool_status(struct daspool_client *c, daspool_status_fn *fn, void *arg)
{
	return mountinfo_list(c->state_dir, fn, arg, c->err, sizeof(c->err));
}
