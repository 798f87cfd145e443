/*
 * Leg holds: a mirror leg on this server held still for a backup copy
 * (LEG_HOLD from the manager, docs/PROTOCOL.md "Split-leg copies").
 * While a volume is held, borrowers' WRITE, INIT and ERASE of it are
 * refused, so the borrower reports the leg failed and the manager's
 * bitmap records what it misses; reads go on. A hold lasts its lease
 * unless held again, so a backup that died leaves nothing held for
 * ever; it is kept in memory only (see the risk noted in BACKUP.md).
 * Thread-safe.
 */
#ifndef DASPOOL_AGENT_HOLDS_H
#define DASPOOL_AGENT_HOLDS_H

#include <stdint.h>

struct holds;

struct holds	*holds_new(void);
void		 holds_free(struct holds *);

/*
 * Holds the volume for lease seconds from now (lease 0: lifts it).
 * A hold returns once no write admitted before it is running, so every
 * write this agent acknowledged is on the disk then. 1 when the volume
 * was held already (its lease not run out), 0 when not, -1 out of
 * memory.
 */
int		 holds_set(struct holds *, const char *volume, uint32_t lease);
/* 1 and the lease moved when the volume is held, else 0. */
int		 holds_renew(struct holds *, const char *volume, uint32_t lease);
/* A borrower's write may start: 1, and holds_end_write is owed; 0
 * while the volume is held; -1 out of memory. */
int		 holds_begin_write(struct holds *, const char *volume);
void		 holds_end_write(struct holds *, const char *volume);

#endif
