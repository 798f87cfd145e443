/*
 * Tape files written past the page cache (direct_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "direct_file.h"

#define DIRECT_WRITEBACK	(64ULL * 1024 * 1024)

static int
direct_put(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
direct_open(struct direct_file *d, int fd)
{
	int	flags;

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	/* tmpfs and some others refuse it: write as usual there. */
	if (fcntl(fd, F_SETFL, flags | O_DIRECT) == -1)
		return 0;
	if (posix_memalign((void **)&d->buf, DIRECT_ALIGN, DIRECT_BUFFER) !=
	    0) {
		(void)fcntl(fd, F_SETFL, flags);
		errno = ENOMEM;
		return -1;
	}
	d->direct = 1;
	return 0;
}

static int
direct_buffered(struct direct_file *d, const void *p, size_t len)
{
	if (direct_put(d->fd, p, len) == -1)
		return -1;
	/* As a drive writes as it goes: the fsync at the end then finds
	 * little left. */
	if ((d->unsynced += len) >= DIRECT_WRITEBACK) {
		(void)sync_file_range(d->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		d->unsynced = 0;
	}
	return 0;
}

int
direct_write(struct direct_file *d, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 take;

	if (!d->direct)
		return direct_buffered(d, p, len);
	while (len > 0) {
		take = DIRECT_BUFFER - d->fill < len ? DIRECT_BUFFER - d->fill :
		    len;
		memcpy(d->buf + d->fill, p, take);
		d->fill += take;
		p += take;
		len -= take;
		if (d->fill == DIRECT_BUFFER) {
			if (direct_put(d->fd, d->buf, DIRECT_BUFFER) == -1)
				return -1;
			d->fill = 0;
		}
	}
	return 0;
}

int
direct_finish(struct direct_file *d)
{
	size_t	aligned = d->fill - d->fill % DIRECT_ALIGN;
	int	flags;

	if (d->direct && d->fill > 0) {
		if (aligned > 0 && direct_put(d->fd, d->buf, aligned) == -1)
			return -1;
		/* The tail is not a whole block: written the usual way. */
		if (aligned < d->fill &&
		    ((flags = fcntl(d->fd, F_GETFL)) == -1 ||
		    fcntl(d->fd, F_SETFL, flags & ~O_DIRECT) == -1 ||
		    direct_put(d->fd, d->buf + aligned, d->fill - aligned) ==
		    -1))
			return -1;
		d->fill = 0;
	}
	return fsync(d->fd);
}

void
direct_free(struct direct_file *d)
{
	free(d->buf);
	d->buf = NULL;
	d->fill = 0;
}
