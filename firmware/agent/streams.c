/*
 * Streams in a chained hash table on the stream id, grown as it fills.
 * An entry lives while a connection owns it or requests of earlier
 * owners still run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "streams.h"
#include "timeutil.h"

#define STREAMS_BUCKETS_MIN	64

struct stream {
	struct stream	*next;
	char		 borrower[DSP_NAME_MAX + 1];
	char		 volume[DSP_NAME_MAX + 1];
	uint64_t	 id;
	uint64_t	 owner;		/* 0 once the owner closed */
	unsigned int	 running;	/* the owner's requests */
	unsigned int	 earlier;	/* requests of earlier owners */
};

struct streams {
	pthread_mutex_t	  lock;
	pthread_cond_t	  drained;	/* CLOCK_MONOTONIC */
	struct stream	**buckets;
	size_t		  nbuckets;
	size_t		  count;
};

struct streams *
streams_new(void)
{
	struct streams		*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->nbuckets = STREAMS_BUCKETS_MIN;
	if ((s->buckets = calloc(s->nbuckets, sizeof(*s->buckets))) == NULL) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	timeutil_cond_init(&s->drained);
	return s;
}

void
streams_free(struct streams *s)
{
	struct stream	*st, *next;
	size_t		 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nbuckets; i++)
		for (st = s->buckets[i]; st != NULL; st = next) {
			next = st->next;
			free(st);
		}
	free(s->buckets);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->drained);
	free(s);
}

static size_t
streams_bucket(const struct streams *s, uint64_t id)
{
	/* Ids are random; fold the high bits in anyway. */
	return (size_t)((id ^ (id >> 32)) % s->nbuckets);
}

static struct stream **
streams_slot(struct streams *s, const struct stream_ref *ref)
{
	struct stream	**sp;

	for (sp = &s->buckets[streams_bucket(s, ref->id)]; *sp != NULL;
	    sp = &(*sp)->next)
		if ((*sp)->id == ref->id &&
		    strcmp((*sp)->borrower, ref->borrower) == 0 &&
		    strcmp((*sp)->volume, ref->volume) == 0)
			return sp;
	return sp;
}

/* Doubles the table when chains get long; a failure only costs speed. */
static void
streams_grow(struct streams *s)
{
	struct stream	**nb, *st, *next;
	size_t		  i, n = s->nbuckets * 2, old = s->nbuckets;

	if (s->count < 2 * s->nbuckets ||
	    (nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	s->nbuckets = n;
	for (i = 0; i < old; i++)
		for (st = s->buckets[i]; st != NULL; st = next) {
			next = st->next;
			st->next = nb[streams_bucket(s, st->id)];
			nb[streams_bucket(s, st->id)] = st;
		}
	free(s->buckets);
	s->buckets = nb;
}

static struct stream *
streams_add(struct streams *s, const struct stream_ref *ref)
{
	struct stream	*st, **sp;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	snprintf(st->borrower, sizeof(st->borrower), "%s", ref->borrower);
	snprintf(st->volume, sizeof(st->volume), "%s", ref->volume);
	st->id = ref->id;
	sp = streams_slot(s, ref);
	*sp = st;
	s->count++;
	streams_grow(s);
	return st;
}

/* Drops an entry nobody owns and nothing runs on. */
static void
streams_prune(struct streams *s, struct stream **sp)
{
	struct stream	*st = *sp;

	if (st->owner != 0 || st->running != 0 || st->earlier != 0)
		return;
	*sp = st->next;
	free(st);
	s->count--;
}

int
streams_claim(struct streams *s, const struct stream_ref *ref, int wait_ms)
{
	struct stream	**sp, *st;
	struct timespec	  deadline;
	int		  rc = STREAM_OWNED;

	timeutil_deadline(&deadline, CLOCK_MONOTONIC, wait_ms);
	pthread_mutex_lock(&s->lock);
	sp = streams_slot(s, ref);
	if ((st = *sp) == NULL && (st = streams_add(s, ref)) == NULL) {
		pthread_mutex_unlock(&s->lock);
		return -2;
	}
	if (st->owner != ref->conn) {
		st->earlier += st->running;
		st->running = 0;
		st->owner = ref->conn;
	}
	while (st->earlier > 0) {
		if (pthread_cond_timedwait(&s->drained, &s->lock,
		    &deadline) == ETIMEDOUT) {
			rc = STREAM_WAITING;
			break;
		}
		/* The entry stays: this connection owns it, or a newer
		 * one does. */
		st = *streams_slot(s, ref);
		if (st->owner != ref->conn) {
			rc = STREAM_SUPERSEDED;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
streams_begin(struct streams *s, const struct stream_ref *ref)
{
	struct stream	*st;
	int		 rc = STREAM_SUPERSEDED;

	pthread_mutex_lock(&s->lock);
	st = *streams_slot(s, ref);
	if (st != NULL && st->owner == ref->conn) {
		st->running++;
		rc = STREAM_OWNED;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void
streams_end(struct streams *s, const struct stream_ref *ref)
{
	struct stream	**sp, *st;

	pthread_mutex_lock(&s->lock);
	sp = streams_slot(s, ref);
	if ((st = *sp) != NULL) {
		if (st->owner == ref->conn && st->running > 0)
			st->running--;
		else if (st->earlier > 0 && --st->earlier == 0)
			pthread_cond_broadcast(&s->drained);
		streams_prune(s, sp);
	}
	pthread_mutex_unlock(&s->lock);
}

int
streams_owned(struct streams *s, const struct stream_ref *ref)
{
	struct stream	*st;
	int		 owned;

	pthread_mutex_lock(&s->lock);
	st = *streams_slot(s, ref);
	owned = st != NULL && st->owner == ref->conn;
	pthread_mutex_unlock(&s->lock);
	return owned;
}

void
streams_release(struct streams *s, const struct stream_ref *ref)
{
	struct stream	**sp, *st;

	pthread_mutex_lock(&s->lock);
	sp = streams_slot(s, ref);
	if ((st = *sp) != NULL && st->owner == ref->conn) {
		st->owner = 0;
		streams_prune(s, sp);
	}
	pthread_mutex_unlock(&s->lock);
}
