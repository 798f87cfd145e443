/*
 * GET and GETNEXT over DASPOOL-MIB's objects, in OID order: dspPool's
 * scalars (1.n.0), the store's tables (t.1.column.index...), column by
 * column, the backup's scalars (6.n.0) and its table (7). A GETNEXT
 * looks for the first row after the asked index in the asked column,
 * then the first row of each later column: one seek in the numbers
 * index (or the catalog) each, never a walk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects.h"

int
view_open(struct view *v, struct store *s, struct pool_figures *pool)
{
	memset(v, 0, sizeof(*v));
	v->pool = pool;
	if ((v->volume = malloc(sizeof(*v->volume))) == NULL) {
		snprintf(v->err, sizeof(v->err), "out of memory");
		return DSP_E_INTERNAL;
	}
	if (store_begin(s, &v->t, 0, 0, v->err, sizeof(v->err)) != DSP_OK ||
	    store_changes(&v->t, &v->changes, &v->changed_at) != DSP_OK) {
		view_close(v);
		return DSP_E_INTERNAL;
	}
	return DSP_OK;
}

void
view_backup(struct view *v, struct backup_source *src)
{
	if (src == NULL || src->dir == NULL || src->dir[0] == '\0')
		return;
	v->backup.src = src;
	/* Whether the backup made it anew is looked at by the polls. */
	if (src->catalog == NULL)
		(void)backup_source_poll(src);
}

void
view_close(struct view *v)
{
	if (v->t.txn != NULL)
		store_end(&v->t, DSP_OK);
	catalog_snapshot_end(v->backup.snap);
	v->backup.snap = NULL;
	free(v->volume);
	v->volume = NULL;
}

static int
objects_status(int rc)
{
	return rc == DSP_OK ? 1 : rc == DSP_E_NOTFOUND ? 0 : -1;
}

/* The groups of scalars under dspObjects. */
struct scalar_def {
	unsigned int	sub;
	unsigned int	count;
	int		(*get)(struct view *, unsigned int n, struct cell *);
};

static const struct scalar_def objects_scalars[] = {
	{ 1, POOL_SCALARS, pool_scalar },
	{ 6, BACKUP_SCALARS, backup_scalar },
};
#define OBJECTS_LAST_SUB	7

static const struct scalar_def *
objects_scalar_group(unsigned long sub)
{
	size_t	i;

	for (i = 0; i < sizeof(objects_scalars) / sizeof(objects_scalars[0]);
	    i++)
		if (objects_scalars[i].sub == sub)
			return &objects_scalars[i];
	return NULL;
}

static const struct table_def *
objects_table(unsigned long sub)
{
	size_t	i;

	for (i = 0; i < rows_table_count; i++)
		if (rows_tables[i].sub == sub)
			return &rows_tables[i];
	return backup_table.sub == sub ? &backup_table : NULL;
}

/* The index part of an OID as row numbers; 0 if a component is past
 * what a number holds (no row has it). */
static int
objects_index(const struct table_def *td, const unsigned long *idx,
    size_t len, uint32_t *row)
{
	size_t	i;

	if (len != td->nindex)
		return 0;
	for (i = 0; i < len; i++) {
		if (idx[i] > UINT32_MAX)
			return 0;
		row[i] = (uint32_t)idx[i];
	}
	return 1;
}

int
objects_get(struct view *v, const unsigned long *oid, size_t len,
    struct cell *c)
{
	const struct scalar_def	*sd;
	const struct table_def	*td;
	uint32_t		 row[2];

	if (len == 3 && (sd = objects_scalar_group(oid[0])) != NULL &&
	    oid[2] == 0 && oid[1] >= 1 && oid[1] <= sd->count)
		return objects_status(sd->get(v, (unsigned int)oid[1], c));
	if (len < 4 || (td = objects_table(oid[0])) == NULL || oid[1] != 1 ||
	    oid[2] < td->first_col || oid[2] > td->last_col ||
	    !objects_index(td, oid + 3, len - 3, row))
		return 0;
	return objects_status(td->cell(v, row, (unsigned int)oid[2], c));
}

