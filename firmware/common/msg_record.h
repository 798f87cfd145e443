/*
 * The record of a volume as its lenders keep it (docs/PROTOCOL.md, "The
 * table on the lenders"): everything a manager needs to rebuild the
 * volume from the agents, nothing about who borrows it. The manager
 * pushes it with VOLUME_PUT on every change; an agent reports the ones
 * the manager does not list, or asks for, with VOLUME_RECORD. Its digest
 * tells whether two copies are the same.
 */
#ifndef DASPOOL_MSG_RECORD_H
#define DASPOOL_MSG_RECORD_H

#include "msg.h"

struct msg_record_extent {
	dsp_name	server;
	dsp_name	region;
	uint64_t	offset;		/* in the region */
	uint64_t	length;
	uint8_t		leg_state;	/* enum dsp_leg_state */
	uint8_t		full_resync;
	uint8_t		server_retired;
	char		leg_reason[DSP_LEG_REASON_MAX + 1];
};

struct msg_volume_record {
	dsp_name			 name;
	uint8_t				 form;	/* enum dsp_usage_form */
	uint64_t			 size;
	uint64_t			 generation;
	uint64_t			 revision;	/* one up per change */
	uint64_t			 created_at;
	uint32_t			 chunk_size;	/* mirror, else 0 */
	uint64_t			 dirty_chunks;
	uint16_t			 extent_count;
	struct msg_record_extent	 extents[DSP_MAX_EXTENTS];
	/* Write-intent bitmap: empty when no chunk is dirty, else
	 * BITMAP_BYTES(size / chunk_size rounded up) bytes. Points into
	 * the frame buffer, or the encoder's caller's memory. */
	const uint8_t			*bitmap;
	size_t				 bitmap_len;
};

/* VOLUME_RECORD reply: what the agent does with the record it sent. */
enum dsp_record_verdict {
	DSP_RECORD_KEEP		= 0,
	DSP_RECORD_DROP		= 1,	/* not a volume of the pool: delete */
};

/* FENCE_ACK reply: the volumes whose records the manager asks for
 * (each then comes in a VOLUME_RECORD). */
struct msg_volume_names {
	uint16_t	count;
	dsp_name	names[DSP_MAX_GENERATIONS];
};

void	msg_encode_volume_record(struct buf_writer *,
	    const struct msg_volume_record *);
/* Beyond framing, E_INVALID for a bad name, form, leg state, extent
 * count, or a bitmap of the wrong length. */
int	msg_decode_volume_record(const uint8_t *, size_t,
	    struct msg_volume_record *);
/* The first DSP_DIGEST_LEN bytes of a SHA-256 over the encoding; 0, or
 * -1 if it cannot be computed. */
int	msg_volume_record_digest(const struct msg_volume_record *,
	    uint8_t digest[DSP_DIGEST_LEN]);
/* The same over bytes of an encoding. */
void	msg_digest_bytes(const uint8_t *, size_t,
	    uint8_t digest[DSP_DIGEST_LEN]);
/* The extents on server: 1 if any. */
int	msg_volume_record_uses(const struct msg_volume_record *,
	    const char *server);
void	msg_encode_volume_names(struct buf_writer *,
	    const struct msg_volume_names *);
int	msg_decode_volume_names(const uint8_t *, size_t,
	    struct msg_volume_names *);
void	msg_encode_verdict(struct buf_writer *, uint8_t);
int	msg_decode_verdict(const uint8_t *, size_t, uint8_t *);

#endif
