/*
 * Mirror requests from a volume handle to the manager (mirror_mgr.c).
 * Each returns 0, the manager's refusal (> 0) or a DASPOOL_ERR code,
 * with a sentence in err. Safe from any thread.
 */
#ifndef DASPOOL_LIB_MIRROR_MGR_H
#define DASPOOL_LIB_MIRROR_MGR_H

#include "msg_mirror.h"

struct daspool_volume;

int	mirror_mgr_status(struct daspool_volume *, struct msg_mirror_status *,
	    char *err, size_t errlen);
/* length 0: no range to mark. */
int	mirror_mgr_leg_fail(struct daspool_volume *, uint16_t leg,
	    const char *why, uint64_t offset, uint64_t length,
	    struct msg_mirror_status *, char *err, size_t errlen);
int	mirror_mgr_mark(struct daspool_volume *, uint64_t offset,
	    uint64_t length, char *err, size_t errlen);
/* *bits: malloc'd bitmap, NULL for a full resync. */
int	mirror_mgr_resync_begin(struct daspool_volume *, uint16_t leg,
	    struct msg_resync_plan *, uint8_t **bits, char *err,
	    size_t errlen);
/* opcode RESYNC_PROGRESS (st NULL) or RESYNC_DONE. */
int	mirror_mgr_resync_report(struct daspool_volume *, uint8_t opcode,
	    uint16_t leg, uint64_t done, uint64_t total,
	    struct msg_mirror_status *st, char *err, size_t errlen);

#endif
