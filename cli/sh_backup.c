/*
 * "backup ..." in daspool-sh (sh_backup.h).
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
sh_backup_help(sh_backup_show_fn show, void *arg)
{
	char	line[256];
	size_t	i;

	show(arg, "backup commands (the tape backup, daspool-backup):\n");
	for (i = 0; i < SH_BACKUP_NCMDS; i++) {
		snprintf(line, sizeof(line), "  backup %-8s %s%s\n",
		    sh_backup_cmds[i].name, sh_backup_cmds[i].help,
		    sh_backup_cmds[i].admin ? " (admin)" : "");
		show(arg, line);
	}
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

/* The child's output, as it comes, to show(); NUL bytes as blanks. */
static void
sh_backup_relay(int fd, sh_backup_show_fn show, void *arg)
{
	char	buf[4096 + 1];
	ssize_t	n, i;

	for (;;) {
		if ((n = read(fd, buf, sizeof(buf) - 1)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		show(arg, buf);
	}
}

/* Its exit status; one stopped by a signal (Ctrl-C kills a run, a
 * verify or a restore where it is) says so. */
static int
sh_backup_wait(pid_t pid, const char *command)
{
	int	status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "daspool-sh: backup %s was stopped by %s%s\n",
		    command, WTERMSIG(status) == SIGINT ? "Ctrl-C" :
		    strsignal(WTERMSIG(status)), strcmp(command, "run") == 0 ?
		    "; \"backup status\" says where it ended" : "");
		return 1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int
sh_backup_exec(char **argv, const char *who, sh_backup_show_fn show,
    void *arg)
{
	pid_t	pid;
	int	out[2];

	fflush(stdout);
	if (pipe2(out, O_CLOEXEC) == -1) {
		fprintf(stderr, "daspool-sh: backup: %s\n", strerror(errno));
		return 1;
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "daspool-sh: backup: %s\n", strerror(errno));
		close(out[0]);
		close(out[1]);
		return 1;
	}
	if (pid == 0) {
		setenv("DASPOOL_BACKUP_BY", who, 1);
		if (dup2(out[1], STDOUT_FILENO) != -1)
			execvp(argv[0], argv);
		fprintf(stderr, "daspool-sh: backup: cannot run %s: %s\n",
		    argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	sh_backup_relay(out[0], show, arg);
	close(out[0]);
	return sh_backup_wait(pid, argv[3]);
}

/* The command's words after "backup": checked, and run. */
static int
sh_backup_run(char **words, int n, sh_live_ask_fn ask,
    sh_backup_show_fn show, void *arg)
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
	return sh_backup_exec(argv, who, show, arg);
}

/* The command word after "backup", or NULL when line is not one. */
static const char *
sh_backup_command(const char *line)
{
	if (strncmp(line, "backup", 6) != 0 ||
	    (line[6] != '\0' && line[6] != ' ' && line[6] != '\t'))
		return NULL;
	return line + 6 + strspn(line + 6, " \t");
}

int
sh_backup_is(const char *line, int *listing)
{
	const char	*cmd = sh_backup_command(line);
	size_t		 i, len;

	if (cmd == NULL)
		return 0;
	len = strcspn(cmd, " \t");
	*listing = 1;
	for (i = 0; i < SH_BACKUP_NCMDS; i++)
		if (strlen(sh_backup_cmds[i].name) == len &&
		    strncmp(cmd, sh_backup_cmds[i].name, len) == 0)
			*listing = !sh_backup_cmds[i].admin;
	return 1;
}

int
sh_backup(const char *line, sh_live_ask_fn ask, sh_backup_show_fn show,
    void *arg, int *rc)
{
	char	*copy, *words[SH_BACKUP_ARGS], *w, *save = NULL;
	int	 n = 0;

	if (sh_backup_command(line) == NULL)
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
		sh_backup_help(show, arg);
		*rc = 0;
	} else
		*rc = sh_backup_run(words, n, ask, show, arg);
	free(copy);
	return 1;
}
