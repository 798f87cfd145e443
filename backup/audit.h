/*
 * The backup's rows in the manager's audit trail (BACKUP_AUDIT): each
 * run, copy, verify and restore, so `show audit` and the NOC's traps
 * see them. A row that cannot be written is logged, never a reason to
 * fail the work it tells of.
 */
#ifndef DASPOOL_BACKUP_AUDIT_H
#define DASPOOL_BACKUP_AUDIT_H

#include "daspool.h"

#define BACKUP_AUDIT_TEXT_MAX	127	/* as the manager keeps it */

/*
 * One row: event as daspool_backup_audit takes it, volume (NULL: none),
 * the text cut to fit (with "..."), and " (by NAME)" when the admin
 * shell said who asked (DASPOOL_BACKUP_BY). client NULL: nothing.
 */
void	backup_audit(struct daspool_client *, const char *event,
	    const char *volume, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif
