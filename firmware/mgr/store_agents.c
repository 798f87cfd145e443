/*
 * What agents change: their server record (register, heartbeat, going
 * silent), their region list, and the generations they acknowledged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_internal.h"
#include "text.h"

#define REASON_RETIRED	"no longer registered"
#define REASON_GONE	"its server was retired"


static int
agents_check_register(const struct msg_register *m, char *err, size_t errlen)
{
	uint16_t	i, j;

	if (!msg_name_valid(m->server)) {
		store_set_err(err, errlen, "bad server name");
		return DSP_E_INVALID;
	}
	if (!msg_name_valid(m->host) || m->port == 0) {
		store_set_err(err, errlen, "server %s: bad data address",
		    m->server);
		return DSP_E_INVALID;
	}
	if (m->region_count > DSP_MAX_REGIONS) {
		store_set_err(err, errlen, "server %s: more than %d regions",
		    m->server, DSP_MAX_REGIONS);
		return DSP_E_INVALID;
	}
	for (i = 0; i < m->region_count; i++) {
		if (!msg_name_valid(m->regions[i].name)) {
			store_set_err(err, errlen, "server %s: bad region "
			    "name", m->server);
			return DSP_E_INVALID;
		}
		for (j = 0; j < i; j++)
			if (strcmp(m->regions[i].name,
			    m->regions[j].name) == 0) {
				store_set_err(err, errlen, "server %s: region "
				    "%s is listed twice", m->server,
				    m->regions[i].name);
				return DSP_E_INVALID;
			}
	}
	return DSP_OK;
}

static int
agents_collect_region(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct store_names	*rn = arg;
	size_t			 sl = strlen(rn->server);

	(void)v;
	/* Keys of this server are "server\0region"; stop past them. */
	if (k->mv_size <= sl + 1 || memcmp(k->mv_data, rn->server, sl) != 0 ||
	    ((const char *)k->mv_data)[sl] != '\0')
		return 1;
	if (k->mv_size - sl - 1 > DSP_NAME_MAX)
		return 0;
	return store_names_add(rn, (const char *)k->mv_data + sl + 1,
	    k->mv_size - sl - 1);
}

static int
agents_listed(const struct msg_register *m, const char *region)
{
	uint16_t	i;

	for (i = 0; i < m->region_count; i++)
		if (strcmp(m->regions[i].name, region) == 0)
			return 1;
	return 0;
}

/* A region the agent no longer lists is kept, unavailable, while a
 * volume uses it, so the table still shows where that volume lives. */
static int
agents_retire_region(struct store_txn *t, const char *server,
    const char *region)
{
	struct region_record	rr;
	dsp_name		user;
	int			rc;

	rc = store_region_user(t, server, region, 0, UINT64_MAX, NULL, user);
	if (rc == 0)
		return store_region_remove(t, server, region);
	if (rc != 1)
		return store_walk_status(rc);
	if ((rc = store_region_load(t, server, region, &rr)) != DSP_OK)
		return rc;
	if (!rr.available && strcmp(rr.reason, REASON_RETIRED) == 0)
		return DSP_OK;
	rr.available = 0;
	store_copy(rr.reason, sizeof(rr.reason), REASON_RETIRED);
	return store_region_save(t, &rr);
}

static int
agents_retire_regions(struct store_txn *t, const struct msg_register *m)
{
	struct store_names	rn = { t, m->server, 0, 0, NULL };
	char			key[STORE_REGION_KEY_MAX];
	MDB_val			from;
	size_t			i;
	int			rc;

	from.mv_size = store_region_key(key, m->server, "");
	from.mv_data = key;
	rc = store_walk(t, t->s->regions, &from, agents_collect_region, &rn);
	rc = rc == 1 ? DSP_OK : store_walk_status(rc);
	for (i = 0; rc == DSP_OK && i < rn.count; i++)
		if (!agents_listed(m, rn.names[i]))
			rc = agents_retire_region(t, m->server, rn.names[i]);
	free(rn.names);
	return rc;
}

