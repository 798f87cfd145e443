/*
 * The dspPool scalars. Counts of whole tables come from LMDB's own
 * entry counts; the figures that need every row (health, capacity)
 * are summed once per change of the store and kept until the next,
 * so a poller that asks every minute costs one pass per change, not
 * one per request.
 */
#include <string.h>
#include <time.h>

#include "objects.h"

struct pool_walk {
	struct view		*v;
	struct pool_figures	*p;
};

static int
pool_server(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct pool_walk	*w = arg;
	struct server_record	 sr;

	(void)k;
	if (store_decode_server(d->mv_data, d->mv_size, &sr) == 0 &&
	    sr.up && !sr.retired)
		w->p->servers_up++;
	return 0;
}

static int
pool_region(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct pool_walk	*w = arg;
	struct region_record	 rr;

	(void)k;
	if (store_decode_region(d->mv_data, d->mv_size, &rr) == 0 &&
	    rr.available) {
		w->p->capacity += rr.size;
		w->p->free += rr.size;
	}
	return 0;
}

static int
pool_volume(struct store_txn *t, const struct volume_record *vr, void *arg)
{
	struct pool_walk	*w = arg;
	struct region_record	 rr;
	uint16_t		 i;
	int			 health;

	if (vr->borrower[0] != '\0') {
		w->p->lent++;
		w->p->lent_bytes += vr->size;
	}
	if (vr->mounted)
		w->p->mounted++;
	if ((health = rows_health(w->v, vr)) == DSP_HEALTH_DEGRADED ||
	    health == DSP_HEALTH_RESYNCING)
		w->p->degraded++;
	else if (health == DSP_HEALTH_FAILED)
		w->p->failed++;
	/* Bytes of available regions in use are not free. */
	for (i = 0; i < vr->extent_count; i++)
		if (store_region_load(t, vr->extents[i].server,
		    vr->extents[i].region, &rr) == DSP_OK && rr.available &&
		    w->p->free >= vr->extents[i].length)
			w->p->free -= vr->extents[i].length;
	return 0;
}

static uint64_t
pool_entries(struct view *v, MDB_dbi dbi)
{
	MDB_stat	st;

	return mdb_stat(v->t.txn, dbi, &st) == 0 ? st.ms_entries : 0;
}

int
pool_refresh(struct view *v)
{
	struct pool_figures	*p = v->pool;
	struct pool_walk	 w = { v, p };

	if (p->valid && p->changes == v->changes)
		return DSP_OK;
	memset(p, 0, sizeof(*p));
	p->servers = pool_entries(v, v->t.s->servers);
	p->regions = pool_entries(v, v->t.s->regions);
	p->volumes = pool_entries(v, v->t.s->volumes);
	if (store_walk(&v->t, v->t.s->servers, NULL, pool_server, &w) == -1 ||
	    store_walk(&v->t, v->t.s->regions, NULL, pool_region, &w) == -1 ||
	    store_walk_volumes(&v->t, pool_volume, &w) == -1)
		return DSP_E_INTERNAL;
	p->changes = v->changes;
	p->valid = 1;
	return DSP_OK;
}

static int
pool_store(struct view *v, unsigned int n, struct cell *c)
{
	char		release[64];
	uint64_t	started, now = (uint64_t)time(NULL);
	MDB_envinfo	ei;
	MDB_stat	st;
	int		rc;

	switch (n) {
	case 12: cell_int(c, CELL_COUNTER64, v->changes); break;
	case 13: cell_time(c, v->changed_at); break;
	case 14:
		if (mdb_env_info(v->t.s->env, &ei) != 0 ||
		    mdb_env_stat(v->t.s->env, &st) != 0 || ei.me_mapsize == 0)
			return DSP_E_INTERNAL;
		cell_int(c, CELL_GAUGE, (uint64_t)(ei.me_last_pgno + 1) *
		    st.ms_psize * 100 / ei.me_mapsize);
		break;
	default:
		if ((rc = store_manager_info(&v->t, release, sizeof(release),
		    &started)) != DSP_OK)
			return rc;
		if (n == 15)
			cell_str(c, release);
		else
			cell_int(c, CELL_TIMETICKS, started == 0 ||
			    now < started ? 0 : (now - started) * 100);
		break;
	}
	return DSP_OK;
}

int
pool_scalar(struct view *v, unsigned int n, struct cell *c)
{
	const struct pool_figures	*p = v->pool;
	int				 rc;

	if (n >= 12)
		return pool_store(v, n, c);
	if ((rc = pool_refresh(v)) != DSP_OK)
		return rc;
	switch (n) {
	case 1: cell_int(c, CELL_GAUGE, p->servers); break;
	case 2: cell_int(c, CELL_GAUGE, p->servers_up); break;
	case 3: cell_int(c, CELL_GAUGE, p->regions); break;
	case 4: cell_int(c, CELL_GAUGE, p->volumes); break;
	case 5: cell_int(c, CELL_GAUGE, p->lent); break;
	case 6: cell_int(c, CELL_GAUGE, p->mounted); break;
	case 7: cell_int(c, CELL_GAUGE, p->degraded); break;
	case 8: cell_int(c, CELL_GAUGE, p->failed); break;
	case 9: cell_int(c, CELL_COUNTER64, p->capacity); break;
	case 10: cell_int(c, CELL_COUNTER64, p->free); break;
	default: cell_int(c, CELL_COUNTER64, p->lent_bytes); break;
	}
	return DSP_OK;
}
