/*
 * The backup's objects: the dspBackup scalars from its status file,
 * read once per request, and dspBackupTable from its catalog, a row
 * found by one cursor seek on its number, never by walking the copies.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "objects.h"

/* The catalog's snapshot for this request; NULL in *snap when there is
 * no catalog yet. */
static int
backup_snapshot(struct view *v, struct catalog_snapshot **snap)
{
	struct backup_view	*b = &v->backup;

	if (!b->snap_taken && b->src->catalog != NULL &&
	    catalog_snapshot_begin(b->src->catalog, &b->snap, v->err,
	    sizeof(v->err)) != 0)
		return DSP_E_INTERNAL;
	b->snap_taken = 1;
	*snap = b->snap;
	return DSP_OK;
}

/* The first copy numbered from or more into b->copy. */
static int
backup_seek(struct view *v, uint64_t from)
{
	struct backup_view	*b = &v->backup;
	struct catalog_snapshot	*snap;
	int			 rc;

	if (b->copy_valid && b->copy.id == from)
		return DSP_OK;
	if ((rc = backup_snapshot(v, &snap)) != DSP_OK)
		return rc;
	if (snap == NULL)
		return DSP_E_NOTFOUND;
	b->copy_valid = 0;
	if ((rc = catalog_snapshot_seek(snap, from, &b->copy)) == 1)
		return DSP_E_NOTFOUND;
	if (rc == -1) {
		snprintf(v->err, sizeof(v->err), "backup catalog %s: cannot "
		    "read the copy from %llu", b->src->dir,
		    (unsigned long long)from);
		return DSP_E_INTERNAL;
	}
	b->copy_valid = 1;
	return DSP_OK;
}

static int
backup_next(struct view *v, const uint32_t *after, uint32_t *row)
{
	int	rc;

	if (v->backup.src == NULL || after[0] == UINT32_MAX)
		return DSP_E_NOTFOUND;
	if ((rc = backup_seek(v, (uint64_t)after[0] + 1)) != DSP_OK)
		return rc;
	/* A copy numbered past what the index holds has no row. */
	if (v->backup.copy.id > UINT32_MAX)
		return DSP_E_NOTFOUND;
	row[0] = (uint32_t)v->backup.copy.id;
	return DSP_OK;
}

/* "DSP001:3 DSP002:0"; a list too long ends with " ...". */
static void
backup_tapes(const struct catalog_copy *cp, struct cell *c)
{
	char	part[TAPE_LABEL_MAX + 16];
	size_t	used = 0, n;
	uint8_t	i;

	c->type = CELL_STRING;
	for (i = 0; i < cp->nparts; i++) {
		n = (size_t)snprintf(part, sizeof(part), "%s%s:%u",
		    i ? " " : "", cp->parts[i].label, cp->parts[i].file);
		if (used + n > CELL_STRING_MAX - 4) {
			memcpy(c->str + used, " ...", 4);
			used += 4;
			break;
		}
		memcpy(c->str + used, part, n);
		used += n;
	}
	c->str[used] = '\0';
	c->len = used;
}

static int
backup_cell(struct view *v, const uint32_t *row, unsigned int col,
    struct cell *c)
{
	const struct catalog_copy	*cp = &v->backup.copy;
	int				 rc;

	if (v->backup.src == NULL)
		return DSP_E_NOTFOUND;
	if ((rc = backup_seek(v, row[0])) != DSP_OK)
		return rc;
	if (cp->id != row[0])
		return DSP_E_NOTFOUND;
	switch (col) {
	case 2: cell_str(c, cp->volume); break;
	case 3: cell_time(c, cp->time); break;
	case 4: cell_int(c, CELL_INTEGER, (uint64_t)cp->kind + 1); break;
	case 5: cell_int(c, CELL_INTEGER, cp->state == CATALOG_BAD ? 2 : 1);
		break;
	case 6: cell_time(c, cp->verified_at); break;
	case 7: cell_int(c, CELL_COUNTER64, cp->size); break;
	case 8: cell_int(c, CELL_COUNTER64, cp->stored); break;
	default: backup_tapes(cp, c); break;
	}
	return DSP_OK;
}

const struct table_def backup_table = { 7, 1, 2, 9, backup_next,
    backup_cell };

/* The status file, read once per request. A run whose process is gone
 * did not end: it is not running. */
static int
backup_status(struct view *v, const struct backup_status **out)
{
	struct backup_view	*b = &v->backup;
	struct backup_status	*s = &b->status;

	if (!b->status_read) {
		if (status_read(b->src->dir, s, v->err, sizeof(v->err)) == -1)
			return DSP_E_INTERNAL;
		if (s->running && s->pid > 0 && kill((pid_t)s->pid, 0) == -1 &&
		    errno == ESRCH)
			s->running = 0;
		if (!s->running) {
			s->volume[0] = '\0';
			s->done = s->due = 0;
		}
		b->status_read = 1;
	}
	*out = s;
	return DSP_OK;
}

static int
backup_copies(struct view *v, struct cell *c)
{
	struct catalog_snapshot	*snap;
	uint64_t		 n = 0;
	int			 rc;

	if ((rc = backup_snapshot(v, &snap)) != DSP_OK)
		return rc;
	if (snap != NULL && catalog_snapshot_count(snap, &n) == -1) {
		snprintf(v->err, sizeof(v->err), "backup catalog %s: cannot "
		    "count the copies", v->backup.src->dir);
		return DSP_E_INTERNAL;
	}
	cell_int(c, CELL_GAUGE, n);
	return DSP_OK;
}

int
backup_scalar(struct view *v, unsigned int n, struct cell *c)
{
	const struct backup_status	*s;
	int				 rc;

	if (v->backup.src == NULL)
		return DSP_E_NOTFOUND;
	if (n == 10)
		return backup_copies(v, c);
	if ((rc = backup_status(v, &s)) != DSP_OK)
		return rc;
	switch (n) {
	case 1: cell_int(c, CELL_INTEGER, s->running ? 1 : 2); break;
	case 2: cell_str(c, s->volume); break;
	case 3: cell_int(c, CELL_COUNTER64, s->done); break;
	case 4: cell_int(c, CELL_COUNTER64, s->due); break;
	case 5: cell_time(c, s->last_ended != 0 ? s->last_started : 0); break;
	case 6: cell_time(c, s->last_ended); break;
	case 7: cell_int(c, CELL_GAUGE, s->last_copied); break;
	case 8: cell_int(c, CELL_GAUGE, s->last_skipped); break;
	default: cell_int(c, CELL_GAUGE, s->last_failed); break;
	}
	return DSP_OK;
}
