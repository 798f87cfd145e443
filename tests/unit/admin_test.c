/*
 * The admin command parser: every command in full and abbreviated,
 * ambiguity, unknown words, missing and extra arguments, bad names and
 * counts, the filters of the listings, "?" and the help text. No store: admin_parse only reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admin.h"
#include "buf.h"
#include "proto.h"

static const struct {
	const char		*line;
	enum admin_action	 action;
	const char		*volume;
	const char		*server;
	const char		*region;
	unsigned int		 count;
} parse_ok[] = {
	{ "", ADMIN_NONE, "", "", "", 0 },
	{ "   \t ", ADMIN_NONE, "", "", "", 0 },
	{ "help", ADMIN_HELP, "", "", "", 0 },
	{ "h", ADMIN_HELP, "", "", "", 0 },
	{ "show servers", ADMIN_SHOW_SERVERS, "", "", "", 0 },
	{ "sh ser", ADMIN_SHOW_SERVERS, "", "", "", 0 },
	{ "sh se", ADMIN_SHOW_SERVERS, "", "", "", 0 },
	{ "show store", ADMIN_SHOW_STORE, "", "", "", 0 },
	{ "sh st", ADMIN_SHOW_STORE, "", "", "", 0 },
	{ "store copy", ADMIN_STORE_COPY, "", "", "", 0 },
	{ "st c", ADMIN_STORE_COPY, "", "", "", 0 },
	{ "  show   regions  ", ADMIN_SHOW_REGIONS, "", "", "", 0 },
	{ "show r", ADMIN_SHOW_REGIONS, "", "", "", 0 },
	{ "show volumes", ADMIN_SHOW_VOLUMES, "", "", "", 0 },
	{ "sh vol", ADMIN_SHOW_VOLUMES, "", "", "", 0 },
	{ "show audit", ADMIN_SHOW_AUDIT, "", "", "", 0 },
	{ "show audit 5", ADMIN_SHOW_AUDIT, "", "", "", 5 },
	{ "sh a 10000", ADMIN_SHOW_AUDIT, "", "", "", 10000 },
	{ "volume create Vol-1 single serverA:A2", ADMIN_VOLUME_CREATE,
	    "Vol-1", "serverA", "A2", 0 },
	{ "v c Vol-1 s serverA:A2", ADMIN_VOLUME_CREATE,
	    "Vol-1", "serverA", "A2", 0 },
	/* A server name may hold ':'; the region follows the last one. */
	{ "volume create v single host:1:r", ADMIN_VOLUME_CREATE,
	    "v", "host:1", "r", 0 },
	{ "volume delete Vol-1", ADMIN_VOLUME_DELETE, "Vol-1", "", "", 0 },
	{ "vol d Vol-1", ADMIN_VOLUME_DELETE, "Vol-1", "", "", 0 },
	{ "volume force-unmount Vol-1", ADMIN_VOLUME_FORCE_UNMOUNT, "Vol-1",
	    "", "", 0 },
	{ "volume force-u Vol-1", ADMIN_VOLUME_FORCE_UNMOUNT, "Vol-1",
	    "", "", 0 },
	{ "volume force-release Vol-1", ADMIN_VOLUME_FORCE_RELEASE, "Vol-1",
	    "", "", 0 },
	{ "volume force-r Vol-1", ADMIN_VOLUME_FORCE_RELEASE, "Vol-1",
	    "", "", 0 },
	/* A volume may be named like a keyword. */
	{ "volume delete show", ADMIN_VOLUME_DELETE, "show", "", "", 0 },
	{ "server retire serverB", ADMIN_SERVER_RETIRE, "", "serverB", "", 0 },
	{ "ser r host:1", ADMIN_SERVER_RETIRE, "", "host:1", "", 0 },
};

