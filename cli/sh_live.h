/*
 * daspool-sh's live views, at a terminal, until a key is pressed:
 * "show events" follows the audit trail (new rows as they come, asked
 * every second), and "COMMAND | watch [N]" runs a show command again
 * every N seconds (2 by default) on a cleared screen.
 */
#ifndef DASPOOL_SH_LIVE_H
#define DASPOOL_SH_LIVE_H

/* Asks the manager a line: its reply, malloc'd, or NULL (said). */
typedef char	*(*sh_live_ask_fn)(void *arg, const char *line);
/* Runs a line as typed: 0, or 1 when it failed. */
typedef int	 (*sh_live_run_fn)(void *arg, const char *line);

/* 1 when line was a live view (and ran until a key), 0 if not. */
int	sh_live(const char *line, sh_live_ask_fn, sh_live_run_fn, void *arg);

#endif
