/*
 * daspool attach and detach (nbd_attach.h).
 *
 * attach forks the daemon first, before any thread exists, and waits on
 * a pipe for its word: the daemon borrows and mounts the volume, writes
 * its pid file, exports the volume, connects the disk, then sends what
 * it did and a last "\001ok" (or the reason it could not) and closes the
 * pipe. On SIGTERM it stops serving, flushes the volume at its lenders,
 * unmounts and releases it, and writes how that went in the attach file
 * for detach to read.
 */
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nbd_attach.h"
#include "nbd_listen.h"
#include "nbd_volume.h"
#include "proto.h"

#define ATTACH_RUN_DIR		"/run/daspool"
#define ATTACH_OK		"\001ok"
#define ATTACH_WAIT_MS		15000	/* nbdfuse's start */
#define DETACH_WAIT_MS		60000	/* the daemon's flush and release */
#define ATTACH_NBD_DEVICES	64

struct attach_paths {
	char	sock[PATH_MAX];
	char	pid[PATH_MAX];
	char	state[PATH_MAX];
};

struct attach {
	const struct nbd_attach_opts	*o;
	struct attach_paths		 p;
	int				 report;	/* to attach, or -1 */
	char				 uri[PATH_MAX + 64];
	pid_t				 fuse_pid;
	pthread_t			 connector;
	int				 connecting;
};

static void
attach_paths(const struct nbd_attach_opts *o, struct attach_paths *p)
{
	char	base[PATH_MAX];
	size_t	n;

	if (o->socket_path != NULL)
		snprintf(p->sock, sizeof(p->sock), "%s", o->socket_path);
	else
		snprintf(p->sock, sizeof(p->sock), "%s/nbd-%s.sock",
		    ATTACH_RUN_DIR, o->volume);
	snprintf(base, sizeof(base), "%s", p->sock);
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".sock") == 0)
		base[n - 5] = '\0';
	snprintf(p->pid, sizeof(p->pid), "%.*s.pid", PATH_MAX - 8, base);
	snprintf(p->state, sizeof(p->state), "%.*s.attach", PATH_MAX - 8,
	    base);
}

/* To attach (or stdout in the foreground), never fatal. */
static void __attribute__((format(printf, 2, 3)))
attach_say(struct attach *a, const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_info("%s", line);
	if (a->report != -1)
		(void)!write(a->report, line, strlen(line));
}

static void
attach_report_done(struct attach *a, int ok)
{
	if (a->report == -1)
		return;
	if (ok && !a->o->foreground)
		(void)!write(a->report, ATTACH_OK, strlen(ATTACH_OK));
	close(a->report);
	a->report = -1;
}

