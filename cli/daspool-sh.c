/*
 * daspool-sh: the admin's shell. Sends each command line to the manager
 * (ADMIN request) over the local admin socket, or over TLS with an
 * admin certificate, and prints the text that comes back, part by part
 * as it arrives: a long listing shows its first lines at once.
 *
 * Exit status: 0 all commands succeeded, 1 a command was refused,
 * 2 usage or connection error.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "channel.h"
#include "msg.h"
#include "net.h"
#include "proto.h"
#include "sh_edit.h"
#include "sh_backup.h"
#include "sh_live.h"
#include "sh_out.h"
#include "text.h"
#include "tls.h"

#define SH_PROGNAME		"daspool-sh"
#define SH_DEFAULT_SOCKET	"/run/daspool/admin.sock"
#define SH_SOCKET_ENV		"DASPOOL_ADMIN_SOCKET"
#define SH_CONNECT_MS		10000
#define SH_REPLY_MS		120000
#define SH_HISTORY_FILE		".daspool_history"
#define SH_HISTORY_SIZE		1000
#define SH_HISTORY_ENV		"DASPOOL_HISTSIZE"	/* 0: none kept */

struct sh_opts {
	const char	*socket;
	const char	*command;
	const char	*manager;
	const char	*manager_name;
	const char	*ca;
	const char	*cert;
	const char	*key;
	const char	*crl;
};

struct sh {
	struct channel		*ch;
	struct tls_config	*tls;
	char			*text;		/* DSP_TEXT_MAX + 1 */
	char			*shown;		/* the text escaped */
	int			 open_line;	/* the last part ended mid-line */
	size_t			 parts;		/* of the reply so far */
	struct buf_writer	*capture;	/* the reply kept, not shown */
	struct sh_out		 out;		/* filters and the pager */
	int			 use_out;	/* this command goes through it */
	int			 page;		/* terminal length, 0: none */
	size_t			 dropped;	/* parts not shown after ^C */
};

/* Ctrl-C while a command runs: the rest of its output is not shown. */
static volatile sig_atomic_t sh_interrupted;

enum { OPT_MANAGER = 1, OPT_MANAGER_NAME, OPT_CA, OPT_CERT, OPT_KEY, OPT_CRL,
    OPT_HELP };

static void __attribute__((noreturn))
usage(int full)
{
	FILE	*f = full ? stdout : stderr;

	fprintf(f,
	    "usage: %s [-s socket] [-c command]\n"
	    "       %s --manager host:port --ca file --cert file --key file "
	    "[--crl file]\n"
	    "                  [-c command]\n", SH_PROGNAME, SH_PROGNAME);
	if (full)
		fprintf(f,
		    "\n"
		    "Runs admin commands on the daspool manager: one with -c, "
		    "else one per\nline read from standard input. \"help\" "
		    "lists the commands.\n\n"
		    "  -s socket           the manager's admin socket (default "
		    "%s,\n"
		    "                      or $%s)\n"
		    "  -c command          run one command and exit\n"
		    "  --manager host:port reach the manager over TLS instead\n"
		    "  --manager-name CN   the CN its certificate must have "
		    "(default\n"
		    "                      \"manager\")\n"
		    "  --ca file           the pool CA certificate\n"
		    "  --cert file         an admin certificate (role admin)\n"
		    "  --key file          its key\n"
		    "  --crl file          the pool's CRL: refuse a revoked "
		    "manager\n"
		    "  --help              this text\n\n"
		    "At a terminal: line editing, TAB completion, \"?\" for "
		    "what may follow;\nthe history is kept in ~/%s: "
		    "$%s lines (default %d, 0: none).\n\n"
		    "Exit status: 0 success, 1 a command failed, 2 usage or "
		    "connection error.\n", SH_DEFAULT_SOCKET, SH_SOCKET_ENV,
		    SH_HISTORY_FILE, SH_HISTORY_ENV, SH_HISTORY_SIZE);
	exit(full ? 0 : 2);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
sh_die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", SH_PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
sh_parse(int argc, char **argv, struct sh_opts *o)
{
	static const struct option longopts[] = {
		{ "manager", required_argument, NULL, OPT_MANAGER },
		{ "manager-name", required_argument, NULL, OPT_MANAGER_NAME },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "crl", required_argument, NULL, OPT_CRL },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "c:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->command = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case OPT_MANAGER:
			o->manager = optarg;
			break;
		case OPT_MANAGER_NAME:
			o->manager_name = optarg;
			break;
		case OPT_CA:
			o->ca = optarg;
			break;
		case OPT_CERT:
			o->cert = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_CRL:
			o->crl = optarg;
			break;
		case OPT_HELP:
			usage(1);
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	if (o->manager != NULL && o->socket != NULL)
		sh_die("give either -s or --manager, not both");
	if (o->manager != NULL &&
	    (o->ca == NULL || o->cert == NULL || o->key == NULL))
		sh_die("--manager needs --ca, --cert and --key");
	if (o->manager == NULL && (o->ca || o->cert || o->key || o->crl ||
	    o->manager_name))
		sh_die("--ca, --cert, --key, --crl and --manager-name go with "
		    "--manager");
	if (o->manager_name == NULL)
		o->manager_name = "manager";
	if (o->socket == NULL && (o->socket = getenv(SH_SOCKET_ENV)) == NULL)
		o->socket = SH_DEFAULT_SOCKET;
}

static void
sh_connect_tls(struct sh *sh, const struct sh_opts *o)
{
	const struct tls_peer	 manager = { DSP_ROLE_MANAGER,
				    o->manager_name };
	struct tls_paths	 paths;
	struct tls_conn		*t;
	char			 host[256], err[512], *colon, *end;
	unsigned long		 port;

	snprintf(host, sizeof(host), "%s", o->manager);
	if ((colon = strrchr(host, ':')) == NULL || colon == host)
		sh_die("--manager %s: expected host:port", o->manager);
	*colon = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port == 0 ||
	    port > 65535)
		sh_die("--manager %s: bad port", o->manager);
	memset(&paths, 0, sizeof(paths));
	paths.ca_file = o->ca;
	paths.cert_file = o->cert;
	paths.key_file = o->key;
	paths.crl_file = o->crl;
	if ((sh->tls = tls_config_new(TLS_SIDE_CLIENT, &paths, err,
	    sizeof(err))) == NULL)
		sh_die("%s", err);
	if ((t = tls_connect(sh->tls, host, (uint16_t)port, &manager,
	    SH_CONNECT_MS, err, sizeof(err))) == NULL)
		sh_die("cannot %s the manager at %s: %s", errno == EACCES ?
		    "talk to" : "reach", o->manager, err);
	if ((sh->ch = channel_from_tls(t)) == NULL)
		sh_die("out of memory");
}

