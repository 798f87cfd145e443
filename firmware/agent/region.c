/*
 * Regions: byte ranges of files or block devices, read and written with
 * pread/pwrite at each part's base offset. A joined region is a list of
 * parts; a region offset falls in the last part that starts at or
 * before it.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/falloc.h>
#include <linux/fs.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "region.h"
#include "region_internal.h"
#include "size.h"
#include "timeutil.h"

/* Source for zero-filling; never written. */
static uint8_t region_zeroes[REGION_ZERO_CHUNK];

/* How much of the current slice a long operation has used. */
struct region_budget {
	const struct region_slicer	*slicer;
	uint64_t			 bytes;
	int64_t				 start_ms;
};

static void
region_budget_init(struct region_budget *b, const struct region_slicer *s)
{
	b->slicer = s;
	b->bytes = 0;
	b->start_ms = timeutil_now_ms();
}

/* Counts n bytes done; at the end of a slice asks whether to go on.
 * 1 when the operation must stop. */
static int
region_budget_spend(struct region_budget *b, uint64_t n)
{
	b->bytes += n;
	if (b->bytes < REGION_SLICE_BYTES &&
	    timeutil_now_ms() - b->start_ms < REGION_SLICE_MS)
		return 0;
	b->bytes = 0;
	b->start_ms = timeutil_now_ms();
	return b->slicer != NULL && !b->slicer->go_on(b->slicer->arg);
}

static int
region_stopped(const struct region *r, const char *what, uint64_t done,
    uint64_t len, char *err, size_t errlen)
{
	snprintf(err, errlen, "region %s: %s stopped after %llu of %llu bytes",
	    r->name, what, (unsigned long long)done, (unsigned long long)len);
	return DSP_E_STALE;
}

