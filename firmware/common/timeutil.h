/*
 * Monotonic milliseconds, sleeps and condition-variable deadlines: the
 * timeouts and backoffs of the daemons and the client.
 */
#ifndef DASPOOL_TIMEUTIL_H
#define DASPOOL_TIMEUTIL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

int64_t	timeutil_now_ms(void);			/* CLOCK_MONOTONIC */
/* Sleeps ms (nothing if <= 0), resumed after a signal. */
void	timeutil_sleep_ms(int64_t ms);
/* The time ms from now on clock, for pthread_cond_timedwait. */
void	timeutil_deadline(struct timespec *, clockid_t clock, int64_t ms);
/* A condition variable whose timed waits take CLOCK_MONOTONIC deadlines. */
void	timeutil_cond_init(pthread_cond_t *);

#endif