static int
write_file(const char *path, const char *text)
{
	char	tmp[PATH_MAX + 8];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
read_file(const char *path, char *out, size_t len)
{
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* Whether pid runs: a zombie no one reaped yet has ended. */
static int
process_alive(pid_t pid)
{
	char	path[64], stat[512], *paren;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (read_file(path, stat, sizeof(stat)) == -1)
		return 1;
	paren = strrchr(stat, ')');
	return paren == NULL || paren[1] == '\0' || paren[2] != 'Z';
}

/* The directory of path, made when missing (/run/daspool). */
static int
make_parent_dir(const char *path)
{
	char	dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	return mkdir(dir, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* The daemon's pid from its file, when it still runs; else 0. */
static pid_t
attach_running(const struct attach_paths *p)
{
	char	buf[32];
	long	pid;

	if (read_file(p->pid, buf, sizeof(buf)) == -1)
		return 0;
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || !process_alive((pid_t)pid))
		return 0;
	return (pid_t)pid;
}

/* --- connecting the disk --- */

/* Runs argv and waits: its exit status, or -1. */
static int
run_wait(char *const argv[])
{
	pid_t	pid;
	int	status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
have_program(const char *name)
{
	char	*path, *dir, *save, full[PATH_MAX];
	int	 found = 0;

	if ((path = getenv("PATH")) == NULL || (path = strdup(path)) == NULL)
		return 0;
	for (dir = strtok_r(path, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", dir, name);
		found = access(full, X_OK) == 0;
	}
	free(path);
	return found;
}

/* A /dev/nbdN no one uses (no pid in sysfs): its number, or -1. */
static int
free_nbd_device(void)
{
	char	path[64];
	int	i;

	for (i = 0; i < ATTACH_NBD_DEVICES; i++) {
		snprintf(path, sizeof(path), "/dev/nbd%d", i);
		if (access(path, F_OK) == -1)
			continue;
		snprintf(path, sizeof(path), "/sys/block/nbd%d/pid", i);
		if (access(path, F_OK) == -1)
			return i;
	}
	return -1;
}

static int
attach_device(struct attach *a, int n)
{
	char	dev[32], state[64];
	char	*argv[] = { "nbd-client", "-unix", a->p.sock, dev, "-N",
		    (char *)a->o->volume, NULL };

	snprintf(dev, sizeof(dev), "/dev/nbd%d", n);
	if (run_wait(argv) != 0) {
		attach_say(a, "nbd-client could not connect %s to the export "
		    "at %s\n", dev, a->uri);
		return -1;
	}
	snprintf(state, sizeof(state), "device %s\n", dev);
	if (write_file(a->p.state, state) == -1)
		attach_say(a, "cannot write %s: %s\n", a->p.state,
		    strerror(errno));
	attach_say(a, "volume %s attached as %s\n", a->o->volume, dev);
	return 0;
}

/* nbdfuse serves the volume as the file DIR/VOLUME until unmounted;
 * ready once its pid file is written. */
static int
attach_fuse(struct attach *a)
{
	char		 file[PATH_MAX], pidfile[PATH_MAX + 8], state[PATH_MAX + 8];
	char		*argv[] = { "nbdfuse", "-P", pidfile, file, a->uri, NULL };
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	int		 waited, fd;

	snprintf(file, sizeof(file), "%s/%s", a->o->mountpoint, a->o->volume);
	snprintf(pidfile, sizeof(pidfile), "%s.fuse", a->p.pid);
	unlink(pidfile);
	if ((a->fuse_pid = fork()) == -1)
		return -1;
	if (a->fuse_pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	for (waited = 0; access(pidfile, F_OK) == -1; waited += 50) {
		if (waited >= ATTACH_WAIT_MS ||
		    waitpid(a->fuse_pid, NULL, WNOHANG) == a->fuse_pid) {
			attach_say(a, "nbdfuse could not serve %s\n", file);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	unlink(pidfile);
	snprintf(state, sizeof(state), "fuse %s\n", file);
	if (write_file(a->p.state, state) == -1)
		attach_say(a, "cannot write %s: %s\n", a->p.state,
		    strerror(errno));
	attach_say(a, "volume %s attached as the file %s (nbdfuse)\n",
	    a->o->volume, file);
	return 0;
}

static void *
attach_connect(void *arg)
{
	struct attach	*a = arg;
	int		 n = -1, rc = 0;

	if (a->o->mountpoint == NULL && have_program("nbd-client"))
		n = free_nbd_device();
	if (n >= 0)
		rc = attach_device(a, n);
	else if (a->o->mountpoint != NULL)
		rc = attach_fuse(a);
	else {
		write_file(a->p.state, "none\n");
		attach_say(a, "volume %s exported at %s\nthis machine has no "
		    "free /dev/nbd device (or no nbd-client): reach it with\n"
		    "  nbdfuse DIR/%s '%s'\n  qemu-img info '%s'\n",
		    a->o->volume, a->uri, a->o->volume, a->uri, a->uri);
	}
	attach_report_done(a, rc == 0);
	/* What could not be connected is given back. */
	if (rc != 0)
		kill(getpid(), SIGTERM);
	return NULL;
}

static void
attach_ready(void *arg, const char *where)
{
	struct attach	*a = arg;
	const char	*q = strchr(where, '?');

	/* nbd+unix:///?socket=S names the export: nbd+unix:///VOL?socket=S */
	snprintf(a->uri, sizeof(a->uri), "nbd+unix:///%s%s", a->o->volume,
	    q != NULL ? q : "");
	if (pthread_create(&a->connector, NULL, attach_connect, a) == 0)
		a->connecting = 1;
	else {
		attach_say(a, "cannot start a thread\n");
		attach_report_done(a, 0);
		kill(getpid(), SIGTERM);
	}
}

/* --- the daemon --- */

/* After the export: flush, unmount, release; the outcome in the attach
 * file. */
static void
attach_give_back(struct attach *a, struct daspool_client *c)
{
	struct daspool_volume	*v;
	char			 outcome[1200];
	int			 rc;

	if ((rc = daspool_volume_open(c, a->o->volume, &v)) == 0) {
		if ((rc = daspool_volume_flush(v)) != 0)
			log_warnx("volume %s: flush: %s", a->o->volume,
			    daspool_volume_error(v));
		daspool_volume_close(v);
	}
	if ((rc = daspool_unmount(c, a->o->volume)) != 0 &&
	    rc != DSP_E_STATE)
		snprintf(outcome, sizeof(outcome), "error: unmount: %s\n",
		    daspool_client_error(c));
	else if ((rc = daspool_release(c, a->o->volume)) != 0)
		snprintf(outcome, sizeof(outcome), "error: release: %s\n",
		    daspool_client_error(c));
	else
		snprintf(outcome, sizeof(outcome), "released\n");
	if (outcome[0] == 'e')
		log_warnx("volume %s: %s", a->o->volume, outcome + 7);
	else
		log_info("volume %s flushed, unmounted and released",
		    a->o->volume);
	write_file(a->p.state, outcome);
}

/* Borrows and mounts; 0, or 1 with the reason said. */
static int
attach_borrow(struct attach *a, struct daspool_client *c)
{
	const struct daspool_mount	*m;

	if (daspool_allocate(c, a->o->volume, 0, NULL, NULL) != 0) {
		attach_say(a, "%s: %s\n", a->o->volume,
		    daspool_client_error(c));
		return 1;
	}
	if (daspool_mount(c, a->o->volume, &m) != 0) {
		attach_say(a, "%s: %s\n", a->o->volume,
		    daspool_client_error(c));
		daspool_release(c, a->o->volume);
		return 1;
	}
	return 0;
}

static int
attach_serve(struct attach *a, const struct daspool_options *dopts)
{
	struct daspool_client	*c = NULL;
	struct nbd_listen_opts	 lo;
	char			 err[1024], pid[32];
	int			 rc;

	if (daspool_client_open(dopts, &c) != 0) {
		attach_say(a, "%s\n", c != NULL ? daspool_client_error(c) :
		    "out of memory");
		daspool_client_close(c);
		return 1;
	}
	if (attach_borrow(a, c) != 0) {
		daspool_client_close(c);
		return 1;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	unlink(a->p.state);
	if (make_parent_dir(a->p.pid) == -1 ||
	    write_file(a->p.pid, pid) == -1) {
		attach_say(a, "cannot write %s: %s\n", a->p.pid,
		    strerror(errno));
		rc = 1;
	} else {
		memset(&lo, 0, sizeof(lo));
		lo.socket_path = a->p.sock;
		lo.workers = NBD_WORKERS_DEFAULT;
		lo.ready = attach_ready;
		lo.ready_arg = a;
		if ((rc = nbd_volume_serve(c, a->o->volume, &lo, err,
		    sizeof(err))) == -1)
			attach_say(a, "%s\n", err);
	}
	if (a->connecting)
		pthread_join(a->connector, NULL);
	attach_report_done(a, 0);
	if (a->fuse_pid > 0 && waitpid(a->fuse_pid, NULL, WNOHANG) == 0) {
		kill(a->fuse_pid, SIGTERM);
		waitpid(a->fuse_pid, NULL, 0);
	}
	attach_give_back(a, c);
	unlink(a->p.pid);
	daspool_client_close(c);
	return rc == 0 ? 0 : 1;
}

/* The daemon's side of the fork: its own session, no terminal. */
static void
attach_become_daemon(int verbose)
{
	int	fd;

	setsid();
	if (chdir("/") == -1)
		_exit(1);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_init("daspool", 0, LOG_LEVEL_INFO + verbose);
}

/* attach's side: the daemon's word, printed; 0 when it ends in ok. */
static int
attach_wait_word(int fd)
{
	char	buf[8192];
	size_t	len = 0;
	ssize_t	n;
	int	ok;

	while (len < sizeof(buf) - 1 &&
	    ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0 ||
	    (n == -1 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	buf[len] = '\0';
	ok = len >= strlen(ATTACH_OK) &&
	    strcmp(buf + len - strlen(ATTACH_OK), ATTACH_OK) == 0;
	if (ok)
		buf[len - strlen(ATTACH_OK)] = '\0';
	fprintf(ok ? stdout : stderr, "%s%s", ok ? "" : "daspool: ", buf);
	if (!ok && len == 0)
		fprintf(stderr, "the attach daemon ended without a word\n");
	return ok ? 0 : 1;
}

int
nbd_attach(const struct daspool_options *dopts,
    const struct nbd_attach_opts *o)
{
	struct attach	a;
	pid_t		pid, running;
	int		fds[2], rc;

	memset(&a, 0, sizeof(a));
	a.o = o;
	a.report = -1;
	attach_paths(o, &a.p);
	if ((running = attach_running(&a.p)) != 0) {
		fprintf(stderr, "daspool: volume %s is attached already "
		    "(daemon %ld, %s)\n", o->volume, (long)running, a.p.pid);
		return 1;
	}
	/* The programs the daemon runs (nbdfuse lives on) must not hold
	 * the pipe open: attach waits for its end. */
	if (o->foreground) {
		a.report = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
		return attach_serve(&a, dopts);
	}
	if (pipe2(fds, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "daspool: cannot start the daemon: %s\n",
		    strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		a.report = fds[1];
		attach_become_daemon(o->verbose);
		rc = attach_serve(&a, dopts);
		_exit(rc);
	}
	close(fds[1]);
	rc = attach_wait_word(fds[0]);
	close(fds[0]);
	return rc;
}

/* --- detach --- */

/* Where dev is mounted, from /proc/self/mounts; 0 if nowhere. */
static int
mounted_at(const char *what, char *where, size_t len)
{
	char	 line[4096], dev[PATH_MAX], dir[PATH_MAX];
	FILE	*f;
	int	 found = 0;

	if ((f = fopen("/proc/self/mounts", "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%4095s %4095s", dev, dir) == 2 &&
		    strcmp(dev, what) == 0) {
			snprintf(where, len, "%s", dir);
			found = 1;
		}
	fclose(f);
	return found;
}

/* A loop device backed by file: its name; 0 if none. */
static int
loop_backed_by(const char *file, char *loop, size_t len)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[PATH_MAX], backing[PATH_MAX];
	int		 found = 0;

	if ((d = opendir("/sys/block")) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "loop", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file",
		    e->d_name);
		if (read_file(path, backing, sizeof(backing)) == 0 &&
		    strcmp(backing, file) == 0) {
			snprintf(loop, len, "/dev/%s", e->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/* What the system caches of the disk goes to the export. */
static void
flush_path(const char *path)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	fsync(fd);
	close(fd);
}

/* The disk (a device or a file) is in use: mounted, or behind a loop
 * device; said on stderr. */
static int
disk_busy(const char *volume, const char *disk)
{
	char	where[PATH_MAX];

	if (mounted_at(disk, where, sizeof(where))) {
		fprintf(stderr, "daspool: volume %s: %s is mounted on %s: "
		    "unmount it first\n", volume, disk, where);
		return 1;
	}
	if (loop_backed_by(disk, where, sizeof(where))) {
		fprintf(stderr, "daspool: volume %s: %s is in use by %s: "
		    "detach it first (losetup -d %s)\n", volume, disk, where,
		    where);
		return 1;
	}
	return 0;
}

/* Refuses while the disk is in use, else flushes and disconnects it. */
static int
detach_disk(const char *volume, const char *state)
{
	char	dir[PATH_MAX + 16], *slash;
	char	dev[PATH_MAX + 16];
	char	*argv[] = { "nbd-client", "-d", dev, NULL };

	if (strncmp(state, "device ", 7) == 0) {
		snprintf(dev, sizeof(dev), "%s", state + 7);
		if (disk_busy(volume, dev))
			return 1;
		flush_path(dev);
		if (run_wait(argv) != 0) {
			fprintf(stderr, "daspool: nbd-client -d %s failed\n",
			    dev);
			return 1;
		}
	} else if (strncmp(state, "fuse ", 5) == 0) {
		if (disk_busy(volume, state + 5))
			return 1;
		flush_path(state + 5);
		snprintf(dir, sizeof(dir), "%s", state + 5);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		if (umount2(dir, 0) == -1) {
			fprintf(stderr, "daspool: cannot unmount %s: %s\n",
			    dir, strerror(errno));
			return 1;
		}
	}
	return 0;
}

int
nbd_detach(const struct daspool_options *dopts,
    const struct nbd_attach_opts *o)
{
	struct attach_paths	p;
	struct timespec		ts = { 0, 50 * 1000 * 1000 };
	char			state[PATH_MAX + 16], outcome[1200];
	pid_t			pid;
	int			waited;

	(void)dopts;
	attach_paths(o, &p);
	if ((pid = attach_running(&p)) == 0) {
		fprintf(stderr, "daspool: volume %s is not attached here (no "
		    "daemon in %s)\n", o->volume, p.pid);
		return 1;
	}
	if (read_file(p.state, state, sizeof(state)) == -1)
		state[0] = '\0';
	if (detach_disk(o->volume, state) != 0)
		return 1;
	kill(pid, SIGTERM);
	for (waited = 0; process_alive(pid); waited += 50) {
		if (waited >= DETACH_WAIT_MS) {
			fprintf(stderr, "daspool: volume %s: daemon %ld did "
			    "not end within %d s\n", o->volume, (long)pid,
			    DETACH_WAIT_MS / 1000);
			return 1;
		}
		nanosleep(&ts, NULL);
	}
	if (read_file(p.state, outcome, sizeof(outcome)) == -1)
		snprintf(outcome, sizeof(outcome), "error: the daemon left "
		    "no word");
	unlink(p.state);
	if (strcmp(outcome, "released") != 0) {
		fprintf(stderr, "daspool: volume %s: %s\n", o->volume,
		    outcome);
		return 1;
	}
	printf("volume %s detached: flushed, unmounted and released\n",
	    o->volume);
	return 0;
}
