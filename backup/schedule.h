/*
 * When backups run: "daily HH:MM", or "weekly DAY HH:MM" (DAY: mon ...
 * sun), in the appliance's local time. A run missed while the
 * appliance was off is due as soon as it starts.
 */
#ifndef DASPOOL_BACKUP_SCHEDULE_H
#define DASPOOL_BACKUP_SCHEDULE_H

#include <stddef.h>
#include <time.h>

struct schedule {
	int	weekday;	/* 0 sunday .. 6, or -1: every day */
	int	hour, minute;
};

/* 0, or -1 with the reason in err. */
int	schedule_parse(const char *, struct schedule *, char *err,
	    size_t errlen);
/* The first scheduled time strictly after t. */
time_t	schedule_next(const struct schedule *, time_t t);
/* Whether a scheduled time fell in (last, now]: a run is due. A last
 * run of 0 (never) is due at once. */
int	schedule_due(const struct schedule *, time_t last, time_t now);
/* "daily 02:00" back from the parsed form. */
void	schedule_format(const struct schedule *, char *out, size_t len);

#endif
