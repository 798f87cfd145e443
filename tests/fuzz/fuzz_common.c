/*
 * See fuzz_common.h. abort() on a broken property, so libFuzzer keeps
 * the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "msg.h"
#include "msg_backup.h"
#include "msg_mirror.h"
#include "msg_record.h"
#include "fuzz_common.h"
#include "text.h"

typedef void	fuzz_fn(uint8_t opcode, const uint8_t *, size_t);

/* Which decoder reads the payload of each request and reply
 * (docs/PROTOCOL.md, "Opcodes"). Empty payloads have no decoder; the
 * ticket inside an ATTACH request is fuzzed by ticket_fuzz. */
struct fuzz_decoder {
	uint8_t		 opcode;
	int		 reply;
	fuzz_fn		*fn;
};

static struct buf_writer	w;

static void
fuzz_same(const char *what, const uint8_t *data, size_t len)
{
	if (w.error || w.len != len || (len > 0 && memcmp(w.data, data, len))) {
		fprintf(stderr, "%s: re-encoding differs (%zu vs %zu bytes)\n",
		    what, w.len, len);
		abort();
	}
}

/* Checks the decoder's answer is one it may give, and that an accepted
 * payload re-encodes to itself. */
static int
fuzz_accepted(const char *what, int rc)
{
	switch (rc) {
	case DSP_OK:
		buf_writer_reset(&w);
		return 1;
	case DSP_E_FRAME:
	case DSP_E_INVALID:
	case DSP_E_TOOBIG:
	case DSP_E_OPCODE:
		return 0;
	default:
		fprintf(stderr, "%s: unexpected status %d\n", what, rc);
		abort();
	}
}

/* fuzz_NAME: decodes with msg_decode_NAME and re-encodes. The message
 * is static: the big ones would not fit the fuzzer's stack. */
