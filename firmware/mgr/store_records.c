/*
 * The records on the lenders, from the table's side: what a volume's
 * record looks like to its lenders (its lender view), the revision that
 * goes one up whenever that view changes, and the owed table, an index
 * kept in the same transaction as the volume rows: one row per server
 * that must be sent a volume's record (PUT) or told it is gone (DROP).
 * The manager's push worker (push.c) empties it.
 */
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "store_internal.h"

/* Owed row value: u8 kind, u64 generation. */
#define OWED_VALUE_SIZE	9

void
store_view_fields(const struct volume_record *v, struct msg_volume_record *m)
{
	const struct volume_extent	*e;
	struct msg_record_extent	*me;
	uint16_t			 i;

	memset(m, 0, sizeof(*m));
	store_copy(m->name, sizeof(m->name), v->name);
	m->form = v->form;
	m->size = v->size;
	m->generation = v->generation;
	m->revision = v->revision;
	m->created_at = v->created_at;
	m->chunk_size = v->chunk_size;
	m->dirty_chunks = v->dirty_chunks;
	m->extent_count = v->extent_count;
	for (i = 0; i < v->extent_count && i < DSP_MAX_EXTENTS; i++) {
		e = &v->extents[i];
		me = &m->extents[i];
		store_copy(me->server, sizeof(me->server), e->server);
		store_copy(me->region, sizeof(me->region), e->region);
		me->offset = e->offset;
		me->length = e->length;
		me->leg_state = e->leg_state;
		me->full_resync = e->full_resync;
		me->server_retired = e->server_retired;
		store_copy(me->leg_reason, sizeof(me->leg_reason),
		    e->leg_reason);
	}
}

int
store_lender_view(struct store_txn *t, const struct volume_record *v,
    struct msg_volume_record *m, uint8_t **bits)
{
	uint64_t	chunks;
	int		rc;

	*bits = NULL;
	store_view_fields(v, m);
	if (v->form != DSP_FORM_MIRROR || v->dirty_chunks == 0 ||
	    v->chunk_size == 0)
		return DSP_OK;
	chunks = v->size / v->chunk_size + (v->size % v->chunk_size != 0);
	if ((rc = store_bitmap_load(t, v->name, chunks, bits)) != DSP_OK)
		return rc;
	m->bitmap = *bits;
	m->bitmap_len = (size_t)BITMAP_BYTES(chunks);
	return DSP_OK;
}

int
store_view_digest(struct store_txn *t, const struct volume_record *v,
    uint8_t digest[DSP_DIGEST_LEN])
{
	struct msg_volume_record	*m;
	uint8_t				*bits;
	int				 rc;

	if ((m = malloc(sizeof(*m))) == NULL)
		return store_fail(t, DSP_E_INTERNAL, "out of memory");
	if ((rc = store_lender_view(t, v, m, &bits)) == DSP_OK &&
	    msg_volume_record_digest(m, digest) == -1)
		rc = store_fail(t, DSP_E_INTERNAL, "out of memory");
	free(bits);
	free(m);
	return rc;
}

/* Whether the lenders' view differs between two states of a volume.
 * The bitmap is not compared: it only changes with dirty_chunks. */
static int
store_view_changed(const struct volume_record *a,
    const struct volume_record *b)
{
	struct msg_volume_record	ma, mb;
	struct buf_writer		wa, wb;
	int				changed;

	store_view_fields(a, &ma);
	store_view_fields(b, &mb);
	ma.revision = mb.revision = 0;
	buf_writer_init(&wa);
	buf_writer_init(&wb);
	msg_encode_volume_record(&wa, &ma);
	msg_encode_volume_record(&wb, &mb);
	changed = wa.error || wb.error || wa.len != wb.len ||
	    memcmp(wa.data, wb.data, wa.len) != 0;
	buf_writer_free(&wa);
	buf_writer_free(&wb);
	return changed;
}

void
store_next_revision(const struct volume_record *old, struct volume_record *v)
{
	if (old == NULL || store_view_changed(old, v))
		v->revision = (old != NULL && old->revision > v->revision ?
		    old->revision : v->revision) + 1;
	else if (old->revision > v->revision)
		v->revision = old->revision;
}

