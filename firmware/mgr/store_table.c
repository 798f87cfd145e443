/*
 * Typed access to the store's tables inside one transaction, cursor
 * walks, and the audit trail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitmap.h"
#include "store_internal.h"
#include "text.h"

static int
store_put(struct store_txn *t, MDB_dbi dbi, const void *key, size_t keylen,
    struct buf_writer *w, unsigned int flags, const char *what)
{
	MDB_val	k = { keylen, (void *)key }, v = { w->len, w->data };
	int	rc;

	if (w->error) {
		buf_writer_free(w);
		return store_fail(t, DSP_E_INTERNAL, "out of memory while %s",
		    what);
	}
	rc = mdb_put(t->txn, dbi, &k, &v, flags);
	buf_writer_free(w);
	if (rc != 0)
		return store_mdb_fail(t, what, rc);
	t->dirty = 1;
	return DSP_OK;
}

static int
store_get(struct store_txn *t, MDB_dbi dbi, const void *key, size_t keylen,
    MDB_val *val, const char *what)
{
	MDB_val	k = { keylen, (void *)key };
	int	rc;

	if ((rc = mdb_get(t->txn, dbi, &k, val)) == MDB_NOTFOUND)
		return DSP_E_NOTFOUND;
	if (rc != 0)
		return store_mdb_fail(t, what, rc);
	return DSP_OK;
}

static int
store_del(struct store_txn *t, MDB_dbi dbi, const void *key, size_t keylen,
    const char *what)
{
	MDB_val	k = { keylen, (void *)key };
	int	rc;

	if ((rc = mdb_del(t->txn, dbi, &k, NULL)) == MDB_NOTFOUND)
		return DSP_E_NOTFOUND;
	if (rc != 0)
		return store_mdb_fail(t, what, rc);
	t->dirty = 1;
	return DSP_OK;
}

int
store_server_load(struct store_txn *t, const char *name,
    struct server_record *sr)
{
	MDB_val	v;
	int	rc;

	if (!msg_name_valid(name))
		return store_fail(t, DSP_E_NOTFOUND, "there is no server "
		    "named \"%.*s\"", DSP_NAME_MAX, name);
	rc = store_get(t, t->s->servers, name, strlen(name), &v,
	    "reading a server");
	if (rc == DSP_E_NOTFOUND)
		return store_fail(t, rc, "server %s is not registered", name);
	if (rc != DSP_OK)
		return rc;
	if (store_decode_server(v.mv_data, v.mv_size, sr) == -1)
		return store_fail(t, DSP_E_INTERNAL,
		    "the store's record of server %s is corrupt", name);
	return DSP_OK;
}

int
store_server_save(struct store_txn *t, const struct server_record *sr)
{
	struct buf_writer	w;

	int			rc;

	if ((rc = store_ids_server(t, sr->name, NULL)) != DSP_OK)
		return rc;
	buf_writer_init(&w);
	store_encode_server(&w, sr);
	return store_put(t, t->s->servers, sr->name, strlen(sr->name), &w, 0,
	    "writing a server");
}

int
store_region_load(struct store_txn *t, const char *server, const char *region,
    struct region_record *rr)
{
	char	key[STORE_REGION_KEY_MAX];
	size_t	keylen = store_region_key(key, server, region);
	MDB_val	v;
	int	rc;

	if (!msg_name_valid(server) || !msg_name_valid(region))
		return store_fail(t, DSP_E_NOTFOUND, "there is no region "
		    "\"%.*s\" on server \"%.*s\"", DSP_NAME_MAX, region,
		    DSP_NAME_MAX, server);
	rc = store_get(t, t->s->regions, key, keylen, &v, "reading a region");
	if (rc == DSP_E_NOTFOUND)
		return store_fail(t, rc, "server %s has no region %s", server,
		    region);
	if (rc != DSP_OK)
		return rc;
	if (store_decode_region(v.mv_data, v.mv_size, rr) == -1)
		return store_fail(t, DSP_E_INTERNAL,
		    "the store's record of region %s/%s is corrupt", server,
		    region);
	return DSP_OK;
}

int
store_region_save(struct store_txn *t, const struct region_record *rr)
{
	char			key[STORE_REGION_KEY_MAX];
	size_t			keylen = store_region_key(key, rr->server,
				    rr->name);
	struct buf_writer	w;
	int			rc;

	if ((rc = store_ids_region(t, rr->server, rr->name)) != DSP_OK)
		return rc;
	buf_writer_init(&w);
	store_encode_region(&w, rr);
	return store_put(t, t->s->regions, key, keylen, &w, 0,
	    "writing a region");
}

int
store_region_remove(struct store_txn *t, const char *server,
    const char *region)
{
	char	key[STORE_REGION_KEY_MAX];
	size_t	keylen = store_region_key(key, server, region);
	int	rc;

	if ((rc = store_ids_region_gone(t, server, region)) != DSP_OK)
		return rc;
	return store_del(t, t->s->regions, key, keylen, "removing a region");
}

int
store_volume_load(struct store_txn *t, const char *name,
    struct volume_record *vr)
{
	MDB_val	v;
	int	rc;

	if (!msg_name_valid(name))
		return store_fail(t, DSP_E_NOTFOUND, "there is no volume "
		    "named \"%.*s\"", DSP_NAME_MAX, name);
	rc = store_get(t, t->s->volumes, name, strlen(name), &v,
	    "reading a volume");
	if (rc == DSP_E_NOTFOUND)
		return store_fail(t, rc, "there is no volume %s", name);
	if (rc != DSP_OK)
		return rc;
	if (store_decode_volume(v.mv_data, v.mv_size, vr) == -1)
		return store_fail(t, DSP_E_INTERNAL,
		    "the store's record of volume %s is corrupt", name);
	return DSP_OK;
}

int
store_volume_save(struct store_txn *t, const struct volume_record *vr)
{
	struct volume_record	*nv, *old, *had;
	struct buf_writer	 w;
	MDB_val			 v;
	int			 rc;

	if ((nv = malloc(2 * sizeof(*nv))) == NULL)
		return store_fail(t, DSP_E_INTERNAL, "out of memory");
	old = nv + 1;
	*nv = *vr;
	rc = store_get(t, t->s->volumes, vr->name, strlen(vr->name), &v,
	    "reading a volume");
	if (rc == DSP_OK && store_decode_volume(v.mv_data, v.mv_size,
	    old) == -1)
		rc = DSP_E_NOTFOUND;	/* unreadable: rewritten whole */
	if (rc != DSP_OK && rc != DSP_E_NOTFOUND) {
		free(nv);
		return rc;
	}
	had = rc == DSP_OK ? old : NULL;
	store_next_revision(had, nv);
	if ((rc = store_records_saved(t, had, nv)) == DSP_OK &&
	    (rc = store_extents_saved(t, had, nv)) == DSP_OK &&
	    (rc = store_indexes_saved(t, had, nv)) == DSP_OK &&
	    (had != NULL || (rc = store_ids_volume(t, nv->name)) == DSP_OK)) {
		buf_writer_init(&w);
		store_encode_volume(&w, nv);
		rc = store_put(t, t->s->volumes, nv->name, strlen(nv->name),
		    &w, 0, "writing a volume");
	}
	free(nv);
	return rc;
}

