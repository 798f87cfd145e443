/*
 * The four tables of DASPOOL-MIB, row by row from the store: rows are
 * found by their stable numbers (store_ids.c), never by walking a
 * table, and each cell reads its row from the snapshot.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "objects.h"

void
cell_int(struct cell *c, enum cell_type type, uint64_t v)
{
	c->type = type;
	c->num = v;
	c->len = 0;
}

void
cell_str(struct cell *c, const char *s)
{
	c->type = CELL_STRING;
	c->len = strnlen(s, CELL_STRING_MAX);
	memcpy(c->str, s, c->len);
	c->str[c->len] = '\0';
}

void
cell_time(struct cell *c, uint64_t unix_seconds)
{
	time_t		 when = (time_t)unix_seconds;
	struct tm	 tm;
	unsigned char	*p = (unsigned char *)c->str;

	c->type = CELL_STRING;
	c->len = 0;
	if (unix_seconds == 0 || gmtime_r(&when, &tm) == NULL)
		return;
	p[0] = (unsigned char)((tm.tm_year + 1900) >> 8);
	p[1] = (unsigned char)(tm.tm_year + 1900);
	p[2] = (unsigned char)(tm.tm_mon + 1);
	p[3] = (unsigned char)tm.tm_mday;
	p[4] = (unsigned char)tm.tm_hour;
	p[5] = (unsigned char)tm.tm_min;
	p[6] = (unsigned char)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	p[7] = 0;
	c->len = 8;
}

int
rows_lookup(struct view *v, char kind, const uint32_t *numbers, size_t count,
    char *key, size_t *len)
{
	uint32_t	found[2];
	int		rc;

	rc = store_id_next(&v->t, kind, numbers, count, 1, found, key, len);
	if (rc != DSP_OK)
		return rc;
	if (memcmp(found, numbers, count * sizeof(*numbers)) != 0)
		return DSP_E_NOTFOUND;
	key[*len] = '\0';
	return DSP_OK;
}

/* The first row of kind after `after`, its numbers in row. */
static int
rows_next_id(struct view *v, char kind, size_t count, const uint32_t *after,
    uint32_t *row)
{
	char	key[STORE_REGION_KEY_MAX + 1];
	size_t	len;

	return store_id_next(&v->t, kind, after, count, 0, row, key, &len);
}

/* --- servers --- */

static int
server_next(struct view *v, const uint32_t *after, uint32_t *row)
{
	return rows_next_id(v, 's', 1, after, row);
}

struct server_count {
	const char	*prefix;
	size_t		 len;
	uint64_t	 count;
};

static int
server_region_one(const MDB_val *k, const MDB_val *d, void *arg)
{
	struct server_count	*sc = arg;

	(void)d;
	if (k->mv_size <= sc->len || memcmp(k->mv_data, sc->prefix,
	    sc->len) != 0)
		return 1;
	sc->count++;
	return 0;
}

static int
server_regions(struct view *v, const char *server, uint64_t *count)
{
	char			key[STORE_REGION_KEY_MAX];
	struct server_count	sc = { key, 0, 0 };
	MDB_val			from;
	int			rc;

	sc.len = store_region_key(key, server, "");
	from.mv_size = sc.len;
	from.mv_data = key;
	rc = store_walk(&v->t, v->t.s->regions, &from, server_region_one, &sc);
	*count = sc.count;
	return rc == -1 ? DSP_E_INTERNAL : DSP_OK;
}

/* Volumes on the server whose current generation it has not
 * acknowledged. */
struct fenced_walk {
	struct view	*v;
	const char	*server;
	uint64_t	 count;
	int		 rc;
};

static int
server_fenced_volume(struct store_txn *t, const char *volume, uint64_t size,
    void *arg)
{
	struct fenced_walk		*fw = arg;
	struct volume_record		*vr = fw->v->volume;
	const struct volume_extent	*e;
	uint16_t			 i;

	(void)size;
	if ((fw->rc = store_volume_load(t, volume, vr)) != DSP_OK)
		return fw->rc == DSP_E_NOTFOUND ? (fw->rc = DSP_OK, 0) : 1;
	for (i = 0; i < vr->extent_count; i++) {
		e = &vr->extents[i];
		if (strcmp(e->server, fw->server) != 0 || e->server_retired ||
		    (vr->form == DSP_FORM_MIRROR &&
		    e->leg_state == DSP_LEG_OUT_OF_SYNC))
			continue;
		if (e->acked_generation < vr->generation) {
			fw->count++;
			break;
		}
	}
	return 0;
}

