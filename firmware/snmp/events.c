/*
 * Notifications from the audit trail (events.h). The state told last
 * is kept here: each server's up flag by name and each volume's health
 * by its number, so a row only costs the rows it names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"

#define SERVER_TABLE	2
#define VDISK_TABLE	4
/* dspNotifyObjects, dspNotifications.1: values only notifications
 * carry, no walk finds them. */
#define NOTIFICATIONS	2
#define NOTIFY_OBJECTS	1
#define BACKUP_VOLUME	1
#define BACKUP_ACTION	2
#define BACKUP_TEXT	3

struct server_state {
	char	name[DSP_NAME_MAX + 1];
	int	up;
};

struct events {
	uint64_t		 last_seq;
	int			 full_percent;
	int			 full_told;
	struct server_state	*servers;
	size_t			 nservers, server_cap;
	/* Volume number -> health + 1; 0 marks a free slot. */
	uint32_t		*ids;
	uint8_t			*health;
	size_t			 slots, used;
};

struct events_poll {
	struct events	*e;
	struct view	*v;
	notice_fn	 fn;
	void		*arg;
	int		 rc;
};

struct events *
events_new(int store_full_percent)
{
	struct events	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->full_percent = store_full_percent;
	return e;
}

void
events_free(struct events *e)
{
	if (e == NULL)
		return;
	free(e->servers);
	free(e->ids);
	free(e->health);
	free(e);
}

/* --- the health told, by volume number --- */

static size_t
health_slot(const struct events *e, uint32_t id)
{
	size_t	i = (id * 2654435761U) & (e->slots - 1);

	while (e->ids[i] != 0 && e->ids[i] != id)
		i = (i + 1) & (e->slots - 1);
	return i;
}

static int
health_grow(struct events *e)
{
	uint32_t	*old_ids = e->ids;
	uint8_t		*old_health = e->health;
	size_t		 old = e->slots, i, j;

	e->slots = old == 0 ? 1024 : old * 2;
	e->ids = calloc(e->slots, sizeof(*e->ids));
	e->health = calloc(e->slots, sizeof(*e->health));
	if (e->ids == NULL || e->health == NULL) {
		free(e->ids);
		free(e->health);
		e->ids = old_ids;
		e->health = old_health;
		e->slots = old;
		return -1;
	}
	for (i = 0; i < old; i++) {
		if (old_ids[i] == 0)
			continue;
		j = health_slot(e, old_ids[i]);
		e->ids[j] = old_ids[i];
		e->health[j] = old_health[i];
	}
	free(old_ids);
	free(old_health);
	return 0;
}

/* The health told for the volume, DSP_HEALTH_OK if none was. */
static int
health_told(struct events *e, uint32_t id)
{
	size_t	i;

	if (e->slots == 0)
		return DSP_HEALTH_OK;
	i = health_slot(e, id);
	return e->ids[i] == id ? e->health[i] - 1 : DSP_HEALTH_OK;
}

static int
health_set(struct events *e, uint32_t id, int health)
{
	size_t	i;

	if ((e->used + 1) * 2 > e->slots && health_grow(e) == -1)
		return -1;
	i = health_slot(e, id);
	if (e->ids[i] != id) {
		e->ids[i] = id;
		e->used++;
	}
	e->health[i] = (uint8_t)(health + 1);
	return 0;
}

/* --- the servers' states told --- */

static struct server_state *
server_find(struct events *e, const char *name)
{
	size_t	i;

	for (i = 0; i < e->nservers; i++)
		if (strcmp(e->servers[i].name, name) == 0)
			return &e->servers[i];
	return NULL;
}

