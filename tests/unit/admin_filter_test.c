/*
 * The filters of the listings: each alone and together, against
 * volume, region and server records; and the summary line, plain and
 * filtered, with counts of zero left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "admin.h"
#include "proto.h"
#include "store.h"

static struct volume_record
volume(const char *name, int form, const char *borrower,
    const char *server1, const char *server2)
{
	struct volume_record	v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	snprintf(v.borrower, sizeof(v.borrower), "%s", borrower);
	v.form = (uint8_t)form;
	v.extent_count = server2 != NULL ? 2 : 1;
	snprintf(v.extents[0].server, sizeof(v.extents[0].server), "%s",
	    server1);
	if (server2 != NULL)
		snprintf(v.extents[1].server, sizeof(v.extents[1].server), "%s",
		    server2);
	return v;
}

static void
test_volume_filters(void **state)
{
	struct volume_record	m = volume("Vol-3", DSP_FORM_MIRROR, "serverJ",
				    "serverD", "serverE");
	struct admin_filter	f;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_true(admin_filter_volume(&f, &m, DSP_HEALTH_OK));

	f.given = ADMIN_FILTER_SERVER;
	snprintf(f.server, sizeof(f.server), "serverE");
	assert_true(admin_filter_volume(&f, &m, DSP_HEALTH_OK));
	snprintf(f.server, sizeof(f.server), "serverX");
	assert_false(admin_filter_volume(&f, &m, DSP_HEALTH_OK));

	memset(&f, 0, sizeof(f));
	f.given = ADMIN_FILTER_BORROWER;
	snprintf(f.borrower, sizeof(f.borrower), "serverJ");
	assert_true(admin_filter_volume(&f, &m, DSP_HEALTH_OK));
	snprintf(f.borrower, sizeof(f.borrower), "serverK");
	assert_false(admin_filter_volume(&f, &m, DSP_HEALTH_OK));

	memset(&f, 0, sizeof(f));
	f.given = ADMIN_FILTER_FORM;
	f.form = DSP_FORM_MIRROR;
	assert_true(admin_filter_volume(&f, &m, DSP_HEALTH_OK));
	f.form = DSP_FORM_SPLIT;
	assert_false(admin_filter_volume(&f, &m, DSP_HEALTH_OK));

	/* Health ok is 0: given, it must still be ok. */
	memset(&f, 0, sizeof(f));
	f.given = ADMIN_FILTER_HEALTH;
	f.health = DSP_HEALTH_OK;
	assert_true(admin_filter_volume(&f, &m, DSP_HEALTH_OK));
	assert_false(admin_filter_volume(&f, &m, DSP_HEALTH_DEGRADED));

	memset(&f, 0, sizeof(f));
	f.given = ADMIN_FILTER_NAME;
	snprintf(f.pattern, sizeof(f.pattern), "Vol-[1-3]");
	assert_true(admin_filter_volume(&f, &m, DSP_HEALTH_OK));
	snprintf(f.pattern, sizeof(f.pattern), "vol-*");
	assert_false(admin_filter_volume(&f, &m, DSP_HEALTH_OK));
}

/* Every filter given must hold. */
static void
test_volume_filters_together(void **state)
{
	struct volume_record	p = volume("P-1", DSP_FORM_SPLIT, "",
				    "serverX", NULL);
	struct admin_filter	f;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.given = ADMIN_FILTER_SERVER | ADMIN_FILTER_FORM | ADMIN_FILTER_NAME;
	snprintf(f.server, sizeof(f.server), "serverX");
	f.form = DSP_FORM_SPLIT;
	snprintf(f.pattern, sizeof(f.pattern), "P-*");
	assert_true(admin_filter_volume(&f, &p, DSP_HEALTH_FAILED));
	f.given |= ADMIN_FILTER_BORROWER;
	snprintf(f.borrower, sizeof(f.borrower), "serverJ");
	assert_false(admin_filter_volume(&f, &p, DSP_HEALTH_FAILED));
}

static void
test_region_server_filters(void **state)
{
	struct region_record	r;
	struct server_record	s;
	struct admin_filter	f;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.server, sizeof(r.server), "serverB");
	snprintf(r.name, sizeof(r.name), "B2");
	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "serverB");
	memset(&f, 0, sizeof(f));
	assert_true(admin_filter_region(&f, &r));
	assert_true(admin_filter_server(&f, &s));
	f.given = ADMIN_FILTER_SERVER | ADMIN_FILTER_NAME;
	snprintf(f.server, sizeof(f.server), "serverB");
	snprintf(f.pattern, sizeof(f.pattern), "B?");
	assert_true(admin_filter_region(&f, &r));
	snprintf(f.server, sizeof(f.server), "serverA");
	assert_false(admin_filter_region(&f, &r));
	f.given = ADMIN_FILTER_NAME;
	snprintf(f.pattern, sizeof(f.pattern), "*B");
	assert_true(admin_filter_server(&f, &s));
	snprintf(f.pattern, sizeof(f.pattern), "*A");
	assert_false(admin_filter_server(&f, &s));
}

static void
test_summary(void **state)
{
	struct admin_tally	t;
	char			line[256];

	(void)state;
	memset(&t, 0, sizeof(t));
	t.total = t.matched = 16384;
	t.counts[0] = 12;
	t.counts[1] = 3;
	t.counts[2] = 1;
	admin_summary(ADMIN_LIST_VOLUMES, &t, 0, line, sizeof(line));
	assert_string_equal(line, "16384 volumes, 12 lent, 3 mounted, "
	    "1 degraded");
	t.matched = 4;
	t.counts[0] = 2;
	t.counts[1] = t.counts[2] = 0;
	t.counts[4] = 1;
	admin_summary(ADMIN_LIST_VOLUMES, &t, 1, line, sizeof(line));
	assert_string_equal(line, "4 of 16384 volumes match: 2 lent, 1 held");
	memset(&t, 0, sizeof(t));
	t.total = 1;
	admin_summary(ADMIN_LIST_VOLUMES, &t, 1, line, sizeof(line));
	assert_string_equal(line, "0 of 1 volume match");
	t.matched = 1;
	t.counts[3] = 1;
	admin_summary(ADMIN_LIST_VOLUMES, &t, 1, line, sizeof(line));
	assert_string_equal(line, "1 of 1 volume matches: 1 failed");
	memset(&t, 0, sizeof(t));
	admin_summary(ADMIN_LIST_SERVERS, &t, 0, line, sizeof(line));
	assert_string_equal(line, "0 servers");
	t.total = t.matched = 3;
	t.counts[0] = 1;
	t.counts[1] = 1;
	t.counts[2] = 1;
	admin_summary(ADMIN_LIST_SERVERS, &t, 0, line, sizeof(line));
	assert_string_equal(line, "3 servers, 1 up, 1 down, 1 retired");
	memset(&t, 0, sizeof(t));
	t.total = 7;
	t.matched = 3;
	t.counts[0] = 2;
	t.counts[1] = 3;
	t.counts[2] = 1;
	admin_summary(ADMIN_LIST_REGIONS, &t, 1, line, sizeof(line));
	assert_string_equal(line, "3 of 7 regions match: 2 available, 3 used, "
	    "1 unavailable");
	/* Bounded by the caller's buffer. */
	admin_summary(ADMIN_LIST_REGIONS, &t, 1, line, 12);
	assert_string_equal(line, "3 of 7 regi");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volume_filters),
		cmocka_unit_test(test_volume_filters_together),
		cmocka_unit_test(test_region_server_filters),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
