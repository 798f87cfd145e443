/*
 * What the admin builds and removes: volumes. A byte of a region
 * belongs to at most one volume, checked against every extent.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"

/*
 * Agents remember the highest generation they saw per volume name, so a
 * name that is deleted and built again must go on counting from where
 * the old volume stopped: meta "retired:NAME" keeps that number.
 */
static void
admin_retired_key(char *key, size_t keylen, const char *name, MDB_val *k)
{
	snprintf(key, keylen, "retired:%s", name);
	k->mv_size = strlen(key);
	k->mv_data = key;
}

static uint64_t
admin_retired_generation(struct store_txn *t, const char *name)
{
	char		key[DSP_NAME_MAX + 16];
	MDB_val		k, v;
	struct buf_reader r;
	uint64_t	gen;

	admin_retired_key(key, sizeof(key), name, &k);
	if (mdb_get(t->txn, t->s->meta, &k, &v) != 0)
		return 0;
	buf_reader_init(&r, v.mv_data, v.mv_size);
	gen = buf_get_u64(&r);
	return buf_reader_finish(&r) == 0 ? gen : 0;
}

static int
admin_retire_generation(struct store_txn *t, const char *name, uint64_t gen)
{
	char		key[DSP_NAME_MAX + 16];
	MDB_val		k, v;
	uint8_t		be[8];
	int		i, rc;

	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)(gen >> (56 - 8 * i));
	admin_retired_key(key, sizeof(key), name, &k);
	v.mv_size = sizeof(be);
	v.mv_data = be;
	if ((rc = mdb_put(t->txn, t->s->meta, &k, &v, 0)) != 0)
		return store_mdb_fail(t, "retire volume generation", rc);
	t->dirty = 1;
	return DSP_OK;
}

static int
admin_check_region(struct store_txn *t, const char *server,
    const char *region, struct region_record *rr)
{
	struct server_record	sr;
	dsp_name		user;
	int			rc;

	if ((rc = store_server_load(t, server, &sr)) != DSP_OK ||
	    (rc = store_region_load(t, server, region, rr)) != DSP_OK)
		return rc;
	if (!rr->available)
		return store_fail(t, DSP_E_UNAVAILABLE, "region %s of server "
		    "%s is unavailable: %s", region, server, rr->reason);
	if (rr->size == 0)
		return store_fail(t, DSP_E_INVALID, "region %s of server %s "
		    "is empty", region, server);
	rc = store_region_user(t, server, region, 0, rr->size, NULL, user);
	if (rc == 1)
		return store_fail(t, DSP_E_BUSY, "region %s of server %s is "
		    "already used by volume %s", region, server, user);
	return store_walk_status(rc);
}

static int
admin_create_single(struct store_txn *t, const char *actor, const char *name,
    const char *server, const char *region)
{
	struct volume_record	 v;
	struct volume_record	 old;
	struct region_record	 rr;
	struct volume_extent	*e;
	int			 rc;

	if (!msg_name_valid(name))
		return store_fail(t, DSP_E_INVALID, "bad volume name \"%.*s\": "
		    "use 1 to %d of A-Z a-z 0-9 . _ : -", DSP_NAME_MAX, name,
		    DSP_NAME_MAX);
	if ((rc = store_volume_load(t, name, &old)) == DSP_OK)
		return store_fail(t, DSP_E_INVALID, "volume %s already exists",
		    name);
	if (rc != DSP_E_NOTFOUND)
		return rc;
	if ((rc = admin_check_region(t, server, region, &rr)) != DSP_OK)
		return rc;

	memset(&v, 0, sizeof(v));
	store_copy(v.name, sizeof(v.name), name);
	v.form = DSP_FORM_SINGLE;
	v.size = rr.size;
	v.generation = admin_retired_generation(t, name) + 1;
	v.created_at = t->now;
	v.extent_count = 1;
	e = &v.extents[0];
	store_copy(e->server, sizeof(e->server), server);
	store_copy(e->region, sizeof(e->region), region);
	e->offset = 0;
	e->length = rr.size;
	e->acked_generation = v.generation;
	if ((rc = store_volume_save(t, &v)) != DSP_OK)
		return rc;
	return store_audit_add(t, actor, "create", name,
	    "single on %s/%s, %llu bytes", server, region,
	    (unsigned long long)rr.size);
}

int
store_volume_create_single(struct store *s, const char *actor,
    const char *name, const char *server, const char *region, uint64_t now,
    char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	rc = admin_create_single(&t, actor, name, server, region);
	return store_end(&t, rc);
}

static int
admin_delete(struct store_txn *t, const char *actor, const char *name)
{
	struct volume_record	v;
	int			rc;

	if ((rc = store_volume_load(t, name, &v)) != DSP_OK)
		return rc;
	if (v.mounted)
		return store_fail(t, DSP_E_BUSY, "volume %s is mounted by %s; "
		    "unmount and release it first", name, v.borrower);
	if (v.borrower[0] != '\0')
		return store_fail(t, DSP_E_BUSY, "volume %s is lent to %s; "
		    "release it first", name, v.borrower);
	/* An agent that missed the revocation would never learn of it once
	 * the volume is gone, and the old ticket would work there. */
	if (volume_is_fenced(&v))
		return store_fail(t, DSP_E_FENCED, "volume %s waits for its "
		    "lenders to acknowledge generation %llu; bring them back "
		    "first", name, (unsigned long long)v.generation);
	if ((rc = store_volume_remove(t, name)) != DSP_OK ||
	    (rc = admin_retire_generation(t, name, v.generation)) != DSP_OK)
		return rc;
	return store_audit_add(t, actor, "delete", name, "%s, %llu bytes, "
	    "generation %llu", dsp_form_name(v.form),
	    (unsigned long long)v.size, (unsigned long long)v.generation);
}

int
store_volume_delete(struct store *s, const char *actor, const char *name,
    char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, (uint64_t)time(NULL), err,
	    errlen)) != DSP_OK)
		return rc;
	rc = admin_delete(&t, actor, name);
	return store_end(&t, rc);
}