/* --- the owed table --- */

static int
store_owed_key(char *key, const char *server, const char *volume, MDB_val *k)
{
	k->mv_size = store_region_key(key, server, volume);
	k->mv_data = key;
	return 0;
}

static int
store_owed_put(struct store_txn *t, const char *server, const char *volume,
    uint8_t kind, uint64_t generation)
{
	char		key[STORE_REGION_KEY_MAX];
	uint8_t		val[OWED_VALUE_SIZE];
	MDB_val		k, v, have;
	int		i, rc;

	store_owed_key(key, server, volume, &k);
	val[0] = kind;
	for (i = 0; i < 8; i++)
		val[1 + i] = (uint8_t)(generation >> (56 - 8 * i));
	if (mdb_get(t->txn, t->s->owed, &k, &have) == 0 &&
	    have.mv_size == sizeof(val) && memcmp(have.mv_data, val,
	    sizeof(val)) == 0)
		return DSP_OK;
	v.mv_size = sizeof(val);
	v.mv_data = val;
	if ((rc = mdb_put(t->txn, t->s->owed, &k, &v, 0)) != 0)
		return store_mdb_fail(t, "writing an owed push", rc);
	t->dirty = 1;
	t->owed = 1;
	return DSP_OK;
}

/* kind 0: whatever row there is. */
static int
store_owed_del(struct store_txn *t, const char *server, const char *volume,
    uint8_t kind)
{
	char	key[STORE_REGION_KEY_MAX];
	MDB_val	k, have;
	int	rc;

	store_owed_key(key, server, volume, &k);
	if ((rc = mdb_get(t->txn, t->s->owed, &k, &have)) == MDB_NOTFOUND)
		return DSP_OK;
	if (rc == 0 && kind != 0 && (have.mv_size != OWED_VALUE_SIZE ||
	    ((const uint8_t *)have.mv_data)[0] != kind))
		return DSP_OK;
	if (rc == 0)
		rc = mdb_del(t->txn, t->s->owed, &k, NULL);
	if (rc != 0)
		return store_mdb_fail(t, "removing an owed push", rc);
	t->dirty = 1;
	return DSP_OK;
}

/* First extent on server at or after index i, or -1. */
static int
store_first_on(const struct volume_record *v, const char *server)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		if (strcmp(v->extents[i].server, server) == 0)
			return i;
	return -1;
}

/* The server owes nothing or has not seen the volume as it is now. */
static int
store_server_owed(const struct volume_record *v, const char *server)
{
	const struct volume_extent	*e;
	uint16_t			 i;

	if (v->hold_kind != VOLUME_HOLD_NONE)
		return 0;
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (strcmp(e->server, server) != 0 || e->server_retired)
			continue;
		if (e->acked_generation < v->generation ||
		    e->acked_revision < v->revision)
			return 1;
	}
	return 0;
}

int
store_records_saved(struct store_txn *t, const struct volume_record *old,
    const struct volume_record *v)
{
	const char	*server;
	uint16_t	 i;
	int		 rc = DSP_OK;

	for (i = 0; rc == DSP_OK && i < v->extent_count; i++) {
		server = v->extents[i].server;
		if (store_first_on(v, server) != i)
			continue;
		rc = store_server_owed(v, server) ?
		    store_owed_put(t, server, v->name, STORE_OWED_PUT,
		    v->generation) :
		    store_owed_del(t, server, v->name, STORE_OWED_PUT);
	}
	/* A server the volume no longer uses forgets it. */
	for (i = 0; old != NULL && rc == DSP_OK && i < old->extent_count;
	    i++) {
		server = old->extents[i].server;
		if (store_first_on(old, server) == i &&
		    store_first_on(v, server) == -1 &&
		    !old->extents[i].server_retired)
			rc = store_owed_put(t, server, v->name, STORE_OWED_DROP,
			    v->generation);
	}
	return rc;
}