/* Each bad line and a piece of the sentence it must get. */
static const struct {
	const char	*line;
	const char	*says;
} parse_bad[] = {
	{ "x", "unknown command 'x'; try: show, volume, server, store, backup, help" },
	{ "s s", "ambiguous command 's'; could be: show, server, store" },
	{ "sh s", "ambiguous command 'show s'; could be: servers, store" },
	{ "store", "incomplete command 'store': expected copy" },
	{ "store copy now", "too many arguments: 'now' after 'store copy'" },
	{ "show store x", "too many arguments" },
	{ "server retire", "incomplete command 'server retire': expected "
	    "SERVER" },
	{ "server retire a/b", "bad server name 'a/b'" },
	{ "server retire a b", "too many arguments" },
	{ "frobnicate now", "unknown command 'frobnicate'" },
	{ "show x", "unknown command 'show x'; after 'show' try: servers, "
	    "regions, volumes, volume, audit, store" },
	{ "volume explode Vol-1", "try: create, delete, force-unmount, "
	    "force-release, split" },
	{ "volume force Vol-1", "ambiguous command 'volume force'; could be: "
	    "force-unmount, force-release" },
	{ "volume f Vol-1", "ambiguous" },
	{ "show", "incomplete command 'show': expected servers, regions, "
	    "volumes, volume, audit, store" },
	{ "volume", "incomplete command 'volume'" },
	{ "volume create", "incomplete command 'volume create': expected "
	    "NAME" },
	{ "volume create Vol-1", "expected single, concat, mirror" },
	{ "volume create Vol-1 single", "expected SERVER:REGION" },
	{ "volume delete", "expected NAME" },
	{ "volume force-unmount", "expected NAME" },
	{ "show servers now", "unknown command 'show servers now'; after "
	    "'show servers' try: name" },
	{ "show store now", "too many arguments: 'now' after 'show store'" },
	/* Filters: each value checked, each at most once, each where it
	 * makes sense. */
	{ "show volumes form raid", "bad form 'raid' in the form filter: use "
	    "single, concat, mirror or split" },
	{ "show volumes health sick", "bad health 'sick' in the health "
	    "filter: use ok, degraded, resyncing or failed" },
	{ "show volumes server a/b", "bad server name 'a/b' in the server "
	    "filter" },
	{ "show volumes borrower a/b", "bad server name 'a/b' in the "
	    "borrower filter" },
	{ "show volumes server a form split server b", "filter 'server' "
	    "given twice" },
	{ "sh vol n x* na y*", "filter 'name' given twice" },
	{ "show volumes name", "incomplete command 'show volumes name': "
	    "expected PATTERN" },
	{ "show volumes form", "expected FORM" },
	{ "show volumes server a Vol-1", "unknown command 'show volumes "
	    "server a Vol-1'; after 'show volumes server a' try: server, "
	    "borrower, form, health, name" },
	{ "show volumes Vol-1 server a", "too many arguments: 'server' after "
	    "'show volumes Vol-1'" },
	{ "show regions borrower serverJ", "unknown command 'show regions "
	    "borrower'; after 'show regions' try: server, name" },
	{ "show regions form split", "try: server, name" },
	{ "show servers server a", "after 'show servers' try: name" },
	{ "show servers name a\x01", "byte 0x01 is not a printable" },
	{ "volume delete Vol-1 Vol-2", "too many arguments: 'Vol-2'" },
	{ "show audit 5 6", "too many arguments" },
	{ "show audit 0", "bad count '0'" },
	{ "show audit -3", "bad count" },
	{ "show audit 10001", "bad count" },
	{ "show audit 5x", "bad count" },
	{ "volume delete Vol/1", "bad volume name 'Vol/1'" },
	{ "volume create Vol-1 stripe a:b", "unknown command 'volume create "
	    "Vol-1 stripe'; after 'volume create Vol-1' try: single, concat, "
	    "mirror" },
	/* Two regions at least, for concat and mirror. */
	{ "volume create Vol-2 concat serverB:B2", "incomplete command "
	    "'volume create Vol-2 concat serverB:B2': expected SERVER:REGION" },
	{ "volume create Vol-3 mirror", "expected SERVER:REGION" },
	{ "volume create Vol-1 single a:b c:d", "too many arguments: 'c:d'" },
	{ "volume create Vol-3 mirror serverD:D serverE", "expected "
	    "SERVER:REGION, got 'serverE'" },
	{ "volume split serverX:X2", "incomplete command 'volume split "
	    "serverX:X2': expected NAME:SIZE" },
	{ "volume split serverX", "expected SERVER:REGION" },
	{ "volume split serverX:X2 Vol-4", "expected NAME:SIZE or NAME:rest, "
	    "got 'Vol-4'" },
	{ "volume split serverX:X2 Vol-4:", "expected NAME:SIZE" },
	{ "volume split serverX:X2 :50G", "expected NAME:SIZE" },
	{ "volume split serverX:X2 Vol-4:50Q", "bad size '50Q' in "
	    "'Vol-4:50Q'" },
	{ "volume split serverX:X2 Vol-4:0", "at least one byte" },
	{ "volume split serverX:X2 Vol/4:50G", "bad volume name 'Vol/4'" },
	{ "volume split serverX:X2 Vol-4:rest Vol-5:50G", "'Vol-5:50G' "
	    "follows Vol-4:rest; only the last piece may take the rest" },
	{ "show volume", "incomplete command 'show volume': expected NAME" },
	{ "show volume Vol-1 Vol-2", "too many arguments" },
	{ "show volumes Vol-1 Vol-2", "too many arguments" },
	{ "volume create Vol-1 single serverA", "expected SERVER:REGION, got "
	    "'serverA'" },
	{ "volume create Vol-1 single :A1", "expected SERVER:REGION" },
	{ "volume create Vol-1 single serverA:", "expected SERVER:REGION" },
	{ "volume create Vol-1 single server/A:A1", "bad server name" },
	{ "volume create Vol-1 single serverA:A*", "bad region name 'A*'" },
	{ "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h "
	    "i j k l m n o", "too many words" },
};

