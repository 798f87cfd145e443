/*
 * What daspool-sh does with the lines a command prints: the filters
 * after "|" (include WORD, exclude WORD, count), and the pager of a
 * person's terminal (a "--More--" line every page; space: a page,
 * Enter: a line, q: the rest is dropped).
 */
#ifndef DASPOOL_SH_OUT_H
#define DASPOOL_SH_OUT_H

#include <stddef.h>
#include <stdio.h>

#define SH_OUT_FILTERS_MAX	8

struct sh_out {
	FILE		*to;
	int		 page;		/* lines a page, 0: no pager */
	int		 width;		/* columns, 0: lines as they are */
	int		 tty_fd;	/* where --More-- reads keys */
	/* the filters of this command */
	size_t		 nfilters;
	struct {
		char	 kind;		/* 'i', 'e', 'c' */
		char	 word[128];
	} filters[SH_OUT_FILTERS_MAX];
	/* this command's state */
	char		 partial[8192];	/* a line not yet ended */
	size_t		 plen;
	size_t		 lines;		/* seen */
	size_t		 counted;	/* by "| count" */
	size_t		 last_summary;	/* the last counted: a summary */
	int		 shown;		/* on this page */
	int		 quit;		/* q at --More-- */
};

/* Splits "COMMAND | include WORD | count" in place: the command is
 * line itself; 0, or -1 with a sentence in err. */
int	sh_out_begin(struct sh_out *, char *line, char *err, size_t errlen);
/* Text of the reply as it comes, any number of lines or part of one. */
void	sh_out_text(struct sh_out *, const char *text);
/* The end of the reply: the last line, and the count when the reply
 * was whole (not refused, nor cut short by Ctrl-C). */
void	sh_out_end(struct sh_out *, int whole);

#endif
