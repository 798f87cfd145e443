/*
 * daspool: the borrower's command. Borrows volumes from the manager and
 * reads and writes them straight on the lending agents, via libdaspool.
 *
 * Exit status: 0 done, 1 refused or failed, 2 usage error.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daspool.h"
#include "daspool_conf.h"
#include "fdio.h"
#include "log.h"
#include "nbd_attach.h"
#include "nbd_listen.h"
#include "nbd_volume.h"
#include "size.h"
#include "tls.h"
#include "text.h"

#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define CLI_IO_BUF	(16U * 1024 * 1024)	/* per library call */
#define CLI_MAX_MATCHES	100
#define CLI_MSG_MAX	4096	/* an error message, escaped */

/* Settings from the command line; they override the config file. */
struct cli_flags {
	const char	*config;
	const char	*manager;
	const char	*ca;
	const char	*cert;
	const char	*key;
	const char	*crl;
	const char	*state_dir;
	const char	*ciphers;
	const char	*timeout;
	int		 verbose;
};

struct cli {
	struct cli_flags	 flags;
	struct daspool_conf	 conf;
	struct daspool_client	*client;
	struct daspool_volume	*volume;	/* closed before the client */
	const char		*cmd;
};

struct cli_command {
	const char	*name;
	int		(*run)(struct cli *, int, char **);
	const char	*args;
	const char	*help;
	const char	*detail;	/* more, in the command's own help */
};

struct cli_progress {
	const char	*what;
	int		 tty;
	int		 last;	/* last percentage shown */
};

static int	cmd_allocate(struct cli *, int, char **);
static int	cmd_mount(struct cli *, int, char **);
static int	cmd_read(struct cli *, int, char **);
static int	cmd_write(struct cli *, int, char **);
static int	cmd_search(struct cli *, int, char **);
static int	cmd_erase(struct cli *, int, char **);
static int	cmd_init(struct cli *, int, char **);
static int	cmd_resync(struct cli *, int, char **);
static int	cmd_unmount(struct cli *, int, char **);
static int	cmd_release(struct cli *, int, char **);
static int	cmd_status(struct cli *, int, char **);
static int	cmd_nbd(struct cli *, int, char **);
static int	cmd_attach(struct cli *, int, char **);
static int	cmd_detach(struct cli *, int, char **);
static int	cmd_help(struct cli *, int, char **);

static const struct cli_command cli_commands[] = {
	{ "allocate", cmd_allocate, "[VOLUME] [--min-size SIZE]",
	    "borrow VOLUME, or any free volume (of at least SIZE)", NULL },
	{ "mount", cmd_mount, "VOLUME",
	    "mount a borrowed volume and print its mount info", NULL },
	{ "read", cmd_read, "VOLUME [--offset N] [--length N] [--output FILE]",
	    "read bytes of the volume (to stdout by default)", NULL },
	{ "write", cmd_write, "VOLUME [--offset N] [--input FILE] [--no-flush]",
	    "write a file (stdin by default) at N and flush it to disk",
	    "Then flushes: waits until every lender of the volume has the "
	    "data on disk\n  (fdatasync), and fails if one cannot. "
	    "--no-flush returns once the lenders\n  have written it to their "
	    "backing files (their page cache): it survives a\n  restart of "
	    "their agents, not a crash of their machines." },
	{ "search", cmd_search,
	    "VOLUME PATTERN [--offset N] [--length N] [--max N]",
	    "print the volume offsets where PATTERN occurs", NULL },
	{ "erase", cmd_erase, "VOLUME --offset N --length N [--progress]",
	    "zero a range of the volume", NULL },
	{ "init", cmd_init, "VOLUME [--progress]",
	    "zero the whole volume", NULL },
	{ "resync", cmd_resync, "VOLUME [--timeout SECONDS]",
	    "bring every leg of a mirror back in sync (600 s at most)", NULL },
	{ "unmount", cmd_unmount, "VOLUME",
	    "unmount the volume and forget its mount info", NULL },
	{ "release", cmd_release, "VOLUME",
	    "give an unmounted volume back to the pool", NULL },
	{ "status", cmd_status, "",
	    "list the volumes mounted here", NULL },
	{ "nbd", cmd_nbd,
	    "VOLUME [--socket PATH | --listen [ADDR:]PORT] [--tls] "
	    "[--workers N]",
	    "serve a mounted volume as an NBD export until stopped",
	    "On a Unix socket (default /run/daspool/nbd-VOLUME.sock), or on "
	    "TCP on a\n  loopback address. Prints \"volume VOLUME exported at "
	    "URI\" once it listens;\n  SIGTERM, SIGINT or SIGHUP stops it after "
	    "answering every request read. Exit\n  status 1 when the volume's "
	    "mount ends under it (unmounted, forced off).\n  TLS "
	    "(NBD_OPT_STARTTLS) uses this borrower's certificate and wants a "
	    "borrower\n  certificate of the pool from the client; --tls "
	    "requires it, as does an\n  address off this host. --workers: the "
	    "requests of one connection carried\n  out at once, each on "
	    "connections of its own to the lenders (default 4)." },
	{ "attach", cmd_attach,
	    "VOLUME [--mountpoint DIR] [--socket PATH] [--foreground]",
	    "borrow, mount and export VOLUME, and give it to this machine as "
	    "a disk",
	    "A daemon (pid in /run/daspool/nbd-VOLUME.pid, logs to syslog) "
	    "exports the\n  volume. With --mountpoint nbdfuse serves it as "
	    "the file DIR/VOLUME;\n  without, nbd-client connects /dev/nbdN "
	    "where the kernel has nbd devices,\n  else the URI to reach it is "
	    "printed. --foreground: no daemon, logs to\n  stderr." },
	{ "detach", cmd_detach, "VOLUME [--socket PATH]",
	    "undo attach: flush, disconnect, unmount, release",
	    "Refused while the device or file is mounted or used by a loop "
	    "device." },
	{ "help", cmd_help, "[COMMAND]",
	    "show this help, or a command's", NULL },
};

