/*
 * The interactive line reader of daspool-sh (sh_edit.h), on libedit.
 */
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh_edit.h"

struct sh_edit {
	EditLine	*el;
	History		*hist;
	char		*prompt;
	char		*history;	/* its file, or NULL */
	char		*line;		/* the last one read */
	size_t		 cap;
	int		 abandoned;	/* by Ctrl-C */
};

/* Ctrl-C, read as a key while a line is edited: the line is ended
 * and then dropped. */
static unsigned char
sh_edit_abandon(EditLine *el, int ch)
{
	struct sh_edit	*e;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &e);
	e->abandoned = 1;
	return CC_NEWLINE;
}

static char *
sh_edit_prompt(EditLine *el)
{
	struct sh_edit	*e;

	el_get(el, EL_CLIENTDATA, &e);
	return e->prompt;
}

struct sh_edit *
sh_edit_open(const char *progname, const char *prompt, const char *file,
    int history_size)
{
	struct sh_edit		*e;
	HistEvent		 ev;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->prompt = strdup(prompt)) == NULL ||
	    (file != NULL && (e->history = strdup(file)) == NULL) ||
	    (e->hist = history_init()) == NULL ||
	    (e->el = el_init(progname, stdin, stdout, stderr)) == NULL) {
		sh_edit_close(e);
		return NULL;
	}
	history(e->hist, &ev, H_SETSIZE, history_size);
	history(e->hist, &ev, H_SETUNIQUE, 1);
	if (e->history != NULL)
		history(e->hist, &ev, H_LOAD, e->history);
	el_set(e->el, EL_CLIENTDATA, e);
	el_set(e->el, EL_PROMPT, sh_edit_prompt);
	el_set(e->el, EL_EDITOR, "emacs");
	el_set(e->el, EL_HIST, history, e->hist);
	/* While a line is edited, Ctrl-C is a key that drops it, not a
	 * signal that ends the shell. */
	el_set(e->el, EL_SETTY, "-d", "-isig", NULL);
	el_set(e->el, EL_ADDFN, "sh-abandon", "drop the line", sh_edit_abandon);
	el_set(e->el, EL_BIND, "^C", "sh-abandon", NULL);
	return e;
}

const char *
sh_edit_line(struct sh_edit *e)
{
	const char	*got;
	int		 count;
	size_t		 n;

	e->abandoned = 0;
	got = el_gets(e->el, &count);
	if (got == NULL || count <= 0)
		return NULL;
	if (e->abandoned) {
		fputs("^C\n", stdout);
		return "";
	}
	n = strlen(got);
	if (n + 1 > e->cap) {
		free(e->line);
		e->cap = n + 1;
		if ((e->line = malloc(e->cap)) == NULL) {
			e->cap = 0;
			return NULL;
		}
	}
	memcpy(e->line, got, n + 1);
	while (n > 0 && (e->line[n - 1] == '\n' || e->line[n - 1] == '\r'))
		e->line[--n] = '\0';
	return e->line;
}

void
sh_edit_remember(struct sh_edit *e, const char *line)
{
	HistEvent	ev;

	history(e->hist, &ev, H_ENTER, line);
	if (e->history != NULL)
		history(e->hist, &ev, H_SAVE, e->history);
}

void
sh_edit_close(struct sh_edit *e)
{
	if (e == NULL)
		return;
	if (e->el != NULL)
		el_end(e->el);
	if (e->hist != NULL)
		history_end(e->hist);
	free(e->prompt);
	free(e->history);
	free(e->line);
	free(e);
}
