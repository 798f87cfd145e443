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
	sh_edit_ask_fn	 ask;
	void		*arg;
};

/* The words before the cursor, split at the last blank: the finished
 * words (with their blank) and the word being typed. */
struct sh_edit_at {
	char	words[4096];
	char	partial[256];
};

static int
sh_edit_split(EditLine *el, struct sh_edit_at *at)
{
	const LineInfo	*li = el_line(el);
	size_t		 len = (size_t)(li->cursor - li->buffer), cut;

	if (len >= sizeof(at->words))
		return -1;
	memcpy(at->words, li->buffer, len);
	at->words[len] = '\0';
	for (cut = len; cut > 0 && at->words[cut - 1] != ' '; cut--)
		;
	if (len - cut >= sizeof(at->partial))
		return -1;
	memcpy(at->partial, at->words + cut, len - cut + 1);
	at->words[cut] = '\0';
	return 0;
}

/* The next line of a reply, and its length without the newline. */
static const char *
sh_edit_next(const char *line, size_t *len)
{
	*len = strcspn(line, "\n");
	return line[*len] == '\n' ? line + *len + 1 : line + *len;
}

/* Asks what the word being typed may become (ADMIN_COMPLETE_MARK). */
static char *
sh_edit_candidates(struct sh_edit *e, const struct sh_edit_at *at)
{
	char	line[sizeof(at->words) + sizeof(at->partial) + 4];

	snprintf(line, sizeof(line), "\001%s%s", at->words, at->partial);
	return e->ask(e->arg, line);
}

/* The terminal's columns (80 when it does not say). */
static size_t
sh_edit_width(EditLine *el)
{
	int	cols = 0;

	if (el_get(el, EL_GETTC, "co", &cols, NULL) != 0 || cols < 20)
		cols = 80;
	return (size_t)cols;
}

/* A line of "?" is "WORD   help": where its help starts, or NULL. */
static const char *
sh_edit_help_of(const char *line, size_t len, size_t *word)
{
	const char	*gap = memmem(line, len, "  ", 2);

	if (gap == NULL)
		return NULL;
	*word = (size_t)(gap - line);
	return gap + strspn(gap, " ");
}

/* One line of "?": its word, then its help from column at, folded at
 * the terminal's edge onto lines indented as far. */
static void
sh_edit_print_help(const char *line, size_t len, size_t at, size_t width)
{
	const char	*help;
	size_t		 word, col, room;

	if ((help = sh_edit_help_of(line, len, &word)) == NULL) {
		printf("  %.*s\n", (int)len, line);
		return;
	}
	printf("  %-*.*s", (int)(at - 2), (int)word, line);
	col = word + 2 > at ? word + 2 : at;
	len -= (size_t)(help - line);
	while (len > 0) {
		word = strcspn(help, " ");
		word = word < len ? word : len;
		room = col > at ? 1 : 0;
		if (col + room + word > width && col > at) {
			printf("\n%*s", (int)at, "");
			col = at;
			room = 0;
		}
		printf("%s%.*s", room ? " " : "", (int)word, help);
		col += room + word;
		help += word;
		len -= word;
		while (len > 0 && *help == ' ') {
			help++;
			len--;
		}
	}
	putchar('\n');
}

/* The reply of "?": the help of every line in one column, just past
 * the longest word (kept to half the terminal). */
static void
sh_edit_print_helps(const char *text, size_t width)
{
	const char	*line, *next;
	size_t		 len, word, at = 0;

	for (line = text; *line != '\0'; line = next) {
		next = sh_edit_next(line, &len);
		if (sh_edit_help_of(line, len, &word) != NULL && word > at)
			at = word;
	}
	at += 2 + 3;
	if (at > width / 2)
		at = width / 2;
	for (line = text; *line != '\0'; line = next) {
		next = sh_edit_next(line, &len);
		sh_edit_print_help(line, len, at, width);
	}
}