#define NCOMMANDS	(sizeof(cli_commands) / sizeof(cli_commands[0]))

static void __attribute__((noreturn))
cli_usage(FILE *fp, int status)
{
	size_t	i;

	fprintf(fp,
	    "usage: daspool [-f CONFIG] [--manager HOST[:PORT]] [--ca FILE "
	    "--cert FILE --key FILE]\n"
	    "               [--crl FILE] [--state-dir DIR] [--ciphers NAME] "
	    "[--timeout SECONDS]\n"
	    "               [-v] COMMAND [ARGS]\n\n"
	    "Sizes and offsets take units: 4096, 64K, 512M, 1.5G (powers of "
	    "1024).\nDefault config: %s\n\ncommands:\n", DASPOOL_CONF_PATH);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-9s %s\n", cli_commands[i].name,
		    cli_commands[i].help);
	fprintf(fp, "\n'daspool COMMAND --help' for a command's "
	    "arguments.\n");
	exit(status);
}

static void
cli_command_usage(const struct cli_command *c, FILE *fp)
{
	fprintf(fp, "usage: daspool %s %s\n  %s\n", c->name, c->args, c->help);
	if (c->detail != NULL)
		fprintf(fp, "  %s\n", c->detail);
}

static const struct cli_command *
cli_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

static void __attribute__((noreturn, format(printf, 2, 3)))
cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	const struct cli_command	*c;
	va_list				 ap;

	fprintf(stderr, "daspool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (cli != NULL && cli->cmd != NULL && (c = cli_find(cli->cmd)) != NULL)
		cli_command_usage(c, stderr);
	exit(EXIT_USAGE);
}

/* The library's messages quote its peers: only printable text is
 * shown. */
static const char *
cli_shown(const char *msg, char *buf, size_t buflen)
{
	text_safe(buf, buflen, msg);
	return buf;
}

/* A library failure: the peer's refusal names its status too. */
static int
cli_fail(int rc, const char *what, const char *msg)
{
	char	shown[CLI_MSG_MAX];

	if (rc > 0)
		fprintf(stderr, "daspool: %s: %s (%s)\n", what,
		    cli_shown(msg, shown, sizeof(shown)),
		    daspool_strerror(rc));
	else
		fprintf(stderr, "daspool: %s: %s\n", what,
		    cli_shown(msg, shown, sizeof(shown)));
	return rc == DASPOOL_ERR_INVALID ? EXIT_USAGE : EXIT_REFUSED;
}

static uint64_t
cli_size_arg(struct cli *cli, const char *flag, const char *s)
{
	uint64_t	v;
	char		why[128];

	if (size_parse(s, &v, why, sizeof(why)) == -1)
		cli_usage_error(cli, "invalid %s '%s': %s", flag, s, why);
	return v;
}

static uint64_t
cli_count_arg(struct cli *cli, const char *flag, const char *s)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v == 0)
		cli_usage_error(cli, "invalid %s '%s': give a positive number",
		    flag, s);
	return v;
}

/* "512M", "200000123B" (exact); plain "0" reads better than "0B". */
static void
cli_size_text(uint64_t n, char *out, size_t outlen)
{
	if (n == 0)
		snprintf(out, outlen, "0");
	else
		size_format(n, out, outlen);
}

/* --- config and client --- */

