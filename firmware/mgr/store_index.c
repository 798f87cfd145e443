/*
 * The lending indexes, kept in the same transaction as the volume rows
 * (store_volume_save and store_volume_remove), so that no request walks
 * the volumes table:
 *   server_volumes  "server\0volume"          a server's volumes
 *   borrowed        "borrower\0volume"        a borrower's volumes
 *   free_sizes      u64 size (big-endian) + volume   unlent volumes
 * Values are empty: the key is the fact.
 */
#include <string.h>

#include "store_internal.h"

#define PAIR_KEY_MAX	(2 * DSP_NAME_MAX + 1)
#define INDEX_END	0x40000000	/* a walk passed its prefix */
#define SIZE_KEY_MAX	(8 + DSP_NAME_MAX)

/* "a\0b"; with b empty, the prefix of every key of a. */
static size_t
pair_key(char *key, const char *a, const char *b)
{
	size_t	al = strnlen(a, DSP_NAME_MAX), bl = strnlen(b, DSP_NAME_MAX);

	memcpy(key, a, al);
	key[al] = '\0';
	memcpy(key + al + 1, b, bl);
	return al + 1 + bl;
}

static size_t
size_key(char *key, uint64_t size, const char *volume)
{
	size_t	vl = strnlen(volume, DSP_NAME_MAX);
	int	i;

	for (i = 0; i < 8; i++)
		key[i] = (char)(uint8_t)(size >> (56 - 8 * i));
	memcpy(key + 8, volume, vl);
	return 8 + vl;
}

static int
index_put(struct store_txn *t, MDB_dbi dbi, const char *key, size_t len)
{
	MDB_val	k = { len, (void *)key }, d = { 0, NULL };
	int	rc;

	if ((rc = mdb_put(t->txn, dbi, &k, &d, 0)) != 0)
		return store_mdb_fail(t, "writing an index", rc);
	t->dirty = 1;
	return DSP_OK;
}

static int
index_del(struct store_txn *t, MDB_dbi dbi, const char *key, size_t len)
{
	MDB_val	k = { len, (void *)key };
	int	rc;

	rc = mdb_del(t->txn, dbi, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_fail(t, "writing an index", rc);
	t->dirty = 1;
	return DSP_OK;
}

/* 1 if extent i is the first of its server in v. */
static int
first_of_server(const struct volume_record *v, uint16_t i)
{
	uint16_t	j;

	for (j = 0; j < i; j++)
		if (strcmp(v->extents[j].server, v->extents[i].server) == 0)
			return 0;
	return 1;
}

static int
has_server(const struct volume_record *v, const char *server)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		if (strcmp(v->extents[i].server, server) == 0)
			return 1;
	return 0;
}

/* Rows of `from`'s servers that `keep` lacks (keep NULL: all). */
static int
servers_del(struct store_txn *t, const struct volume_record *from,
    const struct volume_record *keep)
{
	char		key[PAIR_KEY_MAX];
	uint16_t	i;
	int		rc;

	for (i = 0; i < from->extent_count; i++) {
		if (!first_of_server(from, i) || (keep != NULL &&
		    has_server(keep, from->extents[i].server)))
			continue;
		if ((rc = index_del(t, t->s->server_volumes, key, pair_key(key,
		    from->extents[i].server, from->name))) != DSP_OK)
			return rc;
	}
	return DSP_OK;
}

static int
servers_put(struct store_txn *t, const struct volume_record *v,
    const struct volume_record *had)
{
	char		key[PAIR_KEY_MAX];
	uint16_t	i;
	int		rc;

	for (i = 0; i < v->extent_count; i++) {
		if (!first_of_server(v, i) || (had != NULL &&
		    has_server(had, v->extents[i].server)))
			continue;
		if ((rc = index_put(t, t->s->server_volumes, key, pair_key(key,
		    v->extents[i].server, v->name))) != DSP_OK)
			return rc;
	}
	return DSP_OK;
}

/* The borrowed and free_sizes rows of one state of a volume. */
static int
lending_rows(struct store_txn *t, const struct volume_record *v, int put)
{
	char	key[SIZE_KEY_MAX > PAIR_KEY_MAX ? SIZE_KEY_MAX : PAIR_KEY_MAX];
	MDB_dbi	dbi;
	size_t	len;

	if (v->borrower[0] != '\0') {
		dbi = t->s->borrowed;
		len = pair_key(key, v->borrower, v->name);
	} else {
		dbi = t->s->free_sizes;
		len = size_key(key, v->size, v->name);
	}
	return put ? index_put(t, dbi, key, len) : index_del(t, dbi, key, len);
}

