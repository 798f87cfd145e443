/*
 * "backup ..." in daspool-sh (sh_backup.h).
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh_backup.h"

#define SH_BACKUP_CONF		"/etc/daspool/daspool-backup.conf"
#define SH_BACKUP_ARGS		16

static const struct {
	const char	*name;
	int		 admin;
	const char	*help;
} sh_backup_cmds[] = {
	{ "status", 0, "the run going on (progress, rate, time to go), the "
	    "last and the next" },
	{ "list", 0, "[VOLUME]: the copies in the catalog" },
	{ "tapes", 0, "the library's slots: labels, use, copies" },
	{ "run", 1, "[VOLUME...]: a run now (every volume, or those named)" },
	{ "verify", 1, "COPY: reads the copy back and checks every chunk" },
	{ "restore", 1, "COPY --to-volume VOLUME | --to-file PATH: puts a "
	    "copy back" },
	{ "label", 1, "SLOT LABEL: labels a tape (never one under "
	    "retention)" },
	{ "forget", 1, "COPY: drops a copy from the catalog" },
	{ "scan", 1, "rebuilds an empty catalog from the tapes" },
};

#define SH_BACKUP_NCMDS	(sizeof(sh_backup_cmds) / sizeof(sh_backup_cmds[0]))

static void
sh_backup_help(void)
{
	size_t	i;

	printf("backup commands (the tape backup, daspool-backup):\n");
	for (i = 0; i < SH_BACKUP_NCMDS; i++)
		printf("  backup %-8s %s%s\n", sh_backup_cmds[i].name,
		    sh_backup_cmds[i].help, sh_backup_cmds[i].admin ?
		    " (admin)" : "");
}

/* Words a person may give: names, numbers, paths and the restore
 * flags; nothing that would change the config's library or catalog. */
static int
sh_backup_word_ok(const char *w)
{
	if (strncmp(w, "--", 2) == 0)
		return strcmp(w, "--to-file") == 0 ||
		    strcmp(w, "--to-volume") == 0 || strcmp(w, "--to") == 0 ||
		    strcmp(w, "--borrower") == 0;
	return w[0] != '-' && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._:/-") == strlen(w);
}

/* Who asks, and whether as an admin: from "show whoami". */
static int
sh_backup_whoami(sh_live_ask_fn ask, void *arg, char *who, size_t len,
    int *admin)
{
	char	*text, *comma;

	if ((text = ask(arg, "show whoami")) == NULL)
		return -1;
	*admin = strstr(text, "role admin") != NULL;
	if ((comma = strstr(text, ", role")) != NULL)
		*comma = '\0';
	text[strcspn(text, "\n")] = '\0';
	snprintf(who, len, "%s", text);
	free(text);
	return 0;
}

static int
sh_backup_exec(char **argv, const char *who)
{
	pid_t	pid;
	int	status;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "daspool-sh: backup: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		setenv("DASPOOL_BACKUP_BY", who, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "daspool-sh: backup: cannot run %s: %s\n",
		    argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* The command's words after "backup": checked, and run. */
static int
sh_backup_run(char **words, int n, sh_live_ask_fn ask, void *arg)
{
	const char	*conf = getenv("DASPOOL_BACKUP_CONF");
	char		*argv[SH_BACKUP_ARGS + 4], who[256];
	size_t		 i;
	int		 k, admin;

	for (i = 0; i < SH_BACKUP_NCMDS; i++)
		if (strcmp(words[0], sh_backup_cmds[i].name) == 0)
			break;
	if (i == SH_BACKUP_NCMDS) {
		fprintf(stderr, "daspool-sh: no backup command \"%s\"; "
		    "\"backup ?\" lists them\n", words[0]);
		return 1;
	}
	for (k = 1; k < n; k++)
		if (!sh_backup_word_ok(words[k])) {
			fprintf(stderr, "daspool-sh: backup %s: \"%s\" is not "
			    "taken here\n", words[0], words[k]);
			return 1;
		}
	if (sh_backup_whoami(ask, arg, who, sizeof(who), &admin) != 0)
		return 1;
	if (sh_backup_cmds[i].admin && !admin) {
		fprintf(stderr, "daspool-sh: backup %s needs the admin role; "
		    "%s has the monitor role\n", words[0], who);
		return 1;
	}
	argv[0] = "daspool-backup";
	argv[1] = "-f";
	argv[2] = (char *)(conf != NULL && conf[0] != '\0' ? conf :
	    SH_BACKUP_CONF);
	for (k = 0; k < n; k++)
		argv[3 + k] = words[k];
	argv[3 + n] = NULL;
	return sh_backup_exec(argv, who);
}

int
sh_backup(const char *line, sh_live_ask_fn ask, void *arg, int *rc)
{
	char	*copy, *words[SH_BACKUP_ARGS], *w, *save = NULL;
	int	 n = 0;

	if (strncmp(line, "backup", 6) != 0 ||
	    (line[6] != '\0' && line[6] != ' ' && line[6] != '\t'))
		return 0;
	if ((copy = strdup(line + 6)) == NULL) {
		*rc = 1;
		return 1;
	}
	for (w = strtok_r(copy, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (n == SH_BACKUP_ARGS) {
			fprintf(stderr, "daspool-sh: backup: at most %d "
			    "words\n", SH_BACKUP_ARGS);
			free(copy);
			*rc = 1;
			return 1;
		}
		words[n++] = w;
	}
	if (n == 0 || strcmp(words[0], "?") == 0 ||
	    strcmp(words[0], "help") == 0) {
		sh_backup_help();
		*rc = 0;
	} else
		*rc = sh_backup_run(words, n, ask, arg);
	free(copy);
	return 1;
}