int
store_records_removed(struct store_txn *t, const struct volume_record *old)
{
	const char	*server;
	uint16_t	 i;
	int		 rc = DSP_OK;

	for (i = 0; rc == DSP_OK && i < old->extent_count; i++) {
		server = old->extents[i].server;
		if (store_first_on(old, server) == i &&
		    !old->extents[i].server_retired)
			rc = store_owed_put(t, server, old->name,
			    STORE_OWED_DROP, old->generation);
	}
	return rc == DSP_OK ? store_candidates_clear(t, old->name) : rc;
}

int
store_owed_done(struct store_txn *t, const char *server, const char *volume,
    uint8_t kind)
{
	return store_owed_del(t, server, volume, kind);
}

/* --- reading the owed table --- */

static int
store_owed_decode(const MDB_val *k, const MDB_val *v, struct store_owed *o)
{
	const uint8_t	*p = v->mv_data;
	const char	*key = k->mv_data;
	size_t		 sl;
	int		 i;

	memset(o, 0, sizeof(*o));
	sl = strnlen(key, k->mv_size);
	if (sl == 0 || sl >= k->mv_size || sl > DSP_NAME_MAX ||
	    k->mv_size - sl - 1 > DSP_NAME_MAX || k->mv_size - sl - 1 == 0 ||
	    v->mv_size != OWED_VALUE_SIZE)
		return -1;
	memcpy(o->server, key, sl);
	memcpy(o->volume, key + sl + 1, k->mv_size - sl - 1);
	o->kind = p[0];
	for (i = 0; i < 8; i++)
		o->generation = o->generation << 8 | p[1 + i];
	return 0;
}

/* A read transaction and a cursor on the owed table. */
static int
store_owed_open(struct store *s, struct store_txn *t, MDB_cursor **c)
{
	int	rc;

	if ((rc = store_begin(s, t, 0, 0, NULL, 0)) != DSP_OK)
		return rc;
	if ((rc = mdb_cursor_open(t->txn, s->owed, c)) != 0)
		return store_end(t, store_mdb_fail(t, "reading owed pushes",
		    rc));
	return DSP_OK;
}

/* rc: the cursor's last answer. */
static int
store_owed_close(struct store_txn *t, MDB_cursor *c, int rc)
{
	mdb_cursor_close(c);
	return store_end(t, rc == 0 || rc == MDB_NOTFOUND ? DSP_OK :
	    store_mdb_fail(t, "reading owed pushes", rc));
}

int
store_owed_list(struct store *s, const char *server, const char *after,
    struct store_owed *out, size_t max, size_t *count)
{
	struct store_txn	 t;
	MDB_cursor		*c;
	MDB_val			 k, v;
	char			 key[STORE_REGION_KEY_MAX];
	MDB_cursor_op		 op = MDB_SET_RANGE;
	int			 rc;

