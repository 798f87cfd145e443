/*
 * The listings: show servers, show regions, show volumes. Each reads
 * its table in pages, every page in a fresh read transaction, and hands
 * the page's rows to the output before it reads the next, so a table of
 * any size streams out with bounded memory and no reader is held open
 * while the asker reads. Rows go through the command's filters; a
 * summary line of counts ends each listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_internal.h"
#include "mgr.h"
#include "size.h"
#include "store.h"

#define SERVER_PAGE	1000
#define REGION_PAGE	1000
#define VOLUME_PAGE	256	/* a volume record is some KiB */
#define USED_MAX	256	/* of the volume column of show regions */

/* --- which servers are up --- */

static int
server_states_one(const struct server_record *sr, void *arg)
{
	struct server_states	*ss = arg;
	struct server_record	*p;

	if (ss->count == ss->cap) {
		p = reallocarray(ss->list, ss->cap ? ss->cap * 2 : 16,
		    sizeof(*p));
		if (p == NULL) {
			ss->error = 1;
			return 1;
		}
		ss->list = p;
		ss->cap = ss->cap ? ss->cap * 2 : 16;
	}
	ss->list[ss->count++] = *sr;
	return 0;
}

/* The store lists servers by name, so the list is sorted for bsearch. */
int
server_states_load(struct mgr *m, struct server_states *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (store_each_server(m->store, server_states_one, ss) != 0 ||
	    ss->error) {
		server_states_free(ss);
		return -1;
	}
	return 0;
}

void
server_states_free(struct server_states *ss)
{
	free(ss->list);
	ss->list = NULL;
	ss->count = ss->cap = 0;
}

static int
server_states_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct server_record *)elem)->name);
}

static int
server_is_up(const struct server_states *ss, const char *name)
{
	const struct server_record	*s;

	s = ss->count == 0 ? NULL : bsearch(name, ss->list, ss->count,
	    sizeof(*ss->list), server_states_cmp);
	return s != NULL && s->up;
}

int
admin_volume_health(const struct server_states *ss,
    const struct volume_record *v, uint8_t *up)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		up[i] = (uint8_t)server_is_up(ss, v->extents[i].server);
	return volume_health(v, up);
}

/* The summary line, after the rows. */
static void
listing_summary(struct admin_out *out, enum admin_listing what,
    const struct admin_tally *tally, const struct admin_filter *f)
{
	char	line[256];

	admin_summary(what, tally, f->given != 0, line, sizeof(line));
	admin_printf(&out->text, "%s\n", line);
}

/* --- show servers --- */

struct server_listing {
	struct mgr			*m;
	const struct admin_filter	*f;
	struct table			 t;
	struct admin_tally		 tally;
	uint64_t			 now;
	dsp_name			 last;
	size_t				 count;
};

/* Servers are small records: rows are made in the page's callback. */
static int
server_listing_one(const struct server_record *s, void *arg)
{
	struct server_listing	*sl = arg;
	char			 addr[96], seen[32];
	uint64_t		 heard;
	int			 state = s->retired ? 2 : s->up ? 0 : 1;

	snprintf(sl->last, sizeof(sl->last), "%s", s->name);
	sl->tally.total++;
	if (admin_filter_server(sl->f, s)) {
		sl->tally.matched++;
		sl->tally.counts[state]++;
		snprintf(addr, sizeof(addr), "%s:%u", s->host, s->port);
		/* Heartbeats are heard in memory before the row has them. */
		heard = agents_last_heard(sl->m->agents, s->name);
		admin_age(sl->now, heard > s->last_seen ? heard : s->last_seen,
		    seen, sizeof(seen));
		table_row(&sl->t, s->name, addr, state == 2 ? "retired" :
		    state == 0 ? "up" : "down", seen);
	}
	return ++sl->count == SERVER_PAGE;
}

int
admin_show_servers(struct mgr *m, const struct admin_filter *f,
    struct admin_out *out, char *err, size_t errlen)
{
	struct server_listing	sl;
	int			rc;