static void
cli_manager_flag(struct cli *cli, const char *s)
{
	const char	*colon = strrchr(s, ':');
	unsigned long	 port;
	char		*end, *host;

	if (colon == NULL) {
		if (daspool_conf_set(&cli->conf.manager_host, s) == -1)
			fatal("out of memory");
		return;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon == s || colon[1] == '\0' || *end != '\0' || errno != 0 ||
	    port == 0 || port > 65535)
		cli_usage_error(NULL, "invalid --manager '%s': give HOST or "
		    "HOST:PORT", s);
	if ((host = strndup(s, (size_t)(colon - s))) == NULL)
		fatal("out of memory");
	free(cli->conf.manager_host);
	cli->conf.manager_host = host;
	cli->conf.manager_port = (uint16_t)port;
}

/* The config file, then the flags over it. */
static void
cli_load_config(struct cli *cli)
{
	struct cli_flags	*f = &cli->flags;
	const char		*path;
	char			 why[1024];
	unsigned long		 t;
	char			*end;
	int			 rc;

	path = f->config != NULL ? f->config : DASPOOL_CONF_PATH;
	rc = daspool_conf_load(path, &cli->conf, why, sizeof(why));
	if (rc == -1)
		cli_usage_error(NULL, "%s", why);
	if (rc == 1 && f->config != NULL)
		cli_usage_error(NULL, "config file %s does not exist", path);
	if (f->manager != NULL)
		cli_manager_flag(cli, f->manager);
	if ((f->ca && daspool_conf_set(&cli->conf.ca, f->ca) == -1) ||
	    (f->cert && daspool_conf_set(&cli->conf.cert, f->cert) == -1) ||
	    (f->key && daspool_conf_set(&cli->conf.key, f->key) == -1) ||
	    (f->crl && daspool_conf_set(&cli->conf.crl, f->crl) == -1) ||
	    (f->state_dir &&
	    daspool_conf_set(&cli->conf.state_dir, f->state_dir) == -1) ||
	    (f->ciphers &&
	    daspool_conf_set(&cli->conf.ciphers, f->ciphers) == -1))
		fatal("out of memory");
	if (f->timeout != NULL) {
		errno = 0;
		t = strtoul(f->timeout, &end, 10);
		if (*end != '\0' || errno != 0 || t == 0 || t > 3600)
			cli_usage_error(NULL, "invalid --timeout '%s': give 1 "
			    "to 3600 seconds", f->timeout);
		cli->conf.timeout = (int)t;
	}
}

static struct daspool_client *
cli_client(struct cli *cli)
{
	struct daspool_options	o;
	char			shown[CLI_MSG_MAX];
	int			rc;

	if (cli->client != NULL)
		return cli->client;
	daspool_conf_options(&cli->conf, &o);
	if ((rc = daspool_client_open(&o, &cli->client)) != 0) {
		if (cli->client == NULL)
			fatalx("out of memory");
		fprintf(stderr, "daspool: %s\n", cli_shown(
		    daspool_client_error(cli->client), shown, sizeof(shown)));
		exit(rc == DASPOOL_ERR_CONFIG && (o.ca_file == NULL ||
		    o.cert_file == NULL || o.key_file == NULL) ?
		    EXIT_USAGE : EXIT_REFUSED);
	}
	return cli->client;
}

static struct daspool_volume *
cli_volume(struct cli *cli, const char *name)
{
	struct daspool_client	*c = cli_client(cli);
	struct daspool_volume	*v;
	int			 rc;

	if ((rc = daspool_volume_open(c, name, &v)) != 0)
		exit(cli_fail(rc, name, daspool_client_error(c)));
	cli->volume = v;
	return v;
}

/* --- per-command option parsing --- */

enum {
	OPT_OFFSET = 256, OPT_LENGTH, OPT_OUTPUT, OPT_INPUT, OPT_MAX, OPT_TIMEOUT,
	OPT_MIN_SIZE, OPT_PROGRESS, OPT_NO_FLUSH, OPT_SOCKET, OPT_LISTEN,
	OPT_MOUNTPOINT, OPT_FOREGROUND, OPT_TLS, OPT_WORKERS, OPT_HELP
};

struct cli_args {
	const char	*offset;
	const char	*length;
	const char	*output;
	const char	*input;
	const char	*max;
	const char	*timeout;
	const char	*min_size;
	const char	*socket;
	const char	*listen;
	const char	*mountpoint;
	int		 foreground;
	int		 tls;
	const char	*workers;
	int		 progress;
	int		 no_flush;
	int		 npos;
	char		*pos[4];
};

/*
 * Parses a command's flags (any order among its operands); allowed
 * lists the OPT_ values it takes; npos_min/npos_max bound the operands.
 */
