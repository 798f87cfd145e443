/*
 * `mtx status` read line by line (mtx_status.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mtx_status.h"

#define MTX_LINE_MAX	512
/* Larger than any library's element count, small enough to add. */
#define MTX_NUMBER_MAX	1000000U

struct mtx_parse {
	struct mtx_status	*st;
	unsigned int		 lineno;
	const char		*line;
	int			 header;
	char			*err;
	size_t			 errlen;
};

static int __attribute__((format(printf, 2, 3)))
mtx_fail(struct mtx_parse *p, const char *fmt, ...)
{
	char	why[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "mtx status, line %u (\"%.80s\"): %s",
	    p->lineno, p->line, why);
	return -1;
}

/* Skips the literal word at *s: 1, or 0 when it is not there. */
static int
mtx_skip(const char **s, const char *word)
{
	size_t	len = strlen(word);

	if (strncmp(*s, word, len) != 0)
		return 0;
	*s += len;
	return 1;
}

/* A decimal number at *s: 0, or -1 when there is none or it is huge. */
static int
mtx_number(const char **s, unsigned int *out)
{
	const char	*q = *s;
	unsigned int	 v = 0;

	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++)
		if ((v = v * 10 + (unsigned)(*q - '0')) > MTX_NUMBER_MAX)
			return -1;
	*s = q;
	*out = v;
	return 0;
}

/* "VolumeTag = TAG" or "VolumeTag=TAG" (one field): the tag, trimmed. */
static int
mtx_tag_value(struct mtx_parse *p, const char *field, size_t len,
    char *out)
{
	const char	*eq = memchr(field, '=', len), *end = field + len;

	if (eq == NULL)
		return mtx_fail(p, "a volume tag without '='");
	for (eq++; eq < end && *eq == ' '; eq++)
		;
	while (end > eq && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - eq > MTX_TAG_MAX)
		return mtx_fail(p, "a volume tag longer than %d characters",
		    MTX_TAG_MAX);
	memcpy(out, eq, (size_t)(end - eq));
	out[end - eq] = '\0';
	return 0;
}

/* The ":VolumeTag=...:AlternateVolumeTag=..." fields after a status. */
static int
mtx_tags(struct mtx_parse *p, const char *s, struct mtx_element *e)
{
	const char	*field, *next;
	size_t		 len;

	for (; (s = strchr(s, ':')) != NULL; s = next) {
		field = s + 1;
		next = strchr(field, ':');
		len = next != NULL ? (size_t)(next - field) : strlen(field);
		while (len > 0 && *field == ' ') {
			field++;
			len--;
		}
		if (strncmp(field, "VolumeTag", 9) == 0 &&
		    mtx_tag_value(p, field, len, e->tag) == -1)
			return -1;
		if (strncmp(field, "AlternateVolumeTag", 18) == 0 &&
		    mtx_tag_value(p, field, len, e->alt_tag) == -1)
			return -1;
		if (next == NULL)
			break;
	}
	return 0;
}

/* "  Storage Changer /dev/sg3:1 Drives, 24 Slots ( 1 Import/Export )" */
static int
mtx_header(struct mtx_parse *p, const char *s)
{
	struct mtx_status	*st = p->st;
	const char		*drives = strstr(s, " Drives, ");

	while (drives != NULL && drives > s && drives[-1] >= '0' &&
	    drives[-1] <= '9')
		drives--;
	if (drives == NULL || drives == s || drives[-1] != ':' ||
	    mtx_number(&drives, &st->ndrives) == -1 ||
	    !mtx_skip(&drives, " Drives, ") ||
	    mtx_number(&drives, &st->nslots) == -1 ||
	    !mtx_skip(&drives, " Slots ( ") ||
	    mtx_number(&drives, &st->nimport_export) == -1)
		return mtx_fail(p, "malformed counts of drives and slots");
	if (st->ndrives > MTX_DRIVES_MAX)
		return mtx_fail(p, "%u drives, at most %d are known",
		    st->ndrives, MTX_DRIVES_MAX);
	if (st->nslots > TAPE_SLOTS_MAX)
		return mtx_fail(p, "%u slots, at most %d are known",
		    st->nslots, TAPE_SLOTS_MAX);
	p->header = 1;
	return 0;
}

