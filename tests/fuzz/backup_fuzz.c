/*
 * libFuzzer: an input is a tape file as the backup reads it back: the
 * tar reader must end cleanly on any bytes, giving pieces only inside
 * each member's size and in order; what it calls a MANIFEST is parsed,
 * and a manifest that parses is written out and parsed again the same.
 */
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "untar.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct mem {
	const uint8_t	*p;
	size_t		 len, at;
};

struct seen {
	uint64_t	size, next;
	int		sparse;
	char		*text;
	size_t		 tlen;
	int		 manifest;
};

static int
mem_read(void *arg, void *buf, size_t len)
{
	struct mem	*m = arg;

	if (m->len - m->at < len)
		return -1;
	memcpy(buf, m->p + m->at, len);
	m->at += len;
	return 0;
}

static int
on_begin(void *arg, const struct untar_member *mb)
{
	struct seen	*s = arg;

	s->size = mb->size;
	s->next = 0;
	s->sparse = mb->sparse;
	s->manifest = strcmp(mb->name, "MANIFEST") == 0;
	return 0;
}

static int
on_data(void *arg, uint64_t off, const void *buf, size_t len)
{
	struct seen	*s = arg;
	char		*grown;

	/* In order, inside the file the member extracts to. */
	if (off < s->next || off + len > s->size)
		abort();
	s->next = off + len;
	if (s->manifest && s->tlen + len < (1U << 20)) {
		if ((grown = realloc(s->text, s->tlen + len)) == NULL)
			return -1;
		s->text = grown;
		memcpy(s->text + s->tlen, buf, len);
		s->tlen += len;
	}
	return 0;
}

static void
check_manifest(const char *text, size_t len)
{
	struct manifest	 m, back;
	char		 err[256], *out;
	size_t		 olen;

	if (manifest_parse(text, len, &m, err, sizeof(err)) != 0)
		return;
	if ((out = manifest_format(&m, &olen)) != NULL) {
		if (manifest_parse(out, olen, &back, err, sizeof(err)) != 0 ||
		    back.chunks != m.chunks || back.size != m.size)
			abort();
		manifest_free(&back);
		free(out);
	}
	manifest_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mem		mem = { data, len, 0 };
	struct seen		seen;
	struct untar_fns	fns = { on_begin, on_data, NULL, &seen };
	char			err[512];

	memset(&seen, 0, sizeof(seen));
	(void)untar(mem_read, &mem, &fns, err, sizeof(err));
	if (seen.text != NULL)
		check_manifest(seen.text, seen.tlen);
	free(seen.text);
	/* The input as a MANIFEST by itself too. */
	check_manifest((const char *)data, len);
	return 0;
}
