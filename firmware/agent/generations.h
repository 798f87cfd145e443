/*
 * The highest generation seen for each volume (from the manager at
 * registration, from REVOKE, from attached tickets), kept in memory and
 * in a small LMDB environment in state_dir so it survives restarts: a
 * ticket older than a revocation stays refused after the agent restarts.
 *
 * It also counts the data requests running under each generation, which
 * is what makes an acknowledged revocation a promise: generations_raise
 * returns only once no request checked against an older generation of
 * that volume is running, and from then on none is admitted. Long
 * requests ask generations_current between slices and stop when they
 * are no longer current, so a raise never waits long.
 *
 * Generations only go up. Thread-safe.
 */
#ifndef DASPOOL_AGENT_GENERATIONS_H
#define DASPOOL_AGENT_GENERATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct generations;

/* Creates dir (0700) if needed and locks it against a second agent.
 * NULL with the reason in err. */
struct generations	*generations_open(const char *dir, char *err,
			    size_t errlen);
void			 generations_close(struct generations *);

/* 0 for a volume never seen. */
uint64_t		 generations_get(struct generations *, const char *volume);
size_t			 generations_count(struct generations *);

/*
 * Raises each volume's generation to the one given where that is
 * higher, in one durable commit, then waits until no request admitted
 * under an older generation of those volumes is still running, whether
 * or not the generation had been raised before. The in-memory values
 * are raised even when the commit fails, so the fence holds in this
 * process; returns 0, or -1 with err when they could not be made
 * durable. Never call it between generations_begin and _end.
 */
int			 generations_raise(struct generations *,
			    const struct msg_generation *, size_t count,
			    char *err, size_t errlen);
/* The same for one volume. */
int			 generations_raise_one(struct generations *,
			    const char *volume, uint64_t gen, char *err,
			    size_t errlen);

/*
 * Admits a data request made with a ticket of generation gen: DSP_OK,
 * and the request counts as running until generations_end; DSP_E_STALE
 * when a newer generation is known (its value in *highest).
 */
int			 generations_begin(struct generations *,
			    const char *volume, uint64_t gen, uint64_t *highest);
void			 generations_end(struct generations *,
			    const char *volume, uint64_t gen);
/* 1 while gen is still the volume's newest generation. */
int			 generations_current(struct generations *,
			    const char *volume, uint64_t gen);

/*
 * Whether a registration has told this state_dir the current
 * generations since it was made: an agent whose state was lost knows
 * of no revocation and must serve nothing until it has registered.
 */
int			 generations_synced(struct generations *);
int			 generations_set_synced(struct generations *, char *err,
			    size_t errlen);

#endif
