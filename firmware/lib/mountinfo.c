/*
 * Mount infos: decoding and checking what the manager sent, keeping it
 * in state_dir/VOLUME.mount (the raw MOUNT/RENEW reply payload, decoded
 * again on load), and the public accessors.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "internal.h"
#include "log.h"
#include "ticket.h"

#define MOUNTINFO_SUFFIX	".mount"
#define MOUNTINFO_FILE_MAX	65536

static int	mountinfo_ticket_peek(struct daspool_mount *, char *, size_t);
static int	mountinfo_mkdirs(const char *, char *, size_t);
static int	mountinfo_path(char *, size_t, const char *, const char *);
static int	mountinfo_name_cmp(const void *, const void *);

/*
 * The ticket is opaque to the borrower (the agent verifies it) but its
 * head says when it was issued, to whom and what it allows: enough to
 * know when to renew it.
 */
static int
mountinfo_ticket_peek(struct daspool_mount *m, char *err, size_t errlen)
{
	struct mount_ticket	t;

	if (ticket_peek(m->info.ticket, m->info.ticket_len, &t) != DSP_OK) {
		snprintf(err, errlen, "the mount ticket of volume %s is "
		    "malformed", m->info.volume);
		return -1;
	}
	if (strcmp(t.volume, m->info.volume) != 0) {
		snprintf(err, errlen, "the mount info of volume %s carries a "
		    "ticket for volume %s", m->info.volume, t.volume);
		return -1;
	}
	memcpy(m->borrower, t.borrower, sizeof(m->borrower));
	m->mode = t.mode;
	m->issued_at = t.issued_at;
	return 0;
}

static int
mountinfo_legs_differ(const struct msg_mount_info *info)
{
	uint16_t	i;

	if (info->form != DSP_FORM_MIRROR)
		return 0;
	for (i = 1; i < info->extent_count; i++)
		if (info->extents[i].length != info->extents[0].length)
			return 1;
	return 0;
}

int
mountinfo_decode(const uint8_t *raw, size_t len, struct daspool_mount *m,
    char *err, size_t errlen)
{
	int	rc;

	m->raw = NULL;
	if ((rc = msg_decode_mount_info(raw, len, &m->info)) != DSP_OK) {
		snprintf(err, errlen, "malformed mount info (%s)",
		    dsp_status_name((uint32_t)rc));
		return DASPOOL_ERR_PROTOCOL;
	}
	/* The legs of a mirror each hold the whole volume: the map is
	 * the first leg's, the others are at the same volume offsets. */
	if (extent_map_init(&m->map, m->info.extents,
	    m->info.form == DSP_FORM_MIRROR ? 1 : m->info.extent_count) == -1 ||
	    mountinfo_legs_differ(&m->info)) {
		snprintf(err, errlen, "the mount info of volume %s has no "
		    "usable extents", m->info.volume);
		return DASPOOL_ERR_PROTOCOL;
	}
	if (m->map.size != m->info.size) {
		snprintf(err, errlen, "the mount info of volume %s gives size "
		    "%llu but its extents add up to %llu", m->info.volume,
		    (unsigned long long)m->info.size,
		    (unsigned long long)m->map.size);
		return DASPOOL_ERR_PROTOCOL;
	}
	if (mountinfo_ticket_peek(m, err, errlen) == -1)
		return DASPOOL_ERR_PROTOCOL;
	if ((m->raw = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	memcpy(m->raw, raw, len);
	m->raw_len = len;
	return 0;
}

void
mountinfo_free(struct daspool_mount *m)
{
	if (m == NULL)
		return;
	free(m->raw);
	free(m);
}

/* Renew once two thirds of the lifetime are gone. */
int
mountinfo_needs_renewal(uint64_t issued_at, uint64_t expires_at, uint64_t now)
{
	uint64_t	lifetime = 0;

	if (expires_at > issued_at)
		lifetime = expires_at - issued_at;
	return now + lifetime / 3 >= expires_at;
}

static int
mountinfo_path(char *out, size_t outlen, const char *dir, const char *volume)
{
	int	n;

	n = snprintf(out, outlen, "%s/%s%s", dir, volume, MOUNTINFO_SUFFIX);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int
mountinfo_mkdirs(const char *dir, char *err, size_t errlen)
{
	char	path[4096], c;
	size_t	i, len;

	if ((len = strlen(dir)) >= sizeof(path)) {
		snprintf(err, errlen, "state directory name too long");
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create state directory "
			    "%s: %s", path, strerror(errno));
			return -1;
		}
		path[i] = c;
	}
	return 0;
}


/*
 * Write a temporary file and rename it: a reader sees the old mount info
 * or the new one, never half of one. No fsync: the manager's table is the
 * record of the mount, and a file lost in a crash is got back by mounting
 * again, which the manager allows its borrower at any time.
 */
int
mountinfo_save(const char *dir, const struct daspool_mount *m, char *err,
    size_t errlen)
{
	char	path[4096], tmp[4096];
	int	fd;

	if (mountinfo_mkdirs(dir, err, errlen) == -1)
		return DASPOOL_ERR_SYSTEM;
	if (mountinfo_path(path, sizeof(path), dir, m->info.volume) == -1 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir,
	    m->info.volume) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "state directory name too long");
		return DASPOOL_ERR_SYSTEM;
	}
	/* mkstemp creates the file with mode 0600. */
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		return DASPOOL_ERR_SYSTEM;
	}
	if (fchmod(fd, 0600) == -1 ||
	    fdio_write_all(fd, m->raw, m->raw_len) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		return DASPOOL_ERR_SYSTEM;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		return DASPOOL_ERR_SYSTEM;
	}
	return 0;
}

