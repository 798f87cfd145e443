/*
 * pax archives with GNU sparse members, format 1.0 (tar.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"

#define TAR_OCTAL_SIZE_MAX	077777777777ULL	/* 11 octal digits */

static const uint8_t	tar_zeroes[TAR_BLOCK];

void
tar_init(struct tar *t, tar_write_fn fn, void *arg, uint64_t mtime)
{
	memset(t, 0, sizeof(*t));
	t->write = fn;
	t->arg = arg;
	t->mtime = mtime;
}

static int
tar_put(struct tar *t, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (t->write(t->arg, buf, len) == -1)
		return -1;
	t->bytes += len;
	return 0;
}

/* Zeroes up to the next block boundary after n bytes. */
static int
tar_pad(struct tar *t, uint64_t n)
{
	size_t	rest = (size_t)(n % TAR_BLOCK);

	return rest == 0 ? 0 : tar_put(t, tar_zeroes, TAR_BLOCK - rest);
}

static void
tar_octal(char *field, size_t width, uint64_t v)
{
	snprintf(field, width, "%0*" PRIo64, (int)width - 1, v);
}

/* A size too large for 11 octal digits goes in base 256 (GNU), and in
 * the pax header for other readers. */
static void
tar_size_field(char *field, uint64_t v)
{
	int	i;

	if (v <= TAR_OCTAL_SIZE_MAX) {
		tar_octal(field, 12, v);
		return;
	}
	memset(field, 0, 12);
	field[0] = (char)0x80;
	for (i = 11; i > 3; i--, v >>= 8)
		field[i] = (char)(v & 0xff);
}

/* A ustar header block: type '0' (file) or 'x' (pax header). */
static int
tar_header(struct tar *t, const char *name, char type, uint64_t size)
{
	char		 h[TAR_BLOCK];
	unsigned int	 sum = 0;
	size_t		 i;

	memset(h, 0, sizeof(h));
	snprintf(h, 100, "%s", name);
	tar_octal(h + 100, 8, 0644);
	tar_octal(h + 108, 8, 0);
	tar_octal(h + 116, 8, 0);
	tar_size_field(h + 124, size);
	tar_octal(h + 136, 12, t->mtime);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 5);
	memcpy(h + 297, "root", 5);
	/* The checksum counts its own field as eight blanks. */
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += (uint8_t)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return tar_put(t, h, sizeof(h));
}

/* One pax record, "LEN key=value\n", LEN counting itself. */
static size_t
tar_record(char *out, size_t cap, const char *key, const char *value)
{
	size_t	body = strlen(key) + strlen(value) + 3, len = body, digits;
	int	n;

	for (;;) {
		n = snprintf(NULL, 0, "%zu", len);
		digits = (size_t)n;
		if (body + digits == len)
			break;
		len = body + digits;
	}
	if (len >= cap)
		return 0;
	snprintf(out, cap, "%zu %s=%s\n", len, key, value);
	return len;
}

static int
tar_pax(struct tar *t, const char *name, const char *const *kv, size_t n)
{
	char	recs[4 * (TAR_NAME_MAX + 64)], hname[100];
	size_t	len = 0, r, i;

	for (i = 0; i + 1 < n; i += 2) {
		if ((r = tar_record(recs + len, sizeof(recs) - len, kv[i],
		    kv[i + 1])) == 0)
			return -1;
		len += r;
	}
	snprintf(hname, sizeof(hname), "PaxHeaders/%.80s", name);
	if (tar_header(t, hname, 'x', len) == -1 || tar_put(t, recs, len) ==
	    -1 || tar_pad(t, len) == -1)
		return -1;
	return 0;
}

int
tar_file(struct tar *t, const char *name, const void *data, size_t len)
{
	const char	*kv[] = { "path", name };

	if (strlen(name) > TAR_NAME_MAX ||
	    (strlen(name) >= 100 && tar_pax(t, name, kv, 2) == -1) ||
	    tar_header(t, name, '0', len) == -1 || tar_put(t, data, len) == -1)
		return -1;
	return tar_pad(t, len);
}

/* The regions with the closing empty one at size when the image ends
 * in a hole (it sets the extracted file's length). */
static size_t
tar_map_count(const struct tar_region *r, size_t n, uint64_t size)
{
	return n == 0 || r[n - 1].offset + r[n - 1].length < size ? n + 1 : n;
}

