/*
 * Backup schedules: the forms accepted and refused, the next run of a
 * daily and a weekly schedule across a month's and a year's end, and
 * whether a run is due after the appliance was off (in UTC, and across
 * a daylight saving change in Europe/Berlin).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "schedule.h"

/* Seconds of a UTC (or local, with the TZ set) date. */
static time_t
at(int y, int mo, int d, int h, int mi)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void
test_parse(void **state)
{
	struct schedule	sc;
	char		err[256], back[32];

	(void)state;
	assert_int_equal(schedule_parse("daily 02:00", &sc, err, sizeof(err)),
	    0);
	assert_int_equal(sc.weekday, -1);
	schedule_format(&sc, back, sizeof(back));
	assert_string_equal(back, "daily 02:00");
	assert_int_equal(schedule_parse("weekly Sun 23:59", &sc, err,
	    sizeof(err)), 0);
	assert_int_equal(sc.weekday, 0);
	schedule_format(&sc, back, sizeof(back));
	assert_string_equal(back, "weekly sun 23:59");
	assert_int_equal(schedule_parse("daily 24:00", &sc, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "\"daily HH:MM\""));
	assert_int_equal(schedule_parse("daily 2:00", &sc, err, sizeof(err)),
	    -1);
	assert_int_equal(schedule_parse("weekly xyz 02:00", &sc, err,
	    sizeof(err)), -1);
	assert_int_equal(schedule_parse("hourly", &sc, err, sizeof(err)), -1);
	assert_int_equal(schedule_parse("daily 02:00 ", &sc, err, sizeof(err)),
	    -1);
}

static void
test_next_and_due(void **state)
{
	struct schedule	daily, weekly;
	char		err[256];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	schedule_parse("daily 02:00", &daily, err, sizeof(err));
	schedule_parse("weekly mon 03:30", &weekly, err, sizeof(err));
	/* 2026-12-31 is a Thursday. */
	assert_int_equal(schedule_next(&daily, at(2026, 12, 31, 1, 0)),
	    at(2026, 12, 31, 2, 0));
	assert_int_equal(schedule_next(&daily, at(2026, 12, 31, 2, 0)),
	    at(2027, 1, 1, 2, 0));
	assert_int_equal(schedule_next(&weekly, at(2026, 12, 31, 12, 0)),
	    at(2027, 1, 4, 3, 30));
	assert_int_equal(schedule_next(&weekly, at(2027, 1, 4, 3, 30)),
	    at(2027, 1, 11, 3, 30));
	/* Off from before 02:00 to after it: due; ran at 02:00 today and
	 * it is 23:00: not due. Never ran: due. */
	assert_true(schedule_due(&daily, at(2026, 12, 1, 1, 0),
	    at(2026, 12, 2, 9, 0)));
	assert_false(schedule_due(&daily, at(2026, 12, 2, 2, 0),
	    at(2026, 12, 2, 23, 0)));
	assert_true(schedule_due(&daily, 0, at(2026, 12, 2, 23, 0)));
	/* The clock goes forward on 2027-03-28 in Berlin: 02:00 does not
	 * exist that night; the run is not lost. */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	assert_true(schedule_next(&daily, at(2027, 3, 27, 12, 0)) <=
	    at(2027, 3, 28, 4, 0));
	assert_true(schedule_next(&daily, at(2027, 3, 27, 12, 0)) >
	    at(2027, 3, 27, 12, 0));
	setenv("TZ", "UTC", 1);
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_next_and_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
