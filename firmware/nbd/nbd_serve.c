/*
 * The transmission phase (nbd.h). The calling thread reads requests and
 * queues them; worker threads, each with a backend handle of its own,
 * carry them out and reply as they finish, so replies may overtake one
 * another (NBD allows it: each carries its request's cookie). At most
 * NBD_INFLIGHT_MAX requests wait or run: past that the reader waits,
 * which bounds the memory a client can make the server hold.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbd.h"

#define NBD_WHY_MAX	512

struct nbd_job {
	struct nbd_request	 r;
	uint8_t			*data;		/* WRITE's payload */
	struct nbd_job		*next;
};

struct nbd_srv {
	const struct nbd_io		*io;
	const struct nbd_export		*export;
	const struct nbd_session	*s;
	const struct nbd_backend	*be;
	pthread_mutex_t			 lock;
	pthread_cond_t			 work;		/* a job, or stop */
	pthread_cond_t			 room;		/* a job done */
	struct nbd_job			*head, *tail;
	int				 inflight;	/* queued or running */
	int				 stop;
	int				 shutdown;	/* ESHUTDOWN seen */
	pthread_mutex_t			 wlock;		/* replies */
	int				 write_failed;
	struct nbd_worker		*inline_worker;	/* workers == 0 */
};

struct nbd_worker {
	struct nbd_srv	*srv;
	void		*h;
	pthread_t	 thread;
};

static void
nbd_report(struct nbd_srv *srv, const struct nbd_request *r, int error,
    const char *why)
{
	char	line[NBD_WHY_MAX + 64], name[32];

	if (srv->be->report == NULL)
		return;
	snprintf(line, sizeof(line), "%s at %llu (+%u): %s (error %d)",
	    nbd_command_name(r->type, name, sizeof(name)),
	    (unsigned long long)r->offset, r->length, why, error);
	srv->be->report(srv->be->arg, line);
}

/* Writes whole parts of one reply, none mixed with another's. */
static void
nbd_send(struct nbd_srv *srv, const void *a, size_t alen, const void *b,
    size_t blen)
{
	pthread_mutex_lock(&srv->wlock);
	if (!srv->write_failed &&
	    (srv->io->write(srv->io->arg, a, alen) == -1 ||
	    (blen > 0 && srv->io->write(srv->io->arg, b, blen) == -1)))
		srv->write_failed = 1;
	pthread_mutex_unlock(&srv->wlock);
}

static void
nbd_reply_error(struct nbd_srv *srv, const struct nbd_request *r, int error,
    const char *why)
{
	uint8_t	hdr[32], body[6 + NBD_WHY_MAX];
	size_t	n, wlen = strlen(why);

	nbd_report(srv, r, error, why);
	if (!srv->s->structured) {
		n = nbd_simple_reply(hdr, (uint32_t)error, r->cookie);
		nbd_send(srv, hdr, n, NULL, 0);
		return;
	}
	if (wlen > NBD_WHY_MAX)
		wlen = NBD_WHY_MAX;
	nbd_put32(body, (uint32_t)error);
	nbd_put16(body + 4, (uint16_t)wlen);
	memcpy(body + 6, why, wlen);
	n = nbd_chunk_header(hdr, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR,
	    r->cookie, (uint32_t)(6 + wlen));
	nbd_send(srv, hdr, n, body, 6 + wlen);
}

static void
nbd_reply_ok(struct nbd_srv *srv, const struct nbd_request *r)
{
	uint8_t	hdr[32];
	size_t	n;

	if (srv->s->structured)
		n = nbd_chunk_header(hdr, NBD_REPLY_FLAG_DONE,
		    NBD_REPLY_TYPE_NONE, r->cookie, 0);
	else
		n = nbd_simple_reply(hdr, 0, r->cookie);
	nbd_send(srv, hdr, n, NULL, 0);
}

/* READ: the data follows its header. A structured reply is one
 * OFFSET_DATA chunk, its offset first. */