static void
cli_parse(struct cli *cli, int argc, char **argv, const int *allowed,
    int npos_min, int npos_max, struct cli_args *a)
{
	static const struct option	 longopts[] = {
		{ "offset",	required_argument,	NULL, OPT_OFFSET },
		{ "length",	required_argument,	NULL, OPT_LENGTH },
		{ "output",	required_argument,	NULL, OPT_OUTPUT },
		{ "input",	required_argument,	NULL, OPT_INPUT },
		{ "max",	required_argument,	NULL, OPT_MAX },
		{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
		{ "min-size",	required_argument,	NULL, OPT_MIN_SIZE },
		{ "progress",	no_argument,		NULL, OPT_PROGRESS },
		{ "no-flush",	no_argument,		NULL, OPT_NO_FLUSH },
		{ "socket",	required_argument,	NULL, OPT_SOCKET },
		{ "listen",	required_argument,	NULL, OPT_LISTEN },
		{ "mountpoint",	required_argument,	NULL, OPT_MOUNTPOINT },
		{ "foreground",	no_argument,		NULL, OPT_FOREGROUND },
		{ "tls",	no_argument,		NULL, OPT_TLS },
		{ "workers",	required_argument,	NULL, OPT_WORKERS },
		{ "help",	no_argument,		NULL, OPT_HELP },
		{ NULL,		0,			NULL, 0 }
	};
	const int	*p;
	int		 ch;

	memset(a, 0, sizeof(*a));
	optind = 0;	/* GNU: start afresh on this argv */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h' || ch == OPT_HELP) {
			cli_command_usage(cli_find(cli->cmd), stdout);
			exit(0);
		}
		for (p = allowed; *p != 0 && *p != ch; p++)
			;
		if (ch == '?' || ch == ':' || *p == 0)
			cli_usage_error(cli, "%s: unknown or incomplete option "
			    "'%s'", cli->cmd, argv[optind - 1]);
		switch (ch) {
		case OPT_OFFSET:	a->offset = optarg; break;
		case OPT_LENGTH:	a->length = optarg; break;
		case OPT_OUTPUT:	a->output = optarg; break;
		case OPT_INPUT:		a->input = optarg; break;
		case OPT_MAX:		a->max = optarg; break;
		case OPT_TIMEOUT:	a->timeout = optarg; break;
		case OPT_MIN_SIZE:	a->min_size = optarg; break;
		case OPT_PROGRESS:	a->progress = 1; break;
		case OPT_NO_FLUSH:	a->no_flush = 1; break;
		case OPT_SOCKET:	a->socket = optarg; break;
		case OPT_LISTEN:	a->listen = optarg; break;
		case OPT_MOUNTPOINT:	a->mountpoint = optarg; break;
		case OPT_FOREGROUND:	a->foreground = 1; break;
		case OPT_TLS:		a->tls = 1; break;
		case OPT_WORKERS:	a->workers = optarg; break;
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == npos_max)
			cli_usage_error(cli, "%s: unexpected argument '%s'",
			    cli->cmd, argv[optind]);
		a->pos[a->npos++] = argv[optind];
	}
	if (a->npos < npos_min)
		cli_usage_error(cli, "%s: missing %s", cli->cmd,
		    a->npos == 0 ? "VOLUME" : "argument");
}

/* --- progress --- */

static void
cli_progress(uint64_t done, uint64_t total, void *arg)
{
	struct cli_progress	*p = arg;
	char			 d[32], t[32];
	int			 pct;

	pct = total ? (int)(done * 100 / total) : 100;
	if (p->tty ? pct == p->last : pct / 10 == p->last / 10)
		return;
	p->last = pct;
	cli_size_text(done, d, sizeof(d));
	cli_size_text(total, t, sizeof(t));
	fprintf(stderr, p->tty ? "\r%s: %3d%% (%s of %s)%s" :
	    "%s: %d%% (%s of %s)%s\n", p->what, pct, d, t,
	    p->tty && done == total ? "\n" : "");
}

static void
cli_progress_setup(struct daspool_volume *v, struct cli_progress *p,
    const char *what, int forced)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->last = -1;
	p->tty = isatty(STDERR_FILENO);
	if (p->tty || forced)
		daspool_volume_set_progress(v, cli_progress, p);
}

/* --- commands --- */

static int
cmd_allocate(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_MIN_SIZE, 0 };
	struct cli_args		 a;
	struct daspool_client	*c;
	char			 name[DASPOOL_NAME_MAX + 1], size[32];
	uint64_t		 min = 0, got;
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 0, 1, &a);
	if (a.min_size != NULL)
		min = cli_size_arg(cli, "--min-size", a.min_size);
	c = cli_client(cli);
	if ((rc = daspool_allocate(c, a.npos ? a.pos[0] : NULL, min, name,
	    &got)) != 0)
		return cli_fail(rc, a.npos ? a.pos[0] : "allocate",
		    daspool_client_error(c));
	cli_size_text(got, size, sizeof(size));
	printf("allocated %s (%s, %" PRIu64 " bytes)\n", name, size, got);
	return 0;
}

static void
cli_print_time(const char *label, uint64_t t)
{
	char		buf[64];
	time_t		tt = (time_t)t, now = time(NULL);
	struct tm	tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, sizeof(buf), "%" PRIu64, t);
	if (tt > now)
		printf("%-11s %s (in %lld s)\n", label, buf,
		    (long long)(tt - now));
	else
		printf("%-11s %s (expired)\n", label, buf);
}

