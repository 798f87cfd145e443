/*
 * The store's LMDB environment and the transaction every operation runs
 * in. The environment is shared by all manager threads; MDB_NOTLS ties
 * a read transaction's reader slot to the transaction, not to the
 * thread, so short-lived connection threads do not pin slots.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_internal.h"

static int	store_mkdir(const char *, char *, size_t);
static int	store_open_dbs(struct store *, const char *, char *, size_t);
static int	store_schema(struct store *, MDB_txn *, const char *, char *,
		    size_t);

void
store_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
store_fail(struct store_txn *t, int status, const char *fmt, ...)
{
	va_list	ap;

	if (t->err != NULL && t->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(t->err, t->errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

int
store_mdb_fail(struct store_txn *t, const char *what, int rc)
{
	log_warnx("store: %s: %s", what, mdb_strerror(rc));
	if (rc == MDB_MAP_FULL)
		return store_fail(t, DSP_E_NOSPACE,
		    "the store is full while %s (raise its map size)", what);
	return store_fail(t, DSP_E_INTERNAL, "store error while %s: %s",
	    what, mdb_strerror(rc));
}

int
store_open(struct store **sp, const char *dir, int readonly, size_t map_size,
    char *err, size_t errlen)
{
	*sp = NULL;
	if (!readonly && store_mkdir(dir, err, errlen) == -1)
		return -1;
	return store_open_env(sp, dir, readonly ? MDB_RDONLY : 0, map_size,
	    err, errlen);
}

int
store_open_env(struct store **sp, const char *path, unsigned int flags,
    size_t map_size, char *err, size_t errlen)
{
	struct store	*s;
	int		 rc, dead;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		store_set_err(err, errlen, "out of memory");
		return -1;
	}
	s->readonly = (flags & MDB_RDONLY) != 0;
	if (store_batcher_init(s) == -1) {
		store_set_err(err, errlen, "out of memory");
		free(s);
		return -1;
	}
	if ((rc = mdb_env_create(&s->env)) != 0) {
		store_set_err(err, errlen, "store %s: %s", path,
		    mdb_strerror(rc));
		store_batcher_free(s);
		free(s);
		return -1;
	}
	mdb_env_set_maxdbs(s->env, 16);
	mdb_env_set_maxreaders(s->env, STORE_MAX_READERS);
	/* Read-only, the map size comes from the file. */
	if (!s->readonly)
		mdb_env_set_mapsize(s->env,
		    map_size ? map_size : STORE_MAP_SIZE);
	if ((rc = mdb_env_open(s->env, path, flags | MDB_NOTLS, 0600)) != 0) {
		store_set_err(err, errlen, "cannot open store %s: %s", path,
		    mdb_strerror(rc));
		goto fail;
	}
	/* Free reader slots left behind by crashed processes. */
	if (mdb_reader_check(s->env, &dead) == 0 && dead > 0)
		log_info("store %s: cleared %d stale readers", path, dead);
	if (store_open_dbs(s, path, err, errlen) == -1)
		goto fail;
	*sp = s;
	return 0;
fail:
	mdb_env_close(s->env);
	store_batcher_free(s);
	free(s);
	return -1;
}

void
store_set_owed_hook(struct store *s, void (*hook)(void *), void *arg)
{
	s->owed_hook = hook;
	s->owed_arg = arg;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	mdb_env_close(s->env);
	store_batcher_free(s);
	free(s);
}

static int
store_mkdir(const char *dir, char *err, size_t errlen)
{
	struct stat	st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		store_set_err(err, errlen, "cannot create store directory "
		    "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		store_set_err(err, errlen, "store %s is not a directory", dir);
		return -1;
	}
	if (st.st_mode & 077)
		log_warnx("store directory %s is accessible to others "
		    "(mode %03o)", dir, (unsigned int)(st.st_mode & 0777));
	return 0;
}

/*
 * DBI handles are opened once, in a transaction that is then committed,
 * so every later transaction of every thread may use them.
 */
