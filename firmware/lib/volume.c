/*
 * Volume handles: opening a mounted volume, cutting I/O on volume
 * offsets into per-extent request streams for the data connections, and
 * keeping the handle's ticket fresh and handing it down to them. Calls
 * from other threads that cut a handle off are in handles.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "log.h"
#include "mirror.h"
#include "size.h"

/* INIT and ERASE move no data but the agent bounds every request. */
#define VOLUME_CHUNK		DSP_MAX_IO
#define VOLUME_RENEW_RETRY	5	/* seconds between renewal attempts */

static void	volume_take_ticket(struct daspool_volume *,
		    const struct daspool_mount *);
static int	volume_job_next(void *, struct dp_req *);
static int	volume_job_done(void *, const struct dp_req *,
		    const struct msg_data_reply *);
static int	volume_io(struct daspool_volume *, uint8_t, uint8_t *,
		    const uint8_t *, uint64_t, uint64_t);
static int	volume_call(struct daspool_volume *, uint8_t, uint8_t *,
		    const uint8_t *, uint64_t, uint64_t);
static int	volume_hand_ticket(void *, struct datapath *);
static int	volume_flush(struct daspool_volume *);

void
volume_seterr(struct daspool_volume *v, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
}

const char *
daspool_volume_error(const struct daspool_volume *v)
{
	return v->err;
}

const char *
daspool_volume_name(const struct daspool_volume *v)
{
	return v->name;
}

uint64_t
daspool_volume_size(const struct daspool_volume *v)
{
	return v->map.size;
}

void
daspool_volume_set_progress(struct daspool_volume *v, daspool_progress_fn *fn,
    void *arg)
{
	v->progress = fn;
	v->progress_arg = arg;
}

void
volume_progress_start(struct daspool_volume *v, uint64_t total)
{
	v->progress_done = 0;
	v->progress_total = total;
}

void
volume_progress(struct daspool_volume *v, uint64_t bytes)
{
	v->progress_done += bytes;
	if (v->progress != NULL)
		v->progress(v->progress_done, v->progress_total,
		    v->progress_arg);
}

/* size_format is exact: "256M", or "200000123B". */
void
volume_size_text(uint64_t n, char *out, size_t outlen)
{
	size_format(n, out, outlen);
}

struct datapath *
volume_path(struct daspool_volume *v, uint16_t extent)
{
	return v->paths[v->extent_path[extent]];
}

/* Client lock held. */
static void
volume_take_ticket(struct daspool_volume *v, const struct daspool_mount *m)
{
	pthread_mutex_lock(&v->tlock);
	memcpy(v->ticket, m->info.ticket, m->info.ticket_len);
	v->ticket_len = m->info.ticket_len;
	v->generation = m->info.generation;
	v->issued_at = m->issued_at;
	v->expires_at = m->info.expires_at;
	v->serial = m->serial;
	pthread_mutex_unlock(&v->tlock);
}

void
volume_ticket_get(struct daspool_volume *v, struct volume_ticket *t)
{
	pthread_mutex_lock(&v->tlock);
	memcpy(t->ticket, v->ticket, v->ticket_len);
	t->ticket_len = v->ticket_len;
	t->generation = v->generation;
	t->serial = v->serial;
	pthread_mutex_unlock(&v->tlock);
}

static int	volume_renew_now(void *, struct datapath *);

/*
 * The job's refresh hook: renews the ticket when due and hands it to the
 * connection when it holds another. Runs in the connection's thread.
 */
static int
volume_hand_ticket(void *arg, struct datapath *dp)
{
	struct daspool_volume	*v = arg;
	struct volume_ticket	 t;
	char			 err[DASPOOL_ERRLEN];
	int			 rc;

	if ((rc = volume_ticket_refresh(v, err, sizeof(err))) != 0) {
		datapath_seterr(dp, "%s", err);
		return rc;
	}
	pthread_mutex_lock(&v->tlock);
	rc = datapath_has_ticket(dp, v->serial);
	pthread_mutex_unlock(&v->tlock);
	if (!rc) {
		volume_ticket_get(v, &t);
		datapath_set_ticket(dp, t.ticket, t.ticket_len, t.generation,
		    t.serial);
	}
	return 0;
}

int
volume_run(struct daspool_volume *v, struct datapath *dp, struct dp_job *job,
    char *err, size_t errlen)
{
	int	rc;

	job->refresh = volume_hand_ticket;
	job->renew = volume_renew_now;
	job->refresh_arg = v;
	if ((rc = datapath_run(dp, job)) != 0)
		snprintf(err, errlen, "%s", datapath_error(dp));
	return rc;
}

