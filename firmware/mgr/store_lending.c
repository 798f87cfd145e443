/*
 * Lending rules. Each request is decided and recorded in one write
 * transaction, and LMDB runs one writer at a time, so two borrowers
 * racing for a volume are served one after the other: the second sees
 * the first one's borrower and is refused.
 */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* The extent's server is up and its region available; else a reason. */
static int
lending_extent_reachable(struct store_txn *t, const struct volume_extent *e,
    char *why, size_t whylen)
{
	struct server_record	sr;
	struct region_record	rr;
	int			rc;

	rc = store_server_load(t, e->server, &sr);
	if (rc == DSP_E_NOTFOUND || (rc == DSP_OK && !sr.up)) {
		snprintf(why, whylen, "server %s is %s", e->server,
		    rc == DSP_OK ? "down" : "not registered");
		return DSP_E_UNAVAILABLE;
	}
	if (rc != DSP_OK)
		return rc;
	rc = store_region_load(t, e->server, e->region, &rr);
	if (rc == DSP_E_NOTFOUND) {
		snprintf(why, whylen, "server %s has no region %s", e->server,
		    e->region);
		return DSP_E_UNAVAILABLE;
	}
	if (rc != DSP_OK)
		return rc;
	if (!rr.available) {
		snprintf(why, whylen, "region %s of server %s is unavailable: "
		    "%s", e->region, e->server, rr.reason);
		return DSP_E_UNAVAILABLE;
	}
	return DSP_OK;
}

/*
 * Every extent reachable; for a mirror, one in-sync leg is enough: the
 * borrower reads from it and marks the others out of sync.
 */
static int
lending_check_reachable(struct store_txn *t, const struct volume_record *v)
{
	const struct volume_extent	*e;
	char				 why[256], first[256];
	uint16_t			 i;
	int				 rc, mirror = v->form == DSP_FORM_MIRROR;

	first[0] = '\0';
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (mirror && e->leg_state != DSP_LEG_IN_SYNC)
			continue;
		rc = lending_extent_reachable(t, e, why, sizeof(why));
		if (rc == DSP_OK && mirror)
			return DSP_OK;
		if (rc == DSP_E_UNAVAILABLE && !mirror)
			return store_fail(t, rc, "volume %s is unavailable: %s",
			    v->name, why);
		if (rc != DSP_OK && rc != DSP_E_UNAVAILABLE)
			return rc;
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", why);
	}
	if (mirror)
		return store_fail(t, DSP_E_UNAVAILABLE, "volume %s is "
		    "unavailable: no in-sync leg can be reached (%s)", v->name,
		    first[0] ? first : "no leg is in sync");
	return DSP_OK;
}

static int
lending_check_usable(struct store_txn *t, const struct volume_record *v)
{
	const struct volume_extent	*e;
	uint16_t			 i;
	int				 rc;

	if (v->hold_kind != VOLUME_HOLD_NONE)
		return store_fail(t, DSP_E_FENCED, "volume %s is held until an "
		    "admin resolves it (volume resolve %s): %s", v->name,
		    v->name, v->hold);
	if ((rc = lending_check_reachable(t, v)) != DSP_OK)
		return rc;
	if (!volume_is_fenced(v))
		return DSP_OK;
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (e->acked_generation < v->generation &&
		    !(v->form == DSP_FORM_MIRROR &&
		    e->leg_state == DSP_LEG_OUT_OF_SYNC))
			break;
	}
	return store_fail(t, DSP_E_FENCED, "volume %s waits for server %s to "
	    "acknowledge generation %llu", v->name,
	    i < v->extent_count ? v->extents[i].server : "?",
	    (unsigned long long)v->generation);
}

/* The volume is lent to this borrower. */
int
store_check_owner(struct store_txn *t, const struct volume_record *v,
    const char *borrower)
{
	if (v->borrower[0] == '\0')
		return store_fail(t, DSP_E_STATE, "volume %s is not allocated "
		    "to you", v->name);
	if (strcmp(v->borrower, borrower) != 0)
		return store_fail(t, DSP_E_BUSY, "volume %s is lent to %s",
		    v->name, v->borrower);
	return DSP_OK;
}

