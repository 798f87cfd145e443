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

/* Names of a server's regions in the store (heap array). */
struct region_names {
	struct store_txn *t;
	const char	*server;
	size_t		 count;
	size_t		 cap;
	dsp_name	*names;
};

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
	struct region_names	*rn = arg;
	size_t			 sl = strlen(rn->server);
	dsp_name		*p;

	(void)v;
	/* Keys of this server are "server\0region"; stop past them. */
	if (k->mv_size <= sl + 1 || memcmp(k->mv_data, rn->server, sl) != 0 ||
	    ((const char *)k->mv_data)[sl] != '\0')
		return 1;
	if (k->mv_size - sl - 1 > DSP_NAME_MAX)
		return 0;
	if (rn->count == rn->cap) {
		rn->cap = rn->cap ? rn->cap * 2 : 16;
		if ((p = reallocarray(rn->names, rn->cap,
		    sizeof(*p))) == NULL)
			return store_fail(rn->t, DSP_E_INTERNAL,
			    "out of memory");
		rn->names = p;
	}
	memcpy(rn->names[rn->count], (const char *)k->mv_data + sl + 1,
	    k->mv_size - sl - 1);
	rn->names[rn->count][k->mv_size - sl - 1] = '\0';
	rn->count++;
	return 0;
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
	struct region_names	rn = { t, m->server, 0, 0, NULL };
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

struct agents_gens {
	const char		*server;
	struct msg_generations	*gens;
};

static int
agents_gen_one(struct store_txn *t, const struct volume_record *v, void *arg)
{
	struct agents_gens	*ag = arg;
	struct msg_generation	*g;
	uint16_t		 i;
	const size_t		 max = sizeof(ag->gens->items) /
				    sizeof(ag->gens->items[0]);

	for (i = 0; i < v->extent_count; i++)
		if (strcmp(v->extents[i].server, ag->server) == 0)
			break;
	if (i == v->extent_count)
		return 0;
	if (ag->gens->count >= max)
		return store_fail(t, DSP_E_TOOBIG, "server %s holds more than "
		    "%zu volumes", ag->server, max);
	g = &ag->gens->items[ag->gens->count++];
	store_copy(g->volume, sizeof(g->volume), v->name);
	g->generation = v->generation;
	return 0;
}

static int
agents_generations(struct store_txn *t, const char *server,
    struct msg_generations *gens)
{
	struct agents_gens	ag = { server, gens };

	gens->count = 0;
	return store_walk_status(store_walk_volumes(t, agents_gen_one, &ag));
}

int
store_register(struct store *s, const struct msg_register *m, uint64_t now,
    struct msg_generations *gens, char *err, size_t errlen)
{
	struct store_txn	t;
	struct server_record	sr;
	struct msg_generations	local;
	uint16_t		i;
	int			rc;

	if ((rc = agents_check_register(m, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	memset(&sr, 0, sizeof(sr));
	store_copy(sr.name, sizeof(sr.name), m->server);
	store_copy(sr.host, sizeof(sr.host), m->host);
	sr.port = m->port;
	sr.up = 1;
	sr.last_seen = now;
	rc = store_server_save(&t, &sr);
	if (rc == DSP_OK)
		rc = agents_retire_regions(&t, m);
	for (i = 0; rc == DSP_OK && i < m->region_count; i++)
		rc = agents_put_region(&t, m->server, &m->regions[i]);
	if (rc == DSP_OK)
		rc = agents_generations(&t, m->server,
		    gens != NULL ? gens : &local);
	if (rc == DSP_OK)
		rc = store_audit_add(&t, m->server, "register", NULL,
		    "%u regions, data at %s port %u", m->region_count,
		    m->host, m->port);
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
store_expire_servers(struct store *s, uint64_t now, uint64_t timeout)
{
	struct store_txn	t;
	struct agents_expiry	ex = { &t, now, timeout, 0, 0, NULL };
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

/* Raises acked_generation of the volume's extents on this server. */
static int
agents_ack_one(struct store_txn *t, const char *server,
    const struct msg_generation *g)
{
	struct volume_record	 v;
	struct volume_extent	*e;
	uint16_t		 i;
	int			 rc, raised = 0;

	/* A volume deleted since the agent registered is no concern. */
	if ((rc = store_volume_load(t, g->volume, &v)) == DSP_E_NOTFOUND)
		return DSP_OK;
	if (rc != DSP_OK)
		return rc;
	for (i = 0; i < v.extent_count; i++) {
		e = &v.extents[i];
		if (strcmp(e->server, server) == 0 &&
		    e->acked_generation < g->generation) {
			e->acked_generation = g->generation;
			raised = 1;
		}
	}
	if (!raised)
		return DSP_OK;
	if ((rc = store_volume_save(t, &v)) != DSP_OK)
		return rc;
	return store_audit_add(t, server, "fence-ack", v.name,
	    "generation %llu", (unsigned long long)g->generation);
}

int
store_fence_ack(struct store *s, const char *server,
    const struct msg_generations *gens, char *err, size_t errlen)
{
	struct store_txn	t;
	struct server_record	sr;
	uint16_t		i;
	int			rc;

	if ((rc = store_begin(s, &t, 1, (uint64_t)time(NULL), err,
	    errlen)) != DSP_OK)
		return rc;
	if (gens->count > sizeof(gens->items) / sizeof(gens->items[0]))
		rc = store_fail(&t, DSP_E_INVALID, "too many generations");
	else
		rc = store_server_load(&t, server, &sr);
	for (i = 0; rc == DSP_OK && i < gens->count; i++)
		rc = agents_ack_one(&t, server, &gens->items[i]);
	return store_end(&t, rc);
}
