/*
 * daspool-pki: creates the pool's CA, issues host, admin and manager
 * certificates (ECDSA P-256, PEM, mbedTLS) and revokes them in the
 * pool's CRL. See firmware/common/pki.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pki.h"
#include "proto.h"

struct pki_cmd {
	const char	*name;
	int		(*run)(int, char **);
	const char	*help;
};

static int	cmd_init(int, char **);
static int	cmd_issue(int, char **);
static int	cmd_revoke(int, char **);
static int	cmd_show(int, char **);
static void	usage_init(FILE *);
static void	usage_issue(FILE *);
static void	usage_revoke(FILE *);
static void	usage_show(FILE *);
static void	usage(FILE *);
static int	parse_days(const char *, int *);

static const struct pki_cmd cmds[] = {
	{ "init", cmd_init,
	    "create the pool CA, the manager's certificate and an empty CRL" },
	{ "issue", cmd_issue,
	    "issue a certificate for a host, admin or backup job" },
	{ "revoke", cmd_revoke,
	    "revoke a certificate: add it to the pool's CRL" },
	{ "show", cmd_show,
	    "print the name, role, validity and issuer of a certificate" },
};

enum { OPT_DIR = 1, OPT_MANAGER, OPT_DAYS, OPT_FORCE, OPT_ROLE,
    OPT_NOT_BEFORE, OPT_NOT_AFTER, OPT_HELP };

static void
usage_init(FILE *f)
{
	fprintf(f,
	    "usage: daspool-pki init --dir DIR [--manager NAME] [--days N] "
	    "[--force]\n"
	    "\n"
	    "Creates DIR/ca.crt + ca.key (the pool CA, CN \"daspool pool "
	    "CA\"),\n"
	    "DIR/manager.crt + manager.key (CN NAME, role manager) and\n"
	    "DIR/crl.pem, the pool's certificate revocation list (empty).\n"
	    "\n"
	    "  --dir DIR       directory for the files (created if missing)\n"
	    "  --manager NAME  the manager's host name (default \"manager\")\n"
	    "  --days N        validity in days (default: CA %d, manager %d)\n"
	    "  --force         replace an existing CA (every certificate it\n"
	    "                  issued stops working)\n", PKI_CA_DAYS,
	    PKI_HOST_DAYS);
}

static void
usage_issue(FILE *f)
{
	fprintf(f,
	    "usage: daspool-pki issue --dir DIR NAME --role ROLE [--days N]\n"
	    "           [--not-before YYYYMMDDHHMMSS --not-after "
	    "YYYYMMDDHHMMSS] [--force]\n"
	    "\n"
	    "Issues DIR/NAME.crt + NAME.key signed by the CA in DIR, subject\n"
	    "\"CN=NAME,OU=ROLE,O=daspool\". NAME is the host name peers see.\n"
	    "\n"
	    "  --dir DIR          directory holding ca.crt and ca.key\n"
	    "  --role ROLE        agent, borrower, admin, monitor, backup or "
	    "manager\n"
	    "  --days N           validity in days from now (default %d)\n"
	    "  --not-before TIME  explicit validity window in UTC, e.g.\n"
	    "  --not-after TIME   20240101000000 (both or neither)\n"
	    "  --force            replace an existing NAME.crt\n",
	    PKI_HOST_DAYS);
}

static void
usage_revoke(FILE *f)
{
	fprintf(f,
	    "usage: daspool-pki revoke --dir DIR NAME [--days N]\n"
	    "\n"
	    "Revokes DIR/NAME.crt: adds its serial number, with the time now, "
	    "to\n"
	    "DIR/crl.pem (made if missing; earlier entries stay), signed "
	    "anew by\n"
	    "the CA in DIR. Daemons configured with this CRL (key \"crl\") "
	    "refuse\n"
	    "the certificate from their next handshake on: they read the file "
	    "again\n"
	    "when it changes, and on SIGHUP. A certificate revoked already is "
	    "left\n"
	    "as it is (exit 0, saying so). The certificate's own files stay.\n"
	    "\n"
	    "  --dir DIR  directory holding ca.crt, ca.key, NAME.crt and "
	    "crl.pem\n"
	    "  --days N   days until the CRL's next update (default %d)\n",
	    PKI_CRL_DAYS);
}

static void
usage_show(FILE *f)
{
	fprintf(f,
	    "usage: daspool-pki show [--dir DIR] FILE\n"
	    "\n"
	    "Prints the name (CN), role (OU), validity and issuer of the\n"
	    "PEM certificate FILE, and whether DIR/crl.pem revokes it (DIR:\n"
	    "default the directory of FILE; nothing is said without a "
	    "crl.pem).\n");
}

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: daspool-pki COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-7s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n\"daspool-pki COMMAND --help\" describes each.\n");
}

static int
parse_days(const char *s, int *out)
{
	char	*end;
	long	 v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > 36500) {
		fprintf(stderr, "daspool-pki: bad --days \"%s\" (1..36500)\n",
		    s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument, NULL, OPT_DIR },
		{ "manager",	required_argument, NULL, OPT_MANAGER },
		{ "days",	required_argument, NULL, OPT_DAYS },
		{ "force",	no_argument, NULL, OPT_FORCE },
		{ "help",	no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct pki_validity	 v = { 0, NULL, NULL };
	const char		*dir = NULL, *manager = "manager";
	char			 err[512];
	int			 ch, force = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR:		dir = optarg; break;
		case OPT_MANAGER:	manager = optarg; break;
		case OPT_DAYS:
			if (parse_days(optarg, &v.days) == -1)
				return 1;
			break;
		case OPT_FORCE:		force = 1; break;
		case OPT_HELP:		usage_init(stdout); return 0;
		default:		usage_init(stderr); return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "daspool-pki init: unexpected argument \"%s\"\n",
		    argv[optind]);
		return 1;
	}
	if (dir == NULL) {
		fprintf(stderr, "daspool-pki init: --dir is required\n");
		return 1;
	}
	if (pki_init(dir, manager, &v, force, err, sizeof(err)) == -1) {
		fprintf(stderr, "daspool-pki init: %s\n", err);
		return 1;
	}
	printf("created %s/ca.crt, %s/ca.key, %s/manager.crt (CN %s), "
	    "%s/manager.key, %s/crl.pem\n", dir, dir, dir, manager, dir, dir);
	return 0;
}

static int
cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument, NULL, OPT_DIR },
		{ "role",	required_argument, NULL, OPT_ROLE },
		{ "days",	required_argument, NULL, OPT_DAYS },
		{ "not-before",	required_argument, NULL, OPT_NOT_BEFORE },
		{ "not-after",	required_argument, NULL, OPT_NOT_AFTER },
		{ "force",	no_argument, NULL, OPT_FORCE },
		{ "help",	no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct pki_validity	 v = { 0, NULL, NULL };
	const char		*dir = NULL, *role_name = NULL, *name;
	char			 err[512];
	int			 ch, force = 0, role;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR:		dir = optarg; break;
		case OPT_ROLE:		role_name = optarg; break;
		case OPT_DAYS:
			if (parse_days(optarg, &v.days) == -1)
				return 1;
			break;
		case OPT_NOT_BEFORE:	v.not_before = optarg; break;
		case OPT_NOT_AFTER:	v.not_after = optarg; break;
		case OPT_FORCE:		force = 1; break;
		case OPT_HELP:		usage_issue(stdout); return 0;
		default:		usage_issue(stderr); return 1;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "daspool-pki issue: %s\n", argc == optind ?
		    "missing NAME" : "only one NAME at a time");
		return 1;
	}
	name = argv[optind];
	if (dir == NULL || role_name == NULL) {
		fprintf(stderr, "daspool-pki issue: %s is required\n",
		    dir == NULL ? "--dir" : "--role");
		return 1;
	}
	if ((role = dsp_role_parse(role_name)) == DSP_ROLE_NONE) {
		fprintf(stderr, "daspool-pki issue: unknown role \"%s\" (use "
		    "agent, borrower, admin, monitor, backup or manager)\n",
		    role_name);
		return 1;
	}
	if (v.days != 0 && (v.not_before != NULL || v.not_after != NULL)) {
		fprintf(stderr, "daspool-pki issue: give --days or "
		    "--not-before/--not-after, not both\n");
		return 1;
	}
	if (pki_issue(dir, name, role, &v, force, err, sizeof(err)) == -1) {
		fprintf(stderr, "daspool-pki issue: %s\n", err);
		return 1;
	}
	printf("issued %s/%s.crt and %s/%s.key (role %s)\n", dir, name, dir,
	    name, dsp_role_name(role));
	return 0;
}

static int
cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument, NULL, OPT_DIR },
		{ "days",	required_argument, NULL, OPT_DAYS },
		{ "help",	no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct pki_revocation	 rv;
	const char		*dir = NULL;
	char			 err[512], since[64];
	int			 ch, days = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR:		dir = optarg; break;
		case OPT_DAYS:
			if (parse_days(optarg, &days) == -1)
				return 1;
			break;
		case OPT_HELP:		usage_revoke(stdout); return 0;
		default:		usage_revoke(stderr); return 1;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "daspool-pki revoke: %s\n", argc == optind ?
		    "missing NAME" : "only one NAME at a time");
		return 1;
	}
	if (dir == NULL) {
		fprintf(stderr, "daspool-pki revoke: --dir is required\n");
		return 1;
	}
	if (pki_revoke(dir, argv[optind], days, &rv, err, sizeof(err)) == -1) {
		fprintf(stderr, "daspool-pki revoke: %s\n", err);
		return 1;
	}
	strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S UTC",
	    gmtime(&rv.since));
	if (rv.already)
		printf("%s/%s.crt (serial %s) was revoked already, on %s; "
		    "%s/crl.pem unchanged\n", dir, argv[optind], rv.serial,
		    since, dir);
	else
		printf("revoked %s/%s.crt (serial %s); %s/crl.pem lists %zu "
		    "certificate%s\n", dir, argv[optind], rv.serial, dir,
		    rv.listed, rv.listed == 1 ? "" : "s");
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir",	required_argument, NULL, OPT_DIR },
		{ "help",	no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	const char	*dir = NULL;
	char		 err[512];
	int		 ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_DIR:		dir = optarg; break;
		case OPT_HELP:		usage_show(stdout); return 0;
		default:		usage_show(stderr); return 1;
		}
	}
	if (argc - optind != 1) {
		usage_show(stderr);
		return 1;
	}
	if (pki_show(argv[optind], dir, stdout, err, sizeof(err)) == -1) {
		fprintf(stderr, "daspool-pki show: %s\n", err);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "daspool-pki: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 1;
}
