/*
 * slowio: a slow disk for the integration tests, preloaded into a
 * daemon (LD_PRELOAD). It delays pread, pwrite and fallocate on files
 * whose path contains a given string, as told by a control file that
 * the test rewrites while the daemon runs:
 *
 *	SLOWIO_CTL=/path/to/ctl		the control file
 *
 * The file holds "OPS DELAY_MS COUNT SUBSTRING": OPS is any of r (pread),
 * w (pwrite), z (fallocate); the next COUNT such calls (-1: all) on a
 * matching file each sleep DELAY_MS before they run. A missing or empty
 * file delays nothing. The file is read again whenever it changes.
 * Nothing of this is built into the daemons themselves.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct slowio {
	pthread_mutex_t	lock;
	struct timespec	mtime;
	off_t		size;
	char		ops[8];
	long		delay_ms;
	long		count;
	char		match[PATH_MAX];
};

static struct slowio	slow = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
slowio_reload(void)
{
	const char	*ctl = getenv("SLOWIO_CTL");
	struct stat	 st;
	FILE		*f;

	if (ctl == NULL || stat(ctl, &st) == -1) {
		slow.count = 0;
		return;
	}
	if (st.st_mtim.tv_sec == slow.mtime.tv_sec &&
	    st.st_mtim.tv_nsec == slow.mtime.tv_nsec && st.st_size == slow.size)
		return;
	slow.mtime = st.st_mtim;
	slow.size = st.st_size;
	slow.count = 0;
	if ((f = fopen(ctl, "r")) == NULL)
		return;
	if (fscanf(f, "%7s %ld %ld %4095s", slow.ops, &slow.delay_ms,
	    &slow.count, slow.match) != 4)
		slow.count = 0;
	fclose(f);
}

/* How long this call on fd must wait. */
static long
slowio_delay(int fd, char op)
{
	char	link[64], path[PATH_MAX];
	ssize_t	n;
	long	ms = 0;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return 0;
	path[n] = '\0';
	pthread_mutex_lock(&slow.lock);
	slowio_reload();
	if (slow.count != 0 && strchr(slow.ops, op) != NULL &&
	    strstr(path, slow.match) != NULL) {
		ms = slow.delay_ms;
		if (slow.count > 0)
			slow.count--;
	}
	pthread_mutex_unlock(&slow.lock);
	return ms;
}

static void
slowio_sleep(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) == -1)
		;
}

#define SLOWIO_NEXT(name, type)						\
	static type real;						\
	if (real == NULL)						\
		real = (type)dlsym(RTLD_NEXT, name)

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*fallocate_fn)(int, int, off_t, off_t);

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	SLOWIO_NEXT("pread", pread_fn);
	slowio_sleep(slowio_delay(fd, 'r'));
	return real(fd, buf, len, off);
}

ssize_t
pread64(int fd, void *buf, size_t len, off_t off)
{
	SLOWIO_NEXT("pread64", pread_fn);
	slowio_sleep(slowio_delay(fd, 'r'));
	return real(fd, buf, len, off);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	SLOWIO_NEXT("pwrite", pwrite_fn);
	slowio_sleep(slowio_delay(fd, 'w'));
	return real(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	SLOWIO_NEXT("pwrite64", pwrite_fn);
	slowio_sleep(slowio_delay(fd, 'w'));
	return real(fd, buf, len, off);
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
	SLOWIO_NEXT("fallocate", fallocate_fn);
	slowio_sleep(slowio_delay(fd, 'z'));
	return real(fd, mode, off, len);
}

int
fallocate64(int fd, int mode, off_t off, off_t len)
{
	SLOWIO_NEXT("fallocate64", fallocate_fn);
	slowio_sleep(slowio_delay(fd, 'z'));
	return real(fd, mode, off, len);
}