int
store_volume_remove(struct store_txn *t, const char *name)
{
	struct volume_record	old;
	int			rc;

	if ((rc = store_volume_load(t, name, &old)) != DSP_OK)
		return rc;
	if ((rc = store_records_removed(t, &old)) != DSP_OK ||
	    (rc = store_extents_removed(t, &old)) != DSP_OK ||
	    (rc = store_indexes_removed(t, &old)) != DSP_OK ||
	    (rc = store_ids_volume_gone(t, name)) != DSP_OK)
		return rc;
	rc = store_del(t, t->s->volumes, name, strlen(name),
	    "removing a volume");
	if (rc == DSP_E_NOTFOUND)
		return store_fail(t, rc, "there is no volume %s", name);
	return rc;
}

int
store_bitmap_load(struct store_txn *t, const char *volume, uint64_t chunks,
    uint8_t **bits)
{
	size_t	len = (size_t)BITMAP_BYTES(chunks);
	MDB_val	v;
	int	rc;

	*bits = NULL;
	rc = store_get(t, t->s->bitmaps, volume, strlen(volume), &v,
	    "reading a bitmap");
	if (rc != DSP_OK && rc != DSP_E_NOTFOUND)
		return rc;
	if (rc == DSP_OK && v.mv_size != len)
		return store_fail(t, DSP_E_INTERNAL, "the store's bitmap of "
		    "volume %s has %zu bytes, not %zu", volume, v.mv_size, len);
	/* calloc(0) may return NULL: keep one byte. */
	if ((*bits = calloc(len ? len : 1, 1)) == NULL)
		return store_fail(t, DSP_E_INTERNAL, "out of memory while "
		    "reading the bitmap of volume %s", volume);
	if (rc == DSP_OK)
		memcpy(*bits, v.mv_data, len);
	return DSP_OK;
}