/* After "Data Transfer Element": " N:..." or, from old mtx with one
 * drive, ":..." alone. */
static int
mtx_drive(struct mtx_parse *p, const char *s)
{
	struct mtx_element	*e;
	unsigned int		 n = 0;

	if (mtx_skip(&s, " ") && mtx_number(&s, &n) == -1)
		return mtx_fail(p, "malformed drive number");
	if (*s != ':')
		return mtx_fail(p, "no ':' after the drive number");
	if (n >= p->st->ndrives)
		return mtx_fail(p, "drive %u, but the changer has %u", n,
		    p->st->ndrives);
	e = &p->st->drives[n];
	s++;
	if (mtx_skip(&s, "Empty"))
		return 0;
	if (!mtx_skip(&s, "Full"))
		return mtx_fail(p, "the drive is neither Empty nor Full");
	e->full = 1;
	if (mtx_skip(&s, " (Storage Element ")) {
		if (mtx_number(&s, &e->source) == -1 || e->source == 0 ||
		    !mtx_skip(&s, " Loaded)"))
			return mtx_fail(p, "malformed slot of the loaded tape");
		if (e->source > p->st->nslots)
			return mtx_fail(p, "loaded from slot %u, but the changer "
			    "has %u", e->source, p->st->nslots);
	}
	return mtx_tags(p, s, e);
}

/* After "Storage Element ": "S:..." or "S IMPORT/EXPORT:...". */
static int
mtx_slot(struct mtx_parse *p, const char *s)
{
	struct mtx_element	*e;
	unsigned int		 n;

	if (mtx_number(&s, &n) == -1 || n == 0)
		return mtx_fail(p, "malformed slot number");
	if (n > p->st->nslots)
		return mtx_fail(p, "slot %u, but the changer has %u", n,
		    p->st->nslots);
	e = &p->st->slots[n - 1];
	e->import_export = mtx_skip(&s, " IMPORT/EXPORT");
	if (!mtx_skip(&s, ":"))
		return mtx_fail(p, "no ':' after the slot number");
	if (mtx_skip(&s, "Empty"))
		return 0;
	if (!mtx_skip(&s, "Full"))
		return mtx_fail(p, "the slot is neither Empty nor Full");
	e->full = 1;
	return mtx_tags(p, s, e);
}

static int
mtx_line(struct mtx_parse *p, const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (mtx_skip(&s, "Storage Changer "))
		return mtx_header(p, s);
	if (strncmp(s, "Data Transfer Element", 21) != 0 &&
	    strncmp(s, "Storage Element ", 16) != 0)
		return 0;
	if (!p->header)
		return mtx_fail(p, "an element before the \"Storage Changer\" "
		    "line");
	if (mtx_skip(&s, "Data Transfer Element"))
		return mtx_drive(p, s);
	mtx_skip(&s, "Storage Element ");
	return mtx_slot(p, s);
}

int
mtx_status_parse(const char *text, struct mtx_status *st, char *err,
    size_t errlen)
{
	struct mtx_parse	 p = { st, 0, "", 0, err, errlen };
	char			 line[MTX_LINE_MAX];
	const char		*nl;
	size_t			 len;

	memset(st, 0, sizeof(*st));
	for (; *text != '\0'; text = nl != NULL ? nl + 1 : text + len) {
		nl = strchr(text, '\n');
		len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		/* A line longer than any mtx prints is cut, not refused. */
		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ?
		    len : sizeof(line) - 1), text);
		line[strcspn(line, "\r")] = '\0';
		p.lineno++;
		p.line = line;
		if (mtx_line(&p, line) == -1)
			return -1;
	}
	if (!p.header) {
		snprintf(err, errlen, "mtx status printed no \"Storage "
		    "Changer\" line");
		return -1;
	}
	return 0;
}