static void
test_parse_ok(void **state)
{
	struct admin_command	cmd;
	char			err[256];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		if (admin_parse(parse_ok[i].line, &cmd, err, sizeof(err)) !=
		    DSP_OK)
			fail_msg("'%s': %s", parse_ok[i].line, err);
		assert_int_equal(cmd.action, parse_ok[i].action);
		assert_string_equal(cmd.volume, parse_ok[i].volume);
		assert_string_equal(cmd.server, parse_ok[i].server);
		assert_string_equal(cmd.region, parse_ok[i].region);
		assert_int_equal(cmd.count, parse_ok[i].count);
		if (cmd.action == ADMIN_VOLUME_CREATE) {
			assert_int_equal(cmd.form, DSP_FORM_SINGLE);
			assert_int_equal(cmd.nregions, 1);
		}
	}
}

static void
test_parse_bad(void **state)
{
	struct admin_command	cmd;
	char			err[256];
	size_t			i;
	int			rc;

	(void)state;
	for (i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		rc = admin_parse(parse_bad[i].line, &cmd, err, sizeof(err));
		if (rc != DSP_E_INVALID)
			fail_msg("'%s' gave %d, not E_INVALID", parse_bad[i].line,
			    rc);
		if (strstr(err, parse_bad[i].says) == NULL)
			fail_msg("'%s' says \"%s\", not \"%s\"",
			    parse_bad[i].line, err, parse_bad[i].says);
	}
}

