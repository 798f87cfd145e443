/*
 * Region I/O without a config: bounds, a missing or short backing file
 * reported as unavailable (never dropped), regions at an offset and
 * sharing one file, search across read-chunk boundaries (checked against
 * a naive search), zeroing, and regions joined from two files (I/O,
 * zeroing and search across the boundary between the parts). Each test
 * works in a fresh mkdtemp dir.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "msg.h"
#include "proto.h"
#include "region.h"

struct fixture {
	char	dir[256];
	char	path[300];
	char	path2[300];	/* a joined region's second part */
	char	err[256];
};

static int
setup(void **state)
{
	struct fixture	*f;
	const char	*tmp = getenv("TMPDIR");

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/region_test.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/disk.img", f->dir);
	snprintf(f->path2, sizeof(f->path2), "%s/disk2.img", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 p[320];

	snprintf(p, sizeof(p), "%s/disk.img", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/disk2.img", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/fifo", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A file of len bytes, every byte fill. */
static void
make_file(const char *path, size_t len, int fill)
{
	uint8_t	*buf = malloc(len ? len : 1);
	int	 fd;

	assert_non_null(buf);
	memset(buf, fill, len);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

static void
file_read(const char *path, off_t off, void *buf, size_t len)
{
	int	fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void
test_missing_file(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	char		 want[400];
	uint8_t		 b[4];

	r = region_open("A1", f->path, 0, 1 << 20);
	assert_non_null(r);
	assert_false(region_available(r));
	snprintf(want, sizeof(want), "%s: No such file or directory", f->path);
	assert_string_equal(region_reason(r), want);
	assert_string_equal(region_name(r), "A1");
	assert_int_equal(region_size(r), 1 << 20);
	assert_int_equal(region_read(r, 0, b, sizeof(b), f->err,
	    sizeof(f->err)), DSP_E_UNAVAILABLE);
	assert_non_null(strstr(f->err, "region A1 is unavailable"));
	assert_int_equal(region_flush(r, f->err, sizeof(f->err)),
	    DSP_E_UNAVAILABLE);
	region_close(r);
}

/* What the manager is told of where a region lives. */
static void
test_backing(void **state)
{
	struct fixture		*f = *state;
	struct region_part	 parts[REGION_PARTS_MAX];
	struct region		*r;
	char			 out[MSG_BACKING_MAX + 1], want[800];
	unsigned int		 i;

	r = region_open("A1", f->path, 0, 0);
	assert_non_null(r);
	region_backing(r, out, sizeof(out));
	assert_string_equal(out, f->path);
	region_close(r);

	r = region_open("A1", f->path, 4096, 1 << 20);
	assert_non_null(r);
	region_backing(r, out, sizeof(out));
	snprintf(want, sizeof(want), "%s@4096+1048576", f->path);
	assert_string_equal(out, want);
	region_close(r);

	parts[0].path = f->path;
	parts[0].offset = 0;
	parts[0].length = 1 << 20;
	parts[1].path = f->path2;
	parts[1].offset = 512;
	parts[1].length = 0;
	r = region_open_parts("J", parts, 2);
	assert_non_null(r);
	region_backing(r, out, sizeof(out));
	snprintf(want, sizeof(want), "%s+1048576 + %s@512", f->path, f->path2);
	assert_string_equal(out, want);
	region_close(r);

	/* Too long for the field: cut, and said so. */
	for (i = 0; i < REGION_PARTS_MAX; i++) {
		parts[i].path = f->path;
		parts[i].offset = (uint64_t)i << 20;
		parts[i].length = 1 << 20;
	}
	r = region_open_parts("J", parts, REGION_PARTS_MAX);
	assert_non_null(r);
	region_backing(r, out, sizeof(out));
	assert_true(strlen(out) <= MSG_BACKING_MAX);
	assert_string_equal(out + strlen(out) - 4, " ...");
	assert_int_equal(strncmp(out, f->path, strlen(f->path)), 0);
	region_close(r);
}

static void
test_short_file(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	char		 want[400];

	make_file(f->path, 100 << 10, 0);
	r = region_open("A2", f->path, 0, 200 << 10);
	assert_false(region_available(r));
	snprintf(want, sizeof(want), "%s is 100K, region needs 200K", f->path);
	assert_string_equal(region_reason(r), want);
	region_close(r);

	/* The offset counts: 64K + 64K does not fit in 100K either. */
	r = region_open("A3", f->path, 64 << 10, 64 << 10);
	assert_false(region_available(r));
	snprintf(want, sizeof(want), "%s is 100K, region needs 128K", f->path);
	assert_string_equal(region_reason(r), want);
	region_close(r);

	/* One byte short: the odd size is shown exactly. */
	r = region_open("A4", f->path, 1, 100 << 10);
	assert_false(region_available(r));
	snprintf(want, sizeof(want), "%s is 100K, region needs 102401B",
	    f->path);
	assert_string_equal(region_reason(r), want);
	region_close(r);

	/* "The rest" starting at or past the end is nothing. */
	r = region_open("A5", f->path, 100 << 10, 0);
	assert_false(region_available(r));
	assert_non_null(strstr(region_reason(r), "nothing left"));
	region_close(r);
}

static void
test_not_regular(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	char		 fifo[320];

	r = region_open("D", f->dir, 0, 0);
	assert_false(region_available(r));
	assert_non_null(strstr(region_reason(r), "Is a directory"));
	region_close(r);

	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	r = region_open("F", fifo, 0, 0);
	assert_false(region_available(r));
	assert_non_null(strstr(region_reason(r),
	    "is not a regular file or block device"));
	region_close(r);
}

static void
test_rest_of_file(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;

	make_file(f->path, 1 << 20, 0);
	r = region_open("R", f->path, 256 << 10, 0);
	assert_true(region_available(r));
	assert_string_equal(region_reason(r), "");
	assert_int_equal(region_size(r), 768 << 10);
	assert_int_equal(region_offset(r), 256 << 10);
	region_close(r);
}

static void
test_bounds(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	uint8_t		 b[8] = { 0 };
	uint64_t	 m[4], done, zdone;
	uint32_t	 n;
	struct stat	 st;
	const size_t	 el = sizeof(f->err);

	make_file(f->path, 8192, 0);
	r = region_open("B", f->path, 4096, 4096);
	assert_true(region_available(r));
	assert_int_equal(region_read(r, 4095, b, 1, f->err, el), DSP_OK);
	assert_int_equal(region_read(r, 4095, b, 2, f->err, el), DSP_E_RANGE);
	assert_non_null(strstr(f->err, "region B"));
	assert_int_equal(region_read(r, 4096, b, 0, f->err, el), DSP_OK);
	assert_int_equal(region_read(r, 4097, b, 0, f->err, el), DSP_E_RANGE);
	assert_int_equal(region_write(r, UINT64_MAX, b, 2, f->err, el),
	    DSP_E_RANGE);
	assert_int_equal(region_write(r, 4090, b, 8, f->err, el), DSP_E_RANGE);
	assert_int_equal(region_zero(r, 1, 4096, NULL, &zdone, f->err, el),
	    DSP_E_RANGE);
	assert_int_equal(region_zero(r, 8, UINT64_MAX, NULL, &zdone, f->err,
	    el), DSP_E_RANGE);
	assert_int_equal(region_search(r, 0, 4097, (const uint8_t *)"x", 1, 4,
	    b, sizeof(b), NULL, m, &n, &done, f->err, el), DSP_E_RANGE);
	/* A refused write did not grow the file past the region. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 8192);
	region_close(r);
}

static void
test_offset_regions(void **state)
{
	struct fixture	*f = *state;
	struct region	*a, *b;
	uint8_t		 buf[16], file[12288];

	make_file(f->path, sizeof(file), '.');
	a = region_open("A", f->path, 0, 4096);
	b = region_open("B", f->path, 4096, 8192);
	assert_true(region_available(a) && region_available(b));
	assert_int_equal(region_write(b, 0, "bbbb", 4, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(region_write(b, 8188, "BBBB", 4, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(region_write(a, 4092, "aaaa", 4, f->err,
	    sizeof(f->err)), DSP_OK);
	file_read(f->path, 0, file, sizeof(file));
	assert_memory_equal(file + 4092, "aaaabbbb", 8);
	assert_memory_equal(file + 12284, "BBBB", 4);
	assert_int_equal(file[4091], '.');
	assert_int_equal(file[4100], '.');
	assert_int_equal(region_read(b, 8186, buf, 6, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_memory_equal(buf, "..BBBB", 6);
	assert_int_equal(region_flush(b, f->err, sizeof(f->err)), DSP_OK);
	region_close(a);
	region_close(b);
}

static uint32_t
naive_search(const uint8_t *d, size_t len, const uint8_t *p, size_t plen,
    uint64_t base, uint64_t *out, uint32_t max)
{
	uint32_t	n = 0;
	size_t		i;

	for (i = 0; i + plen <= len && n < max; i++)
		if (memcmp(d + i, p, plen) == 0)
			out[n++] = base + i;
	return n;
}

/* Every scratch size and pattern length against a naive search: a
 * match straddling a read-chunk boundary must be found exactly once. */
static void
test_search_chunks(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	uint8_t		 data[600], scratch[64], pat[5];
	uint64_t	 got[DSP_MAX_MATCHES], want[DSP_MAX_MATCHES], done;
	uint32_t	 n, wn;
	size_t		 i, plen, slen, off;
	int		 fd;

	/* Small alphabet: many (also overlapping) matches. */
	srandom(7);
	for (i = 0; i < sizeof(data); i++)
		data[i] = "ab"[random() % 2];
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	close(fd);
	r = region_open("S", f->path, 0, 0);
	assert_true(region_available(r));
	for (plen = 1; plen <= sizeof(pat); plen++) {
		memcpy(pat, data + 100, plen);
		for (slen = 2 * plen; slen <= sizeof(scratch); slen++) {
			off = slen % 7;
			assert_int_equal(region_search(r, off, 400, pat, plen,
			    DSP_MAX_MATCHES, scratch, slen, NULL, got, &n, &done,
			    f->err, sizeof(f->err)), DSP_OK);
			wn = naive_search(data + off, 400, pat, plen, off, want,
			    DSP_MAX_MATCHES);
			assert_int_equal(n, wn);
			assert_memory_equal(got, want, n * sizeof(got[0]));
			if (n < DSP_MAX_MATCHES)
				assert_int_equal(done, 400);
			else
				assert_int_equal(done, got[n - 1] + 1 - off);
		}
	}
	region_close(r);
}

static void
test_search_resume(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	uint8_t		 scratch[32];
	uint64_t	 m[DSP_MAX_MATCHES], done, pos = 0;
	uint32_t	 n, total = 0;
	int		 fd;

	/* "aaaaaaaaaa": "aaa" matches at 0..7, overlapping. */
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "aaaaaaaaaa", 10), 10);
	close(fd);
	r = region_open("S", f->path, 0, 10);
	/* Three at a time; each call resumes at offset + done. */
	while (pos < 10) {
		assert_int_equal(region_search(r, pos, 10 - pos,
		    (const uint8_t *)"aaa", 3, 3, scratch, sizeof(scratch), NULL,
		    m, &n, &done, f->err, sizeof(f->err)), DSP_OK);
		if (n > 0)
			assert_int_equal(m[0], total);
		total += n;
		pos += done;
	}
	assert_int_equal(total, 8);
	/* No pattern, or one longer than half the scratch buffer. */
	assert_int_equal(region_search(r, 0, 10, (const uint8_t *)"", 0, 3,
	    scratch, sizeof(scratch), NULL, m, &n, &done, f->err, sizeof(f->err)),
	    DSP_E_INVALID);
	assert_int_equal(region_search(r, 0, 10, scratch, 17, 3, scratch,
	    sizeof(scratch), NULL, m, &n, &done, f->err, sizeof(f->err)),
	    DSP_E_TOOBIG);
	/* A pattern longer than the range: searched, nothing found. */
	assert_int_equal(region_search(r, 8, 2, (const uint8_t *)"aaa", 3, 3,
	    scratch, sizeof(scratch), NULL, m, &n, &done, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(done, 2);
	region_close(r);
}

static void
test_zero(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	const size_t	 len = 3 << 20;
	uint8_t		*file = malloc(len + 8192);
	uint64_t	 zdone;
	size_t		 i;

	assert_non_null(file);
	make_file(f->path, len + 8192, 0xff);
	r = region_open("Z", f->path, 4096, len);
	/* Unaligned start and end, across several 1 MiB chunks. */
	assert_int_equal(region_zero(r, 1000, len - 3000, NULL, &zdone,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(zdone, len - 3000);
	assert_int_equal(region_zero(r, 5, 0, NULL, &zdone, f->err,
	    sizeof(f->err)), DSP_OK);
	file_read(f->path, 0, file, len + 8192);
	for (i = 0; i < len + 8192; i++) {
		int inside = i >= 4096 + 1000 && i < 4096 + len - 2000;

		if (file[i] != (inside ? 0 : 0xff))
			fail_msg("byte %zu is %#x", i, file[i]);
	}
	/* Still the same size: zeroing never grows or shrinks the file. */
	r = (region_close(r), region_open("Z", f->path, 0, 0));
	assert_int_equal(region_size(r), len + 8192);
	region_close(r);
	free(file);
}

/* Whether the file system of path tells holes (SEEK_DATA on a file
 * with no data says so); if not, every range maps as data. */
static int
holes_known(const char *path)
{
	int	fd, known;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	known = lseek(fd, 0, SEEK_DATA) == -1;
	close(fd);
	return known;
}

/* A sparse file of 4 MiB with 64K of data at 1 MiB, and a region of it
 * from 4K on: hole, data, hole; max runs cut the map short; a second
 * part of another file joins its runs. */
static void
test_map(void **state)
{
	struct fixture		*f = *state;
	struct region		*r;
	struct region_part	 parts[2] = {
		{ f->path, 4096, 2 << 20 },
		{ f->path2, 0, 0 },
	};
	struct msg_run		 runs[8];
	uint8_t			 data[65536];
	uint32_t		 n;
	uint64_t		 done;
	int			 fd, holes = holes_known(f->path);

	memset(data, 'd', sizeof(data));
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	assert_int_equal(pwrite(fd, data, sizeof(data), 1 << 20),
	    (ssize_t)sizeof(data));
	close(fd);
	r = region_open("M", f->path, 4096, 0);
	assert_int_equal(region_map(r, 0, region_size(r), runs, 8, &n, &done,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(done, region_size(r));
	if (!holes) {
		assert_int_equal(n, 1);
		assert_int_equal(runs[0].flags, 0);
		region_close(r);
		return;
	}
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].flags, DSP_RUN_HOLE);
	assert_int_equal(runs[0].length, (1 << 20) - 4096);
	assert_int_equal(runs[1].flags, 0);
	assert_int_equal(runs[1].length, sizeof(data));
	assert_int_equal(runs[2].flags, DSP_RUN_HOLE);
	assert_int_equal(runs[2].length, (3 << 20) - sizeof(data));
	/* One run at most: the first, and done says how far it went. */
	assert_int_equal(region_map(r, 0, region_size(r), runs, 1, &n, &done,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(done, (1 << 20) - 4096);
	/* Inside the data, and past the end. */
	assert_int_equal(region_map(r, (1 << 20) - 4096 + 100, 50, runs, 8,
	    &n, &done, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].flags, 0);
	assert_int_equal(runs[0].length, 50);
	assert_int_equal(region_map(r, region_size(r) - 1, 2, runs, 8, &n,
	    &done, f->err, sizeof(f->err)), DSP_E_RANGE);
	region_close(r);
	/* Joined: the first 2M of it (hole, data, hole), then a second
	 * file that is all hole: its hole joins the last. */
	fd = open(f->path2, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	r = region_open_parts("MJ", parts, 2);
	assert_int_equal(region_map(r, 0, region_size(r), runs, 8, &n, &done,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(n, 3);
	assert_int_equal(runs[2].flags, DSP_RUN_HOLE);
	assert_int_equal(runs[2].length, (2 << 20) - ((1 << 20) - 4096) -
	    sizeof(data) + (1 << 20));
	region_close(r);
}

/*
 * Region J: the last 4K of disk.img after 4K, then disk2.img from 1K to
 * its end (3K): 7K with the boundary between the parts at 4096.
 */
static struct region *
joined_open(struct fixture *f)
{
	struct region_part	parts[2] = {
		{ f->path, 4096, 4096 },
		{ f->path2, 1024, 0 },
	};

	return region_open_parts("J", parts, 2);
}

static void
test_joined_io(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	uint8_t		 buf[16], file[8192];
	uint64_t	 zdone;
	const size_t	 el = sizeof(f->err);

	make_file(f->path, 8192, '.');
	make_file(f->path2, 4096, ',');
	r = joined_open(f);
	assert_true(region_available(r));
	assert_int_equal(region_size(r), 7 << 10);
	assert_int_equal(region_part_count(r), 2);
	assert_string_equal(region_path(r), f->path);
	/* Split at the boundary: 4 bytes in each file. */
	assert_int_equal(region_write(r, 4092, "aaaabbbb", 8, f->err, el),
	    DSP_OK);
	file_read(f->path, 0, file, 8192);
	assert_memory_equal(file + 8188, "aaaa", 4);
	assert_int_equal(file[8187], '.');
	file_read(f->path2, 0, file, 4096);
	assert_memory_equal(file + 1024, "bbbb", 4);
	assert_int_equal(file[1023], ',');
	assert_int_equal(file[1028], ',');
	assert_int_equal(region_read(r, 4090, buf, 12, f->err, el), DSP_OK);
	assert_memory_equal(buf, "..aaaabbbb,,", 12);
	/* The last byte is the end of the second file. */
	assert_int_equal(region_write(r, 7167, "z", 1, f->err, el), DSP_OK);
	file_read(f->path2, 4095, file, 1);
	assert_int_equal(file[0], 'z');
	/* Past the sum of the parts is refused, in any part's terms. */
	assert_int_equal(region_read(r, 7167, buf, 2, f->err, el),
	    DSP_E_RANGE);
	assert_non_null(strstr(f->err, "region J"));
	assert_int_equal(region_write(r, 7168, buf, 1, f->err, el),
	    DSP_E_RANGE);
	assert_int_equal(region_zero(r, 4000, 4000, NULL, &zdone, f->err,
	    el), DSP_E_RANGE);
	assert_int_equal(region_flush(r, f->err, el), DSP_OK);
	region_close(r);
}

static void
test_joined_zero(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	uint8_t		 a[8192], b[4096];
	uint64_t	 zdone;
	size_t		 i;

	make_file(f->path, sizeof(a), 0xff);
	make_file(f->path2, sizeof(b), 0xff);
	r = joined_open(f);
	assert_int_equal(region_zero(r, 4000, 1000, NULL, &zdone, f->err,
	    sizeof(f->err)), DSP_OK);
	file_read(f->path, 0, a, sizeof(a));
	file_read(f->path2, 0, b, sizeof(b));
	for (i = 0; i < sizeof(a); i++)
		if (a[i] != (i >= 4096 + 4000 ? 0 : 0xff))
			fail_msg("disk.img byte %zu is %#x", i, a[i]);
	/* 904 of the 1000 bytes land in the second part, after its 1K. */
	for (i = 0; i < sizeof(b); i++)
		if (b[i] != (i >= 1024 && i < 1024 + 904 ? 0 : 0xff))
			fail_msg("disk2.img byte %zu is %#x", i, b[i]);
	region_close(r);
}

static void
test_joined_search(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	uint8_t		 scratch[64];
	uint64_t	 m[4], done;
	uint32_t	 n;

	make_file(f->path, 8192, 0);
	make_file(f->path2, 4096, 0);
	r = joined_open(f);
	/* "needle" with "nee" in the first part and "dle" in the second. */
	assert_int_equal(region_write(r, 4093, "needle", 6, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(region_search(r, 0, region_size(r),
	    (const uint8_t *)"needle", 6, 4, scratch, sizeof(scratch), NULL,
	    m, &n, &done, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m[0], 4093);
	assert_int_equal(done, region_size(r));
	/* Also when the search starts right at the straddling match. */
	assert_int_equal(region_search(r, 4093, 6, (const uint8_t *)"needle",
	    6, 4, scratch, 12, NULL, m, &n, &done, f->err, sizeof(f->err)),
	    DSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m[0], 4093);
	region_close(r);
}

/* Every scratch size against a naive search of a region whose parts
 * meet at 300: matches across the part and chunk boundaries alike. */
static void
test_joined_search_chunks(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	struct region_part parts[2] = {
		{ f->path, 0, 300 },
		{ f->path2, 0, 0 },
	};
	uint8_t		 data[600], scratch[48];
	uint64_t	 got[DSP_MAX_MATCHES], want[DSP_MAX_MATCHES], done;
	uint32_t	 n, wn;
	size_t		 i, slen;
	int		 fd;

	srandom(11);
	for (i = 0; i < sizeof(data); i++)
		data[i] = "ab"[random() % 2];
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, data, 300), 300);
	close(fd);
	fd = open(f->path2, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, data + 300, 300), 300);
	close(fd);
	r = region_open_parts("J", parts, 2);
	assert_int_equal(region_size(r), sizeof(data));
	for (slen = 8; slen <= sizeof(scratch); slen++) {
		assert_int_equal(region_search(r, 290, 20, data + 297, 4,
		    DSP_MAX_MATCHES, scratch, slen, NULL, got, &n, &done, f->err,
		    sizeof(f->err)), DSP_OK);
		wn = naive_search(data + 290, 20, data + 297, 4, 290, want,
		    DSP_MAX_MATCHES);
		assert_true(wn > 0);
		assert_int_equal(n, wn);
		assert_memory_equal(got, want, n * sizeof(got[0]));
	}
	region_close(r);
}

/* A slicer that lets a long operation run a given number of slices. */
struct slices {
	int	left;
	int	asked;
};

static int
slices_go_on(void *arg)
{
	struct slices	*sl = arg;

	sl->asked++;
	return sl->left-- > 0;
}

/*
 * Long operations stop between slices when told: zeroing and search of
 * a 200 MiB sparse region, stopped after the first slice, report how
 * far they got, and zeroing did not touch the rest.
 */
static void
test_sliced_stop(void **state)
{
	struct fixture		*f = *state;
	struct region		*r;
	struct slices		 sl = { 0, 0 };
	struct region_slicer	 slicer = { slices_go_on, &sl };
	const uint64_t		 len = 200ULL << 20;
	uint8_t			*scratch = malloc(1 << 20), b;
	uint64_t		 m[4], done;
	uint32_t		 n;
	int			 fd;

	assert_non_null(scratch);
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(pwrite(fd, "x", 1, (off_t)(len - 1)), 1);
	close(fd);
	r = region_open("L", f->path, 0, 0);
	assert_int_equal(region_zero(r, 0, len - 1, &slicer, &done, f->err,
	    sizeof(f->err)), DSP_E_STALE);
	assert_int_equal(done, REGION_SLICE_BYTES);
	assert_non_null(strstr(f->err, "stopped after 67108864 of"));
	assert_int_equal(region_read(r, len - 1, &b, 1, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(b, 'x');
	sl.left = 0;
	assert_int_equal(region_search(r, 0, len, (const uint8_t *)"x", 1, 4,
	    scratch, 1 << 20, &slicer, m, &n, &done, f->err,
	    sizeof(f->err)), DSP_E_STALE);
	assert_int_equal(n, 0);
	assert_true(done > 0 && done < len);
	/* Let it go on: the whole range, one match at the end. */
	sl.left = 1000;
	assert_int_equal(region_search(r, 0, len, (const uint8_t *)"x", 1, 4,
	    scratch, 1 << 20, &slicer, m, &n, &done, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(m[0], len - 1);
	assert_true(sl.asked >= 3);
	region_close(r);
	free(scratch);
}

static void
test_joined_missing(void **state)
{
	struct fixture	*f = *state;
	struct region	*r;
	struct region_part parts[REGION_PARTS_MAX + 1];
	char		 want[400];
	uint8_t		 b[4];

	make_file(f->path, 8192, 0);
	r = joined_open(f);
	assert_false(region_available(r));
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    f->path2);
	assert_string_equal(region_reason(r), want);
	/* The second part was "the rest": the size cannot be counted. */
	assert_int_equal(region_size(r), 0);
	assert_int_equal(region_read(r, 0, b, sizeof(b), f->err,
	    sizeof(f->err)), DSP_E_UNAVAILABLE);
	assert_int_equal(region_flush(r, f->err, sizeof(f->err)),
	    DSP_E_UNAVAILABLE);
	region_close(r);

	/* A short part names itself, and the configured sizes add up. */
	make_file(f->path2, 2048, 0);
	parts[0] = (struct region_part){ f->path, 0, 8192 };
	parts[1] = (struct region_part){ f->path2, 1024, 2048 };
	r = region_open_parts("J", parts, 2);
	assert_false(region_available(r));
	snprintf(want, sizeof(want), "%s is 2K, part needs 3K", f->path2);
	assert_string_equal(region_reason(r), want);
	assert_int_equal(region_size(r), 8192 + 2048);
	region_close(r);

	/* No parts, or more than the limit: refused outright. */
	assert_null(region_open_parts("J", parts, 0));
	assert_null(region_open_parts("J", parts, REGION_PARTS_MAX + 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_short_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rest_of_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offset_regions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_chunks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_resume, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_joined_io, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_joined_zero, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_joined_search, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_joined_search_chunks,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sliced_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_joined_missing, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
