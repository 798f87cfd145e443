/*
 * What the admin builds and removes: volumes. A byte of a region
 * belongs to at most one volume, checked against every extent.
 */
#include <string.h>
#include <time.h>

#include "store_internal.h"

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
	v.generation = 1;
	v.created_at = t->now;
	v.extent_count = 1;
	e = &v.extents[0];
	store_copy(e->server, sizeof(e->server), server);
	store_copy(e->region, sizeof(e->region), region);
	e->offset = 0;
	e->length = rr.size;
	e->acked_generation = 1;
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
	if ((rc = store_volume_remove(t, name)) != DSP_OK)
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
