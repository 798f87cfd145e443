/*
 * Aligned columns for the admin's output, and the formats of their
 * cells: ages, times, mirror leg states.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_internal.h"
#include "proto.h"
#include "store.h"

void
table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void
table_row(struct table *t, ...)
{
	char		(*p)[TABLE_CELL];
	const char	*s;
	va_list		 ap;
	size_t		 i, len;

	if (t->error)
		return;
	if (t->nrows == t->cap) {
		p = reallocarray(t->cells, (t->cap ? t->cap * 2 : 32) * t->ncols,
		    sizeof(*p));
		if (p == NULL) {
			t->error = 1;
			return;
		}
		t->cells = p;
		t->cap = t->cap ? t->cap * 2 : 32;
	}
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		snprintf(t->cells[t->nrows * t->ncols + i], TABLE_CELL, "%s",
		    s != NULL ? s : "");
		len = strlen(t->cells[t->nrows * t->ncols + i]);
		if (len > t->widths[i])
			t->widths[i] = len;
	}
	va_end(ap);
	t->nrows++;
}

void
table_flush(struct table *t, struct buf_writer *out)
{
	const char	*cell;
	size_t		 r, i, len, last;

	for (r = 0; r < t->nrows; r++) {
		/* No trailing blanks: stop at the last non-empty cell. */
		for (last = t->ncols; last > 1; last--)
			if (t->cells[r * t->ncols + last - 1][0] != '\0')
				break;
		for (i = 0; i < last; i++) {
			cell = t->cells[r * t->ncols + i];
			len = strlen(cell);
			buf_put_bytes(out, cell, len);
			if (i + 1 == last)
				break;
			for (; len < t->widths[i] + 2; len++)
				buf_put_u8(out, ' ');
		}
		buf_put_u8(out, '\n');
	}
	t->nrows = 0;
}

void
table_free(struct table *t)
{
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

void
table_print(struct table *t, struct buf_writer *out)
{
	static const char	 cut[] = "(out of memory: rows left out)\n";

	table_flush(t, out);
	if (t->error)
		buf_put_bytes(out, cut, sizeof(cut) - 1);
	table_free(t);
}

void
admin_printf(struct buf_writer *out, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_put_bytes(out, line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1);
}

void
admin_age(uint64_t now, uint64_t then, char *out, size_t outlen)
{
	uint64_t	d;

	if (then == 0) {
		snprintf(out, outlen, "never");
		return;
	}
	d = now > then ? now - then : 0;
	if (d < 60)
		snprintf(out, outlen, "%llus ago", (unsigned long long)d);
	else if (d < 3600)
		snprintf(out, outlen, "%llum ago", (unsigned long long)(d / 60));
	else if (d < 86400)
		snprintf(out, outlen, "%lluh%llum ago",
		    (unsigned long long)(d / 3600),
		    (unsigned long long)(d % 3600 / 60));
	else
		snprintf(out, outlen, "%llud%lluh ago",
		    (unsigned long long)(d / 86400),
		    (unsigned long long)(d % 86400 / 3600));
}

void
admin_time(uint64_t t, char *out, size_t outlen)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "%llu", (unsigned long long)t);
}

void
admin_leg_state(const struct volume_record *v, const struct volume_extent *e,
    char *out, size_t outlen)
{
	if (v->form != DSP_FORM_MIRROR)
		snprintf(out, outlen, "-");
	else if (e->leg_state == DSP_LEG_RESYNCING)
		snprintf(out, outlen, "resyncing %llu/%llu",
		    (unsigned long long)e->resync_done,
		    (unsigned long long)e->resync_total);
	else
		snprintf(out, outlen, "%s", dsp_leg_state_name(e->leg_state));
}