static void
cli_print_mount(const struct daspool_mount *m)
{
	struct daspool_extent	e;
	char			size[32], off[32], len[32];
	int			i;

	cli_size_text(daspool_mount_size(m), size, sizeof(size));
	printf("%-11s %s\n", "volume", daspool_mount_volume(m));
	printf("%-11s %s\n", "form", daspool_mount_form(m));
	printf("%-11s %s (%" PRIu64 " bytes)\n", "size", size,
	    daspool_mount_size(m));
	printf("%-11s %d (%s)\n", "status", daspool_mount_status(m),
	    daspool_mount_status(m) ? "mounted" : "not mounted");
	printf("%-11s %" PRIu64 "\n", "generation",
	    daspool_mount_generation(m));
	cli_print_time("expires", daspool_mount_expires(m));
	printf("%-11s %s (%s)\n", "borrower", daspool_mount_borrower(m),
	    daspool_mount_readonly(m) ? "read-only" : "read-write");
	for (i = 0; daspool_mount_extent(m, i, &e) == 0; i++) {
		cli_size_text(e.offset, off, sizeof(off));
		cli_size_text(e.length, len, sizeof(len));
		printf("extent %-4d lender %s at %s:%u, region %s, offset %s, "
		    "length %s\n", i, e.server, e.host, e.port, e.region,
		    off, len);
	}
}

static int
cmd_mount(struct cli *cli, int argc, char **argv)
{
	static const int		 allowed[] = { 0 };
	const struct daspool_mount	*m;
	struct daspool_client		*c;
	struct cli_args			 a;
	int				 rc;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	c = cli_client(cli);
	if ((rc = daspool_mount(c, a.pos[0], &m)) != 0)
		return cli_fail(rc, a.pos[0], daspool_client_error(c));
	cli_print_mount(m);
	return 0;
}

