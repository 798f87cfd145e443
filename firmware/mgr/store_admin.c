/*
 * What the admin builds and removes: volumes of the four usage forms.
 * A byte of a region belongs to at most one volume, checked against
 * every extent.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bitmap.h"
#include "store_internal.h"

/*
 * Agents remember the highest generation they saw per volume name, so a
 * name that is deleted and built again must go on counting from where
 * the old volume stopped: meta "retired:NAME" keeps that number.
 */
static void
admin_retired_key(char *key, size_t keylen, const char *name, MDB_val *k)
{
	snprintf(key, keylen, "retired:%s", name);
	k->mv_size = strlen(key);
	k->mv_data = key;
}

/* The value: u64 last generation, then (since the lenders keep
 * records) u64 last revision; a value of the generation alone is still
 * read. */
static uint64_t
admin_retired(struct store_txn *t, const char *name, int revision)
{
	char		key[DSP_NAME_MAX + 16];
	MDB_val		k, v;
	struct buf_reader r;
	uint64_t	gen, rev = 0;

	admin_retired_key(key, sizeof(key), name, &k);
	if (mdb_get(t->txn, t->s->meta, &k, &v) != 0)
		return 0;
	buf_reader_init(&r, v.mv_data, v.mv_size);
	gen = buf_get_u64(&r);
	if (v.mv_size > 8)
		rev = buf_get_u64(&r);
	if (buf_reader_finish(&r) != 0)
		return 0;
	return revision ? rev : gen;
}

uint64_t
store_retired_generation(struct store_txn *t, const char *name)
{
	return admin_retired(t, name, 0);
}

/* A volume created again under the name starts above both, so that
 * a lender still keeping the old record takes the new one. */
static int
admin_retire_generation(struct store_txn *t, const struct volume_record *vr)
{
	char		key[DSP_NAME_MAX + 16];
	MDB_val		k, v;
	uint8_t		be[16];
	int		i, rc;

	for (i = 0; i < 8; i++) {
		be[i] = (uint8_t)(vr->generation >> (56 - 8 * i));
		be[8 + i] = (uint8_t)(vr->revision >> (56 - 8 * i));
	}
	admin_retired_key(key, sizeof(key), vr->name, &k);
	v.mv_size = sizeof(be);
	v.mv_data = be;
	if ((rc = mdb_put(t->txn, t->s->meta, &k, &v, 0)) != 0)
		return store_mdb_fail(t, "retire volume generation", rc);
	t->dirty = 1;
	return DSP_OK;
}

/* The server and region exist, the region is available and not empty. */
static int
admin_load_region(struct store_txn *t, const char *server,
    const char *region, struct region_record *rr)
{
	struct server_record	sr;
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
	return DSP_OK;
}

/* ... and no byte of it belongs to a volume. */
static int
admin_check_region(struct store_txn *t, const char *server,
    const char *region, struct region_record *rr)
{
	dsp_name	user;
	int		rc;

	if ((rc = admin_load_region(t, server, region, rr)) != DSP_OK)
		return rc;
	rc = store_region_user(t, server, region, 0, rr->size, NULL, user);
	if (rc == 1)
		return store_fail(t, DSP_E_BUSY, "region %s of server %s is "
		    "already used by volume %s", region, server, user);
	return store_walk_status(rc);
}

/* The name is valid and free; 0 or the retired generation via gen. */
static int
admin_check_name(struct store_txn *t, const char *name, uint64_t *gen)
{
	struct volume_record	old;
	int			rc;

	if (!msg_name_valid(name))
		return store_fail(t, DSP_E_INVALID, "bad volume name \"%.*s\": "
		    "use 1 to %d of A-Z a-z 0-9 . _ : -", DSP_NAME_MAX, name,
		    DSP_NAME_MAX);
	if ((rc = store_volume_load(t, name, &old)) == DSP_OK)
		return store_fail(t, DSP_E_INVALID, "volume %s already exists",
		    name);
	if (rc != DSP_E_NOTFOUND)
		return rc;
	*gen = store_retired_generation(t, name) + 1;
	return DSP_OK;
}

