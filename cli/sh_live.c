/*
 * Live views of daspool-sh (sh_live.h).
 */
#include <sys/select.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sh_live.h"

#define LIVE_AUDIT_ROWS		50
#define LIVE_FIRST_ROWS		10
#define LIVE_WATCH_MAX		3600

/* 1 if a key is pressed within ms (the key is taken), 0 if not. */
static int
live_key_within(int ms)
{
	struct termios	old, raw;
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };
	fd_set		fds;
	char		c;
	int		got;

	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return 1;
	raw = old;
	raw.c_lflag &= ~(ICANON | ECHO | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	FD_ZERO(&fds);
	FD_SET(STDIN_FILENO, &fds);
	got = select(STDIN_FILENO + 1, &fds, NULL, NULL, &tv) > 0;
	if (got && read(STDIN_FILENO, &c, 1) != 1)
		got = 1;
	tcsetattr(STDIN_FILENO, TCSANOW, &old);
	return got;
}

/* The rows of "show audit" after the header, in place: how many. */
static size_t
live_rows(char *text, char **rows, size_t max)
{
	char	*line, *save = NULL;
	size_t	 n = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "time ", 5) == 0)
			continue;
		if (n == max) {
			memmove(rows, rows + 1, (max - 1) * sizeof(*rows));
			n--;
		}
		rows[n++] = line;
	}
	return n;
}

static void
live_events(sh_live_ask_fn ask, void *arg)
{
	char	*text, *rows[LIVE_AUDIT_ROWS], *last = NULL;
	size_t	 n, from, i;
	char	 query[32];

	printf("following the audit trail, asked every second; any key "
	    "stops\n");
	snprintf(query, sizeof(query), "show audit %d", LIVE_AUDIT_ROWS);
	do {
		if ((text = ask(arg, query)) == NULL)
			break;
		n = live_rows(text, rows, LIVE_AUDIT_ROWS);
		from = n > LIVE_FIRST_ROWS ? n - LIVE_FIRST_ROWS : 0;
		/* After the last row told, if it is still in sight. */
		if (last != NULL)
			for (from = 0, i = n; i > 0; i--)
				if (strcmp(rows[i - 1], last) == 0) {
					from = i;
					break;
				}
		for (i = from; i < n; i++)
			printf("%s\n", rows[i]);
		fflush(stdout);
		if (n > 0) {
			free(last);
			last = strdup(rows[n - 1]);
		}
		free(text);
	} while (!live_key_within(1000));
	free(last);
}

/* "COMMAND | watch [N]": the command and N, or 0 when not one. */
static int
live_watch_split(const char *line, char *command, size_t len)
{
	const char	*bar = strrchr(line, '|'), *w;
	char		*end;
	long		 n = 2;

	if (bar == NULL)
		return 0;
	w = bar + 1 + strspn(bar + 1, " ");
	if (strncmp(w, "watch", 5) != 0 || (w[5] != '\0' && w[5] != ' '))
		return 0;
	w += 5 + strspn(w + 5, " ");
	if (*w != '\0') {
		n = strtol(w, &end, 10);
		if (*end != '\0' || n < 1 || n > LIVE_WATCH_MAX)
			return -1;
	}
	snprintf(command, len, "%.*s", (int)(bar - line), line);
	return (int)n;
}

int
sh_live(const char *line, sh_live_ask_fn ask, sh_live_run_fn run, void *arg)
{
	char	command[4096];
	int	every;

	if (strcmp(line, "show events") == 0) {
		live_events(ask, arg);
		return 1;
	}
	if ((every = live_watch_split(line, command, sizeof(command))) == 0)
		return 0;
	if (every < 0) {
		fprintf(stderr, "daspool-sh: watch takes seconds, 1 to %d\n",
		    LIVE_WATCH_MAX);
		return 1;
	}
	do {
		/* Home and clear, then the command's output afresh. */
		fputs("\033[H\033[2J", stdout);
		printf("every %d s: %s  (any key stops)\n\n", every, command);
		if (run(arg, command) != 0)
			break;
	} while (!live_key_within(every * 1000));
	return 1;
}