static int
tar_map_entry(char *out, size_t cap, size_t *len, uint64_t a, uint64_t b)
{
	int	n = snprintf(out == NULL ? NULL : out + *len,
		    out == NULL ? 0 : cap - *len, "%" PRIu64 "\n%" PRIu64 "\n",
		    a, b);

	if (n < 0 || (out != NULL && (size_t)n >= cap - *len))
		return -1;
	*len += (size_t)n;
	return 0;
}

/* Writes the map into out (NULL: only counts): its length, or 0. */
static size_t
tar_map(char *out, size_t cap, const struct tar_region *r, size_t n,
    uint64_t size)
{
	size_t	len = 0, i;
	int	k;

	k = snprintf(out, out == NULL ? 0 : cap, "%zu\n",
	    tar_map_count(r, n, size));
	if (k < 0 || (out != NULL && (size_t)k >= cap))
		return 0;
	len = (size_t)k;
	for (i = 0; i < n; i++)
		if (tar_map_entry(out, cap, &len, r[i].offset,
		    r[i].length) == -1)
			return 0;
	if (tar_map_count(r, n, size) > n &&
	    tar_map_entry(out, cap, &len, size, 0) == -1)
		return 0;
	return len;
}

size_t
tar_sparse_map_len(const struct tar_region *r, size_t n, uint64_t size)
{
	return tar_map(NULL, 0, r, n, size);
}

/* The regions must be ascending, apart and inside size. */
static int
tar_regions_ok(const struct tar_region *r, size_t n, uint64_t size,
    uint64_t *data)
{
	uint64_t	end = 0;
	size_t		i;

	*data = 0;
	for (i = 0; i < n; i++) {
		if (r[i].offset < end || r[i].length > size ||
		    r[i].offset > size - r[i].length)
			return 0;
		end = r[i].offset + r[i].length;
		*data += r[i].length;
	}
	return 1;
}

int
tar_sparse_begin(struct tar *t, const char *name, uint64_t size,
    const struct tar_region *regions, size_t count)
{
	char		 fake[100], real[32], total[32];
	char		*map;
	const char	*kv[12];
	size_t		 maplen, mapblocks, n = 0;
	uint64_t	 data, member;
	int		 rc = -1;

	if (strlen(name) > TAR_NAME_MAX ||
	    !tar_regions_ok(regions, count, size, &data) ||
	    (maplen = tar_sparse_map_len(regions, count, size)) == 0)
		return -1;
	mapblocks = (maplen + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	member = mapblocks + data;
	snprintf(real, sizeof(real), "%" PRIu64, size);
	snprintf(total, sizeof(total), "%" PRIu64, member);
	/* What a tar without sparse support extracts instead. */
	snprintf(fake, sizeof(fake), "GNUSparseFile.0/%.80s", name);
	kv[n++] = "GNU.sparse.major";
	kv[n++] = "1";
	kv[n++] = "GNU.sparse.minor";
	kv[n++] = "0";
	kv[n++] = "GNU.sparse.name";
	kv[n++] = name;
	kv[n++] = "GNU.sparse.realsize";
	kv[n++] = real;
	if (member > TAR_OCTAL_SIZE_MAX) {
		kv[n++] = "size";
		kv[n++] = total;
	}
	if ((map = calloc(1, mapblocks + 1)) == NULL)
		return -1;
	if (tar_map(map, mapblocks + 1, regions, count, size) == maplen &&
	    tar_pax(t, fake, kv, n) == 0 &&
	    tar_header(t, fake, '0', member) == 0 &&
	    tar_put(t, map, mapblocks) == 0) {
		t->left = data;
		t->written = mapblocks;
		rc = 0;
	}
	free(map);
	return rc;
}

int
tar_data(struct tar *t, const void *buf, size_t len)
{
	if (len > t->left || tar_put(t, buf, len) == -1)
		return -1;
	t->left -= len;
	t->written += len;
	return 0;
}

int
tar_sparse_end(struct tar *t)
{
	if (t->left != 0)
		return -1;
	return tar_pad(t, t->written);
}

int
tar_finish(struct tar *t)
{
	if (tar_put(t, tar_zeroes, TAR_BLOCK) == -1 ||
	    tar_put(t, tar_zeroes, TAR_BLOCK) == -1)
		return -1;
	return 0;
}