static void
sh_connect(struct sh *sh, const struct sh_opts *o)
{
	char	err[512];
	int	fd;

	if (o->manager != NULL)
		sh_connect_tls(sh, o);
	else {
		if ((fd = net_connect_unix(o->socket, err, sizeof(err))) == -1)
			sh_die("%s%s", err, errno == ENOENT ||
			    errno == ECONNREFUSED ? " (is daspool-mgr running?)" :
			    "");
		if ((sh->ch = channel_from_fd(fd)) == NULL)
			sh_die("out of memory");
	}
	channel_set_timeout(sh->ch, SH_REPLY_MS);
}

/* Text of a command's output; only printable text reaches the
 * admin's terminal. */
static void
sh_show(struct sh *sh, const char *text)
{
	size_t	n;

	if (sh_interrupted) {
		sh->dropped++;
		return;
	}
	n = text_safe_lines(sh->shown, TEXT_ESCAPED_SIZE(DSP_TEXT_MAX), text);
	if (sh->use_out)
		sh_out_text(&sh->out, sh->shown);
	else
		fputs(sh->shown, stdout);
	if (n > 0)
		sh->open_line = sh->shown[n - 1] != '\n';
	sh->parts++;
	fflush(stdout);
}

static void
sh_show_text(void *arg, const char *text)
{
	sh_show(arg, text);
}

/* One part of the manager's reply. */
static int
sh_print_part(const uint8_t *payload, size_t len, void *arg)
{
	struct sh	*sh = arg;

	if (msg_decode_text(payload, len, sh->text) != DSP_OK)
		return -1;
	if (sh->capture != NULL)
		buf_put_bytes(sh->capture, sh->text, strlen(sh->text));
	else
		sh_show(sh, sh->text);
	return 0;
}

/* The filters after '|' taken off command (in place), and the output
 * made ready; 0, or -1 when a filter is wrong (said). */