/* Reads until len bytes or end of file; returns the count or -1. */
static ssize_t
cli_read_full(int fd, uint8_t *buf, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		if ((n = read(fd, buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}


/* Offset and length of a range command, checked against the volume;
 * the length defaults to the rest of the volume. */
static void
cli_range(struct cli *cli, struct daspool_volume *v, const struct cli_args *a,
    uint64_t *offset, uint64_t *length)
{
	uint64_t	size = daspool_volume_size(v);
	char		o[32], l[32], s[32];

	*offset = a->offset ? cli_size_arg(cli, "--offset", a->offset) : 0;
	*length = a->length ? cli_size_arg(cli, "--length", a->length) :
	    (*offset < size ? size - *offset : 0);
	cli_size_text(*offset, o, sizeof(o));
	cli_size_text(*length, l, sizeof(l));
	cli_size_text(size, s, sizeof(s));
	if (*offset > size || (*offset == size && *length > 0)) {
		fprintf(stderr, "daspool: offset %s is past the end of volume "
		    "%s (%s)\n", o, daspool_volume_name(v), s);
		exit(EXIT_USAGE);
	}
	if (*length > size - *offset) {
		fprintf(stderr, "daspool: %s bytes at offset %s run past the "
		    "end of volume %s (%s)\n", l, o, daspool_volume_name(v), s);
		exit(EXIT_USAGE);
	}
}

static int
cmd_read(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_OFFSET, OPT_LENGTH,
				    OPT_OUTPUT, 0 };
	struct daspool_volume	*v;
	struct cli_args		 a;
	uint64_t		 offset, length;
	uint8_t			*buf;
	size_t			 n;
	int			 fd = STDOUT_FILENO, rc = 0;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	if (a.offset != NULL)
		(void)cli_size_arg(cli, "--offset", a.offset);
	if (a.length != NULL)
		(void)cli_size_arg(cli, "--length", a.length);
	v = cli_volume(cli, a.pos[0]);
	cli_range(cli, v, &a, &offset, &length);
	if (a.output != NULL && strcmp(a.output, "-") != 0 &&
	    (fd = open(a.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		fprintf(stderr, "daspool: cannot create %s: %s\n", a.output,
		    strerror(errno));
		return EXIT_REFUSED;
	}
	if ((buf = malloc(CLI_IO_BUF)) == NULL)
		fatal("malloc");
	while (length > 0) {
		n = length < CLI_IO_BUF ? (size_t)length : CLI_IO_BUF;
		if ((rc = daspool_volume_read(v, buf, n, offset)) != 0) {
			rc = cli_fail(rc, a.pos[0], daspool_volume_error(v));
			break;
		}
		if (fdio_write_all(fd, buf, n) == -1) {
			fprintf(stderr, "daspool: cannot write %s: %s\n",
			    a.output ? a.output : "to stdout",
			    strerror(errno));
			rc = EXIT_REFUSED;
			break;
		}
		offset += n;
		length -= n;
	}
	free(buf);
	if (fd != STDOUT_FILENO && close(fd) == -1 && rc == 0) {
		fprintf(stderr, "daspool: cannot write %s: %s\n", a.output,
		    strerror(errno));
		rc = EXIT_REFUSED;
	}
	return rc;
}

/* An acknowledged write is in the lenders' page cache; the flush puts it
 * on their disks. */
static int
cli_flush(struct daspool_volume *v, const char *volume)
{
	char	msg[1200];
	int	rc;

	if ((rc = daspool_volume_flush(v)) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "written, but not flushed to disk: %s",
	    daspool_volume_error(v));
	return cli_fail(rc, volume, msg);
}

/* The input is streamed: it need not fit in memory, nor have a known
 * length; a file whose size is known is checked before the first byte. */
static int
cmd_write(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_OFFSET, OPT_INPUT,
				    OPT_NO_FLUSH, 0 };
	struct daspool_volume	*v;
	struct cli_args		 a;
	struct stat		 st;
	uint64_t		 offset, size;
	uint8_t			*buf;
	ssize_t			 n;
	char			 o[32], s[32], l[32];
	int			 fd = STDIN_FILENO, rc = 0;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	offset = a.offset ? cli_size_arg(cli, "--offset", a.offset) : 0;
	if (a.input != NULL && strcmp(a.input, "-") != 0 &&
	    (fd = open(a.input, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "daspool: cannot open %s: %s\n", a.input,
		    strerror(errno));
		return EXIT_USAGE;
	}
	v = cli_volume(cli, a.pos[0]);
	size = daspool_volume_size(v);
	cli_size_text(offset, o, sizeof(o));
	cli_size_text(size, s, sizeof(s));
	if (offset >= size) {
		fprintf(stderr, "daspool: offset %s is past the end of volume "
		    "%s (%s)\n", o, a.pos[0], s);
		return EXIT_USAGE;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > size - offset) {
		cli_size_text((uint64_t)st.st_size, l, sizeof(l));
		fprintf(stderr, "daspool: %s (%s) at offset %s runs past the "
		    "end of volume %s (%s)\n", a.input ? a.input : "stdin",
		    l, o, a.pos[0], s);
		return EXIT_USAGE;
	}
	if ((buf = malloc(CLI_IO_BUF)) == NULL)
		fatal("malloc");
	for (;;) {
		if ((n = cli_read_full(fd, buf, CLI_IO_BUF)) == -1) {
			fprintf(stderr, "daspool: cannot read %s: %s\n",
			    a.input ? a.input : "stdin", strerror(errno));
			rc = EXIT_REFUSED;
			break;
		}
		if (n == 0)
			break;
		if ((rc = daspool_volume_write(v, buf, (size_t)n,
		    offset)) != 0) {
			rc = cli_fail(rc, a.pos[0], daspool_volume_error(v));
			break;
		}
		offset += (uint64_t)n;
		if ((size_t)n < CLI_IO_BUF)
			break;
	}
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == 0 && !a.no_flush)
		rc = cli_flush(v, a.pos[0]);
	return rc;
}

static int
cmd_search(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_OFFSET, OPT_LENGTH, OPT_MAX,
				    0 };
	struct daspool_volume	*v;
	struct cli_args		 a;
	uint64_t		 offset, length, max = CLI_MAX_MATCHES;
	uint64_t		*found;
	size_t			 count, i, plen;
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 2, 2, &a);
	if (a.max != NULL)
		max = cli_count_arg(cli, "--max", a.max);
	if (max > 1000000)
		cli_usage_error(cli, "invalid --max '%s': at most 1000000",
		    a.max);
	plen = strlen(a.pos[1]);
	if (plen == 0 || plen > DASPOOL_MAX_PATTERN)
		cli_usage_error(cli, "search: PATTERN has 1 to %d bytes",
		    DASPOOL_MAX_PATTERN);
	v = cli_volume(cli, a.pos[0]);
	cli_range(cli, v, &a, &offset, &length);
	if ((found = calloc((size_t)max, sizeof(*found))) == NULL)
		fatal("calloc");
	rc = daspool_volume_search(v, a.pos[1], plen, offset, length,
	    (size_t)max, found, &count);
	if (rc != 0) {
		free(found);
		return cli_fail(rc, a.pos[0], daspool_volume_error(v));
	}
	for (i = 0; i < count; i++)
		printf("%" PRIu64 "\n", found[i]);
	if (count == max)
		fprintf(stderr, "daspool: stopped at %zu matches (--max)\n",
		    count);
	free(found);
	return 0;
}

static int
cmd_erase(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_OFFSET, OPT_LENGTH,
				    OPT_PROGRESS, 0 };
	struct daspool_volume	*v;
	struct cli_progress	 p;
	struct cli_args		 a;
	uint64_t		 offset, length;
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	if (a.offset == NULL || a.length == NULL)
		cli_usage_error(cli, "erase: give --offset and --length");
	(void)cli_size_arg(cli, "--offset", a.offset);
	(void)cli_size_arg(cli, "--length", a.length);
	v = cli_volume(cli, a.pos[0]);
	cli_range(cli, v, &a, &offset, &length);
	cli_progress_setup(v, &p, "erase", a.progress);
	if ((rc = daspool_volume_erase(v, offset, length)) != 0)
		return cli_fail(rc, a.pos[0], daspool_volume_error(v));
	return 0;
}

