/*
 * Parser of the admin command language: a static tree of tokens, one
 * help line each, walked word by word. Keywords match by unambiguous
 * prefix; an exact match wins over longer keywords, and a prefix of a
 * keyword and its longer forms ("vol" of volumes, volume) picks the
 * first of them in the table. A token whose next table is its own table
 * may repeat (the regions of a concat, the pieces of a split).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "proto.h"
#include "size.h"

#define ADMIN_MAX_WORDS		40

enum admin_token_type {
	TOK_NONE = 0,		/* ends a table */
	TOK_EOL,		/* the command may end here */
	TOK_KEYWORD,
	TOK_FORM,		/* a usage form keyword */
	TOK_VOLUME,		/* a volume name */
	TOK_SERVER_REGION,	/* SERVER:REGION */
	TOK_PIECE,		/* NAME:SIZE or NAME:rest */
	TOK_COUNT,		/* 1..ADMIN_AUDIT_MAX */
	TOK_SERVER,		/* a server name */
	TOK_FILTER,		/* a listing's filter keyword; its value next */
	TOK_FILTER_SERVER,	/* the values of the filters */
	TOK_FILTER_BORROWER,
	TOK_FILTER_FORM,
	TOK_FILTER_HEALTH,
	TOK_FILTER_NAME,
};

struct admin_token {
	enum admin_token_type	 type;
	const char		*word;	/* keyword, or placeholder for help */
	enum admin_action	 action;
	const struct admin_token *next;
	const char		*help;
};