static struct server_state *
server_add(struct events *e, const char *name, int up)
{
	struct server_state	*s;
	size_t			 cap;

	if ((s = server_find(e, name)) != NULL)
		return s;
	if (e->nservers == e->server_cap) {
		cap = e->server_cap == 0 ? 64 : e->server_cap * 2;
		if ((s = realloc(e->servers, cap * sizeof(*s))) == NULL)
			return NULL;
		e->servers = s;
		e->server_cap = cap;
	}
	s = &e->servers[e->nservers++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->up = up;
	return s;
}

/* --- notices --- */

static const char *notice_names[] = {
	NULL, "dspServerDown", "dspServerUp", "dspVolumeDegraded",
	"dspVolumeFailed", "dspVolumeOk", "dspResyncStarted",
	"dspResyncFinished", "dspVolumeMounted", "dspVolumeUnmounted",
	"dspVolumeForced", "dspStoreNearlyFull", "dspBackupFailed",
};

static void
notice_init(struct notice *n, enum notice_kind kind, const char *about)
{
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->name = notice_names[kind];
	n->about = about;
}

/* The column's object of a row (dspObjects.table.1.col.id), with its
 * value now, or the one given. */
static int
notice_column(struct events_poll *p, struct notice *n, unsigned long table,
    unsigned long col, uint32_t id, const struct cell *given)
{
	struct notice_var	*nv = &n->vars[n->nvars];
	int			 rc;

	nv->oid[0] = 1;
	nv->oid[1] = table;
	nv->oid[2] = 1;
	nv->oid[3] = col;
	nv->oid[4] = id;
	nv->len = 5;
	if (given != NULL)
		nv->value = *given;
	else if ((rc = objects_get(p->v, nv->oid + 1, nv->len - 1,
	    &nv->value)) != 1)
		return rc == 0 ? DSP_E_NOTFOUND : DSP_E_INTERNAL;
	n->nvars++;
	return DSP_OK;
}

static int
tell_server(struct events_poll *p, const char *server, int up)
{
	struct notice	n;
	struct cell	state;
	uint32_t	id;
	int		rc;

	if (store_id_of(&p->v->t, 's', server, strlen(server), &id) != DSP_OK)
		return DSP_OK;
	notice_init(&n, up ? NOTICE_SERVER_UP : NOTICE_SERVER_DOWN, server);
	cell_int(&state, CELL_INTEGER, up ? 1 : 2);
	if ((rc = notice_column(p, &n, SERVER_TABLE, 2, id, NULL)) != DSP_OK ||
	    (rc = notice_column(p, &n, SERVER_TABLE, 5, id, &state)) != DSP_OK)
		return rc == DSP_E_NOTFOUND ? DSP_OK : rc;
	p->fn(&n, p->arg);
	return DSP_OK;
}

/* A volume notice: its name and the columns asked, as they are now. */
static int
tell_volume(struct events_poll *p, enum notice_kind kind, const char *volume,
    uint32_t id, const unsigned long *cols, size_t ncols)
{
	struct notice	n;
	size_t		i;
	int		rc;

	notice_init(&n, kind, volume);
	if ((rc = notice_column(p, &n, VDISK_TABLE, 2, id, NULL)) != DSP_OK)
		return rc == DSP_E_NOTFOUND ? DSP_OK : rc;
	for (i = 0; i < ncols; i++)
		if ((rc = notice_column(p, &n, VDISK_TABLE, cols[i], id,
		    NULL)) != DSP_OK)
			return rc == DSP_E_NOTFOUND ? DSP_OK : rc;
	p->fn(&n, p->arg);
	return DSP_OK;
}

/* Health now against the health told: degraded, failed or ok when it
 * moved to one of those (a resync has notices of its own). */
static int
check_health(struct events_poll *p, const char *volume)
{
	static const unsigned long	 health_col[] = { 8 };
	struct volume_record		*vr = p->v->volume;
	enum notice_kind		 kind;
	uint32_t			 id;
	int				 now, before;

	if (store_id_of(&p->v->t, 'v', volume, strlen(volume), &id) !=
	    DSP_OK || store_volume_load(&p->v->t, volume, vr) != DSP_OK)
		return DSP_OK;		/* deleted since */
	if ((now = rows_health(p->v, vr)) < 0)
		return DSP_E_INTERNAL;
	before = health_told(p->e, id);
	if (now == before)
		return DSP_OK;
	if (health_set(p->e, id, now) == -1)
		return DSP_E_INTERNAL;
	if (now == DSP_HEALTH_DEGRADED && before != DSP_HEALTH_RESYNCING)
		kind = NOTICE_VOLUME_DEGRADED;
	else if (now == DSP_HEALTH_FAILED)
		kind = NOTICE_VOLUME_FAILED;
	else if (now == DSP_HEALTH_OK)
		kind = NOTICE_VOLUME_OK;
	else
		return DSP_OK;
	return tell_volume(p, kind, volume, id, health_col, 1);
}

static int
check_server_volume(struct store_txn *t, const char *volume, uint64_t size,
    void *arg)
{
	struct events_poll	*p = arg;

	(void)t;
	(void)size;
	return (p->rc = check_health(p, volume)) != DSP_OK;
}

/* A server went up or down: tell it, then its volumes' health. */
static int
server_moved(struct events_poll *p, const char *server, int up)
{
	struct server_state	*s;
	int			 rc;

	if ((s = server_find(p->e, server)) == NULL &&
	    (s = server_add(p->e, server, !up)) == NULL)
		return DSP_E_INTERNAL;
	if (s->up == up)
		return DSP_OK;
	s->up = up;
	if ((rc = tell_server(p, server, up)) != DSP_OK)
		return rc;
	p->rc = DSP_OK;
	if (store_server_volumes(&p->v->t, server, NULL, check_server_volume,
	    p) == -1)
		return DSP_E_INTERNAL;
	return p->rc;
}

/* "server NAME: why", as the manager writes a server-down row. */
static int
server_of_detail(const char *detail, char *server)
{
	const char	*colon;
	size_t		 len;

	if (strncmp(detail, "server ", 7) != 0 ||
	    (colon = strchr(detail + 7, ':')) == NULL ||
	    (len = (size_t)(colon - detail - 7)) == 0 || len > DSP_NAME_MAX)
		return -1;
	memcpy(server, detail + 7, len);
	server[len] = '\0';
	return 0;
}

/* Lending moves no leg and no server: the health told stays. */
static int
lending_action(const char *action)
{
	static const char	*lending[] = { "allocate", "mount", "renew",
				    "unmount", "release", "force-unmount",
				    "force-release" };
	size_t			 i;

	for (i = 0; i < sizeof(lending) / sizeof(lending[0]); i++)
		if (strcmp(action, lending[i]) == 0)
			return 1;
	return 0;
}

static int
volume_row(struct events_poll *p, const struct audit_record *a)
{
	static const unsigned long	lending[] = { 5, 7 };
	static const unsigned long	dirty[] = { 10 };
	static const unsigned long	copied[] = { 12 };
	static const struct {
		const char		*action;
		enum notice_kind	 kind;
		const unsigned long	*cols;
		size_t			 ncols;
	} map[] = {
		{ "mount", NOTICE_VOLUME_MOUNTED, lending, 2 },
		{ "unmount", NOTICE_VOLUME_UNMOUNTED, lending, 2 },
		{ "force-unmount", NOTICE_VOLUME_FORCED, lending, 2 },
		{ "force-release", NOTICE_VOLUME_FORCED, lending, 2 },
		{ "resync-begin", NOTICE_RESYNC_STARTED, dirty, 1 },
		{ "resync-done", NOTICE_RESYNC_FINISHED, copied, 1 },
	};
	uint32_t	id;
	size_t		i;
	int		rc;

	if (store_id_of(&p->v->t, 'v', a->volume, strlen(a->volume), &id) !=
	    DSP_OK)
		return DSP_OK;		/* deleted since */
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(a->action, map[i].action) == 0 &&
		    (rc = tell_volume(p, map[i].kind, a->volume, id,
		    map[i].cols, map[i].ncols)) != DSP_OK)
			return rc;
	return lending_action(a->action) ? DSP_OK : check_health(p, a->volume);
}

