/*
 * The CRL a TLS config keeps current. One mutex guards the list and the
 * file's identity: a lookup is a short walk, and a reload (a parse and
 * one ECDSA verification) holds it for about a millisecond, rarely.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl.h"
#include "log.h"
#include "timeutil.h"

#define CRL_POLL_MS	1000

/* Tells a changed file: a new inode (written and renamed into place),
 * or a new size or mtime (written over). */
struct crl_file_id {
	int		exists;
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
};

struct crl_watch {
	pthread_mutex_t		 lock;
	char			*path;
	const char		*who;
	mbedtls_x509_crt	*ca;
	mbedtls_x509_crl	*crl;		/* the list in use */
	struct crl_file_id	 seen;		/* the file last looked at */
	int64_t			 polled_ms;	/* monotonic */
};

static void	crl_file_id(const struct stat *, struct crl_file_id *);
static int	crl_file_same(const struct crl_file_id *,
		    const struct crl_file_id *);
static mbedtls_x509_crl *crl_watch_load(struct crl_watch *,
		    struct crl_file_id *, char *, size_t);
static void	crl_watch_describe(const struct crl_watch *, char *, size_t);
static int	crl_watch_refresh(struct crl_watch *, int);

static void
crl_file_id(const struct stat *st, struct crl_file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->exists = 1;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

static int
crl_file_same(const struct crl_file_id *a, const struct crl_file_id *b)
{
	return a->exists == b->exists && a->dev == b->dev &&
	    a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static mbedtls_x509_crl *
crl_watch_load(struct crl_watch *w, struct crl_file_id *id, char *err,
    size_t errlen)
{
	mbedtls_x509_crl	*crl;
	struct stat		 st;

	if ((crl = malloc(sizeof(*crl))) == NULL) {
		snprintf(err, errlen, "CRL %s: out of memory", w->path);
		return NULL;
	}
	mbedtls_x509_crl_init(crl);
	if (crl_load(crl, w->path, w->ca, &st, err, errlen) == -1) {
		mbedtls_x509_crl_free(crl);
		free(crl);
		return NULL;
	}
	crl_file_id(&st, id);
	/* A stale list still names what it revoked: use it, but say so.
	 * Refusing every peer instead would stop the whole pool. */
	if (mbedtls_x509_time_is_past(&crl->next_update))
		log_warnx("CRL %s is past its next update (%04d-%02d-%02d); "
		    "still used until daspool-pki revoke writes a new one",
		    w->path, crl->next_update.year, crl->next_update.mon,
		    crl->next_update.day);
	return crl;
}

/* "3 certificates revoked, CRL number 4" for log lines. */
static void
crl_watch_describe(const struct crl_watch *w, char *out, size_t outlen)
{
	uint64_t	number;
	size_t		n = crl_count(w->crl);

	if (crl_number(w->crl, &number) == 0)
		snprintf(out, outlen, "%zu certificate%s revoked, CRL number "
		    "%llu", n, n == 1 ? "" : "s", (unsigned long long)number);
	else
		snprintf(out, outlen, "%zu certificate%s revoked", n,
		    n == 1 ? "" : "s");
}

/* With the lock held. 0: unchanged or read again; -1: the list in use
 * stays. A bad file is not read again until it changes. */
static int
crl_watch_refresh(struct crl_watch *w, int force)
{
	struct crl_file_id	 now, loaded;
	struct stat		 st;
	mbedtls_x509_crl	*crl;
	char			 err[512], what[96];

	memset(&now, 0, sizeof(now));
	if (stat(w->path, &st) == 0)
		crl_file_id(&st, &now);
	else
		snprintf(err, sizeof(err), "CRL %s: %s", w->path,
		    strerror(errno));
	if (!force && crl_file_same(&now, &w->seen))
		return 0;
	w->seen = now;
	crl_watch_describe(w, what, sizeof(what));
	if (!now.exists ||
	    (crl = crl_watch_load(w, &loaded, err, sizeof(err))) == NULL) {
		log_warnx("%s: %s; keeping the list loaded before (%s)",
		    w->who, err, what);
		return -1;
	}
	w->seen = loaded;
	mbedtls_x509_crl_free(w->crl);
	free(w->crl);
	w->crl = crl;
	crl_watch_describe(w, what, sizeof(what));
	log_info("%s: CRL %s reloaded: %s", w->who, w->path, what);
	return 0;
}

struct crl_watch *
crl_watch_new(const char *path, mbedtls_x509_crt *ca, const char *who,
    char *err, size_t errlen)
{
	struct crl_watch	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(path)) == NULL) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->who = who;
	w->ca = ca;
	if ((w->crl = crl_watch_load(w, &w->seen, err, errlen)) == NULL) {
		free(w->path);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->polled_ms = timeutil_now_ms();
	return w;
}

void
crl_watch_free(struct crl_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->lock);
	mbedtls_x509_crl_free(w->crl);
	free(w->crl);
	free(w->path);
	free(w);
}

const char *
crl_watch_path(const struct crl_watch *w)
{
	return w->path;
}

void
crl_watch_poll(struct crl_watch *w)
{
	int64_t	now = timeutil_now_ms();

	pthread_mutex_lock(&w->lock);
	if (now - w->polled_ms >= CRL_POLL_MS) {
		w->polled_ms = now;
		(void)crl_watch_refresh(w, 0);
	}
	pthread_mutex_unlock(&w->lock);
}

int
crl_watch_reload(struct crl_watch *w)
{
	int	rc;

	pthread_mutex_lock(&w->lock);
	w->polled_ms = timeutil_now_ms();
	rc = crl_watch_refresh(w, 1);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int
crl_watch_revoked(struct crl_watch *w, const mbedtls_x509_buf *serial)
{
	int	revoked;

	pthread_mutex_lock(&w->lock);
	revoked = crl_find(w->crl, serial) != NULL;
	pthread_mutex_unlock(&w->lock);
	return revoked;
}