static int
sh_output_begin(struct sh *sh, char *command)
{
	char	err[1024];

	if (sh_out_begin(&sh->out, command, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", SH_PROGNAME, err);
		return -1;
	}
	sh->use_out = sh->out.nfilters > 0 || sh->page > 0 ||
	    sh->out.width > 0;
	sh->out.page = sh->page;
	sh->open_line = 0;
	sh->parts = 0;
	sh->dropped = 0;
	sh_interrupted = 0;
	return 0;
}

/* The end of a command's output: the last line, the count when whole. */
static void
sh_output_end(struct sh *sh, int whole)
{
	if (sh->use_out) {
		/* A listing cut or refused ends where it stopped: no
		 * count of part of it. */
		if (sh->dropped == 0)
			sh_out_end(&sh->out, whole);
		sh->open_line = 0;
	}
	if (sh->open_line)
		fputc('\n', stdout);
	if (sh->dropped > 0)
		printf("^C (the rest of the output was not shown; the command "
		    "itself ran)\n");
	fflush(stdout);
}

/* A command for the manager: 0 done, 1 refused; a lost connection
 * exits 2. */
static int
sh_run(struct sh *sh, const char *command)
{
	struct buf_writer	 w;
	char			 err[1024];
	int			 rc;

	buf_writer_init(&w);
	msg_encode_text(&w, command);
	rc = channel_call_parts(sh->ch, DSP_OP_ADMIN, &w, sh_print_part, sh,
	    err, sizeof(err));
	buf_writer_free(&w);
	sh_output_end(sh, rc == DSP_OK);
	if (rc == -1)
		sh_die("manager: %s%s", err, sh->parts > 0 ?
		    " (the output above is incomplete)" : "");
	if (rc != DSP_OK) {
		fprintf(stderr, "%s: %s%s\n", SH_PROGNAME, err, sh->parts > 0 ?
		    " (the output above is incomplete)" : "");
		return 1;
	}
	return 0;
}

static char	*sh_ask(void *, const char *);

/* A command line, filters and all: the shell's own "backup ..." (a
 * run, a verify or a restore never waits at the pager), else the
 * manager's. 0 done, 1 failed. */
static int
sh_command(struct sh *sh, const char *line)
{
	char	command[8192];
	int	rc, listing;

	snprintf(command, sizeof(command), "%s", line);
	if (sh_output_begin(sh, command) == -1)
		return 1;
	if (!sh_backup_is(command, &listing))
		return sh_run(sh, command);
	if (!listing)
		sh->out.page = 0;
	sh_backup(command, sh_ask, sh_show_text, sh, &rc);
	/* Ctrl-C stops the program itself, as sh_backup says: not "the
	 * command itself ran". */
	if (rc != 0)
		sh->dropped = 0;
	sh_output_end(sh, rc == 0);
	return rc != 0;
}

/* Leading and trailing blanks off; NULL for a blank or comment line. */
static char *
sh_trim(char *line)
{
	size_t	n;

	line += strspn(line, " \t");
	n = strlen(line);
	while (n > 0 && strchr(" \t\r\n", line[n - 1]) != NULL)
		line[--n] = '\0';
	if (n == 0 || line[0] == '#')
		return NULL;
	return line;
}

/* A command line to run: 1; 0 to skip it; -1 to leave. */
static int
sh_take(char *buf, char **line)
{
	if ((*line = sh_trim(buf)) == NULL)
		return 0;
	if (strcmp(*line, "quit") == 0 || strcmp(*line, "exit") == 0)
		return -1;
	return 1;
}

/* Piped input and scripts: one command per line until EOF, "quit" or
 * "exit". */
static int
sh_loop_plain(struct sh *sh)
{
	char	*buf = NULL, *line;
	size_t	 cap = 0;
	int	 failed = 0, rc;

	while (getline(&buf, &cap, stdin) != -1) {
		if ((rc = sh_take(buf, &line)) == -1)
			break;
		if (rc == 1 && sh_command(sh, line) != 0)
			failed = 1;
	}
	free(buf);
	return failed;
}

/* A line asked for line editing, its reply kept (sh_edit.h). */
static char *
sh_ask(void *arg, const char *line)
{
	struct sh		*sh = arg;
	struct buf_writer	 w, reply;
	char			 err[1024], *text = NULL;
	int			 rc;

	buf_writer_init(&w);
	buf_writer_init(&reply);
	msg_encode_text(&w, line);
	sh->capture = &reply;
	rc = channel_call_parts(sh->ch, DSP_OP_ADMIN, &w, sh_print_part, sh,
	    err, sizeof(err));
	sh->capture = NULL;
	buf_put_u8(&reply, 0);
	if (rc == DSP_OK && !reply.error)
		text = strdup((const char *)reply.data);
	if (rc == -1)
		sh_die("manager: %s", err);
	if (rc != DSP_OK)
		fprintf(stderr, "%s: %s\n", SH_PROGNAME, err);
	buf_writer_free(&w);
	buf_writer_free(&reply);
	return text;
}

/* The prompt: the appliance's name, then '#' for an admin and '>'
 * for a monitor, as the manager says ("show whoami"). A shell the
 * manager will not serve does not start. */
static void
sh_prompt(struct sh *sh, char *out, size_t len)
{
	char	host[256], *who;
	int	monitor;

	if ((who = sh_ask(sh, "show whoami")) == NULL)
		exit(2);
	monitor = strstr(who, "role monitor") != NULL;
	free(who);
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "appliance");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	snprintf(out, len, "daspool@%s%c ", host, monitor ? '>' : '#');
}