static int
cmd_init(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_PROGRESS, 0 };
	struct daspool_volume	*v;
	struct cli_progress	 p;
	struct cli_args		 a;
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	v = cli_volume(cli, a.pos[0]);
	cli_progress_setup(v, &p, "init", a.progress);
	if ((rc = daspool_volume_init(v)) != 0)
		return cli_fail(rc, a.pos[0], daspool_volume_error(v));
	if ((rc = daspool_volume_flush(v)) != 0)
		return cli_fail(rc, a.pos[0], daspool_volume_error(v));
	return 0;
}

static int
cmd_resync(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_TIMEOUT, 0 };
	struct daspool_volume	*v;
	struct cli_args		 a;
	uint64_t		 copied;
	long			 limit = 600;
	char			*end;
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	if (a.timeout != NULL) {
		limit = strtol(a.timeout, &end, 10);
		if (*end != '\0' || limit < 1 || limit > 86400)
			cli_usage_error(cli, "resync: --timeout is 1 to 86400 "
			    "seconds");
	}
	v = cli_volume(cli, a.pos[0]);
	if ((rc = daspool_volume_resync(v, (int)limit, &copied)) != 0)
		return cli_fail(rc, a.pos[0], daspool_volume_error(v));
	printf("%s: every leg in sync; %llu chunks copied\n", a.pos[0],
	    (unsigned long long)copied);
	return 0;
}

static int
cmd_unmount(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { 0 };
	struct daspool_client	*c;
	struct cli_args		 a;
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	c = cli_client(cli);
	if ((rc = daspool_unmount(c, a.pos[0])) != 0)
		return cli_fail(rc, a.pos[0], daspool_client_error(c));
	return 0;
}

static int
cmd_release(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { 0 };
	struct daspool_client	*c;
	struct cli_args		 a;
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	c = cli_client(cli);
	if ((rc = daspool_release(c, a.pos[0])) != 0)
		return cli_fail(rc, a.pos[0], daspool_client_error(c));
	return 0;
}

static void
cli_status_line(const struct daspool_mount *m, void *arg)
{
	struct daspool_extent	 e;
	int			*n = arg;
	char			 size[32], when[32];
	time_t			 t = (time_t)daspool_mount_expires(m);
	struct tm		 tm;
	int			 i;

	if ((*n)++ == 0)
		printf("%-16s %-7s %8s %5s %-19s %s\n", "VOLUME", "FORM", "SIZE",
		    "GEN", "TICKET EXPIRES", "EXTENTS (lender:region)");
	cli_size_text(daspool_mount_size(m), size, sizeof(size));
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	printf("%-16s %-7s %8s %5" PRIu64 " %-19s", daspool_mount_volume(m),
	    daspool_mount_form(m), size, daspool_mount_generation(m), when);
	for (i = 0; daspool_mount_extent(m, i, &e) == 0; i++)
		printf(" %s:%s", e.server, e.region);
	printf("\n");
}

static int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { 0 };
	struct daspool_client	*c;
	struct cli_args		 a;
	int			 rc, n = 0;

	cli_parse(cli, argc, argv, allowed, 0, 0, &a);
	c = cli_client(cli);
	if ((rc = daspool_status(c, cli_status_line, &n)) != 0)
		return cli_fail(rc, "status", daspool_client_error(c));
	if (n == 0)
		printf("no volume is mounted here\n");
	return 0;
}

