/*
 * The manager's listeners: TLS on listen_address:listen_port for agents,
 * borrowers and admins, and the local admin socket (plain frames,
 * SO_PEERCRED checked). One detached thread per connection, at most
 * max_connections at once; each request is dispatched by opcode to a
 * handler after checking the sender's role.
 */
#ifndef DASPOOL_MGR_CONTROL_H
#define DASPOOL_MGR_CONTROL_H

#include <stddef.h>

struct control;
struct mgr;

/* Binds both listeners (before the daemon forks, so errors reach the
 * terminal). NULL with err on failure. */
struct control	*control_open(struct mgr *, char *err, size_t errlen);
/* Starts the accept thread. 0 or -1 with err. */
int		 control_start(struct control *, char *err, size_t errlen);
/* Stops accepting, closes every connection, waits for their threads
 * (bounded), removes the admin socket. -1 if some thread is still busy:
 * then nothing they use may be freed. */
int		 control_close(struct control *);

#endif
