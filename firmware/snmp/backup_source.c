/*
 * The backup's catalog, read-only: daspool-backup writes it while the
 * subagent reads. The subagent waits for it when the backup has not
 * made it yet (said once, as for the store), and opens it again when
 * a new one is put in its place.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "objects.h"

static int
source_stat(const struct backup_source *src, struct stat *st)
{
	char	path[4096];

	snprintf(path, sizeof(path), "%s/data.mdb", src->dir);
	return stat(path, st);
}

void
backup_source_close(struct backup_source *src)
{
	catalog_close(src->catalog);
	src->catalog = NULL;
}

/* Says once per reason why it cannot be opened. */
static void
source_tell(struct backup_source *src, const char *why)
{
	if (strcmp(why, src->last_error) != 0)
		log_warnx("%s", why);
	snprintf(src->last_error, sizeof(src->last_error), "%s", why);
}

static int
source_open(struct backup_source *src, const struct stat *st)
{
	char	err[512];
	int	rc;

	if ((rc = catalog_open_readonly(src->dir, &src->catalog, err,
	    sizeof(err))) == -1) {
		source_tell(src, err);
		return -1;
	}
	if (rc == 1) {
		/* Its file is there but not its tables yet. */
		if (!src->waiting_told)
			log_info("waiting for the backup's catalog in %s",
			    src->dir);
		src->waiting_told = 1;
		return -1;
	}
	src->dev = st->st_dev;
	src->ino = st->st_ino;
	src->waiting_told = 0;
	src->last_error[0] = '\0';
	log_info("serving the backup's catalog in %s", src->dir);
	return 0;
}

int
backup_source_poll(struct backup_source *src)
{
	struct stat	st;

	if (src->dir == NULL || src->dir[0] == '\0')
		return -1;
	if (source_stat(src, &st) == -1) {
		if (src->catalog != NULL)
			log_warnx("backup catalog %s is gone", src->dir);
		else if (!src->waiting_told)
			log_info("waiting for the backup's catalog in %s",
			    src->dir);
		src->waiting_told = 1;
		backup_source_close(src);
		return -1;
	}
	if (src->catalog != NULL && (st.st_dev != src->dev ||
	    st.st_ino != src->ino)) {
		log_info("backup catalog %s was made anew: opening it again",
		    src->dir);
		backup_source_close(src);
	}
	if (src->catalog != NULL)
		return 0;
	return source_open(src, &st);
}
