/*
 * Backup schedules (schedule.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schedule.h"

static const char *const schedule_days[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

static int
schedule_time(const char *s, struct schedule *sc)
{
	int	n = 0;

	if (sscanf(s, "%2d:%2d%n", &sc->hour, &sc->minute, &n) != 2 ||
	    s[n] != '\0' || n != 5 || sc->hour < 0 || sc->hour > 23 ||
	    sc->minute < 0 || sc->minute > 59)
		return -1;
	return 0;
}

int
schedule_parse(const char *s, struct schedule *sc, char *err, size_t errlen)
{
	char	day[8];
	int	i;

	memset(sc, 0, sizeof(*sc));
	sc->weekday = -1;
	if (strncmp(s, "daily ", 6) == 0 && schedule_time(s + 6, sc) == 0)
		return 0;
	if (strncmp(s, "weekly ", 7) == 0 && sscanf(s + 7, "%3s", day) == 1 &&
	    s[10] == ' ' && schedule_time(s + 11, sc) == 0)
		for (i = 0; i < 7; i++)
			if (strcasecmp(day, schedule_days[i]) == 0) {
				sc->weekday = i;
				return 0;
			}
	snprintf(err, errlen, "schedule '%s': use \"daily HH:MM\" or "
	    "\"weekly DAY HH:MM\" (DAY: mon tue wed thu fri sat sun)", s);
	return -1;
}

time_t
schedule_next(const struct schedule *sc, time_t t)
{
	struct tm	tm;
	time_t		next;
	int		i;

	/* Day by day from t's: mktime does the months, the years and the
	 * clock changes. */
	for (i = 0; i <= 8; i++) {
		localtime_r(&t, &tm);
		tm.tm_mday += i;
		tm.tm_hour = sc->hour;
		tm.tm_min = sc->minute;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		if ((next = mktime(&tm)) == (time_t)-1)
			continue;
		if (next > t && (sc->weekday < 0 || tm.tm_wday == sc->weekday))
			return next;
	}
	return t + 7 * 24 * 3600;
}

int
schedule_due(const struct schedule *sc, time_t last, time_t now)
{
	return last == 0 || schedule_next(sc, last) <= now;
}

void
schedule_format(const struct schedule *sc, char *out, size_t len)
{
	if (sc->weekday < 0)
		snprintf(out, len, "daily %02d:%02d", sc->hour, sc->minute);
	else
		snprintf(out, len, "weekly %s %02d:%02d",
		    schedule_days[sc->weekday], sc->hour, sc->minute);
}
