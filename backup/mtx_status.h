/*
 * What `mtx -f CHANGER status` prints, read into the changer's drives
 * and slots. The lines it knows (mtx's own formats):
 *
 *   Storage Changer DEVICE:D Drives, S Slots ( I Import/Export )
 *   Data Transfer Element N:Empty
 *   Data Transfer Element N:Full (Storage Element S Loaded):VolumeTag = TAG
 *   Data Transfer Element N:Full (Unknown Storage Element Loaded)
 *         Storage Element S:Full :VolumeTag=TAG:AlternateVolumeTag=ALT
 *         Storage Element S IMPORT/EXPORT:Empty
 *
 * Tags are optional, padded with blanks (trimmed here). Other lines are
 * passed over; a malformed number is an error naming its line.
 */
#ifndef DASPOOL_BACKUP_MTX_STATUS_H
#define DASPOOL_BACKUP_MTX_STATUS_H

#include <stddef.h>

#include "tape.h"

#define MTX_DRIVES_MAX	64
/* A SCSI volume tag: 32 characters of identifier, 4 of sequence. */
#define MTX_TAG_MAX	36

struct mtx_element {
	int		full;
	int		import_export;	/* slots: a mail slot */
	unsigned int	source;		/* drives: its tape's slot, 0 unknown */
	char		tag[MTX_TAG_MAX + 1];		/* barcode, "" none */
	char		alt_tag[MTX_TAG_MAX + 1];
};

struct mtx_status {
	unsigned int		ndrives, nslots, nimport_export;
	struct mtx_element	drives[MTX_DRIVES_MAX];	/* drive n at n */
	struct mtx_element	slots[TAPE_SLOTS_MAX];	/* slot n at n - 1 */
};

/* 0, or -1 with a sentence in err. */
int	mtx_status_parse(const char *text, struct mtx_status *, char *err,
	    size_t errlen);

#endif
