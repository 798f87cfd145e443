/*
 * The state a mirror's volume handle shares between its I/O thread and
 * its resync thread (mirror.c, resync.c). lock guards everything below
 * it; cond (CLOCK_MONOTONIC) is broadcast on every change.
 */
#ifndef DASPOOL_LIB_MIRROR_H
#define DASPOOL_LIB_MIRROR_H

#include <pthread.h>
#include <stdint.h>

#include "internal.h"

#define MIRROR_LEG_RETRY_MS	2000	/* a lost leg is given this long */
#define MIRROR_POLL_MS		1000	/* looks for legs back this often */
#define MIRROR_RUN_CHUNKS	8	/* chunks copied per resync step */

struct mirror {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	uint16_t	 legs;
	uint8_t		 state[DSP_MAX_EXTENTS];	/* enum dsp_leg_state */
	uint32_t	 chunk_size;
	uint64_t	 chunks;
	uint8_t		*marked;	/* chunks known dirty at the manager */
	unsigned	 next_read;
	/*
	 * A write and a resync step never touch the same chunks at once,
	 * or the copy could put old bytes over new ones; and leg states
	 * change only while no write is in flight.
	 */
	int		 fg_busy;
	uint64_t	 fg_first, fg_last;
	int		 rs_busy;
	uint64_t	 rs_first, rs_last;
	int		 rs_exclusive;
	/* The resync thread and its own connections (made with the
	 * mirror). started stays set until the thread has been joined. */
	pthread_t	 thread;
	int		 started;
	int		 joining;
	int		 stop;
	int		 kick;
	struct datapath	*rs_paths[DSP_MAX_EXTENTS];
	uint64_t	 copied;	/* chunks copied by this handle */
	char		 last_error[DASPOOL_ERRLEN];
};

/* mirror.c */
/* The first leg not in sync, or -1; lock held. */
int	mirror_stale_leg(const struct mirror *);
int	mirror_leg_broken(int rc);
/* 1 once the resync thread is told to stop. */
int	mirror_stopping(struct mirror *);
/* Tells the manager the leg is out of sync (length 0: nothing to
 * mark). 0, or the error with a sentence in err. */
int	mirror_leg_lost(struct daspool_volume *, uint16_t leg, const char *why,
	    uint64_t offset, uint64_t length, char *err, size_t errlen);
const char *mirror_leg_name(const struct daspool_volume *, uint16_t leg,
	    char *buf, size_t len);

/* resync.c */
void	*resync_main(void *);

#endif