static int
nbd_do_read(struct nbd_worker *w, const struct nbd_request *r, char *why)
{
	struct nbd_srv	*srv = w->srv;
	uint8_t		 hdr[40], *buf;
	size_t		 n;
	int		 rc;

	if ((buf = malloc(r->length)) == NULL) {
		snprintf(why, NBD_WHY_MAX, "out of memory");
		return NBD_ENOMEM;
	}
	if ((rc = srv->be->read(w->h, buf, r->length, r->offset, why,
	    NBD_WHY_MAX)) != NBD_OK) {
		free(buf);
		return rc;
	}
	if (srv->s->structured) {
		n = nbd_chunk_header(hdr, NBD_REPLY_FLAG_DONE,
		    NBD_REPLY_TYPE_OFFSET_DATA, r->cookie, 8 + r->length);
		nbd_put64(hdr + n, r->offset);
		n += 8;
	} else
		n = nbd_simple_reply(hdr, 0, r->cookie);
	nbd_send(srv, hdr, n, buf, r->length);
	free(buf);
	return NBD_OK;
}

/* BLOCK_STATUS of base:allocation: runs covering at most the length
 * asked (one with REQ_ONE). */
static int
nbd_do_extents(struct nbd_worker *w, const struct nbd_request *r, char *why)
{
	struct nbd_srv		*srv = w->srv;
	struct nbd_extent	*ext;
	uint8_t			 hdr[32], *body;
	size_t			 max, n = 0, i;
	int			 rc = NBD_OK;

	max = r->flags & NBD_CMD_FLAG_REQ_ONE ? 1 : NBD_EXTENTS_MAX;
	if ((ext = calloc(max, sizeof(*ext))) == NULL ||
	    (body = malloc(4 + 8 * max)) == NULL) {
		free(ext);
		snprintf(why, NBD_WHY_MAX, "out of memory");
		return NBD_ENOMEM;
	}
	if (srv->be->extents == NULL) {
		ext[0].length = r->length;
		n = 1;
	} else
		rc = srv->be->extents(w->h, r->offset, r->length, ext, max,
		    &n, why, NBD_WHY_MAX);
	if (rc == NBD_OK && n == 0) {
		snprintf(why, NBD_WHY_MAX, "no allocation runs found");
		rc = NBD_EIO;
	}
	if (rc == NBD_OK) {
		nbd_put32(body, NBD_META_BASE_ID);
		for (i = 0; i < n; i++) {
			nbd_put32(body + 4 + 8 * i, ext[i].length);
			nbd_put32(body + 8 + 8 * i, ext[i].flags);
		}
		nbd_chunk_header(hdr, NBD_REPLY_FLAG_DONE,
		    NBD_REPLY_TYPE_BLOCK_STATUS, r->cookie,
		    (uint32_t)(4 + 8 * n));
		nbd_send(srv, hdr, 20, body, 4 + 8 * n);
	}
	free(ext);
	free(body);
	return rc;
}

/* Carries out one request and replies. */
static void
nbd_do(struct nbd_worker *w, struct nbd_job *j)
{
	struct nbd_srv		*srv = w->srv;
	const struct nbd_request *r = &j->r;
	const struct nbd_backend *be = srv->be;
	char			 why[NBD_WHY_MAX];
	int			 fua = (r->flags & NBD_CMD_FLAG_FUA) != 0, rc;

	why[0] = '\0';
	switch (r->type) {
	case NBD_CMD_READ:
		rc = nbd_do_read(w, r, why);
		break;
	case NBD_CMD_WRITE:
		rc = be->write(w->h, j->data, r->length, r->offset, fua, why,
		    sizeof(why));
		break;
	case NBD_CMD_FLUSH:
		rc = be->flush(w->h, why, sizeof(why));
		break;
	case NBD_CMD_TRIM:
	case NBD_CMD_WRITE_ZEROES:
		rc = be->zero(w->h, r->offset, r->length, fua, why,
		    sizeof(why));
		break;
	case NBD_CMD_BLOCK_STATUS:
		rc = nbd_do_extents(w, r, why);
		break;
	default:
		snprintf(why, sizeof(why), "command %u", r->type);
		rc = NBD_EINVAL;
		break;
	}
	if (rc != NBD_OK)
		nbd_reply_error(srv, r, rc, why[0] ? why : "failed");
	else if (r->type != NBD_CMD_READ && r->type != NBD_CMD_BLOCK_STATUS)
		nbd_reply_ok(srv, r);
	if (rc == NBD_ESHUTDOWN) {
		pthread_mutex_lock(&srv->lock);
		srv->shutdown = 1;
		pthread_mutex_unlock(&srv->lock);
		if (srv->io->shutdown != NULL)
			srv->io->shutdown(srv->io->arg);
	}
}

