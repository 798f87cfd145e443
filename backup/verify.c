/*
 * Copies read back from tape (verify.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "manifest.h"
#include "untar.h"
#include "verify.h"

/* The parts of one tape file, read as one stream. */
struct part_reader {
	struct tape_library		*lib;
	const struct stream_part	*parts;
	unsigned int			 n, at;
	int				 open;
	uint64_t			*bytes;		/* per part */
	int				 ran_out;
	char				 err[TAPE_ERR_MAX];
};

struct checker {
	struct part_reader	*pr;
	int			 in_image, in_manifest;
	uint64_t		 size, chunk_size, chunks;
	uint8_t			*have;		/* per chunk: read */
	uint8_t			(*sha)[MANIFEST_SHA_LEN];
	mbedtls_sha256_context	 ctx;
	uint64_t		 cur;		/* chunk being hashed */
	uint64_t		 cur_left;	/* its bytes still due */
	char			*manifest;
	size_t			 mlen;
	int			 fd;		/* restore target, or -1 */
	const char		*to_file;
	struct daspool_volume	*volume;	/* or this one */
	struct verify_result	*res;
	char			 err[512];
};

static int
part_load(struct part_reader *r)
{
	struct tape_slot	slots[TAPE_SLOTS_MAX];
	unsigned int		n, i;

	if (tape_inventory(r->lib, slots, &n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (slots[i].full &&
		    strcmp(slots[i].label, r->parts[r->at].label) == 0)
			break;
	if (i == n) {
		snprintf(r->err, sizeof(r->err), "tape %s is not in the "
		    "library", r->parts[r->at].label);
		return -1;
	}
	if ((tape_loaded(r->lib) != i + 1 && tape_load(r->lib, i + 1) != 0) ||
	    tape_seek_file(r->lib, r->parts[r->at].file) != 0) {
		snprintf(r->err, sizeof(r->err), "%s", tape_error(r->lib));
		return -1;
	}
	r->open = 1;
	return 0;
}

/* untar's reader: whole reads across the parts. */
static int
part_read(void *arg, void *buf, size_t len)
{
	struct part_reader	*r = arg;
	uint8_t			*p = buf;
	ssize_t			 n;

	while (len > 0) {
		if (!r->open && r->at == r->n) {
			r->ran_out = 1;
			snprintf(r->err, sizeof(r->err), "the tape file goes "
			    "on past its last part, %s:%u",
			    r->parts[r->n - 1].label, r->parts[r->n - 1].file);
			return -1;
		}
		if (!r->open && part_load(r) != 0)
			return -1;
		if ((n = tape_read(r->lib, p, len)) < 0) {
			snprintf(r->err, sizeof(r->err), "%s",
			    tape_error(r->lib));
			return -1;
		}
		if (n == 0) {
			r->open = 0;
			r->at++;
			continue;
		}
		r->bytes[r->at] += (uint64_t)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* After the archive's end: the rest of its part (the second zero
 * block), so the part's bytes are counted whole. */
static void
part_drain(struct part_reader *r)
{
	uint8_t	buf[4096];
	ssize_t	n;

	while (r->open && (n = tape_read(r->lib, buf, sizeof(buf))) > 0)
		r->bytes[r->at] += (uint64_t)n;
}

static int __attribute__((format(printf, 2, 3)))
check_fail(struct checker *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int
check_begin(void *arg, const struct untar_member *m)
{
	struct checker	*c = arg;

	c->in_manifest = strcmp(m->name, "MANIFEST") == 0;
	c->in_image = m->sparse;
	if (!c->in_image)
		return 0;
	c->size = m->size;
	c->chunk_size = MANIFEST_CHUNK;
	c->chunks = (m->size + c->chunk_size - 1) / c->chunk_size;
	c->have = calloc(c->chunks ? c->chunks : 1, 1);
	c->sha = calloc(c->chunks ? c->chunks : 1, MANIFEST_SHA_LEN);
	if (c->have == NULL || c->sha == NULL)
		return check_fail(c, "out of memory");
	if (c->volume != NULL) {
		if (daspool_volume_size(c->volume) < m->size)
			return check_fail(c, "volume %s has %llu bytes, the "
			    "image %llu", daspool_volume_name(c->volume),
			    (unsigned long long)daspool_volume_size(c->volume),
			    (unsigned long long)m->size);
		/* The holes must read as zeroes there too. */
		if (daspool_volume_init(c->volume) != 0)
			return check_fail(c, "zeroing volume %s: %s",
			    daspool_volume_name(c->volume),
			    daspool_volume_error(c->volume));
	}
	if (c->to_file != NULL) {
		if ((c->fd = open(c->to_file, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0644)) == -1 ||
		    ftruncate(c->fd, (off_t)m->size) == -1)
			return check_fail(c, "%s: %s", c->to_file,
			    strerror(errno));
	}
	c->cur_left = 0;
	return 0;
}

/* Hashes the image's pieces chunk by chunk (a chunk's bytes are all in
 * one region: the regions are whole chunks). */
static int
check_image(struct checker *c, uint64_t off, const uint8_t *buf, size_t len)
{
	size_t	n;

	if (c->fd != -1 && pwrite(c->fd, buf, len, (off_t)off) !=
	    (ssize_t)len)
		return check_fail(c, "%s: %s", c->to_file, strerror(errno));
	if (c->volume != NULL &&
	    daspool_volume_write(c->volume, buf, len, off) != 0)
		return check_fail(c, "writing volume %s at %llu: %s",
		    daspool_volume_name(c->volume), (unsigned long long)off,
		    daspool_volume_error(c->volume));
	while (len > 0) {
		if (c->cur_left == 0) {
			c->cur = off / c->chunk_size;
			if (off % c->chunk_size != 0 || c->cur >= c->chunks)
				return check_fail(c, "image data at byte %"
				    PRIu64 " is not at a chunk's start", off);
			c->cur_left = c->size - off < c->chunk_size ?
			    c->size - off : c->chunk_size;
			mbedtls_sha256_init(&c->ctx);
			(void)mbedtls_sha256_starts_ret(&c->ctx, 0);
		}
		n = len < c->cur_left ? len : (size_t)c->cur_left;
		(void)mbedtls_sha256_update_ret(&c->ctx, buf, n);
		c->res->bytes += n;
		buf += n;
		off += n;
		len -= n;
		if ((c->cur_left -= n) == 0) {
			(void)mbedtls_sha256_finish_ret(&c->ctx, c->sha[c->cur]);
			mbedtls_sha256_free(&c->ctx);
			c->have[c->cur] = 1;
		}
	}
	return 0;
}

static int
check_data(void *arg, uint64_t off, const void *buf, size_t len)
{
	struct checker	*c = arg;
	char		*grown;

	if (c->in_image)
		return check_image(c, off, buf, len);
	if (!c->in_manifest)
		return 0;
	if ((grown = realloc(c->manifest, c->mlen + len + 1)) == NULL)
		return check_fail(c, "out of memory");
	c->manifest = grown;
	memcpy(c->manifest + c->mlen, buf, len);
	c->mlen += len;
	return 0;
}

static int
check_end(void *arg, const struct untar_member *m)
{
	struct checker	*c = arg;

	(void)m;
	if (c->in_image && c->cur_left != 0)
		return check_fail(c, "chunk %" PRIu64 " is cut short", c->cur);
	c->in_image = c->in_manifest = 0;
	return 0;
}

/* Every chunk as the MANIFEST says: the first that is not, named. */
static int
check_against(struct checker *c, struct manifest *m)
{
	uint64_t	i;
	uint8_t		tree[MANIFEST_SHA_LEN];

	if (m->size != c->size || m->chunks != c->chunks)
		return check_fail(c, "the MANIFEST says %" PRIu64 " bytes, "
		    "the image holds %" PRIu64, m->size, c->size);
	for (i = 0; i < m->chunks; i++) {
		if (m->data[i] != c->have[i] || (m->data[i] &&
		    memcmp(m->sha[i], c->sha[i], MANIFEST_SHA_LEN) != 0))
			return check_fail(c, "chunk %" PRIu64 " (bytes %"
			    PRIu64 "-%" PRIu64 ") of %s's copy does not match "
			    "its SHA-256 in the MANIFEST", i,
			    i * m->chunk_size, (i + 1) * m->chunk_size - 1 <
			    m->size ? (i + 1) * m->chunk_size - 1 : m->size - 1,
			    m->volume);
		c->res->data_chunks += m->data[i];
	}
	manifest_tree(m, tree);
	if (memcmp(tree, m->tree, MANIFEST_SHA_LEN) != 0)
		return check_fail(c, "the MANIFEST's tree checksum does not "
		    "match its chunks");
	return 0;
}

/* The image read whole: checked against its MANIFEST. */
static int
check_manifest(struct checker *c, struct verify_result *res, char *err,
    size_t errlen)
{
	struct manifest	m;
	int		rc;

	if (c->manifest == NULL || c->have == NULL) {
		snprintf(err, errlen, "the tape file has no %s",
		    c->have == NULL ? "image" : "MANIFEST");
		return -1;
	}
	if (manifest_parse(c->manifest, c->mlen, &m, err, errlen) != 0)
		return -1;
	snprintf(res->volume, sizeof(res->volume), "%s", m.volume);
	res->size = m.size;
	res->chunks = m.chunks;
	res->time = m.time;
	res->kind = (uint8_t)m.kind;
	memcpy(res->tree, m.tree, sizeof(res->tree));
	if ((rc = check_against(c, &m)) != 0)
		snprintf(err, errlen, "%s", c->err);
	manifest_free(&m);
	return rc;
}

int
verify_copy(struct tape_library *lib, const struct stream_part *parts,
    unsigned int n, const struct restore_target *to, struct verify_result *res,
    char *err, size_t errlen)
{
	struct part_reader	pr = { lib, parts, n, 0, 0, NULL, 0, "" };
	struct untar_fns	fns;
	struct checker		c;
	char			uerr[512];
	int			rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	pr.bytes = res->part_bytes;
	c.pr = &pr;
	c.fd = -1;
	c.to_file = to != NULL ? to->file : NULL;
	c.volume = to != NULL ? to->volume : NULL;
	c.res = res;
	fns.begin = check_begin;
	fns.data = check_data;
	fns.end = check_end;
	fns.arg = &c;
	if (n == 0 || n > STREAM_PARTS_MAX)
		snprintf(err, errlen, "a copy has 1 to %d parts",
		    STREAM_PARTS_MAX);
	else if (untar(part_read, &pr, &fns, uerr, sizeof(uerr)) != 0) {
		snprintf(err, errlen, "%s", c.err[0] ? c.err : pr.err[0] ?
		    pr.err : uerr);
		res->ran_out = pr.ran_out;
	} else {
		part_drain(&pr);
		rc = check_manifest(&c, res, err, errlen);
	}
	if (c.fd != -1 && (fsync(c.fd) == -1 || close(c.fd) == -1) && rc == 0) {
		snprintf(err, errlen, "%s: %s", c.to_file, strerror(errno));
		rc = -1;
	}
	if (c.volume != NULL && rc == 0 && daspool_volume_flush(c.volume) != 0) {
		snprintf(err, errlen, "flushing volume %s: %s",
		    daspool_volume_name(c.volume),
		    daspool_volume_error(c.volume));
		rc = -1;
	}
	free(c.have);
	free(c.sha);
	free(c.manifest);
	return rc;
}
