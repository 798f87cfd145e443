/*
 * NBD over memory, for the tests and the fuzzer: a connection whose
 * client bytes are given in advance and whose server bytes are kept,
 * and an export held in a buffer.
 */
#ifndef DASPOOL_NBD_MEM_H
#define DASPOOL_NBD_MEM_H

#include <pthread.h>

#include "nbd.h"

struct nbd_mem_conn {
	const uint8_t	*in;		/* what the client sends */
	size_t		 inlen, inpos;
	uint8_t		*out;		/* what the server sent */
	size_t		 outlen, outcap;
	pthread_mutex_t	 lock;
};

void	nbd_mem_conn_init(struct nbd_mem_conn *, const uint8_t *in,
	    size_t inlen, struct nbd_io *);
void	nbd_mem_conn_free(struct nbd_mem_conn *);

struct nbd_mem_disk {
	uint8_t		*data;
	uint64_t	 size;
	int		 fail;		/* NBD error every call returns */
	pthread_mutex_t	 lock;
};

/* A zeroed disk of size bytes (at most a few MiB: it is memory). */
int	nbd_mem_disk_init(struct nbd_mem_disk *, uint64_t size,
	    struct nbd_backend *);
void	nbd_mem_disk_free(struct nbd_mem_disk *);

#endif
