/*
 * The backup catalog (catalog.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "buf.h"
#include "catalog.h"

#define CATALOG_RECORD_VERSION	1
#define CATALOG_KEY_MAX		(TAPE_LABEL_MAX + DSP_NAME_MAX + 10)

struct catalog {
	MDB_env	*env;
	MDB_dbi	 meta, copies, by_volume, by_tape;
};

static int __attribute__((format(printf, 3, 4)))
catalog_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void
catalog_encode(struct buf_writer *w, const struct catalog_copy *c)
{
	uint8_t	i;

	buf_put_u8(w, CATALOG_RECORD_VERSION);
	buf_put_string(w, c->volume);
	buf_put_u64(w, c->time);
	buf_put_u8(w, c->kind);
	buf_put_u8(w, c->state);
	buf_put_u64(w, c->size);
	buf_put_u64(w, c->stored);
	buf_put_blob(w, c->tree, MANIFEST_SHA_LEN);
	buf_put_u64(w, c->verified_at);
	buf_put_u8(w, c->nparts);
	for (i = 0; i < c->nparts; i++) {
		buf_put_string(w, c->parts[i].label);
		buf_put_u32(w, c->parts[i].file);
		buf_put_u64(w, c->parts[i].bytes);
	}
}

static int
catalog_decode(const MDB_val *v, struct catalog_copy *c)
{
	struct buf_reader	r;
	const uint8_t		*tree;
	size_t			 tlen;
	uint8_t			 i;

	buf_reader_init(&r, v->mv_data, v->mv_size);
	if (buf_get_u8(&r) != CATALOG_RECORD_VERSION)
		return -1;
	buf_get_string(&r, c->volume, DSP_NAME_MAX);
	c->time = buf_get_u64(&r);
	c->kind = buf_get_u8(&r);
	c->state = buf_get_u8(&r);
	c->size = buf_get_u64(&r);
	c->stored = buf_get_u64(&r);
	buf_get_blob(&r, &tree, &tlen, MANIFEST_SHA_LEN);
	if (r.error || tlen != MANIFEST_SHA_LEN)
		return -1;
	memcpy(c->tree, tree, tlen);
	c->verified_at = buf_get_u64(&r);
	c->nparts = buf_get_u8(&r);
	if (c->nparts > STREAM_PARTS_MAX)
		return -1;
	for (i = 0; i < c->nparts; i++) {
		buf_get_string(&r, c->parts[i].label, TAPE_LABEL_MAX);
		c->parts[i].file = buf_get_u32(&r);
		c->parts[i].bytes = buf_get_u64(&r);
	}
	return buf_reader_finish(&r);
}

static void
catalog_id_key(uint64_t id, uint8_t key[8])
{
	int	i;

	for (i = 7; i >= 0; i--, id >>= 8)
		key[i] = (uint8_t)id;
}

/* "name" '\0' id: an index key; its length. */
static size_t
catalog_index_key(const char *name, uint64_t id, uint8_t *key)
{
	size_t	n = strlen(name);

	memcpy(key, name, n);
	key[n] = '\0';
	catalog_id_key(id, key + n + 1);
	return n + 9;
}

/* A new catalog says its schema; an existing one keeps its own. */
static int
catalog_schema(struct catalog *c, MDB_txn *txn)
{
	uint8_t	buf[4] = { 0, 0, 0, CATALOG_SCHEMA };
	MDB_val	k = { 6, "schema" }, v = { 4, buf };
	int	rc;

	rc = mdb_put(txn, c->meta, &k, &v, MDB_NOOVERWRITE);
	return rc == MDB_KEYEXIST ? 0 : rc;
}

/* The environment and its tables, made when missing unless MDB_RDONLY
 * is in flags: LMDB's error, or 0. */