static int
server_cell(struct view *v, const uint32_t *row, unsigned int col,
    struct cell *c)
{
	char			name[STORE_REGION_KEY_MAX + 1];
	struct server_record	sr;
	struct fenced_walk	fw;
	size_t			len;
	uint64_t		n;
	int			rc;

	if ((rc = rows_lookup(v, 's', row, 1, name, &len)) != DSP_OK ||
	    (rc = store_server_load(&v->t, name, &sr)) != DSP_OK)
		return rc;
	switch (col) {
	case 2: cell_str(c, sr.name); break;
	case 3: cell_str(c, sr.host); break;
	case 4: cell_int(c, CELL_UNSIGNED, sr.port); break;
	case 5: cell_int(c, CELL_INTEGER, sr.retired ? 3 : sr.up ? 1 : 2);
		break;
	case 6: cell_time(c, sr.last_seen); break;
	case 7:
		if ((rc = server_regions(v, sr.name, &n)) != DSP_OK)
			return rc;
		cell_int(c, CELL_GAUGE, n);
		break;
	default:
		memset(&fw, 0, sizeof(fw));
		fw.v = v;
		fw.server = sr.name;
		if (store_server_volumes(&v->t, sr.name, NULL,
		    server_fenced_volume, &fw) == -1 || fw.rc != DSP_OK)
			return fw.rc != DSP_OK ? fw.rc : DSP_E_INTERNAL;
		cell_int(c, CELL_GAUGE, fw.count);
		break;
	}
	return DSP_OK;
}

/* --- regions --- */

static int
region_next(struct view *v, const uint32_t *after, uint32_t *row)
{
	return rows_next_id(v, 'r', 2, after, row);
}

static int
region_first_user(const char *volume, uint64_t offset, uint64_t length,
    void *arg)
{
	(void)offset;
	(void)length;
	snprintf(arg, DSP_NAME_MAX + 1, "%s", volume);
	return 1;
}

static int
region_cell(struct view *v, const uint32_t *row, unsigned int col,
    struct cell *c)
{
	char			key[STORE_REGION_KEY_MAX + 1];
	char			user[DSP_NAME_MAX + 1] = "";
	struct region_record	rr;
	size_t			len;
	int			rc;

	if ((rc = rows_lookup(v, 'r', row, 2, key, &len)) != DSP_OK ||
	    (rc = store_region_load(&v->t, key, key + strlen(key) + 1,
	    &rr)) != DSP_OK)
		return rc;
	switch (col) {
	case 2: cell_str(c, rr.name); break;
	case 3: cell_int(c, CELL_COUNTER64, rr.size); break;
	case 4: cell_str(c, rr.backing); break;
	case 5: cell_int(c, CELL_INTEGER, rr.available ? 1 : 2); break;
	case 6: cell_str(c, rr.available ? "" : rr.reason); break;
	default:
		if (store_region_extents(&v->t, rr.server, rr.name,
		    region_first_user, user) == -1)
			return DSP_E_INTERNAL;
		cell_str(c, user);
		break;
	}
	return DSP_OK;
}

/* --- the virtual disk table --- */

static int
vdisk_next(struct view *v, const uint32_t *after, uint32_t *row)
{
	return rows_next_id(v, 'v', 1, after, row);
}

static int
vdisk_load(struct view *v, uint32_t id)
{
	char	name[STORE_REGION_KEY_MAX + 1];
	size_t	len;
	int	rc;

	if ((rc = rows_lookup(v, 'v', &id, 1, name, &len)) != DSP_OK)
		return rc;
	return store_volume_load(&v->t, name, v->volume);
}

int
rows_health(struct view *v, const struct volume_record *vr)
{
	struct server_record	sr;
	uint8_t			up[DSP_MAX_EXTENTS];
	uint16_t		i;

	for (i = 0; i < vr->extent_count; i++)
		up[i] = store_server_load(&v->t, vr->extents[i].server,
		    &sr) == DSP_OK && sr.up && !sr.retired;
	return volume_health(vr, up);
}