static int
agents_put_region(struct store_txn *t, const char *server,
    const struct msg_region *mr)
{
	struct region_record	rr;
	dsp_name		user;
	int			rc;

	memset(&rr, 0, sizeof(rr));
	store_copy(rr.server, sizeof(rr.server), server);
	store_copy(rr.name, sizeof(rr.name), mr->name);
	rr.size = mr->size;
	rr.available = mr->available ? 1 : 0;
	/* A path of the agent's: escaped like its reasons. */
	text_escape(rr.backing, sizeof(rr.backing), mr->backing);
	/* The agent's words go to admins' screens and to SNMP: escaped
	 * here, once, within the record's field. */
	if (!rr.available)
		text_escape(rr.reason, sizeof(rr.reason),
		    mr->reason[0] != '\0' ? mr->reason :
		    "reported unavailable");
	if (rr.available) {
		/* A region that shrank below a volume's extent is unusable
		 * until it is restored. */
		rc = store_region_user(t, server, mr->name, mr->size,
		    UINT64_MAX - mr->size, NULL, user);
		if (rc == 1) {
			rr.available = 0;
			snprintf(rr.reason, sizeof(rr.reason), "only %llu "
			    "bytes, too small for volume %s",
			    (unsigned long long)mr->size, user);
		} else if (rc != 0)
			return store_walk_status(rc);
	}
	return store_region_save(t, &rr);
}

struct agents_page {
	const char			*server;
	struct msg_generation_page	*page;
};

static int
agents_page_one(struct store_txn *t, const char *name, uint64_t size,
    void *arg)
{
	struct agents_page	*ap = arg;
	struct msg_generations	*gens = &ap->page->gens;
	struct msg_generation	*g;
	struct volume_record	 v;
	int			 rc;

	(void)size;
	if (gens->count == DSP_MAX_GENERATIONS) {
		ap->page->more = 1;
		return 1;
	}
	if ((rc = store_volume_load(t, name, &v)) != DSP_OK)
		return rc;
	g = &gens->items[gens->count++];
	store_copy(g->volume, sizeof(g->volume), v.name);
	g->generation = v.generation;
	return 0;
}

/* The page of generations that follows volume `after` (NULL: the
 * first), from the server's own index. */
static int
agents_page(struct store_txn *t, const char *server, const char *after,
    struct msg_generation_page *page)
{
	struct agents_page	ap = { server, page };
	int			rc;

	page->gens.count = 0;
	page->more = 0;
	rc = store_server_volumes(t, server, after, agents_page_one, &ap);
	return rc == 1 ? DSP_OK : store_walk_status(rc);
}

/* A retired server may not come back under its name: its volumes were
 * let go without its acknowledgement. */
static int
agents_check_not_retired(struct store_txn *t, const char *server)
{
	struct server_record	sr;
	int			rc;

	rc = store_server_load(t, server, &sr);
	if (rc == DSP_E_NOTFOUND)
		return DSP_OK;
	if (rc != DSP_OK)
		return rc;
	if (sr.retired)
		return store_fail(t, DSP_E_STATE, "server %s was retired; it "
		    "may not register again under that name (issue it a "
		    "certificate with another name)", server);
	return DSP_OK;
}

int
store_register(struct store *s, const struct msg_register *m, uint64_t now,
    struct msg_generation_page *page, char *err, size_t errlen)
{
	struct store_txn		 t;
	struct server_record		 sr;
	struct msg_generation_page	*local = NULL;
	uint16_t			 i;
	int				 rc;

	if ((rc = agents_check_register(m, err, errlen)) != DSP_OK)
		return rc;
	if (page == NULL && (page = local = malloc(sizeof(*local))) == NULL) {
		store_set_err(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK) {
		free(local);
		return rc;
	}
	memset(&sr, 0, sizeof(sr));
	store_copy(sr.name, sizeof(sr.name), m->server);
	store_copy(sr.host, sizeof(sr.host), m->host);
	sr.port = m->port;
	sr.up = 1;
	sr.last_seen = now;
	rc = agents_check_not_retired(&t, m->server);
	if (rc == DSP_OK)
		rc = store_server_save(&t, &sr);
	if (rc == DSP_OK)
		rc = agents_retire_regions(&t, m);
	for (i = 0; rc == DSP_OK && i < m->region_count; i++)
		rc = agents_put_region(&t, m->server, &m->regions[i]);
	if (rc == DSP_OK)
		rc = agents_page(&t, m->server, NULL, page);
	if (rc == DSP_OK)
		rc = store_audit_add(&t, m->server, "register", NULL,
		    "%u regions, data at %s port %u", m->region_count,
		    m->host, m->port);
	free(local);
	return store_end(&t, rc);
}

int
store_generations(struct store *s, const char *server, const char *after,
    struct msg_generation_page *page, char *err, size_t errlen)
{
	struct store_txn	t;
	struct server_record	sr;
	int			rc;

