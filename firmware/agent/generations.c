/*
 * Highest-seen generations: a sorted array in memory (looked up on every
 * data request) mirrored in LMDB (key: volume name, value: u64
 * big-endian; the key "#synced" records the first full registration).
 * Each raise is one durable write transaction.
 *
 * Every entry counts the requests running under it: "current" ones were
 * admitted under the entry's generation, "older" ones under a lower
 * one. Raising the generation moves the current ones to older; a raise
 * waits until older is zero. Admission only takes the current
 * generation, so older only ever drains.
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
#include <time.h>
#include <unistd.h>

#include "generations.h"
#include "proto.h"
#include "volume_index.h"

#define GENERATIONS_MAPSIZE	(16UL * 1024 * 1024)

#define GENERATIONS_SYNCED	"#synced"	/* no volume name has a '#' */

struct generation_entry {
	char		volume[DSP_NAME_MAX + 1];
	uint64_t	generation;
	unsigned int	current;	/* requests running under generation */
	unsigned int	older;		/* requests running under a lower one */
};

struct generations {
	pthread_mutex_t		 mem;		/* entries, synced */
	pthread_cond_t		 drained;	/* some entry's older hit 0 */
	pthread_mutex_t		 write;		/* one commit at a time */
	struct generation_entry	*entries;	/* sorted by volume */
	size_t			 count;
	size_t			 cap;
	int			 synced;
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
	return volume_index_find(g->entries, g->count, sizeof(*g->entries),
	    volume, found);
}

/*
 * Raises the in-memory value (never lowers it); the requests running
 * under the old value become older ones. The caller holds g->mem.
 */