/* How many regions the form takes, and that none is named twice. */
static int
admin_check_refs(struct store_txn *t, int form,
    const struct store_region_ref *refs, uint16_t count)
{
	uint16_t	i, j;

	if (form != DSP_FORM_SINGLE && form != DSP_FORM_CONCAT &&
	    form != DSP_FORM_MIRROR)
		return store_fail(t, DSP_E_INVALID, form == DSP_FORM_SPLIT ?
		    "split volumes are cut out of a region with volume split" :
		    "unknown usage form %d", form);
	if (form == DSP_FORM_SINGLE && count != 1)
		return store_fail(t, DSP_E_INVALID, "a single volume is one "
		    "region, not %u", count);
	if (form != DSP_FORM_SINGLE && count < 2)
		return store_fail(t, DSP_E_INVALID, "a %s volume needs at least "
		    "2 regions, not %u", dsp_form_name(form), count);
	if (count > DSP_MAX_EXTENTS)
		return store_fail(t, DSP_E_INVALID, "a volume has at most %d "
		    "regions, not %u", DSP_MAX_EXTENTS, count);
	for (i = 0; i < count; i++)
		for (j = 0; j < i; j++) {
			if (strcmp(refs[i].server, refs[j].server) != 0)
				continue;
			/* A copy on the same server dies with the other. */
			if (form == DSP_FORM_MIRROR)
				return store_fail(t, DSP_E_INVALID, "mirror "
				    "legs must be on distinct servers: %s:%s "
				    "and %s:%s are both on %s", refs[j].server,
				    refs[j].region, refs[i].server,
				    refs[i].region, refs[i].server);
			if (strcmp(refs[i].region, refs[j].region) == 0)
				return store_fail(t, DSP_E_INVALID, "region %s "
				    "of server %s is named twice",
				    refs[i].region, refs[i].server);
		}
	return DSP_OK;
}

/* A new volume record with no extents yet. */
static void
admin_new_volume(struct store_txn *t, struct volume_record *v,
    const char *name, int form, uint64_t gen)
{
	memset(v, 0, sizeof(*v));
	store_copy(v->name, sizeof(v->name), name);
	v->form = (uint8_t)form;
	v->generation = gen;
	v->generation_at = t->now;
	v->created_at = t->now;
	v->revision = admin_retired(t, name, 1);
}

static void
admin_add_extent(struct volume_record *v, const char *server,
    const char *region, uint64_t offset, uint64_t length)
{
	struct volume_extent	*e = &v->extents[v->extent_count++];

	store_copy(e->server, sizeof(e->server), server);
	store_copy(e->region, sizeof(e->region), region);
	e->offset = offset;
	e->length = length;
	/* The agents have seen no higher generation of this name. */
	e->acked_generation = v->generation;
	e->leg_state = DSP_LEG_IN_SYNC;
}

/* "serverB:B2 + serverC:C2", cut short to fit. */
static void
admin_describe_refs(const struct store_region_ref *refs, uint16_t count,
    char *out, size_t outlen)
{
	size_t		n = 0;
	uint16_t	i;

	out[0] = '\0';
	for (i = 0; i < count && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s:%s",
		    i ? " + " : "", refs[i].server, refs[i].region);
}

static int
admin_create(struct store_txn *t, const char *actor, const char *name,
    int form, const struct store_region_ref *refs, uint16_t count)
{
	struct volume_record	v;
	struct region_record	rr[DSP_MAX_EXTENTS];
	uint64_t		gen, size = 0;
	char			what[96];
	uint16_t		i;
	int			rc;

	if ((rc = admin_check_name(t, name, &gen)) != DSP_OK ||
	    (rc = admin_check_refs(t, form, refs, count)) != DSP_OK)
		return rc;
	for (i = 0; i < count; i++) {
		rc = admin_check_region(t, refs[i].server, refs[i].region,
		    &rr[i]);
		if (rc != DSP_OK)
			return rc;
		if (form == DSP_FORM_MIRROR) {
			/* As large as the smallest leg. */
			if (i == 0 || rr[i].size < size)
				size = rr[i].size;
		} else if (size + rr[i].size < size)
			return store_fail(t, DSP_E_INVALID, "volume %s would "
			    "be larger than 2^64 bytes", name);
		else
			size += rr[i].size;
	}
	admin_new_volume(t, &v, name, form, gen);
	v.size = size;
	for (i = 0; i < count; i++)
		admin_add_extent(&v, refs[i].server, refs[i].region, 0,
		    form == DSP_FORM_MIRROR ? size : rr[i].size);
	if (form == DSP_FORM_MIRROR) {
		v.chunk_size = bitmap_chunk_size(size);
		if (bitmap_chunk_count(size, v.chunk_size) > DSP_MAX_CHUNKS)
			return store_fail(t, DSP_E_INVALID, "a mirror of %llu "
			    "bytes is too large for its write-intent bitmap",
			    (unsigned long long)size);
	}
	if ((rc = store_volume_save(t, &v)) != DSP_OK)
		return rc;
	admin_describe_refs(refs, count, what, sizeof(what));
	return store_audit_add(t, actor, "create", name, "%s on %s, %llu "
	    "bytes", dsp_form_name(form), what, (unsigned long long)size);
}

