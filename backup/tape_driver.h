/*
 * What a tape library driver provides (tape.h's functions call through
 * it): vtl.c, the directories of a virtual library, and scsi.c, a
 * changer driven by mtx and a drive by the st driver. A driver's state
 * begins with struct tape_library, so tape.c reaches the ops and the
 * error sentence of any library.
 */
#ifndef DASPOOL_BACKUP_TAPE_DRIVER_H
#define DASPOOL_BACKUP_TAPE_DRIVER_H

#include "tape.h"

struct tape_driver {
	const char	*name;
	void		(*close)(struct tape_library *);
	int		(*inventory)(struct tape_library *, struct tape_slot *,
			    unsigned int *);
	int		(*label)(struct tape_library *, unsigned int,
			    const char *);
	int		(*load)(struct tape_library *, unsigned int);
	unsigned int	(*loaded)(const struct tape_library *);
	int		(*append)(struct tape_library *);
	ssize_t		(*write)(struct tape_library *, const void *, size_t);
	int		(*mark)(struct tape_library *);
	int		(*seek_file)(struct tape_library *, unsigned int);
	ssize_t		(*read)(struct tape_library *, void *, size_t);
};

struct tape_library {
	const struct tape_driver	*driver;
	char				 err[TAPE_ERR_MAX];
};

/* Sets the library's error sentence; returns -1. */
int	tape_fail(struct tape_library *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A label a tape may carry: 1 to TAPE_LABEL_MAX of A-Z 0-9. */
int	tape_label_valid(const char *label);

#endif