static int
generations_set(struct generations *g, const char *volume, uint64_t gen)
{
	struct generation_entry	*e;
	size_t			 i, ncap;
	int			 found;

	i = generations_find(g, volume, &found);
	if (found) {
		e = &g->entries[i];
		if (gen > e->generation) {
			e->generation = gen;
			e->older += e->current;
			e->current = 0;
		}
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
	e = &g->entries[i];
	memset(e, 0, sizeof(*e));
	snprintf(e->volume, sizeof(e->volume), "%s", volume);
	e->generation = gen;
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
		if (k.mv_size == strlen(GENERATIONS_SYNCED) &&
		    memcmp(k.mv_data, GENERATIONS_SYNCED, k.mv_size) == 0) {
			g->synced = 1;
			continue;
		}
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
	pthread_cond_init(&g->drained, NULL);
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
	pthread_cond_destroy(&g->drained);
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

/* Puts key -> 8 big-endian bytes in txn. */
static int
generations_put(struct generations *g, MDB_txn *txn, const char *key,
    uint64_t value)
{
	MDB_val		k, v;
	uint8_t		be[8];

	generations_be64(value, be);
	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	v.mv_data = be;
	v.mv_size = sizeof(be);
	return mdb_put(txn, g->dbi, &k, &v, 0);
}

/* Stores the raised items (raised[i] set) in one durable commit. */
static int
generations_commit(struct generations *g, const struct msg_generation *items,
    const uint8_t *raised, size_t count, char *err, size_t errlen)
{
	MDB_txn		*txn;
	size_t		 i;
	int		 rc;

	if ((rc = mdb_txn_begin(g->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (i = 0; i < count; i++)
		if (raised[i] && (rc = generations_put(g, txn, items[i].volume,
		    items[i].generation)) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "could not record the generations of %zu "
	    "volumes: %s", count, mdb_strerror(rc));
	return -1;
}

/* Raises the in-memory values; raised[i] says which rose. */
static int
generations_set_all(struct generations *g, const struct msg_generation *items,
    uint8_t *raised, size_t count, size_t *nraised)
{
	size_t	i, at;
	int	found;

	*nraised = 0;
	pthread_mutex_lock(&g->mem);
	for (i = 0; i < count; i++) {
		at = generations_find(g, items[i].volume, &found);
		raised[i] = (found ? g->entries[at].generation : 0) <
		    items[i].generation;
		if (!raised[i])
			continue;
		if (generations_set(g, items[i].volume,
		    items[i].generation) == -1) {
			pthread_mutex_unlock(&g->mem);
			return -1;
		}
		(*nraised)++;
	}
	pthread_mutex_unlock(&g->mem);
	return 0;
}

/* Until no request admitted under a lower generation is running. */
static void
generations_drain(struct generations *g, const struct msg_generation *items,
    size_t count)
{
	size_t	i, at;
	int	found;

	pthread_mutex_lock(&g->mem);
	for (i = 0; i < count; i++)
		for (;;) {
			at = generations_find(g, items[i].volume, &found);
			if (!found || g->entries[at].older == 0)
				break;
			pthread_cond_wait(&g->drained, &g->mem);
		}
	pthread_mutex_unlock(&g->mem);
}

int
generations_raise(struct generations *g, const struct msg_generation *items,
    size_t count, char *err, size_t errlen)
{
	uint8_t	*raised;
	size_t	 i, nraised;
	int	 rc = 0;

	for (i = 0; i < count; i++)
		if (!msg_name_valid(items[i].volume)) {
			snprintf(err, errlen, "bad volume name");
			return -1;
		}
	if ((raised = calloc(count ? count : 1, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The write lock orders commits, so the stored values only rise. */
	pthread_mutex_lock(&g->write);
	if (generations_set_all(g, items, raised, count, &nraised) == -1) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	} else if (nraised > 0)
		rc = generations_commit(g, items, raised, count, err, errlen);
	pthread_mutex_unlock(&g->write);
	free(raised);
	/* Admission now needs the new values; wait out the older ones. */
	generations_drain(g, items, count);
	return rc;
}

int
generations_raise_one(struct generations *g, const char *volume, uint64_t gen,
    char *err, size_t errlen)
{
	struct msg_generation	item;

	if (strlen(volume) > DSP_NAME_MAX) {
		snprintf(err, errlen, "bad volume name");
		return -1;
	}
	memset(&item, 0, sizeof(item));
	snprintf(item.volume, sizeof(item.volume), "%s", volume);
	item.generation = gen;
	return generations_raise(g, &item, 1, err, errlen);
}

int
generations_begin(struct generations *g, const char *volume, uint64_t gen,
    uint64_t *highest)
{
	struct generation_entry	*e;
	size_t			 i;
	int			 found, rc = DSP_OK;

	pthread_mutex_lock(&g->mem);
	i = generations_find(g, volume, &found);
	/* Newer than anything stored: the ticket's own attach raised it
	 * durably, or failed to; either way it is now the current one. */
	if ((!found || g->entries[i].generation < gen) &&
	    generations_set(g, volume, gen) == -1)
		rc = DSP_E_INTERNAL;
	else {
		e = &g->entries[generations_find(g, volume, &found)];
		*highest = e->generation;
		if (gen < e->generation)
			rc = DSP_E_STALE;
		else
			e->current++;
	}
	pthread_mutex_unlock(&g->mem);
	return rc;
}

void
generations_end(struct generations *g, const char *volume, uint64_t gen)
{
	struct generation_entry	*e;
	size_t			 i;
	int			 found;

	pthread_mutex_lock(&g->mem);
	i = generations_find(g, volume, &found);
	if (found) {
		e = &g->entries[i];
		if (gen >= e->generation && e->current > 0)
			e->current--;
		else if (e->older > 0 && --e->older == 0)
			pthread_cond_broadcast(&g->drained);
	}
	pthread_mutex_unlock(&g->mem);
}

int
generations_current(struct generations *g, const char *volume, uint64_t gen)
{
	return generations_get(g, volume) <= gen;
}

int
generations_synced(struct generations *g)
{
	int	synced;

	pthread_mutex_lock(&g->mem);
	synced = g->synced;
	pthread_mutex_unlock(&g->mem);
	return synced;
}

int
generations_set_synced(struct generations *g, char *err, size_t errlen)
{
	MDB_txn	*txn;
	int	 rc;

	if (generations_synced(g))
		return 0;
	pthread_mutex_lock(&g->write);
	if ((rc = mdb_txn_begin(g->env, NULL, 0, &txn)) == 0) {
		if ((rc = generations_put(g, txn, GENERATIONS_SYNCED,
		    (uint64_t)time(NULL))) != 0)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
	}
	pthread_mutex_unlock(&g->write);
	if (rc != 0) {
		snprintf(err, errlen, "could not record the first registration: "
		    "%s", mdb_strerror(rc));
		return -1;
	}
	pthread_mutex_lock(&g->mem);
	g->synced = 1;
	pthread_mutex_unlock(&g->mem);
	return 0;
}
