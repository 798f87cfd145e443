/*
 * Sockets: IPv4 TCP listen/connect and the local unix admin socket.
 * Every socket is close-on-exec; every TCP socket gets TCP_NODELAY.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/* A flood of connections must not crowd legitimate ones out of the
 * accept queue; the kernel caps it at net.core.somaxconn. */
#define NET_BACKLOG	4096

static int	net_resolve(const char *, uint16_t, struct sockaddr_in *,
		    char *, size_t);
static int	net_wait_connect(int, int);
static int	net_unix_addr(const char *, struct sockaddr_un *, char *,
		    size_t);

/* Host is an IPv4 address or a name; NULL or "" or "*" means any. */
static int
net_resolve(const char *host, uint16_t port, struct sockaddr_in *sin,
    char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	int		 rc;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (host == NULL || *host == '\0' || strcmp(host, "*") == 0) {
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
		return 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	sin->sin_addr = ((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

void
net_set_nodelay(int fd)
{
	int	one = 1;

	/* Small frames (headers, handshake flights) must not wait for
	 * Nagle; it costs ~40 ms per round trip otherwise. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
net_listen(const char *host, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	if (net_resolve(host, port, &sin, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit the option on Linux; callers set it
	 * again anyway. */
	net_set_nodelay(fd);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		snprintf(err, errlen, "cannot listen on %s:%u: %s",
		    host ? host : "*", port, strerror(errno));
		goto fail;
	}
	if (listen(fd, NET_BACKLOG) == -1) {
		snprintf(err, errlen, "listen on %s:%u: %s",
		    host ? host : "*", port, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

uint16_t
net_local_port(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1 ||
	    sin.sin_family != AF_INET)
		return 0;
	return ntohs(sin.sin_port);
}

/* Waits for a non-blocking connect to finish; 0 or an errno value. */
static int
net_wait_connect(int fd, int timeout_ms)
{
	struct pollfd	 pfd;
	struct timespec	 start, now;
	int		 left = timeout_ms, n, soerr = 0;
	socklen_t	 len = sizeof(soerr);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		n = poll(&pfd, 1, timeout_ms > 0 ? left : -1);
		if (n > 0)
			break;
		if (n == 0)
			return ETIMEDOUT;
		if (errno != EINTR)
			return errno;
		if (timeout_ms > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = timeout_ms - (int)((now.tv_sec - start.tv_sec) *
			    1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				return ETIMEDOUT;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		return errno;
	return soerr;
}

int
net_connect(const char *host, uint16_t port, int timeout_ms, char *err,
    size_t errlen)
{
	struct sockaddr_in	 sin;
	int			 fd, flags, e;

	if (host == NULL || *host == '\0') {
		snprintf(err, errlen, "no host to connect to");
		return -1;
	}
	if (net_resolve(host, port, &sin, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	net_set_nodelay(fd);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		if ((e = net_wait_connect(fd, timeout_ms)) != 0)
			goto fail;
	}
	/* The rest of the code does blocking I/O with poll() timeouts. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		e = errno;
		goto fail;
	}
	return fd;
fail:
	if (e == ETIMEDOUT)
		snprintf(err, errlen, "cannot connect to %s:%u: no answer "
		    "within %d ms", host, port, timeout_ms);
	else
		snprintf(err, errlen, "cannot connect to %s:%u: %s", host,
		    port, strerror(e));
	close(fd);
	return -1;
}

static int
net_unix_addr(const char *path, struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (path == NULL || *path == '\0' ||
	    strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "bad unix socket path \"%s\"",
		    path ? path : "");
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

int
net_listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, probe;

	if (net_unix_addr(path, &sun, err, errlen) == -1)
		return -1;

	/* A socket file left by a dead process is removed; one that still
	 * answers belongs to a running daemon and is left alone. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
			    path);
			return -1;
		}
		if ((probe = net_connect_unix(path, err, errlen)) != -1) {
			close(probe);
			snprintf(err, errlen, "%s is in use by another process",
			    path);
			return -1;
		}
		if (unlink(path) == -1 && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove stale %s: %s",
			    path, strerror(errno));
			return -1;
		}
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Nobody can connect before listen(), so tightening the mode here
	 * leaves no window. */
	if (chmod(path, S_IRUSR | S_IWUSR) == -1) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (listen(fd, NET_BACKLOG) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	return fd;
fail_unlink:
	unlink(path);
fail:
	close(fd);
	return -1;
}

int
net_connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	int			fd;

	if (net_unix_addr(path, &sun, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