	if ((rc = store_begin(s, &t, 0, 0, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = store_server_load(&t, server, &sr)) == DSP_OK)
		rc = agents_page(&t, server, after, page);
	return store_end(&t, rc);
}

int
store_heartbeat(struct store *s, const char *server, uint64_t now,
    char *err, size_t errlen)
{
	struct store_txn	t;
	struct server_record	sr;
	int			rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = store_server_load(&t, server, &sr)) != DSP_OK)
		return store_end(&t, rc);
	/* Heard from again after being marked down: it is up. */
	if (!sr.up)
		rc = store_audit_add(&t, server, "server-up", NULL,
		    "heartbeat after %llu s of silence",
		    (unsigned long long)(now > sr.last_seen ?
		    now - sr.last_seen : 0));
	sr.up = 1;
	sr.last_seen = now;
	if (rc == DSP_OK)
		rc = store_server_save(&t, &sr);
	return store_end(&t, rc);
}

struct agents_seen_job {
	const struct store_seen	*seen;
	size_t			 count;
};

static int
agents_seen(struct store_txn *t, void *arg)
{
	const struct agents_seen_job	*j = arg;
	struct server_record		 sr;
	size_t				 i;
	int				 rc;

	for (i = 0; i < j->count; i++) {
		rc = store_server_load(t, j->seen[i].server, &sr);
		if (rc == DSP_E_NOTFOUND || (rc == DSP_OK &&
		    (!sr.up || sr.last_seen >= j->seen[i].when)))
			continue;	/* gone, or a heartbeat's to mark up */
		if (rc != DSP_OK)
			return rc;
		sr.last_seen = j->seen[i].when;
		if ((rc = store_server_save(t, &sr)) != DSP_OK)
			return rc;
	}
	return DSP_OK;
}

int
store_servers_seen(struct store *s, const struct store_seen *seen,
    size_t count, char *err, size_t errlen)
{
	struct agents_seen_job	j = { seen, count };

	return store_write(s, (uint64_t)time(NULL), agents_seen, &j, err,
	    errlen);
}

static int
agents_mark_down(struct store_txn *t, const char *server, const char *why)
{
	struct server_record	sr;
	int			rc;

	if ((rc = store_server_load(t, server, &sr)) != DSP_OK || !sr.up)
		return rc;
	sr.up = 0;
	if ((rc = store_server_save(t, &sr)) != DSP_OK)
		return rc;
	log_info("server %s is down: %s", server, why);
	return store_audit_add(t, "manager", "server-down", NULL,
	    "server %s: %s", server, why);
}

struct agents_expiry {
	struct store_txn *t;
	uint64_t	 now;
	uint64_t	 timeout;
	store_alive_fn	 alive;
	void		*alive_arg;
	size_t		 count;
	size_t		 cap;
	dsp_name	*names;
};

static int
agents_expire_one(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct agents_expiry	*ex = arg;
	struct server_record	 sr;
	dsp_name		*p;

	(void)k;
	if (store_decode_server(v->mv_data, v->mv_size, &sr) == -1)
		return 0;
	if (!sr.up || ex->now < sr.last_seen ||
	    ex->now - sr.last_seen <= ex->timeout)
		return 0;
	if (ex->alive != NULL && ex->alive(ex->alive_arg, sr.name))
		return 0;
	if (ex->count == ex->cap) {
		ex->cap = ex->cap ? ex->cap * 2 : 16;
		if ((p = reallocarray(ex->names, ex->cap,
		    sizeof(*p))) == NULL)
			return store_fail(ex->t, DSP_E_INTERNAL,
			    "out of memory");
		ex->names = p;
	}
	store_copy(ex->names[ex->count++], sizeof(dsp_name), sr.name);
	return 0;
}

int
store_expire_servers(struct store *s, uint64_t now, uint64_t timeout,
    store_alive_fn alive, void *alive_arg)
{
	struct store_txn	t;
	struct agents_expiry	ex = { &t, now, timeout, alive, alive_arg, 0,
				    0, NULL };
	char			err[256], why[64];
	size_t			i;
	int			rc;

	if (store_begin(s, &t, 1, now, err, sizeof(err)) != DSP_OK) {
		log_warnx("store: expiring servers: %s", err);
		return -1;
	}
	rc = store_walk_status(store_walk(&t, s->servers, NULL,
	    agents_expire_one, &ex));
	snprintf(why, sizeof(why), "silent for more than %llu s",
	    (unsigned long long)timeout);
	for (i = 0; rc == DSP_OK && i < ex.count; i++)
		rc = agents_mark_down(&t, ex.names[i], why);
	free(ex.names);
	if ((rc = store_end(&t, rc)) != DSP_OK) {
		log_warnx("store: expiring servers: %s", err);
		return -1;
	}
	return (int)ex.count;
}