	*count = 0;
	if ((rc = store_owed_open(s, &t, &c)) != DSP_OK)
		return rc;
	store_owed_key(key, server, after != NULL ? after : "", &k);
	while (*count < max && (rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (store_owed_decode(&k, &v, &out[*count]) == -1)
			continue;
		if (strcmp(out[*count].server, server) != 0)
			break;
		if (after != NULL && strcmp(out[*count].volume, after) <= 0)
			continue;
		(*count)++;
	}
	return store_owed_close(&t, c, rc);
}

int
store_owed_servers(struct store *s, dsp_name *out, size_t max, size_t *count)
{
	struct store_txn	 t;
	struct store_owed	 o;
	MDB_cursor		*c;
	MDB_val			 k, v;
	char			 key[STORE_REGION_KEY_MAX + 1];
	MDB_cursor_op		 op = MDB_FIRST;
	int			 rc;

	*count = 0;
	if ((rc = store_owed_open(s, &t, &c)) != DSP_OK)
		return rc;
	while (*count < max && (rc = mdb_cursor_get(c, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (store_owed_decode(&k, &v, &o) == -1)
			continue;
		store_copy(out[(*count)++], sizeof(dsp_name), o.server);
		/* Past this server's rows: no name has a 0xff byte. */
		k.mv_size = store_region_key(key, o.server, "\xff");
		k.mv_data = key;
		op = MDB_SET_RANGE;
	}
	return store_owed_close(&t, c, rc);
}

/* --- pushes done --- */

int
store_get_lender_view(struct store *s, const char *volume, const char *server,
    struct msg_volume_record *m, uint8_t **bits)
{
	struct store_txn	t;
	struct volume_record	v;
	int			rc;

	*bits = NULL;
	if ((rc = store_begin(s, &t, 0, 0, NULL, 0)) != DSP_OK)
		return rc;
	if ((rc = store_volume_load(&t, volume, &v)) == DSP_OK &&
	    (v.hold_kind != VOLUME_HOLD_NONE ||
	    store_first_on(&v, server) == -1))
		rc = DSP_E_STATE;
	if (rc == DSP_OK)
		rc = store_lender_view(&t, &v, m, bits);
	if (rc != DSP_OK) {
		free(*bits);
		*bits = NULL;
	}
	return store_end(&t, rc);
}

struct push_ack_job {
	const char	*server;
	const char	*volume;
	uint64_t	 generation;
	uint64_t	 revision;
};

static int
records_push_acked(struct store_txn *t, void *arg)
{
	const struct push_ack_job	*j = arg;
	struct volume_record		 v;
	struct volume_extent		*e;
	uint16_t			 i;
	int				 rc, fence = 0;

	if ((rc = store_volume_load(t, j->volume, &v)) == DSP_E_NOTFOUND)
		return DSP_OK;	/* gone: a DROP is owed */
	for (i = 0; rc == DSP_OK && i < v.extent_count; i++) {
		e = &v.extents[i];
		if (strcmp(e->server, j->server) != 0)
			continue;
		if (e->acked_generation < j->generation &&
		    j->generation <= v.generation) {
			e->acked_generation = j->generation;
			fence = 1;
		}
		if (e->acked_revision < j->revision &&
		    j->revision <= v.revision)
			e->acked_revision = j->revision;
	}
	if (rc == DSP_OK)
		rc = store_volume_save(t, &v);
	if (rc == DSP_OK && fence)
		rc = store_audit_add(t, j->server, "fence-ack", v.name,
		    "generation %llu", (unsigned long long)j->generation);
	return rc;
}

int
store_push_acked(struct store *s, const char *server, const char *volume,
    uint64_t generation, uint64_t revision, char *err, size_t errlen)
{
	struct push_ack_job	j = { server, volume, generation, revision };

	return store_write(s, 0, records_push_acked, &j, err, errlen);
}

int
store_drop_acked(struct store *s, const char *server, const char *volume,
    char *err, size_t errlen)
{
	struct store_txn	t;
	int			rc;

	if ((rc = store_begin(s, &t, 1, 0, err, errlen)) != DSP_OK)
		return rc;
	rc = store_owed_done(&t, server, volume, STORE_OWED_DROP);
	return store_end(&t, rc);
}

/* --- volumes written before records --- */

static int
records_upgrade_collect(struct store_txn *t, const struct volume_record *v,
    void *arg)
{
	return v->revision == 0 ? store_collect_volume(t, v, arg) : 0;
}

int
store_records_upgrade(struct store *s, size_t *count, char *err,
    size_t errlen)
{
	struct store_txn	t;
	struct store_names	u;
	struct volume_record	v;
	size_t			i;
	int			rc;

	*count = 0;
	if ((rc = store_begin(s, &t, 1, 0, err, errlen)) != DSP_OK)
		return rc;
	memset(&u, 0, sizeof(u));
	u.t = &t;
	rc = store_walk_status(store_walk_volumes(&t, records_upgrade_collect,
	    &u));
	for (i = 0; rc == DSP_OK && i < u.count; i++) {
		if ((rc = store_volume_load(&t, u.names[i], &v)) != DSP_OK)
			break;
		v.revision = 1;
		rc = store_volume_save(&t, &v);
	}
	*count = u.count;
	free(u.names);
	return store_end(&t, rc);
}
