/*
 * Stable numbers for servers, regions and volumes (the SNMP tables'
 * indexes): given when a row is first written, dropped with the row,
 * never given again. Both directions live in the "ids" table, written
 * in the transaction that writes the row (docs/STORE.md).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_internal.h"

#define IDS_KEY_MAX	(1 + STORE_REGION_KEY_MAX)

static void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* kind, then the name key: the name -> number direction. */
static size_t
ids_name_key(uint8_t *key, char kind, const char *name, size_t len)
{
	key[0] = (uint8_t)kind;
	memcpy(key + 1, name, len);
	return 1 + len;
}

/* KIND, then the numbers: the number -> name direction, in index order. */
static size_t
ids_number_key(uint8_t *key, char kind, const uint32_t *n, size_t count)
{
	size_t	i;

	key[0] = (uint8_t)(kind - 'a' + 'A');
	for (i = 0; i < count; i++)
		be32_put(key + 1 + 4 * i, n[i]);
	return 1 + 4 * count;
}

static int
ids_get(struct store_txn *t, const uint8_t *key, size_t len, uint32_t *id)
{
	MDB_val	k = { len, (void *)key }, v;
	int	rc;

	if ((rc = mdb_get(t->txn, t->s->ids, &k, &v)) == MDB_NOTFOUND)
		return DSP_E_NOTFOUND;
	if (rc != 0)
		return store_mdb_fail(t, "reading a stable number", rc);
	if (v.mv_size != 4)
		return store_fail(t, DSP_E_INTERNAL, "the store's stable "
		    "numbers are corrupt");
	*id = be32_get(v.mv_data);
	return DSP_OK;
}

static int
ids_put(struct store_txn *t, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	MDB_val	k = { klen, (void *)key }, v = { vlen, (void *)val };
	int	rc;

	if ((rc = mdb_put(t->txn, t->s->ids, &k, &v, 0)) != 0)
		return store_mdb_fail(t, "writing a stable number", rc);
	t->dirty = 1;
	return DSP_OK;
}

