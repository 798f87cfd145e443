/*
 * A stop flag for a daemon's background thread: the thread sleeps with
 * stopper_wait() between rounds and is woken at once by stopper_stop().
 * Embedded in the owner's struct; the waits run on CLOCK_MONOTONIC, so
 * a change of the wall clock neither cuts nor stretches them.
 */
#ifndef DASPOOL_STOPPER_H
#define DASPOOL_STOPPER_H

#include <pthread.h>

struct stopper {
	pthread_mutex_t	lock;
	pthread_cond_t	cond;		/* CLOCK_MONOTONIC */
	int		stopping;
};

void	stopper_init(struct stopper *);
void	stopper_destroy(struct stopper *);
/* Sets the flag and wakes every waiter; the flag stays set. */
void	stopper_stop(struct stopper *);
/* 1 once stopper_stop() was called, else 0. */
int	stopper_stopping(struct stopper *);
/* Sleeps ms unless stopped (before or during); 1 when stopping. */
int	stopper_wait(struct stopper *, long ms);

#endif
