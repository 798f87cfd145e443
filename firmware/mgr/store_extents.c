/*
 * The extents index: which volume holds which bytes of a region, kept
 * in the same transaction as the volume rows. Key "server\0region\0"
 * + u64 offset (big-endian, so a region's extents sort by offset) +
 * volume name; value u64 length. Whether bytes of a region are free is
 * then a look at that region's own extents, never a walk of the volumes.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define EXTENT_KEY_MAX	(STORE_REGION_KEY_MAX + 1 + 8 + DSP_NAME_MAX)

static size_t
extent_prefix(char *key, const char *server, const char *region)
{
	size_t	n = store_region_key(key, server, region);

	key[n] = '\0';
	return n + 1;
}

static size_t
extent_key(char *key, const struct volume_extent *e, const char *volume)
{
	size_t	n = extent_prefix(key, e->server, e->region);
	size_t	vl = strnlen(volume, DSP_NAME_MAX);
	int	i;

	for (i = 0; i < 8; i++)
		key[n + i] = (char)(uint8_t)(e->offset >> (56 - 8 * i));
	memcpy(key + n + 8, volume, vl);
	return n + 8 + vl;
}

static int
extents_put(struct store_txn *t, const struct volume_record *v)
{
	char		key[EXTENT_KEY_MAX];
	uint8_t		len[8];
	MDB_val		k, d;
	uint16_t	i;
	int		j, rc;

	for (i = 0; i < v->extent_count; i++) {
		k.mv_size = extent_key(key, &v->extents[i], v->name);
		k.mv_data = key;
		for (j = 0; j < 8; j++)
			len[j] = (uint8_t)(v->extents[i].length >> (56 - 8 * j));
		d.mv_size = sizeof(len);
		d.mv_data = len;
		if ((rc = mdb_put(t->txn, t->s->extents, &k, &d, 0)) != 0)
			return store_mdb_fail(t, "indexing an extent", rc);
	}
	t->dirty = 1;
	return DSP_OK;
}

static int
extents_del(struct store_txn *t, const struct volume_record *v)
{
	char		key[EXTENT_KEY_MAX];
	MDB_val		k;
	uint16_t	i;
	int		rc;

	for (i = 0; i < v->extent_count; i++) {
		k.mv_size = extent_key(key, &v->extents[i], v->name);
		k.mv_data = key;
		rc = mdb_del(t->txn, t->s->extents, &k, NULL);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return store_mdb_fail(t, "unindexing an extent", rc);
	}
	t->dirty = 1;
	return DSP_OK;
}

static int
extents_same(const struct volume_record *a, const struct volume_record *b)
{
	uint16_t	i;

	if (a->extent_count != b->extent_count)
		return 0;
	for (i = 0; i < a->extent_count; i++)
		if (strcmp(a->extents[i].server, b->extents[i].server) != 0 ||
		    strcmp(a->extents[i].region, b->extents[i].region) != 0 ||
		    a->extents[i].offset != b->extents[i].offset ||
		    a->extents[i].length != b->extents[i].length)
			return 0;
	return 1;
}

int
store_extents_saved(struct store_txn *t, const struct volume_record *old,
    const struct volume_record *v)
{
	int	rc;

	if (old != NULL && extents_same(old, v))
		return DSP_OK;
	if (old != NULL && (rc = extents_del(t, old)) != DSP_OK)
		return rc;
	return extents_put(t, v);
}

int
store_extents_removed(struct store_txn *t, const struct volume_record *old)
{
	return extents_del(t, old);
}

int
store_region_extents(struct store_txn *t, const char *server,
    const char *region, store_extent_cb cb, void *arg)
{
	char		 key[EXTENT_KEY_MAX];
	MDB_cursor	*c;
	MDB_val		 k, d;
	dsp_name	 volume;
	uint64_t	 off, len;
	size_t		 n = extent_prefix(key, server, region), vl;
	int		 rc, ret = 0, i;

	if ((rc = mdb_cursor_open(t->txn, t->s->extents, &c)) != 0)
		return store_mdb_fail(t, "reading the extents", rc), -1;
	k.mv_size = n;
	k.mv_data = key;
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0 &&
	    ret == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size <= n + 8 || memcmp(k.mv_data, key, n) != 0)
			break;
		vl = k.mv_size - n - 8;
		if (vl > DSP_NAME_MAX || d.mv_size != 8)
			continue;
		off = len = 0;
		for (i = 0; i < 8; i++) {
			off = off << 8 | ((const uint8_t *)k.mv_data)[n + i];
			len = len << 8 | ((const uint8_t *)d.mv_data)[i];
		}
		memcpy(volume, (const char *)k.mv_data + n + 8, vl);
		volume[vl] = '\0';
		ret = cb(volume, off, len, arg);
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND && ret == 0) {
		store_mdb_fail(t, "reading the extents", rc);
		return -1;
	}
	return ret;
}
