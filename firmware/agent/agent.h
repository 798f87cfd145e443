/*
 * daspool-agent internals: the state shared by the listener and the
 * manager link, and which file exports what.
 */
#ifndef DASPOOL_AGENT_H
#define DASPOOL_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "proto.h"
#include "ticket.h"

struct enroll;
struct generations;
struct records;
struct region;
struct serve;
struct tls_config;

/* Built by agent_open and agent_start; read-only afterwards except
 * through the thread-safe generations and region handles. */
struct agent {
	const struct agent_config	*conf;
	struct region			*regions[DSP_MAX_REGIONS];
	unsigned int			 region_count;
	struct generations		*generations;
	struct records			*records;	/* of our volumes */
	struct ticket_verifier		*verifier;
	struct tls_config		*tls_server;	/* data port */
	struct tls_config		*tls_client;	/* to the manager */
	char				 manager_name[DSP_NAME_MAX + 1];
	uint16_t			 port;		/* bound data port */
	int				 listen_fd;	/* until serve takes it */
	struct serve			*serve;
	struct enroll			*enroll;
	int				 manager_reachable;	/* atomic */
};

/*
 * agent.c: one agent's life. agent_open checks the certificates, opens
 * the regions, checks the state_dir, loads TLS and binds the data port
 * (a daemon forks after it); agent_start opens the state and starts the
 * data port and the manager link. Both return 0, or -1 with err, and
 * leave what they opened for agent_free. agent_stop is -1 if some
 * connection thread did not finish in time: the agent must then stay
 * allocated. agent_reload reads the CRL again.
 */
int		 agent_open(struct agent *, char *err, size_t errlen);
int		 agent_start(struct agent *, char *err, size_t errlen);
int		 agent_stop(struct agent *);
void		 agent_free(struct agent *);
void		 agent_reload(struct agent *);

/* enroll.c sets it while it is registered with the manager; while it is
 * not, tickets of the newest generation are honoured past their expiry
 * (docs/PROTOCOL.md, "When the manager is away"). */
int		 agent_manager_reachable(const struct agent *);

/* access.c: which ticket lets a connection do what. */
#define ACCESS_MAX_TICKETS	64

/* A ticket attached on a connection, with the borrower's stream id. */
struct access_slot {
	struct mount_ticket	ticket;
	uint64_t		stream;
};

struct access_table {
	unsigned int		count;
	struct access_slot	slots[ACCESS_MAX_TICKETS];
};

struct region	*agent_region(const struct agent *, const char *name);
void		 access_init(struct access_table *);
/* ATTACH checks on a ticket whose signature was verified: borrower is
 * the peer, generation not revoked, not expired, its extents here name
 * regions we have and that are available. DSP_OK or a status + why. */
int		 access_admit(const struct agent *, const struct mount_ticket *,
		    const char *peer, uint64_t now, char *why, size_t whylen);
/*
 * Keeps the ticket and stream for its volume, replacing one that is not
 * newer; *replaced is the stream id of the slot replaced, if another
 * (0 otherwise). A connection holds at most ACCESS_MAX_TICKETS volumes.
 */
int		 access_attach(struct access_table *, const struct mount_ticket *,
		    uint64_t stream, uint64_t *replaced, char *why,
		    size_t whylen);
const struct access_slot *access_find(const struct access_table *,
		    const char *volume);
/* Per data request: requester is the peer, a ticket is attached for
 * the volume, the region is ours and available, and the ticket allows
 * this range/op with the generation and clock as they are now. The
 * slot used is returned in *slot. */
int		 access_check(const struct agent *, const struct access_table *,
		    const char *peer, uint8_t opcode,
		    const struct msg_data_request *, struct region **,
		    const struct access_slot **slot, char *why, size_t whylen);

/* serve.c: the TLS data port behind a gate (gate.h), one thread per
 * authenticated connection. */

struct serve	*serve_start(struct agent *, int listen_fd, char *err,
		    size_t errlen);
/* Closes listen_fd and every connection; -1 if some connection thread
 * did not finish in time (the agent state must then stay allocated). */
int		 serve_stop(struct serve *);

/* enroll.c: REGISTER, FENCE_ACK and HEARTBEAT to the manager. */

struct enroll	*enroll_start(struct agent *, char *err, size_t errlen);
void		 enroll_stop(struct enroll *);

#endif
