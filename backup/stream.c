/*
 * A copy's tape file across tapes (stream.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stream.h"

static int __attribute__((format(printf, 2, 3)))
stream_fail(struct tape_stream *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int
stream_used(const struct tape_stream *s, const char *label)
{
	unsigned int	i;

	for (i = 0; i < s->nparts; i++)
		if (strcmp(s->parts[i].label, label) == 0)
			return 1;
	return 0;
}

/* Whether the tape may be taken in this pass (scratch: the reserve's). */
static int
stream_may_take(const struct tape_stream *s, const struct tape_slot *t,
    int scratch)
{
	int	is_scratch = s->policy.scratch != NULL &&
		    s->policy.scratch(s->policy.arg, t->label);

	return tape_slot_has_room(t) && !stream_used(s, t->label) &&
	    is_scratch == scratch;
}

/* A labelled tape with room this stream has not used, scratch or not:
 * its slot, or 0. */
static unsigned int
stream_pick(struct tape_stream *s, int loaded_first, int scratch)
{
	struct tape_slot	slots[TAPE_SLOTS_MAX];
	unsigned int		n, i, loaded = tape_loaded(s->lib);

	if (tape_inventory(s->lib, slots, &n) == -1)
		return 0;
	/* A capacity of 0 is unknown (a real drive): such a tape has room
	 * until a write to it comes back short. */
	if (loaded_first && loaded > 0 && loaded <= n &&
	    stream_may_take(s, &slots[loaded - 1], scratch))
		return loaded;
	for (i = 0; i < n; i++)
		if (stream_may_take(s, &slots[i], scratch))
			return i + 1;
	return 0;
}

/* A full tape retention lets go, the oldest: its slot, or 0. */
static unsigned int
stream_pick_recycled(struct tape_stream *s)
{
	struct tape_slot	slots[TAPE_SLOTS_MAX];
	unsigned int		n, i, best = 0;
	uint64_t		age, best_age = UINT64_MAX;

	if (s->policy.recycle == NULL ||
	    tape_inventory(s->lib, slots, &n) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (slots[i].full && slots[i].label[0] != '\0' &&
		    !stream_used(s, slots[i].label) &&
		    s->policy.recycle(s->policy.arg, slots[i].label, 0, &age) ==
		    1 &&
		    age < best_age) {
			best = i + 1;
			best_age = age;
		}
	if (best == 0)
		return 0;
	/* Taken: its copies go, and a new label of the same name erases
	 * it. */
	s->policy.recycle(s->policy.arg, slots[best - 1].label, 1, &age);
	if (tape_label(s->lib, best, slots[best - 1].label) == -1)
		return 0;
	return best;
}

/* Loads the next tape and opens its next file as a new part. */
static int
stream_next(struct tape_stream *s, int loaded_first)
{
	struct tape_slot	slots[TAPE_SLOTS_MAX];
	struct stream_part	*p;
	unsigned int		slot, n;

	if (s->nparts == STREAM_PARTS_MAX)
		return stream_fail(s, "a copy spans at most %d tapes",
		    STREAM_PARTS_MAX);
	if ((slot = stream_pick(s, loaded_first, 0)) == 0 &&
	    (slot = stream_pick(s, loaded_first, 1)) == 0 &&
	    (slot = stream_pick_recycled(s)) == 0)
		return stream_fail(s, "no labelled tape with room is left in "
		    "the library, and none that retention lets go");
	if ((slot != tape_loaded(s->lib) && tape_load(s->lib, slot) == -1) ||
	    tape_append(s->lib) == -1 ||
	    tape_inventory(s->lib, slots, &n) == -1)
		return stream_fail(s, "%s", tape_error(s->lib));
	p = &s->parts[s->nparts++];
	memset(p, 0, sizeof(*p));
	snprintf(p->label, sizeof(p->label), "%s", slots[slot - 1].label);
	p->file = slots[slot - 1].files;
	return 0;
}

int
stream_open(struct tape_stream *s, struct tape_library *lib,
    const struct stream_policy *policy)
{
	memset(s, 0, sizeof(*s));
	s->lib = lib;
	if (policy != NULL)
		s->policy = *policy;
	return stream_next(s, 1);
}

int
stream_write(void *arg, const void *buf, size_t len)
{
	struct tape_stream	*s = arg;
	const uint8_t		*p = buf;
	ssize_t			 n;

	while (len > 0) {
		if ((n = tape_write(s->lib, p, len)) == -1)
			return stream_fail(s, "%s", tape_error(s->lib));
		s->parts[s->nparts - 1].bytes += (uint64_t)n;
		s->bytes += (uint64_t)n;
		p += n;
		len -= (size_t)n;
		/* The end of the tape: mark it, go on on the next. */
		if (len > 0 && (tape_mark(s->lib) == -1 ||
		    stream_next(s, 0) == -1))
			return s->err[0] ? -1 : stream_fail(s, "%s",
			    tape_error(s->lib));
	}
	return 0;
}

int
stream_close(struct tape_stream *s)
{
	if (tape_mark(s->lib) == -1)
		return stream_fail(s, "%s", tape_error(s->lib));
	return 0;
}
