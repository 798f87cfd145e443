/*
 * daspool-sh's interactive line reader: libedit with emacs keys, the
 * arrows, and a history kept across sessions in a file. Ctrl-C drops
 * the line being typed; Ctrl-D on an empty line ends the session.
 */
#ifndef DASPOOL_SH_EDIT_H
#define DASPOOL_SH_EDIT_H

struct sh_edit;

/*
 * Asks the manager a line and gives its reply as a malloc'd text (NULL
 * when it cannot be asked). '?' asks "WORDS ?" (what may follow, a help
 * line each) or, in a word, what that word may become (a line starting
 * with byte 1, admin.h's ADMIN_COMPLETE_MARK) and prints the answer,
 * then gives the line back; TAB asks the latter and completes, or
 * lists.
 */
typedef char	*(*sh_edit_ask_fn)(void *arg, const char *line);

/* NULL when out of memory. file: the history's, or NULL for none. */
struct sh_edit	*sh_edit_open(const char *progname, const char *prompt,
		    const char *file, int history_size, sh_edit_ask_fn ask,
		    void *arg);
/* The next line, without its newline; NULL at the end of the session.
 * A line dropped by Ctrl-C comes back as "". */
const char	*sh_edit_line(struct sh_edit *);
/* Remembers a line run, in memory and in the history file. */
void		 sh_edit_remember(struct sh_edit *, const char *line);
void		 sh_edit_close(struct sh_edit *);

#endif
