/*
 * MANIFEST text, written and read back (manifest.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "buf.h"
#include "manifest.h"

#define MANIFEST_MAGIC	"daspool-backup manifest 1"

static const char *const manifest_kinds[] = {
	[MANIFEST_CLEAN] = "clean",
	[MANIFEST_FUZZY] = "fuzzy",
	[MANIFEST_SPLIT_LEG] = "split-leg",
};

const char *
manifest_kind_name(enum manifest_kind k)
{
	return (unsigned)k < 3 ? manifest_kinds[k] : "?";
}

int
manifest_alloc(struct manifest *m, uint64_t size, uint32_t chunk_size)
{
	m->size = size;
	m->chunk_size = chunk_size;
	m->chunks = chunk_size ? (size + chunk_size - 1) / chunk_size : 0;
	m->data = calloc(m->chunks ? m->chunks : 1, 1);
	m->sha = calloc(m->chunks ? m->chunks : 1, MANIFEST_SHA_LEN);
	if (m->data == NULL || m->sha == NULL) {
		manifest_free(m);
		return -1;
	}
	return 0;
}

void
manifest_free(struct manifest *m)
{
	free(m->data);
	free(m->sha);
	m->data = NULL;
	m->sha = NULL;
}

static void
manifest_hex(struct buf_writer *w, const uint8_t *sha)
{
	static const char	hex[] = "0123456789abcdef";
	char			out[2 * MANIFEST_SHA_LEN];
	int			i;

	for (i = 0; i < MANIFEST_SHA_LEN; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	buf_put_bytes(w, out, sizeof(out));
}

static void __attribute__((format(printf, 2, 3)))
manifest_line(struct buf_writer *w, const char *fmt, ...)
{
	char	line[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put_bytes(w, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
}

char *
manifest_format(const struct manifest *m, size_t *len)
{
	struct buf_writer	w;
	uint64_t		i;

	buf_writer_init(&w);
	manifest_line(&w, "%s\nvolume %s\nform %s\nsize %" PRIu64 "\n"
	    "generation %" PRIu64 "\ntime %" PRIu64 "\ncopy %s\n",
	    MANIFEST_MAGIC, m->volume, m->form, m->size, m->generation,
	    m->time, manifest_kind_name(m->kind));
	for (i = 0; i < m->extent_count; i++)
		manifest_line(&w, "extent %s %s %" PRIu64 " %" PRIu64 "\n",
		    m->extents[i].server, m->extents[i].region,
		    m->extents[i].offset, m->extents[i].length);
	manifest_line(&w, "chunk_size %u\nimage %s\n", m->chunk_size,
	    m->image);
	for (i = 0; i < m->chunks; i++) {
		manifest_line(&w, "chunk %" PRIu64 " %s", i, m->data[i] ?
		    "data " : "hole");
		if (m->data[i])
			manifest_hex(&w, m->sha[i]);
		buf_put_u8(&w, '\n');
	}
	buf_put_bytes(&w, "tree ", 5);
	manifest_hex(&w, m->tree);
	buf_put_u8(&w, '\n');
	buf_put_u8(&w, 0);
	if (w.error) {
		buf_writer_free(&w);
		return NULL;
	}
	*len = w.len - 1;
	return (char *)w.data;
}

static int
manifest_unhex(const char *s, uint8_t *sha)
{
	unsigned int	v;
	int		i;

	for (i = 0; i < MANIFEST_SHA_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		sha[i] = (uint8_t)v;
	}
	return s[2 * MANIFEST_SHA_LEN] == '\0' ? 0 : -1;
}

/* One "chunk N data SHA" or "chunk N hole" line. */
static int
manifest_chunk(struct manifest *m, const char *line, uint64_t *next)
{
	unsigned long long	n;
	char			kind[8], hex[2 * MANIFEST_SHA_LEN + 3];
	int			got;

	hex[0] = '\0';
	got = sscanf(line, "chunk %llu %7s %66s", &n, kind, hex);
	if (got < 2 || n != *next || n >= m->chunks)
		return -1;
	if (strcmp(kind, "hole") == 0 && got == 2)
		m->data[n] = 0;
	else if (strcmp(kind, "data") == 0 && got == 3 &&
	    manifest_unhex(hex, m->sha[n]) == 0)
		m->data[n] = 1;
	else
		return -1;
	(*next)++;
	return 0;
}

/* A number field of the head: 1 when the line was it. */
static int
manifest_number(const char *line, const char *key, uint64_t *out)
{
	unsigned long long	v;
	char			fmt[32];
	int			n = -1;

	snprintf(fmt, sizeof(fmt), "%s %%llu%%n", key);
	if (sscanf(line, fmt, &v, &n) != 1 || line[n] != '\0')
		return 0;
	*out = v;
	return 1;
}

static int
manifest_kind_parse(struct manifest *m, const char *name)
{
	unsigned int	k;

	for (k = 0; k < 3; k++)
		if (strcmp(name, manifest_kinds[k]) == 0) {
			m->kind = (enum manifest_kind)k;
			return 0;
		}
	return -1;
}