/* Chunks copied and to copy by the resync running; when none runs,
 * the chunks the last one copied (total 0). */
static void
vdisk_resync(const struct volume_record *vr, uint64_t *done, uint64_t *total)
{
	uint64_t	last = 0;
	uint16_t	i;

	*done = *total = 0;
	for (i = 0; i < vr->extent_count; i++) {
		if (vr->extents[i].leg_state == DSP_LEG_RESYNCING) {
			*done += vr->extents[i].resync_done;
			*total += vr->extents[i].resync_total;
		}
		last += vr->extents[i].last_copied;
	}
	if (*total == 0)
		*done = last;
}

static int
vdisk_cell(struct view *v, const uint32_t *row, unsigned int col,
    struct cell *c)
{
	struct volume_record	*vr = v->volume;
	uint64_t		 done, total;
	int			 rc, health;

	if ((rc = vdisk_load(v, row[0])) != DSP_OK)
		return rc;
	vdisk_resync(vr, &done, &total);
	switch (col) {
	case 2: cell_str(c, vr->name); break;
	case 3: cell_int(c, CELL_INTEGER, vr->form); break;
	case 4: cell_int(c, CELL_COUNTER64, vr->size); break;
	case 5: cell_str(c, vr->borrower); break;
	case 6: cell_int(c, CELL_INTEGER, vr->mounted ? 1 : 0); break;
	case 7: cell_int(c, CELL_COUNTER64, vr->generation); break;
	case 8:
		if ((health = rows_health(v, vr)) < 0)
			return DSP_E_INTERNAL;
		cell_int(c, CELL_INTEGER, (uint64_t)health + 1);
		break;
	case 9: cell_int(c, CELL_INTEGER, volume_is_fenced(vr)); break;
	case 10: cell_int(c, CELL_GAUGE, vr->dirty_chunks); break;
	case 11: cell_int(c, CELL_GAUGE, total == 0 ? 100 :
		    done >= total ? 100 : done * 100 / total); break;
	default: cell_int(c, CELL_GAUGE, done); break;
	}
	return DSP_OK;
}

/* --- extents: (volume number, place from 1) --- */

static int
extent_next(struct view *v, const uint32_t *after, uint32_t *row)
{
	uint32_t	id = after[0];
	int		rc;

	/* Further in the same volume, if it has more. */
	if (id != 0 && (rc = vdisk_load(v, id)) != DSP_E_NOTFOUND) {
		if (rc != DSP_OK)
			return rc;
		if (after[1] < v->volume->extent_count) {
			row[0] = id;
			row[1] = after[1] + 1;
			return DSP_OK;
		}
	}
	for (;;) {
		if ((rc = vdisk_next(v, &id, row)) != DSP_OK)
			return rc;
		id = row[0];
		if ((rc = vdisk_load(v, id)) != DSP_OK)
			return rc;
		if (v->volume->extent_count > 0) {
			row[1] = 1;
			return DSP_OK;
		}
	}
}

static int
extent_cell(struct view *v, const uint32_t *row, unsigned int col,
    struct cell *c)
{
	struct volume_record		*vr = v->volume;
	const struct volume_extent	*e;
	int				 rc;

	if ((rc = vdisk_load(v, row[0])) != DSP_OK)
		return rc;
	if (row[1] < 1 || row[1] > vr->extent_count)
		return DSP_E_NOTFOUND;
	e = &vr->extents[row[1] - 1];
	switch (col) {
	case 2: cell_str(c, e->server); break;
	case 3: cell_str(c, e->region); break;
	case 4: cell_int(c, CELL_COUNTER64, e->offset); break;
	case 5: cell_int(c, CELL_COUNTER64, e->length); break;
	default:
		cell_int(c, CELL_INTEGER, vr->form != DSP_FORM_MIRROR ? 0 :
		    (uint64_t)e->leg_state + 1);
		break;
	}
	return DSP_OK;
}

const struct table_def rows_tables[] = {
	{ 2, 1, 2, 8, server_next, server_cell },
	{ 3, 2, 2, 7, region_next, region_cell },
	{ 4, 1, 2, 12, vdisk_next, vdisk_cell },
	{ 5, 2, 2, 6, extent_next, extent_cell },
};
const size_t rows_table_count = sizeof(rows_tables) / sizeof(rows_tables[0]);
