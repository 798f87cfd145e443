/*
 * The highest generation seen for each volume (from the manager at
 * registration, from REVOKE, from attached tickets), kept in memory and
 * in a small LMDB environment in state_dir so it survives restarts: a
 * ticket older than a revocation stays refused after the agent restarts.
 *
 * Generations only go up. Thread-safe: lookups take a mutex only, a
 * raise also commits durably before it returns.
 */
#ifndef DASPOOL_AGENT_GENERATIONS_H
#define DASPOOL_AGENT_GENERATIONS_H

#include <stddef.h>
#include <stdint.h>

struct generations;

/* Creates dir (0700) if needed and locks it against a second agent.
 * NULL with the reason in err. */
struct generations	*generations_open(const char *dir, char *err,
			    size_t errlen);
void			 generations_close(struct generations *);

/* 0 for a volume never seen. */
uint64_t		 generations_get(struct generations *, const char *volume);
/*
 * Raises the volume's generation to gen if gen is higher and commits it.
 * The in-memory value is raised even when the commit fails, so the
 * fence holds in this process; returns 0, or -1 with err when it could
 * not be made durable. Never call it between use_begin and use_end.
 */
int			 generations_raise(struct generations *, const char *volume,
			    uint64_t gen, char *err, size_t errlen);
size_t			 generations_count(struct generations *);

/*
 * Brackets a data request, from its ticket check to the end of its I/O.
 * generations_raise returns only once every request that was checked
 * against the old generation has finished, so a revoked borrower has no
 * request still running when the manager lends the volume again.
 */
void			 generations_use_begin(struct generations *);
void			 generations_use_end(struct generations *);

#endif
