/*
 * The fixture of the store's unit tests: a store of its own in a fresh
 * mkdtemp dir per test, removed after it, and agents registered by
 * name. Static inline: each test binary links only the archives, so a
 * helper .c file here would not be linked.
 */
#ifndef DASPOOL_STORE_FIXTURE_H
#define DASPOOL_STORE_FIXTURE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

struct fixture {
	char		 dir[256];
	struct store	*s;
	char		 err[256];
};

/* Opens a store in $TMPDIR/NAME.XXXXXX. */
static inline int
fixture_setup(void **state, const char *name)
{
	struct fixture	*f;
	const char	*tmp = getenv("TMPDIR");

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/%s.XXXXXX",
	    tmp != NULL ? tmp : "/tmp", name);
	if (mkdtemp(f->dir) == NULL ||
	    store_open(&f->s, f->dir, 0, 0, f->err, sizeof(f->err)) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int
fixture_teardown(void **state)
{
	struct fixture	*f = *state;
	char		 path[300];

	store_close(f->s);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Registers server with regions "name:size" ... NULL. */
static inline int
fixture_register(struct fixture *f, const char *server, uint64_t now, ...)
{
	struct msg_register	m;
	struct msg_region	*r;
	const char		*spec, *colon;
	va_list			 ap;

	memset(&m, 0, sizeof(m));
	snprintf(m.server, sizeof(m.server), "%s", server);
	snprintf(m.host, sizeof(m.host), "127.0.2.1");
	m.port = 7401;
	va_start(ap, now);
	while ((spec = va_arg(ap, const char *)) != NULL) {
		r = &m.regions[m.region_count++];
		colon = strchr(spec, ':');
		snprintf(r->name, sizeof(r->name), "%.*s",
		    (int)(colon - spec), spec);
		r->size = strtoull(colon + 1, NULL, 10);
		r->available = 1;
	}
	va_end(ap);
	return store_register(f->s, &m, now, NULL, f->err, sizeof(f->err));
}

#endif