static void
region_unavailable(struct region *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* All parts are closed: a region is lent whole or not at all. */
static void
region_unavailable(struct region *r, const char *fmt, ...)
{
	va_list		ap;
	unsigned int	i;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->available = 0;
	for (i = 0; i < r->store_count; i++) {
		if (r->stores[i].fd != -1)
			close(r->stores[i].fd);
		r->stores[i].fd = -1;
	}
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
region_measure(struct region *r, struct region_store *s, uint64_t *total)
{
	struct stat	st;

	if (fstat(s->fd, &st) == -1) {
		region_unavailable(r, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		s->is_blk = 1;
		if (ioctl(s->fd, BLKGETSIZE64, total) == -1) {
			region_unavailable(r, "%s: BLKGETSIZE64: %s", s->path,
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		region_unavailable(r, "%s is not a regular file or block "
		    "device", s->path);
		return -1;
	}
	*total = (uint64_t)st.st_size;
	return 0;
}

/* Opens one part and sets its size; -1 made the region unavailable. */
static int
region_probe_store(struct region *r, struct region_store *s,
    uint64_t length)
{
	const char	*what = r->store_count > 1 ? "part" : "region";
	char		 have[32], need[32];
	uint64_t	 total;

	if ((s->fd = open(s->path, O_RDWR | O_CLOEXEC)) == -1) {
		region_unavailable(r, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	if (region_measure(r, s, &total) == -1)
		return -1;
	if (length == 0) {
		if (total <= s->base) {
			region_sizes(total, s->base, have, need, sizeof(have));
			region_unavailable(r, "%s is %s, nothing left after "
			    "offset %s", s->path, have, need);
			return -1;
		}
		s->size = total - s->base;
	} else if (total < s->base + length) {
		region_sizes(total, s->base + length, have, need, sizeof(have));
		region_unavailable(r, "%s is %s, %s needs %s", s->path, have,
		    what, need);
		return -1;
	}
	return 0;
}

static void
region_probe(struct region *r, const struct region_part *parts)
{
	struct region_store	*s;
	uint64_t		 size = 0;
	unsigned int		 i;

	for (i = 0; i < r->store_count; i++) {
		s = &r->stores[i];
		if (region_probe_store(r, s, parts[i].length) == -1)
			return;
		s->start = size;
		if (size + s->size < size) {
			region_unavailable(r, "region %s: its parts add up to "
			    "more than 2^64 bytes", r->name);
			return;
		}
		size += s->size;
	}
	r->size = size;
	r->available = 1;
}

/* What region_size() says until the parts are measured. */
static uint64_t
region_configured_size(const struct region_part *parts, unsigned int count)
{
	uint64_t	size = 0;
	unsigned int	i;

	for (i = 0; i < count; i++) {
		if (parts[i].length == 0 || size + parts[i].length < size)
			return 0;
		size += parts[i].length;
	}
	return size;
}

struct region *
region_open_parts(const char *name, const struct region_part *parts,
    unsigned int count)
{
	struct region	*r;
	unsigned int	 i;

	if (count == 0 || count > REGION_PARTS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (i = 0; i < count; i++) {
		r->stores[i].fd = -1;
		r->stores[i].base = parts[i].offset;
		r->stores[i].size = parts[i].length;
		r->store_count = i + 1;
		if ((r->stores[i].path = strdup(parts[i].path)) == NULL) {
			region_close(r);
			return NULL;
		}
	}
	r->size = region_configured_size(parts, count);
	region_probe(r, parts);
	return r;
}

struct region *
region_open(const char *name, const char *path, uint64_t offset,
    uint64_t length)
{
	struct region_part	part;

	/* The part only borrows path: region_open_parts() copies it. */
	part.path = (char *)path;
	part.offset = offset;
	part.length = length;
	return region_open_parts(name, &part, 1);
}

void
region_close(struct region *r)
{
	unsigned int	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->store_count; i++) {
		if (r->stores[i].fd != -1)
			close(r->stores[i].fd);
		free(r->stores[i].path);
	}
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
	return r->stores[0].path;
}

uint64_t
region_offset(const struct region *r)
{
	return r->stores[0].base;
}

unsigned int
region_part_count(const struct region *r)
{
	return r->store_count;
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

void
region_backing(const struct region *r, char *out, size_t len)
{
	char		part[PATH_MAX + 64];
	size_t		used = 0, n, at;
	unsigned int	i;

	out[0] = '\0';
	for (i = 0; i < r->store_count; i++) {
		n = (size_t)snprintf(part, sizeof(part), "%s%s",
		    i ? " + " : "", r->stores[i].path);
		if (r->stores[i].base != 0)
			n += (size_t)snprintf(part + n, sizeof(part) - n,
			    "@%llu", (unsigned long long)r->stores[i].base);
		if (r->stores[i].size != 0)
			n += (size_t)snprintf(part + n, sizeof(part) - n,
			    "+%llu", (unsigned long long)r->stores[i].size);
		if (used + n >= len) {
			/* As much as fits, then said: not cut silently. */
			at = used < len - 5 ? used : len - 5;
			memcpy(out + at, part, len - 5 - at);
			memcpy(out + len - 5, " ...", 5);
			return;
		}
		memcpy(out + used, part, n + 1);
		used += n;
	}
}

int
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

/*
 * The part holding region offset off (< r->size), and in *n how many of
 * the len bytes from there it holds: the rest go to the next part.
 */
const struct region_store *
region_piece(const struct region *r, uint64_t off, uint64_t len,
    uint64_t *n)
{
	const struct region_store	*s;
	unsigned int			 i = r->store_count - 1;

	while (i > 0 && r->stores[i].start > off)
		i--;
	s = &r->stores[i];
	*n = s->start + s->size - off;
	if (*n > len)
		*n = len;
	return s;
}

static int
region_error(const struct region *r, const char *what, uint64_t off, int e,
    char *err, size_t errlen)
{
	snprintf(err, errlen, "region %s: %s at offset %llu: %s", r->name, what,
	    (unsigned long long)off, strerror(e));
	return (e == ENOSPC || e == EDQUOT) ? DSP_E_NOSPACE : DSP_E_IO;
}

/* off is region-relative (for the message); it lies within s. */
static int
region_store_pread(const struct region *r, const struct region_store *s,
    uint64_t off, uint8_t *p, size_t len, char *err, size_t errlen)
{
	ssize_t	n;

	while (len > 0) {
		n = pread(s->fd, p, len, (off_t)(s->base + off - s->start));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return region_error(r, "read", off, errno, err, errlen);
		if (n == 0) {
			snprintf(err, errlen, "region %s: %s ends before offset "
			    "%llu of the region (truncated?)", r->name, s->path,
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
region_store_pwrite(const struct region *r, const struct region_store *s,
    uint64_t off, const uint8_t *p, size_t len, char *err, size_t errlen)
{
	ssize_t	n;

	while (len > 0) {
		n = pwrite(s->fd, p, len, (off_t)(s->base + off - s->start));
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

static int
region_pread(const struct region *r, uint64_t off, uint8_t *p, size_t len,
    char *err, size_t errlen)
{
	const struct region_store	*s;
	uint64_t			 n;
	int				 rc;

	while (len > 0) {
		s = region_piece(r, off, len, &n);
		if ((rc = region_store_pread(r, s, off, p, (size_t)n, err,
		    errlen)) != DSP_OK)
			return rc;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return DSP_OK;
}

static int
region_pwrite(const struct region *r, uint64_t off, const uint8_t *p,
    size_t len, char *err, size_t errlen)
{
	const struct region_store	*s;
	uint64_t			 n;
	int				 rc;

	while (len > 0) {
		s = region_piece(r, off, len, &n);
		if ((rc = region_store_pwrite(r, s, off, p, (size_t)n, err,
		    errlen)) != DSP_OK)
			return rc;
		p += n;
		off += n;
		len -= (size_t)n;
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

/* Writes zeroes; *done counts them, for a stop between chunks. */
static int
region_zero_fill(const struct region *r, const struct region_store *s,
    uint64_t off, uint64_t len, struct region_budget *b, uint64_t *done,
    char *err, size_t errlen)
{
	size_t	n;
	int	rc;

	while (len > 0) {
		n = len < REGION_ZERO_CHUNK ? (size_t)len : REGION_ZERO_CHUNK;
		if ((rc = region_store_pwrite(r, s, off, region_zeroes, n, err,
		    errlen)) != DSP_OK)
			return rc;
		off += n;
		len -= n;
		*done += n;
		if (len > 0 && region_budget_spend(b, n))
			return DSP_E_STALE;
	}
	return DSP_OK;
}

/* Lets the file system or device do the zeroing; 0 if it did. */
static int
region_zero_fast(const struct region_store *s, uint64_t off, uint64_t len)
{
	uint64_t	range[2] = { s->base + off - s->start, len };

	if (s->is_blk) {
		/* BLKZEROOUT, not BLKDISCARD: discard need not read back
		 * as zeroes. It wants logical-block alignment. */
		if ((range[0] | range[1]) & 511)
			return -1;
		return ioctl(s->fd, BLKZEROOUT, range) == -1 ? -1 : 0;
	}
	/* Zero-range keeps the blocks the lender set aside; a punched hole
	 * would hand them back to its file system to fill. */
	if (fallocate(s->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
	    (off_t)range[0], (off_t)len) == 0)
		return 0;
	if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)range[0], (off_t)len) == 0)
		return 0;
	return -1;
}

/*
 * Per part: a disk and a file of one region may zero differently. The
 * fast path runs a slice at a time, since a slow device can take long
 * even to zero a range.
 */
int
region_zero(struct region *r, uint64_t off, uint64_t len,
    const struct region_slicer *slicer, uint64_t *done, char *err,
    size_t errlen)
{
	const struct region_store	*s;
	struct region_budget		 b;
	uint64_t			 n, total = len;
	int				 rc;

	*done = 0;
	if ((rc = region_check(r, off, len, err, errlen)) != DSP_OK)
		return rc;
	region_budget_init(&b, slicer);
	while (len > 0) {
		s = region_piece(r, off, len, &n);
		if (n > REGION_SLICE_BYTES)
			n = REGION_SLICE_BYTES;
		if (region_zero_fast(s, off, n) == 0) {
			*done += n;
		} else if ((rc = region_zero_fill(r, s, off, n, &b, done, err,
		    errlen)) != DSP_OK) {
			if (rc == DSP_E_STALE)
				return region_stopped(r, "zeroing", *done,
				    total, err, errlen);
			return rc;
		}
		off += n;
		len -= n;
		if (len > 0 && region_budget_spend(&b, n))
			return region_stopped(r, "zeroing", *done, total, err,
			    errlen);
	}
	return DSP_OK;
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
    size_t scratch_len, const struct region_slicer *slicer,
    uint64_t *matches, uint32_t *count, uint64_t *done, char *err,
    size_t errlen)
{
	struct region_budget	b;
	uint64_t		pos = off, end = off + len, base = off;
	size_t			keep = 0, n, avail;
	int			rc;

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
	region_budget_init(&b, slicer);
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
		/* No match starts before base but those recorded. */
		if (pos < end && region_budget_spend(&b, n)) {
			*done = base - off;
			return region_stopped(r, "search", *done, len, err,
			    errlen);
		}
	}
	*done = len;
	return DSP_OK;
}

int
region_flush(struct region *r, char *err, size_t errlen)
{
	unsigned int	i;
	int		rc = DSP_OK;

	if (!r->available) {
		snprintf(err, errlen, "region %s is unavailable: %s", r->name,
		    r->reason);
		return DSP_E_UNAVAILABLE;
	}
	/* Every part even after a failure, so no part is left unsynced
	 * for want of trying; the first failure is the one reported. */
	for (i = 0; i < r->store_count; i++)
		if (fdatasync(r->stores[i].fd) == -1 && rc == DSP_OK)
			rc = region_error(r, "flush", r->stores[i].start,
			    errno, err, errlen);
	return rc;
}
