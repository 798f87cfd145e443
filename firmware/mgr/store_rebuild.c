/*
 * Rebuilding the table from the lenders' records (docs/STORE.md,
 * "Records on the lenders"). A record an agent reports that the table
 * does not match is kept as a candidate (table `candidates`, key
 * "volume\0server", value the record's encoding). A volume the table
 * does not know is imported from its newest candidate: at once when
 * rebuilding and every lender of it agrees, else held (never lent)
 * until an admin resolves it. A lender keeping a newer record of a
 * volume the table knows holds that volume too. Every import or
 * resolution starts the volume unlent, one generation above any seen.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_internal.h"
#include "text.h"

#define REBUILD_META	"rebuild"

/* One lender's record of a volume. */
struct candidate {
	dsp_name			 server;
	uint8_t				*bytes;		/* its encoding */
	size_t				 len;
	struct msg_volume_record	 rec;		/* points into bytes */
	uint8_t				 digest[DSP_DIGEST_LEN];
};

struct candidates {
	struct candidate	*items;
	size_t			 count;
	size_t			 cap;
};

static void
candidates_free(struct candidates *cs)
{
	size_t	i;

	for (i = 0; i < cs->count; i++)
		free(cs->items[i].bytes);
	free(cs->items);
	memset(cs, 0, sizeof(*cs));
}

static int
candidates_add(struct candidates *cs, const char *server, size_t slen,
    const void *bytes, size_t len)
{
	struct candidate	*c;

	if (cs->count == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 4;
		if ((c = reallocarray(cs->items, cs->cap, sizeof(*c))) == NULL)
			return -1;
		cs->items = c;
	}
	c = &cs->items[cs->count];
	memset(c, 0, sizeof(*c));
	if (slen > DSP_NAME_MAX || (c->bytes = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(c->server, server, slen);
	memcpy(c->bytes, bytes, len);
	c->len = len;
	if (msg_decode_volume_record(c->bytes, len, &c->rec) != DSP_OK) {
		free(c->bytes);
		return 0;	/* unreadable: as if never reported */
	}
	msg_digest_bytes(c->bytes, len, c->digest);
	cs->count++;
	return 0;
}

static int
candidates_load(struct store_txn *t, const char *volume,
    struct candidates *cs)
{
	MDB_cursor	*c;
	MDB_val		 k, v;
	char		 key[STORE_REGION_KEY_MAX];
	size_t		 vl = strlen(volume);
	int		 rc;

	memset(cs, 0, sizeof(*cs));
	if ((rc = mdb_cursor_open(t->txn, t->s->candidates, &c)) != 0)
		return store_mdb_fail(t, "reading candidates", rc);
	k.mv_size = store_region_key(key, volume, "");
	k.mv_data = key;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= vl + 1 || memcmp(k.mv_data, volume, vl) != 0 ||
		    ((const char *)k.mv_data)[vl] != '\0')
			break;
		if (candidates_add(cs, (const char *)k.mv_data + vl + 1,
		    k.mv_size - vl - 1, v.mv_data, v.mv_size) == -1) {
			mdb_cursor_close(c);
			candidates_free(cs);
			return store_fail(t, DSP_E_INTERNAL, "out of memory");
		}
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		candidates_free(cs);
		return store_mdb_fail(t, "reading candidates", rc);
	}
	return DSP_OK;
}

static int
candidate_save(struct store_txn *t, const char *server, const char *volume,
    const uint8_t *bytes, size_t len)
{
	char	key[STORE_REGION_KEY_MAX];
	MDB_val	k, v;
	int	rc;

	k.mv_size = store_region_key(key, volume, server);
	k.mv_data = key;
	v.mv_size = len;
	v.mv_data = (void *)bytes;
	if ((rc = mdb_put(t->txn, t->s->candidates, &k, &v, 0)) != 0)
		return store_mdb_fail(t, "keeping a lender's record", rc);
	t->dirty = 1;
	return DSP_OK;
}

int
store_candidates_clear(struct store_txn *t, const char *volume)
{
	struct candidates	cs;
	char			key[STORE_REGION_KEY_MAX];
	MDB_val			k;
	size_t			i;
	int			rc;

	if ((rc = candidates_load(t, volume, &cs)) != DSP_OK)
		return rc;
	for (i = 0; rc == DSP_OK && i < cs.count; i++) {
		k.mv_size = store_region_key(key, volume, cs.items[i].server);
		k.mv_data = key;
		if ((rc = mdb_del(t->txn, t->s->candidates, &k, NULL)) != 0)
			rc = store_mdb_fail(t, "dropping candidates", rc);
		else
			t->dirty = 1;
	}
	candidates_free(&cs);
	return rc;
}

