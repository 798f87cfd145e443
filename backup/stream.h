/*
 * One copy's bytes onto tape, as one tape file that may span tapes:
 * when the tape ends, the file is closed with its mark and goes on as
 * the next file of the next labelled tape with room. Restoring is the
 * parts read in order (RESTORE.txt says how, with mt and tar alone).
 */
#ifndef DASPOOL_BACKUP_STREAM_H
#define DASPOOL_BACKUP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "tape.h"

#define STREAM_PARTS_MAX	16

struct stream_part {
	char		label[TAPE_LABEL_MAX + 1];
	unsigned int	file;		/* its number on that tape */
	uint64_t	bytes;
};

/*
 * When no labelled tape, scratch or not, has room: may the full tape `label` be written
 * over (every copy on it expired)? 1 yes, with *age the time of its
 * newest copy (the oldest tape goes first); take 1 says it is taken
 * (its copies leave the catalog). NULL: no tape is ever reused.
 */
typedef int	(*stream_recycle_fn)(void *arg, const char *label, int take,
		    uint64_t *age);

/* Which tapes a stream may take, and in what order: tapes with room
 * that are not scratch, then scratch tapes (the reserve: scratch says
 * which), then a full one retention lets go (recycle). NULLs: none. */
struct stream_policy {
	stream_recycle_fn	 recycle;
	int			(*scratch)(void *arg, const char *label);
	void			*arg;
};

struct tape_stream {
	struct tape_library	*lib;
	struct stream_policy	 policy;
	struct stream_part	 parts[STREAM_PARTS_MAX];
	unsigned int		 nparts;
	uint64_t		 bytes;
	char			 err[TAPE_ERR_MAX];
};

/* Starts on the loaded tape when it is labelled and has room, else on
 * the first such tape in slot order. 0, or -1 with err. */
int	stream_open(struct tape_stream *, struct tape_library *,
	    const struct stream_policy *);
/* tar's writer callback (tar.h). */
int	stream_write(void *stream, const void *buf, size_t len);
/* The last part's mark. */
int	stream_close(struct tape_stream *);

#endif
