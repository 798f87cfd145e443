/*
 * nbd_raw: speaks NBD byte by byte to a server's Unix socket, for the
 * cases no real client sends. Prints what came back, one line each:
 *
 *   nbd_raw SOCKET option-before-magic	a request where an option goes
 *   nbd_raw SOCKET long-name		EXPORT_NAME of 1 MiB
 *   nbd_raw SOCKET requests EXPORT	READ past the end, an unknown
 *					command, a READ that works, DISC
 *   nbd_raw SOCKET short-write EXPORT	a WRITE whose payload stops early
 *   nbd_raw SOCKET read EXPORT OFF LEN	one READ, then DISC
 *
 * Lines: "reply OPTION TYPE" (option reply), "error N" (simple reply),
 * "data N" (bytes after it), "closed" (the server hung up).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbd_proto.h"

static int	fd = -1;

static void
die(const char *what)
{
	fprintf(stderr, "nbd_raw: %s\n", what);
	exit(2);
}

static void
send_all(const void *buf, size_t len)
{
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		die("send");
}

/* 0, or -1 when the server closed the connection. */
static int
recv_all(void *buf, size_t len)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = recv(fd, p, len, 0)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
expect_closed(void)
{
	uint8_t	c;

	puts(recv(fd, &c, 1, 0) <= 0 ? "closed" : "still open");
}

static void
connect_to(const char *path)
{
	struct sockaddr_un	sun;
	uint8_t			greeting[18], flags[4];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect");
	if (recv_all(greeting, sizeof(greeting)) == -1 ||
	    nbd_get64(greeting) != NBD_MAGIC)
		die("no greeting");
	nbd_put32(flags, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	send_all(flags, sizeof(flags));
}

static void
send_option_header(uint32_t option, uint32_t len)
{
	uint8_t	hdr[16];

	nbd_put64(hdr, NBD_OPT_MAGIC);
	nbd_put32(hdr + 8, option);
	nbd_put32(hdr + 12, len);
	send_all(hdr, sizeof(hdr));
}

static void
send_option(uint32_t option, const void *data, uint32_t len)
{
	send_option_header(option, len);
	if (len > 0)
		send_all(data, len);
}

/* Prints one option reply and skips its data; its type. */
static uint32_t
print_reply(void)
{
	uint8_t		hdr[20], skip[4096];
	uint32_t	type, len, n;

	if (recv_all(hdr, sizeof(hdr)) == -1) {
		puts("closed");
		exit(0);
	}
	type = nbd_get32(hdr + 12);
	printf("reply %u 0x%x\n", nbd_get32(hdr + 8), type);
	for (len = nbd_get32(hdr + 16); len > 0; len -= n) {
		n = len < sizeof(skip) ? len : sizeof(skip);
		if (recv_all(skip, n) == -1)
			die("a reply cut short");
	}
	return type;
}

static void
send_request(uint16_t type, uint64_t cookie, uint64_t offset, uint32_t length)
{
	uint8_t	hdr[NBD_REQUEST_SIZE];

	nbd_put32(hdr, NBD_REQUEST_MAGIC);
	nbd_put16(hdr + 4, 0);
	nbd_put16(hdr + 6, type);
	nbd_put64(hdr + 8, cookie);
	nbd_put64(hdr + 16, offset);
	nbd_put32(hdr + 24, length);
	send_all(hdr, sizeof(hdr));
}

/* A simple reply; data bytes follow it when it is not an error. */
static void
print_simple(size_t data)
{
	uint8_t		hdr[16], *buf;
	uint32_t	error;

	if (recv_all(hdr, sizeof(hdr)) == -1 ||
	    nbd_get32(hdr) != NBD_SIMPLE_MAGIC) {
		puts("closed");
		exit(0);
	}
	error = nbd_get32(hdr + 4);
	printf("error %u\n", error);
	if (error == 0 && data > 0) {
		if ((buf = malloc(data)) == NULL || recv_all(buf, data) == -1)
			die("read data");
		printf("data %zu\n", data);
		free(buf);
	}
}

/* GO on the export, simple replies; its size. */
static uint64_t
go(const char *export)
{
	uint8_t		req[4 + 256 + 2], hdr[20], info[64];
	size_t		n = strlen(export);
	uint64_t	size = 0;
	uint32_t	len;

	nbd_put32(req, (uint32_t)n);
	memcpy(req + 4, export, n);
	nbd_put16(req + 4 + n, 0);
	send_option(NBD_OPT_GO, req, (uint32_t)(n + 6));
	for (;;) {
		if (recv_all(hdr, sizeof(hdr)) == -1)
			die("GO: closed");
		len = nbd_get32(hdr + 16);
		if (nbd_get32(hdr + 12) == NBD_REP_ACK)
			return size;
		if (nbd_get32(hdr + 12) != NBD_REP_INFO || len < 2 ||
		    len > sizeof(info) || recv_all(info, len) == -1)
			die("GO refused");
		if (nbd_get16(info) == NBD_INFO_EXPORT)
			size = nbd_get64(info + 2);
	}
}

int
main(int argc, char **argv)
{
	static uint8_t	big[1 << 20];
	uint64_t	size;

	if (argc < 3)
		die("usage: nbd_raw SOCKET CASE [EXPORT]");
	connect_to(argv[1]);
	if (strcmp(argv[2], "option-before-magic") == 0) {
		send_request(NBD_CMD_READ, 1, 0, 512);
		expect_closed();
	} else if (strcmp(argv[2], "long-name") == 0) {
		/* The header alone: the server must refuse before the data. */
		send_option_header(NBD_OPT_EXPORT_NAME, sizeof(big));
		print_reply();
		expect_closed();
	} else if (strcmp(argv[2], "requests") == 0 && argc == 4) {
		size = go(argv[3]);
		send_request(NBD_CMD_READ, 1, size - 512, 1024);
		print_simple(0);
		send_request(99, 2, 0, 0);
		print_simple(0);
		send_request(NBD_CMD_READ, 3, size - 512, 512);
		print_simple(512);
		send_request(NBD_CMD_DISC, 4, 0, 0);
		expect_closed();
	} else if (strcmp(argv[2], "short-write") == 0 && argc == 4) {
		go(argv[3]);
		send_request(NBD_CMD_WRITE, 1, 0, 4096);
		send_all(big, 100);
		shutdown(fd, SHUT_WR);
		expect_closed();
	} else if (strcmp(argv[2], "read") == 0 && argc == 6) {
		go(argv[3]);
		send_request(NBD_CMD_READ, 1, strtoull(argv[4], NULL, 0),
		    (uint32_t)strtoul(argv[5], NULL, 0));
		print_simple(strtoul(argv[5], NULL, 0));
		send_request(NBD_CMD_DISC, 2, 0, 0);
		expect_closed();
	} else
		die("unknown case");
	close(fd);
	return 0;
}