static size_t
candidates_count(struct store_txn *t, const char *volume)
{
	struct candidates	cs;
	size_t			n;

	if (candidates_load(t, volume, &cs) != DSP_OK)
		return 0;
	n = cs.count;
	candidates_free(&cs);
	return n;
}

/* (generation, revision) order: which of two records is newer. */
static int
record_newer(uint64_t ga, uint64_t ra, uint64_t gb, uint64_t rb)
{
	return ga > gb || (ga == gb && ra > rb);
}

static const struct candidate *
candidates_best(const struct candidates *cs)
{
	const struct candidate	*best = NULL, *c;
	size_t			 i;

	for (i = 0; i < cs->count; i++) {
		c = &cs->items[i];
		if (best == NULL || record_newer(c->rec.generation,
		    c->rec.revision, best->rec.generation, best->rec.revision))
			best = c;
	}
	return best;
}

static const struct candidate *
candidates_of(const struct candidates *cs, const char *server)
{
	size_t	i;

	for (i = 0; i < cs->count; i++)
		if (strcmp(cs->items[i].server, server) == 0)
			return &cs->items[i];
	return NULL;
}

/* The highest generation (revision: 0) or revision (1) among the
 * candidates, and floor. */
static uint64_t
candidates_max(const struct candidates *cs, int revision, uint64_t floor)
{
	uint64_t	v;
	size_t		i;

	for (i = 0; i < cs->count; i++) {
		v = revision ? cs->items[i].rec.revision :
		    cs->items[i].rec.generation;
		if (v > floor)
			floor = v;
	}
	return floor;
}

