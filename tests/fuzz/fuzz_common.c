/*
 * See fuzz_common.h. abort() on a broken property, so libFuzzer keeps
 * the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "msg_mirror.h"
#include "fuzz_common.h"

/* Big structs live here, not on the fuzzer's stack. */
static union {
	struct msg_register	reg;
	struct msg_generations	gen;
	struct msg_allocate	alloc;
	struct msg_allocated	allocated;
	struct msg_volume_ref	ref;
	struct msg_mount_info	mount;
	struct msg_attached	attached;
	struct msg_data_request	dreq;
	struct msg_data_reply	drep;
	struct msg_revoke	revoke;
	struct msg_mirror_status mstatus;
	struct msg_leg_fail	legfail;
	struct msg_mark_dirty	mark;
	struct msg_leg_ref	legref;
	struct msg_resync_plan	plan;
	struct msg_resync_progress progress;
	char			text[DSP_TEXT_MAX + 1];
} m;

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

#define ROUND_TRIP(name, field, data, len)				\
	do {								\
		if (fuzz_accepted(#name, msg_decode_##name(data, len,	\
		    &m.field))) {					\
			msg_encode_##name(&w, &m.field);		\
			fuzz_same(#name, data, len);			\
		}							\
	} while (0)

static void
fuzz_data(uint8_t opcode, int reply, const uint8_t *data, size_t len)
{
	if (!reply) {
		if (fuzz_accepted("data request",
		    msg_decode_data_request(data, len, opcode, &m.dreq))) {
			/* Zero copy: the data points into the input. */
			if (m.dreq.data_len > 0 && (m.dreq.data < data ||
			    m.dreq.data + m.dreq.data_len > data + len))
				abort();
			msg_encode_data_request(&w, opcode, &m.dreq);
			fuzz_same("data request", data, len);
		}
		return;
	}
	if (fuzz_accepted("data reply",
	    msg_decode_data_reply(data, len, opcode, &m.drep))) {
		if (m.drep.data_len > 0 && (m.drep.data < data ||
		    m.drep.data + m.drep.data_len > data + len))
			abort();
		msg_encode_data_reply(&w, opcode, &m.drep);
		fuzz_same("data reply", data, len);
	}
}

void
fuzz_payload(uint8_t opcode, int reply, const uint8_t *data, size_t len)
{
	switch (opcode) {
	case DSP_OP_REGISTER:
		if (reply)
			ROUND_TRIP(generations, gen, data, len);
		else
			ROUND_TRIP(register, reg, data, len);
		break;
	case DSP_OP_FENCE_ACK:
		if (!reply)
			ROUND_TRIP(generations, gen, data, len);
		break;
	case DSP_OP_ALLOCATE:
		if (reply)
			ROUND_TRIP(allocated, allocated, data, len);
		else
			ROUND_TRIP(allocate, alloc, data, len);
		break;
	case DSP_OP_MOUNT:
	case DSP_OP_RENEW:
		if (reply)
			ROUND_TRIP(mount_info, mount, data, len);
		else
			ROUND_TRIP(volume_ref, ref, data, len);
		break;
	case DSP_OP_UNMOUNT:
	case DSP_OP_RELEASE:
		if (!reply)
			ROUND_TRIP(volume_ref, ref, data, len);
		break;
	case DSP_OP_ADMIN:
		if (fuzz_accepted("text", msg_decode_text(data, len, m.text))) {
			msg_encode_text(&w, m.text);
			fuzz_same("text", data, len);
		}
		break;
	case DSP_OP_ATTACH:
		if (reply)
			ROUND_TRIP(attached, attached, data, len);
		break;
	case DSP_OP_INIT:
	case DSP_OP_WRITE:
	case DSP_OP_READ:
	case DSP_OP_SEARCH:
	case DSP_OP_ERASE:
	case DSP_OP_FLUSH:
		fuzz_data(opcode, reply, data, len);
		break;
	case DSP_OP_REVOKE:
		if (!reply)
			ROUND_TRIP(revoke, revoke, data, len);
		break;
	case DSP_OP_MIRROR_STATUS:
		if (reply)
			ROUND_TRIP(mirror_status, mstatus, data, len);
		break;
	case DSP_OP_LEG_FAIL:
		if (!reply)
			ROUND_TRIP(leg_fail, legfail, data, len);
		break;
	case DSP_OP_MARK_DIRTY:
		if (!reply)
			ROUND_TRIP(mark_dirty, mark, data, len);
		break;
	case DSP_OP_RESYNC_BEGIN:
		if (reply)
			ROUND_TRIP(resync_plan, plan, data, len);
		else
			ROUND_TRIP(leg_ref, legref, data, len);
		break;
	case DSP_OP_RESYNC_PROGRESS:
	case DSP_OP_RESYNC_DONE:
		if (!reply)
			ROUND_TRIP(resync_progress, progress, data, len);
		break;
	default:
		/* Not a data opcode: both data decoders must refuse it. */
		if (msg_decode_data_request(data, len, opcode, &m.dreq) !=
		    DSP_E_OPCODE ||
		    msg_decode_data_reply(data, len, opcode, &m.drep) !=
		    DSP_E_OPCODE)
			abort();
		break;
	}
}

void
fuzz_every_decoder(const uint8_t *data, size_t len)
{
	static const uint8_t	ops[] = {
		DSP_OP_REGISTER, DSP_OP_FENCE_ACK, DSP_OP_ALLOCATE,
		DSP_OP_MOUNT, DSP_OP_ADMIN, DSP_OP_ATTACH, DSP_OP_INIT,
		DSP_OP_WRITE, DSP_OP_READ, DSP_OP_SEARCH, DSP_OP_ERASE,
		DSP_OP_FLUSH, DSP_OP_REVOKE, DSP_OP_HEARTBEAT,
		DSP_OP_MIRROR_STATUS, DSP_OP_LEG_FAIL, DSP_OP_MARK_DIRTY,
		DSP_OP_RESYNC_BEGIN, DSP_OP_RESYNC_PROGRESS,
	};
	size_t			i;

	for (i = 0; i < sizeof(ops); i++) {
		fuzz_payload(ops[i], 0, data, len);
		fuzz_payload(ops[i], 1, data, len);
	}
}
