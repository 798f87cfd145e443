/*
 * Leg holds (holds.h). One entry per volume written or held here, in a
 * plain array: an agent serves few volumes, and the writes in flight
 * must be counted for a hold to wait them out.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "holds.h"
#include "proto.h"
#include "timeutil.h"

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

/* The volume's entry, made when missing; NULL out of memory. Lock held. */
static struct hold_entry *
holds_entry(struct holds *h, const char *volume)
{
	struct hold_entry	*e;
	size_t			 i, cap;

	for (i = 0; i < h->count; i++)
		if (strcmp(h->entries[i].volume, volume) == 0)
			return &h->entries[i];
	if (h->count == h->cap) {
		cap = h->cap ? h->cap * 2 : 16;
		if ((e = realloc(h->entries, cap * sizeof(*e))) == NULL)
			return NULL;
		h->entries = e;
		h->cap = cap;
	}
	e = &h->entries[h->count++];
	memset(e, 0, sizeof(*e));
	strncpy(e->volume, volume, DSP_NAME_MAX);
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
	size_t			 at;
	int			 was;

	pthread_mutex_lock(&h->lock);
	if ((e = holds_entry(h, volume)) == NULL) {
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	was = holds_active(e);
	e->until_ms = lease ? timeutil_now_ms() + (int64_t)lease * 1000 : 0;
	/* The array may move while we wait: hold on to the index. */
	at = (size_t)(e - h->entries);
	while (lease && h->entries[at].writers > 0)
		pthread_cond_wait(&h->idle, &h->lock);
	pthread_mutex_unlock(&h->lock);
	return was;
}

int
holds_renew(struct holds *h, const char *volume, uint32_t lease)
{
	size_t	i;
	int	held = 0;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->count; i++)
		if (strcmp(h->entries[i].volume, volume) == 0) {
			if ((held = holds_active(&h->entries[i])))
				h->entries[i].until_ms = timeutil_now_ms() +
				    (int64_t)lease * 1000;
			break;
		}
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
	size_t	i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->count; i++)
		if (strcmp(h->entries[i].volume, volume) == 0) {
			if (h->entries[i].writers > 0 &&
			    --h->entries[i].writers == 0)
				pthread_cond_broadcast(&h->idle);
			break;
		}
	pthread_mutex_unlock(&h->lock);
}
