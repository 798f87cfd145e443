/*
 * Output filters and the pager of daspool-sh (sh_out.h).
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sh_out.h"

static char *
sh_out_trim(char *s)
{
	size_t	n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static int
sh_out_filter(struct sh_out *o, char *spec, char *err, size_t errlen)
{
	char	*word;

	spec = sh_out_trim(spec);
	if (o->nfilters == SH_OUT_FILTERS_MAX) {
		snprintf(err, errlen, "at most %d filters after '|'",
		    SH_OUT_FILTERS_MAX);
		return -1;
	}
	word = spec + strcspn(spec, " \t");
	if (*word != '\0')
		*word++ = '\0';
	word = sh_out_trim(word);
	if (strcmp(spec, "count") == 0 && *word == '\0')
		o->filters[o->nfilters].kind = 'c';
	else if ((strcmp(spec, "include") == 0 ||
	    strcmp(spec, "exclude") == 0) && *word != '\0' &&
	    strlen(word) < sizeof(o->filters[0].word)) {
		o->filters[o->nfilters].kind = spec[0];
		snprintf(o->filters[o->nfilters].word,
		    sizeof(o->filters[0].word), "%s", word);
	} else {
		snprintf(err, errlen, "after '|' use include WORD, exclude "
		    "WORD or count, not '%s%s%s'", spec, *word ? " " : "",
		    word);
		return -1;
	}
	o->nfilters++;
	return 0;
}

int
sh_out_begin(struct sh_out *o, char *line, char *err, size_t errlen)
{
	char	*bar, *next;

	o->nfilters = 0;
	o->plen = 0;
	o->lines = o->counted = 0;
	o->last_summary = 0;
	o->shown = 0;
	o->quit = 0;
	if ((bar = strchr(line, '|')) == NULL)
		return 0;
	*bar++ = '\0';
	for (; bar != NULL; bar = next) {
		if ((next = strchr(bar, '|')) != NULL)
			*next++ = '\0';
		if (sh_out_filter(o, bar, err, errlen) == -1)
			return -1;
	}
	sh_out_trim(line);
	return 0;
}

/* A key at --More--: ' ' a page, Enter a line, q the end. */
static int
sh_out_key(struct sh_out *o)
{
	struct termios	old, raw;
	char		c = 'q';

	if (tcgetattr(o->tty_fd, &old) == -1)
		return 'q';
	raw = old;
	/* Ctrl-C is a key here too: it ends the listing, not the shell. */
	raw.c_lflag &= ~(ICANON | ECHO | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(o->tty_fd, TCSANOW, &raw);
	if (read(o->tty_fd, &c, 1) != 1)
		c = 'q';
	tcsetattr(o->tty_fd, TCSANOW, &old);
	return c;
}

static void
sh_out_show(struct sh_out *o, const char *line)
{
	int	key;

	if (o->quit)
		return;
	if (o->page > 0 && o->shown >= o->page - 1) {
		fputs("--More--", o->to);
		fflush(o->to);
		key = sh_out_key(o);
		/* Wipe the prompt. */
		fputs("\r        \r", o->to);
		if (key == 'q' || key == 'Q' || key == 3) {
			o->quit = 1;
			return;
		}
		o->shown = key == '\r' || key == '\n' ? o->page - 2 : 0;
	}
	/* Wider than the terminal: the end goes (the names come first,
	 * the note last), and a '>' says so. */
	if (o->width > 1 && strlen(line) > (size_t)o->width)
		fprintf(o->to, "%.*s>\n", o->width - 1, line);
	else {
		fputs(line, o->to);
		fputc('\n', o->to);
	}
	o->shown++;
}

/* The line of counts that ends a listing ("32 volumes, 3 lent", "2 of
 * 9 servers match: 2 up"): a number, maybe "of" another, then a word. */
static int
sh_out_is_summary(const char *line)
{
	const char	*p = line;

	if (*p < '0' || *p > '9')
		return 0;
	p += strspn(p, "0123456789");
	if (strncmp(p, " of ", 4) == 0) {
		p += 4;
		if (*p < '0' || *p > '9')
			return 0;
		p += strspn(p, "0123456789");
	}
	if (*p++ != ' ' || *p < 'a' || *p > 'z')
		return 0;
	p += strspn(p, "abcdefghijklmnopqrstuvwxyz");
	if (strncmp(p, " match", 6) == 0)
		p += strspn(p + 6, "es") + 6;
	return *p == '\0' || *p == ',' || *p == ':';
}

/* One whole line: the first (the header) always passes the filters. */
static void
sh_out_line(struct sh_out *o, const char *line)
{
	size_t	i;
	int	pass = 1, counting = 0;

	if (o->lines++ > 0)
		for (i = 0; i < o->nfilters && pass; i++) {
			if (o->filters[i].kind == 'c')
				counting = 1;
			else
				pass = (strstr(line, o->filters[i].word) !=
				    NULL) == (o->filters[i].kind == 'i');
		}
	else
		for (i = 0; i < o->nfilters; i++)
			counting |= o->filters[i].kind == 'c';
	if (!pass)
		return;
	if (counting) {
		/* Rows are counted: not the header, nor the listing's
		 * summary, known as the last line when it looks like one. */
		if (o->lines > 1) {
			o->counted++;
			o->last_summary = sh_out_is_summary(line);
		}
		return;
	}
	sh_out_show(o, line);
}

void
sh_out_text(struct sh_out *o, const char *text)
{
	const char	*nl;
	size_t		 n, room;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		n = nl != NULL ? (size_t)(nl - text) : strlen(text);
		room = sizeof(o->partial) - 1 - o->plen;
		if (n > room) {
			/* A line longer than the buffer goes out in two. */
			memcpy(o->partial + o->plen, text, room);
			o->partial[o->plen + room] = '\0';
			sh_out_line(o, o->partial);
			o->plen = 0;
			text += room;
			continue;
		}
		memcpy(o->partial + o->plen, text, n);
		o->plen += n;
		text += n;
		if (nl == NULL)
			break;
		o->partial[o->plen] = '\0';
		sh_out_line(o, o->partial);
		o->plen = 0;
		text++;
	}
	fflush(o->to);
}

void
sh_out_end(struct sh_out *o, int whole)
{
	size_t	i;

	if (o->plen > 0 && !o->quit) {
		o->partial[o->plen] = '\0';
		sh_out_line(o, o->partial);
		o->plen = 0;
	}
	for (i = 0; i < o->nfilters && whole; i++)
		if (o->filters[i].kind == 'c') {
			fprintf(o->to, "%zu\n", o->counted - o->last_summary);
			break;
		}
	fflush(o->to);
}
