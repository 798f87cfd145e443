/*
 * mtx run as a child, no shell between (mtx.h).
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mtx.h"

#define MTX_ARGS_MAX	8
#define MTX_ERR_MAX	4096

struct mtx_child {
	pid_t	pid;
	int	out, err;	/* its stdout and stderr */
	int	exec;		/* errno of a failed execvp, else EOF */
};

static void
mtx_close(int *fds, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

/* In the child: the pipes as stdout and stderr, then mtx. */
static void __attribute__((noreturn))
mtx_exec(const char **argv, int *fds)
{
	int	e, null = open("/dev/null", O_RDONLY);

	if (null != -1)
		dup2(null, 0);
	dup2(fds[1], 1);
	dup2(fds[3], 2);
	execvp(argv[0], (char *const *)argv);
	e = errno;
	(void)!write(fds[5], &e, sizeof(e));
	_exit(127);
}

static int
mtx_spawn(const char *changer, const char *const *args,
    struct mtx_child *c, char *err, size_t errlen)
{
	const char	*argv[MTX_ARGS_MAX + 4] = { "mtx", "-f", changer };
	int		 fds[6] = { -1, -1, -1, -1, -1, -1 }, i;

	for (i = 0; args[i] != NULL && i < MTX_ARGS_MAX; i++)
		argv[3 + i] = args[i];
	if (pipe2(fds, O_CLOEXEC) == -1 || pipe2(fds + 2, O_CLOEXEC) == -1 ||
	    pipe2(fds + 4, O_CLOEXEC) == -1 || (c->pid = fork()) == -1) {
		snprintf(err, errlen, "cannot run mtx: %s", strerror(errno));
		mtx_close(fds, 6);
		return -1;
	}
	if (c->pid == 0)
		mtx_exec(argv, fds);
	close(fds[1]);
	close(fds[3]);
	close(fds[5]);
	c->out = fds[0];
	c->err = fds[2];
	c->exec = fds[4];
	return 0;
}

/* Reads fd into buf (what does not fit is read and dropped): 0 at
 * EOF, 1 for more. */
static int
mtx_drain(int fd, char *buf, size_t len, size_t *have)
{
	char	scrap[4096];
	ssize_t	n;
	size_t	room = *have + 1 < len ? len - *have - 1 : 0;

	n = room > 0 ? read(fd, buf + *have, room) :
	    read(fd, scrap, sizeof(scrap));
	if (n == -1 && errno == EINTR)
		return 1;
	if (n <= 0)
		return 0;
	if (room > 0)
		*have += (size_t)n;
	buf[*have] = '\0';
	return 1;
}

/* Both pipes to their end; 1 when out filled up. */
static int
mtx_collect(struct mtx_child *c, char *out, size_t outlen, char *ebuf,
    size_t elen)
{
	struct pollfd	pfd[2] = { { c->out, POLLIN, 0 },
			    { c->err, POLLIN, 0 } };
	size_t		have = 0, ehave = 0;
	int		live = 2;

	out[0] = ebuf[0] = '\0';
	while (live > 0) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents && !mtx_drain(c->out, out, outlen, &have)) {
			pfd[0].fd = -1;
			live--;
		}
		if (pfd[1].revents && !mtx_drain(c->err, ebuf, elen, &ehave)) {
			pfd[1].fd = -1;
			live--;
		}
	}
	return have + 1 >= outlen;
}

/* The last line with something on it. */
static const char *
mtx_last_line(char *text)
{
	char	*end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(text, '\n');
	return start != NULL ? start + 1 : text[0] ? text : "no message";
}

int
mtx_run(const char *changer, const char *const *args, char *out,
    size_t outlen, char *err, size_t errlen)
{
	struct mtx_child	c;
	char			ebuf[MTX_ERR_MAX], cmd[256];
	int			status, full, e = 0, i;
	size_t			len;

	len = (size_t)snprintf(cmd, sizeof(cmd), "mtx -f %s", changer);
	for (i = 0; args[i] != NULL && len < sizeof(cmd); i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " %s",
		    args[i]);
	if (mtx_spawn(changer, args, &c, err, errlen) == -1)
		return -1;
	full = mtx_collect(&c, out, outlen, ebuf, sizeof(ebuf));
	if (read(c.exec, &e, sizeof(e)) != sizeof(e))
		e = 0;
	close(c.out);
	close(c.err);
	close(c.exec);
	while (waitpid(c.pid, &status, 0) == -1 && errno == EINTR)
		;
	if (e != 0)
		snprintf(err, errlen, "cannot run mtx: %s (the mtx package "
		    "is needed for a scsi library)", strerror(e));
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s was killed by signal %d", cmd,
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "%s failed (exit status %d): %s", cmd,
		    WEXITSTATUS(status), mtx_last_line(ebuf));
	else if (full)
		snprintf(err, errlen, "%s printed more than %zu bytes", cmd,
		    outlen - 1);
	else
		return 0;
	return -1;
}
