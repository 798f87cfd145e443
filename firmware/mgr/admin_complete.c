/*
 * The live names of daspool-sh's TAB ("WORD?" at the end of a line):
 * volumes (only those the command can take), servers and SERVER:REGION
 * pairs (available regions only), read from the store by prefix, and
 * counts for "show audit N" up to the rows the trail holds. At
 * most COMPLETE_MAX names and COMPLETE_LOOK rows looked at; when more
 * were left, a last line in parentheses says so.
 */
#include <stdio.h>
#include <string.h>

#include "admin_internal.h"
#include "mgr.h"
#include "store.h"

#define COMPLETE_MAX	200
#define COMPLETE_LOOK	5000

struct complete_walk {
	const struct admin_command	*cmd;
	struct buf_writer		*w;
	const char			*prefix;
	size_t				 plen;
	const char			*server;	/* regions: of this one */
	size_t				 listed, looked;
	int				 more;
};

static void
complete_put(struct complete_walk *cw, const char *a, const char *b)
{
	buf_put_bytes(cw->w, a, strlen(a));
	if (b != NULL) {
		buf_put_u8(cw->w, ':');
		buf_put_bytes(cw->w, b, strlen(b));
	}
	buf_put_u8(cw->w, '\n');
	cw->listed++;
}

/* 1 to stop: past the prefix, or enough. */
static int
complete_enough(struct complete_walk *cw, const char *name)
{
	if (strncmp(name, cw->prefix, cw->plen) != 0)
		return 1;
	if (++cw->looked > COMPLETE_LOOK || cw->listed == COMPLETE_MAX) {
		cw->more = 1;
		return 1;
	}
	return 0;
}

/* Whether the command can take the volume. */
static int
complete_volume_fits(enum admin_action action, const struct volume_record *v)
{
	switch (action) {
	case ADMIN_VOLUME_FORCE_UNMOUNT:
		return v->mounted;
	case ADMIN_VOLUME_FORCE_RELEASE:
		return v->borrower[0] != '\0';
	case ADMIN_VOLUME_DELETE:
		return v->borrower[0] == '\0';
	default:
		return 1;
	}
}

static int
complete_volume(const struct volume_record *v, void *arg)
{
	struct complete_walk	*cw = arg;

	if (complete_enough(cw, v->name))
		return 1;
	if (complete_volume_fits(cw->cmd->complete_for, v))
		complete_put(cw, v->name, NULL);
	return 0;
}

static int
complete_server(const struct server_record *s, void *arg)
{
	struct complete_walk	*cw = arg;

	if (complete_enough(cw, s->name))
		return 1;
	/* For a region, the server first: "serverA:". */
	if (cw->server != NULL)
		complete_put(cw, s->name, "");
	else
		complete_put(cw, s->name, NULL);
	return 0;
}

static int
complete_region(const struct region_record *r, void *arg)
{
	struct complete_walk	*cw = arg;

	if (strcmp(r->server, cw->server) != 0 ||
	    complete_enough(cw, r->name))
		return 1;
	if (r->available)
		complete_put(cw, r->server, r->name);
	return 0;
}

/* Names from prefix on: the one named prefix, then those after it. */
static void
complete_volumes(struct mgr *m, struct complete_walk *cw)
{
	struct volume_record	v;

	if (cw->plen > 0 && store_get_volume(m->store, cw->prefix, &v) ==
	    DSP_OK)
		complete_volume(&v, cw);
	store_each_volume_after(m->store, cw->plen > 0 ? cw->prefix : NULL,
	    complete_volume, cw);
}

static void
complete_servers(struct mgr *m, struct complete_walk *cw)
{
	struct server_record	s;

	if (cw->plen > 0 && store_get_server(m->store, cw->prefix, &s) ==
	    DSP_OK)
		complete_server(&s, cw);
	store_each_server_after(m->store, cw->plen > 0 ? cw->prefix : NULL,
	    complete_server, cw);
}

static void
complete_regions(struct mgr *m, struct complete_walk *cw, const char *partial)
{
	const char	*colon = strchr(partial, ':');
	dsp_name	 server;
	size_t		 n;

	if (colon == NULL) {
		cw->server = "";
		complete_servers(m, cw);
		return;
	}
	n = (size_t)(colon - partial);
	if (n == 0 || n > DSP_NAME_MAX)
		return;
	memcpy(server, partial, n);
	server[n] = '\0';
	cw->server = server;
	cw->prefix = colon + 1;
	cw->plen = strlen(cw->prefix);
	store_each_region_after(m->store, server, "", complete_region, cw);
}

/* Round counts below the trail's length, then the length itself (all
 * of it), those that start with what was typed. */
static void
complete_audit_counts(struct mgr *m, struct complete_walk *cw)
{
	static const unsigned int	 round[] = { 10, 20, 50, 100, 500,
					    1000, 5000 };
	struct store_info		 info;
	char				 err[256], word[24];
	uint64_t			 rows = 0;
	size_t				 i;

	if (store_info(m->store, &info, err, sizeof(err)) == -1)
		return;
	for (i = 0; i < STORE_TABLES; i++)
		if (info.tables[i].name != NULL &&
		    strcmp(info.tables[i].name, "audit") == 0)
			rows = info.tables[i].entries;
	if (rows > ADMIN_AUDIT_MAX)
		rows = ADMIN_AUDIT_MAX;
	for (i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		snprintf(word, sizeof(word), "%u", round[i]);
		if (round[i] < rows && strncmp(word, cw->prefix, cw->plen) == 0)
			complete_put(cw, word, NULL);
	}
	snprintf(word, sizeof(word), "%llu", (unsigned long long)rows);
	if (rows > 0 && strncmp(word, cw->prefix, cw->plen) == 0)
		complete_put(cw, word, NULL);
}

void
admin_complete(struct mgr *m, const struct admin_command *cmd,
    struct buf_writer *w)
{
	struct complete_walk	cw;
	unsigned int		names;

	names = admin_complete_keywords(cmd, w);
	memset(&cw, 0, sizeof(cw));
	cw.cmd = cmd;
	cw.w = w;
	cw.prefix = cmd->partial;
	cw.plen = strlen(cmd->partial);
	/* A new volume's name is the admin's to make up. */
	if ((names & ADMIN_NAMES_VOLUMES) &&
	    cmd->complete_for != ADMIN_VOLUME_CREATE)
		complete_volumes(m, &cw);
	if (names & ADMIN_NAMES_SERVERS)
		complete_servers(m, &cw);
	if (names & ADMIN_NAMES_REGIONS)
		complete_regions(m, &cw, cmd->partial);
	if (names & ADMIN_NAMES_AUDIT_COUNTS)
		complete_audit_counts(m, &cw);
	if (cw.more) {
		const char	*more = "(more: type more of the name)\n";

		buf_put_bytes(w, more, strlen(more));
	}
}