/* A lending request as a group-commit job. */
struct lending_job {
	const char		*actor;
	const char		*borrower;
	const char		*name;
	uint64_t		 min_size;
	struct volume_record	 v;
};

static int
lending_run(struct store *s, store_job_fn fn, struct lending_job *j,
    uint64_t now, struct volume_record *out, char *err, size_t errlen)
{
	int	rc;

	if ((rc = store_write(s, now, fn, j, err, errlen)) == DSP_OK &&
	    out != NULL)
		*out = j->v;
	return rc;
}

struct lending_pick {
	unsigned int		 unusable;
	struct volume_record	*best;
};

/* The free volumes come smallest first: the first usable one fits best. */
static int
lending_pick_one(struct store_txn *t, const char *name, uint64_t size,
    void *arg)
{
	struct lending_pick	*p = arg;
	int			 rc;

	(void)size;
	if ((rc = store_volume_load(t, name, p->best)) != DSP_OK)
		return rc;
	if (p->best->borrower[0] != '\0')
		return store_fail(t, DSP_E_INTERNAL, "the store's index of free "
		    "volumes lists volume %s, lent to %s", name,
		    p->best->borrower);
	rc = lending_check_usable(t, p->best);
	if (rc == DSP_E_UNAVAILABLE || rc == DSP_E_FENCED) {
		p->unusable++;
		return 0;
	}
	return rc == DSP_OK ? 1 : rc;
}

/* The smallest free, usable volume of at least min_size. */
static int
lending_pick(struct store_txn *t, uint64_t min_size, struct volume_record *v)
{
	struct lending_pick	p = { 0, v };
	int			rc;

	rc = store_free_volumes(t, min_size, lending_pick_one, &p);
	if (rc == 1)
		return DSP_OK;
	if (rc != 0)
		return store_walk_status(rc);
	if (p.unusable > 0)
		return store_fail(t, DSP_E_NOSPACE, "no free volume of at "
		    "least %llu bytes is usable (%u unavailable or fenced)",
		    (unsigned long long)min_size, p.unusable);
	return store_fail(t, DSP_E_NOSPACE, "no free volume of at least "
	    "%llu bytes", (unsigned long long)min_size);
}

/* DSP_OK with changed = 0 if it is already lent to this borrower. */
static int
lending_by_name(struct store_txn *t, const char *borrower, const char *name,
    uint64_t min_size, struct volume_record *v, int *changed)
{
	int	rc;

	*changed = 0;
	if ((rc = store_volume_load(t, name, v)) != DSP_OK)
		return rc;
	if (strcmp(v->borrower, borrower) == 0)
		return DSP_OK;
	if (v->borrower[0] != '\0')
		return store_fail(t, DSP_E_BUSY, "volume %s is lent to %s",
		    name, v->borrower);
	if (v->size < min_size)
		return store_fail(t, DSP_E_NOSPACE, "volume %s has %llu bytes, "
		    "less than the %llu asked for", name,
		    (unsigned long long)v->size, (unsigned long long)min_size);
	*changed = 1;
	return lending_check_usable(t, v);
}

static int
lending_allocate(struct store_txn *t, const char *borrower, const char *name,
    uint64_t min_size, struct volume_record *v)
{
	int	rc, changed = 1;

	if (!msg_name_valid(borrower))
		return store_fail(t, DSP_E_INVALID, "bad borrower name");
	if (name[0] == '\0')
		rc = lending_pick(t, min_size, v);
	else
		rc = lending_by_name(t, borrower, name, min_size, v, &changed);
	if (rc != DSP_OK || !changed)
		return rc;
	store_copy(v->borrower, sizeof(v->borrower), borrower);
	if ((rc = store_volume_save(t, v)) != DSP_OK)
		return rc;
	return store_audit_add(t, borrower, "allocate", v->name, "%llu bytes%s",
	    (unsigned long long)v->size, name[0] == '\0' ? ", by size" : "");
}