static void *
nbd_worker_main(void *arg)
{
	struct nbd_worker	*w = arg;
	struct nbd_srv		*srv = w->srv;
	struct nbd_job		*j;

	for (;;) {
		pthread_mutex_lock(&srv->lock);
		while (srv->head == NULL && !srv->stop)
			pthread_cond_wait(&srv->work, &srv->lock);
		if ((j = srv->head) == NULL) {
			pthread_mutex_unlock(&srv->lock);
			return NULL;
		}
		if ((srv->head = j->next) == NULL)
			srv->tail = NULL;
		pthread_mutex_unlock(&srv->lock);
		nbd_do(w, j);
		free(j->data);
		free(j);
		pthread_mutex_lock(&srv->lock);
		srv->inflight--;
		pthread_cond_broadcast(&srv->room);
		pthread_mutex_unlock(&srv->lock);
	}
}

/* Waits for room to read another request: 0, or -1 when the export
 * ended meanwhile. */
static int
nbd_wait_room(struct nbd_srv *srv, int all_done)
{
	int	ended;

	pthread_mutex_lock(&srv->lock);
	while (!srv->shutdown && (all_done ? srv->inflight > 0 :
	    srv->inflight >= NBD_INFLIGHT_MAX))
		pthread_cond_wait(&srv->room, &srv->lock);
	ended = srv->shutdown;
	pthread_mutex_unlock(&srv->lock);
	return ended ? -1 : 0;
}

static void
nbd_queue(struct nbd_srv *srv, struct nbd_job *j)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->tail != NULL)
		srv->tail->next = j;
	else
		srv->head = j;
	srv->tail = j;
	srv->inflight++;
	pthread_cond_signal(&srv->work);
	pthread_mutex_unlock(&srv->lock);
}

/*
 * Reads a WRITE's payload, also of one refused (the stream must stay
 * in step); a payload over the largest block is not read: the
 * connection ends. 0, or -1 with err.
 */
