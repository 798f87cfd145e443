/*
 * The front door of a TLS server (the manager's port, an agent's data
 * port): one thread accepts and runs every TLS handshake without
 * blocking, each within a deadline, so that thousands of idle or
 * unauthenticated connections pin no thread and cost no more than a
 * socket each. It refuses at once
 *   - a source address holding too many unfinished handshakes,
 *   - any connection while too many handshakes are unfinished,
 * and, once the peer is authenticated,
 *   - a certificate (CN) holding too many connections,
 *   - any connection past the server's total,
 * the last two with a REFUSED frame saying why (channel.h). Each
 * authenticated connection is handed to the server, which serves it in
 * a thread of its own and calls gate_release when it ends.
 *
 * Refusals and failed handshakes are logged once per source (or
 * certificate) per GATE_LOG_INTERVAL_S, with a count, never once per
 * connection.
 */
#ifndef DASPOOL_GATE_H
#define DASPOOL_GATE_H

#include <stddef.h>

struct gate;
struct tls_config;
struct tls_conn;

#define GATE_LOG_INTERVAL_S	60

struct gate_limits {
	int		 handshake_ms;		/* deadline of a handshake */
	unsigned int	 per_address;		/* unfinished handshakes of
						 * one source address */
	unsigned int	 pending_max;		/* unfinished handshakes */
	unsigned int	 per_peer;		/* connections of one CN;
						 * 0: no limit */
	unsigned int	 conns_max;		/* authenticated connections */
};

/* Defaults for a daemon's config; see etc/ for what they mean. */
#define GATE_HANDSHAKE_MS	3000
#define GATE_PER_ADDRESS	16
#define GATE_PENDING_MAX	1024

/*
 * Takes an authenticated connection (blocking again) and its peer's
 * address "ip:port". Runs in the gate's thread: it must not block (it
 * starts the thread that serves). If it cannot, it closes tls and
 * calls gate_release itself.
 */
typedef void	 gate_handoff_fn(void *arg, struct tls_conn *, const char *addr);

/* Starts the gate's thread on a listening socket (which it takes);
 * what names the server in logs ("data port"). NULL with err. */
struct gate	*gate_start(int listen_fd, struct tls_config *,
		    const struct gate_limits *, gate_handoff_fn *, void *arg,
		    const char *what, char *err, size_t errlen);
/* Stops accepting, drops unfinished handshakes, closes the socket. The
 * connections handed off are the server's to stop; gate_release may be
 * called until gate_free. */
void		 gate_stop(struct gate *);
void		 gate_free(struct gate *);
/* A handed-off connection of this peer (CN) has ended. */
void		 gate_release(struct gate *, const char *peer);

#endif