/* An admin change as a group-commit job. */
struct admin_job {
	const char			*actor;
	const char			*name;
	int				 form;
	const struct store_region_ref	*refs;
	const struct store_piece	*pieces;
	uint16_t			 count;
};

static int
admin_create_job(struct store_txn *t, void *arg)
{
	const struct admin_job	*j = arg;

	return admin_create(t, j->actor, j->name, j->form, j->refs, j->count);
}

int
store_volume_create(struct store *s, const char *actor, const char *name,
    int form, const struct store_region_ref *refs, uint16_t count,
    uint64_t now, char *err, size_t errlen)
{
	struct admin_job	j = { .actor = actor, .name = name,
				    .form = form, .refs = refs,
				    .count = count };

	return store_write(s, now, admin_create_job, &j, err, errlen);
}

/* --- split: pieces back to back after the last byte in use --- */

struct admin_region_end {
	uint64_t	 end;		/* first byte after every extent */
	dsp_name	 last;		/* the volume that ends there */
};

static int
admin_region_end_one(const char *volume, uint64_t off, uint64_t len,
    void *arg)
{
	struct admin_region_end	*re = arg;

	if (off + len > re->end) {
		re->end = off + len;
		store_copy(re->last, sizeof(re->last), volume);
	}
	return 0;
}

/* The names are valid, new and distinct; only the last may be "rest". */
static int
admin_check_pieces(struct store_txn *t, const struct store_piece *pieces,
    uint16_t count, uint64_t *gens, uint64_t *need)
{
	uint16_t	i, j;
	int		rc;

	if (count == 0 || count > STORE_MAX_PIECES)
		return store_fail(t, DSP_E_INVALID, "a split makes 1 to %d "
		    "volumes, not %u", STORE_MAX_PIECES, count);
	*need = 0;
	for (i = 0; i < count; i++) {
		if ((rc = admin_check_name(t, pieces[i].name,
		    &gens[i])) != DSP_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(pieces[i].name, pieces[j].name) == 0)
				return store_fail(t, DSP_E_INVALID, "volume "
				    "name %s is given twice", pieces[i].name);
		if (pieces[i].size == 0 && i + 1 < count)
			return store_fail(t, DSP_E_INVALID, "only the last "
			    "piece may take the rest of the region, not %s",
			    pieces[i].name);
		if (*need + pieces[i].size < *need)
			return store_fail(t, DSP_E_INVALID, "the pieces add "
			    "up to more than 2^64 bytes");
		*need += pieces[i].size;
	}
	return DSP_OK;
}

static int
admin_split_room(struct store_txn *t, const struct store_region_ref *ref,
    const struct region_record *rr, const struct admin_region_end *re,
    uint64_t need, int rest)
{
	uint64_t	avail = re->end < rr->size ? rr->size - re->end : 0;
	char		after[DSP_NAME_MAX + 32];

	if (re->last[0] != '\0')
		snprintf(after, sizeof(after), " after volume %s", re->last);
	else
		after[0] = '\0';
	if (need > avail || (rest && need == avail))
		return store_fail(t, DSP_E_NOSPACE, "the pieces need %llu "
		    "bytes%s but region %s of server %s has only %llu bytes "
		    "free%s", (unsigned long long)need, rest ? " and some "
		    "left for the rest" : "", ref->region, ref->server,
		    (unsigned long long)avail, after);
	return DSP_OK;
}