static int
lending_same(const struct volume_record *a, const struct volume_record *b)
{
	return strcmp(a->borrower, b->borrower) == 0 && a->size == b->size;
}

int
store_indexes_saved(struct store_txn *t, const struct volume_record *old,
    const struct volume_record *v)
{
	int	rc;

	if (old != NULL && (rc = servers_del(t, old, v)) != DSP_OK)
		return rc;
	if ((rc = servers_put(t, v, old)) != DSP_OK)
		return rc;
	if (old != NULL && lending_same(old, v))
		return DSP_OK;
	if (old != NULL && (rc = lending_rows(t, old, 0)) != DSP_OK)
		return rc;
	return lending_rows(t, v, 1);
}

int
store_indexes_removed(struct store_txn *t, const struct volume_record *old)
{
	int	rc;

	if ((rc = servers_del(t, old, NULL)) != DSP_OK)
		return rc;
	return lending_rows(t, old, 0);
}

/* --- readers --- */

struct index_walk {
	const char		*prefix;
	size_t			 prefix_len;
	store_index_cb		 cb;
	void			*arg;
	struct store_txn	*t;
};

static int
index_walk_one(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct index_walk	*w = arg;
	dsp_name		 volume;
	uint64_t		 size = 0;
	size_t			 vl;
	int			 i;

	(void)d;
	if (w->prefix != NULL) {
		if (k->mv_size <= w->prefix_len ||
		    memcmp(k->mv_data, w->prefix, w->prefix_len) != 0)
			return INDEX_END;
		vl = k->mv_size - w->prefix_len;
	} else {
		if (k->mv_size <= 8)
			return 0;
		for (i = 0; i < 8; i++)
			size = size << 8 | ((const uint8_t *)k->mv_data)[i];
		vl = k->mv_size - 8;
	}
	if (vl > DSP_NAME_MAX)
		return 0;
	memcpy(volume, (const char *)k->mv_data + k->mv_size - vl, vl);
	volume[vl] = '\0';
	return w->cb(w->t, volume, size, w->arg);
}

static int
index_walk(struct store_txn *t, MDB_dbi dbi, const char *from,
    size_t from_len, size_t prefix_len, store_index_cb cb, void *arg)
{
	struct index_walk	w = { prefix_len > 0 ? from : NULL, prefix_len,
				    cb, arg, t };
	MDB_val			k = { from_len, (void *)from };
	int			ret;

	ret = store_walk(t, dbi, &k, index_walk_one, &w);
	return ret == INDEX_END ? 0 : ret;
}

/* Starts after `after`: "a\0after" then one byte more sorts after it. */
static int
pair_walk(struct store_txn *t, MDB_dbi dbi, const char *a, const char *after,
    store_index_cb cb, void *arg)
{
	char	key[PAIR_KEY_MAX + 1];
	size_t	plen = pair_key(key, a, ""), len = plen;

	if (after != NULL && after[0] != '\0') {
		len = pair_key(key, a, after);
		key[len++] = '\0';
	}
	return index_walk(t, dbi, key, len, plen, cb, arg);
}

int
store_server_volumes(struct store_txn *t, const char *server,
    const char *after, store_index_cb cb, void *arg)
{
	return pair_walk(t, t->s->server_volumes, server, after, cb, arg);
}

int
store_borrower_volumes(struct store_txn *t, const char *borrower,
    store_index_cb cb, void *arg)
{
	return pair_walk(t, t->s->borrowed, borrower, NULL, cb, arg);
}

int
store_free_volumes(struct store_txn *t, uint64_t min_size, store_index_cb cb,
    void *arg)
{
	char	key[8];

	size_key(key, min_size, "");
	return index_walk(t, t->s->free_sizes, key, sizeof(key), 0, cb, arg);
}

/* --- built again whole, when an older store is upgraded --- */

static int
index_one(struct store_txn *t, const struct volume_record *v, void *arg)
{
	(void)arg;
	if (store_indexes_saved(t, NULL, v) != DSP_OK ||
	    store_extents_saved(t, NULL, v) != DSP_OK)
		return -1;
	return 0;
}

int
store_indexes_build(struct store_txn *t)
{
	MDB_dbi	dbis[] = { t->s->extents, t->s->server_volumes,
		    t->s->borrowed, t->s->free_sizes };
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(dbis) / sizeof(dbis[0]); i++)
		if ((rc = mdb_drop(t->txn, dbis[i], 0)) != 0)
			return store_mdb_fail(t, "emptying an index", rc);
	t->dirty = 1;
	return store_walk_status(store_walk_volumes(t, index_one, NULL));
}
