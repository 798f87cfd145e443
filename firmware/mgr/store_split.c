/*
 * Split-leg copies (docs/BACKUP.md): a backup takes one in-sync mirror
 * leg out of the write set, copies it while the borrower goes on
 * writing the others (its writes mark the bitmap, since a leg is out
 * of sync), and gives it back for the borrower to resync. The hold is
 * a flag of the extent, with a time it runs out, so a backup that died
 * never keeps a leg out of the mirror for ever.
 */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static int
split_load(struct store_txn *t, const char *volume, struct volume_record *v)
{
	int	rc;

	if ((rc = store_volume_load(t, volume, v)) != DSP_OK)
		return rc;
	if (v->form != DSP_FORM_MIRROR)
		return store_fail(t, DSP_E_INVALID, "volume %s is a %s volume, "
		    "not a mirror: it has no leg to split off", volume,
		    dsp_form_name(v->form));
	return DSP_OK;
}

/* Index of the held leg, or -1. */
static int
split_held(const struct volume_record *v)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		if (v->extents[i].backup_hold)
			return i;
	return -1;
}

/* The leg given to the backup: the last in sync whose server is up
 * (the borrower keeps the others); refused when fewer than two legs
 * are in sync and reachable. */
static int
split_pick(struct store_txn *t, const struct volume_record *v, int *pick)
{
	const struct volume_extent	*e, *behind = NULL;
	struct server_record		 sr;
	int				 i, n = 0, up = 0;

	*pick = -1;
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		/* Its resync may read from the leg to be held. */
		if (e->leg_state == DSP_LEG_RESYNCING)
			return store_fail(t, DSP_E_BUSY, "leg %s:%s of volume "
			    "%s is resyncing; a split-leg copy waits until it "
			    "is in sync", e->server, e->region, v->name);
		if (e->leg_state != DSP_LEG_IN_SYNC) {
			behind = e;
			continue;
		}
		n++;
		if (store_server_load(t, e->server, &sr) == DSP_OK && sr.up) {
			*pick = i;
			up++;
		}
	}
	if (n < 2 && behind != NULL)
		return store_fail(t, DSP_E_STATE, "volume %s has %d in-sync "
		    "leg%s; a split-leg copy needs two (leg %s:%s is %s: %s)",
		    v->name, n, n == 1 ? "" : "s", behind->server,
		    behind->region, dsp_leg_state_name(behind->leg_state),
		    behind->leg_reason[0] ? behind->leg_reason : "no reason");
	if (n < 2)
		return store_fail(t, DSP_E_STATE, "volume %s has %d in-sync "
		    "leg%s; a split-leg copy needs two", v->name, n,
		    n == 1 ? "" : "s");
	/* The borrower must keep a leg it can reach. */
	if (up < 2)
		return store_fail(t, DSP_E_UNAVAILABLE, "volume %s has %d "
		    "in-sync leg%s on a server that is up; a split-leg copy "
		    "needs two", v->name, up, up == 1 ? "" : "s");
	return DSP_OK;
}

static int
split_leg(struct store_txn *t, const char *actor, const char *volume,
    uint64_t until, uint16_t *leg, struct volume_extent *out)
{
	struct volume_record	 v;
	struct volume_extent	*e;
	int			 rc, held, pick;

	if ((rc = split_load(t, volume, &v)) != DSP_OK)
		return rc;
	if (v.chunk_size == 0)
		return store_fail(t, DSP_E_INTERNAL, "mirror %s has no bitmap "
		    "chunk size", volume);
	if ((held = split_held(&v)) >= 0)
		return store_fail(t, DSP_E_BUSY, "leg %s:%s of volume %s is "
		    "already held for a backup copy", v.extents[held].server,
		    v.extents[held].region, volume);
	if ((rc = split_pick(t, &v, &pick)) != DSP_OK)
		return rc;
	e = &v.extents[pick];
	e->leg_state = DSP_LEG_OUT_OF_SYNC;
	e->resync_done = e->resync_total = 0;
	e->backup_hold = 1;
	e->hold_until = until;
	store_copy(e->leg_reason, sizeof(e->leg_reason), "held for a backup "
	    "copy");
	if ((rc = store_volume_save(t, &v)) != DSP_OK ||
	    (rc = store_audit_add(t, actor, "split-leg", volume, "leg %s:%s "
	    "out of the mirror for a backup copy", e->server,
	    e->region)) != DSP_OK)
		return rc;
	*leg = (uint16_t)pick;
	*out = *e;
	return DSP_OK;
}

int
store_split_leg(struct store *s, const char *actor, const char *volume,
    uint64_t now, uint64_t until, uint16_t *leg, struct volume_extent *e,
    char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	rc = split_leg(&t, actor, volume, until, leg, e);
	return store_end(&t, rc);
}