int
store_server_down(struct store *s, const char *server)
{
	struct store_txn	t;
	char			err[256];
	int			rc;

	if ((rc = store_begin(s, &t, 1, (uint64_t)time(NULL), err,
	    sizeof(err))) != DSP_OK)
		return rc;
	rc = agents_mark_down(&t, server, "connection lost");
	return store_end(&t, rc);
}

/*
 * Generations never go backwards: an agent that has seen a newer
 * generation than the table (restored from an older copy) holds
 * tickets the table knows nothing of. The volume goes one above it,
 * unlent, so that every such ticket is revoked by the push that follows.
 */
static int
agents_catch_up(struct store_txn *t, struct volume_record *v,
    const char *server, uint64_t seen)
{
	uint64_t	was = v->generation;

	v->generation = seen + 1;
	v->generation_at = t->now;
	v->borrower[0] = '\0';
	v->mounted = 0;
	log_warnx("volume %s: server %s has seen generation %llu, the table "
	    "only %llu (an older copy?): now generation %llu, unlent",
	    v->name, server, (unsigned long long)seen,
	    (unsigned long long)was, (unsigned long long)v->generation);
	return store_audit_add(t, "manager", "catch-up", v->name, "server %s "
	    "had seen generation %llu, the table %llu", server,
	    (unsigned long long)seen, (unsigned long long)was);
}

/* What the agent holds for one volume of its page: the highest
 * generation it has seen, the record it keeps. */
static int
agents_ack_one(struct store_txn *t, const char *server,
    const struct msg_generation *g, struct msg_volume_names *asked)
{
	struct volume_record	 v;
	struct volume_extent	*e;
	uint8_t			 mine[DSP_DIGEST_LEN];
	uint16_t		 i;
	int			 rc, raised = 0, same, on = 0;

	/* A volume deleted since the agent registered is no concern. */
	if ((rc = store_volume_load(t, g->volume, &v)) == DSP_E_NOTFOUND)
		return DSP_OK;
	if (rc != DSP_OK)
		return rc;
	for (i = 0; i < v.extent_count; i++)
		on |= strcmp(v.extents[i].server, server) == 0;
	if (!on)
		return DSP_OK;
	if (g->generation > v.generation &&
	    (rc = agents_catch_up(t, &v, server, g->generation)) != DSP_OK)
		return rc;
	if ((rc = store_view_digest(t, &v, mine)) != DSP_OK)
		return rc;
	same = memcmp(mine, g->digest, DSP_DIGEST_LEN) == 0;
	/* Another record at a revision the table has not passed: the
	 * table went back (an older copy) while the lender went on. Nothing
	 * is pushed over it, or lent, until the manager has seen it. */
	if (!same && g->revision != 0 && g->revision >= v.revision &&
	    v.hold_kind == VOLUME_HOLD_NONE)
		store_hold_newer(&v, server, g->revision);
	/* Held: the manager decides on every lender's record. */
	if (g->revision != 0 && v.hold_kind != VOLUME_HOLD_NONE &&
	    asked != NULL && asked->count < DSP_MAX_GENERATIONS)
		store_copy(asked->names[asked->count++], sizeof(dsp_name),
		    v.name);
	for (i = 0; i < v.extent_count; i++) {
		e = &v.extents[i];
		if (strcmp(e->server, server) != 0)
			continue;
		if (e->acked_generation < g->generation &&
		    g->generation <= v.generation) {
			e->acked_generation = g->generation;
			raised = 1;
		}
		/* Not the same: the push worker sends ours, unless the
		 * record comes back newer (asked above). */
		e->acked_revision = same ? v.revision : 0;
	}
	if ((rc = store_volume_save(t, &v)) != DSP_OK || !raised)
		return rc;
	return store_audit_add(t, server, "fence-ack", v.name,
	    "generation %llu", (unsigned long long)g->generation);
}

int
store_fence_ack(struct store *s, const char *server,
    const struct msg_generations *gens, struct msg_volume_names *asked,
    char *err, size_t errlen)
{
	struct store_txn	t;
	struct server_record	sr;
	uint16_t		i;
	int			rc;

	if (asked != NULL)
		asked->count = 0;
	if ((rc = store_begin(s, &t, 1, (uint64_t)time(NULL), err,
	    errlen)) != DSP_OK)
		return rc;
	if (gens->count > sizeof(gens->items) / sizeof(gens->items[0]))
		rc = store_fail(&t, DSP_E_INVALID, "too many generations");
	else
		rc = store_server_load(&t, server, &sr);
	for (i = 0; rc == DSP_OK && i < gens->count; i++)
		rc = agents_ack_one(&t, server, &gens->items[i], asked);
	return store_end(&t, rc);
}

