/*
 * Highest-seen generations: a sorted array in memory (looked up on every
 * data request) mirrored in LMDB (key: volume name, value: u64
 * big-endian). Each raise is its own durable write transaction.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generations.h"
#include "proto.h"

#define GENERATIONS_MAPSIZE	(16UL * 1024 * 1024)

struct generation_entry {
	char		volume[DSP_NAME_MAX + 1];
	uint64_t	generation;
};

struct generations {
	pthread_mutex_t		 mem;		/* entries */
	pthread_mutex_t		 write;		/* one commit at a time */
	pthread_rwlock_t	 inflight;	/* read-held by data requests */
	struct generation_entry	*entries;	/* sorted by volume */
	size_t			 count;
	size_t			 cap;
	MDB_env			*env;
	MDB_dbi			 dbi;
	int			 lockfd;
};

static void
generations_be64(uint64_t v, uint8_t out[8])
{
	int	i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
generations_get64(const uint8_t in[8])
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

/* Index of volume, or where it would go (with *found = 0). */
static size_t
generations_find(const struct generations *g, const char *volume, int *found)
{
	size_t	lo = 0, hi = g->count, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(volume, g->entries[mid].volume);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Sets the in-memory value; the caller holds g->mem. */
static int
generations_set(struct generations *g, const char *volume, uint64_t gen)
{
	struct generation_entry	*e;
	size_t			 i, ncap;
	int			 found;

	i = generations_find(g, volume, &found);
	if (found) {
		g->entries[i].generation = gen;
		return 0;
	}
	if (g->count == g->cap) {
		ncap = g->cap ? g->cap * 2 : 32;
		if ((e = reallocarray(g->entries, ncap, sizeof(*e))) == NULL)
			return -1;
		g->entries = e;
		g->cap = ncap;
	}
	memmove(&g->entries[i + 1], &g->entries[i],
	    (g->count - i) * sizeof(*g->entries));
	snprintf(g->entries[i].volume, sizeof(g->entries[i].volume), "%s",
	    volume);
	g->entries[i].generation = gen;
	g->count++;
	return 0;
}

static int
generations_lock(struct generations *g, const char *dir, char *err,
    size_t errlen)
{
	char	path[4096];

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/agent.lock", dir);
	if ((g->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(g->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "state_dir %s is in use by another "
			    "daspool-agent", dir);
		else
			snprintf(err, errlen, "%s: flock: %s", path,
			    strerror(errno));
		return -1;
	}
	return 0;
}

static int
generations_load(struct generations *g, const char *dir, char *err,
    size_t errlen)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	char		 name[DSP_NAME_MAX + 1];
	int		 rc;

	if ((rc = mdb_txn_begin(g->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &g->dbi)) != 0 ||
	    (rc = mdb_cursor_open(txn, g->dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		if (k.mv_size == 0 || k.mv_size > DSP_NAME_MAX ||
		    v.mv_size != 8) {
			snprintf(err, errlen, "%s: malformed generation record",
			    dir);
			mdb_cursor_close(cur);
			mdb_txn_abort(txn);
			return -1;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if (generations_set(g, name, generations_get64(v.mv_data))) {
			rc = ENOMEM;
			break;
		}
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		goto fail;
	}
	/* Commit keeps the dbi handle open for later transactions. */
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
	return -1;
}

/* Writers first: a steady stream of data requests must not starve a
 * revocation. */
static void
generations_inflight_init(struct generations *g)
{
	pthread_rwlockattr_t	attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&g->inflight, &attr);
	pthread_rwlockattr_destroy(&attr);
}

struct generations *
generations_open(const char *dir, char *err, size_t errlen)
{
	struct generations	*g;
	int			 rc;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->lockfd = -1;
	pthread_mutex_init(&g->mem, NULL);
	pthread_mutex_init(&g->write, NULL);
	generations_inflight_init(g);
	if (generations_lock(g, dir, err, errlen) == -1)
		goto fail;
	if ((rc = mdb_env_create(&g->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(g->env, GENERATIONS_MAPSIZE)) != 0 ||
	    (rc = mdb_env_open(g->env, dir, MDB_NOTLS, 0600)) != 0) {
		snprintf(err, errlen, "state_dir %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	if (generations_load(g, dir, err, errlen) == -1)
		goto fail;
	return g;
fail:
	generations_close(g);
	return NULL;
}

void
generations_close(struct generations *g)
{
	if (g == NULL)
		return;
	if (g->env != NULL)
		mdb_env_close(g->env);
	if (g->lockfd != -1)
		close(g->lockfd);
	pthread_mutex_destroy(&g->mem);
	pthread_mutex_destroy(&g->write);
	pthread_rwlock_destroy(&g->inflight);
	free(g->entries);
	free(g);
}

uint64_t
generations_get(struct generations *g, const char *volume)
{
	uint64_t	gen = 0;
	size_t		i;
	int		found;

	pthread_mutex_lock(&g->mem);
	i = generations_find(g, volume, &found);
	if (found)
		gen = g->entries[i].generation;
	pthread_mutex_unlock(&g->mem);
	return gen;
}

size_t
generations_count(struct generations *g)
{
	size_t	n;

	pthread_mutex_lock(&g->mem);
	n = g->count;
	pthread_mutex_unlock(&g->mem);
	return n;
}

static int
generations_commit(struct generations *g, const char *volume, uint64_t gen,
    char *err, size_t errlen)
{
	MDB_txn		*txn;
	MDB_val		 k, v;
	uint8_t		 be[8];
	int		 rc;

	generations_be64(gen, be);
	k.mv_data = (void *)volume;
	k.mv_size = strlen(volume);
	v.mv_data = be;
	v.mv_size = sizeof(be);
	if ((rc = mdb_txn_begin(g->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_put(txn, g->dbi, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "could not record generation %llu of volume %s: "
	    "%s", (unsigned long long)gen, volume, mdb_strerror(rc));
	return -1;
}

int
generations_raise(struct generations *g, const char *volume, uint64_t gen,
    char *err, size_t errlen)
{
	size_t	i;
	int	found, rc;

	if (volume[0] == '\0' || strlen(volume) > DSP_NAME_MAX) {
		snprintf(err, errlen, "bad volume name");
		return -1;
	}
	/* The write lock orders commits, so the stored value only rises. */
	pthread_mutex_lock(&g->write);
	pthread_mutex_lock(&g->mem);
	i = generations_find(g, volume, &found);
	if ((found ? g->entries[i].generation : 0) >= gen) {
		pthread_mutex_unlock(&g->mem);
		pthread_mutex_unlock(&g->write);
		return 0;
	}
	rc = generations_set(g, volume, gen);
	pthread_mutex_unlock(&g->mem);
	if (rc == -1)
		snprintf(err, errlen, "out of memory");
	else
		rc = generations_commit(g, volume, gen, err, errlen);
	pthread_mutex_unlock(&g->write);
	/* Requests checked from now on see gen; wait out the older ones. */
	pthread_rwlock_wrlock(&g->inflight);
	pthread_rwlock_unlock(&g->inflight);
	return rc;
}

void
generations_use_begin(struct generations *g)
{
	pthread_rwlock_rdlock(&g->inflight);
}

void
generations_use_end(struct generations *g)
{
	pthread_rwlock_unlock(&g->inflight);
}
