/*
 * NBD over memory (nbd_mem.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbd_mem.h"

static int
nbd_mem_read(void *arg, void *buf, size_t len)
{
	struct nbd_mem_conn	*c = arg;
	int			 rc = -1;

	pthread_mutex_lock(&c->lock);
	if (c->inlen - c->inpos >= len) {
		memcpy(buf, c->in + c->inpos, len);
		c->inpos += len;
		rc = 0;
	} else
		c->inpos = c->inlen;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static int
nbd_mem_write(void *arg, const void *buf, size_t len)
{
	struct nbd_mem_conn	*c = arg;
	uint8_t			*grown;
	size_t			 cap;
	int			 rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->outcap - c->outlen < len) {
		for (cap = c->outcap ? c->outcap : 4096; cap - c->outlen < len;
		    cap *= 2)
			;
		if ((grown = realloc(c->out, cap)) == NULL)
			rc = -1;
		else {
			c->out = grown;
			c->outcap = cap;
		}
	}
	if (rc == 0) {
		memcpy(c->out + c->outlen, buf, len);
		c->outlen += len;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
nbd_mem_conn_init(struct nbd_mem_conn *c, const uint8_t *in, size_t inlen,
    struct nbd_io *io)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	c->inlen = inlen;
	pthread_mutex_init(&c->lock, NULL);
	memset(io, 0, sizeof(*io));
	io->arg = c;
	io->read = nbd_mem_read;
	io->write = nbd_mem_write;
}

void
nbd_mem_conn_free(struct nbd_mem_conn *c)
{
	free(c->out);
	pthread_mutex_destroy(&c->lock);
}

static void *
nbd_mem_open(void *arg, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return arg;
}

static void
nbd_mem_close(void *h)
{
	(void)h;
}

/* The range is checked again here: the server must never pass one
 * outside the export. */
static int
nbd_mem_check(struct nbd_mem_disk *d, uint64_t off, uint64_t len, char *why,
    size_t whylen)
{
	if (d->fail != NBD_OK) {
		snprintf(why, whylen, "the disk fails");
		return d->fail;
	}
	if (off > d->size || len > d->size - off)
		abort();
	return NBD_OK;
}

static int
nbd_mem_pread(void *h, void *buf, uint32_t len, uint64_t off, char *why,
    size_t whylen)
{
	struct nbd_mem_disk	*d = h;
	int			 rc;

	if ((rc = nbd_mem_check(d, off, len, why, whylen)) != NBD_OK)
		return rc;
	pthread_mutex_lock(&d->lock);
	memcpy(buf, d->data + off, len);
	pthread_mutex_unlock(&d->lock);
	return NBD_OK;
}

static int
nbd_mem_pwrite(void *h, const void *buf, uint32_t len, uint64_t off, int fua,
    char *why, size_t whylen)
{
	struct nbd_mem_disk	*d = h;
	int			 rc;

	(void)fua;
	if ((rc = nbd_mem_check(d, off, len, why, whylen)) != NBD_OK)
		return rc;
	pthread_mutex_lock(&d->lock);
	memcpy(d->data + off, buf, len);
	pthread_mutex_unlock(&d->lock);
	return NBD_OK;
}

static int
nbd_mem_flush(void *h, char *why, size_t whylen)
{
	return nbd_mem_check(h, 0, 0, why, whylen);
}

static int
nbd_mem_zero(void *h, uint64_t off, uint64_t len, int fua, char *why,
    size_t whylen)
{
	struct nbd_mem_disk	*d = h;
	int			 rc;

	(void)fua;
	if ((rc = nbd_mem_check(d, off, len, why, whylen)) != NBD_OK)
		return rc;
	pthread_mutex_lock(&d->lock);
	memset(d->data + off, 0, len);
	pthread_mutex_unlock(&d->lock);
	return NBD_OK;
}

int
nbd_mem_disk_init(struct nbd_mem_disk *d, uint64_t size,
    struct nbd_backend *be)
{
	memset(d, 0, sizeof(*d));
	if ((d->data = calloc(1, size ? size : 1)) == NULL)
		return -1;
	d->size = size;
	pthread_mutex_init(&d->lock, NULL);
	memset(be, 0, sizeof(*be));
	be->arg = d;
	be->open = nbd_mem_open;
	be->close = nbd_mem_close;
	be->read = nbd_mem_pread;
	be->write = nbd_mem_pwrite;
	be->flush = nbd_mem_flush;
	be->zero = nbd_mem_zero;
	return 0;
}

void
nbd_mem_disk_free(struct nbd_mem_disk *d)
{
	free(d->data);
	pthread_mutex_destroy(&d->lock);
}