int
mountinfo_load(const char *dir, const char *volume, struct daspool_mount **mp,
    char *err, size_t errlen)
{
	struct daspool_mount	*m = NULL;
	struct stat		 st;
	uint8_t			*raw = NULL;
	char			 path[4096];
	ssize_t			 n;
	int			 fd = -1, rc = DASPOOL_ERR_SYSTEM;

	*mp = NULL;
	if (!msg_name_valid(volume)) {
		snprintf(err, errlen, "invalid volume name '%s'", volume);
		return DASPOOL_ERR_INVALID;
	}
	if (mountinfo_path(path, sizeof(path), dir, volume) == -1) {
		snprintf(err, errlen, "state directory name too long");
		return DASPOOL_ERR_SYSTEM;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			snprintf(err, errlen, "volume %s is not mounted here "
			    "(no mount info in %s)", volume, dir);
			return DASPOOL_ERR_NOTMOUNTED;
		}
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return DASPOOL_ERR_SYSTEM;
	}
	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    st.st_size > MOUNTINFO_FILE_MAX) {
		snprintf(err, errlen, "%s is not a mount info file", path);
		goto fail;
	}
	if ((raw = malloc((size_t)st.st_size)) == NULL ||
	    (m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((n = read(fd, raw, (size_t)st.st_size)) != st.st_size) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    n == -1 ? strerror(errno) : "short read");
		goto fail;
	}
	if ((rc = mountinfo_decode(raw, (size_t)n, m, err, errlen)) != 0)
		goto fail;
	if (strcmp(m->info.volume, volume) != 0) {
		snprintf(err, errlen, "%s holds the mount info of volume %s",
		    path, m->info.volume);
		rc = DASPOOL_ERR_PROTOCOL;
		goto fail;
	}
	free(raw);
	close(fd);
	*mp = m;
	return 0;
fail:
	if (m != NULL)
		free(m->raw);
	free(m);
	free(raw);
	close(fd);
	return rc;
}

int
mountinfo_remove(const char *dir, const char *volume, char *err, size_t errlen)
{
	char	path[4096];

	if (mountinfo_path(path, sizeof(path), dir, volume) == -1) {
		snprintf(err, errlen, "state directory name too long");
		return DASPOOL_ERR_SYSTEM;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path,
		    strerror(errno));
		return DASPOOL_ERR_SYSTEM;
	}
	return 0;
}

static int
mountinfo_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Unreadable files are logged and skipped: one bad file should not hide
 * the other mounts. */
int
mountinfo_list(const char *dir, daspool_status_fn *fn, void *arg, char *err,
    size_t errlen)
{
	struct daspool_mount	 *m;
	struct dirent		 *de;
	DIR			 *d;
	char			**names = NULL, **p, msg[DASPOOL_ERRLEN];
	size_t			  n = 0, cap = 0, i, len, slen;
	int			  rc = 0;

	slen = strlen(MOUNTINFO_SUFFIX);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", dir,
		    strerror(errno));
		return DASPOOL_ERR_SYSTEM;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= slen ||
		    strcmp(de->d_name + len - slen, MOUNTINFO_SUFFIX) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = realloc(names, cap * sizeof(*p))) == NULL)
				goto nomem;
			names = p;
		}
		if ((names[n] = strndup(de->d_name, len - slen)) == NULL)
			goto nomem;
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(names, n, sizeof(*names), mountinfo_name_cmp);
	for (i = 0; i < n; i++) {
		if (mountinfo_load(dir, names[i], &m, msg, sizeof(msg)) != 0) {
			log_warnx("%s", msg);
			continue;
		}
		fn(m, arg);
		mountinfo_free(m);
	}
	goto done;
nomem:
	snprintf(err, errlen, "out of memory");
	rc = DASPOOL_ERR_SYSTEM;
done:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Accessors */

const char *
daspool_mount_volume(const struct daspool_mount *m)
{
	return m->info.volume;
}

const char *
daspool_mount_form(const struct daspool_mount *m)
{
	const char	*name = dsp_form_name(m->info.form);

	return name != NULL ? name : "unknown";
}

uint64_t
daspool_mount_size(const struct daspool_mount *m)
{
	return m->info.size;
}

int
daspool_mount_status(const struct daspool_mount *m)
{
	return m->info.status;
}

uint64_t
daspool_mount_generation(const struct daspool_mount *m)
{
	return m->info.generation;
}

uint64_t
daspool_mount_expires(const struct daspool_mount *m)
{
	return m->info.expires_at;
}

const char *
daspool_mount_borrower(const struct daspool_mount *m)
{
	return m->borrower;
}

int
daspool_mount_readonly(const struct daspool_mount *m)
{
	return m->mode == DSP_MODE_READONLY;
}

int
daspool_mount_extent_count(const struct daspool_mount *m)
{
	return m->info.extent_count;
}

int
daspool_mount_extent(const struct daspool_mount *m, int i,
    struct daspool_extent *out)
{
	const struct msg_extent	*e;

	if (i < 0 || i >= m->info.extent_count)
		return -1;
	e = &m->info.extents[i];
	memset(out, 0, sizeof(*out));
	memcpy(out->server, e->server, sizeof(out->server));
	memcpy(out->host, e->host, sizeof(out->host));
	out->port = e->port;
	memcpy(out->region, e->region, sizeof(out->region));
	out->offset = e->offset;
	out->length = e->length;
	return 0;
}
