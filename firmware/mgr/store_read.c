/*
 * Readers: one read transaction per call, so a listing is a consistent
 * snapshot and never blocks the writer. A record that does not decode
 * is logged and skipped rather than hiding the rest of the table.
 * The _after readers serve listings in pages: each page is a fresh
 * transaction, so a listing read slowly holds no reader open between
 * pages (and is not one snapshot).
 */
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"

union store_each_cb {
	store_server_cb	server;
	store_region_cb	region;
	store_volume_cb	volume;
	store_audit_cb	audit;
};

struct store_each {
	const char		*table;
	union store_each_cb	 cb;
	void			*arg;
};

static void
store_each_corrupt(const struct store_each *e, const MDB_val *k)
{
	log_warnx("store: skipping a corrupt %s record (key of %zu bytes)",
	    e->table, k->mv_size);
}

static int
store_each_server_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_each	*e = arg;
	struct server_record	 sr;

	if (store_decode_server(v->mv_data, v->mv_size, &sr) == -1) {
		store_each_corrupt(e, k);
		return 0;
	}
	return e->cb.server(&sr, e->arg);
}

static int
store_each_region_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_each	*e = arg;
	struct region_record	 rr;

	if (store_decode_region(v->mv_data, v->mv_size, &rr) == -1) {
		store_each_corrupt(e, k);
		return 0;
	}
	return e->cb.region(&rr, e->arg);
}

static int
store_each_volume_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_each	*e = arg;
	struct volume_record	 vr;

	if (store_decode_volume(v->mv_data, v->mv_size, &vr) == -1) {
		store_each_corrupt(e, k);
		return 0;
	}
	return e->cb.volume(&vr, e->arg);
}

static int
store_each_audit_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_each	*e = arg;
	struct audit_record	 a;
	const uint8_t		*p = k->mv_data;
	int			 i;

	if (k->mv_size != 8 ||
	    store_decode_audit(v->mv_data, v->mv_size, &a) == -1) {
		store_each_corrupt(e, k);
		return 0;
	}
	for (i = 0; i < 8; i++)
		a.seq = a.seq << 8 | p[i];
	return e->cb.audit(&a, e->arg);
}

/* The walk of one table from key `after` on, `after` itself left out
 * (NULL: from the first key). */
struct store_after {
	const MDB_val		*after;
	store_raw_cb		 one;
	struct store_each	*e;
};

static int
store_after_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_after	*a = arg;

	if (a->after != NULL && k->mv_size == a->after->mv_size &&
	    memcmp(k->mv_data, a->after->mv_data, k->mv_size) == 0)
		return 0;
	return a->one(k, v, a->e);
}

static int
store_each_from(struct store *s, MDB_dbi dbi, const MDB_val *after,
    store_raw_cb one, struct store_each *e)
{
	struct store_txn	t;
	struct store_after	a = { after, one, e };
	char			err[256];
	int			ret;

	err[0] = '\0';
	if (store_begin(s, &t, 0, 0, err, sizeof(err)) != DSP_OK) {
		log_warnx("store: listing %s: %s", e->table, err);
		return -1;
	}
	if ((ret = store_walk(&t, dbi, after, store_after_one, &a)) == -1)
		log_warnx("store: listing %s: %s", e->table, err);
	store_end(&t, DSP_OK);
	return ret;
}

static int
store_each(struct store *s, MDB_dbi dbi, store_raw_cb one,
    struct store_each *e)
{
	return store_each_from(s, dbi, NULL, one, e);
}

int
store_each_server(struct store *s, store_server_cb cb, void *arg)
{
	struct store_each	e = { "server", { .server = cb }, arg };

	return store_each(s, s->servers, store_each_server_one, &e);
}

int
store_each_region(struct store *s, store_region_cb cb, void *arg)
{
	struct store_each	e = { "region", { .region = cb }, arg };

	return store_each(s, s->regions, store_each_region_one, &e);
}

int
store_each_volume(struct store *s, store_volume_cb cb, void *arg)
{
	struct store_each	e = { "volume", { .volume = cb }, arg };

	return store_each(s, s->volumes, store_each_volume_one, &e);
}

/* A key from a name: NULL for NULL or "". */
static const MDB_val *
store_after_key(MDB_val *k, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return NULL;
	k->mv_data = (void *)(uintptr_t)name;
	k->mv_size = strnlen(name, DSP_NAME_MAX);
	return k;
}

int
store_each_server_after(struct store *s, const char *after,
    store_server_cb cb, void *arg)
{
	struct store_each	e = { "server", { .server = cb }, arg };
	MDB_val			k;

	return store_each_from(s, s->servers, store_after_key(&k, after),
	    store_each_server_one, &e);
}

int
store_each_region_after(struct store *s, const char *server,
    const char *region, store_region_cb cb, void *arg)
{
	struct store_each	e = { "region", { .region = cb }, arg };
	char			key[STORE_REGION_KEY_MAX];
	MDB_val			k;

	if (server == NULL || server[0] == '\0')
		return store_each(s, s->regions, store_each_region_one, &e);
	k.mv_size = store_region_key(key, server, region);
	k.mv_data = key;
	return store_each_from(s, s->regions, &k, store_each_region_one, &e);
}