static int
sh_run_line(void *arg, const char *line)
{
	return sh_command(arg, line);
}

/* The terminal's size, for the pager and the cut of wide lines
 * (24 x 80 when it does not say). */
static void
sh_size(int *rows, int *cols)
{
	struct winsize	ws;

	*rows = 24;
	*cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		if (ws.ws_row > 1)
			*rows = ws.ws_row;
		if (ws.ws_col > 1)
			*cols = ws.ws_col;
	}
}

/* "terminal length N" (0: no pager) is the shell's own: 1 if line was
 * it, 0 if not. */
static int
sh_terminal(struct sh *sh, const char *line)
{
	char	*end;
	long	 n;

	if (strncmp(line, "terminal length", 15) != 0)
		return 0;
	n = strtol(line + 15, &end, 10);
	if (end == line + 15 || *end != '\0' || n < 0 || n > 512 ||
	    n == 1) {
		fprintf(stderr, "%s: terminal length takes 0 (no pager) or "
		    "2 to 512 lines\n", SH_PROGNAME);
		return 1;
	}
	sh->page = (int)n;
	return 1;
}

/* Lines of history kept, from $DASPOOL_HISTSIZE (0: none, no file). */
static int
sh_history_size(void)
{
	const char	*v = getenv(SH_HISTORY_ENV);
	char		*end;
	long		 n;

	if (v == NULL || *v == '\0')
		return SH_HISTORY_SIZE;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 0 || n > 100000) {
		fprintf(stderr, "%s: %s=%s is not 0 to 100000 lines; keeping "
		    "%d\n", SH_PROGNAME, SH_HISTORY_ENV, v, SH_HISTORY_SIZE);
		return SH_HISTORY_SIZE;
	}
	return (int)n;
}

static void
sh_on_interrupt(int sig)
{
	(void)sig;
	sh_interrupted = 1;
}

/* At a person's terminal Ctrl-C cuts a command's output short and the
 * shell stays; Ctrl-Z and Ctrl-\ do nothing, for a shell reached by
 * SSH or a serial console has no job control to come back to. */
static void
sh_signals_interactive(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sh_on_interrupt;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTSTP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/* A person at a terminal: line editing and history. */
static int
sh_loop_edit(struct sh *sh)
{
	struct sh_edit	*e;
	const char	*got, *home = getenv("HOME");
	char		 prompt[300], history[PATH_MAX], *buf, *line;
	int		 failed = 0, rc, size;

	sh_signals_interactive();
	sh_prompt(sh, prompt, sizeof(prompt));
	size = sh_history_size();
	if (size == 0)
		home = NULL;
	sh_size(&sh->page, &sh->out.width);
	sh->out.tty_fd = STDIN_FILENO;
	if (home != NULL && home[0] != '\0')
		snprintf(history, sizeof(history), "%s/%s", home,
		    SH_HISTORY_FILE);
	if ((e = sh_edit_open(SH_PROGNAME, prompt, home != NULL &&
	    home[0] != '\0' ? history : NULL, size, sh_ask, sh)) == NULL)
		sh_die("cannot start line editing: out of memory");
	while ((got = sh_edit_line(e)) != NULL) {
		if ((buf = strdup(got)) == NULL)
			sh_die("out of memory");
		if ((rc = sh_take(buf, &line)) == 1) {
			sh_edit_remember(e, line);
			if (!sh_terminal(sh, line) &&
			    !sh_live(line, sh_ask, sh_run_line, sh) &&
			    sh_command(sh, line) != 0)
				failed = 1;
		}
		free(buf);
		if (rc == -1)
			break;
	}
	fputc('\n', stdout);
	sh_edit_close(e);
	return failed;
}

int
main(int argc, char **argv)
{
	struct sh_opts	o;
	struct sh	sh;
	int		rc;

	sh_parse(argc, argv, &o);
	memset(&sh, 0, sizeof(sh));
	sh.out.to = stdout;
	if ((sh.text = malloc(DSP_TEXT_MAX + 1)) == NULL ||
	    (sh.shown = malloc(TEXT_ESCAPED_SIZE(DSP_TEXT_MAX))) == NULL)
		sh_die("out of memory");
	sh_connect(&sh, &o);
	if (o.command != NULL)
		rc = sh_command(&sh, o.command);
	else if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		rc = sh_loop_edit(&sh);
	else
		rc = sh_loop_plain(&sh);
	channel_close(sh.ch);
	tls_config_free(sh.tls);
	free(sh.text);
	free(sh.shown);
	return rc;
}
