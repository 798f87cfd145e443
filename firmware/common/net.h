/*
 * Sockets: listening and connecting on IPv4 addresses (loopback in tests),
 * always with TCP_NODELAY, which keeps the TLS handshake at ~18 ms
 * instead of ~100 ms.
 */
#ifndef DASPOOL_NET_H
#define DASPOOL_NET_H

#include <stddef.h>
#include <stdint.h>

/* Returns a listening fd (SO_REUSEADDR, CLOEXEC) or -1 with err. port 0
 * picks a free port; net_local_port tells which. */
int		net_listen(const char *host, uint16_t port, char *err, size_t errlen);
uint16_t	net_local_port(int fd);
/* Connects with a timeout; returns fd or -1 with err. */
int		net_connect(const char *host, uint16_t port, int timeout_ms,
		    char *err, size_t errlen);
void		net_set_nodelay(int fd);
/* Unix-domain listening socket, mode 0600; returns fd or -1 with err. */
int		net_listen_unix(const char *path, char *err, size_t errlen);
int		net_connect_unix(const char *path, char *err, size_t errlen);

#endif
