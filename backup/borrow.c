/*
 * Borrowing the volume a restore writes to.
 */
#include <stdio.h>
#include <string.h>

#include "borrow.h"
#include "daspool_conf.h"

static int
borrow_fail(struct borrowed *b, const char *what, char *err, size_t errlen)
{
	char	ignored[256];

	snprintf(err, errlen, "%s %s: %s", what, b->name,
	    b->client != NULL ? daspool_client_error(b->client) :
	    "out of memory");
	(void)borrow_return(b, ignored, sizeof(ignored));
	return -1;
}

int
borrow_volume(const char *conf_path, const char *volume, struct borrowed *b,
    char *err, size_t errlen)
{
	struct daspool_conf	conf;
	struct daspool_options	o;
	int			rc;

	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", volume);
	daspool_conf_init(&conf);
	if ((rc = daspool_conf_load(conf_path, &conf, err, errlen)) != 0) {
		if (rc == 1)
			snprintf(err, errlen, "%s: no such borrower config",
			    conf_path);
		daspool_conf_free(&conf);
		return -1;
	}
	daspool_conf_options(&conf, &o);
	rc = daspool_client_open(&o, &b->client);
	daspool_conf_free(&conf);
	if (rc != 0)
		return borrow_fail(b, "borrowing", err, errlen);
	if (daspool_allocate(b->client, volume, 0, NULL, NULL) != 0)
		return borrow_fail(b, "allocating", err, errlen);
	b->allocated = 1;
	if (daspool_mount(b->client, volume, NULL) != 0)
		return borrow_fail(b, "mounting", err, errlen);
	b->mounted = 1;
	if (daspool_volume_open(b->client, volume, &b->volume) != 0)
		return borrow_fail(b, "opening", err, errlen);
	return 0;
}

int
borrow_return(struct borrowed *b, char *err, size_t errlen)
{
	int	rc = 0;

	if (b->volume != NULL)
		daspool_volume_close(b->volume);
	b->volume = NULL;
	if (b->mounted && daspool_unmount(b->client, b->name) != 0) {
		snprintf(err, errlen, "unmounting %s: %s", b->name,
		    daspool_client_error(b->client));
		rc = -1;
	}
	if (b->allocated && rc == 0 &&
	    daspool_release(b->client, b->name) != 0) {
		snprintf(err, errlen, "releasing %s: %s", b->name,
		    daspool_client_error(b->client));
		rc = -1;
	}
	b->mounted = b->allocated = 0;
	daspool_client_close(b->client);
	b->client = NULL;
	return rc;
}