static int
lending_allocate_job(struct store_txn *t, void *arg)
{
	struct lending_job	*j = arg;

	return lending_allocate(t, j->borrower, j->name, j->min_size, &j->v);
}

int
store_allocate(struct store *s, const char *borrower, const char *name,
    uint64_t min_size, uint64_t now, struct volume_record *out, char *err,
    size_t errlen)
{
	struct lending_job	j = { .borrower = borrower,
				    .name = name != NULL ? name : "",
				    .min_size = min_size };

	return lending_run(s, lending_allocate_job, &j, now, out, err, errlen);
}

static int
lending_mount(struct store_txn *t, const char *borrower, const char *name,
    struct volume_record *v)
{
	int	rc;

	if ((rc = store_volume_load(t, name, v)) != DSP_OK ||
	    (rc = store_check_owner(t, v, borrower)) != DSP_OK ||
	    (rc = lending_check_usable(t, v)) != DSP_OK)
		return rc;
	if (v->mounted)
		return DSP_OK;
	v->mounted = 1;
	if ((rc = store_volume_save(t, v)) != DSP_OK)
		return rc;
	return store_audit_add(t, borrower, "mount", name, "generation %llu",
	    (unsigned long long)v->generation);
}

static int
lending_mount_job(struct store_txn *t, void *arg)
{
	struct lending_job	*j = arg;

	return lending_mount(t, j->borrower, j->name, &j->v);
}

int
store_mount(struct store *s, const char *borrower, const char *name,
    uint64_t now, struct volume_record *out, char *err, size_t errlen)
{
	struct lending_job	j = { .borrower = borrower, .name = name };

	return lending_run(s, lending_mount_job, &j, now, out, err, errlen);
}

int
store_check_mounted(struct store *s, const char *borrower, const char *name,
    struct volume_record *out, char *err, size_t errlen)
{
	struct store_txn	t;
	struct volume_record	v;
	int			rc;

	if ((rc = store_begin(s, &t, 0, 0, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = store_volume_load(&t, name, &v)) == DSP_OK &&
	    (rc = store_check_owner(&t, &v, borrower)) == DSP_OK &&
	    !v.mounted)
		rc = store_fail(&t, DSP_E_STATE, "volume %s is not mounted",
		    name);
	if ((rc = store_end(&t, rc)) == DSP_OK && out != NULL)
		*out = v;
	return rc;
}

/*
 * A borrower forced off a mounted mirror may have died between writing
 * one leg and the next, and while every leg was in sync it marked
 * nothing: only the first in-sync leg stays the reference, the others
 * are copied whole. A resync in progress starts over (same bitmap).
 * Returns how many legs went out of sync.
 */
static int
lending_force_legs(struct volume_record *v)
{
	struct volume_extent	*e;
	uint16_t		 i;
	int			 ref = 0, n = 0;

	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (e->leg_state == DSP_LEG_IN_SYNC && !ref) {
			ref = 1;
			continue;
		}
		/* A held leg may miss a refused write the borrower died
		 * before reporting. */
		if (e->leg_state == DSP_LEG_OUT_OF_SYNC && e->backup_hold) {
			e->hold_missed = 1;
			e->full_resync = 1;
		}
		if (e->leg_state == DSP_LEG_OUT_OF_SYNC)
			continue;
		if (e->leg_state == DSP_LEG_IN_SYNC) {
			e->full_resync = 1;
			snprintf(e->leg_reason, sizeof(e->leg_reason), "forced "
			    "unmount: writes of %s may be on some legs only",
			    v->borrower);
		} else
			snprintf(e->leg_reason, sizeof(e->leg_reason), "forced "
			    "unmount of %s during the resync", v->borrower);
		e->leg_state = DSP_LEG_OUT_OF_SYNC;
		e->resync_done = e->resync_total = 0;
		n++;
	}
	return n;
}