static int
split_count_in_sync(const struct volume_record *v)
{
	uint16_t	i;
	int		n = 0;

	for (i = 0; i < v->extent_count; i++)
		n += v->extents[i].leg_state == DSP_LEG_IN_SYNC;
	return n;
}

/*
 * Lifted, by the backup (split-end) or because it ran out. A leg that
 * missed no write is back in sync at once: the borrower never skipped
 * it (it is shown in sync until its LEG_FAIL is recorded, and a
 * LEG_FAIL still on its way marks it out of sync again when it comes).
 * Otherwise it is plainly out of sync, and the borrower, who knows,
 * resyncs it from the bitmap. *resync says which.
 */
static int
split_lift(struct store_txn *t, const char *actor, const char *action,
    struct volume_record *v, uint16_t leg, int *resync)
{
	struct volume_extent	*e = &v->extents[leg];
	int			 rc;

	/* A forced unmount or a retired server: the bitmap may lack what
	 * the leg missed, so it is never put back as it is. */
	*resync = e->hold_missed || e->full_resync || e->server_retired;
	e->backup_hold = 0;
	e->hold_until = 0;
	e->hold_missed = 0;
	if (*resync)
		store_copy(e->leg_reason, sizeof(e->leg_reason), "missed "
		    "writes while held for a backup copy");
	else {
		e->leg_state = DSP_LEG_IN_SYNC;
		e->leg_reason[0] = '\0';
	}
	if (!*resync && split_count_in_sync(v) == v->extent_count) {
		if ((rc = store_bitmap_remove(t, v->name)) != DSP_OK)
			return rc;
		v->dirty_chunks = 0;
	}
	if ((rc = store_volume_save(t, v)) != DSP_OK)
		return rc;
	return store_audit_add(t, actor, action, v->name, "leg %s:%s back to "
	    "the mirror, %s", e->server, e->region, *resync ? "to be resynced "
	    "from the bitmap" : "in sync (it missed no write)");
}

static int
split_end(struct store_txn *t, const char *actor, const char *volume,
    uint16_t leg, int *resync)
{
	struct volume_record	v;
	int			rc;

	if ((rc = split_load(t, volume, &v)) != DSP_OK)
		return rc;
	if (leg >= v.extent_count)
		return store_fail(t, DSP_E_INVALID, "volume %s has no leg %u "
		    "(it has %u)", volume, leg, v.extent_count);
	if (!v.extents[leg].backup_hold)
		return store_fail(t, DSP_E_STATE, "leg %s:%s of volume %s is "
		    "not held for a backup copy (its hold ran out and was "
		    "lifted, and the leg may have changed under the copy)",
		    v.extents[leg].server, v.extents[leg].region, volume);
	return split_lift(t, actor, "split-end", &v, leg, resync);
}

int
store_split_end(struct store *s, const char *actor, const char *volume,
    uint16_t leg, uint64_t now, int *resync, char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	rc = split_end(&t, actor, volume, leg, resync);
	return store_end(&t, rc);
}

int
store_split_extend(struct store *s, const char *volume, uint64_t until,
    uint16_t *leg, struct volume_extent *e)
{
	struct store_txn	t;
	struct volume_record	v;
	int			rc, held = -1;

	if (store_begin(s, &t, 1, 0, NULL, 0) != DSP_OK)
		return -1;
	rc = store_volume_load(&t, volume, &v);
	if (rc == DSP_OK && (held = split_held(&v)) >= 0 &&
	    v.extents[held].hold_until < until) {
		v.extents[held].hold_until = until;
		rc = store_volume_save(&t, &v);
	}
	if (store_end(&t, rc) != DSP_OK)
		return -1;
	if (held < 0)
		return 0;
	*leg = (uint16_t)held;
	*e = v.extents[held];
	return 1;
}

int
store_split_expire(struct store *s, const char *volume, uint16_t leg,
    uint64_t now, struct volume_extent *e)
{
	struct store_txn	t;
	struct volume_record	v;
	int			rc, expired = 0, resync;

	if (store_begin(s, &t, 1, now, NULL, 0) != DSP_OK)
		return 0;
	rc = store_volume_load(&t, volume, &v);
	if (rc == DSP_OK && leg < v.extent_count &&
	    v.extents[leg].backup_hold && v.extents[leg].hold_until <= now) {
		*e = v.extents[leg];
		expired = 1;
		rc = split_lift(&t, "manager", "split-expired", &v, leg,
		    &resync);
	}
	return store_end(&t, rc) == DSP_OK && expired;
}