/* --- server retire --- */

static int
agents_collect_user(struct store_txn *t, const char *name, uint64_t size,
    void *arg)
{
	(void)t;
	(void)size;
	return store_names_add(arg, name, strlen(name));
}

/* The extents on the server count as acknowledged from now on; its
 * in-sync mirror legs go out of sync (the data is gone with it), but
 * for the last one, which stays the reference of a failed volume. */
static int
agents_retire_volume(struct store_txn *t, const char *server,
    const char *name)
{
	struct volume_record	 v;
	struct volume_extent	*e;
	uint16_t		 i, insync = 0;
	int			 rc;

	if ((rc = store_volume_load(t, name, &v)) != DSP_OK)
		return rc;
	for (i = 0; i < v.extent_count; i++)
		if (v.extents[i].leg_state == DSP_LEG_IN_SYNC &&
		    strcmp(v.extents[i].server, server) != 0)
			insync++;
	for (i = 0; i < v.extent_count; i++) {
		e = &v.extents[i];
		if (strcmp(e->server, server) != 0)
			continue;
		e->server_retired = 1;
		e->acked_generation = v.generation;
		if (v.form == DSP_FORM_MIRROR && insync > 0 &&
		    e->leg_state != DSP_LEG_OUT_OF_SYNC) {
			e->leg_state = DSP_LEG_OUT_OF_SYNC;
			e->full_resync = 1;
			e->resync_done = e->resync_total = 0;
			store_copy(e->leg_reason, sizeof(e->leg_reason),
			    REASON_GONE);
		}
	}
	return store_volume_save(t, &v);
}

static int
agents_retire_volumes(struct store_txn *t, const char *server,
    unsigned int *count)
{
	struct store_names	an = { t, server, 0, 0, NULL };
	size_t			i;
	int			rc;

	rc = store_walk_status(store_server_volumes(t, server, NULL,
	    agents_collect_user, &an));
	for (i = 0; rc == DSP_OK && i < an.count; i++)
		rc = agents_retire_volume(t, server, an.names[i]);
	*count = (unsigned int)an.count;
	free(an.names);
	return rc;
}

static int
agents_retire_regions_gone(struct store_txn *t, const char *server)
{
	struct store_names	rn = { t, server, 0, 0, NULL };
	struct region_record	rr;
	char			key[STORE_REGION_KEY_MAX];
	MDB_val			from;
	size_t			i;
	int			rc;

	from.mv_size = store_region_key(key, server, "");
	from.mv_data = key;
	rc = store_walk(t, t->s->regions, &from, agents_collect_region, &rn);
	rc = rc == 1 ? DSP_OK : store_walk_status(rc);
	for (i = 0; rc == DSP_OK && i < rn.count; i++) {
		if ((rc = store_region_load(t, server, rn.names[i],
		    &rr)) != DSP_OK)
			break;
		rr.available = 0;
		store_copy(rr.reason, sizeof(rr.reason), REASON_GONE);
		rc = store_region_save(t, &rr);
	}
	free(rn.names);
	return rc;
}

int
store_server_retire(struct store *s, const char *actor, const char *name,
    uint64_t now, unsigned int *volumes, char *err, size_t errlen)
{
	struct store_txn	t;
	struct server_record	sr;
	int			rc;

	*volumes = 0;
	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = store_server_load(&t, name, &sr)) != DSP_OK)
		return store_end(&t, rc);
	if (sr.retired)
		rc = store_fail(&t, DSP_E_STATE, "server %s is retired "
		    "already", name);
	else if (sr.up)
		rc = store_fail(&t, DSP_E_STATE, "server %s is up; only a "
		    "server that is down can be retired (stop its agent "
		    "first)", name);
	if (rc == DSP_OK) {
		sr.retired = 1;
		sr.retired_at = now;
		rc = store_server_save(&t, &sr);
	}
	if (rc == DSP_OK)
		rc = agents_retire_regions_gone(&t, name);
	if (rc == DSP_OK)
		rc = agents_retire_volumes(&t, name, volumes);
	if (rc == DSP_OK)
		rc = store_audit_add(&t, actor, "server-retire", NULL,
		    "server %s, %u volume%s used it", name, *volumes,
		    *volumes == 1 ? "" : "s");
	return store_end(&t, rc);
}
