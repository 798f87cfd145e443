/*
 * Rebuilding the catalog from the tapes (scan.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan.h"
#include "untar.h"
#include "verify.h"

/* One file on a tape: a copy's first part, or the rest of one. */
struct scan_file {
	struct stream_part	part;
	int			first;		/* begins with RESTORE.txt */
	int			taken;		/* a part of a copy found */
};

struct scan {
	struct tape_library	*lib;
	struct scan_file	*files;
	unsigned int		 n;
	/* The furthest part a copy being followed was read to. */
	struct stream_part	 furthest;
	unsigned int		 furthest_n;
	char			*err;
	size_t			 errlen;
};

static int
scan_fail(struct scan *s)
{
	snprintf(s->err, s->errlen, "%s", tape_error(s->lib));
	return -1;
}

/* Whether the file begins a copy: its first block is RESTORE.txt's. */
static int
scan_classify(struct scan *s, struct scan_file *f)
{
	uint8_t	block[TAR_BLOCK];
	size_t	got = 0;
	ssize_t	n;

	if (tape_seek_file(s->lib, f->part.file) != 0)
		return scan_fail(s);
	while (got < sizeof(block) &&
	    (n = tape_read(s->lib, block + got, sizeof(block) - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		return scan_fail(s);
	f->first = got == sizeof(block) &&
	    untar_is_member(block, "RESTORE.txt");
	return 0;
}

/* Every file of every labelled tape, in slot order. */
static int
scan_list(struct scan *s)
{
	struct tape_slot	slots[TAPE_SLOTS_MAX];
	struct scan_file	*f;
	unsigned int		ns, i, j;

	if (tape_inventory(s->lib, slots, &ns) != 0)
		return scan_fail(s);
	for (i = 0; i < ns; i++) {
		if (!slots[i].full || slots[i].label[0] == '\0' ||
		    slots[i].files == 0)
			continue;
		if (tape_load(s->lib, i + 1) != 0)
			return scan_fail(s);
		f = realloc(s->files, (s->n + slots[i].files) * sizeof(*f));
		if (f == NULL) {
			snprintf(s->err, s->errlen, "out of memory");
			return -1;
		}
		s->files = f;
		for (j = 0; j < slots[i].files; j++) {
			f = &s->files[s->n++];
			memset(f, 0, sizeof(*f));
			snprintf(f->part.label, sizeof(f->part.label), "%s",
			    slots[i].label);
			f->part.file = j;
			if (scan_classify(s, f) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * The copy begun at parts[0], its parts found: checked whole, or, when
 * the archive runs on past its last part, tried with each file that
 * begins no copy in turn. The number of its parts (res filled), or -1
 * when it is not whole (err says why).
 */
static int
scan_follow(struct scan *s, struct stream_part *parts, unsigned int n,
    struct verify_result *res, char *err, size_t errlen)
{
	unsigned int	i;
	int		got;

	if (verify_copy(s->lib, parts, n, NULL, res, err, errlen) == 0)
		return (int)n;
	if (!res->ran_out || n == STREAM_PARTS_MAX)
		return -1;
	if (n > s->furthest_n) {
		s->furthest_n = n;
		s->furthest = parts[n - 1];
	}
	for (i = 0; i < s->n; i++) {
		if (s->files[i].first || s->files[i].taken)
			continue;
		parts[n] = s->files[i].part;
		s->files[i].taken = 1;
		if ((got = scan_follow(s, parts, n + 1, res, err, errlen)) > 0)
			return got;
		s->files[i].taken = 0;
	}
	snprintf(err, errlen, "it runs off the end of %s:%u, and no file "
	    "on the tapes carries it on", s->furthest.label,
	    s->furthest.file);
	return -1;
}

/* A copy found, as the catalog keeps it. */
static void
scan_copy(const struct stream_part *parts, unsigned int n,
    const struct verify_result *res, struct catalog_copy *c)
{
	unsigned int	i;

	memset(c, 0, sizeof(*c));
	snprintf(c->volume, sizeof(c->volume), "%s", res->volume);
	c->time = res->time;
	c->kind = res->kind;
	c->state = CATALOG_OK;
	c->size = res->size;
	memcpy(c->tree, res->tree, sizeof(c->tree));
	c->nparts = (uint8_t)n;
	for (i = 0; i < n; i++) {
		c->parts[i] = parts[i];
		c->parts[i].bytes = res->part_bytes[i];
		c->stored += res->part_bytes[i];
	}
	/* Every chunk was just checked against the MANIFEST. */
	c->verified_at = (uint64_t)time(NULL);
}

/* Oldest first, so the copies are numbered in the order made. */
static int
scan_by_time(const void *a, const void *b)
{
	const struct catalog_copy	*x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

/* Each copy's first part followed to its end: the copies in *found. */
static int
scan_copies(struct scan *s, FILE *out, struct catalog_copy **found,
    struct scan_counts *counts)
{
	struct stream_part	parts[STREAM_PARTS_MAX];
	struct verify_result	res;
	char			why[512];
	unsigned int		i;
	int			n;

	if ((*found = calloc(s->n ? s->n : 1, sizeof(**found))) == NULL) {
		snprintf(s->err, s->errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < s->n; i++) {
		if (!s->files[i].first)
			continue;
		parts[0] = s->files[i].part;
		s->furthest_n = 0;
		if ((n = scan_follow(s, parts, 1, &res, why, sizeof(why))) < 0) {
			counts->broken++;
			fprintf(out, "not whole: the copy%s%s begun at %s:%u: "
			    "%s\n", res.volume[0] ? " of " : "", res.volume,
			    parts[0].label, parts[0].file, why);
			continue;
		}
		scan_copy(parts, (unsigned int)n, &res,
		    &(*found)[counts->copies++]);
	}
	qsort(*found, counts->copies, sizeof(**found), scan_by_time);
	return 0;
}

static void
scan_print(FILE *out, const struct catalog_copy *c)
{
	char		when[32];
	time_t		t = (time_t)c->time;
	struct tm	tm;
	unsigned int	i;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
	fprintf(out, "found copy %llu of %s (%s, %s), %llu bytes, on",
	    (unsigned long long)c->id, c->volume, manifest_kind_name(c->kind),
	    when, (unsigned long long)c->size);
	for (i = 0; i < c->nparts; i++)
		fprintf(out, " %s:%u", c->parts[i].label, c->parts[i].file);
	fprintf(out, "\n");
}

int
scan_library(struct tape_library *lib, struct catalog *cat, FILE *out,
    struct scan_counts *counts, char *err, size_t errlen)
{
	struct scan		 s;
	struct catalog_copy	*found = NULL;
	unsigned int		 i;
	int			 rc;

	memset(counts, 0, sizeof(*counts));
	memset(&s, 0, sizeof(s));
	s.lib = lib;
	s.err = err;
	s.errlen = errlen;
	rc = scan_list(&s);
	counts->files = s.n;
	if (rc == 0)
		rc = scan_copies(&s, out, &found, counts);
	for (i = 0; rc == 0 && i < counts->copies; i++) {
		if ((rc = catalog_add(cat, &found[i], err, errlen)) == 0)
			scan_print(out, &found[i]);
	}
	free(found);
	free(s.files);
	return rc;
}
