/*
 * Which copies and tapes retention lets go (retention.h).
 */
#include "retention.h"

struct newer {
	uint64_t	id, time;
	unsigned int	count;
};

static int
count_newer(const struct catalog_copy *c, void *arg)
{
	struct newer	*n = arg;

	if (c->id != n->id && (c->time > n->time ||
	    (c->time == n->time && c->id > n->id)))
		n->count++;
	return 0;
}

int
retention_expired(struct catalog *cat, const struct retention *r,
    const struct catalog_copy *c, time_t now)
{
	struct newer	n = { c->id, c->time, 0 };

	if ((uint64_t)now < c->time ||
	    (uint64_t)now - c->time <= (uint64_t)r->keep_days * 86400)
		return 0;
	if (catalog_each(cat, c->volume, count_newer, &n) != 0)
		return -1;
	return n.count >= (unsigned int)r->keep_copies;
}

struct tape_check {
	struct catalog		*cat;
	const struct retention	*r;
	time_t			 now;
	uint64_t		 held;
	int			 error;
};

static int
check_copy(const struct catalog_copy *c, void *arg)
{
	struct tape_check	*t = arg;
	int			 rc = retention_expired(t->cat, t->r, c, t->now);

	if (rc == 1)
		return 0;
	t->error = rc == -1;
	t->held = c->id;
	return 1;
}

int
retention_tape_free(struct catalog *cat, const struct retention *r,
    const char *label, time_t now, uint64_t *held)
{
	struct tape_check	t = { cat, r, now, 0, 0 };

	if (catalog_each_on_tape(cat, label, check_copy, &t) != 0 || t.error)
		return -1;
	*held = t.held;
	return t.held == 0;
}
