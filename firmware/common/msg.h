/*
 * Payload layouts of every request and reply, with their encoders and
 * strict decoders. Encoders append to a buf_writer; decoders return
 * DSP_OK or DSP_E_FRAME (bad length, trailing bytes, too many items) or
 * DSP_E_INVALID (a field out of its domain).
 */
#ifndef DASPOOL_MSG_H
#define DASPOOL_MSG_H

#include "buf.h"
#include "proto.h"

typedef char dsp_name[DSP_NAME_MAX + 1];

/* Where a region lives on its server, as the agent says it. */
#define MSG_BACKING_MAX		255

/* REGISTER request: the agent's regions. Server name comes from the
 * certificate; the payload repeats it and the manager checks they match. */
struct msg_region {
	dsp_name	name;
	uint64_t	size;
	uint8_t		available;	/* 0: missing or short */
	char		reason[128];	/* why unavailable, "" if available */
	char		backing[MSG_BACKING_MAX + 1];	/* path(s), "" if unsaid */
};

struct msg_register {
	dsp_name		server;
	dsp_name		host;		/* data address for borrowers */
	uint16_t		port;
	uint16_t		region_count;
	struct msg_region	regions[DSP_MAX_REGIONS];
};

/*
 * REGISTER reply: the current generation of every volume having an
 * extent on the agent's server, with the revision and digest of its
 * record (msg_record.h). FENCE_ACK request: the same volumes with the
 * highest generation the agent has seen and the revision and digest of
 * the record it keeps (0 and zeros when it keeps none).
 */
struct msg_generation {
	dsp_name	volume;
	uint64_t	generation;
	uint64_t	revision;
	uint8_t		digest[DSP_DIGEST_LEN];
};

struct msg_generations {
	uint16_t		count;
	struct msg_generation	items[DSP_MAX_GENERATIONS];
};

/* REGISTER and GENERATIONS replies: one page of the generations, in
 * volume name order; more = 1 when the agent must ask GENERATIONS for
 * the volumes after the last one here. */
struct msg_generation_page {
	struct msg_generations	gens;
	uint8_t			more;
};

/* ALLOCATE request / reply */
struct msg_allocate {
	dsp_name	volume;		/* "" = any free volume >= min_size */
	uint64_t	min_size;
};

struct msg_allocated {
	dsp_name	volume;
	uint64_t	size;
};

/* MOUNT, RENEW, UNMOUNT, RELEASE requests carry only a volume name. */
struct msg_volume_ref {
	dsp_name	volume;
};

/* One extent of a volume as a borrower sees it. */
struct msg_extent {
	dsp_name	server;
	dsp_name	host;
	uint16_t	port;
	dsp_name	region;
	uint64_t	offset;		/* in the region */
	uint64_t	length;
};

/* MOUNT reply: the mount info plus the manager-signed ticket;
 * RENEW reply has the same layout. */
struct msg_mount_info {
	dsp_name		volume;
	uint8_t			form;		/* enum dsp_usage_form */
	uint64_t		size;
	uint8_t			status;		/* 1 mounted */
	uint64_t		generation;
	uint64_t		expires_at;	/* unix seconds */
	uint16_t		extent_count;
	struct msg_extent	extents[DSP_MAX_EXTENTS];
	uint32_t		ticket_len;
	uint8_t			ticket[DSP_TICKET_MAX];
};

/* ADMIN request: one command line; reply: text (DSP_TEXT_MAX). */

/*
 * ATTACH request: the ticket, and the id of the borrower's stream: the
 * same on every reconnect of one data connection, so the agent can
 * retire the requests of the connection it replaces (0 = none).
 */
struct msg_attach {
	const uint8_t	*ticket;	/* points into the frame buffer */
	size_t		 ticket_len;
	uint64_t	 stream;
};

/* ATTACH reply */
struct msg_attached {
	dsp_name	volume;
	uint64_t	generation;
	uint64_t	expires_at;
};

/*
 * Data requests (INIT WRITE READ SEARCH ERASE FLUSH): who asks, which
 * disk, what access. Offsets are within the region. For WRITE, data is
 * the bytes to write (length == data_len); for SEARCH, data is the
 * pattern. INIT zeroes [offset, offset+length). FLUSH ignores the range.
 */