static int
ids_del(struct store_txn *t, const void *key, size_t klen)
{
	MDB_val	k = { klen, (void *)key };
	int	rc;

	rc = mdb_del(t->txn, t->s->ids, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_mdb_fail(t, "removing a stable number", rc);
	t->dirty = 1;
	return DSP_OK;
}

/* The next number of a kind: '#' kind holds the last one given. */
static int
ids_next(struct store_txn *t, char kind, uint32_t *id)
{
	uint8_t	key[2] = { '#', (uint8_t)kind }, be[4];
	uint32_t last = 0;
	int	rc;

	rc = ids_get(t, key, sizeof(key), &last);
	if (rc != DSP_OK && rc != DSP_E_NOTFOUND)
		return rc;
	if (last == UINT32_MAX)
		return store_fail(t, DSP_E_NOSPACE, "every stable number of "
		    "kind %c has been given", kind);
	*id = last + 1;
	be32_put(be, *id);
	return ids_put(t, key, sizeof(key), be, sizeof(be));
}

/* Gives name (of kind, under the numbers of prefix) a number unless it
 * has one. */
static int
ids_ensure(struct store_txn *t, char kind, const char *name, size_t len,
    const uint32_t *prefix, size_t nprefix, uint32_t *out)
{
	uint8_t		 nkey[IDS_KEY_MAX], ikey[16], be[4];
	uint32_t	 numbers[2], id;
	size_t		 nlen = ids_name_key(nkey, kind, name, len);
	int		 rc;

	if ((rc = ids_get(t, nkey, nlen, &id)) == DSP_E_NOTFOUND) {
		if ((rc = ids_next(t, kind, &id)) != DSP_OK)
			return rc;
		if (nprefix > 0)
			memcpy(numbers, prefix, nprefix * sizeof(*prefix));
		numbers[nprefix] = id;
		be32_put(be, id);
		if ((rc = ids_put(t, nkey, nlen, be, sizeof(be))) != DSP_OK ||
		    (rc = ids_put(t, ikey, ids_number_key(ikey, kind, numbers,
		    nprefix + 1), name, len)) != DSP_OK)
			return rc;
	}
	if (rc == DSP_OK && out != NULL)
		*out = id;
	return rc;
}

static int
ids_drop(struct store_txn *t, char kind, const char *name, size_t len,
    const uint32_t *prefix, size_t nprefix)
{
	uint8_t		nkey[IDS_KEY_MAX], ikey[16];
	uint32_t	numbers[2], id;
	size_t		nlen = ids_name_key(nkey, kind, name, len);
	int		rc;

	if ((rc = ids_get(t, nkey, nlen, &id)) == DSP_E_NOTFOUND)
		return DSP_OK;
	if (rc != DSP_OK)
		return rc;
	if (nprefix > 0)
		memcpy(numbers, prefix, nprefix * sizeof(*prefix));
	numbers[nprefix] = id;
	if ((rc = ids_del(t, nkey, nlen)) != DSP_OK)
		return rc;
	return ids_del(t, ikey, ids_number_key(ikey, kind, numbers,
	    nprefix + 1));
}

int
store_ids_server(struct store_txn *t, const char *server, uint32_t *id)
{
	return ids_ensure(t, 's', server, strlen(server), NULL, 0, id);
}

int
store_ids_region(struct store_txn *t, const char *server, const char *region)
{
	char		key[STORE_REGION_KEY_MAX];
	uint32_t	sid;
	int		rc;

	if ((rc = store_ids_server(t, server, &sid)) != DSP_OK)
		return rc;
	return ids_ensure(t, 'r', key, store_region_key(key, server, region),
	    &sid, 1, NULL);
}

int
store_ids_region_gone(struct store_txn *t, const char *server,
    const char *region)
{
	char		key[STORE_REGION_KEY_MAX];
	uint32_t	sid;
	int		rc;

	if ((rc = store_id_of(t, 's', server, strlen(server), &sid)) ==
	    DSP_E_NOTFOUND)
		return DSP_OK;
	if (rc != DSP_OK)
		return rc;
	return ids_drop(t, 'r', key, store_region_key(key, server, region),
	    &sid, 1);
}

int
store_ids_volume(struct store_txn *t, const char *volume)
{
	return ids_ensure(t, 'v', volume, strlen(volume), NULL, 0, NULL);
}

int
store_ids_volume_gone(struct store_txn *t, const char *volume)
{
	return ids_drop(t, 'v', volume, strlen(volume), NULL, 0);
}

int
store_id_of(struct store_txn *t, char kind, const char *key, size_t len,
    uint32_t *id)
{
	uint8_t	nkey[IDS_KEY_MAX];

	if (len > STORE_REGION_KEY_MAX)
		return DSP_E_NOTFOUND;
	return ids_get(t, nkey, ids_name_key(nkey, kind, key, len), id);
}

int
store_id_next(struct store_txn *t, char kind, const uint32_t *after,
    size_t count, int inclusive, uint32_t *numbers, char *key, size_t *len)
{
	uint8_t		 ikey[16];
	MDB_cursor	*c;
	MDB_val		 k, v;
	size_t		 klen = ids_number_key(ikey, kind, after, count);
	int		 rc;

	if ((rc = mdb_cursor_open(t->txn, t->s->ids, &c)) != 0)
		return store_mdb_fail(t, "reading the stable numbers", rc);
	k.mv_size = klen;
	k.mv_data = ikey;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && !inclusive && k.mv_size == klen &&
	    memcmp(k.mv_data, ikey, klen) == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size < 1 ||
	    ((const uint8_t *)k.mv_data)[0] != ikey[0])))
		return DSP_E_NOTFOUND;
	if (rc != 0)
		return store_mdb_fail(t, "reading the stable numbers", rc);
	if ((k.mv_size - 1) % 4 != 0 || (k.mv_size - 1) / 4 > 2 ||
	    v.mv_size > STORE_REGION_KEY_MAX)
		return store_fail(t, DSP_E_INTERNAL, "the store's stable "
		    "numbers are corrupt");
	for (klen = 0; klen < (k.mv_size - 1) / 4; klen++)
		numbers[klen] = be32_get((const uint8_t *)k.mv_data + 1 +
		    4 * klen);
	memcpy(key, v.mv_data, v.mv_size);
	*len = v.mv_size;
	return DSP_OK;
}

/* --- given to every row once, when an older store is upgraded --- */

/* A table's key as a name; -1 if it cannot be one. */
static int
ids_key_name(const MDB_val *k, char *name)
{
	if (k->mv_size == 0 || k->mv_size > DSP_NAME_MAX)
		return -1;
	memcpy(name, k->mv_data, k->mv_size);
	name[k->mv_size] = '\0';
	return 0;
}

static int
ids_build_server(const MDB_val *k, const MDB_val *v, void *arg)
{
	char	name[DSP_NAME_MAX + 1];

	(void)v;
	if (ids_key_name(k, name) == -1)
		return 0;
	return store_ids_server(arg, name, NULL) == DSP_OK ? 0 : -1;
}

static int
ids_build_region(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct region_record	rr;

	(void)k;
	if (store_decode_region(v->mv_data, v->mv_size, &rr) == -1)
		return 0;
	return store_ids_region(arg, rr.server, rr.name) == DSP_OK ? 0 : -1;
}

static int
ids_build_volume(const MDB_val *k, const MDB_val *v, void *arg)
{
	char	name[DSP_NAME_MAX + 1];

	(void)v;
	if (ids_key_name(k, name) == -1)
		return 0;
	return store_ids_volume(arg, name) == DSP_OK ? 0 : -1;
}

int
store_ids_build(struct store_txn *t)
{
	int	rc;

	if ((rc = store_walk(t, t->s->servers, NULL, ids_build_server, t)) ==
	    0 && (rc = store_walk(t, t->s->regions, NULL, ids_build_region,
	    t)) == 0)
		rc = store_walk(t, t->s->volumes, NULL, ids_build_volume, t);
	return store_walk_status(rc);
}
