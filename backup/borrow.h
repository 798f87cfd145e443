/*
 * A restore's target volume, borrowed the normal way: a borrower's
 * daspool.conf client allocates and mounts it, the restore writes it
 * through the usual data path, and it is unmounted and released after.
 */
#ifndef DASPOOL_BACKUP_BORROW_H
#define DASPOOL_BACKUP_BORROW_H

#include <stddef.h>

#include "daspool.h"

struct borrowed {
	struct daspool_client	*client;
	struct daspool_volume	*volume;
	char			 name[DASPOOL_NAME_MAX + 1];
	int			 allocated, mounted;
};

/*
 * Borrows volume with the borrower config at conf_path and opens it.
 * 0, or -1 with the reason in err (what was taken is given back).
 */
int	borrow_volume(const char *conf_path, const char *volume,
	    struct borrowed *, char *err, size_t errlen);
/* Closes, unmounts and releases; -1 with the first fault in err. */
int	borrow_return(struct borrowed *, char *err, size_t errlen);

#endif
