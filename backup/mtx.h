/*
 * The mtx command, run for the scsi driver: `mtx -f CHANGER ARGS...`
 * with fork and execvp (no shell), its output captured.
 */
#ifndef DASPOOL_BACKUP_MTX_H
#define DASPOOL_BACKUP_MTX_H

#include <stddef.h>

/*
 * args ends with NULL. 0 with mtx's standard output in out (NUL
 * ended), or -1 with a sentence in err naming the command, its exit
 * status and the last line mtx printed on its standard error.
 */
int	mtx_run(const char *changer, const char *const *args, char *out,
	    size_t outlen, char *err, size_t errlen);

#endif