int
store_bitmap_save(struct store_txn *t, const char *volume,
    const uint8_t *bits, size_t len)
{
	struct buf_writer	w;

	buf_writer_init(&w);
	buf_put_bytes(&w, bits, len);
	return store_put(t, t->s->bitmaps, volume, strlen(volume), &w, 0,
	    "writing a bitmap");
}

int
store_bitmap_remove(struct store_txn *t, const char *volume)
{
	int	rc;

	rc = store_del(t, t->s->bitmaps, volume, strlen(volume),
	    "removing a bitmap");
	return rc == DSP_E_NOTFOUND ? DSP_OK : rc;
}

static void
store_u64_be(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

static uint64_t
store_be_u64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Next audit sequence number: one past the last key, 1 when empty. */
static int
store_audit_next(struct store_txn *t, MDB_cursor *c, uint64_t *seq)
{
	MDB_val	k, v;
	int	rc;

	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		*seq = 1;
		return DSP_OK;
	}
	if (rc != 0)
		return store_mdb_fail(t, "reading the audit trail", rc);
	if (k.mv_size != 8)
		return store_fail(t, DSP_E_INTERNAL,
		    "the store's audit trail has a corrupt key");
	*seq = store_be_u64(k.mv_data) + 1;
	return DSP_OK;
}

/* Keeps the trail bounded: drops the oldest row beyond the limit. */
static int
store_audit_prune(struct store_txn *t, MDB_cursor *c)
{
	MDB_stat	st;
	MDB_val		k, v;
	int		rc;

	if ((rc = mdb_stat(t->txn, t->s->audit, &st)) != 0)
		return store_mdb_fail(t, "pruning the audit trail", rc);
	if (st.ms_entries < STORE_AUDIT_KEEP)
		return DSP_OK;
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) != 0 ||
	    (rc = mdb_cursor_del(c, 0)) != 0)
		return store_mdb_fail(t, "pruning the audit trail", rc);
	return DSP_OK;
}

int
store_audit_add(struct store_txn *t, const char *actor, const char *action,
    const char *volume, const char *fmt, ...)
{
	struct audit_record	 a;
	struct buf_writer	 w;
	MDB_cursor		*c;
	uint8_t			 key[8];
	char			 detail[4 * sizeof(a.detail)];
	va_list			 ap;
	int			 rc;

	memset(&a, 0, sizeof(a));
	a.time = t->now != 0 ? t->now : (uint64_t)time(NULL);
	store_copy(a.actor, sizeof(a.actor), actor != NULL ? actor : "");
	store_copy(a.action, sizeof(a.action), action);
	store_copy(a.volume, sizeof(a.volume), volume != NULL ? volume : "");
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* A long detail quoting an escaped reason is cut between two
	 * escapes, not inside one. */
	text_safe(a.detail, sizeof(a.detail), detail);

	if ((rc = mdb_cursor_open(t->txn, t->s->audit, &c)) != 0)
		return store_mdb_fail(t, "writing the audit trail", rc);
	if ((rc = store_audit_next(t, c, &a.seq)) == DSP_OK)
		rc = store_audit_prune(t, c);
	mdb_cursor_close(c);
	if (rc != DSP_OK)
		return rc;
	store_u64_be(key, a.seq);
	buf_writer_init(&w);
	store_encode_audit(&w, &a);
	return store_put(t, t->s->audit, key, sizeof(key), &w, MDB_APPEND,
	    "writing the audit trail");
}