static int
store_open_dbs(struct store *s, const char *dir, char *err, size_t errlen)
{
	static const char *names[] = {
	    "meta", "servers", "regions", "volumes", "audit", "bitmaps",
	    "owed", "candidates", "extents", "server_volumes", "borrowed",
	    "free_sizes", "ids"
	};
	MDB_dbi		*dbis[] = {
	    &s->meta, &s->servers, &s->regions, &s->volumes, &s->audit,
	    &s->bitmaps, &s->owed, &s->candidates, &s->extents,
	    &s->server_volumes, &s->borrowed, &s->free_sizes, &s->ids
	};
	MDB_txn		*txn;
	unsigned int	 flags = s->readonly ? 0 : MDB_CREATE;
	size_t		 i;
	int		 rc;

	rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0, &txn);
	if (rc != 0) {
		store_set_err(err, errlen, "store %s: %s", dir,
		    mdb_strerror(rc));
		return -1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = mdb_dbi_open(txn, names[i], flags, dbis[i]);
		/* Tables of the lenders' records: a store (or a copy)
		 * written before them reads without them; its first
		 * writer creates them. */
		if (rc == MDB_NOTFOUND && s->readonly &&
		    i >= STORE_FIRST_LATER_TABLE) {
			s->missing |= 1U << i;
			continue;
		}
		if (rc != 0) {
			store_set_err(err, errlen, "store %s: table %s: %s",
			    dir, names[i], rc == MDB_NOTFOUND ?
			    "missing (not a daspool store?)" :
			    mdb_strerror(rc));
			mdb_txn_abort(txn);
			return -1;
		}
	}
	if (store_schema(s, txn, dir, err, errlen) == -1) {
		mdb_txn_abort(txn);
		return -1;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		store_set_err(err, errlen, "store %s: %s", dir,
		    mdb_strerror(rc));
		return -1;
	}
	return 0;
}

int
store_schema_get(struct store *s, MDB_txn *txn, uint32_t *version)
{
	MDB_val		key = { 6, (void *)"schema" }, val;
	const uint8_t	*be;
	int		 rc;

	if ((rc = mdb_get(txn, s->meta, &key, &val)) != 0)
		return rc;
	if (val.mv_size != 4)
		return MDB_CORRUPTED;
	be = val.mv_data;
	*version = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 |
	    (uint32_t)be[2] << 8 | be[3];
	return 0;
}

static int
store_schema_put(struct store *s, MDB_txn *txn, uint32_t version)
{
	MDB_val		key = { 6, (void *)"schema" }, val;
	uint8_t		be[4];

	be[0] = (uint8_t)(version >> 24);
	be[1] = (uint8_t)(version >> 16);
	be[2] = (uint8_t)(version >> 8);
	be[3] = (uint8_t)version;
	val.mv_size = sizeof(be);
	val.mv_data = be;
	return mdb_put(txn, s->meta, &key, &val, 0);
}