/* One of dspNotifyObjects (instance 0) with its value. */
static void
notice_value(struct notice *n, unsigned long object, const struct cell *c)
{
	struct notice_var	*nv = &n->vars[n->nvars++];

	nv->oid[0] = NOTIFICATIONS;
	nv->oid[1] = NOTIFY_OBJECTS;
	nv->oid[2] = object;
	nv->oid[3] = 0;
	nv->len = 4;
	nv->value = *c;
}

/*
 * A copy or a verify of the backup failed: told with the volume and the
 * backup's words from the row itself, since the volume may be gone by
 * now. A failed restore is not: an admin ran it and saw it fail.
 */
static int
backup_row(struct events_poll *p, const struct audit_record *a)
{
	static const struct {
		const char	*action;
		int		 what;		/* dspBackupAction */
	} failed[] = {
		{ "backup-copy-failed", 1 },
		{ "backup-verify-failed", 2 },
	};
	struct notice	n;
	struct cell	c;
	size_t		i;

	for (i = 0; i < sizeof(failed) / sizeof(failed[0]); i++)
		if (strcmp(a->action, failed[i].action) == 0)
			break;
	if (i == sizeof(failed) / sizeof(failed[0]))
		return DSP_OK;
	notice_init(&n, NOTICE_BACKUP_FAILED, a->volume);
	cell_str(&c, a->volume);
	notice_value(&n, BACKUP_VOLUME, &c);
	cell_int(&c, CELL_INTEGER, (uint64_t)failed[i].what);
	notice_value(&n, BACKUP_ACTION, &c);
	cell_str(&c, a->detail);
	notice_value(&n, BACKUP_TEXT, &c);
	p->fn(&n, p->arg);
	return DSP_OK;
}

static int
audit_row(struct events_poll *p, const struct audit_record *a)
{
	char	server[DSP_NAME_MAX + 1];

	if (strcmp(a->action, "server-down") == 0)
		return server_of_detail(a->detail, server) == 0 ?
		    server_moved(p, server, 0) : DSP_OK;
	if (strcmp(a->action, "register") == 0 ||
	    strcmp(a->action, "server-up") == 0)
		return server_moved(p, a->actor, 1);
	/* The backup's rows move no volume's state. */
	if (strncmp(a->action, "backup-", 7) == 0)
		return backup_row(p, a);
	if (a->volume[0] != '\0')
		return volume_row(p, a);
	return DSP_OK;
}