static int
admin_split(struct store_txn *t, const char *actor,
    const struct store_region_ref *ref, const struct store_piece *pieces,
    uint16_t count)
{
	struct admin_region_end	 re = { 0, "" };
	struct region_record	 rr;
	struct volume_record	 v;
	uint64_t		 gens[STORE_MAX_PIECES], need = 0, off, len;
	dsp_name		 user;
	uint16_t		 i;
	int			 rc, rest;

	if ((rc = admin_load_region(t, ref->server, ref->region,
	    &rr)) != DSP_OK ||
	    (rc = admin_check_pieces(t, pieces, count, gens, &need)) != DSP_OK)
		return rc;
	rc = store_region_extents(t, ref->server, ref->region,
	    admin_region_end_one, &re);
	if ((rc = store_walk_status(rc)) != DSP_OK)
		return rc;
	rest = pieces[count - 1].size == 0;
	if ((rc = admin_split_room(t, ref, &rr, &re, need, rest)) != DSP_OK)
		return rc;
	for (i = 0, off = re.end; i < count; i++, off += len) {
		len = pieces[i].size ? pieces[i].size : rr.size - off;
		/* By construction nothing is there; checked all the same. */
		rc = store_region_user(t, ref->server, ref->region, off, len,
		    NULL, user);
		if (rc == 1)
			return store_fail(t, DSP_E_BUSY, "region %s of server "
			    "%s is already used by volume %s", ref->region,
			    ref->server, user);
		if ((rc = store_walk_status(rc)) != DSP_OK)
			return rc;
		admin_new_volume(t, &v, pieces[i].name, DSP_FORM_SPLIT,
		    gens[i]);
		v.size = len;
		admin_add_extent(&v, ref->server, ref->region, off, len);
		if ((rc = store_volume_save(t, &v)) != DSP_OK ||
		    (rc = store_audit_add(t, actor, "create", v.name, "split "
		    "of %s:%s at offset %llu, %llu bytes", ref->server,
		    ref->region, (unsigned long long)off,
		    (unsigned long long)len)) != DSP_OK)
			return rc;
	}
	return DSP_OK;
}

static int
admin_split_job(struct store_txn *t, void *arg)
{
	const struct admin_job	*j = arg;

	return admin_split(t, j->actor, j->refs, j->pieces, j->count);
}

int
store_volume_split(struct store *s, const char *actor,
    const struct store_region_ref *ref, const struct store_piece *pieces,
    uint16_t count, uint64_t now, char *err, size_t errlen)
{
	struct admin_job	j = { .actor = actor, .refs = ref,
				    .pieces = pieces, .count = count };

	return store_write(s, now, admin_split_job, &j, err, errlen);
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
	/* An agent that missed the revocation would never learn of it once
	 * the volume is gone, and the old ticket would work there. */
	if (!volume_all_acked(&v))
		return store_fail(t, DSP_E_FENCED, "volume %s waits for its "
		    "lenders to acknowledge generation %llu; bring them back "
		    "first", name, (unsigned long long)v.generation);
	if ((rc = store_volume_remove(t, name)) != DSP_OK ||
	    (rc = store_bitmap_remove(t, name)) != DSP_OK ||
	    (rc = admin_retire_generation(t, &v)) != DSP_OK)
		return rc;
	return store_audit_add(t, actor, "delete", name, "%s, %llu bytes, "
	    "generation %llu", dsp_form_name(v.form),
	    (unsigned long long)v.size, (unsigned long long)v.generation);
}

static int
admin_delete_job(struct store_txn *t, void *arg)
{
	const struct admin_job	*j = arg;

	return admin_delete(t, j->actor, j->name);
}

int
store_volume_delete(struct store *s, const char *actor, const char *name,
    char *err, size_t errlen)
{
	struct admin_job	j = { .actor = actor, .name = name };

	return store_write(s, (uint64_t)time(NULL), admin_delete_job, &j, err,
	    errlen);
}
