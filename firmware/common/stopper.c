/*
 * Stop flag plus condition variable, so a thread's sleep between rounds
 * ends as soon as the daemon stops rather than when the sleep is over.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "stopper.h"
#include "timeutil.h"

void
stopper_init(struct stopper *s)
{
	s->stopping = 0;
	pthread_mutex_init(&s->lock, NULL);
	timeutil_cond_init(&s->cond);
}

void
stopper_destroy(struct stopper *s)
{
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

void
stopper_stop(struct stopper *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int
stopper_stopping(struct stopper *s)
{
	int	stopping;

	pthread_mutex_lock(&s->lock);
	stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stopping;
}

int
stopper_wait(struct stopper *s, long ms)
{
	struct timespec	ts;
	int		stopping;

	timeutil_deadline(&ts, CLOCK_MONOTONIC, ms);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) ==
		    ETIMEDOUT)
			break;
	stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stopping;
}