static int
cmd_nbd(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_SOCKET, OPT_LISTEN, OPT_TLS,
				    OPT_WORKERS, 0 };
	struct nbd_listen_opts	 o;
	struct daspool_options	 d;
	struct tls_paths	 tls;
	struct cli_args		 a;
	char			 path[256], err[1024], shown[CLI_MSG_MAX];
	int			 rc;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	if (a.socket != NULL && a.listen != NULL)
		cli_usage_error(cli, "nbd: give --socket or --listen, not "
		    "both");
	memset(&o, 0, sizeof(o));
	snprintf(path, sizeof(path), "/run/daspool/nbd-%s.sock", a.pos[0]);
	o.socket_path = a.socket != NULL ? a.socket : path;
	o.listen = a.listen;
	o.workers = NBD_WORKERS_DEFAULT;
	if (a.workers != NULL &&
	    (o.workers = (int)cli_count_arg(cli, "--workers", a.workers)) >
	    NBD_WORKERS_MAX)
		cli_usage_error(cli, "nbd: --workers takes 1 to %d",
		    NBD_WORKERS_MAX);
	/* TLS with the borrower's own certificates: offered always,
	 * required with --tls and off the host. */
	daspool_conf_options(&cli->conf, &d);
	memset(&tls, 0, sizeof(tls));
	tls.ca_file = d.ca_file;
	tls.cert_file = d.cert_file;
	tls.key_file = d.key_file;
	tls.crl_file = d.crl_file;
	tls.ciphers = d.ciphers;
	o.tls = &tls;
	o.tls_required = a.tls;
	if ((rc = nbd_volume_serve(cli_client(cli), a.pos[0], &o, err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "daspool: %s\n", cli_shown(err, shown,
		    sizeof(shown)));
		return EXIT_REFUSED;
	}
	return rc == 1 ? EXIT_REFUSED : 0;
}

static int
cmd_attach(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_SOCKET, OPT_MOUNTPOINT,
				    OPT_FOREGROUND, 0 };
	struct nbd_attach_opts	 o;
	struct daspool_options	 d;
	struct cli_args		 a;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	memset(&o, 0, sizeof(o));
	o.volume = a.pos[0];
	o.socket_path = a.socket;
	o.mountpoint = a.mountpoint;
	o.foreground = a.foreground;
	o.verbose = cli->flags.verbose;
	daspool_conf_options(&cli->conf, &d);
	return nbd_attach(&d, &o);
}

static int
cmd_detach(struct cli *cli, int argc, char **argv)
{
	static const int	 allowed[] = { OPT_SOCKET, 0 };
	struct nbd_attach_opts	 o;
	struct daspool_options	 d;
	struct cli_args		 a;

	cli_parse(cli, argc, argv, allowed, 1, 1, &a);
	memset(&o, 0, sizeof(o));
	o.volume = a.pos[0];
	o.socket_path = a.socket;
	daspool_conf_options(&cli->conf, &d);
	return nbd_detach(&d, &o);
}

static int
cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_command	*c;

	(void)cli;
	if (argc < 2)
		cli_usage(stdout, 0);
	if ((c = cli_find(argv[1])) == NULL)
		cli_usage_error(NULL, "unknown command '%s'", argv[1]);
	cli_command_usage(c, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "config",	required_argument,	NULL, 'f' },
		{ "manager",	required_argument,	NULL, 'm' },
		{ "ca",		required_argument,	NULL, 'A' },
		{ "cert",	required_argument,	NULL, 'C' },
		{ "key",	required_argument,	NULL, 'K' },
		{ "crl",	required_argument,	NULL, 'R' },
		{ "state-dir",	required_argument,	NULL, 'S' },
		{ "ciphers",	required_argument,	NULL, 'c' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const struct cli_command	*cmd;
	struct cli			 cli;
	int				 ch, rc;

	memset(&cli, 0, sizeof(cli));
	daspool_conf_init(&cli.conf);
	/* A lender vanishing mid-write must not kill us: the library
	 * sees EPIPE and reconnects. */
	signal(SIGPIPE, SIG_IGN);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+f:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': cli.flags.config = optarg; break;
		case 'm': cli.flags.manager = optarg; break;
		case 'A': cli.flags.ca = optarg; break;
		case 'C': cli.flags.cert = optarg; break;
		case 'K': cli.flags.key = optarg; break;
		case 'R': cli.flags.crl = optarg; break;
		case 'S': cli.flags.state_dir = optarg; break;
		case 'c': cli.flags.ciphers = optarg; break;
		case 't': cli.flags.timeout = optarg; break;
		case 'v': cli.flags.verbose++; break;
		case 'h': cli_usage(stdout, 0);
		default:
			cli_usage_error(NULL, "unknown or incomplete option "
			    "'%s' (see daspool --help)", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		cli_usage(stderr, EXIT_USAGE);
	if ((cmd = cli_find(argv[0])) == NULL)
		cli_usage_error(NULL, "unknown command '%s' (see daspool "
		    "--help)", argv[0]);
	cli.cmd = cmd->name;
	/* --help needs no config. */
	for (ch = 1; ch < argc; ch++)
		if (strcmp(argv[ch], "--help") == 0 ||
		    strcmp(argv[ch], "-h") == 0) {
			cli_command_usage(cmd, stdout);
			return 0;
		}
	log_init("daspool", 1, LOG_LEVEL_WARN + cli.flags.verbose);
	if (cmd->run != cmd_help)
		cli_load_config(&cli);
	rc = cmd->run(&cli, argc, argv);
	daspool_volume_close(cli.volume);
	daspool_client_close(cli.client);
	daspool_conf_free(&cli.conf);
	return rc;
}
