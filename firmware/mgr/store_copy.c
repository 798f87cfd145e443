/*
 * Copies of the store and their rotation (store_copy.h). LMDB's
 * compacting copy walks the tables in one read transaction, so the
 * writer goes on meanwhile and the copy holds exactly one committed
 * state, without the free pages of the live file.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_copy.h"
#include "store_internal.h"

#define COPY_PREFIX	"store-"
#define COPY_SUFFIX	".mdb"
#define COPY_TMP_SUFFIX	".tmp"

/* The copies and the leftover temporary files of a directory. */
struct copy_list {
	char	(*names)[STORE_COPY_NAME_LEN];
	size_t	  count;
	size_t	  cap;
	char	(*temps)[NAME_MAX + 1];
	size_t	  ntemps;
	size_t	  tcap;
};

void
store_copy_name(time_t t, char *name, size_t namelen)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(name, namelen, COPY_PREFIX "%Y%m%dT%H%M%SZ" COPY_SUFFIX,
	    &tm) == 0)
		snprintf(name, namelen, COPY_PREFIX "00000000T000000Z"
		    COPY_SUFFIX);
}

int
store_copy_parse(const char *name, time_t *when)
{
	static const char	pattern[] = COPY_PREFIX "DDDDDDDDTDDDDDDZ"
				    COPY_SUFFIX;
	struct tm		tm;
	char			again[STORE_COPY_NAME_LEN];
	size_t			i;

	if (strlen(name) != sizeof(pattern) - 1)
		return -1;
	for (i = 0; pattern[i] != '\0'; i++)
		if (pattern[i] == 'D' ? name[i] < '0' || name[i] > '9' :
		    name[i] != pattern[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (strptime(name + strlen(COPY_PREFIX), "%Y%m%dT%H%M%SZ", &tm) ==
	    NULL)
		return -1;
	*when = timegm(&tm);
	/* 20261301 or 0230 pass strptime or timegm; not the way back. */
	store_copy_name(*when, again, sizeof(again));
	return strcmp(again, name) == 0 ? 0 : -1;
}

/* ".store-20261201T163000Z.mdb.tmp": a copy being written. */
static int
copy_is_temp(const char *name)
{
	char	inner[STORE_COPY_NAME_LEN];
	size_t	len = strlen(name), tlen = strlen(COPY_TMP_SUFFIX);
	time_t	when;

	if (name[0] != '.' || len != STORE_COPY_NAME_LEN + tlen ||
	    strcmp(name + len - tlen, COPY_TMP_SUFFIX) != 0)
		return 0;
	memcpy(inner, name + 1, STORE_COPY_NAME_LEN - 1);
	inner[STORE_COPY_NAME_LEN - 1] = '\0';
	return store_copy_parse(inner, &when) == 0;
}

static int
copy_mkdir(const char *dir, char *err, size_t errlen)
{
	struct stat	st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		store_set_err(err, errlen, "cannot create the copies' "
		    "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		store_set_err(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	return 0;
}

/* A rename is durable once its directory is. */
static int
copy_sync_dir(const char *dir)
{
	int	fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* fsync, size, close: the temporary file is whole on disk. */
static int
copy_finish(int fd, const char *tmp, uint64_t *size, char *err,
    size_t errlen)
{
	struct stat	st;

	if (fsync(fd) == -1 || fstat(fd, &st) == -1) {
		store_set_err(err, errlen, "cannot sync %s: %s", tmp,
		    strerror(errno));
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	if (close(fd) == -1) {
		store_set_err(err, errlen, "cannot close %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
store_copy_write(struct store *s, const char *dir, time_t when, char *path,
    size_t pathlen, uint64_t *size, char *err, size_t errlen)
{
	char	name[STORE_COPY_NAME_LEN], tmp[PATH_MAX], why[256];
	int	fd, rc;

	store_copy_name(when, name, sizeof(name));
	if (copy_mkdir(dir, err, errlen) == -1)
		return -1;
	if (snprintf(path, pathlen, "%s/%s", dir, name) >= (int)pathlen ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s" COPY_TMP_SUFFIX, dir,
	    name) >= (int)sizeof(tmp)) {
		store_set_err(err, errlen, "the copies' directory %s has too "
		    "long a path", dir);
		return -1;
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		store_set_err(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	if ((rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT)) != 0) {
		store_set_err(err, errlen, "cannot copy the store into %s: %s",
		    tmp, mdb_strerror(rc));
		close(fd);
		goto fail;
	}
	if (copy_finish(fd, tmp, size, err, errlen) == -1)
		goto fail;
	if (store_copy_check(tmp, NULL, why, sizeof(why)) == -1) {
		store_set_err(err, errlen, "the copy does not read back: %s",
		    why);
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		store_set_err(err, errlen, "cannot rename %s to %s: %s", tmp,
		    path, strerror(errno));
		goto fail;
	}
	/* The copy is whole either way; only its name may not survive a
	 * power loss. */
	if (copy_sync_dir(dir) == -1)
		log_warn("store copy %s: syncing %s", path, dir);
	return 0;
fail:
	(void)unlink(tmp);
	return -1;
}

int
store_copy_open(struct store **sp, const char *file, char *err, size_t errlen)
{
	struct stat	st;

	*sp = NULL;
	if (stat(file, &st) == -1) {
		store_set_err(err, errlen, "cannot read %s: %s", file,
		    strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		store_set_err(err, errlen, "%s is a directory, not a copy of "
		    "the store (name the copy's file, or the data.mdb in it)",
		    file);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		store_set_err(err, errlen, "%s is %s, not a copy of the store",
		    file, S_ISREG(st.st_mode) ? "empty" : "not a regular file");
		return -1;
	}
	/* No lock file: nobody writes a copy. */
	return store_open_env(sp, file, MDB_RDONLY | MDB_NOSUBDIR |
	    MDB_NOLOCK, 0, err, errlen);
}

int
store_copy_check(const char *file, struct store_info *info, char *err,
    size_t errlen)
{
	struct store_info	 mine;
	struct store		*s;
	int			 rc;

	if (store_copy_open(&s, file, err, errlen) == -1)
		return -1;
	rc = store_info(s, info != NULL ? info : &mine, err, errlen);
	store_close(s);
	return rc;
}

static int
copy_list_add(struct copy_list *l, const char *name, int temp)
{
	void	*p;

	if (!temp && l->count == l->cap) {
		p = reallocarray(l->names, l->cap ? l->cap * 2 : 32,
		    sizeof(*l->names));
		if (p == NULL)
			return -1;
		l->names = p;
		l->cap = l->cap ? l->cap * 2 : 32;
	} else if (temp && l->ntemps == l->tcap) {
		p = reallocarray(l->temps, l->tcap ? l->tcap * 2 : 4,
		    sizeof(*l->temps));
		if (p == NULL)
			return -1;
		l->temps = p;
		l->tcap = l->tcap ? l->tcap * 2 : 4;
	}
	if (temp)
		snprintf(l->temps[l->ntemps++], sizeof(*l->temps), "%s", name);
	else
		snprintf(l->names[l->count++], sizeof(*l->names), "%s", name);
	return 0;
}

static int
copy_name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
copy_list_free(struct copy_list *l)
{
	free(l->names);
	free(l->temps);
	memset(l, 0, sizeof(*l));
}

/* The copies of dir, oldest first, and its temporary files. */
static int
copy_list_read(const char *dir, struct copy_list *l, char *err,
    size_t errlen)
{
	DIR		*d;
	struct dirent	*e;
	time_t		 when;
	int		 rc = 0;

	memset(l, 0, sizeof(*l));
	if ((d = opendir(dir)) == NULL) {
		store_set_err(err, errlen, "cannot read the copies' directory "
		    "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (store_copy_parse(e->d_name, &when) == 0)
			rc = copy_list_add(l, e->d_name, 0);
		else if (copy_is_temp(e->d_name))
			rc = copy_list_add(l, e->d_name, 1);
	}
	closedir(d);
	if (rc == -1) {
		store_set_err(err, errlen, "out of memory listing %s", dir);
		copy_list_free(l);
		return -1;
	}
	qsort(l->names, l->count, sizeof(*l->names), copy_name_cmp);
	return 0;
}

static int
copy_remove(const char *dir, const char *name, char *err, size_t errlen)
{
	char	path[PATH_MAX], lock[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) == -1 && errno != ENOENT) {
		store_set_err(err, errlen, "cannot remove %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* mdb_stat -n and mdb_dump -n leave FILE-lock beside a copy. */
	snprintf(lock, sizeof(lock), "%s-lock", path);
	(void)unlink(lock);
	return 0;
}

int
store_copy_rotate(const char *dir, unsigned int keep, char *err,
    size_t errlen)
{
	struct copy_list	l;
	size_t			i, drop;
	int			removed = 0, failed = 0;

	if (copy_list_read(dir, &l, err, errlen) == -1)
		return -1;
	drop = l.count > keep ? l.count - keep : 0;
	for (i = 0; i < drop; i++) {
		if (copy_remove(dir, l.names[i], err, failed ? 0 : errlen) ==
		    -1) {
			failed = 1;
			continue;
		}
		log_info("removed the old store copy %s/%s", dir, l.names[i]);
		removed++;
	}
	/* Only one copy is written at a time, by the caller. */
	for (i = 0; i < l.ntemps; i++)
		if (copy_remove(dir, l.temps[i], err, failed ? 0 : errlen) ==
		    -1)
			failed = 1;
	copy_list_free(&l);
	return failed ? -1 : removed;
}

int
store_copy_newest(const char *dir, char *name, size_t namelen, time_t *when)
{
	struct copy_list	l;
	int			found;

	if (copy_list_read(dir, &l, NULL, 0) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((found = l.count > 0)) {
		snprintf(name, namelen, "%s", l.names[l.count - 1]);
		(void)store_copy_parse(name, when);
	}
	copy_list_free(&l);
	return found;
}

/*
 * A copy does not know who borrowed what since it was taken: a volume
 * lent after it holds a ticket of the generation the copy has. Every
 * volume goes one generation up, unlent and unmounted, and stays fenced
 * until its lenders acknowledge that: no such ticket outlives the
 * restore, and no volume is lent twice. Borrowers allocate again.
 */
static int
restored_unlend(struct store_txn *t, const char *name)
{
	struct volume_record	v;
	int			rc;

	if ((rc = store_volume_load(t, name, &v)) != DSP_OK)
		return rc;
	v.generation++;
	v.generation_at = t->now;
	v.borrower[0] = '\0';
	v.mounted = 0;
	return store_volume_save(t, &v);
}

int
store_copy_restored(struct store *s, const char *file, uint64_t now,
    char *err, size_t errlen)
{
	struct store_txn	 t;
	struct store_names	 rn;
	const char		*base = strrchr(file, '/');
	size_t			 i;
	int			 rc;

	if (store_begin(s, &t, 1, now, err, errlen) != DSP_OK)
		return -1;
	memset(&rn, 0, sizeof(rn));
	rn.t = &t;
	rc = store_walk_status(store_walk_volumes(&t, store_collect_volume,
	    &rn));
	for (i = 0; rc == DSP_OK && i < rn.count; i++)
		rc = restored_unlend(&t, rn.names[i]);
	free(rn.names);
	if (rc == DSP_OK)
		rc = store_audit_add(&t, "manager", "restore", "", "the store "
		    "was restored from %s; every volume unlent, one generation "
		    "up (volumes: %zu)", base != NULL ? base + 1 : file,
		    rn.count);
	return store_end(&t, rc) == DSP_OK ? 0 : -1;
}