struct datapath *
volume_path_new(struct daspool_volume *v, uint16_t extent, int retry_ms,
    int once)
{
	const struct msg_extent	*e = &v->extents[extent];
	struct datapath_params	 p;

	memset(&p, 0, sizeof(p));
	p.tls = v->client->tls;
	p.host = e->host;
	p.port = e->port;
	p.server = e->server;
	p.requester = daspool_client_name(v->client);
	p.volume = v->name;
	p.timeout_ms = v->client->timeout_ms;
	p.retry_ms = retry_ms;
	p.once = once;
	return datapath_new(&p);
}

int
daspool_volume_open(struct daspool_client *c, const char *volume,
    struct daspool_volume **vp)
{
	struct daspool_volume	*v;
	struct daspool_mount	*m;
	const struct msg_extent	*e;
	uint16_t		 i, j;
	int			 rc, retry;

	*vp = NULL;
	if (volume == NULL || !msg_name_valid(volume)) {
		client_seterr(c, "invalid volume name '%s'",
		    volume ? volume : "");
		return DASPOOL_ERR_INVALID;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		client_seterr(c, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	pthread_mutex_init(&v->tlock, NULL);
	v->client = c;
	pthread_mutex_lock(&c->lock);
	if ((rc = client_mount_get(c, volume, &m, c->err,
	    sizeof(c->err))) != 0)
		goto fail;
	memcpy(v->name, m->info.volume, sizeof(v->name));
	v->form = m->info.form;
	v->backup = m->backup;
	v->held_leg = m->held_leg;
	v->map = m->map;
	memcpy(v->extents, m->info.extents, sizeof(v->extents));
	v->extent_count = m->info.extent_count;
	volume_take_ticket(v, m);
	/* A mirror's leg is given up on quickly: the others go on. */
	retry = c->timeout_ms;
	if (v->form == DSP_FORM_MIRROR && retry > MIRROR_LEG_RETRY_MS)
		retry = MIRROR_LEG_RETRY_MS;
	/* Extents on the same lender share its connection. */
	for (i = 0; i < m->info.extent_count; i++) {
		e = &v->extents[i];
		for (j = 0; j < v->path_count; j++)
			if (strcmp(datapath_server(v->paths[j]),
			    e->server) == 0)
				break;
		if (j == v->path_count) {
			if ((v->paths[j] = volume_path_new(v, i, retry,
			    0)) == NULL || (v->map_paths[j] =
			    volume_path_new(v, i, retry, 1)) == NULL) {
				client_seterr(c, "out of memory");
				rc = DASPOOL_ERR_SYSTEM;
				goto fail;
			}
			v->path_count++;
		}
		v->extent_path[i] = j;
	}
	pthread_mutex_unlock(&c->lock);
	/* Complete, resync thread and all, before others can cut it. */
	if (v->form == DSP_FORM_MIRROR && (rc = mirror_open(v)) != 0) {
		client_seterr(c, "%s", v->err);
		mirror_stop(v);
		volume_free(v);
		return rc;
	}
	if (handle_link(v) == -1) {
		client_seterr(c, "the client is closed");
		mirror_interrupt(v, DASPOOL_ERR_CLOSED, c->err);
		mirror_stop(v);
		volume_free(v);
		return DASPOOL_ERR_CLOSED;
	}
	*vp = v;
	return 0;
fail:
	pthread_mutex_unlock(&c->lock);
	volume_free(v);
	return rc;
}

/*
 * From the handle's own thread, or another one while a call on it is in
 * progress: that call is cut short and waited for (handles.c).
 */
void
daspool_volume_close(struct daspool_volume *v)
{
	struct daspool_client	*c;
	char			 why[DASPOOL_ERRLEN];

	if (v == NULL)
		return;
	c = v->client;
	snprintf(why, sizeof(why), "the handle of volume %s was closed",
	    v->name);
	handle_shut(v, DASPOOL_ERR_CLOSED, why);
	if (handle_unlink(v))
		client_free(c);
	volume_free(v);
}

void
volume_free(struct daspool_volume *v)
{
	uint16_t	i;

	mirror_close(v);
	for (i = 0; i < DSP_MAX_EXTENTS; i++) {
		datapath_free(v->paths[i]);
		datapath_free(v->map_paths[i]);
	}
	pthread_mutex_destroy(&v->tlock);
	free(v);
}

/* RENEW at the manager, whatever the throttle; 0 with the new ticket
 * taken, else the manager's refusal or why it could not be reached. */
static int
volume_renew(struct daspool_volume *v, uint64_t serial, char *why,
    size_t whylen)
{
	struct daspool_client	*c = v->client;
	struct daspool_mount	*m;
	int			 rc;

	pthread_mutex_lock(&c->lock);
	rc = client_mount_get(c, v->name, &m, why, whylen);
	if (rc == 0 && (rc = client_renew(c, m, serial, why, whylen)) == 0)
		volume_take_ticket(v, m);
	pthread_mutex_unlock(&c->lock);
	if (rc != 0) {
		pthread_mutex_lock(&v->tlock);
		v->renew_retry_at = (uint64_t)time(NULL) + VOLUME_RENEW_RETRY;
		pthread_mutex_unlock(&v->tlock);
	}
	return rc;
}

/*
 * A renewal that fails because the manager cannot be reached is not an
 * error: the manager may be restarting, or down for long. It is tried
 * again every VOLUME_RENEW_RETRY seconds, and meanwhile the ticket is
 * used as it is, expired or not: the lenders honour it past its expiry
 * while they cannot reach the manager either (docs/PROTOCOL.md, "When
 * the manager is away"), and refuse it once they can. A renewal the
 * manager refuses (the volume is no longer mounted here) stops the I/O.
 */
int
volume_ticket_refresh(struct daspool_volume *v, char *err, size_t errlen)
{
	char		 why[DASPOOL_ERRLEN];
	uint64_t	 now = (uint64_t)time(NULL);
	uint64_t	 serial, expires_at;
	int		 rc;

	/* Renewal is under the ticket lock, so legs renew once. */
	pthread_mutex_lock(&v->tlock);
	if (!mountinfo_needs_renewal(v->issued_at, v->expires_at, now) ||
	    now < v->renew_retry_at) {
		pthread_mutex_unlock(&v->tlock);
		return 0;
	}
	serial = v->serial;
	expires_at = v->expires_at;
	pthread_mutex_unlock(&v->tlock);
	if ((rc = volume_renew(v, serial, why, sizeof(why))) == 0)
		return 0;
	/* E_UNAVAILABLE: a manager just started waits for the lenders to
	 * tell it their generations; the ticket is kept meanwhile. */
	if (rc > 0 && rc != DSP_E_UNAVAILABLE) {
		snprintf(err, errlen, "the ticket of volume %s cannot be "
		    "renewed: %s", v->name, why);
		return rc;
	}
	if (now < expires_at)
		log_warnx("cannot renew the ticket of volume %s (%s); it is "
		    "good for %llu s more", v->name, why,
		    (unsigned long long)(expires_at - now));
	else
		log_warnx("cannot renew the ticket of volume %s (%s); it "
		    "expired %llu s ago and is used while the lenders honour "
		    "it", v->name, why, (unsigned long long)(now - expires_at));
	return 0;
}

/*
 * The job's renew hook: a lender refused the ticket as expired, so it
 * reaches the manager again; renew now and hand the new ticket down.
 */
static int
volume_renew_now(void *arg, struct datapath *dp)
{
	struct daspool_volume	*v = arg;
	struct volume_ticket	 t;
	char			 why[DASPOOL_ERRLEN];
	int			 rc;

	volume_ticket_get(v, &t);
	if ((rc = volume_renew(v, t.serial, why, sizeof(why))) != 0) {
		datapath_seterr(dp, "the ticket of volume %s has expired and "
		    "cannot be renewed: %s", v->name, why);
		return rc;
	}
	volume_ticket_get(v, &t);
	datapath_set_ticket(dp, t.ticket, t.ticket_len, t.generation,
	    t.serial);
	return 0;
}

int
volume_range_check(struct daspool_volume *v, uint64_t offset, uint64_t length)
{
	char	off[32], len[32], size[32];

	if (extent_map_check(&v->map, offset, length) == 0)
		return 0;
	volume_size_text(offset, off, sizeof(off));
	volume_size_text(length, len, sizeof(len));
	volume_size_text(v->map.size, size, sizeof(size));
	if (offset > v->map.size || (offset == v->map.size && length > 0))
		volume_seterr(v, "offset %s is past the end of volume %s (%s)",
		    off, v->name, size);
	else
		volume_seterr(v, "%s bytes at offset %s run past the end of "
		    "volume %s (%s)", len, off, v->name, size);
	return DASPOOL_ERR_INVALID;
}

static int
volume_job_next(void *arg, struct dp_req *r)
{
	struct volume_job	*j = arg;
	uint64_t		 n;

	if (j->left == 0)
		return 1;
	n = j->left < VOLUME_CHUNK ? j->left : VOLUME_CHUNK;
	memset(r, 0, sizeof(*r));
	r->opcode = j->opcode;
	r->extent = j->extent;
	r->region = j->region;
	r->offset = j->roffset;
	r->length = n;
	if (j->wbuf != NULL) {
		r->data = j->wbuf;
		r->data_len = n;
		j->wbuf += n;
	}
	if (j->rbuf != NULL) {
		r->dest = j->rbuf;
		j->rbuf += n;
	}
	j->roffset += n;
	j->left -= n;
	return 0;
}

void
volume_job_init(struct volume_job *j, struct dp_job *job,
    struct daspool_volume *v, uint8_t opcode, uint16_t extent,
    uint64_t roffset, uint64_t length)
{
	memset(j, 0, sizeof(*j));
	memset(job, 0, sizeof(*job));
	j->v = v;
	j->opcode = opcode;
	j->extent = extent;
	j->region = v->extents[extent].region;
	j->roffset = roffset;
	j->left = length;
	job->next = volume_job_next;
	job->done = volume_job_done;
	job->arg = j;
}

static int
volume_job_done(void *arg, const struct dp_req *r,
    const struct msg_data_reply *reply)
{
	struct volume_job	*j = arg;

	(void)reply;
	if (r->opcode != DSP_OP_FLUSH && !j->quiet)
		volume_progress(j->v, r->length);
	return DP_GO;
}

/* One request stream per piece, piece after piece. */
static int
volume_io(struct daspool_volume *v, uint8_t opcode, uint8_t *rbuf,
    const uint8_t *wbuf, uint64_t length, uint64_t offset)
{
	struct extent_piece	 p;
	struct volume_job	 j;
	struct dp_job		 job;
	int			 rc;

	if ((rc = volume_range_check(v, offset, length)) != 0)
		return rc;
	volume_progress_start(v, length);
	if (v->mirror != NULL)
		return mirror_io(v, opcode, rbuf, wbuf, length, offset);
	while (extent_map_piece(&v->map, offset, length, &p) == 0) {
		volume_job_init(&j, &job, v, opcode, p.extent, p.roffset,
		    p.length);
		j.rbuf = rbuf;
		j.wbuf = wbuf;
		if ((rc = volume_run(v, volume_path(v, p.extent), &job, v->err,
		    sizeof(v->err))) != 0)
			return rc;
		if (rbuf != NULL)
			rbuf += p.length;
		if (wbuf != NULL)
			wbuf += p.length;
		offset += p.length;
		length -= p.length;
	}
	return 0;
}

/* Every public I/O call runs while the handle counts it busy. */
static int
volume_call(struct daspool_volume *v, uint8_t opcode, uint8_t *rbuf,
    const uint8_t *wbuf, uint64_t length, uint64_t offset)
{
	int	rc;

	if ((rc = handle_enter(v)) != 0)
		return rc;
	if (opcode == DSP_OP_FLUSH)
		rc = volume_flush(v);
	else
		rc = volume_io(v, opcode, rbuf, wbuf, length, offset);
	handle_leave(v);
	return rc;
}

int
daspool_volume_read(struct daspool_volume *v, void *buf, size_t len,
    uint64_t offset)
{
	return volume_call(v, DSP_OP_READ, buf, NULL, len, offset);
}

int
daspool_volume_write(struct daspool_volume *v, const void *buf, size_t len,
    uint64_t offset)
{
	return volume_call(v, DSP_OP_WRITE, NULL, buf, len, offset);
}

int
daspool_volume_erase(struct daspool_volume *v, uint64_t offset,
    uint64_t length)
{
	return volume_call(v, DSP_OP_ERASE, NULL, NULL, length, offset);
}

int
daspool_volume_init(struct daspool_volume *v)
{
	return volume_call(v, DSP_OP_INIT, NULL, NULL, v->map.size, 0);
}

int
daspool_volume_flush(struct daspool_volume *v)
{
	return volume_call(v, DSP_OP_FLUSH, NULL, NULL, 0, 0);
}

/* FLUSH names each extent's region; the agent ignores the range, which
 * is kept inside the extent so that any bounds check passes. */
static int
volume_flush(struct daspool_volume *v)
{
	const struct msg_extent	*e;
	struct volume_job	 j;
	struct dp_job		 job;
	uint16_t		 i;
	int			 rc;

	volume_progress_start(v, 0);
	if (v->mirror != NULL)
		return mirror_io(v, DSP_OP_FLUSH, NULL, NULL, 0, 0);
	for (i = 0; i < v->map.count; i++) {
		e = &v->extents[i];
		volume_job_init(&j, &job, v, DSP_OP_FLUSH, i, e->offset,
		    e->length < VOLUME_CHUNK ? e->length : VOLUME_CHUNK);
		if ((rc = volume_run(v, volume_path(v, i), &job, v->err,
		    sizeof(v->err))) != 0)
			return rc;
	}
	return 0;
}