static unsigned char
sh_edit_help(EditLine *el, int ch)
{
	struct sh_edit		*e;
	struct sh_edit_at	 at;
	char			*text, ask[sizeof(at.words) + 2];

	(void)ch;
	el_get(el, EL_CLIENTDATA, &e);
	if (sh_edit_split(el, &at) == -1)
		return CC_ERROR;
	if (at.partial[0] == '\0') {
		snprintf(ask, sizeof(ask), "%s?", at.words);
		text = e->ask(e->arg, ask);
	} else
		text = sh_edit_candidates(e, &at);
	if (text == NULL)
		return CC_ERROR;
	fputs("?\n", stdout);
	sh_edit_print_helps(text, sh_edit_width(el));
	if (text[0] == '\0')
		printf("%% nothing may follow that starts with '%s'\n",
		    at.partial);
	free(text);
	return CC_REDISPLAY;
}

/* Candidates in as many columns as the widest leaves room for; a line
 * in parentheses (there are more) on its own. */
static void
sh_edit_columns(const char *text, size_t width)
{
	const char	*line, *next;
	size_t		 len, widest = 1, per_row, i = 0;

	for (line = text; *line != '\0'; line = next) {
		next = sh_edit_next(line, &len);
		if (line[0] != '(' && len > widest)
			widest = len;
	}
	per_row = width / (widest + 2) > 0 ? width / (widest + 2) : 1;
	fputc('\n', stdout);
	for (line = text; *line != '\0'; line = next) {
		next = sh_edit_next(line, &len);
		if (line[0] == '(') {
			printf("%.*s\n", (int)len, line);
			continue;
		}
		if (++i % per_row == 0 || next[0] == '\0' || next[0] == '(')
			printf("%.*s\n", (int)len, line);
		else
			printf("%-*.*s", (int)(widest + 2), (int)len, line);
	}
}

static unsigned char
sh_edit_complete(EditLine *el, int ch)
{
	struct sh_edit		*e;
	struct sh_edit_at	 at;
	const char		*line, *next, *first = NULL;
	char			*text, add[256];
	size_t			 len, plen, common = 0, count = 0, i;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &e);
	if (sh_edit_split(el, &at) == -1 ||
	    (text = sh_edit_candidates(e, &at)) == NULL)
		return CC_ERROR;
	plen = strlen(at.partial);
	/* The candidates, and what they share past the partial word. */
	for (line = text; *line != '\0'; line = next) {
		next = sh_edit_next(line, &len);
		if (line[0] == '(' || len < plen)
			continue;
		if (count++ == 0) {
			first = line;
			common = len;
			continue;
		}
		for (i = plen; i < common && i < len && first[i] == line[i];
		    i++)
			;
		common = i;
	}
	if (count == 0) {
		free(text);
		return CC_ERROR;
	}
	if (common > plen || count == 1) {
		len = common - plen < sizeof(add) - 2 ? common - plen :
		    sizeof(add) - 2;
		memcpy(add, first + plen, len);
		/* A whole word: the next one may start; not after a
		 * server's "NAME:", whose region comes next. */
		if (count == 1 && (common == 0 || first[common - 1] != ':'))
			add[len++] = ' ';
		add[len] = '\0';
		el_insertstr(el, add);
		free(text);
		return CC_REFRESH;
	}
	/* Several, nothing more in common: list them in columns. */
	sh_edit_columns(text, sh_edit_width(el));
	free(text);
	return CC_REDISPLAY;
}

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
    int history_size, sh_edit_ask_fn ask, void *arg)
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
	/* The wide call keeps the names as given: the narrow one copies
	 * them and never frees the copies. */
	el_wset(e->el, EL_ADDFN, L"sh-abandon", L"drop the line",
	    sh_edit_abandon);
	el_set(e->el, EL_BIND, "^C", "sh-abandon", NULL);
	e->ask = ask;
	e->arg = arg;
	el_wset(e->el, EL_ADDFN, L"sh-help", L"what may follow", sh_edit_help);
	el_set(e->el, EL_BIND, "?", "sh-help", NULL);
	el_wset(e->el, EL_ADDFN, L"sh-complete", L"complete a keyword",
	    sh_edit_complete);
	el_set(e->el, EL_BIND, "^I", "sh-complete", NULL);
	return e;
}

const char *
sh_edit_line(struct sh_edit *e)
{
	const char	*got;
	int		 count;
	size_t		 n;

	e->abandoned = 0;
	/* The terminal in editing mode before the prompt shows, not after
	 * it: a key typed at once (Ctrl-C, Ctrl-D) is read as a key, not
	 * taken by the terminal for a signal or an end of file. */
	el_set(e->el, EL_PREP_TERM, 1);
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