/* The regions of concat and mirror, in order; the pieces of a split. */
static void
test_parse_forms(void **state)
{
	struct admin_command	cmd;
	char			err[256], line[1024];
	size_t			n;
	int			i;

	(void)state;
	assert_int_equal(admin_parse("volume create Vol-2 concat serverB:B2 "
	    "serverC:C2", &cmd, err, sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_VOLUME_CREATE);
	assert_int_equal(cmd.form, DSP_FORM_CONCAT);
	assert_string_equal(cmd.volume, "Vol-2");
	assert_int_equal(cmd.nregions, 2);
	assert_string_equal(cmd.regions[0].server, "serverB");
	assert_string_equal(cmd.regions[0].region, "B2");
	assert_string_equal(cmd.regions[1].server, "serverC");
	assert_string_equal(cmd.regions[1].region, "C2");
	assert_string_equal(cmd.server, "serverB");
	assert_string_equal(cmd.region, "B2");

	assert_int_equal(admin_parse("v c Vol-3 m serverD:D serverE:E h:1:F",
	    &cmd, err, sizeof(err)), DSP_OK);
	assert_int_equal(cmd.form, DSP_FORM_MIRROR);
	assert_int_equal(cmd.nregions, 3);
	assert_string_equal(cmd.regions[2].server, "h:1");
	assert_string_equal(cmd.regions[2].region, "F");

	assert_int_equal(admin_parse("volume create Vol-1 single serverA:A2",
	    &cmd, err, sizeof(err)), DSP_OK);
	assert_int_equal(cmd.nregions, 1);

	/* 17 regions parse; the store refuses more than 16 extents. */
	n = (size_t)snprintf(line, sizeof(line), "volume create V concat");
	for (i = 0; i < 17; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " s%d:r", i);
	assert_int_equal(admin_parse(line, &cmd, err, sizeof(err)), DSP_OK);
	assert_int_equal(cmd.nregions, 17);

	assert_int_equal(admin_parse("volume split serverX:X2 Vol-4:50G "
	    "Vol-5:rest", &cmd, err, sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_VOLUME_SPLIT);
	assert_string_equal(cmd.server, "serverX");
	assert_string_equal(cmd.region, "X2");
	assert_int_equal(cmd.npieces, 2);
	assert_string_equal(cmd.pieces[0].name, "Vol-4");
	assert_int_equal(cmd.pieces[0].size, 50ULL << 30);
	assert_string_equal(cmd.pieces[1].name, "Vol-5");
	assert_int_equal(cmd.pieces[1].size, 0);

	/* Names may hold ':'; the size follows the last one. */
	assert_int_equal(admin_parse("vol sp x:y a:b:512M c:1.5K", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_string_equal(cmd.pieces[0].name, "a:b");
	assert_int_equal(cmd.pieces[0].size, 512ULL << 20);
	assert_int_equal(cmd.pieces[1].size, 1536);

	/* "sh vol" is still the table; a NAME after it is the detail. */
	assert_int_equal(admin_parse("sh vol", &cmd, err, sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_SHOW_VOLUMES);
	assert_int_equal(admin_parse("sh vol Vol-3", &cmd, err, sizeof(err)),
	    DSP_OK);
	assert_int_equal(cmd.action, ADMIN_SHOW_VOLUME);
	assert_string_equal(cmd.volume, "Vol-3");
	assert_int_equal(admin_parse("show volume Vol-3", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_SHOW_VOLUME);
	assert_string_equal(cmd.volume, "Vol-3");
}

static const struct {
	const char	*line;
	enum admin_action action;
	unsigned int	 given;
	const char	*server;
	const char	*borrower;
	int		 form;
	int		 health;
	const char	*pattern;
} parse_filters[] = {
	{ "show volumes", ADMIN_SHOW_VOLUMES, 0, "", "", 0, 0, "" },
	{ "show volumes server serverA", ADMIN_SHOW_VOLUMES,
	    ADMIN_FILTER_SERVER, "serverA", "", 0, 0, "" },
	{ "show volumes borrower serverJ", ADMIN_SHOW_VOLUMES,
	    ADMIN_FILTER_BORROWER, "", "serverJ", 0, 0, "" },
	{ "show volumes form mirror", ADMIN_SHOW_VOLUMES, ADMIN_FILTER_FORM,
	    "", "", DSP_FORM_MIRROR, 0, "" },
	{ "show volumes health failed", ADMIN_SHOW_VOLUMES,
	    ADMIN_FILTER_HEALTH, "", "", 0, DSP_HEALTH_FAILED, "" },
	{ "show volumes health ok", ADMIN_SHOW_VOLUMES, ADMIN_FILTER_HEALTH,
	    "", "", 0, DSP_HEALTH_OK, "" },
	{ "show volumes name Vol-[0-9]*", ADMIN_SHOW_VOLUMES,
	    ADMIN_FILTER_NAME, "", "", 0, 0, "Vol-[0-9]*" },
	/* Any order, abbreviated, all at once. */
	{ "sh vol n db? he degraded fo split bor serverK se serverB",
	    ADMIN_SHOW_VOLUMES, ADMIN_FILTER_SERVER | ADMIN_FILTER_BORROWER |
	    ADMIN_FILTER_FORM | ADMIN_FILTER_HEALTH | ADMIN_FILTER_NAME,
	    "serverB", "serverK", DSP_FORM_SPLIT, DSP_HEALTH_DEGRADED, "db?" },
	{ "show regions server serverB name B*", ADMIN_SHOW_REGIONS,
	    ADMIN_FILTER_SERVER | ADMIN_FILTER_NAME, "serverB", "", 0, 0,
	    "B*" },
	{ "show servers name rack1-*", ADMIN_SHOW_SERVERS, ADMIN_FILTER_NAME,
	    "", "", 0, 0, "rack1-*" },
	/* A word that is no filter is still the volume in detail. */
	{ "show volumes Vol-3", ADMIN_SHOW_VOLUME, 0, "", "", 0, 0, "" },
};

static void
test_parse_filters(void **state)
{
	struct admin_command	cmd;
	char			err[256];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(parse_filters) / sizeof(parse_filters[0]); i++) {
		if (admin_parse(parse_filters[i].line, &cmd, err,
		    sizeof(err)) != DSP_OK)
			fail_msg("'%s' refused: %s", parse_filters[i].line, err);
		assert_int_equal(cmd.action, parse_filters[i].action);
		assert_int_equal(cmd.filter.given, parse_filters[i].given);
		assert_string_equal(cmd.filter.server,
		    parse_filters[i].server);
		assert_string_equal(cmd.filter.borrower,
		    parse_filters[i].borrower);
		assert_int_equal(cmd.filter.form, parse_filters[i].form);
		assert_int_equal(cmd.filter.health, parse_filters[i].health);
		assert_string_equal(cmd.filter.pattern,
		    parse_filters[i].pattern);
	}
}

static void
test_long_pattern(void **state)
{
	struct admin_command	 cmd;
	char			 err[256], line[ADMIN_PATTERN_MAX + 32];

	(void)state;
	snprintf(line, sizeof(line), "show volumes name %0*d",
	    ADMIN_PATTERN_MAX, 0);
	assert_int_equal(admin_parse(line, &cmd, err, sizeof(err)), DSP_OK);
	snprintf(line, sizeof(line), "show volumes name %0*d",
	    ADMIN_PATTERN_MAX + 1, 0);
	assert_int_equal(admin_parse(line, &cmd, err, sizeof(err)),
	    DSP_E_INVALID);
	assert_non_null(strstr(err, "longer than"));
}

static void
test_long_line(void **state)
{
	struct admin_command	 cmd;
	char			 err[256], *line;

	(void)state;
	line = malloc(ADMIN_LINE_MAX + 2);
	assert_non_null(line);
	memset(line, 'a', ADMIN_LINE_MAX + 1);
	line[ADMIN_LINE_MAX + 1] = '\0';
	assert_int_equal(admin_parse(line, &cmd, err, sizeof(err)),
	    DSP_E_INVALID);
	assert_non_null(strstr(err, "longer than"));
	free(line);
}

/* Appends a NUL and returns the text. */
static const char *
text_of(struct buf_writer *w)
{
	buf_put_u8(w, '\0');
	assert_false(w->error);
	return (const char *)w->data;
}

static void
test_choices(void **state)
{
	struct admin_command	cmd;
	struct buf_writer	w;
	char			err[256];
	const char		*text;

	(void)state;
	assert_int_equal(admin_parse("?", &cmd, err, sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_CHOICES);
	buf_writer_init(&w);
	admin_choices(&cmd, &w);
	text = text_of(&w);
	assert_non_null(strstr(text, "show"));
	assert_non_null(strstr(text, "volume"));
	assert_non_null(strstr(text, "help"));
	buf_writer_free(&w);

	assert_int_equal(admin_parse("sh audit ?", &cmd, err, sizeof(err)),
	    DSP_OK);
	assert_int_equal(cmd.action, ADMIN_CHOICES);
	assert_string_equal(cmd.path, "show audit");
	buf_writer_init(&w);
	admin_choices(&cmd, &w);
	text = text_of(&w);
	assert_non_null(strstr(text, "<cr>"));
	assert_non_null(strstr(text, "N "));
	buf_writer_free(&w);

	/* The filters of a listing, and the values they take. */
	assert_int_equal(admin_parse("show volumes ?", &cmd, err, sizeof(err)),
	    DSP_OK);
	buf_writer_init(&w);
	admin_choices(&cmd, &w);
	text = text_of(&w);
	assert_non_null(strstr(text, "\nserver "));
	assert_non_null(strstr(text, "\nborrower "));
	assert_non_null(strstr(text, "\nform "));
	assert_non_null(strstr(text, "\nhealth "));
	assert_non_null(strstr(text, "\nname "));
	assert_non_null(strstr(text, "\nNAME "));
	buf_writer_free(&w);
	assert_int_equal(admin_parse("sh vol fo ?", &cmd, err, sizeof(err)),
	    DSP_OK);
	assert_string_equal(cmd.path, "show volumes form");
	buf_writer_init(&w);
	admin_choices(&cmd, &w);
	text = text_of(&w);
	assert_non_null(strstr(text, "single, concat, mirror or split"));
	buf_writer_free(&w);
	assert_int_equal(admin_parse("show regions ?", &cmd, err, sizeof(err)),
	    DSP_OK);
	buf_writer_init(&w);
	admin_choices(&cmd, &w);
	text = text_of(&w);
	assert_non_null(strstr(text, "\nserver "));
	assert_null(strstr(text, "\nborrower "));
	buf_writer_free(&w);

	/* A bad word before the "?" is still an error. */
	assert_int_equal(admin_parse("shw ?", &cmd, err, sizeof(err)),
	    DSP_E_INVALID);
}

/* A line marked for completion asks what its last word may become. */
static void
test_complete(void **state)
{
	struct admin_command	cmd;
	struct buf_writer	w;
	char			err[256];
	unsigned int		names;

	(void)state;
	assert_int_equal(admin_parse("\001sh vol", &cmd, err, sizeof(err)),
	    DSP_OK);
	assert_int_equal(cmd.action, ADMIN_COMPLETE);
	assert_string_equal(cmd.partial, "vol");
	buf_writer_init(&w);
	names = admin_complete_keywords(&cmd, &w);
	assert_string_equal(text_of(&w), "volumes\nvolume\n");
	assert_int_equal(names, 0);
	buf_writer_free(&w);

	assert_int_equal(admin_parse("\001volume force-unmount Vo", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_COMPLETE);
	assert_int_equal(cmd.complete_for, ADMIN_VOLUME_FORCE_UNMOUNT);
	assert_string_equal(cmd.partial, "Vo");
	buf_writer_init(&w);
	names = admin_complete_keywords(&cmd, &w);
	assert_string_equal(text_of(&w), "");
	assert_int_equal(names, ADMIN_NAMES_VOLUMES);
	buf_writer_free(&w);

	assert_int_equal(admin_parse("\001show volumes health ", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_COMPLETE);
	assert_string_equal(cmd.partial, "");
	buf_writer_init(&w);
	admin_complete_keywords(&cmd, &w);
	assert_string_equal(text_of(&w), "ok\ndegraded\nresyncing\nfailed\n");
	buf_writer_free(&w);

	assert_int_equal(admin_parse("\001volume create V single se", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_int_equal(cmd.complete_for, ADMIN_VOLUME_CREATE);
	buf_writer_init(&w);
	assert_int_equal(admin_complete_keywords(&cmd, &w),
	    ADMIN_NAMES_REGIONS);
	buf_writer_free(&w);
	assert_int_equal(admin_parse("\001show audit 1", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_string_equal(cmd.partial, "1");
	buf_writer_init(&w);
	assert_int_equal(admin_complete_keywords(&cmd, &w),
	    ADMIN_NAMES_AUDIT_COUNTS);
	buf_writer_free(&w);
	/* A pattern with '?' is still a pattern. */
	assert_int_equal(admin_parse("show volumes name Vol-?", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_int_equal(cmd.action, ADMIN_SHOW_VOLUMES);
}

static void
test_help(void **state)
{
	static const char *const lines[] = {
		"show servers [name PATTERN]",
		"show regions [server SERVER] [name PATTERN]",
		"show volumes [server SERVER] [borrower SERVER] [form FORM] "
		    "[health STATE] [name PATTERN]", "show audit N",
		"volume create NAME single SERVER:REGION",
		"volume create NAME concat SERVER:REGION SERVER:REGION "
		    "[SERVER:REGION...]",
		"volume create NAME mirror SERVER:REGION SERVER:REGION "
		    "[SERVER:REGION...]",
		"volume split SERVER:REGION NAME:SIZE [NAME:SIZE...]",
		"show volume NAME", "show volumes NAME",
		"volume delete NAME", "volume force-unmount NAME",
		"volume force-release NAME", "show store", "store copy", "help",
	};
	struct admin_command	cmd;
	struct buf_writer	w;
	const char		*text;
	char			err[256];
	size_t			i;

	(void)state;
	assert_int_equal(admin_parse("help", &cmd, err, sizeof(err)), DSP_OK);
	buf_writer_init(&w);
	admin_help(&cmd, &w);
	text = text_of(&w);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (strstr(text, lines[i]) == NULL)
			fail_msg("help lacks '%s':\n%s", lines[i], text);
	buf_writer_free(&w);

	/* One command's usage, keywords shortened as anywhere. */
	assert_int_equal(admin_parse("help vol cre", &cmd, err, sizeof(err)),
	    DSP_OK);
	assert_int_equal(cmd.action, ADMIN_HELP);
	buf_writer_init(&w);
	admin_help(&cmd, &w);
	text = text_of(&w);
	assert_non_null(strstr(text, "volume create NAME single SERVER:REGION"));
	assert_non_null(strstr(text, "volume create NAME mirror"));
	assert_null(strstr(text, "volume delete"));
	assert_null(strstr(text, "show"));
	buf_writer_free(&w);
	assert_int_not_equal(admin_parse("help frobnicate", &cmd, err,
	    sizeof(err)), DSP_OK);
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_filters),
		cmocka_unit_test(test_long_pattern),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