static void
hold_append(char *hold, size_t len, const char *fmt, ...)
{
	size_t	used = strlen(hold);
	va_list	ap;

	if (used + 3 >= len)
		return;
	if (used > 0) {
		memcpy(hold + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(hold + used, len - used, fmt, ap);
	va_end(ap);
}

/* Why the best record cannot be taken as it is ("" if it can): a lender
 * not heard from, or one keeping another record. */
static void
candidates_disagreement(const struct candidates *cs,
    const struct candidate *best, char *hold, size_t len)
{
	const struct candidate	*c;
	const char		*server;
	uint16_t		 i, j;
	size_t			 k;

	hold[0] = '\0';
	for (i = 0; i < best->rec.extent_count; i++) {
		server = best->rec.extents[i].server;
		for (j = 0; j < i; j++)
			if (strcmp(best->rec.extents[j].server, server) == 0)
				break;
		if (j < i || best->rec.extents[i].server_retired)
			continue;
		if ((c = candidates_of(cs, server)) == NULL)
			hold_append(hold, len, "server %s has not reported it "
			    "yet", server);
		else if (memcmp(c->digest, best->digest, DSP_DIGEST_LEN) != 0)
			hold_append(hold, len, "server %s keeps an older "
			    "record (generation %llu revision %llu)", server,
			    (unsigned long long)c->rec.generation,
			    (unsigned long long)c->rec.revision);
	}
	for (k = 0; k < cs->count; k++) {
		c = &cs->items[k];
		if (!msg_volume_record_uses(&best->rec, c->server))
			hold_append(hold, len, "server %s keeps a record "
			    "(generation %llu revision %llu) naming it a "
			    "lender", c->server,
			    (unsigned long long)c->rec.generation,
			    (unsigned long long)c->rec.revision);
	}
}

/*
 * The volume takes the shape of a lender's record: form, size, extents
 * in order, leg states, bitmap. It is unlent, one generation above any
 * seen, and fenced until every lender has acknowledged that.
 */
static int
adopt_record(struct store_txn *t, struct volume_record *v,
    const struct msg_volume_record *r, uint64_t generation,
    uint64_t revision)
{
	struct volume_extent		*e;
	const struct msg_record_extent	*re;
	uint16_t			 i;

	memset(v, 0, sizeof(*v));
	store_copy(v->name, sizeof(v->name), r->name);
	v->form = r->form;
	v->size = r->size;
	v->generation = generation;
	v->generation_at = t->now;
	v->revision = revision;
	v->created_at = r->created_at;
	v->chunk_size = r->chunk_size;
	v->dirty_chunks = r->bitmap_len != 0 ? r->dirty_chunks : 0;
	v->extent_count = r->extent_count;
	for (i = 0; i < r->extent_count; i++) {
		e = &v->extents[i];
		re = &r->extents[i];
		store_copy(e->server, sizeof(e->server), re->server);
		store_copy(e->region, sizeof(e->region), re->region);
		e->offset = re->offset;
		e->length = re->length;
		e->leg_state = re->leg_state;
		e->full_resync = re->full_resync;
		e->server_retired = re->server_retired;
		/* The agent's words go to admins' screens: escaped. */
		text_escape(e->leg_reason, sizeof(e->leg_reason),
		    re->leg_reason);
		/* A resync stopped by the loss: the next one starts over. */
		if (e->leg_state == DSP_LEG_RESYNCING)
			e->leg_state = DSP_LEG_OUT_OF_SYNC;
		if (e->server_retired)
			e->acked_generation = generation;
	}
	if (r->bitmap_len != 0)
		return store_bitmap_save(t, v->name, r->bitmap, r->bitmap_len);
	return store_bitmap_remove(t, v->name);
}

/* The generation a volume starts at after it is adopted. */
static uint64_t
adopt_generation(struct store_txn *t, const char *name,
    const struct candidates *cs, uint64_t floor)
{
	uint64_t	tomb = store_retired_generation(t, name);

	return candidates_max(cs, 0, floor > tomb ? floor : tomb) + 1;
}

/* Bytes of the record's extents another volume holds: a lender kept
 * the record of a volume deleted while it was away, and the space went
 * to another since. */
static int
import_overlaps(struct store_txn *t, const struct msg_volume_record *r,
    char *hold, size_t len)
{
	dsp_name	user;
	uint16_t	i;
	int		rc;

	for (i = 0; i < r->extent_count; i++) {
		rc = store_region_user(t, r->extents[i].server,
		    r->extents[i].region, r->extents[i].offset,
		    r->extents[i].length, r->name, user);
		if (rc == 1)
			hold_append(hold, len, "its extent on region %s of "
			    "server %s overlaps volume %s",
			    r->extents[i].region, r->extents[i].server, user);
		else if (rc != 0)
			return store_walk_status(rc);
	}
	return DSP_OK;
}

static int
import_evaluate(struct store_txn *t, const char *name, int rebuild)
{
	struct candidates	 cs;
	const struct candidate	*best;
	struct volume_record	 v, old;
	char			 hold[sizeof(v.hold)];
	uint64_t		 floor = 0;
	int			 rc, existed;

	rc = store_volume_load(t, name, &old);
	if (rc != DSP_OK && rc != DSP_E_NOTFOUND)
		return rc;
	existed = rc == DSP_OK;
	if (existed && old.hold_kind != VOLUME_HOLD_IMPORT)
		return DSP_OK;
	if (existed)
		floor = old.generation - 1;
	if ((rc = candidates_load(t, name, &cs)) != DSP_OK)
		return rc;
	if ((best = candidates_best(&cs)) == NULL) {
		candidates_free(&cs);
		return DSP_OK;
	}
	candidates_disagreement(&cs, best, hold, sizeof(hold));
	if ((rc = import_overlaps(t, &best->rec, hold, sizeof(hold))) != DSP_OK) {
		candidates_free(&cs);
		return rc;
	}
	if (hold[0] == '\0' && !rebuild)
		snprintf(hold, sizeof(hold), "the table did not know it (it "
		    "may be an older copy); every lender agrees");
	/* Above every lender's revision: each takes the push. */
	rc = adopt_record(t, &v, &best->rec, adopt_generation(t, name, &cs,
	    floor), candidates_max(&cs, 1, best->rec.revision));
	if (rc == DSP_OK && hold[0] != '\0') {
		v.hold_kind = VOLUME_HOLD_IMPORT;
		store_copy(v.hold, sizeof(v.hold), hold);
	}
	if (rc == DSP_OK)
		rc = store_volume_save(t, &v);
	if (rc == DSP_OK && v.hold_kind == VOLUME_HOLD_NONE)
		rc = store_candidates_clear(t, name);
	if (rc == DSP_OK && !existed)
		rc = store_audit_add(t, "manager", rebuild ? "rebuild" :
		    "import", name, "%s, %llu bytes, extents: %u, lenders "
		    "reporting: %zu%s", dsp_form_name(v.form),
		    (unsigned long long)v.size, v.extent_count, cs.count,
		    v.hold_kind ? ", held" : "");
	if (rc == DSP_OK && v.hold_kind == VOLUME_HOLD_NONE)
		log_info("volume %s rebuilt from its lenders' records: %s, "
		    "%llu bytes, extents: %u", name, dsp_form_name(v.form),
		    (unsigned long long)v.size, v.extent_count);
	else if (rc == DSP_OK && (!existed || strcmp(old.hold, v.hold) != 0))
		log_warnx("volume %s is held: %s", name, v.hold);
	candidates_free(&cs);
	return rc;
}

void
store_hold_newer(struct volume_record *v, const char *server,
    uint64_t revision)
{
	v->hold_kind = VOLUME_HOLD_CONFLICT;
	snprintf(v->hold, sizeof(v->hold), "server %s keeps a newer record "
	    "(revision %llu, the table has %llu); waiting for it", server,
	    (unsigned long long)revision, (unsigned long long)v->revision);
	v->borrower[0] = '\0';
	v->mounted = 0;
}

/* Only generation and revision tell the record from the table's. */
static int
same_but_newer(struct store_txn *t, const struct volume_record *v,
    const struct msg_volume_record *r, const uint8_t digest[DSP_DIGEST_LEN])
{
	struct volume_record	probe = *v;
	uint8_t			mine[DSP_DIGEST_LEN];

	probe.generation = r->generation;
	probe.revision = r->revision;
	if (store_view_digest(t, &probe, mine) != DSP_OK)
		return 0;
	return memcmp(mine, digest, DSP_DIGEST_LEN) == 0;
}

/*
 * A record of a volume held because a lender keeps a newer one: if the
 * table and the record differ only in generation and revision, the
 * table goes on from the higher revision and the hold ends; if not,
 * the table may be an older copy and an admin decides.
 */
static int
conflict_evaluate(struct store_txn *t, struct volume_record *v,
    const char *server, const struct msg_volume_record *r,
    const uint8_t digest[DSP_DIGEST_LEN])
{
	char	key[STORE_REGION_KEY_MAX];
	MDB_val	k;
	int	rc;

	if (!same_but_newer(t, v, r, digest)) {
		snprintf(v->hold, sizeof(v->hold), "server %s keeps a newer "
		    "record (generation %llu revision %llu; the table has "
		    "%llu and %llu): the table may be an older copy", server,
		    (unsigned long long)r->generation,
		    (unsigned long long)r->revision,
		    (unsigned long long)v->generation,
		    (unsigned long long)v->revision);
		log_warnx("volume %s is held: %s", v->name, v->hold);
		if ((rc = store_volume_save(t, v)) != DSP_OK)
			return rc;
		return store_audit_add(t, "manager", "hold", v->name, "server "
		    "%s keeps generation %llu revision %llu", server,
		    (unsigned long long)r->generation,
		    (unsigned long long)r->revision);
	}
	k.mv_size = store_region_key(key, v->name, server);
	k.mv_data = key;
	if ((rc = mdb_del(t->txn, t->s->candidates, &k, NULL)) != 0 &&
	    rc != MDB_NOTFOUND)
		return store_mdb_fail(t, "dropping a candidate", rc);
	if (candidates_count(t, v->name) > 0)
		return store_volume_save(t, v);	/* others still differ */
	v->hold_kind = VOLUME_HOLD_NONE;
	v->hold[0] = '\0';
	v->revision = (r->revision > v->revision ? r->revision :
	    v->revision) + 1;
	log_info("volume %s: server %s keeps the same volume at revision "
	    "%llu; the table goes on from there", v->name, server,
	    (unsigned long long)r->revision);
	return store_volume_save(t, v);
}

/* A record of a volume the table knows and this server lends to. */
static int
report_known(struct store_txn *t, struct volume_record *v, const char *server,
    const struct msg_volume_record *r, const uint8_t *bytes, size_t len,
    const uint8_t digest[DSP_DIGEST_LEN])
{
	uint8_t		mine[DSP_DIGEST_LEN];
	uint16_t	i;
	int		rc, same;

	if ((rc = store_view_digest(t, v, mine)) != DSP_OK)
		return rc;
	same = memcmp(mine, digest, DSP_DIGEST_LEN) == 0;
	if (!same && r->revision >= v->revision) {
		if ((rc = candidate_save(t, server, v->name, bytes,
		    len)) != DSP_OK)
			return rc;
		store_hold_newer(v, server, r->revision);
		return conflict_evaluate(t, v, server, r, digest);
	}
	/* Equal: it is acknowledged; older: the push worker sends ours. */
	for (i = 0; i < v->extent_count; i++)
		if (strcmp(v->extents[i].server, server) == 0)
			v->extents[i].acked_revision = same ? v->revision : 0;
	return store_volume_save(t, v);
}

static int
report_one(struct store_txn *t, const char *server,
    const struct msg_volume_record *r, const uint8_t *bytes, size_t len,
    int rebuild, uint8_t *verdict)
{
	struct volume_record	v;
	uint8_t			digest[DSP_DIGEST_LEN];
	uint16_t		i;
	int			rc;

	*verdict = DSP_RECORD_KEEP;
	msg_digest_bytes(bytes, len, digest);
	if (!msg_volume_record_uses(r, server)) {
		*verdict = DSP_RECORD_DROP;
		return DSP_OK;
	}
	rc = store_volume_load(t, r->name, &v);
	if (rc == DSP_OK && v.hold_kind != VOLUME_HOLD_NONE) {
		if ((rc = candidate_save(t, server, r->name, bytes,
		    len)) != DSP_OK)
			return rc;
		if (v.hold_kind == VOLUME_HOLD_CONFLICT)
			return conflict_evaluate(t, &v, server, r, digest);
		return import_evaluate(t, r->name, rebuild);
	}
	if (rc == DSP_OK) {
		for (i = 0; i < v.extent_count; i++)
			if (strcmp(v.extents[i].server, server) == 0)
				return report_known(t, &v, server, r, bytes,
				    len, digest);
		*verdict = DSP_RECORD_DROP;
		return DSP_OK;
	}
	if (rc != DSP_E_NOTFOUND)
		return rc;
	/* Deleted while this lender was away. */
	if (store_retired_generation(t, r->name) >= r->generation) {
		*verdict = DSP_RECORD_DROP;
		return DSP_OK;
	}
	if ((rc = candidate_save(t, server, r->name, bytes, len)) != DSP_OK)
		return rc;
	return import_evaluate(t, r->name, rebuild);
}

/* Lenders registering at once share commits. */
struct report_job {
	const char			*server;
	const struct msg_volume_record	*r;
	const uint8_t			*bytes;
	size_t				 len;
	int				 rebuild;
	uint8_t				*verdict;
};

static int
report_job(struct store_txn *t, void *arg)
{
	const struct report_job	*j = arg;

	return report_one(t, j->server, j->r, j->bytes, j->len, j->rebuild,
	    j->verdict);
}

int
store_record_report(struct store *s, const char *server, const uint8_t *bytes,
    size_t len, int rebuild, uint64_t now, uint8_t *verdict, char *err,
    size_t errlen)
{
	struct report_job		 j;
	struct msg_volume_record	 r;
	int				 rc;

	*verdict = DSP_RECORD_KEEP;
	if ((rc = msg_decode_volume_record(bytes, len, &r)) != DSP_OK) {
		store_set_err(err, errlen, "%s volume record",
		    rc == DSP_E_FRAME ? "malformed" : "invalid");
		return rc;
	}
	j.server = server;
	j.r = &r;
	j.bytes = bytes;
	j.len = len;
	j.rebuild = rebuild;
	j.verdict = verdict;
	return store_write(s, now, report_job, &j, err, errlen);
}

/* --- resolve --- */

static int
resolve_check_overlap(struct store_txn *t, const struct volume_record *v)
{
	dsp_name	user;
	uint16_t	i;
	int		rc;

	for (i = 0; i < v->extent_count; i++) {
		rc = store_region_user(t, v->extents[i].server,
		    v->extents[i].region, v->extents[i].offset,
		    v->extents[i].length, v->name, user);
		if (rc == 1)
			return store_fail(t, DSP_E_BUSY, "volume %s: its extent "
			    "on region %s of server %s overlaps volume %s; "
			    "delete one of the two first", v->name,
			    v->extents[i].region, v->extents[i].server, user);
		if (rc != 0)
			return store_walk_status(rc);
	}
	return DSP_OK;
}

static int
resolve(struct store_txn *t, const char *actor, const char *name,
    const char *server, char *how, size_t howlen)
{
	struct candidates	 cs;
	const struct candidate	*take = NULL;
	struct volume_record	 v, old;
	int			 rc;

	if ((rc = store_volume_load(t, name, &old)) != DSP_OK)
		return rc;
	if (old.hold_kind == VOLUME_HOLD_NONE)
		return store_fail(t, DSP_E_STATE, "volume %s is not held",
		    name);
	if ((rc = candidates_load(t, name, &cs)) != DSP_OK)
		return rc;
	if (server != NULL && (take = candidates_of(&cs, server)) == NULL)
		rc = store_fail(t, DSP_E_NOTFOUND, "server %s reported no "
		    "record of volume %s", server, name);
	else if (server == NULL && old.hold_kind == VOLUME_HOLD_IMPORT)
		take = candidates_best(&cs);
	v = old;
	v.generation = adopt_generation(t, name, &cs, old.generation);
	v.generation_at = t->now;
	if (rc == DSP_OK && take != NULL)
		rc = adopt_record(t, &v, &take->rec, v.generation, 0);
	if (rc == DSP_OK) {
		v.revision = candidates_max(&cs, 1, old.revision);
		v.hold_kind = VOLUME_HOLD_NONE;
		v.hold[0] = '\0';
		v.borrower[0] = '\0';
		v.mounted = 0;
		snprintf(how, howlen, "%s", take != NULL ? take->server :
		    "the table");
		rc = resolve_check_overlap(t, &v);
	}
	if (rc == DSP_OK)
		rc = store_volume_save(t, &v);
	if (rc == DSP_OK)
		rc = store_candidates_clear(t, name);
	if (rc == DSP_OK)
		rc = store_audit_add(t, actor, "resolve", name, "record of %s, "
		    "generation %llu", how, (unsigned long long)v.generation);
	candidates_free(&cs);
	return rc;
}

int
store_volume_resolve(struct store *s, const char *actor, const char *name,
    const char *server, uint64_t now, char *how, size_t howlen, char *err,
    size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	rc = resolve(&t, actor, name, server, how, howlen);
	return store_end(&t, rc);
}

/* --- listing --- */

int
store_each_candidate(struct store *s, const char *volume,
    store_candidate_cb cb, void *arg)
{
	struct store_txn	t;
	struct candidates	cs;
	struct store_candidate	sc;
	size_t			i;
	int			rc, ret = 0;

	if ((rc = store_begin(s, &t, 0, 0, NULL, 0)) != DSP_OK)
		return -1;
	if ((rc = candidates_load(&t, volume, &cs)) != DSP_OK) {
		store_end(&t, rc);
		return -1;
	}
	for (i = 0; ret == 0 && i < cs.count; i++) {
		memset(&sc, 0, sizeof(sc));
		store_copy(sc.server, sizeof(sc.server), cs.items[i].server);
		sc.record = &cs.items[i].rec;
		memcpy(sc.digest, cs.items[i].digest, DSP_DIGEST_LEN);
		ret = cb(&sc, arg);
	}
	candidates_free(&cs);
	store_end(&t, DSP_OK);
	return ret;
}

/* --- the rebuild mark --- */

static int
rebuild_table_empty(struct store_txn *t, MDB_dbi dbi)
{
	MDB_stat	st;

	return mdb_stat(t->txn, dbi, &st) == 0 && st.ms_entries == 0;
}

int
store_rebuild_begin(struct store *s, uint64_t now, char *err, size_t errlen)
{
	struct store_txn	t;
	MDB_val			k = { strlen(REBUILD_META), REBUILD_META }, v;
	uint8_t			be[8];
	int			i, rc;

	if ((rc = store_begin(s, &t, 1, now, err, errlen)) != DSP_OK)
		return rc;
	if (mdb_get(t.txn, s->meta, &k, &v) == 0)
		return store_end(&t, DSP_OK);	/* carrying on */
	if (!rebuild_table_empty(&t, s->volumes) ||
	    !rebuild_table_empty(&t, s->servers))
		return store_end(&t, store_fail(&t, DSP_E_STATE, "rebuild "
		    "needs an empty store, and this one already has servers "
		    "or volumes: start without rebuild"));
	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)(now >> (56 - 8 * i));
	v.mv_size = sizeof(be);
	v.mv_data = be;
	if ((rc = mdb_put(t.txn, s->meta, &k, &v, 0)) != 0)
		return store_end(&t, store_mdb_fail(&t, "marking the rebuild",
		    rc));
	t.dirty = 1;
	rc = store_audit_add(&t, "manager", "rebuild", NULL, "the table is "
	    "rebuilt from the lenders' records");
	return store_end(&t, rc);
}
