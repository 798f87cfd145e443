/*
 * daspool-sh's "backup ..." commands: the tape backup's own program,
 * daspool-backup, run on the appliance with its config
 * (DASPOOL_BACKUP_CONF, default /etc/daspool/daspool-backup.conf).
 * status, list and tapes are for every role; run, verify, restore,
 * label, forget and scan need the admin role, as the manager's
 * "show whoami" says. What the program prints comes back through the
 * shell's show function, so "| include" and the rest apply to it.
 */
#ifndef DASPOOL_SH_BACKUP_H
#define DASPOOL_SH_BACKUP_H

#include "sh_live.h"

/* Text to show, any number of lines or part of one. */
typedef void	(*sh_backup_show_fn)(void *arg, const char *text);

/* 1 when line is a backup command, with *listing 1 for one that only
 * reads (status, list, tapes: quick, and may wait at a pager) and 0
 * for one that works (a run must not stall behind --More--); 0 if not
 * a backup command. */
int	sh_backup_is(const char *line, int *listing);
/* 1 when line is a backup command (run; its exit status in *rc), 0 if
 * not. */
int	sh_backup(const char *line, sh_live_ask_fn, sh_backup_show_fn,
	    void *arg, int *rc);

#endif