static int
store_schema(struct store *s, MDB_txn *txn, const char *dir, char *err,
    size_t errlen)
{
	uint32_t	version;
	int		rc;

	rc = store_schema_get(s, txn, &version);
	if (rc == MDB_NOTFOUND && !s->readonly)
		rc = store_schema_put(s, txn, STORE_SCHEMA_VERSION);
	else if (rc == 0 && (version > STORE_SCHEMA_VERSION ||
	    version == 0)) {
		store_set_err(err, errlen, "store %s has schema version %u, "
		    "this program knows %d and older: it was written by a "
		    "newer daspool-mgr; run that one (or a newer)", dir,
		    version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (rc != 0) {
		store_set_err(err, errlen, "store %s: schema version: %s", dir,
		    rc == MDB_NOTFOUND ? "missing" : mdb_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * A store of an older schema is brought up to this one in one
 * transaction: schema 2 added the lending indexes, 3 the stable
 * numbers, each built from the rows.
 */
int
store_upgrade(struct store *s, uint32_t *from, char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, 0, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = store_schema_get(s, t.txn, from)) != 0)
		return store_end(&t, store_mdb_fail(&t, "reading the schema "
		    "version", rc));
	if (*from >= STORE_SCHEMA_VERSION)
		return store_end(&t, DSP_OK);
	if (*from < 2 && (rc = store_indexes_build(&t)) != DSP_OK)
		return store_end(&t, rc);
	if (*from < 3 && (rc = store_ids_build(&t)) != DSP_OK)
		return store_end(&t, rc);
	if ((rc = store_schema_put(s, t.txn, STORE_SCHEMA_VERSION)) != 0)
		return store_end(&t, store_mdb_fail(&t, "writing the schema "
		    "version", rc));
	return store_end(&t, DSP_OK);
}

/* meta "changes": u64 commits, u64 unix seconds of the last. */
#define STORE_CHANGES_KEY	"changes"

int
store_changes(struct store_txn *t, uint64_t *count, uint64_t *at)
{
	MDB_val		key = { sizeof(STORE_CHANGES_KEY) - 1,
			    (void *)STORE_CHANGES_KEY }, val;
	struct buf_reader r;
	int		rc;

	*count = *at = 0;
	if ((rc = mdb_get(t->txn, t->s->meta, &key, &val)) == MDB_NOTFOUND)
		return DSP_OK;
	if (rc != 0)
		return store_mdb_fail(t, "reading the change counter", rc);
	buf_reader_init(&r, val.mv_data, val.mv_size);
	*count = buf_get_u64(&r);
	*at = buf_get_u64(&r);
	if (r.error)
		return store_fail(t, DSP_E_INTERNAL, "the store's change "
		    "counter is corrupt");
	return DSP_OK;
}

/* On every commit's path: a fixed 16-byte value, no allocation. */
int
store_changes_bump(struct store *s, MDB_txn *txn)
{
	MDB_val		key = { sizeof(STORE_CHANGES_KEY) - 1,
			    (void *)STORE_CHANGES_KEY }, val;
	uint8_t		be[16];
	uint64_t	count = 0, now = (uint64_t)time(NULL);
	int		rc, i;

	if ((rc = mdb_get(txn, s->meta, &key, &val)) == 0) {
		if (val.mv_size != sizeof(be))
			return MDB_CORRUPTED;
		for (i = 0; i < 8; i++)
			count = count << 8 | ((const uint8_t *)val.mv_data)[i];
	} else if (rc != MDB_NOTFOUND)
		return rc;
	count++;
	for (i = 0; i < 8; i++) {
		be[i] = (uint8_t)(count >> (56 - 8 * i));
		be[8 + i] = (uint8_t)(now >> (56 - 8 * i));
	}
	val.mv_size = sizeof(be);
	val.mv_data = be;
	return mdb_put(txn, s->meta, &key, &val, 0);
}

int
store_count_change(struct store_txn *t)
{
	int	rc;

	if ((rc = store_changes_bump(t->s, t->txn)) != 0)
		return store_mdb_fail(t, "counting the change", rc);
	return DSP_OK;
}

#define STORE_MANAGER_KEY	"manager"

int
store_manager_started(struct store *s, const char *release, uint64_t now,
    char *err, size_t errlen)
{
	MDB_val			key = { sizeof(STORE_MANAGER_KEY) - 1,
				    (void *)STORE_MANAGER_KEY }, val;
	struct store_txn	t;
	struct buf_writer	w;
	int			rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	buf_writer_init(&w);
	buf_put_string(&w, release);
	buf_put_u64(&w, now);
	val.mv_size = w.len;
	val.mv_data = w.data;
	if (w.error)
		rc = store_fail(&t, DSP_E_INTERNAL, "out of memory");
	else if ((rc = mdb_put(t.txn, s->meta, &key, &val, 0)) != 0)
		rc = store_mdb_fail(&t, "recording the manager's start", rc);
	else
		t.dirty = 1;
	buf_writer_free(&w);
	return store_end(&t, rc);
}

int
store_manager_info(struct store_txn *t, char *release, size_t len,
    uint64_t *started)
{
	MDB_val			key = { sizeof(STORE_MANAGER_KEY) - 1,
				    (void *)STORE_MANAGER_KEY }, val;
	struct buf_reader	r;
	int			rc;

	release[0] = '\0';
	*started = 0;
	if ((rc = mdb_get(t->txn, t->s->meta, &key, &val)) == MDB_NOTFOUND)
		return DSP_OK;
	if (rc != 0)
		return store_mdb_fail(t, "reading the manager's start", rc);
	buf_reader_init(&r, val.mv_data, val.mv_size);
	buf_get_string(&r, release, len - 1);
	*started = buf_get_u64(&r);
	if (r.error)
		return store_fail(t, DSP_E_INTERNAL, "the store's record of "
		    "the manager is corrupt");
	return DSP_OK;
}

int
store_begin(struct store *s, struct store_txn *t, int write, uint64_t now,
    char *err, size_t errlen)
{
	int	rc;

	memset(t, 0, sizeof(*t));
	t->s = s;
	t->now = now;
	t->err = err;
	t->errlen = errlen;
	if (write && s->readonly)
		return store_fail(t, DSP_E_READONLY,
		    "the store is open read-only");
	rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		/* The writer grew the map: adopt its size and retry. */
		if ((rc = mdb_env_set_mapsize(s->env, 0)) == 0)
			rc = mdb_txn_begin(s->env, NULL,
			    write ? 0 : MDB_RDONLY, &t->txn);
	}
	if (rc != 0) {
		t->txn = NULL;
		return store_mdb_fail(t, "starting a transaction", rc);
	}
	return DSP_OK;
}

int
store_end(struct store_txn *t, int status)
{
	int	rc;

	if (status == DSP_OK && t->err != NULL && t->errlen > 0)
		t->err[0] = '\0';	/* no stale sentence from a lookup */
	if (t->txn == NULL)
		return status;
	if (status == DSP_OK && t->dirty &&
	    (status = store_count_change(t)) != DSP_OK) {
		mdb_txn_abort(t->txn);
		t->txn = NULL;
		return status;
	}
	if (status == DSP_OK && t->dirty) {
		rc = mdb_txn_commit(t->txn);
		t->txn = NULL;
		if (rc != 0)
			return store_mdb_fail(t, "committing", rc);
		if (t->owed && t->s->owed_hook != NULL)
			t->s->owed_hook(t->s->owed_arg);
	} else {
		mdb_txn_abort(t->txn);
		t->txn = NULL;
	}
	return status;
}
