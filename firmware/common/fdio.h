/*
 * Plain file descriptors: a write that a signal or a short count does not
 * cut.
 */
#ifndef DASPOOL_FDIO_H
#define DASPOOL_FDIO_H

#include <stddef.h>

/* Writes all len bytes, going on after EINTR and short writes; 0, or -1
 * with errno. */
int	fdio_write_all(int fd, const void *buf, size_t len);

#endif