#define ROUND_TRIP(name, type)						\
static void								\
fuzz_##name(uint8_t opcode, const uint8_t *data, size_t len)		\
{									\
	static type	m;						\
									\
	(void)opcode;							\
	if (fuzz_accepted(#name, msg_decode_##name(data, len, &m))) {	\
		msg_encode_##name(&w, &m);				\
		fuzz_same(#name, data, len);				\
	}								\
}

/* A REGISTER re-encodes to itself, or is one as agents of before send
 * it: the same bytes without the backings, which read as empty. */
static void
fuzz_register(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_register	m;
	uint16_t			i;

	(void)opcode;
	if (!fuzz_accepted("register", msg_decode_register(data, len, &m)))
		return;
	msg_encode_register(&w, &m);
	if (w.len == len + 2U * m.region_count && !w.error &&
	    memcmp(w.data, data, len) == 0) {
		for (i = 0; i < m.region_count; i++)
			if (m.regions[i].backing[0] != '\0') {
				fprintf(stderr, "register: a backing out of "
				    "nothing\n");
				abort();
			}
		return;
	}
	fuzz_same("register", data, len);
}

ROUND_TRIP(generations, struct msg_generations)
ROUND_TRIP(generation_page, struct msg_generation_page)
ROUND_TRIP(allocate, struct msg_allocate)
ROUND_TRIP(allocated, struct msg_allocated)
ROUND_TRIP(volume_ref, struct msg_volume_ref)
ROUND_TRIP(mount_info, struct msg_mount_info)
ROUND_TRIP(attached, struct msg_attached)
ROUND_TRIP(revoke, struct msg_revoke)
ROUND_TRIP(mirror_status, struct msg_mirror_status)
ROUND_TRIP(leg_fail, struct msg_leg_fail)
ROUND_TRIP(mark_dirty, struct msg_mark_dirty)
ROUND_TRIP(leg_ref, struct msg_leg_ref)
ROUND_TRIP(resync_progress, struct msg_resync_progress)
ROUND_TRIP(leg_hold, struct msg_leg_hold)
ROUND_TRIP(volume_names, struct msg_volume_names)

static void
fuzz_text(uint8_t opcode, const uint8_t *data, size_t len)
{
	static char	text[DSP_TEXT_MAX + 1];

	(void)opcode;
	if (fuzz_accepted("text", msg_decode_text(data, len, text))) {
		msg_encode_text(&w, text);
		fuzz_same("text", data, len);
	}
}

/* An accepted row is one the audit trail keeps whole: a known event,
 * and a text that fits the row once escaped. */
static void
fuzz_backup_audit(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_backup_audit	m;
	char				escaped[TEXT_ESCAPED_SIZE(
					    DSP_AUDIT_TEXT_MAX)];

	(void)opcode;
	if (!fuzz_accepted("backup_audit",
	    msg_decode_backup_audit(data, len, &m)))
		return;
	if (!msg_backup_event_valid(m.event) ||
	    text_escape(escaped, sizeof(escaped), m.text) >
	    DSP_AUDIT_TEXT_MAX) {
		fprintf(stderr, "backup_audit: a row the trail cannot keep\n");
		abort();
	}
	msg_encode_backup_audit(&w, &m);
	fuzz_same("backup_audit", data, len);
}

/* Zero copy: what a decoder points at lies inside the input. */
static void
fuzz_inside(const char *what, const uint8_t *p, size_t n,
    const uint8_t *data, size_t len)
{
	if (n > 0 && (p < data || p + n > data + len)) {
		fprintf(stderr, "%s: points outside the payload\n", what);
		abort();
	}
}

static void
fuzz_attach(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_attach	m;

	(void)opcode;
	if (fuzz_accepted("attach", msg_decode_attach(data, len, &m))) {
		fuzz_inside("attach", m.ticket, m.ticket_len, data, len);
		msg_encode_attach(&w, &m);
		fuzz_same("attach", data, len);
	}
}

static void
fuzz_resync_plan(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_resync_plan	m;

	(void)opcode;
	if (fuzz_accepted("resync_plan",
	    msg_decode_resync_plan(data, len, &m))) {
		fuzz_inside("resync_plan", m.bitmap, m.bitmap_len, data, len);
		msg_encode_resync_plan(&w, &m);
		fuzz_same("resync_plan", data, len);
	}
}

/* Agents and the manager compare records by a digest of the bytes kept
 * or received: the one of the decoded record must be the same. */
static void
fuzz_volume_record(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_volume_record	m;
	uint8_t				mine[DSP_DIGEST_LEN];
	uint8_t				theirs[DSP_DIGEST_LEN];

	(void)opcode;
	if (fuzz_accepted("volume_record",
	    msg_decode_volume_record(data, len, &m))) {
		fuzz_inside("volume_record", m.bitmap, m.bitmap_len, data,
		    len);
		msg_encode_volume_record(&w, &m);
		fuzz_same("volume_record", data, len);
		msg_digest_bytes(data, len, theirs);
		if (msg_volume_record_digest(&m, mine) != 0 ||
		    memcmp(mine, theirs, sizeof(mine)) != 0) {
			fprintf(stderr, "volume_record: digest differs from "
			    "that of its bytes\n");
			abort();
		}
	}
}

static void
fuzz_verdict(uint8_t opcode, const uint8_t *data, size_t len)
{
	uint8_t	verdict;

	(void)opcode;
	if (fuzz_accepted("verdict", msg_decode_verdict(data, len,
	    &verdict))) {
		msg_encode_verdict(&w, verdict);
		fuzz_same("verdict", data, len);
	}
}

static void
fuzz_data_request(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_data_request	m;

	if (fuzz_accepted("data request",
	    msg_decode_data_request(data, len, opcode, &m))) {
		fuzz_inside("data request", m.data, m.data_len, data, len);
		msg_encode_data_request(&w, opcode, &m);
		fuzz_same("data request", data, len);
	}
}

static void
fuzz_data_reply(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_data_reply	m;

	if (fuzz_accepted("data reply",
	    msg_decode_data_reply(data, len, opcode, &m))) {
		fuzz_inside("data reply", m.data, m.data_len, data, len);
		msg_encode_data_reply(&w, opcode, &m);
		fuzz_same("data reply", data, len);
	}
}

#define DATA_OP(op)	{ op, 0, fuzz_data_request }, \
			{ op, 1, fuzz_data_reply }

static const struct fuzz_decoder fuzz_decoders[] = {
	{ DSP_OP_REGISTER, 0, fuzz_register },
	{ DSP_OP_REGISTER, 1, fuzz_generation_page },
	{ DSP_OP_FENCE_ACK, 0, fuzz_generations },
	{ DSP_OP_FENCE_ACK, 1, fuzz_volume_names },
	{ DSP_OP_GENERATIONS, 0, fuzz_volume_ref },
	{ DSP_OP_GENERATIONS, 1, fuzz_generation_page },
	{ DSP_OP_VOLUME_RECORD, 0, fuzz_volume_record },
	{ DSP_OP_VOLUME_RECORD, 1, fuzz_verdict },
	{ DSP_OP_ALLOCATE, 0, fuzz_allocate },
	{ DSP_OP_ALLOCATE, 1, fuzz_allocated },
	{ DSP_OP_MOUNT, 0, fuzz_volume_ref },
	{ DSP_OP_MOUNT, 1, fuzz_mount_info },
	{ DSP_OP_RENEW, 0, fuzz_volume_ref },
	{ DSP_OP_RENEW, 1, fuzz_mount_info },
	{ DSP_OP_UNMOUNT, 0, fuzz_volume_ref },
	{ DSP_OP_RELEASE, 0, fuzz_volume_ref },
	{ DSP_OP_MIRROR_STATUS, 0, fuzz_volume_ref },
	{ DSP_OP_BACKUP_OPEN, 0, fuzz_volume_ref },
	{ DSP_OP_BACKUP_OPEN, 1, fuzz_mount_info },
	{ DSP_OP_BACKUP_LIST, 0, fuzz_volume_ref },
	{ DSP_OP_BACKUP_LIST, 1, fuzz_generation_page },
	{ DSP_OP_BACKUP_AUDIT, 0, fuzz_backup_audit },
	{ DSP_OP_MIRROR_STATUS, 1, fuzz_mirror_status },
	{ DSP_OP_LEG_FAIL, 0, fuzz_leg_fail },
	{ DSP_OP_LEG_FAIL, 1, fuzz_mirror_status },
	{ DSP_OP_MARK_DIRTY, 0, fuzz_mark_dirty },
	{ DSP_OP_RESYNC_BEGIN, 0, fuzz_leg_ref },
	{ DSP_OP_RESYNC_BEGIN, 1, fuzz_resync_plan },
	{ DSP_OP_RESYNC_PROGRESS, 0, fuzz_resync_progress },
	{ DSP_OP_RESYNC_DONE, 0, fuzz_resync_progress },
	{ DSP_OP_RESYNC_DONE, 1, fuzz_mirror_status },
	{ DSP_OP_ADMIN, 0, fuzz_text },
	{ DSP_OP_ADMIN, 1, fuzz_text },
	{ DSP_OP_ATTACH, 0, fuzz_attach },
	{ DSP_OP_ATTACH, 1, fuzz_attached },
	DATA_OP(DSP_OP_INIT),
	DATA_OP(DSP_OP_WRITE),
	DATA_OP(DSP_OP_READ),
	DATA_OP(DSP_OP_SEARCH),
	DATA_OP(DSP_OP_ERASE),
	DATA_OP(DSP_OP_FLUSH),
	DATA_OP(DSP_OP_MAP),
	{ DSP_OP_REVOKE, 0, fuzz_revoke },
	{ DSP_OP_VOLUME_PUT, 0, fuzz_volume_record },
	{ DSP_OP_VOLUME_DROP, 0, fuzz_revoke },
	{ DSP_OP_SPLIT_LEG, 0, fuzz_volume_ref },
	{ DSP_OP_SPLIT_LEG, 1, fuzz_leg_ref },
	{ DSP_OP_SPLIT_END, 0, fuzz_leg_ref },
	{ DSP_OP_LEG_HOLD, 0, fuzz_leg_hold },
};

#define FUZZ_NDECODERS	(sizeof(fuzz_decoders) / sizeof(fuzz_decoders[0]))

/* Not a data opcode: both data decoders must refuse it. */
static void
fuzz_not_data(uint8_t opcode, const uint8_t *data, size_t len)
{
	static struct msg_data_request	req;
	static struct msg_data_reply	rep;

	if (msg_decode_data_request(data, len, opcode, &req) !=
	    DSP_E_OPCODE ||
	    msg_decode_data_reply(data, len, opcode, &rep) != DSP_E_OPCODE) {
		fprintf(stderr, "opcode %u: a data decoder took it\n", opcode);
		abort();
	}
}

void
fuzz_payload(uint8_t opcode, int reply, const uint8_t *data, size_t len)
{
	size_t	i;

	for (i = 0; i < FUZZ_NDECODERS; i++)
		if (fuzz_decoders[i].opcode == opcode &&
		    fuzz_decoders[i].reply == reply)
			fuzz_decoders[i].fn(opcode, data, len);
	if (opcode < DSP_OP_INIT || opcode > DSP_OP_MAP)
		fuzz_not_data(opcode, data, len);
}

void
fuzz_error_text(const uint8_t *data, size_t len)
{
	char	text[512];
	size_t	i;

	memset(text, 'Z', sizeof(text));
	channel_error_text(data, len, text, sizeof(text));
	for (i = 0; i < sizeof(text) && text[i] != '\0'; i++)
		if (text[i] < 0x20 || text[i] > 0x7e) {
			fprintf(stderr, "error text: byte 0x%02x shown raw\n",
			    (unsigned char)text[i]);
			abort();
		}
	if (i == sizeof(text)) {
		fprintf(stderr, "error text: not NUL-terminated\n");
		abort();
	}
}

void
fuzz_every_decoder(const uint8_t *data, size_t len)
{
	size_t	i;

	for (i = 0; i < FUZZ_NDECODERS; i++)
		fuzz_decoders[i].fn(fuzz_decoders[i].opcode, data, len);
	fuzz_not_data(DSP_OP_HEARTBEAT, data, len);
	fuzz_error_text(data, len);
}