	memset(&sl, 0, sizeof(sl));
	sl.m = m;
	sl.f = f;
	sl.now = (uint64_t)time(NULL);
	table_init(&sl.t, 4);
	table_row(&sl.t, "server", "address", "state", "last-seen");
	do {
		sl.count = 0;
		rc = store_each_server_after(m->store, sl.last,
		    server_listing_one, &sl);
		table_flush(&sl.t, &out->text);
	} while (rc == 1 && admin_out_flush(out) == 0);
	table_free(&sl.t);
	if (rc == -1 || sl.t.error) {
		snprintf(err, errlen, "cannot read the server table");
		return DSP_E_INTERNAL;
	}
	listing_summary(out, ADMIN_LIST_SERVERS, &sl.tally, f);
	return DSP_OK;
}

/* --- show regions --- */

struct region_page {
	struct region_record	*list;
	size_t			 count;
};

static int
region_page_one(const struct region_record *r, void *arg)
{
	struct region_page	*rp = arg;

	rp->list[rp->count++] = *r;
	return rp->count == REGION_PAGE;
}

/* "Vol-4,Vol-5": the volumes with an extent on a region. */
struct region_users {
	char	names[USED_MAX];
	size_t	len;
	size_t	count;
};

static int
region_user_one(const struct volume_record *v, void *arg)
{
	struct region_users	*u = arg;

	u->count++;
	if (u->len < sizeof(u->names))
		u->len += (size_t)snprintf(u->names + u->len,
		    sizeof(u->names) - u->len, "%s%s", u->len ? "," : "",
		    v->name);
	return 0;
}

static int
region_listing_row(struct mgr *m, struct table *t, struct admin_tally *tally,
    const struct region_record *r)
{
	struct region_users	u;
	char			size[32], state[160];

	memset(&u, 0, sizeof(u));
	if (store_each_region_volume(m->store, r->server, r->name,
	    region_user_one, &u) == -1)
		return -1;
	tally->matched++;
	tally->counts[r->available ? 0 : 2]++;
	if (u.count > 0)
		tally->counts[1]++;
	size_format(r->size, size, sizeof(size));
	if (r->available)
		snprintf(state, sizeof(state), "available");
	else
		snprintf(state, sizeof(state), "unavailable: %s", r->reason);
	table_row(t, r->server, r->name, size, u.count ? u.names : "-", state);
	return 0;
}

int
admin_show_regions(struct mgr *m, const struct admin_filter *f,
    struct admin_out *out, char *err, size_t errlen)
{
	struct region_page	 rp;
	struct region_record	 last;
	struct admin_tally	 tally;
	struct table		 t;
	size_t			 i;
	int			 rc, failed = 0;

