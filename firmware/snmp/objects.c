/*
 * GET and GETNEXT over DASPOOL-MIB's objects, in OID order: dspPool's
 * scalars (1.n.0), then each table (t.1.column.index...), column by
 * column. A GETNEXT looks for the first row after the asked index in
 * the asked column, then the first row of each later column: one
 * seek in the numbers index each, never a walk.
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
view_close(struct view *v)
{
	if (v->t.txn != NULL)
		store_end(&v->t, DSP_OK);
	free(v->volume);
	v->volume = NULL;
}

static int
objects_status(int rc)
{
	return rc == DSP_OK ? 1 : rc == DSP_E_NOTFOUND ? 0 : -1;
}

static const struct table_def *
objects_table(unsigned long sub)
{
	size_t	i;

	for (i = 0; i < rows_table_count; i++)
		if (rows_tables[i].sub == sub)
			return &rows_tables[i];
	return NULL;
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
	const struct table_def	*td;
	uint32_t		 row[2];

	if (len == 3 && oid[0] == 1 && oid[2] == 0 && oid[1] >= 1 &&
	    oid[1] <= POOL_SCALARS)
		return objects_status(pool_scalar(v, (unsigned int)oid[1], c));
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

static int
pool_next(struct view *v, const unsigned long *rel, size_t len,
    unsigned long *next, size_t *next_len, struct cell *c)
{
	unsigned long	n, want[3];

	for (n = 1; n <= POOL_SCALARS; n++) {
		want[0] = 1;
		want[1] = n;
		want[2] = 0;
		if (!oid_before(rel, len, want, 3))
			continue;
		memcpy(next, want, sizeof(want));
		*next_len = 3;
		return objects_status(pool_scalar(v, (unsigned int)n, c));
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
	unsigned long	group = len > 0 ? oid[0] : 0;
	size_t		i;
	int		rc;

	if (group <= 1 && (rc = pool_next(v, oid, len, next, next_len,
	    c)) != 0)
		return rc;
	for (i = 0; i < rows_table_count; i++) {
		if (group > rows_tables[i].sub)
			continue;
		rc = group == rows_tables[i].sub ?
		    table_next(v, &rows_tables[i], oid + 1, len - 1, next,
		    next_len, c) :
		    table_next(v, &rows_tables[i], NULL, 0, next, next_len, c);
		if (rc != 0)
			return rc;
	}
	return 0;
}