struct msg_data_request {
	dsp_name	requester;
	dsp_name	volume;
	dsp_name	region;
	uint64_t	offset;
	uint64_t	length;
	uint32_t	max_matches;	/* SEARCH only, <= DSP_MAX_MATCHES */
	const uint8_t	*data;		/* points into the frame buffer */
	size_t		data_len;
};

/* One run of a MAP reply: length bytes that are all data or all hole
 * (a hole reads as zeroes). */
#define DSP_RUN_HOLE	0x1U
struct msg_run {
	uint64_t	length;
	uint32_t	flags;		/* DSP_RUN_* */
};

/*
 * Data reply: echoes requester, volume, region, offset, length, then the
 * result: READ the bytes read, SEARCH the match offsets (in the region),
 * MAP the runs from offset on (done bytes of them, in order), the
 * others the number of bytes done.
 */
struct msg_data_reply {
	dsp_name	requester;
	dsp_name	volume;
	dsp_name	region;
	uint64_t	offset;
	uint64_t	length;
	uint64_t	done;		/* bytes done / searched */
	uint32_t	match_count;
	uint64_t	matches[DSP_MAX_MATCHES];
	uint32_t	run_count;
	struct msg_run	runs[DSP_MAX_RUNS];
	const uint8_t	*data;		/* READ: points into the frame buffer */
	size_t		data_len;
};

/* REVOKE request (manager -> agent) */
struct msg_revoke {
	dsp_name	volume;
	uint64_t	generation;
};

void	msg_encode_register(struct buf_writer *, const struct msg_register *);
int	msg_decode_register(const uint8_t *, size_t, struct msg_register *);
void	msg_encode_generations(struct buf_writer *, const struct msg_generations *);
int	msg_decode_generations(const uint8_t *, size_t, struct msg_generations *);
void	msg_encode_generation_page(struct buf_writer *,
	    const struct msg_generation_page *);
int	msg_decode_generation_page(const uint8_t *, size_t,
	    struct msg_generation_page *);
void	msg_encode_allocate(struct buf_writer *, const struct msg_allocate *);
int	msg_decode_allocate(const uint8_t *, size_t, struct msg_allocate *);
void	msg_encode_allocated(struct buf_writer *, const struct msg_allocated *);
int	msg_decode_allocated(const uint8_t *, size_t, struct msg_allocated *);
void	msg_encode_volume_ref(struct buf_writer *, const struct msg_volume_ref *);
int	msg_decode_volume_ref(const uint8_t *, size_t, struct msg_volume_ref *);
void	msg_encode_mount_info(struct buf_writer *, const struct msg_mount_info *);
int	msg_decode_mount_info(const uint8_t *, size_t, struct msg_mount_info *);
void	msg_encode_text(struct buf_writer *, const char *);
/* out has DSP_TEXT_MAX + 1 bytes */
int	msg_decode_text(const uint8_t *, size_t, char *out);
void	msg_encode_attach(struct buf_writer *, const struct msg_attach *);
int	msg_decode_attach(const uint8_t *, size_t, struct msg_attach *);
void	msg_encode_attached(struct buf_writer *, const struct msg_attached *);
int	msg_decode_attached(const uint8_t *, size_t, struct msg_attached *);
void	msg_encode_data_request(struct buf_writer *, uint8_t opcode,
	    const struct msg_data_request *);
int	msg_decode_data_request(const uint8_t *, size_t, uint8_t opcode,
	    struct msg_data_request *);
void	msg_encode_data_reply(struct buf_writer *, uint8_t opcode,
	    const struct msg_data_reply *);
int	msg_decode_data_reply(const uint8_t *, size_t, uint8_t opcode,
	    struct msg_data_reply *);
void	msg_encode_revoke(struct buf_writer *, const struct msg_revoke *);
int	msg_decode_revoke(const uint8_t *, size_t, struct msg_revoke *);

/* A name is 1..DSP_NAME_MAX of [A-Za-z0-9._:-]. */
int	msg_name_valid(const char *);

#endif