	if ((rp.list = calloc(REGION_PAGE, sizeof(*rp.list))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	memset(&last, 0, sizeof(last));
	memset(&tally, 0, sizeof(tally));
	table_init(&t, 5);
	table_row(&t, "server", "region", "size", "volume", "state");
	do {
		rp.count = 0;
		rc = store_each_region_after(m->store, last.server, last.name,
		    region_page_one, &rp);
		for (i = 0; i < rp.count && !failed; i++) {
			tally.total++;
			if (admin_filter_region(f, &rp.list[i]) &&
			    region_listing_row(m, &t, &tally, &rp.list[i]) == -1)
				failed = 1;
		}
		if (rp.count > 0)
			last = rp.list[rp.count - 1];
		table_flush(&t, &out->text);
	} while (rc == 1 && !failed && admin_out_flush(out) == 0);
	free(rp.list);
	table_free(&t);
	if (rc == -1 || failed || t.error) {
		snprintf(err, errlen, "cannot read the region table");
		return DSP_E_INTERNAL;
	}
	listing_summary(out, ADMIN_LIST_REGIONS, &tally, f);
	return DSP_OK;
}

/* --- show volumes: the virtual disk table --- */

/* Split regions whose pieces are listed already, sorted. */
struct region_set {
	struct store_region_ref	*list;
	size_t			 count;
	size_t			 cap;
};

static int
region_ref_cmp(const struct store_region_ref *a,
    const struct store_region_ref *b)
{
	int	c = strcmp(a->server, b->server);

	return c != 0 ? c : strcmp(a->region, b->region);
}

/* 1 if it was there; 0 when added now; -1 when out of memory. */
static int
region_set_add(struct region_set *rs, const struct volume_extent *e)
{
	struct store_region_ref	 key, *p;
	size_t			 lo = 0, hi = rs->count, mid;
	int			 c;

	memset(&key, 0, sizeof(key));
	snprintf(key.server, sizeof(key.server), "%s", e->server);
	snprintf(key.region, sizeof(key.region), "%s", e->region);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = region_ref_cmp(&key, &rs->list[mid])) == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (rs->count == rs->cap) {
		p = reallocarray(rs->list, rs->cap ? rs->cap * 2 : 16,
		    sizeof(*p));
		if (p == NULL)
			return -1;
		rs->list = p;
		rs->cap = rs->cap ? rs->cap * 2 : 16;
	}
	memmove(&rs->list[lo + 1], &rs->list[lo],
	    (rs->count - lo) * sizeof(*rs->list));
	rs->list[lo] = key;
	rs->count++;
	return 0;
}

struct volume_listing {
	struct mgr			*m;
	const struct admin_filter	*f;
	struct table			 t;
	struct server_states		 ss;
	struct region_set		 listed;
	struct admin_tally		 tally;
	struct volume_record		*page;
	size_t				 count;
	const struct volume_extent	*group;	/* the split region listed */
	size_t				 group_rows;
};

/* One line per extent; the volume's columns on its first line only.
 * A split piece after the first of its region leaves lender and
 * region blank, as in the brief's table. */
static void
volume_listing_rows(struct volume_listing *vl, const struct volume_record *v,
    const uint8_t *up, int health, int same_region)
{
	const struct volume_extent	*e;
	char				 size[32], more[DSP_NAME_MAX + 3];
	char				 gen[24], leg[48], note[64];
	uint16_t			 i;
	int				 fenced = volume_is_fenced(v);

	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)v->generation);
	snprintf(more, sizeof(more), "(%s)", v->name);
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		size_format(e->length, size, sizeof(size));
		admin_leg_state(v, e, leg, sizeof(leg));
		snprintf(note, sizeof(note), "%s%s%s",
		    i == 0 && v->hold_kind ? "held" :
		    i == 0 && fenced ? "fenced" : "",
		    i == 0 && (fenced || v->hold_kind) && !up[i] ? ", " : "",
		    up[i] ? "" : e->server_retired ? "server retired" :
		    "server down");
		if (i == 0)
			table_row(&vl->t, same_region ? "" : e->server,
			    v->borrower[0] ? v->borrower : "-",
			    same_region ? "" : e->region, size, v->name,
			    dsp_form_name(v->form), v->mounted ? "1" : "0",
			    gen, dsp_health_name(health), leg, note);
		else
			table_row(&vl->t, e->server, "", e->region, size, more,
			    "", "", "", "", leg, note);
	}
}

static int
volume_is_split_piece(const struct volume_record *v)
{
	return v->form == DSP_FORM_SPLIT && v->extent_count == 1;
}

static void
volume_listing_count(struct volume_listing *vl, const struct volume_record *v,
    int health)
{
	struct admin_tally	*t = &vl->tally;

	t->matched++;
	t->counts[0] += v->borrower[0] != '\0';
	t->counts[1] += v->mounted != 0;
	t->counts[2] += health == DSP_HEALTH_DEGRADED;
	t->counts[3] += health == DSP_HEALTH_FAILED;
	t->counts[4] += v->hold_kind != VOLUME_HOLD_NONE;
}