int
store_each_volume_after(struct store *s, const char *after,
    store_volume_cb cb, void *arg)
{
	struct store_each	e = { "volume", { .volume = cb }, arg };
	MDB_val			k;

	return store_each_from(s, s->volumes, store_after_key(&k, after),
	    store_each_volume_one, &e);
}

struct store_region_volumes {
	struct store_txn	*t;
	store_volume_cb		 cb;
	void			*arg;
};

static int
store_region_volume_one(const char *volume, uint64_t offset,
    uint64_t length, void *arg)
{
	struct store_region_volumes	*rv = arg;
	struct volume_record		 vr;

	(void)offset;
	(void)length;
	/* The index is written with the table: a miss is a corrupt row. */
	if (store_volume_load(rv->t, volume, &vr) != DSP_OK) {
		log_warnx("store: the extents index names volume %s, which "
		    "cannot be read", volume);
		return 0;
	}
	return rv->cb(&vr, rv->arg);
}

int
store_each_region_volume(struct store *s, const char *server,
    const char *region, store_volume_cb cb, void *arg)
{
	struct store_txn		t;
	struct store_region_volumes	rv = { &t, cb, arg };
	char				err[256];
	int				ret;

	err[0] = '\0';
	if (store_begin(s, &t, 0, 0, err, sizeof(err)) != DSP_OK) {
		log_warnx("store: listing the volumes of region %s:%s: %s",
		    server, region, err);
		return -1;
	}
	if ((ret = store_region_extents(&t, server, region,
	    store_region_volume_one, &rv)) == -1)
		log_warnx("store: listing the volumes of region %s:%s: %s",
		    server, region, err);
	store_end(&t, DSP_OK);
	return ret;
}

int
store_each_audit(struct store *s, store_audit_cb cb, void *arg)
{
	struct store_each	e = { "audit", { .audit = cb }, arg };

	return store_each(s, s->audit, store_each_audit_one, &e);
}

int
store_get_volume(struct store *s, const char *name, struct volume_record *out)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 0, 0, NULL, 0)) != DSP_OK)
		return rc;
	rc = store_volume_load(&t, name, out);
	return store_end(&t, rc);
}

int
store_get_server(struct store *s, const char *name, struct server_record *out)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 0, 0, NULL, 0)) != DSP_OK)
		return rc;
	rc = store_server_load(&t, name, out);
	return store_end(&t, rc);
}

/*
 * An out-of-sync mirror leg does not fence its volume: it is never read
 * before a resync rewrites it, and its agent learns the generation when
 * it registers (a resync waits for that ack).
 */
int
volume_is_fenced(const struct volume_record *v)
{
	const struct volume_extent	*e;
	uint16_t			 i;

	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (v->form == DSP_FORM_MIRROR &&
		    e->leg_state == DSP_LEG_OUT_OF_SYNC)
			continue;
		if (e->acked_generation < v->generation)
			return 1;
	}
	return 0;
}

int
volume_all_acked(const struct volume_record *v)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		if (v->extents[i].acked_generation < v->generation)
			return 0;
	return 1;
}

/* The key of the count-th row from the end (the first row when there
 * are fewer), by stepping back from the last: no walk of the rest. */
static int
store_audit_tail_key(struct store_txn *t, MDB_dbi dbi, unsigned int count,
    MDB_val *k)
{
	MDB_cursor	*c;
	MDB_val		 v;
	int		 rc;

	if ((rc = mdb_cursor_open(t->txn, dbi, &c)) != 0) {
		store_mdb_fail(t, "reading the audit trail", rc);
		return -1;
	}
	rc = mdb_cursor_get(c, k, &v, MDB_LAST);
	while (rc == 0 && --count > 0 &&
	    (rc = mdb_cursor_get(c, k, &v, MDB_PREV)) == 0)
		;
	if (rc == MDB_NOTFOUND && count > 0)
		rc = mdb_cursor_get(c, k, &v, MDB_FIRST);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 1;
	if (rc != 0) {
		store_mdb_fail(t, "reading the audit trail", rc);
		return -1;
	}
	return 0;
}

int
store_each_audit_last(struct store *s, unsigned int count, store_audit_cb cb,
    void *arg)
{
	struct store_each	e = { "audit", { .audit = cb }, arg };
	struct store_txn	t;
	MDB_val			k;
	char			err[256];
	int			ret;

	err[0] = '\0';
	if (count == 0)
		return 0;
	if (store_begin(s, &t, 0, 0, err, sizeof(err)) != DSP_OK) {
		log_warnx("store: listing audit: %s", err);
		return -1;
	}
	if ((ret = store_audit_tail_key(&t, s->audit, count, &k)) == 0)
		ret = store_walk(&t, s->audit, &k, store_each_audit_one, &e);
	store_end(&t, DSP_OK);
	return ret == 1 ? 0 : ret;
}