static const struct admin_token t_eol[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_region[] = {
	{ TOK_SERVER_REGION, "SERVER:REGION", ADMIN_NONE, t_eol,
	    "the registered region that becomes the volume" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_regions_more[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	{ TOK_SERVER_REGION, "SERVER:REGION", ADMIN_NONE, t_regions_more,
	    "another region" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_regions_second[] = {
	{ TOK_SERVER_REGION, "SERVER:REGION", ADMIN_NONE, t_regions_more,
	    "the second region" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_regions[] = {
	{ TOK_SERVER_REGION, "SERVER:REGION", ADMIN_NONE, t_regions_second,
	    "the first region" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_form[] = {
	{ TOK_FORM, "single", ADMIN_NONE, t_region,
	    "one region is one volume" },
	{ TOK_FORM, "concat", ADMIN_NONE, t_regions,
	    "regions joined end to end, in the order given" },
	{ TOK_FORM, "mirror", ADMIN_NONE, t_regions,
	    "the same data on every region, each on its own server" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_create[] = {
	{ TOK_VOLUME, "NAME", ADMIN_NONE, t_form,
	    "the new volume's name" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_pieces_more[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	{ TOK_PIECE, "NAME:SIZE", ADMIN_NONE, t_pieces_more,
	    "another piece; the last may be NAME:rest" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_pieces[] = {
	{ TOK_PIECE, "NAME:SIZE", ADMIN_NONE, t_pieces_more,
	    "a new volume of SIZE (512M, 50G); NAME:rest takes what is left" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_split[] = {
	{ TOK_SERVER_REGION, "SERVER:REGION", ADMIN_NONE, t_pieces,
	    "the region to cut, after the last volume already in it" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_volume_name[] = {
	{ TOK_VOLUME, "NAME", ADMIN_NONE, t_eol, "a volume's name" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_resolve_server[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	{ TOK_SERVER, "SERVER", ADMIN_NONE, t_eol,
	    "take the record this lender keeps" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_resolve[] = {
	{ TOK_VOLUME, "NAME", ADMIN_NONE, t_resolve_server,
	    "a held volume (show volume NAME tells why it is held)" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_volume[] = {
	{ TOK_KEYWORD, "create", ADMIN_VOLUME_CREATE, t_create,
	    "build a volume from regions" },
	{ TOK_KEYWORD, "delete", ADMIN_VOLUME_DELETE, t_volume_name,
	    "delete a volume that is not lent" },
	{ TOK_KEYWORD, "force-unmount", ADMIN_VOLUME_FORCE_UNMOUNT,
	    t_volume_name, "unmount a volume; its borrower's ticket stops "
	    "working" },
	{ TOK_KEYWORD, "force-release", ADMIN_VOLUME_FORCE_RELEASE,
	    t_volume_name, "take a volume back from its borrower (unmounts "
	    "it first)" },
	{ TOK_KEYWORD, "split", ADMIN_VOLUME_SPLIT, t_split,
	    "cut split volumes out of one region" },
	{ TOK_KEYWORD, "resolve", ADMIN_VOLUME_RESOLVE, t_resolve,
	    "end the hold of a volume its lenders disagree on: keep the "
	    "newest record, or the one SERVER keeps" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_server_name[] = {
	{ TOK_SERVER, "SERVER", ADMIN_NONE, t_eol, "a lending server's name" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_server[] = {
	{ TOK_KEYWORD, "retire", ADMIN_SERVER_RETIRE, t_server_name,
	    "let go of a server that is gone for good: its regions are gone, "
	    "its volumes stop waiting for it" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

/*
 * The filters of the listings. A filter's value leads back to its
 * listing's filters, so they come in any order; admin_take_filter
 * refuses one given twice.
 */
static const struct admin_token t_volume_filters[];
static const struct admin_token t_region_filters[];
static const struct admin_token t_server_filters[];

static const struct admin_token t_vf_server[] = {
	{ TOK_FILTER_SERVER, "SERVER", ADMIN_NONE, t_volume_filters,
	    "a lending server's name" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_vf_borrower[] = {
	{ TOK_FILTER_BORROWER, "SERVER", ADMIN_NONE, t_volume_filters,
	    "a borrowing server's name" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_vf_form[] = {
	{ TOK_FILTER_FORM, "FORM", ADMIN_NONE, t_volume_filters,
	    "single, concat, mirror or split" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_vf_health[] = {
	{ TOK_FILTER_HEALTH, "STATE", ADMIN_NONE, t_volume_filters,
	    "ok, degraded, resyncing or failed" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_vf_name[] = {
	{ TOK_FILTER_NAME, "PATTERN", ADMIN_NONE, t_volume_filters,
	    "a shell pattern (Vol-*, db?)" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

#define VOLUME_FILTERS							\
	{ TOK_FILTER, "server", ADMIN_NONE, t_vf_server,		\
	    "only volumes with an extent on this lender" },		\
	{ TOK_FILTER, "borrower", ADMIN_NONE, t_vf_borrower,		\
	    "only volumes lent to this borrower" },			\
	{ TOK_FILTER, "form", ADMIN_NONE, t_vf_form,			\
	    "only volumes of this usage form" },			\
	{ TOK_FILTER, "health", ADMIN_NONE, t_vf_health,		\
	    "only volumes in this health" },				\
	{ TOK_FILTER, "name", ADMIN_NONE, t_vf_name,			\
	    "only volumes whose name matches the pattern" }

static const struct admin_token t_volume_filters[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	VOLUME_FILTERS,
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_volumes[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	VOLUME_FILTERS,
	{ TOK_VOLUME, "NAME", ADMIN_SHOW_VOLUME, t_eol,
	    "one volume in detail, as show volume NAME" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_rf_server[] = {
	{ TOK_FILTER_SERVER, "SERVER", ADMIN_NONE, t_region_filters,
	    "a lending server's name" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_rf_name[] = {
	{ TOK_FILTER_NAME, "PATTERN", ADMIN_NONE, t_region_filters,
	    "a shell pattern (A*, disk?)" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_region_filters[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	{ TOK_FILTER, "server", ADMIN_NONE, t_rf_server,
	    "only the regions of this server" },
	{ TOK_FILTER, "name", ADMIN_NONE, t_rf_name,
	    "only regions whose name matches the pattern" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_sf_name[] = {
	{ TOK_FILTER_NAME, "PATTERN", ADMIN_NONE, t_server_filters,
	    "a shell pattern (server*, rack1-?)" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_server_filters[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	{ TOK_FILTER, "name", ADMIN_NONE, t_sf_name,
	    "only servers whose name matches the pattern" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_audit[] = {
	{ TOK_EOL, "<cr>", ADMIN_NONE, NULL, NULL },
	{ TOK_COUNT, "N", ADMIN_NONE, t_eol,
	    "the last N entries of the audit trail" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_show[] = {
	{ TOK_KEYWORD, "servers", ADMIN_SHOW_SERVERS, t_server_filters,
	    "lending servers: address, up or down, last heard from" },
	{ TOK_KEYWORD, "regions", ADMIN_SHOW_REGIONS, t_region_filters,
	    "registered regions: size, availability, volume using it" },
	/* Before "volume": "sh vol" is the table, as it always was. */
	{ TOK_KEYWORD, "volumes", ADMIN_SHOW_VOLUMES, t_volumes,
	    "the virtual disk table" },
	{ TOK_KEYWORD, "volume", ADMIN_SHOW_VOLUME, t_volume_name,
	    "one volume in detail: extents, mirror legs, resync" },
	{ TOK_KEYWORD, "audit", ADMIN_SHOW_AUDIT, t_audit,
	    "the last entries of the audit trail" },
	{ TOK_KEYWORD, "store", ADMIN_SHOW_STORE, t_eol,
	    "the LMDB store: size, entries per table, versions, copies" },
	{ TOK_KEYWORD, "whoami", ADMIN_SHOW_WHOAMI, t_eol,
	    "who this shell is to the manager, and its role" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_store[] = {
	{ TOK_KEYWORD, "copy", ADMIN_STORE_COPY, t_eol,
	    "copy the store into backup_dir now and print the copy's path" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

/* The backup commands run in daspool-sh itself (daspool-backup on the
 * appliance); the manager knows their words for "?" and TAB only. */
static const struct admin_token t_backup[] = {
	{ TOK_KEYWORD, "status", ADMIN_BACKUP, t_eol,
	    "the run going on (progress, rate, time to go), the last, the "
	    "next" },
	{ TOK_KEYWORD, "list", ADMIN_BACKUP, t_eol,
	    "[VOLUME]: the copies in the catalog" },
	{ TOK_KEYWORD, "tapes", ADMIN_BACKUP, t_eol,
	    "the library's slots: labels, use, copies" },
	{ TOK_KEYWORD, "run", ADMIN_BACKUP, t_eol,
	    "[VOLUME...]: a backup run now (admin)" },
	{ TOK_KEYWORD, "verify", ADMIN_BACKUP, t_eol,
	    "COPY: read the copy back and check every chunk (admin)" },
	{ TOK_KEYWORD, "restore", ADMIN_BACKUP, t_eol,
	    "COPY --to-volume VOLUME | --to-file PATH (admin)" },
	{ TOK_KEYWORD, "label", ADMIN_BACKUP, t_eol,
	    "SLOT LABEL: label a tape (admin)" },
	{ TOK_KEYWORD, "forget", ADMIN_BACKUP, t_eol,
	    "COPY: drop a copy from the catalog (admin)" },
	{ TOK_KEYWORD, "scan", ADMIN_BACKUP, t_eol,
	    "rebuild an empty catalog from the tapes (admin)" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

static const struct admin_token t_main[] = {
	{ TOK_KEYWORD, "show", ADMIN_NONE, t_show,
	    "show the state of the pool" },
	{ TOK_KEYWORD, "volume", ADMIN_NONE, t_volume,
	    "create, delete, force back or resolve volumes" },
	{ TOK_KEYWORD, "server", ADMIN_NONE, t_server,
	    "retire a lending server" },
	{ TOK_KEYWORD, "store", ADMIN_NONE, t_store,
	    "copy the store" },
	{ TOK_KEYWORD, "backup", ADMIN_NONE, t_backup,
	    "the tape backup (run by daspool-sh on the appliance)" },
	{ TOK_KEYWORD, "help", ADMIN_HELP, t_eol, "list every command" },
	{ TOK_NONE, NULL, ADMIN_NONE, NULL, NULL }
};

struct admin_parse {
	struct admin_command	*cmd;
	char			 path[256];	/* words matched so far */
	char			*err;
	size_t			 errlen;
};

static int __attribute__((format(printf, 2, 3)))
admin_fail(struct admin_parse *p, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return DSP_E_INVALID;
}

static int
admin_is_keyword(const struct admin_token *t)
{
	return t->type == TOK_KEYWORD || t->type == TOK_FORM ||
	    t->type == TOK_FILTER;
}

/* "a, b, c": the keywords (or placeholders) of a table. */
static void
admin_list(const struct admin_token *table, int keywords_only, char *out,
    size_t outlen)
{
	const struct admin_token	*t;
	size_t				 n = 0;

	out[0] = '\0';
	for (t = table; t->type != TOK_NONE; t++) {
		if (t->type == TOK_EOL || (keywords_only && !admin_is_keyword(t)))
			continue;
		n += snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s",
		    n ? ", " : "", t->word);
		if (n >= outlen)
			return;
	}
}

static void
admin_path_add(struct admin_parse *p, const char *word)
{
	size_t	n = strlen(p->path);

	snprintf(p->path + n, sizeof(p->path) - n, "%s%s", n ? " " : "", word);
}

/* Each candidate starts with the shortest: one word and longer forms. */
static int
admin_nested(const struct admin_token *table, const char *word)
{
	const struct admin_token	*t, *shortest = NULL;
	size_t				 len = strlen(word);

	for (t = table; t->type != TOK_NONE; t++)
		if (admin_is_keyword(t) && strncmp(word, t->word, len) == 0 &&
		    (shortest == NULL || strlen(t->word) < strlen(shortest->word)))
			shortest = t;
	for (t = table; t->type != TOK_NONE; t++)
		if (admin_is_keyword(t) && strncmp(word, t->word, len) == 0 &&
		    strncmp(t->word, shortest->word, strlen(shortest->word)) != 0)
			return 0;
	return 1;
}

/* The keyword word abbreviates: exact match, else the only prefix. */
static const struct admin_token *
admin_match_keyword(struct admin_parse *p, const struct admin_token *table,
    const char *word, int *rc)
{
	const struct admin_token	*t, *found = NULL, *first = NULL;
	char				 cands[256];
	size_t				 len = strlen(word), n = 0, matches = 0;

	*rc = DSP_OK;
	cands[0] = '\0';
	for (t = table; t->type != TOK_NONE; t++) {
		if (!admin_is_keyword(t) || strncmp(word, t->word, len) != 0)
			continue;
		if (t->word[len] == '\0')
			return t;
		if (first == NULL)
			first = t;
		found = t;
		matches++;
		n += snprintf(cands + n, n < sizeof(cands) ? sizeof(cands) - n :
		    0, "%s%s", n ? ", " : "", t->word);
	}
	if (matches > 1 && admin_nested(table, word))
		return first;
	if (matches > 1) {
		*rc = admin_fail(p, "ambiguous command '%s%s%s'; could be: %s",
		    p->path, p->path[0] ? " " : "", word, cands);
		return NULL;
	}
	return found;
}

static int
admin_take_volume(struct admin_parse *p, const char *word)
{
	if (!msg_name_valid(word))
		return admin_fail(p, "bad volume name '%s': use 1-%d characters "
		    "of A-Z a-z 0-9 . _ : -", word, DSP_NAME_MAX);
	snprintf(p->cmd->volume, sizeof(p->cmd->volume), "%s", word);
	return DSP_OK;
}

/* Server names may hold ':' too; the region is what follows the last. */
static int
admin_take_server_region(struct admin_parse *p, const char *word)
{
	struct admin_command	*cmd = p->cmd;
	struct admin_region	*r;
	const char		*colon = strrchr(word, ':');
	size_t			 slen;

	if (colon == NULL || colon == word || colon[1] == '\0')
		return admin_fail(p, "expected SERVER:REGION, got '%s'", word);
	slen = (size_t)(colon - word);
	if (slen > DSP_NAME_MAX)
		return admin_fail(p, "server name in '%s' is longer than %d "
		    "characters", word, DSP_NAME_MAX);
	if (cmd->nregions == ADMIN_MAX_ARGS)
		return admin_fail(p, "too many regions (at most %d)",
		    ADMIN_MAX_ARGS);
	r = &cmd->regions[cmd->nregions];
	memcpy(r->server, word, slen);
	r->server[slen] = '\0';
	if (!msg_name_valid(r->server))
		return admin_fail(p, "bad server name '%s' in '%s'", r->server,
		    word);
	if (!msg_name_valid(colon + 1))
		return admin_fail(p, "bad region name '%s' in '%s'", colon + 1,
		    word);
	snprintf(r->region, sizeof(r->region), "%s", colon + 1);
	if (cmd->nregions++ == 0) {
		snprintf(cmd->server, sizeof(cmd->server), "%s", r->server);
		snprintf(cmd->region, sizeof(cmd->region), "%s", r->region);
	}
	return DSP_OK;
}

/* NAME:SIZE or NAME:rest; names may hold ':', the size follows the last.
 * Only the last piece may be rest. */
static int
admin_take_piece(struct admin_parse *p, const char *word)
{
	struct admin_command	*cmd = p->cmd;
	struct admin_piece	*pc;
	const char		*colon = strrchr(word, ':');
	char			 why[128];
	size_t			 nlen;

	if (colon == NULL || colon == word || colon[1] == '\0')
		return admin_fail(p, "expected NAME:SIZE or NAME:rest, got '%s'",
		    word);
	if (cmd->npieces > 0 && cmd->pieces[cmd->npieces - 1].size == 0)
		return admin_fail(p, "'%s' follows %s:rest; only the last piece "
		    "may take the rest", word, cmd->pieces[cmd->npieces - 1].name);
	if (cmd->npieces == ADMIN_MAX_ARGS)
		return admin_fail(p, "too many pieces (at most %d)",
		    ADMIN_MAX_ARGS);
	nlen = (size_t)(colon - word);
	pc = &cmd->pieces[cmd->npieces];
	if (nlen > DSP_NAME_MAX)
		return admin_fail(p, "volume name in '%s' is longer than %d "
		    "characters", word, DSP_NAME_MAX);
	memcpy(pc->name, word, nlen);
	pc->name[nlen] = '\0';
	if (!msg_name_valid(pc->name))
		return admin_fail(p, "bad volume name '%s' in '%s': use 1-%d "
		    "characters of A-Z a-z 0-9 . _ : -", pc->name, word,
		    DSP_NAME_MAX);
	if (strcmp(colon + 1, "rest") == 0)
		pc->size = 0;
	else if (size_parse(colon + 1, &pc->size, why, sizeof(why)) == -1)
		return admin_fail(p, "bad size '%s' in '%s': %s", colon + 1,
		    word, why);
	else if (pc->size == 0)
		return admin_fail(p, "bad size '%s' in '%s': a volume needs at "
		    "least one byte", colon + 1, word);
	cmd->npieces++;
	return DSP_OK;
}

static int
admin_take_server(struct admin_parse *p, const char *word)
{
	if (!msg_name_valid(word))
		return admin_fail(p, "bad server name '%s': use 1-%d characters "
		    "of A-Z a-z 0-9 . _ : -", word, DSP_NAME_MAX);
	snprintf(p->cmd->server, sizeof(p->cmd->server), "%s", word);
	return DSP_OK;
}

static int
admin_take_count(struct admin_parse *p, const char *word)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(word, &end, 10);
	if (word[0] < '0' || word[0] > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > ADMIN_AUDIT_MAX)
		return admin_fail(p, "bad count '%s': expected a number from 1 "
		    "to %d", word, ADMIN_AUDIT_MAX);
	p->cmd->count = (unsigned int)v;
	return DSP_OK;
}

/* The filter a value token sets. */
static unsigned int
admin_filter_kind(enum admin_token_type type)
{
	switch (type) {
	case TOK_FILTER_SERVER:
		return ADMIN_FILTER_SERVER;
	case TOK_FILTER_BORROWER:
		return ADMIN_FILTER_BORROWER;
	case TOK_FILTER_FORM:
		return ADMIN_FILTER_FORM;
	case TOK_FILTER_HEALTH:
		return ADMIN_FILTER_HEALTH;
	case TOK_FILTER_NAME:
		return ADMIN_FILTER_NAME;
	default:
		return 0;
	}
}

/* A filter keyword: each at most once. */
static int
admin_take_filter(struct admin_parse *p, const struct admin_token *t)
{
	if (p->cmd->filter.given & admin_filter_kind(t->next[0].type))
		return admin_fail(p, "filter '%s' given twice after '%s'",
		    t->word, p->path);
	return DSP_OK;
}

static int
admin_take_filter_name(struct admin_parse *p, const char *filter,
    const char *word, char *out, size_t outlen)
{
	if (!msg_name_valid(word))
		return admin_fail(p, "bad server name '%s' in the %s filter: "
		    "use 1-%d characters of A-Z a-z 0-9 . _ : -", word, filter,
		    DSP_NAME_MAX);
	snprintf(out, outlen, "%s", word);
	return DSP_OK;
}

/* A shell pattern: printable, no blanks (they end a word anyway). */
static int
admin_take_pattern(struct admin_parse *p, const char *word)
{
	const unsigned char	*c;

	if (strlen(word) > ADMIN_PATTERN_MAX)
		return admin_fail(p, "bad pattern in the name filter: longer "
		    "than %d characters", ADMIN_PATTERN_MAX);
	for (c = (const unsigned char *)word; *c != '\0'; c++)
		if (*c < 0x21 || *c > 0x7e)
			return admin_fail(p, "bad pattern in the name filter: "
			    "byte 0x%02x is not a printable character", *c);
	snprintf(p->cmd->filter.pattern, sizeof(p->cmd->filter.pattern), "%s",
	    word);
	return DSP_OK;
}

static int
admin_take_filter_value(struct admin_parse *p, enum admin_token_type type,
    const char *word)
{
	struct admin_filter	*f = &p->cmd->filter;
	int			 rc = DSP_OK;

	switch (type) {
	case TOK_FILTER_SERVER:
		rc = admin_take_filter_name(p, "server", word, f->server,
		    sizeof(f->server));
		break;
	case TOK_FILTER_BORROWER:
		rc = admin_take_filter_name(p, "borrower", word, f->borrower,
		    sizeof(f->borrower));
		break;
	case TOK_FILTER_FORM:
		if ((f->form = dsp_form_parse(word)) == 0)
			rc = admin_fail(p, "bad form '%s' in the form filter: "
			    "use single, concat, mirror or split", word);
		break;
	case TOK_FILTER_HEALTH:
		if ((f->health = dsp_health_parse(word)) == -1)
			rc = admin_fail(p, "bad health '%s' in the health "
			    "filter: use ok, degraded, resyncing or failed",
			    word);
		break;
	case TOK_FILTER_NAME:
		rc = admin_take_pattern(p, word);
		break;
	default:
		break;
	}
	if (rc == DSP_OK)
		f->given |= admin_filter_kind(type);
	return rc;
}

/* A word that is no keyword: the table's parameter, if it has one. */
static const struct admin_token *
admin_match_param(struct admin_parse *p, const struct admin_token *table,
    const char *word, int *rc)
{
	const struct admin_token	*t;

	for (t = table; t->type != TOK_NONE; t++) {
		switch (t->type) {
		case TOK_VOLUME:
			*rc = admin_take_volume(p, word);
			return t;
		case TOK_SERVER_REGION:
			*rc = admin_take_server_region(p, word);
			return t;
		case TOK_PIECE:
			*rc = admin_take_piece(p, word);
			return t;
		case TOK_COUNT:
			*rc = admin_take_count(p, word);
			return t;
		case TOK_SERVER:
			*rc = admin_take_server(p, word);
			return t;
		case TOK_FILTER_SERVER:
		case TOK_FILTER_BORROWER:
		case TOK_FILTER_FORM:
		case TOK_FILTER_HEALTH:
		case TOK_FILTER_NAME:
			*rc = admin_take_filter_value(p, t->type, word);
			return t;
		default:
			break;
		}
	}
	*rc = DSP_OK;
	return NULL;
}

static int
admin_unknown(struct admin_parse *p, const struct admin_token *table,
    const char *word)
{
	char	list[256];

	if (table[0].type == TOK_EOL && table[1].type == TOK_NONE)
		return admin_fail(p, "too many arguments: '%s' after '%s'", word,
		    p->path);
	admin_list(table, 1, list, sizeof(list));
	if (p->path[0] == '\0')
		return admin_fail(p, "unknown command '%s'; try: %s", word, list);
	return admin_fail(p, "unknown command '%s %s'; after '%s' try: %s",
	    p->path, word, p->path, list);
}

static int
admin_step(struct admin_parse *p, const struct admin_token **table,
    const char *word)
{
	const struct admin_token	*t;
	int				 rc;

	if ((t = admin_match_keyword(p, *table, word, &rc)) == NULL &&
	    rc == DSP_OK)
		t = admin_match_param(p, *table, word, &rc);
	if (rc != DSP_OK)
		return rc;
	if (t == NULL)
		return admin_unknown(p, *table, word);
	if (t->type == TOK_FORM)
		p->cmd->form = dsp_form_parse(t->word);
	if (t->type == TOK_FILTER && (rc = admin_take_filter(p, t)) != DSP_OK)
		return rc;
	if (t->action != ADMIN_NONE)
		p->cmd->action = t->action;
	admin_path_add(p, admin_is_keyword(t) ? t->word : word);
	*table = t->next;
	return DSP_OK;
}

static int
admin_has_eol(const struct admin_token *table)
{
	const struct admin_token	*t;

	for (t = table; t->type != TOK_NONE; t++)
		if (t->type == TOK_EOL)
			return 1;
	return 0;
}

static int
admin_finish(struct admin_parse *p, const struct admin_token *table)
{
	char	list[256];

	if (admin_has_eol(table))
		return DSP_OK;
	admin_list(table, 0, list, sizeof(list));
	return admin_fail(p, "incomplete command '%s': expected %s", p->path,
	    list);
}

/* Splits line into at most ADMIN_MAX_WORDS words, in place. */
static int
admin_words(struct admin_parse *p, char *line, char **words, size_t *count)
{
	char	*w, *save = NULL;

	*count = 0;
	for (w = strtok_r(line, " \t\r\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\r\n", &save)) {
		if (*count == ADMIN_MAX_WORDS)
			return admin_fail(p, "too many words (at most %d)",
			    ADMIN_MAX_WORDS);
		words[(*count)++] = w;
	}
	return DSP_OK;
}

int
admin_is_reading(enum admin_action action)
{
	switch (action) {
	case ADMIN_NONE:
	case ADMIN_CHOICES:
	case ADMIN_HELP:
	case ADMIN_SHOW_SERVERS:
	case ADMIN_SHOW_REGIONS:
	case ADMIN_SHOW_VOLUMES:
	case ADMIN_SHOW_VOLUME:
	case ADMIN_SHOW_AUDIT:
	case ADMIN_SHOW_STORE:
	case ADMIN_SHOW_WHOAMI:
	case ADMIN_COMPLETE:
	case ADMIN_BACKUP:
		return 1;
	default:
		return 0;
	}
}

int
admin_is_change(enum admin_action action)
{
	switch (action) {
	case ADMIN_VOLUME_CREATE:
	case ADMIN_VOLUME_DELETE:
	case ADMIN_VOLUME_FORCE_UNMOUNT:
	case ADMIN_VOLUME_FORCE_RELEASE:
	case ADMIN_VOLUME_SPLIT:
	case ADMIN_SERVER_RETIRE:
	case ADMIN_VOLUME_RESOLVE:
		return 1;
	default:
		return 0;
	}
}

/* A completion: the words before the last blank are walked as a
 * command's; what follows it is the word being typed. */
static int
admin_parse_complete(struct admin_parse *p, char *line)
{
	const struct admin_token	*table = t_main;
	char				*partial, *words[ADMIN_MAX_WORDS];
	size_t				 i, count;
	int				 rc;

	if ((partial = strrchr(line, ' ')) != NULL)
		*partial++ = '\0';
	else {
		partial = line;
		line = (char *)"";
	}
	if (strlen(partial) >= sizeof(p->cmd->partial))
		return admin_fail(p, "the word to complete is too long");
	if ((rc = admin_words(p, line, words, &count)) != DSP_OK)
		return rc;
	for (i = 0; i < count; i++)
		if ((rc = admin_step(p, &table, words[i])) != DSP_OK)
			return rc;
	p->cmd->complete_for = p->cmd->action;
	p->cmd->action = ADMIN_COMPLETE;
	p->cmd->choices = table;
	snprintf(p->cmd->partial, sizeof(p->cmd->partial), "%s", partial);
	return DSP_OK;
}

int
admin_parse(const char *line, struct admin_command *cmd, char *err,
    size_t errlen)
{
	struct admin_parse		 p = { cmd, "", err, errlen };
	const struct admin_token	*table = t_main;
	char				 copy[ADMIN_LINE_MAX + 1], *words[ADMIN_MAX_WORDS];
	size_t				 i, count;
	int				 rc;

	memset(cmd, 0, sizeof(*cmd));
	if (errlen > 0)
		err[0] = '\0';
	if (strlen(line) > ADMIN_LINE_MAX)
		return admin_fail(&p, "command line longer than %d bytes",
		    ADMIN_LINE_MAX);
	memcpy(copy, line, strlen(line) + 1);
	if (copy[0] == ADMIN_COMPLETE_MARK)
		return admin_parse_complete(&p, copy + 1);
	if ((rc = admin_words(&p, copy, words, &count)) != DSP_OK)
		return rc;
	/* "help COMMAND...": the usage of the commands under it. */
	if (count > 1 && strncmp("help", words[0], strlen(words[0])) == 0 &&
	    strcmp(words[1], "?") != 0) {
		for (i = 1; i < count; i++)
			if ((rc = admin_step(&p, &table, words[i])) != DSP_OK)
				return rc;
		cmd->action = ADMIN_HELP;
		snprintf(cmd->path, sizeof(cmd->path), "%s", p.path);
		return DSP_OK;
	}
	for (i = 0; i < count; i++) {
		if (strcmp(words[i], "?") == 0) {
			cmd->action = ADMIN_CHOICES;
			cmd->choices = table;
			snprintf(cmd->path, sizeof(cmd->path), "%s", p.path);
			return DSP_OK;
		}
		if ((rc = admin_step(&p, &table, words[i])) != DSP_OK)
			return rc;
	}
	if (count == 0)
		return DSP_OK;
	return admin_finish(&p, table);
}

static void
admin_put_str(struct buf_writer *w, const char *s)
{
	buf_put_bytes(w, s, strlen(s));
}

typedef void (*admin_put_fn)(struct buf_writer *, const char *,
	    const char *);

/* One command's usage, then its help on a line of its own, indented:
 * short lines for "help COMMAND" on a narrow console. */
static void
admin_put_usage(struct buf_writer *w, const char *left, const char *help)
{
	admin_put_str(w, left);
	admin_put_str(w, "\n");
	if (help != NULL && help[0] != '\0') {
		admin_put_str(w, "    ");
		admin_put_str(w, help);
		admin_put_str(w, "\n");
	}
}

static void
admin_put_line(struct buf_writer *w, const char *left, const char *help)
{
	char	line[512];
	int	n;

	if (help == NULL || help[0] == '\0')
		n = snprintf(line, sizeof(line), "%s\n", left);
	else
		n = snprintf(line, sizeof(line), "%-42s %s\n", left, help);
	if (n > 0)
		buf_put_bytes(w, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

/* The token of table that may repeat (its next is table), or NULL. */
static const struct admin_token *
admin_repeat(const struct admin_token *table)
{
	const struct admin_token	*t;

	for (t = table; t->type != TOK_NONE; t++)
		if (t->next == table)
			return t;
	return NULL;
}

/* "path [server SERVER] [name PATTERN]": a listing and its filters. */
static void
admin_help_filters(const struct admin_token *table, const char *path,
    char *out, size_t outlen)
{
	const struct admin_token	*t;
	size_t				 n;

	n = (size_t)snprintf(out, outlen, "%s", path);
	for (t = table; t->type != TOK_NONE && n < outlen; t++)
		if (t->type == TOK_FILTER)
			n += (size_t)snprintf(out + n, outlen - n, " [%s %s]",
			    t->word, t->next[0].word);
}

/* One line for every place a command may end. */
static void
admin_help_walk(struct buf_writer *w, admin_put_fn put,
    const struct admin_token *table, const char *path, const char *help)
{
	const struct admin_token	*t, *rep = admin_repeat(table);
	char				 next[256];

	for (t = table; t->type != TOK_NONE; t++) {
		if (t->type != TOK_EOL)
			continue;
		if (rep != NULL) {
			snprintf(next, sizeof(next), "%s [%s...]", path,
			    rep->word);
			put(w, next, help);
		} else {
			admin_help_filters(table, path, next, sizeof(next));
			put(w, next, help);
		}
	}
	for (t = table; t->type != TOK_NONE; t++) {
		if (t->type == TOK_EOL || t->type == TOK_FILTER || t == rep)
			continue;
		snprintf(next, sizeof(next), "%s%s%s", path, path[0] ? " " : "",
		    t->word);
		/* A command's line says what its keyword does; an optional
		 * argument says what it changes. */
		admin_help_walk(w, put, t->next, next,
		    t->type == TOK_KEYWORD ||
		    t->type == TOK_FORM || admin_has_eol(table) ? t->help :
		    help);
	}
}

void
admin_help(const struct admin_command *cmd, struct buf_writer *w)
{
	struct buf_writer	 all;
	const char		*line, *end;
	size_t			 plen = strlen(cmd->path), shown = 0;

	if (plen == 0) {
		admin_help_walk(w, admin_put_line, t_main, "", NULL);
		admin_put_str(w, "\nKeywords may be shortened (\"sh vol\"); "
		    "\"?\" lists what may follow.\n");
		return;
	}
	/* One command: the lines of the whole list that start with it. */
	buf_writer_init(&all);
	admin_help_walk(&all, admin_put_usage, t_main, "", NULL);
	buf_put_u8(&all, '\0');
	for (line = (const char *)all.data; !all.error && *line != '\0';
	    line = *end != '\0' ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		/* A usage line of the command, with its help line. */
		if (strncmp(line, cmd->path, plen) != 0 ||
		    (line[plen] != ' ' && line[plen] != '\n'))
			continue;
		if (*end == '\n' && strncmp(end + 1, "    ", 4) == 0)
			end += 1 + strcspn(end + 1, "\n");
		buf_put_bytes(w, line, (size_t)(end - line));
		buf_put_u8(w, '\n');
		shown++;
	}
	buf_writer_free(&all);
	if (shown == 0) {
		admin_put_str(w, "no command is '");
		admin_put_str(w, cmd->path);
		admin_put_str(w, "'\n");
	}
}

void
admin_choices(const struct admin_command *cmd, struct buf_writer *w)
{
	const struct admin_token	*t;

	for (t = cmd->choices != NULL ? cmd->choices : t_main;
	    t->type != TOK_NONE; t++)
		admin_put_line(w, t->word, t->type == TOK_EOL ?
		    "run the command" : t->help);
}

/* Fixed values of a filter, as words. */
static void
admin_complete_values(const char *const *values, const char *partial,
    struct buf_writer *w)
{
	for (; *values != NULL; values++)
		if (strncmp(*values, partial, strlen(partial)) == 0) {
			admin_put_str(w, *values);
			admin_put_str(w, "\n");
		}
}

unsigned int
admin_complete_keywords(const struct admin_command *cmd,
    struct buf_writer *w)
{
	static const char *const	 forms[] = { "single", "concat",
					    "mirror", "split", NULL };
	static const char *const	 healths[] = { "ok", "degraded",
					    "resyncing", "failed", NULL };
	const struct admin_token	*t;
	unsigned int			 names = 0;

	for (t = cmd->choices != NULL ? cmd->choices : t_main;
	    t->type != TOK_NONE; t++) {
		if (admin_is_keyword(t)) {
			if (strncmp(t->word, cmd->partial,
			    strlen(cmd->partial)) == 0) {
				admin_put_str(w, t->word);
				admin_put_str(w, "\n");
			}
			continue;
		}
		switch (t->type) {
		case TOK_VOLUME:
			names |= ADMIN_NAMES_VOLUMES;
			break;
		case TOK_SERVER:
		case TOK_FILTER_SERVER:
			names |= ADMIN_NAMES_SERVERS;
			break;
		case TOK_SERVER_REGION:
			names |= ADMIN_NAMES_REGIONS;
			break;
		case TOK_COUNT:
			names |= ADMIN_NAMES_AUDIT_COUNTS;
			break;
		case TOK_FILTER_FORM:
			admin_complete_values(forms, cmd->partial, w);
			break;
		case TOK_FILTER_HEALTH:
			admin_complete_values(healths, cmd->partial, w);
			break;
		default:
			break;
		}
	}
	return names;
}
