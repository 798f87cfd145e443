/*
 * Messages of the mirror-leg requests (borrower -> manager), see
 * docs/PROTOCOL.md. Byte ranges are volume offsets; the manager turns
 * them into write-intent bitmap chunks.
 */
#ifndef DASPOOL_MSG_MIRROR_H
#define DASPOOL_MSG_MIRROR_H

#include "msg.h"

#define DSP_REASON_MAX	255

struct msg_range {
	uint64_t	offset;
	uint64_t	length;
};

struct msg_leg_status {
	uint8_t		state;		/* enum dsp_leg_state */
	uint8_t		server_up;
	uint8_t		full;		/* next resync copies every chunk */
	uint64_t	resync_done;	/* chunks copied by the current resync */
	uint64_t	resync_total;
};

/* MIRROR_STATUS reply; LEG_FAIL and RESYNC_DONE replies too. */
struct msg_mirror_status {
	dsp_name		volume;
	uint8_t			health;		/* enum dsp_health */
	uint32_t		chunk_size;
	uint64_t		dirty_chunks;
	uint16_t		leg_count;
	struct msg_leg_status	legs[DSP_MAX_EXTENTS];
};

/* LEG_FAIL request: leg (extent index) failed; the ranges were written
 * to the other legs but maybe not to this one. */
struct msg_leg_fail {
	dsp_name		volume;
	uint16_t		leg;
	char			reason[DSP_REASON_MAX + 1];
	uint16_t		range_count;
	struct msg_range	ranges[DSP_MAX_RANGES];
};

/* MARK_DIRTY request: about to write these ranges while a leg is not in
 * sync. Reply empty, sent once the marks are durable. */
struct msg_mark_dirty {
	dsp_name		volume;
	uint16_t		range_count;
	struct msg_range	ranges[DSP_MAX_RANGES];
};

/* RESYNC_BEGIN request */
struct msg_leg_ref {
	dsp_name	volume;
	uint16_t	leg;
};

/* RESYNC_BEGIN reply: the chunks to copy. full = every chunk (the
 * bitmap cannot be trusted), then bitmap_len is 0. */
struct msg_resync_plan {
	dsp_name	 volume;
	uint16_t	 leg;
	uint8_t		 full;
	uint32_t	 chunk_size;
	uint64_t	 chunk_count;
	const uint8_t	*bitmap;	/* points into the frame buffer */
	size_t		 bitmap_len;	/* (chunk_count + 7) / 8, or 0 */
};

/* RESYNC_PROGRESS and RESYNC_DONE requests: chunks copied so far (done)
 * of total. Reply of RESYNC_PROGRESS is empty. */
struct msg_resync_progress {
	dsp_name	volume;
	uint16_t	leg;
	uint64_t	done;
	uint64_t	total;
};

/*
 * LEG_HOLD request (manager -> agent): while held the agent refuses
 * borrowers' WRITE, INIT and ERASE of the volume, for at most lease
 * seconds. hold 1 holds it (reply once no such request admitted before
 * it runs); 2 renews a hold and 0 (lease 0) lifts it, both refused
 * (E_STATE) when the volume was not held there: the agent restarted,
 * or the lease ran out, and writes may have landed meanwhile.
 */
#define DSP_HOLD_LEASE_MAX	86400

enum dsp_hold { DSP_HOLD_LIFT = 0, DSP_HOLD_SET = 1, DSP_HOLD_RENEW = 2 };

struct msg_leg_hold {
	dsp_name	volume;
	uint8_t		hold;		/* enum dsp_hold */
	uint32_t	lease;		/* seconds */
};

void	msg_encode_mirror_status(struct buf_writer *,
	    const struct msg_mirror_status *);
int	msg_decode_mirror_status(const uint8_t *, size_t,
	    struct msg_mirror_status *);
void	msg_encode_leg_fail(struct buf_writer *, const struct msg_leg_fail *);
int	msg_decode_leg_fail(const uint8_t *, size_t, struct msg_leg_fail *);
void	msg_encode_mark_dirty(struct buf_writer *,
	    const struct msg_mark_dirty *);
int	msg_decode_mark_dirty(const uint8_t *, size_t, struct msg_mark_dirty *);
void	msg_encode_leg_ref(struct buf_writer *, const struct msg_leg_ref *);
int	msg_decode_leg_ref(const uint8_t *, size_t, struct msg_leg_ref *);
void	msg_encode_resync_plan(struct buf_writer *,
	    const struct msg_resync_plan *);
int	msg_decode_resync_plan(const uint8_t *, size_t,
	    struct msg_resync_plan *);
void	msg_encode_resync_progress(struct buf_writer *,
	    const struct msg_resync_progress *);
int	msg_decode_resync_progress(const uint8_t *, size_t,
	    struct msg_resync_progress *);
void	msg_encode_leg_hold(struct buf_writer *, const struct msg_leg_hold *);
int	msg_decode_leg_hold(const uint8_t *, size_t, struct msg_leg_hold *);

#endif