int
store_walk(struct store_txn *t, MDB_dbi dbi, const MDB_val *from,
    store_raw_cb cb, void *arg)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	MDB_cursor_op	 op = MDB_FIRST;
	int		 rc, ret = 0;

	if ((rc = mdb_cursor_open(t->txn, dbi, &c)) != 0) {
		store_mdb_fail(t, "reading a table", rc);
		return -1;
	}
	if (from != NULL) {
		k = *from;
		op = MDB_SET_RANGE;
	}
	while ((rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if ((ret = cb(&k, &v, arg)) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		store_mdb_fail(t, "reading a table", rc);
		return -1;
	}
	return ret;
}

int
store_walk_status(int ret)
{
	return ret == -1 ? DSP_E_INTERNAL : ret;
}

struct store_volume_walk {
	struct store_txn	*t;
	store_txn_volume_cb	 cb;
	void			*arg;
};

static int
store_walk_volume_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_volume_walk	*vw = arg;
	struct volume_record		 vr;

	if (store_decode_volume(v->mv_data, v->mv_size, &vr) == -1) {
		store_fail(vw->t, DSP_E_INTERNAL, "the store's record of "
		    "volume %.*s is corrupt", (int)k->mv_size,
		    (const char *)k->mv_data);
		return -1;
	}
	return vw->cb(vw->t, &vr, vw->arg);
}

int
store_walk_volumes(struct store_txn *t, store_txn_volume_cb cb, void *arg)
{
	return store_walk_volumes_after(t, NULL, cb, arg);
}

struct store_after_walk {
	const char			*after;
	struct store_volume_walk	 vw;
};

static int
store_walk_after_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_after_walk	*aw = arg;

	/* The range starts at `after` itself when it still exists. */
	if (k->mv_size == strlen(aw->after) &&
	    memcmp(k->mv_data, aw->after, k->mv_size) == 0)
		return 0;
	return store_walk_volume_one(k, v, &aw->vw);
}

int
store_walk_volumes_after(struct store_txn *t, const char *after,
    store_txn_volume_cb cb, void *arg)
{
	struct store_after_walk	aw = { after, { t, cb, arg } };
	MDB_val			from;

	if (after == NULL)
		return store_walk(t, t->s->volumes, NULL,
		    store_walk_volume_one, &aw.vw);
	from.mv_data = (void *)after;
	from.mv_size = strlen(after);
	return store_walk(t, t->s->volumes, &from, store_walk_after_one, &aw);
}

struct store_region_use {
	uint64_t	 off;
	uint64_t	 len;
	const char	*skip;
	char		*user;
};

static int
store_region_user_one(const char *volume, uint64_t off, uint64_t len,
    void *arg)
{
	struct store_region_use	*u = arg;

	if (u->skip != NULL && strcmp(volume, u->skip) == 0)
		return 0;
	/* Half-open ranges [a, a+n) overlap iff each starts before the
	 * other ends. */
	if (off < u->off + u->len && u->off < off + len) {
		store_copy(u->user, DSP_NAME_MAX + 1, volume);
		return 1;
	}
	return 0;
}

int
store_region_user(struct store_txn *t, const char *server, const char *region,
    uint64_t off, uint64_t len, const char *skip, char *user)
{
	struct store_region_use	u = { off, len, skip, user };

	user[0] = '\0';
	return store_region_extents(t, server, region, store_region_user_one,
	    &u);
}

int
store_names_add(struct store_names *sn, const char *name, size_t len)
{
	dsp_name	*p;

	if (sn->count == sn->cap) {
		sn->cap = sn->cap ? sn->cap * 2 : 16;
		if ((p = reallocarray(sn->names, sn->cap,
		    sizeof(*p))) == NULL)
			return store_fail(sn->t, DSP_E_INTERNAL,
			    "out of memory");
		sn->names = p;
	}
	memcpy(sn->names[sn->count], name, len);
	sn->names[sn->count++][len] = '\0';
	return 0;
}

int
store_collect_volume(struct store_txn *t, const struct volume_record *v,
    void *arg)
{
	(void)t;
	return store_names_add(arg, v->name, strlen(v->name));
}