/* OID a before b. */
static int
oid_before(const unsigned long *a, size_t alen, const unsigned long *b,
    size_t blen)
{
	size_t	i;

	for (i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i];
	return alen < blen;
}

/* The first scalar of the group after rel (an OID within it, or
 * nothing for the whole group); an absent one is passed over. */
static int
scalar_next(struct view *v, const struct scalar_def *sd,
    const unsigned long *rel, size_t len, unsigned long *next,
    size_t *next_len, struct cell *c)
{
	unsigned long	n, want[2];
	int		rc;

	for (n = 1; n <= sd->count; n++) {
		want[0] = n;
		want[1] = 0;
		if (!oid_before(rel, len, want, 2))
			continue;
		if ((rc = objects_status(sd->get(v, (unsigned int)n, c))) == 0)
			continue;
		next[0] = sd->sub;
		next[1] = n;
		next[2] = 0;
		*next_len = 3;
		return rc;
	}
	return 0;
}

/*
 * The row after an asked index: a shorter index is padded with 0 (no
 * row has a 0), a longer one cut (its rows come after it), and a
 * component too large for a number means nothing after it at that
 * level.
 */
static void
table_after(const struct table_def *td, const unsigned long *idx, size_t len,
    uint32_t *after)
{
	size_t	i;
	int	saturate = 0;

	for (i = 0; i < td->nindex; i++) {
		if (saturate || (i < len && idx[i] > UINT32_MAX)) {
			saturate = 1;
			after[i] = UINT32_MAX;
		} else
			after[i] = i < len ? (uint32_t)idx[i] : 0;
	}
}

static int
table_next(struct view *v, const struct table_def *td,
    const unsigned long *rel, size_t len, unsigned long *next,
    size_t *next_len, struct cell *c)
{
	uint32_t	after[2] = { 0, 0 }, row[2];
	unsigned long	col = td->first_col;
	size_t		i;
	int		rc;

	/* rel is within this table: entry(1), column, index. */
	if (len >= 1 && rel[0] > 1)
		return 0;
	if (len >= 2 && rel[0] == 1 && rel[1] >= td->first_col) {
		col = rel[1];
		table_after(td, rel + 2, len - 2, after);
	}
	for (; col <= td->last_col; col++) {
		rc = td->next(v, after, row);
		if (rc == DSP_OK) {
			next[0] = td->sub;
			next[1] = 1;
			next[2] = col;
			for (i = 0; i < td->nindex; i++)
				next[3 + i] = row[i];
			*next_len = 3 + td->nindex;
			return objects_status(td->cell(v, row,
			    (unsigned int)col, c));
		}
		if (rc != DSP_E_NOTFOUND)
			return -1;
		after[0] = after[1] = 0;
	}
	return 0;
}

int
objects_next(struct view *v, const unsigned long *oid, size_t len,
    unsigned long *next, size_t *next_len, struct cell *c)
{
	const struct scalar_def	*sd;
	const struct table_def	*td;
	unsigned long		 sub = len > 0 ? oid[0] : 0;
	int			 rc, within;

	for (; sub <= OBJECTS_LAST_SUB; sub++) {
		/* Within the asked group from the asked OID, then each
		 * later group from its start. */
		within = len > 0 && sub == oid[0];
		rc = 0;
		if ((sd = objects_scalar_group(sub)) != NULL)
			rc = scalar_next(v, sd, within ? oid + 1 : NULL,
			    within ? len - 1 : 0, next, next_len, c);
		else if ((td = objects_table(sub)) != NULL)
			rc = table_next(v, td, within ? oid + 1 : NULL,
			    within ? len - 1 : 0, next, next_len, c);
		if (rc != 0)
			return rc;
	}
	return 0;
}
