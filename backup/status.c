/*
 * The backup's status file and run lock (status.h).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "status.h"

static void
status_format(FILE *f, const struct backup_status *s)
{
	fprintf(f, "pid %ld\nstate %s\nrun_started %" PRIu64 "\n", s->pid,
	    s->running ? "running" : "idle", s->run_started);
	fprintf(f, "volume %s\nindex %u\ntotal %u\ncopy_started %" PRIu64
	    "\n", s->volume[0] ? s->volume : "-", s->index, s->total,
	    s->copy_started);
	fprintf(f, "done %" PRIu64 "\ndue %" PRIu64 "\n", s->done, s->due);
	fprintf(f, "copied %u\nskipped %u\nfailed %u\n", s->copied,
	    s->skipped, s->failed);
	fprintf(f, "last_started %" PRIu64 "\nlast_ended %" PRIu64 "\n",
	    s->last_started, s->last_ended);
	fprintf(f, "last_copied %u\nlast_skipped %u\nlast_failed %u\n",
	    s->last_copied, s->last_skipped, s->last_failed);
}

int
status_write(const char *dir, const struct backup_status *s, char *err,
    size_t errlen)
{
	char	path[PATH_MAX], tmp[PATH_MAX];
	FILE	*f;
	int	ok;

	snprintf(path, sizeof(path), "%s/%s", dir, STATUS_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", dir, STATUS_FILE,
	    (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	status_format(f, s);
	ok = fflush(f) == 0 && !ferror(f);
	if (fclose(f) != 0 || !ok || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* One "key value" line into its field; unknown keys are let be. */
static void
status_field(struct backup_status *s, const char *key, const char *val)
{
	static const struct { const char *key; size_t off; int u64; } f[] = {
#define U(k)	{ #k, offsetof(struct backup_status, k), 0 }
#define Q(k)	{ #k, offsetof(struct backup_status, k), 1 }
		Q(run_started), U(index), U(total), Q(copy_started), Q(done),
		Q(due), U(copied), U(skipped), U(failed), Q(last_started),
		Q(last_ended), U(last_copied), U(last_skipped), U(last_failed),
#undef U
#undef Q
	};
	size_t	i;
	char	*p = (char *)s;

	if (strcmp(key, "pid") == 0)
		s->pid = strtol(val, NULL, 10);
	else if (strcmp(key, "state") == 0)
		s->running = strcmp(val, "running") == 0;
	else if (strcmp(key, "volume") == 0)
		snprintf(s->volume, sizeof(s->volume), "%s",
		    strcmp(val, "-") == 0 ? "" : val);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (strcmp(key, f[i].key) != 0)
			continue;
		if (f[i].u64)
			*(uint64_t *)(p + f[i].off) = strtoull(val, NULL, 10);
		else
			*(unsigned int *)(p + f[i].off) =
			    (unsigned int)strtoul(val, NULL, 10);
	}
}

int
status_read(const char *dir, struct backup_status *s, char *err,
    size_t errlen)
{
	char	path[PATH_MAX], line[256], *sp;
	FILE	*f;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/%s", dir, STATUS_FILE);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		status_field(s, line, sp + 1);
	}
	fclose(f);
	return 0;
}

static void
status_when(char *out, size_t len, uint64_t t)
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	strftime(out, len, "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
}

static void
status_print_running(FILE *f, const struct backup_status *s, uint64_t now)
{
	double		secs = now > s->copy_started ?
			    (double)(now - s->copy_started) : 0;
	double		rate = secs > 0 ? (double)s->done / secs : 0;
	char		when[32];

	status_when(when, sizeof(when), s->run_started);
	fprintf(f, "running since %s (pid %ld): %u copied, %u skipped, %u "
	    "failed so far\n", when, s->pid, s->copied, s->skipped,
	    s->failed);
	if (s->volume[0] == '\0')
		return;
	fprintf(f, "copying %s (%u of %u): %" PRIu64 " of %" PRIu64
	    " data bytes", s->volume, s->index, s->total, s->done, s->due);
	if (rate > 0)
		fprintf(f, ", %.1f MB/s, %.0f s to go", rate / 1e6,
		    (double)(s->due - s->done) / rate);
	fprintf(f, "\n");
}

void
status_print(FILE *f, const struct backup_status *s, uint64_t now)
{
	char	when[32];

	if (s->running)
		status_print_running(f, s, now);
	else
		fprintf(f, "idle\n");
	if (s->last_ended == 0) {
		fprintf(f, "no run has ended yet\n");
		return;
	}
	status_when(when, sizeof(when), s->last_started);
	fprintf(f, "last run: started %s, %" PRIu64 " s, %u copied, %u "
	    "skipped, %u failed\n", when, s->last_ended - s->last_started,
	    s->last_copied, s->last_skipped, s->last_failed);
}

int
status_lock(const char *dir, char *err, size_t errlen)
{
	char		path[PATH_MAX], pid[32];
	ssize_t		n;
	int		fd;

	snprintf(path, sizeof(path), "%s/%s", dir, STATUS_LOCK);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "a backup run is going on (pid %s): "
		    "runs never overlap", pid[0] ? pid : "?");
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