/* The row, with its sequence number from the key; -1 if malformed. */
static int
audit_decode(const MDB_val *k, const MDB_val *d, struct audit_record *a)
{
	const uint8_t	*p = k->mv_data;
	size_t		 i;

	if (k->mv_size != 8 || store_decode_audit(d->mv_data, d->mv_size,
	    a) == -1)
		return -1;
	for (i = 0; i < 8; i++)
		a->seq = a->seq << 8 | p[i];
	return 0;
}

static int
audit_one(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct events_poll	*p = arg;
	struct audit_record	 a;

	if (audit_decode(k, d, &a) == -1)
		return 0;
	if (a.seq <= p->e->last_seq)
		return 0;
	if (p->e->last_seq != 0 && a.seq > p->e->last_seq + 1)
		log_warnx("audit rows %llu to %llu were pruned before they "
		    "were read: their notifications are lost",
		    (unsigned long long)p->e->last_seq + 1,
		    (unsigned long long)a.seq - 1);
	p->e->last_seq = a.seq;
	return (p->rc = audit_row(p, &a)) != DSP_OK;
}

static int
events_walk_audit(struct events_poll *p)
{
	uint8_t	key[8];
	MDB_val	from = { sizeof(key), key };
	size_t	i;
	int	rc;

	for (i = 0; i < 8; i++)
		key[i] = (uint8_t)((p->e->last_seq + 1) >> (56 - 8 * i));
	p->rc = DSP_OK;
	rc = store_walk(&p->v->t, p->v->t.s->audit, &from, audit_one, p);
	if (rc == -1)
		return DSP_E_INTERNAL;
	return p->rc;
}

static int
check_store_full(struct events_poll *p)
{
	static const unsigned long	 used[] = { 1, 1, 14, 0 };
	struct notice			 n;
	struct notice_var		*nv;
	int				 rc;

	notice_init(&n, NOTICE_STORE_NEARLY_FULL, "store");
	nv = &n.vars[0];
	memcpy(nv->oid, used, sizeof(used));
	nv->len = 4;
	if ((rc = objects_get(p->v, used + 1, 3, &nv->value)) != 1)
		return rc == 0 ? DSP_OK : DSP_E_INTERNAL;
	n.nvars = 1;
	/* Told once per crossing; 5 points below clears it. */
	if (nv->value.num >= (uint64_t)p->e->full_percent) {
		if (!p->e->full_told)
			p->fn(&n, p->arg);
		p->e->full_told = 1;
	} else if (nv->value.num + 5 < (uint64_t)p->e->full_percent)
		p->e->full_told = 0;
	return DSP_OK;
}

int
events_poll(struct events *e, struct view *v, notice_fn fn, void *arg)
{
	struct events_poll	p = { e, v, fn, arg, DSP_OK };
	int			rc;

	if ((rc = events_walk_audit(&p)) != DSP_OK)
		return rc;
	return check_store_full(&p);
}

/* --- the state at start --- */

static int
start_server(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct events		*e = arg;
	struct server_record	 sr;

	(void)k;
	if (store_decode_server(d->mv_data, d->mv_size, &sr) == 0 &&
	    server_add(e, sr.name, sr.up && !sr.retired) == NULL)
		return -1;
	return 0;
}

static int
start_volume(struct store_txn *t, const struct volume_record *vr, void *arg)
{
	struct events_poll	*p = arg;
	uint32_t		 id;
	int			 health;

	if (store_id_of(t, 'v', vr->name, strlen(vr->name), &id) != DSP_OK)
		return 0;
	if ((health = rows_health(p->v, vr)) < 0)
		return -1;
	if (health != DSP_HEALTH_OK && health_set(p->e, id, health) == -1)
		return -1;
	return 0;
}

static int
start_last_seq(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct events		*e = arg;
	struct audit_record	 a;

	if (audit_decode(k, d, &a) == 0)
		e->last_seq = a.seq;
	return 0;
}

int
events_start(struct events *e, struct view *v)
{
	struct events_poll	 p = { e, v, NULL, NULL, DSP_OK };
	MDB_cursor		*c;
	MDB_val			 k, d;
	int			 rc;

	e->nservers = 0;
	e->used = 0;
	if (e->slots > 0)
		memset(e->ids, 0, e->slots * sizeof(*e->ids));
	e->last_seq = 0;
	if ((rc = mdb_cursor_open(v->t.txn, v->t.s->audit, &c)) != 0)
		return store_mdb_fail(&v->t, "reading the audit trail", rc);
	if ((rc = mdb_cursor_get(c, &k, &d, MDB_LAST)) == 0)
		start_last_seq(&k, &d, e);
	mdb_cursor_close(c);
	if (store_walk(&v->t, v->t.s->servers, NULL, start_server, e) == -1 ||
	    store_walk_volumes(&v->t, start_volume, &p) == -1)
		return DSP_E_INTERNAL;
	return DSP_OK;
}