static int
nbd_read_payload(struct nbd_srv *srv, struct nbd_job *j, char *err,
    size_t errlen)
{
	if (j->r.type != NBD_CMD_WRITE)
		return 0;
	if (j->r.length > srv->export->max_block) {
		snprintf(err, errlen, "WRITE of %u bytes, over the largest "
		    "block (%u): its payload is not read", j->r.length,
		    srv->export->max_block);
		return -1;
	}
	if ((j->data = malloc(j->r.length ? j->r.length : 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (j->r.length > 0 &&
	    srv->io->read(srv->io->arg, j->data, j->r.length) == -1) {
		snprintf(err, errlen, "the connection ended inside the "
		    "payload of a WRITE of %u bytes", j->r.length);
		return -1;
	}
	return 0;
}

/* The reader: 0 DISC or the client left, 1 export ended, -1 err. */
static int
nbd_read_loop(struct nbd_srv *srv, char *err, size_t errlen)
{
	uint8_t		 hdr[NBD_REQUEST_SIZE];
	struct nbd_job	*j;
	char		 why[NBD_WHY_MAX];
	int		 rc;

	for (;;) {
		if (nbd_wait_room(srv, 0) == -1)
			return 1;
		if (srv->io->read(srv->io->arg, hdr, sizeof(hdr)) == -1)
			return srv->shutdown ? 1 : 0;
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (nbd_request_decode(hdr, &j->r) == -1) {
			free(j);
			snprintf(err, errlen, "a request without the magic "
			    "0x%08x", NBD_REQUEST_MAGIC);
			return -1;
		}
		rc = nbd_request_check(&j->r, srv->export, srv->s, why,
		    sizeof(why));
		if (nbd_read_payload(srv, j, err, errlen) == -1) {
			free(j->data);
			free(j);
			return -1;
		}
		if (rc != NBD_OK || j->r.type == NBD_CMD_DISC ||
		    srv->inline_worker != NULL) {
			if (rc != NBD_OK)
				nbd_reply_error(srv, &j->r, rc, why);
			else if (j->r.type != NBD_CMD_DISC)
				nbd_do(srv->inline_worker, j);
			rc = j->r.type == NBD_CMD_DISC && rc == NBD_OK;
			free(j->data);
			free(j);
			if (rc)
				return 0;
			continue;
		}
		nbd_queue(srv, j);
	}
}

static void
nbd_stop_workers(struct nbd_srv *srv, struct nbd_worker *w, int n)
{
	int	i;

	pthread_mutex_lock(&srv->lock);
	srv->stop = 1;
	pthread_cond_broadcast(&srv->work);
	pthread_mutex_unlock(&srv->lock);
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		srv->be->close(w[i].h);
	}
}

static int
nbd_start_workers(struct nbd_srv *srv, struct nbd_worker *w, int n,
    int *started, char *err, size_t errlen)
{
	for (*started = 0; *started < n; (*started)++) {
		w[*started].srv = srv;
		if ((w[*started].h = srv->be->open(srv->be->arg, err,
		    errlen)) == NULL)
			return -1;
		if (pthread_create(&w[*started].thread, NULL, nbd_worker_main,
		    &w[*started]) != 0) {
			srv->be->close(w[*started].h);
			snprintf(err, errlen, "cannot start a worker thread");
			return -1;
		}
	}
	return 0;
}

/* No workers: each request is carried out by the reader, in order, for
 * a connection that must not be read and written at once (TLS). */
static int
nbd_serve_inline(struct nbd_srv *srv, char *err, size_t errlen)
{
	struct nbd_worker	w;
	int			rc;

	memset(&w, 0, sizeof(w));
	w.srv = srv;
	if ((w.h = srv->be->open(srv->be->arg, err, errlen)) == NULL)
		rc = -1;
	else {
		srv->inline_worker = &w;
		rc = nbd_read_loop(srv, err, errlen);
		srv->be->close(w.h);
		if (rc == 0 && srv->shutdown)
			rc = 1;
	}
	pthread_cond_destroy(&srv->work);
	pthread_cond_destroy(&srv->room);
	pthread_mutex_destroy(&srv->lock);
	pthread_mutex_destroy(&srv->wlock);
	return rc;
}

int
nbd_serve(const struct nbd_io *io, const struct nbd_export *export,
    const struct nbd_session *s, const struct nbd_backend *be, int workers,
    char *err, size_t errlen)
{
	struct nbd_srv		 srv;
	struct nbd_worker	*w;
	int			 started, rc = -1;

	memset(&srv, 0, sizeof(srv));
	srv.io = io;
	srv.export = export;
	srv.s = s;
	srv.be = be;
	pthread_mutex_init(&srv.lock, NULL);
	pthread_mutex_init(&srv.wlock, NULL);
	pthread_cond_init(&srv.work, NULL);
	pthread_cond_init(&srv.room, NULL);
	err[0] = '\0';
	if (workers < 1)
		return nbd_serve_inline(&srv, err, errlen);
	if ((w = calloc((size_t)workers, sizeof(*w))) == NULL)
		snprintf(err, errlen, "out of memory");
	else if (nbd_start_workers(&srv, w, workers, &started, err,
	    errlen) == 0) {
		rc = nbd_read_loop(&srv, err, errlen);
		/* DISC: what was asked before it is answered first. */
		if (rc == 0)
			nbd_wait_room(&srv, 1);
	}
	if (w != NULL)
		nbd_stop_workers(&srv, w, started);
	free(w);
	if (rc == 0 && srv.shutdown)
		rc = 1;
	pthread_cond_destroy(&srv.work);
	pthread_cond_destroy(&srv.room);
	pthread_mutex_destroy(&srv.lock);
	pthread_mutex_destroy(&srv.wlock);
	return rc;
}
