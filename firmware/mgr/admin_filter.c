/*
 * Which rows of a listing show (every filter given must hold) and the
 * summary line that ends it. Pure: the listings read the store and
 * hand each row here.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "proto.h"
#include "store.h"

static int
admin_filter_has(const struct admin_filter *f, enum admin_filter_kind kind)
{
	return (f->given & kind) != 0;
}

static int
admin_filter_name(const struct admin_filter *f, const char *name)
{
	return !admin_filter_has(f, ADMIN_FILTER_NAME) ||
	    fnmatch(f->pattern, name, 0) == 0;
}

int
admin_filter_server(const struct admin_filter *f,
    const struct server_record *s)
{
	return admin_filter_name(f, s->name);
}

int
admin_filter_region(const struct admin_filter *f,
    const struct region_record *r)
{
	if (admin_filter_has(f, ADMIN_FILTER_SERVER) &&
	    strcmp(f->server, r->server) != 0)
		return 0;
	return admin_filter_name(f, r->name);
}

/* A volume is on a server when one of its extents is. */
static int
admin_volume_on(const struct volume_record *v, const char *server)
{
	uint16_t	i;

	for (i = 0; i < v->extent_count; i++)
		if (strcmp(v->extents[i].server, server) == 0)
			return 1;
	return 0;
}

int
admin_filter_volume(const struct admin_filter *f,
    const struct volume_record *v, int health)
{
	if (admin_filter_has(f, ADMIN_FILTER_SERVER) &&
	    !admin_volume_on(v, f->server))
		return 0;
	if (admin_filter_has(f, ADMIN_FILTER_BORROWER) &&
	    strcmp(f->borrower, v->borrower) != 0)
		return 0;
	if (admin_filter_has(f, ADMIN_FILTER_FORM) && v->form != f->form)
		return 0;
	if (admin_filter_has(f, ADMIN_FILTER_HEALTH) && health != f->health)
		return 0;
	return admin_filter_name(f, v->name);
}

/* The words of each listing: what a row is, and its counts. */
static const struct admin_summary_words {
	const char	*one;
	const char	*many;
	const char	*counts[5];
} admin_summary_words[] = {
	[ADMIN_LIST_SERVERS] = { "server", "servers",
	    { "up", "down", "retired", NULL, NULL } },
	[ADMIN_LIST_REGIONS] = { "region", "regions",
	    { "available", "used", "unavailable", NULL, NULL } },
	[ADMIN_LIST_VOLUMES] = { "volume", "volumes",
	    { "lent", "mounted", "degraded", "failed", "held" } },
};

void
admin_summary(enum admin_listing what, const struct admin_tally *t,
    int filtered, char *out, size_t outlen)
{
	const struct admin_summary_words	*w = &admin_summary_words[what];
	const char				*noun;
	size_t					 i, n;
	int					 first = 1;

	noun = t->total == 1 ? w->one : w->many;
	if (filtered)
		n = (size_t)snprintf(out, outlen, "%llu of %llu %s match%s",
		    t->matched, t->total, noun, t->matched == 1 ? "es" : "");
	else
		n = (size_t)snprintf(out, outlen, "%llu %s", t->total, noun);
	for (i = 0; i < 5 && w->counts[i] != NULL; i++) {
		if (t->counts[i] == 0 || n >= outlen)
			continue;
		n += (size_t)snprintf(out + n, outlen - n, "%s%llu %s",
		    filtered && first ? ": " : ", ", t->counts[i],
		    w->counts[i]);
		first = 0;
	}
}
