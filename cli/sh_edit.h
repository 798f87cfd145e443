/*
 * daspool-sh's interactive line reader: libedit with emacs keys, the
 * arrows, and a history kept across sessions in a file. Ctrl-C drops
 * the line being typed; Ctrl-D on an empty line ends the session.
 */
#ifndef DASPOOL_SH_EDIT_H
#define DASPOOL_SH_EDIT_H

struct sh_edit;

/*
 * What may follow the words given, as the manager's "?" answers it: a
 * malloc'd text of lines "WORD  help" (NULL when it cannot be asked).
 * '?' prints those that fit the word being typed and gives the line
 * back; TAB completes a keyword, or lists the candidates.
 */
typedef char	*(*sh_edit_choices_fn)(void *arg, const char *words);

/* NULL when out of memory. file: the history's, or NULL for none. */
struct sh_edit	*sh_edit_open(const char *progname, const char *prompt,
		    const char *file, int history_size,
		    sh_edit_choices_fn choices, void *arg);
/* The next line, without its newline; NULL at the end of the session.
 * A line dropped by Ctrl-C comes back as "". */
const char	*sh_edit_line(struct sh_edit *);
/* Remembers a line run, in memory and in the history file. */
void		 sh_edit_remember(struct sh_edit *, const char *line);
void		 sh_edit_close(struct sh_edit *);

#endif