void
store_bump_generation(struct volume_record *v, uint64_t now)
{
	uint16_t	i;

	v->generation++;
	v->generation_at = now;
	/* Nobody is left there to tell, nor to serve an old ticket. */
	for (i = 0; i < v->extent_count; i++)
		if (v->extents[i].server_retired)
			v->extents[i].acked_generation = v->generation;
}

/* Bumps the generation: tickets of the old one stop working once the
 * agents acknowledge it, and until then the volume is fenced. */
static int
lending_do_unmount(struct store_txn *t, const char *actor,
    struct volume_record *v, int forced)
{
	char	legs[64];
	int	rc, n = 0;

	if (forced && v->form == DSP_FORM_MIRROR)
		n = lending_force_legs(v);
	v->mounted = 0;
	store_bump_generation(v, t->now);
	if ((rc = store_volume_save(t, v)) != DSP_OK)
		return rc;
	legs[0] = '\0';
	if (n > 0)
		snprintf(legs, sizeof(legs), "; %d leg%s out of sync", n,
		    n == 1 ? "" : "s");
	return store_audit_add(t, actor, forced ? "force-unmount" : "unmount",
	    v->name, "generation %llu, was mounted by %s%s",
	    (unsigned long long)v->generation, v->borrower, legs);
}

static int
lending_unmount(struct store_txn *t, const char *actor, const char *borrower,
    const char *name, struct volume_record *v)
{
	int	rc;

	if ((rc = store_volume_load(t, name, v)) != DSP_OK)
		return rc;
	if (borrower != NULL &&
	    (rc = store_check_owner(t, v, borrower)) != DSP_OK)
		return rc;
	if (!v->mounted)
		return store_fail(t, DSP_E_STATE, "volume %s is not mounted",
		    name);
	return lending_do_unmount(t, actor != NULL ? actor : borrower, v,
	    borrower == NULL);
}

static int
lending_unmount_job(struct store_txn *t, void *arg)
{
	struct lending_job	*j = arg;

	return lending_unmount(t, j->actor, j->borrower, j->name, &j->v);
}

int
store_unmount(struct store *s, const char *actor, const char *borrower,
    const char *name, uint64_t now, struct volume_record *out, char *err,
    size_t errlen)
{
	struct lending_job	j = { .actor = actor, .borrower = borrower,
				    .name = name };

	return lending_run(s, lending_unmount_job, &j, now, out, err, errlen);
}

static int
lending_release(struct store_txn *t, const char *actor, const char *borrower,
    const char *name, struct volume_record *v)
{
	dsp_name	was;
	int		rc, forced = borrower == NULL;

	if (actor == NULL)
		actor = forced ? "" : borrower;
	if ((rc = store_volume_load(t, name, v)) != DSP_OK)
		return rc;
	if (!forced && (rc = store_check_owner(t, v, borrower)) != DSP_OK)
		return rc;
	if (forced && v->borrower[0] == '\0')
		return store_fail(t, DSP_E_STATE, "volume %s is not allocated",
		    name);
	if (!forced && v->mounted)
		return store_fail(t, DSP_E_STATE, "volume %s is still mounted; "
		    "unmount it first", name);
	if (v->mounted && (rc = lending_do_unmount(t, actor, v, 1)) != DSP_OK)
		return rc;
	store_copy(was, sizeof(was), v->borrower);
	v->borrower[0] = '\0';
	if ((rc = store_volume_save(t, v)) != DSP_OK)
		return rc;
	return store_audit_add(t, actor, forced ? "force-release" : "release",
	    name, "was lent to %s", was);
}

static int
lending_release_job(struct store_txn *t, void *arg)
{
	struct lending_job	*j = arg;

	return lending_release(t, j->actor, j->borrower, j->name, &j->v);
}

int
store_release(struct store *s, const char *actor, const char *borrower,
    const char *name, uint64_t now, struct volume_record *out, char *err,
    size_t errlen)
{
	struct lending_job	j = { .actor = actor, .borrower = borrower,
				    .name = name };

	return lending_run(s, lending_release_job, &j, now, out, err, errlen);
}
