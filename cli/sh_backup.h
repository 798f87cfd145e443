/*
 * daspool-sh's "backup ..." commands: the tape backup's own program,
 * daspool-backup, run on the appliance with its config
 * (DASPOOL_BACKUP_CONF, default /etc/daspool/daspool-backup.conf).
 * status, list and tapes are for every role; run, verify, restore,
 * label, forget and scan need the admin role, as the manager's
 * "show whoami" says.
 */
#ifndef DASPOOL_SH_BACKUP_H
#define DASPOOL_SH_BACKUP_H

#include "sh_live.h"

/* 1 when line is a backup command (run; its exit status in *rc), 0 if
 * not. */
int	sh_backup(const char *line, sh_live_ask_fn, void *arg, int *rc);

#endif
