/*
 * Tape files read back (untar.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "untar.h"

#define UNTAR_PAX_MAX	8192
#define UNTAR_PIECE	(256U * 1024U)
#define UNTAR_REGIONS	(1024U * 1024U)

struct untar {
	untar_read_fn		 read;
	void			*rarg;
	const struct untar_fns	*fns;
	uint64_t		 at;		/* bytes read */
	char			*err;
	size_t			 errlen;
	uint8_t			*piece;
};

static int
untar_fail(struct untar *u, const char *what)
{
	snprintf(u->err, u->errlen, "tape file at byte %" PRIu64 ": %s",
	    u->at, what);
	return -1;
}

static int
untar_get(struct untar *u, void *buf, size_t len)
{
	int	rc = u->read(u->rarg, buf, len);

	if (rc == 0)
		u->at += len;
	return rc;
}

static int
untar_skip_pad(struct untar *u, uint64_t n)
{
	uint8_t	pad[TAR_BLOCK];
	size_t	rest = (size_t)(n % TAR_BLOCK);

	return rest == 0 ? 0 : untar_get(u, pad, TAR_BLOCK - rest);
}

static int
untar_octal(const char *f, size_t width, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if ((uint8_t)f[0] == 0x80) {
		for (i = 4; i < width; i++)
			v = v << 8 | (uint8_t)f[i];
		*out = v;
		return 0;
	}
	for (i = 0; i < width && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	if (i == 0 || (i < width && f[i] != '\0' && f[i] != ' '))
		return -1;
	*out = v;
	return 0;
}

static int
untar_checksum_ok(const uint8_t *h)
{
	unsigned int	sum = 0;
	uint64_t	want;
	size_t		i;

	for (i = 0; i < TAR_BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	return untar_octal((const char *)h + 148, 8, &want) == 0 &&
	    want == sum;
}

int
untar_is_member(const uint8_t block[TAR_BLOCK], const char *name)
{
	return untar_checksum_ok(block) && memcmp(block + 257, "ustar", 5) ==
	    0 && strncmp((const char *)block, name, 100) == 0;
}

/* The pax records we write: name, sparse name and size, size. */
static int
untar_pax(struct untar *u, uint64_t len, struct untar_member *m,
    uint64_t *size)
{
	char		*recs, *p, *end, *eq;
	unsigned long	 rl;

	if (len > UNTAR_PAX_MAX || (recs = calloc(1, len + 1)) == NULL)
		return untar_fail(u, "a pax header too long");
	if (untar_get(u, recs, len) != 0 || untar_skip_pad(u, len) != 0) {
		free(recs);
		return untar_fail(u, "cut inside a pax header");
	}
	for (p = recs; p < recs + len; p += rl) {
		rl = *p >= '0' && *p <= '9' ? strtoul(p, &end, 10) : 0;
		if (rl == 0 || rl > (unsigned long)(recs + len - p) ||
		    *end != ' ' ||
		    p[rl - 1] != '\n' || (eq = strchr(end, '=')) == NULL ||
		    eq > p + rl) {
			free(recs);
			return untar_fail(u, "a malformed pax record");
		}
		p[rl - 1] = '\0';
		*eq = '\0';
		if (strcmp(end + 1, "GNU.sparse.name") == 0 ||
		    strcmp(end + 1, "path") == 0)
			snprintf(m->name, sizeof(m->name), "%s", eq + 1);
		else if (strcmp(end + 1, "GNU.sparse.realsize") == 0) {
			m->size = strtoull(eq + 1, NULL, 10);
			m->sparse = 1;
		} else if (strcmp(end + 1, "size") == 0)
			*size = strtoull(eq + 1, NULL, 10);
	}
	free(recs);
	return 0;
}

/* Newlines in [p, p + n). */
static size_t
untar_lines(const char *p, size_t n)
{
	const char	*end = p + n;
	size_t		 c = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c;
}

/* A decimal number and its newline, from *p on, before end. */
static int
untar_number(char **p, const char *end, uint64_t *out)
{
	uint64_t	v = 0;
	char		*q = *p;

	if (q >= end || *q < '0' || *q > '9')
		return -1;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (q >= end || *q != '\n')
		return -1;
	*out = v;
	*p = q + 1;
	return 0;
}

/*
 * The sparse map: its regions, and its length (whole blocks: it is
 * padded to one). Blocks are read until they hold its count and every
 * pair, each number on a line of its own.
 */
static int
untar_sparse_map(struct untar *u, struct tar_region **r, size_t *n,
    uint64_t *maplen)
{
	char		*text = NULL, *p, *grown;
	size_t		 len = 0, lines = 0, i;
	uint64_t	 count = 0;

	*r = NULL;
	do {
		if (len >= 64 * TAR_BLOCK + UNTAR_REGIONS / 8 ||
		    (grown = realloc(text, len + TAR_BLOCK + 1)) == NULL)
			goto bad;
		text = grown;
		if (untar_get(u, text + len, TAR_BLOCK) != 0)
			goto bad;
		text[len + TAR_BLOCK] = '\0';
		lines += untar_lines(text + len, strnlen(text + len,
		    TAR_BLOCK));
		len += TAR_BLOCK;
		if (lines >= 1 && count == 0)
			count = strtoull(text, NULL, 10);
	} while (lines < 1 + 2 * count);
	if (count > UNTAR_REGIONS ||
	    (*r = calloc(count ? count : 1, sizeof(**r))) == NULL)
		goto bad;
	p = text;
	if (untar_number(&p, text + len, &count) != 0)
		goto bad;
	for (i = 0; i < count; i++)
		if (untar_number(&p, text + len, &(*r)[i].offset) != 0 ||
		    untar_number(&p, text + len, &(*r)[i].length) != 0)
			goto bad;
	free(text);
	*n = (size_t)count;
	*maplen = len;
	return 0;
bad:
	free(text);
	free(*r);
	return untar_fail(u, "a bad sparse map");
}

/* The data of [offset, offset + len) of the member, piece by piece. */
static int
untar_data(struct untar *u, uint64_t offset, uint64_t len)
{
	size_t	n;

	while (len > 0) {
		n = len < UNTAR_PIECE ? (size_t)len : UNTAR_PIECE;
		if (untar_get(u, u->piece, n) != 0)
			return untar_fail(u, "the data is cut short");
		if (u->fns->data != NULL &&
		    u->fns->data(u->fns->arg, offset, u->piece, n) != 0)
			return -1;
		offset += n;
		len -= n;
	}
	return 0;
}

/* Regions ascending, apart, inside the file; their data in *data. */
static int
untar_regions_ok(const struct tar_region *r, size_t n, uint64_t size,
    uint64_t *data)
{
	uint64_t	end = 0;
	size_t		i;

	for (*data = 0, i = 0; i < n; i++) {
		if (r[i].offset < end || r[i].length > size ||
		    r[i].offset > size - r[i].length)
			return 0;
		end = r[i].offset + r[i].length;
		*data += r[i].length;
	}
	return 1;
}

static int
untar_sparse(struct untar *u, uint64_t member, uint64_t size)
{
	struct tar_region	*r;
	size_t			 n, i;
	uint64_t		 maplen, data;
	int			 rc = 0;

	if (untar_sparse_map(u, &r, &n, &maplen) != 0)
		return -1;
	if (!untar_regions_ok(r, n, size, &data) || maplen > member ||
	    data > member - maplen) {
		free(r);
		return untar_fail(u, "a sparse map that does not fit its "
		    "member");
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = untar_data(u, r[i].offset, r[i].length);
	free(r);
	return rc == 0 ? untar_skip_pad(u, member) : -1;
}

/* One member from its header on: 1 at the end of the archive. */
static int
untar_member(struct untar *u)
{
	uint8_t			h[TAR_BLOCK];
	struct untar_member	m;
	uint64_t		size, pax_size = 0;
	int			rc;

	memset(&m, 0, sizeof(m));
	for (;;) {
		if (untar_get(u, h, TAR_BLOCK) != 0)
			return untar_fail(u, "the archive ends without its "
			    "end blocks");
		if (h[0] == '\0')
			return 1;
		if (!untar_checksum_ok(h) ||
		    untar_octal((const char *)h + 124, 12, &size) != 0)
			return untar_fail(u, "a damaged header");
		if (h[156] != 'x')
			break;
		if (untar_pax(u, size, &m, &pax_size) != 0)
			return -1;
	}
	if (h[156] != '0' && h[156] != '\0')
		return untar_fail(u, "a member that is not a file");
	if (pax_size != 0)
		size = pax_size;
	if (m.name[0] == '\0')
		snprintf(m.name, sizeof(m.name), "%.100s", (const char *)h);
	if (!m.sparse)
		m.size = size;
	if (u->fns->begin != NULL && u->fns->begin(u->fns->arg, &m) != 0)
		return -1;
	rc = m.sparse ? untar_sparse(u, size, m.size) :
	    untar_data(u, 0, size) == 0 ? untar_skip_pad(u, size) : -1;
	if (rc != 0)
		return rc;
	return u->fns->end != NULL ? u->fns->end(u->fns->arg, &m) : 0;
}

int
untar(untar_read_fn fn, void *rarg, const struct untar_fns *fns, char *err,
    size_t errlen)
{
	struct untar	u;
	int		rc;

	memset(&u, 0, sizeof(u));
	u.read = fn;
	u.rarg = rarg;
	u.fns = fns;
	u.err = err;
	u.errlen = errlen;
	err[0] = '\0';
	if ((u.piece = malloc(UNTAR_PIECE)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((rc = untar_member(&u)) == 0)
		;
	free(u.piece);
	if (rc == -1 && err[0] == '\0')
		snprintf(err, errlen, "tape file at byte %" PRIu64 ": stopped",
		    u.at);
	return rc == 1 ? 0 : -1;
}