/* A volume on the split region being listed: its row, if it matches. */
static int
volume_listing_piece(const struct volume_record *v, void *arg)
{
	struct volume_listing	*vl = arg;
	uint8_t			 up[DSP_MAX_EXTENTS];
	int			 health;

	if (!volume_is_split_piece(v) ||
	    strcmp(v->extents[0].server, vl->group->server) != 0 ||
	    strcmp(v->extents[0].region, vl->group->region) != 0)
		return 0;
	health = admin_volume_health(&vl->ss, v, up);
	if (admin_filter_volume(vl->f, v, health))
		volume_listing_rows(vl, v, up, health, vl->group_rows++ > 0);
	return 0;
}

/*
 * Volumes by name, except that the pieces of a split region follow one
 * another by offset, where the first of them by name would be: the
 * first piece met lists its region's pieces, the others are skipped.
 */
static int
volume_listing_one(struct volume_listing *vl, const struct volume_record *v)
{
	uint8_t		up[DSP_MAX_EXTENTS];
	int		health, rc;

	health = admin_volume_health(&vl->ss, v, up);
	vl->tally.total++;
	if (admin_filter_volume(vl->f, v, health))
		volume_listing_count(vl, v, health);
	else if (!volume_is_split_piece(v))
		return 0;
	if (!volume_is_split_piece(v)) {
		volume_listing_rows(vl, v, up, health, 0);
		return 0;
	}
	if ((rc = region_set_add(&vl->listed, &v->extents[0])) != 0)
		return rc == 1 ? 0 : -1;
	vl->group = &v->extents[0];
	vl->group_rows = 0;
	rc = store_each_region_volume(vl->m->store, v->extents[0].server,
	    v->extents[0].region, volume_listing_piece, vl);
	vl->group = NULL;
	return rc == -1 ? -1 : 0;
}

static int
volume_page_one(const struct volume_record *v, void *arg)
{
	struct volume_listing	*vl = arg;

	vl->page[vl->count++] = *v;
	return vl->count == VOLUME_PAGE;
}

static int
volume_listing_pages(struct volume_listing *vl, struct admin_out *out)
{
	dsp_name	after = "";
	size_t		i;
	int		rc;

	do {
		vl->count = 0;
		if ((rc = store_each_volume_after(vl->m->store, after,
		    volume_page_one, vl)) == -1)
			return -1;
		for (i = 0; i < vl->count; i++)
			if (volume_listing_one(vl, &vl->page[i]) == -1)
				return -1;
		if (vl->count > 0)
			snprintf(after, sizeof(after), "%s",
			    vl->page[vl->count - 1].name);
		table_flush(&vl->t, &out->text);
	} while (rc == 1 && admin_out_flush(out) == 0);
	return vl->t.error ? -1 : 0;
}

int
admin_show_volumes(struct mgr *m, const struct admin_filter *f,
    struct admin_out *out, char *err, size_t errlen)
{
	struct volume_listing	vl;
	int			rc;

	memset(&vl, 0, sizeof(vl));
	vl.m = m;
	vl.f = f;
	if (server_states_load(m, &vl.ss) == -1) {
		snprintf(err, errlen, "cannot read the server table");
		return DSP_E_INTERNAL;
	}
	if ((vl.page = calloc(VOLUME_PAGE, sizeof(*vl.page))) == NULL) {
		server_states_free(&vl.ss);
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	table_init(&vl.t, 11);
	table_row(&vl.t, "lender", "borrower", "region", "size", "volume",
	    "form", "status", "gen", "health", "leg", "note");
	rc = volume_listing_pages(&vl, out);
	table_free(&vl.t);
	free(vl.page);
	free(vl.listed.list);
	server_states_free(&vl.ss);
	if (rc == -1) {
		snprintf(err, errlen, "cannot read the volume table");
		return DSP_E_INTERNAL;
	}
	listing_summary(out, ADMIN_LIST_VOLUMES, &vl.tally, f);
	return DSP_OK;
}
