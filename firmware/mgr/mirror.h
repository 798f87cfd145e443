/*
 * The borrower's mirror-leg requests (docs/PROTOCOL.md): MIRROR_STATUS,
 * LEG_FAIL, MARK_DIRTY, RESYNC_BEGIN, RESYNC_PROGRESS, RESYNC_DONE.
 * The borrower is the TLS peer; the store decides (store.h).
 */
#ifndef DASPOOL_MGR_MIRROR_H
#define DASPOOL_MGR_MIRROR_H

#include "mgr.h"

int	mirror_handle_status(struct conn *, const struct dsp_header *,
	    const uint8_t *, struct buf_writer *, char *, size_t);
int	mirror_handle_leg_fail(struct conn *, const struct dsp_header *,
	    const uint8_t *, struct buf_writer *, char *, size_t);
int	mirror_handle_mark_dirty(struct conn *, const struct dsp_header *,
	    const uint8_t *, struct buf_writer *, char *, size_t);
int	mirror_handle_resync_begin(struct conn *, const struct dsp_header *,
	    const uint8_t *, struct buf_writer *, char *, size_t);
int	mirror_handle_resync_progress(struct conn *, const struct dsp_header *,
	    const uint8_t *, struct buf_writer *, char *, size_t);
int	mirror_handle_resync_done(struct conn *, const struct dsp_header *,
	    const uint8_t *, struct buf_writer *, char *, size_t);

#endif