static int
manifest_extent(struct manifest *m, const char *line)
{
	struct manifest_extent	*e;
	unsigned long long	 a, b;
	char			 s1[DSP_NAME_MAX + 2], s2[DSP_NAME_MAX + 2];

	int			 n = -1;

	if (sscanf(line, "extent %64s %64s %llu %llu%n", s1, s2, &a, &b,
	    &n) != 4 || line[n] != '\0' ||
	    m->extent_count == DSP_MAX_EXTENTS ||
	    strlen(s1) > DSP_NAME_MAX || strlen(s2) > DSP_NAME_MAX)
		return -1;
	e = &m->extents[m->extent_count++];
	snprintf(e->server, sizeof(e->server), "%s", s1);
	snprintf(e->region, sizeof(e->region), "%s", s2);
	e->offset = a;
	e->length = b;
	return 0;
}

/* One line of the head (before the chunks). */
static int
manifest_head(struct manifest *m, const char *line)
{
	unsigned int	cs;
	int		n = -1;

	/* Each line whole: a word cut short or anything after it would
	 * not read back the same. */
	if ((sscanf(line, "volume %63s%n", m->volume, &n) == 1 ||
	    sscanf(line, "form %15s%n", m->form, &n) == 1 ||
	    sscanf(line, "image %70s%n", m->image, &n) == 1))
		return line[n] == '\0' ? 0 : -1;
	if (manifest_number(line, "size", &m->size) ||
	    manifest_number(line, "generation", &m->generation) ||
	    manifest_number(line, "time", &m->time))
		return 0;
	if (sscanf(line, "chunk_size %u%n", &cs, &n) == 1)
		return cs > 0 && line[n] == '\0' && m->data == NULL ?
		    manifest_alloc(m, m->size, cs) : -1;
	if (strncmp(line, "copy ", 5) == 0)
		return manifest_kind_parse(m, line + 5);
	if (strncmp(line, "extent ", 7) == 0)
		return manifest_extent(m, line);
	return -1;
}

/* Whether the chunk lines the size and chunk_size call for can be in
 * the rest of the text (each takes 13 bytes at least): a manifest
 * claiming more is refused before anything is allocated. */
static int
manifest_fits(const struct manifest *m, const char *line, size_t rest)
{
	unsigned int	cs;

	if (sscanf(line, "chunk_size %u", &cs) != 1 || cs == 0)
		return 0;
	return (m->size + cs - 1) / cs <= rest / 13;
}

int
manifest_parse(const char *text, size_t len, struct manifest *m, char *err,
    size_t errlen)
{
	char		 line[512];
	const char	*p = text, *end = text + len, *nl;
	uint64_t	 next = 0;
	int		 lineno = 0, done = 0, rc = 0;

	memset(m, 0, sizeof(*m));
	while (p < end && rc == 0 && !done) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || (size_t)(nl - p) >= sizeof(line)) {
			rc = -1;
			break;
		}
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		p = nl + 1;
		lineno++;
		if (lineno == 1)
			rc = strcmp(line, MANIFEST_MAGIC) == 0 ? 0 : -1;
		else if (strncmp(line, "chunk_size ", 11) == 0 &&
		    !manifest_fits(m, line, (size_t)(end - p)))
			rc = -1;
		else if (strncmp(line, "chunk ", 6) == 0)
			rc = m->data == NULL ? -1 : manifest_chunk(m, line,
			    &next);
		else if (strncmp(line, "tree ", 5) == 0) {
			rc = manifest_unhex(line + 5, m->tree);
			done = 1;
		}
		else
			rc = manifest_head(m, line);
	}
	if (rc == 0 && (!done || m->data == NULL || next != m->chunks)) {
		snprintf(err, errlen, "MANIFEST ends early (after line %d)",
		    lineno);
		manifest_free(m);
		return -1;
	}
	if (rc == 0 && (m->volume[0] == '\0' || m->form[0] == '\0' ||
	    m->image[0] == '\0')) {
		snprintf(err, errlen, "MANIFEST has no volume, form or image "
		    "line");
		manifest_free(m);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "MANIFEST line %d is not understood: "
		    "%.80s", lineno, line);
		manifest_free(m);
		return -1;
	}
	return 0;
}

/* The SHA-256 of len zero bytes. */
static void
manifest_zero_sha(uint32_t len, uint8_t out[MANIFEST_SHA_LEN])
{
	static const uint8_t		zeroes[4096];
	mbedtls_sha256_context		ctx;
	uint32_t			n;

	mbedtls_sha256_init(&ctx);
	(void)mbedtls_sha256_starts_ret(&ctx, 0);
	for (; len > 0; len -= n) {
		n = len < sizeof(zeroes) ? len : (uint32_t)sizeof(zeroes);
		(void)mbedtls_sha256_update_ret(&ctx, zeroes, n);
	}
	(void)mbedtls_sha256_finish_ret(&ctx, out);
	mbedtls_sha256_free(&ctx);
}

void
manifest_tree(const struct manifest *m, uint8_t out[MANIFEST_SHA_LEN])
{
	mbedtls_sha256_context	ctx;
	uint8_t			full[MANIFEST_SHA_LEN], last[MANIFEST_SHA_LEN];
	uint64_t		i, tail = m->size % m->chunk_size;

	manifest_zero_sha(m->chunk_size, full);
	manifest_zero_sha(tail ? (uint32_t)tail : m->chunk_size, last);
	mbedtls_sha256_init(&ctx);
	(void)mbedtls_sha256_starts_ret(&ctx, 0);
	for (i = 0; i < m->chunks; i++)
		(void)mbedtls_sha256_update_ret(&ctx, m->data[i] ? m->sha[i] :
		    i + 1 == m->chunks ? last : full, MANIFEST_SHA_LEN);
	(void)mbedtls_sha256_finish_ret(&ctx, out);
	mbedtls_sha256_free(&ctx);
}
