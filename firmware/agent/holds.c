/*
 * Leg holds (holds.h). One entry per volume written or held here, in an
 * array sorted by name: every borrower's write looks its volume up (an
 * agent may serve thousands), and the writes in flight must be counted
 * for a hold to wait them out.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holds.h"
#include "proto.h"
#include "timeutil.h"
#include "volume_index.h"

struct hold_entry {
	char		volume[DSP_NAME_MAX + 1];
	int64_t		until_ms;	/* monotonic; 0: not held */
	unsigned int	writers;	/* writes admitted and running */
};

struct holds {
	pthread_mutex_t		 lock;
	pthread_cond_t		 idle;	/* some writers went down to 0 */
	struct hold_entry	*entries;
	size_t			 count, cap;
};

struct holds *
holds_new(void)
{
	struct holds	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->idle, NULL);
	return h;
}

void
holds_free(struct holds *h)
{
	if (h == NULL)
		return;
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->lock);
	free(h->entries);
	free(h);
}

/* Index of volume, or where it would go (with *found = 0). Lock held. */
static size_t
holds_find(const struct holds *h, const char *volume, int *found)
{
	return volume_index_find(h->entries, h->count, sizeof(*h->entries),
	    volume, found);
}

/* The volume's entry or NULL. Lock held; valid until the lock is let go. */
static struct hold_entry *
holds_lookup(struct holds *h, const char *volume)
{
	size_t	i;
	int	found;

	i = holds_find(h, volume, &found);
	return found ? &h->entries[i] : NULL;
}

/* The volume's entry, made when missing; NULL out of memory. Lock held. */
static struct hold_entry *
holds_entry(struct holds *h, const char *volume)
{
	struct hold_entry	*e;
	size_t			 i, cap;
	int			 found;

	i = holds_find(h, volume, &found);
	if (found)
		return &h->entries[i];
	if (h->count == h->cap) {
		cap = h->cap ? h->cap * 2 : 16;
		if ((e = reallocarray(h->entries, cap, sizeof(*e))) == NULL)
			return NULL;
		h->entries = e;
		h->cap = cap;
	}
	memmove(&h->entries[i + 1], &h->entries[i],
	    (h->count - i) * sizeof(*h->entries));
	h->count++;
	e = &h->entries[i];
	memset(e, 0, sizeof(*e));
	snprintf(e->volume, sizeof(e->volume), "%s", volume);
	return e;
}

static int
holds_active(const struct hold_entry *e)
{
	return e->until_ms != 0 && e->until_ms > timeutil_now_ms();
}

int
holds_set(struct holds *h, const char *volume, uint32_t lease)
{
	struct hold_entry	*e;
	int			 was;

	pthread_mutex_lock(&h->lock);
	if ((e = holds_entry(h, volume)) == NULL) {
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	was = holds_active(e);
	e->until_ms = lease ? timeutil_now_ms() + (int64_t)lease * 1000 : 0;
	/* Entries move while we wait: look the volume up each time. */
	while (lease && (e = holds_lookup(h, volume)) != NULL &&
	    e->writers > 0)
		pthread_cond_wait(&h->idle, &h->lock);
	pthread_mutex_unlock(&h->lock);
	return was;
}

int
holds_renew(struct holds *h, const char *volume, uint32_t lease)
{
	struct hold_entry	*e;
	int			 held = 0;

	pthread_mutex_lock(&h->lock);
	if ((e = holds_lookup(h, volume)) != NULL && (held = holds_active(e)))
		e->until_ms = timeutil_now_ms() + (int64_t)lease * 1000;
	pthread_mutex_unlock(&h->lock);
	return held;
}

int
holds_begin_write(struct holds *h, const char *volume)
{
	struct hold_entry	*e;
	int			 rc = 1;

	pthread_mutex_lock(&h->lock);
	if ((e = holds_entry(h, volume)) == NULL)
		rc = -1;
	else if (holds_active(e))
		rc = 0;
	else
		e->writers++;
	pthread_mutex_unlock(&h->lock);
	return rc;
}

void
holds_end_write(struct holds *h, const char *volume)
{
	struct hold_entry	*e;

	pthread_mutex_lock(&h->lock);
	if ((e = holds_lookup(h, volume)) != NULL && e->writers > 0 &&
	    --e->writers == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->lock);
}