static int
catalog_env_open(struct catalog *c, const char *dir, unsigned int flags)
{
	unsigned int	 create = flags & MDB_RDONLY ? 0 : MDB_CREATE;
	MDB_txn		*txn;
	int		 rc;

	if ((rc = mdb_env_create(&c->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(c->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(c->env, CATALOG_MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(c->env, dir, MDB_NOTLS | flags, 0600)) != 0 ||
	    (rc = mdb_txn_begin(c->env, NULL, flags & MDB_RDONLY, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, "meta", create, &c->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "copies", create, &c->copies)) != 0 ||
	    (rc = mdb_dbi_open(txn, "by_volume", create,
	    &c->by_volume)) != 0 ||
	    (rc = mdb_dbi_open(txn, "by_tape", create, &c->by_tape)) != 0 ||
	    (create && (rc = catalog_schema(c, txn)) != 0)) {
		mdb_txn_abort(txn);
		return rc;
	}
	/* A read-only commit keeps the table handles for later reads. */
	return mdb_txn_commit(txn);
}

static void
catalog_free(struct catalog *c)
{
	if (c->env != NULL)
		mdb_env_close(c->env);
	free(c);
}

int
catalog_open(const char *dir, struct catalog **out, char *err, size_t errlen)
{
	struct catalog	*c;
	int		 rc;

	*out = NULL;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return catalog_fail(err, errlen, "catalog %s: %s", dir,
		    strerror(errno));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return catalog_fail(err, errlen, "out of memory");
	if ((rc = catalog_env_open(c, dir, 0)) != 0) {
		catalog_free(c);
		return catalog_fail(err, errlen, "catalog %s: %s", dir,
		    mdb_strerror(rc));
	}
	*out = c;
	return 0;
}

int
catalog_open_readonly(const char *dir, struct catalog **out, char *err,
    size_t errlen)
{
	struct catalog	*c;
	struct stat	 st;
	char		 path[4096];
	int		 rc;

	*out = NULL;
	/* LMDB makes its lock file before it finds no data file: one left
	 * by this reader could keep the backup from its own catalog. */
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st) == -1 && errno == ENOENT)
		return 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return catalog_fail(err, errlen, "out of memory");
	if ((rc = catalog_env_open(c, dir, MDB_RDONLY)) != 0) {
		catalog_free(c);
		/* No data.mdb, or its tables not committed yet: the backup
		 * has not made it. */
		if (rc == ENOENT || rc == MDB_NOTFOUND)
			return 1;
		return catalog_fail(err, errlen, "catalog %s: %s", dir,
		    mdb_strerror(rc));
	}
	*out = c;
	return 0;
}

void
catalog_close(struct catalog *c)
{
	if (c != NULL)
		catalog_free(c);
}

/* The next id, taken in txn. */
static int
catalog_next_id(struct catalog *c, MDB_txn *txn, uint64_t *id)
{
	MDB_val		k = { 4, "next" }, v;
	uint8_t		buf[8];
	int		rc, i;

	*id = 1;
	if ((rc = mdb_get(txn, c->meta, &k, &v)) == 0 && v.mv_size == 8)
		for (*id = 0, i = 0; i < 8; i++)
			*id = *id << 8 | ((const uint8_t *)v.mv_data)[i];
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	catalog_id_key(*id + 1, buf);
	v.mv_size = 8;
	v.mv_data = buf;
	return mdb_put(txn, c->meta, &k, &v, 0);
}

/* The record and its index rows, put (del 0) or deleted (del 1). */
static int
catalog_write(struct catalog *c, MDB_txn *txn, const struct catalog_copy *cp,
    int del)
{
	struct buf_writer	w;
	uint8_t			key[8], ikey[CATALOG_KEY_MAX];
	MDB_val			k = { 8, key }, v, ik = { 0, ikey }, empty = { 0,
				    "" };
	uint8_t			i;
	int			rc;

	catalog_id_key(cp->id, key);
	buf_writer_init(&w);
	catalog_encode(&w, cp);
	v.mv_size = w.len;
	v.mv_data = w.data;
	rc = w.error ? ENOMEM : del ? mdb_del(txn, c->copies, &k, NULL) :
	    mdb_put(txn, c->copies, &k, &v, 0);
	buf_writer_free(&w);
	if (rc != 0)
		return rc;
	ik.mv_size = catalog_index_key(cp->volume, cp->id, ikey);
	if ((rc = del ? mdb_del(txn, c->by_volume, &ik, NULL) :
	    mdb_put(txn, c->by_volume, &ik, &empty, 0)) != 0)
		return rc;
	for (i = 0; i < cp->nparts; i++) {
		ik.mv_size = catalog_index_key(cp->parts[i].label, cp->id, ikey);
		rc = del ? mdb_del(txn, c->by_tape, &ik, NULL) :
		    mdb_put(txn, c->by_tape, &ik, &empty, 0);
		if (rc != 0 && !(del && rc == MDB_NOTFOUND))
			return rc;
	}
	return 0;
}

int
catalog_get_u64(struct catalog *c, const char *key, uint64_t *v)
{
	MDB_txn	*txn;
	MDB_val	 k = { strlen(key), (void *)key }, d;
	int	 rc, i;

	*v = 0;
	if (mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	rc = mdb_get(txn, c->meta, &k, &d);
	if (rc == 0 && d.mv_size == 8)
		for (i = 0; i < 8; i++)
			*v = *v << 8 | ((const uint8_t *)d.mv_data)[i];
	mdb_txn_abort(txn);
	return rc == MDB_NOTFOUND ? 1 : rc == 0 && d.mv_size == 8 ? 0 : -1;
}

int
catalog_put_u64(struct catalog *c, const char *key, uint64_t v, char *err,
    size_t errlen)
{
	MDB_txn	*txn;
	MDB_val	 k = { strlen(key), (void *)key }, d;
	uint8_t	 buf[8];
	int	 rc;

	catalog_id_key(v, buf);
	d.mv_size = 8;
	d.mv_data = buf;
	if ((rc = mdb_txn_begin(c->env, NULL, 0, &txn)) != 0)
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	if ((rc = mdb_put(txn, c->meta, &k, &d, 0)) != 0) {
		mdb_txn_abort(txn);
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	return 0;
}

int
catalog_add(struct catalog *c, struct catalog_copy *cp, char *err,
    size_t errlen)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = mdb_txn_begin(c->env, NULL, 0, &txn)) != 0)
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	if ((rc = catalog_next_id(c, txn, &cp->id)) != 0 ||
	    (rc = catalog_write(c, txn, cp, 0)) != 0) {
		mdb_txn_abort(txn);
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	return 0;
}

static int
catalog_load(struct catalog *c, MDB_txn *txn, uint64_t id,
    struct catalog_copy *cp)
{
	uint8_t	key[8];
	MDB_val	k = { 8, key }, v;
	int	rc;

	catalog_id_key(id, key);
	if ((rc = mdb_get(txn, c->copies, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? 1 : -1;
	memset(cp, 0, sizeof(*cp));
	cp->id = id;
	return catalog_decode(&v, cp) == 0 ? 0 : -1;
}

int
catalog_get(struct catalog *c, uint64_t id, struct catalog_copy *cp)
{
	MDB_txn	*txn;
	int	 rc;

	if (mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	rc = catalog_load(c, txn, id, cp);
	mdb_txn_abort(txn);
	return rc;
}

/* Walks an index from "name\0" (or the copies table for NULL). */
static int
catalog_walk(struct catalog *c, MDB_dbi dbi, const char *name,
    int (*cb)(const struct catalog_copy *, void *), void *arg)
{
	struct catalog_copy	 cp;
	MDB_txn			*txn;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	uint8_t			 ikey[CATALOG_KEY_MAX];
	const uint8_t		*p;
	size_t			 n = name != NULL ? strlen(name) + 1 : 0;
	uint64_t		 id;
	int			 rc, i, stop = 0;
	MDB_cursor_op		 op = MDB_SET_RANGE;

	if (mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	if (mdb_cursor_open(txn, name != NULL ? dbi : c->copies, &cur) != 0) {
		mdb_txn_abort(txn);
		return -1;
	}
	if (name != NULL)
		memcpy(ikey, name, n);
	k.mv_size = n;
	k.mv_data = ikey;
	if (name == NULL)
		op = MDB_FIRST;
	while (!stop && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		p = k.mv_data;
		if (name != NULL && (k.mv_size != n + 8 ||
		    memcmp(p, ikey, n) != 0))
			break;
		for (id = 0, i = 0; i < 8; i++)
			id = id << 8 | p[k.mv_size - 8 + (size_t)i];
		if (catalog_load(c, txn, id, &cp) == 0)
			stop = cb(&cp, arg);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return 0;
}

int
catalog_each(struct catalog *c, const char *volume,
    int (*cb)(const struct catalog_copy *, void *), void *arg)
{
	return catalog_walk(c, c->by_volume, volume, cb, arg);
}

int
catalog_each_on_tape(struct catalog *c, const char *label,
    int (*cb)(const struct catalog_copy *, void *), void *arg)
{
	return catalog_walk(c, c->by_tape, label, cb, arg);
}

/* Loads a copy in a write transaction and hands it to fn. */
static int
catalog_change(struct catalog *c, uint64_t id,
    int (*fn)(struct catalog *, MDB_txn *, struct catalog_copy *, void *),
    void *arg, char *err, size_t errlen)
{
	struct catalog_copy	 cp;
	MDB_txn			*txn;
	int			 rc;

	if ((rc = mdb_txn_begin(c->env, NULL, 0, &txn)) != 0)
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	if ((rc = catalog_load(c, txn, id, &cp)) != 0) {
		mdb_txn_abort(txn);
		return catalog_fail(err, errlen, rc == 1 ? "no copy %llu in "
		    "the catalog" : "copy %llu: a damaged record",
		    (unsigned long long)id);
	}
	if ((rc = fn(c, txn, &cp, arg)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			mdb_txn_abort(txn);
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	}
	return 0;
}

struct catalog_state_change {
	uint8_t		state;
	uint64_t	at;
};

static int
catalog_put_state(struct catalog *c, MDB_txn *txn, struct catalog_copy *cp,
    void *arg)
{
	const struct catalog_state_change	*sc = arg;

	cp->state = sc->state;
	cp->verified_at = sc->at;
	return catalog_write(c, txn, cp, 0);
}

int
catalog_set_state(struct catalog *c, uint64_t id, uint8_t state,
    uint64_t verified_at, char *err, size_t errlen)
{
	struct catalog_state_change	sc = { state, verified_at };

	return catalog_change(c, id, catalog_put_state, &sc, err, errlen);
}

static int
catalog_drop(struct catalog *c, MDB_txn *txn, struct catalog_copy *cp,
    void *arg)
{
	(void)arg;
	return catalog_write(c, txn, cp, 1);
}

int
catalog_forget(struct catalog *c, uint64_t id, char *err, size_t errlen)
{
	return catalog_change(c, id, catalog_drop, NULL, err, errlen);
}

static int
catalog_forget_one(const struct catalog_copy *cp, void *arg)
{
	char	err[256];

	(void)catalog_forget(arg, cp->id, err, sizeof(err));
	return 0;
}

void
catalog_forget_tape(struct catalog *c, const char *label)
{
	catalog_each_on_tape(c, label, catalog_forget_one, c);
}

struct catalog_snapshot {
	struct catalog	*c;
	MDB_txn		*txn;
	MDB_cursor	*cur;
};

int
catalog_snapshot_begin(struct catalog *c, struct catalog_snapshot **out,
    char *err, size_t errlen)
{
	struct catalog_snapshot	*s;
	int			 rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return catalog_fail(err, errlen, "out of memory");
	s->c = c;
	if ((rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &s->txn)) != 0 ||
	    (rc = mdb_cursor_open(s->txn, c->copies, &s->cur)) != 0) {
		catalog_snapshot_end(s);
		return catalog_fail(err, errlen, "catalog: %s",
		    mdb_strerror(rc));
	}
	*out = s;
	return 0;
}

void
catalog_snapshot_end(struct catalog_snapshot *s)
{
	if (s == NULL)
		return;
	if (s->cur != NULL)
		mdb_cursor_close(s->cur);
	if (s->txn != NULL)
		mdb_txn_abort(s->txn);
	free(s);
}

int
catalog_snapshot_seek(struct catalog_snapshot *s, uint64_t from,
    struct catalog_copy *cp)
{
	uint8_t		 key[8];
	const uint8_t	*p;
	MDB_val		 k = { 8, key }, v;
	int		 rc, i;

	catalog_id_key(from, key);
	if ((rc = mdb_cursor_get(s->cur, &k, &v, MDB_SET_RANGE)) != 0)
		return rc == MDB_NOTFOUND ? 1 : -1;
	if (k.mv_size != 8)
		return -1;
	memset(cp, 0, sizeof(*cp));
	for (p = k.mv_data, i = 0; i < 8; i++)
		cp->id = cp->id << 8 | p[i];
	return catalog_decode(&v, cp) == 0 ? 0 : -1;
}

int
catalog_snapshot_count(struct catalog_snapshot *s, uint64_t *n)
{
	MDB_stat	st;

	*n = 0;
	if (mdb_stat(s->txn, s->c->copies, &st) != 0)
		return -1;
	*n = st.ms_entries;
	return 0;
}
