/*
 * Regions: byte ranges of files or block devices, read and written with
 * pread/pwrite at the region's base offset.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/falloc.h>
#include <linux/fs.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "region.h"
#include "size.h"

struct region {
	char		 name[DSP_NAME_MAX + 1];
	char		*path;
	int		 fd;		/* -1 when unavailable */
	int		 is_blk;
	uint64_t	 base;		/* offset in the file or device */
	uint64_t	 size;
	int		 available;
	char		 reason[REGION_REASON_MAX];
};

/* Source for zero-filling; never written. */
static uint8_t region_zeroes[REGION_ZERO_CHUNK];

static void
region_unavailable(struct region *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
region_unavailable(struct region *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->available = 0;
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
}

/* "100M" unless rounding hides the difference, then exact bytes. */
static void
region_sizes(uint64_t have, uint64_t need, char *h, char *n, size_t len)
{
	size_format(have, h, len);
	size_format(need, n, len);
	if (strcmp(h, n) == 0) {
		snprintf(h, len, "%llu bytes", (unsigned long long)have);
		snprintf(n, len, "%llu bytes", (unsigned long long)need);
	}
}

static int
region_measure(struct region *r, uint64_t *total)
{
	struct stat	st;

	if (fstat(r->fd, &st) == -1) {
		region_unavailable(r, "%s: %s", r->path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		r->is_blk = 1;
		if (ioctl(r->fd, BLKGETSIZE64, total) == -1) {
			region_unavailable(r, "%s: BLKGETSIZE64: %s", r->path,
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		region_unavailable(r, "%s is not a regular file or block "
		    "device", r->path);
		return -1;
	}
	*total = (uint64_t)st.st_size;
	return 0;
}

static void
region_probe(struct region *r, uint64_t length)
{
	char		have[32], need[32];
	uint64_t	total;

	if ((r->fd = open(r->path, O_RDWR | O_CLOEXEC)) == -1) {
		region_unavailable(r, "%s: %s", r->path, strerror(errno));
		return;
	}
	if (region_measure(r, &total) == -1)
		return;
	if (length == 0) {
		if (total <= r->base) {
			region_sizes(total, r->base, have, need, sizeof(have));
			region_unavailable(r, "%s is %s, nothing left after "
			    "offset %s", r->path, have, need);
			return;
		}
		r->size = total - r->base;
	} else if (total < r->base + length) {
		region_sizes(total, r->base + length, have, need, sizeof(have));
		region_unavailable(r, "%s is %s, region needs %s", r->path,
		    have, need);
		return;
	}
	r->available = 1;
}

struct region *
region_open(const char *name, const char *path, uint64_t offset,
    uint64_t length)
{
	struct region	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->path = strdup(path)) == NULL) {
		free(r);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->fd = -1;
	r->base = offset;
	r->size = length;
	region_probe(r, length);
	return r;
}

void
region_close(struct region *r)
{
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	free(r->path);
	free(r);
}

const char *
region_name(const struct region *r)
{
	return r->name;
}

const char *
region_path(const struct region *r)
{
	return r->path;
}

uint64_t
region_offset(const struct region *r)
{
	return r->base;
}

uint64_t
region_size(const struct region *r)
{
	return r->size;
}

int
region_available(const struct region *r)
{
	return r->available;
}

const char *
region_reason(const struct region *r)
{
	return r->reason;
}

static int
region_check(const struct region *r, uint64_t off, uint64_t len, char *err,
    size_t errlen)
{
	if (!r->available) {
		snprintf(err, errlen, "region %s is unavailable: %s", r->name,
		    r->reason);
		return DSP_E_UNAVAILABLE;
	}
	if (off > r->size || len > r->size - off) {
		snprintf(err, errlen, "region %s: %llu bytes at offset %llu "
		    "go past its end (%llu bytes)", r->name,
		    (unsigned long long)len, (unsigned long long)off,
		    (unsigned long long)r->size);
		return DSP_E_RANGE;
	}
	return DSP_OK;
}

static int
region_error(const struct region *r, const char *what, uint64_t off, int e,
    char *err, size_t errlen)
{
	snprintf(err, errlen, "region %s: %s at offset %llu: %s", r->name, what,
	    (unsigned long long)off, strerror(e));
	return (e == ENOSPC || e == EDQUOT) ? DSP_E_NOSPACE : DSP_E_IO;
}

static int
region_pread(const struct region *r, uint64_t off, uint8_t *p, size_t len,
    char *err, size_t errlen)
{
	ssize_t	n;

	while (len > 0) {
		n = pread(r->fd, p, len, (off_t)(r->base + off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return region_error(r, "read", off, errno, err, errlen);
		if (n == 0) {
			snprintf(err, errlen, "region %s: %s ends before offset "
			    "%llu of the region (truncated?)", r->name, r->path,
			    (unsigned long long)off);
			return DSP_E_IO;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return DSP_OK;
}

static int
region_pwrite(const struct region *r, uint64_t off, const uint8_t *p,
    size_t len, char *err, size_t errlen)
{
	ssize_t	n;

	while (len > 0) {
		n = pwrite(r->fd, p, len, (off_t)(r->base + off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return region_error(r, "write", off,
			    n == 0 ? EIO : errno, err, errlen);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return DSP_OK;
}

int
region_read(struct region *r, uint64_t off, void *buf, size_t len, char *err,
    size_t errlen)
{
	int	rc;

	if ((rc = region_check(r, off, len, err, errlen)) != DSP_OK)
		return rc;
	return region_pread(r, off, buf, len, err, errlen);
}

int
region_write(struct region *r, uint64_t off, const void *buf, size_t len,
    char *err, size_t errlen)
{
	int	rc;

	if ((rc = region_check(r, off, len, err, errlen)) != DSP_OK)
		return rc;
	return region_pwrite(r, off, buf, len, err, errlen);
}

static int
region_zero_fill(const struct region *r, uint64_t off, uint64_t len,
    char *err, size_t errlen)
{
	size_t	n;
	int	rc;

	while (len > 0) {
		n = len < REGION_ZERO_CHUNK ? (size_t)len : REGION_ZERO_CHUNK;
		if ((rc = region_pwrite(r, off, region_zeroes, n, err,
		    errlen)) != DSP_OK)
			return rc;
		off += n;
		len -= n;
	}
	return DSP_OK;
}

/* Lets the file system or device do the zeroing; 0 if it did. */
static int
region_zero_fast(const struct region *r, uint64_t off, uint64_t len)
{
	uint64_t	range[2] = { r->base + off, len };

	if (r->is_blk) {
		/* BLKZEROOUT, not BLKDISCARD: discard need not read back
		 * as zeroes. It wants logical-block alignment. */
		if ((range[0] | range[1]) & 511)
			return -1;
		return ioctl(r->fd, BLKZEROOUT, range) == -1 ? -1 : 0;
	}
	/* Zero-range keeps the blocks the lender set aside; a punched hole
	 * would hand them back to its file system to fill. */
	if (fallocate(r->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
	    (off_t)range[0], (off_t)len) == 0)
		return 0;
	if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)range[0], (off_t)len) == 0)
		return 0;
	return -1;
}

int
region_zero(struct region *r, uint64_t off, uint64_t len, char *err,
    size_t errlen)
{
	int	rc;

	if ((rc = region_check(r, off, len, err, errlen)) != DSP_OK)
		return rc;
	if (len == 0 || region_zero_fast(r, off, len) == 0)
		return DSP_OK;
	return region_zero_fill(r, off, len, err, errlen);
}

/* Records the matches in buf[0, avail); returns 1 once max is reached. */
static int
region_scan(const uint8_t *buf, size_t avail, uint64_t base,
    const uint8_t *pat, size_t plen, uint32_t max, uint64_t *matches,
    uint32_t *count)
{
	const uint8_t	*hit;
	size_t		 i = 0;

	while (i + plen <= avail) {
		hit = memmem(buf + i, avail - i, pat, plen);
		if (hit == NULL)
			break;
		i = (size_t)(hit - buf);
		matches[(*count)++] = base + i;
		if (*count == max)
			return 1;
		i++;
	}
	return 0;
}

int
region_search(struct region *r, uint64_t off, uint64_t len,
    const uint8_t *pat, size_t plen, uint32_t max, uint8_t *scratch,
    size_t scratch_len, uint64_t *matches, uint32_t *count, uint64_t *done,
    char *err, size_t errlen)
{
	uint64_t	pos = off, end = off + len, base = off;
	size_t		keep = 0, n, avail;
	int		rc;

	*count = 0;
	*done = 0;
	if ((rc = region_check(r, off, len, err, errlen)) != DSP_OK)
		return rc;
	if (plen == 0 || max == 0) {
		snprintf(err, errlen, "region %s: search needs a pattern and "
		    "max_matches > 0", r->name);
		return DSP_E_INVALID;
	}
	if (plen > scratch_len / 2) {
		snprintf(err, errlen, "search pattern of %zu bytes is longer "
		    "than %zu", plen, scratch_len / 2);
		return DSP_E_TOOBIG;
	}
	while (pos < end) {
		/* The last plen - 1 bytes of the previous chunk stay in
		 * front, so a match across the chunk boundary is found. */
		n = scratch_len - keep;
		if (n > end - pos)
			n = (size_t)(end - pos);
		if ((rc = region_pread(r, pos, scratch + keep, n, err,
		    errlen)) != DSP_OK)
			return rc;
		pos += n;
		avail = keep + n;
		if (region_scan(scratch, avail, base, pat, plen, max, matches,
		    count)) {
			*done = matches[*count - 1] + 1 - off;
			return DSP_OK;
		}
		keep = avail < plen - 1 ? avail : plen - 1;
		memmove(scratch, scratch + avail - keep, keep);
		base += avail - keep;
	}
	*done = len;
	return DSP_OK;
}

int
region_flush(struct region *r, char *err, size_t errlen)
{
	if (!r->available) {
		snprintf(err, errlen, "region %s is unavailable: %s", r->name,
		    r->reason);
		return DSP_E_UNAVAILABLE;
	}
	if (fdatasync(r->fd) == -1)
		return region_error(r, "flush", 0, errno, err, errlen);
	return DSP_OK;
}
