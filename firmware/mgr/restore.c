/*
 * daspool-mgr --restore FILE: the manager starts from a copy of its
 * store. The copy is checked first (an LMDB file, this schema version,
 * every table). A store already in state_dir is refused unless forced,
 * and then kept beside as data.mdb.before-restore-TIME, never deleted.
 * The copy reaches its place as a copy is made: written under a
 * temporary name, fsync'ed, renamed, so a crash leaves either the old
 * state or the whole copy.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "mgr.h"
#include "size.h"
#include "store.h"
#include "store_copy.h"

#define RESTORE_BUF	(1024 * 1024)

/* LMDB holds a shared lock on the first byte of lock.mdb while the
 * environment is open in any process. */
static int
restore_in_use(const char *state_dir, char *err, size_t errlen)
{
	struct flock	fl;
	char		path[PATH_MAX];
	int		fd, rc;

	snprintf(path, sizeof(path), "%s/lock.mdb", state_dir);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 1;
	rc = fcntl(fd, F_GETLK, &fl);
	close(fd);
	if (rc == 0 && fl.l_type == F_UNLCK)
		return 0;
	snprintf(err, errlen, "cannot restore: the store in %s is open in "
	    "process %ld (a manager running on it?); stop it first", state_dir,
	    rc == 0 ? (long)fl.l_pid : -1L);
	return -1;
}

static int
restore_same_file(const char *a, const char *b)
{
	struct stat	sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
restore_check(const char *file, const char *state_dir, int force, char *err,
    size_t errlen)
{
	struct store_info	info;
	char			data[PATH_MAX], why[512], used[32];
	size_t			i;

	if (store_copy_check(file, &info, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cannot restore: %s", why);
		return -1;
	}
	snprintf(data, sizeof(data), "%s/data.mdb", state_dir);
	if (restore_same_file(file, data)) {
		snprintf(err, errlen, "cannot restore: %s is the store of %s "
		    "itself", file, state_dir);
		return -1;
	}
	if (access(data, F_OK) == 0) {
		if (!force) {
			snprintf(err, errlen, "cannot restore: %s already holds "
			    "a store (data.mdb); add --force to keep it there "
			    "as data.mdb.before-restore-TIME and restore the "
			    "copy", state_dir);
			return -1;
		}
		if (restore_in_use(state_dir, err, errlen) == -1)
			return -1;
	}
	for (i = 0; i < STORE_TABLES; i++)
		if (strcmp(info.tables[i].name, "volumes") == 0)
			break;
	size_format(info.map_used, used, sizeof(used));
	log_info("%s: a copy of the store, schema %u, %s, volumes: %llu", file,
	    info.schema, used, i < STORE_TABLES ?
	    (unsigned long long)info.tables[i].entries : 0ULL);
	return 0;
}

/* link + unlink: never over an older one of the same name. */
static int
restore_aside(const char *state_dir, char *aside, size_t asidelen, char *err,
    size_t errlen)
{
	char		data[PATH_MAX], stamp[STORE_COPY_NAME_LEN], lock[PATH_MAX];
	time_t		now = time(NULL);

	snprintf(data, sizeof(data), "%s/data.mdb", state_dir);
	/* store-20261201T163000Z.mdb without its "store-" and ".mdb". */
	store_copy_name(now, stamp, sizeof(stamp));
	snprintf(aside, asidelen, "%s/data.mdb.before-restore-%.16s",
	    state_dir, stamp + 6);
	if (link(data, aside) == -1 || unlink(data) == -1) {
		snprintf(err, errlen, "cannot restore: cannot keep %s as %s: "
		    "%s", data, aside, strerror(errno));
		return -1;
	}
	/* Its reader table belongs to the old store; LMDB makes a new one. */
	snprintf(lock, sizeof(lock), "%s/lock.mdb", state_dir);
	(void)unlink(lock);
	return 0;
}


/* from -> to, fsync'ed; to is new (O_EXCL). */
static int
restore_copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	char	*buf;
	ssize_t	 n;
	int	 in, out = -1, rc;

	if ((buf = malloc(RESTORE_BUF)) == NULL) {
		snprintf(err, errlen, "cannot restore: out of memory");
		return -1;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	while ((n = read(in, buf, RESTORE_BUF)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || fdio_write_all(out, buf, (size_t)n) == -1)
			goto fail;
	}
	if (fsync(out) == -1)
		goto fail;
	rc = close(out);
	out = -1;
	if (rc == -1)
		goto fail;
	close(in);
	free(buf);
	return 0;
fail:
	snprintf(err, errlen, "cannot restore: copying %s to %s: %s", from, to,
	    strerror(errno));
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	(void)unlink(to);
	free(buf);
	return -1;
}

static int
restore_place(const char *file, const char *state_dir, char *err,
    size_t errlen)
{
	char	tmp[PATH_MAX], data[PATH_MAX];
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s/.data.mdb.restore", state_dir);
	snprintf(data, sizeof(data), "%s/data.mdb", state_dir);
	(void)unlink(tmp);
	if (restore_copy_file(file, tmp, err, errlen) == -1)
		return -1;
	if (rename(tmp, data) == -1) {
		snprintf(err, errlen, "cannot restore: renaming %s to %s: %s",
		    tmp, data, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	if ((fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1)
		log_warn("restore: syncing %s", state_dir);
	if (fd != -1)
		close(fd);
	return 0;
}

int
restore_store(const char *file, const char *state_dir, uint64_t map_size,
    int force, char *err, size_t errlen)
{
	struct store	*s;
	char		 aside[PATH_MAX], data[PATH_MAX];

	if (restore_check(file, state_dir, force, err, errlen) == -1)
		return -1;
	if (mkdir(state_dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot restore: cannot create %s: %s",
		    state_dir, strerror(errno));
		return -1;
	}
	aside[0] = '\0';
	snprintf(data, sizeof(data), "%s/data.mdb", state_dir);
	if (access(data, F_OK) == 0 &&
	    restore_aside(state_dir, aside, sizeof(aside), err, errlen) == -1)
		return -1;
	if (restore_place(file, state_dir, err, errlen) == -1)
		return -1;
	/* Opened once for real: the audit trail says where it came from. */
	if (store_open(&s, state_dir, 0, (size_t)map_size, err, errlen) != 0)
		return -1;
	if (store_copy_restored(s, file, (uint64_t)time(NULL), err,
	    errlen) == -1) {
		store_close(s);
		return -1;
	}
	store_close(s);
	log_info("the store in %s is restored from %s%s%s", state_dir, file,
	    aside[0] ? "; the store found there is kept as " : "", aside);
	return 0;
}
