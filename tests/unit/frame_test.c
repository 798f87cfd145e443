/*
 * Frame header codec: byte layout, round trip of every opcode, and
 * each fault a receiver must catch before reading the payload.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "frame.h"

static const uint8_t all_opcodes[] = {
	DSP_OP_REGISTER, DSP_OP_HEARTBEAT, DSP_OP_FENCE_ACK,
	DSP_OP_ALLOCATE, DSP_OP_MOUNT, DSP_OP_RENEW, DSP_OP_UNMOUNT,
	DSP_OP_RELEASE, DSP_OP_ADMIN, DSP_OP_ATTACH, DSP_OP_INIT,
	DSP_OP_WRITE, DSP_OP_READ, DSP_OP_SEARCH, DSP_OP_ERASE,
	DSP_OP_FLUSH, DSP_OP_MAP, DSP_OP_REVOKE, DSP_OP_MIRROR_STATUS,
	DSP_OP_LEG_FAIL, DSP_OP_MARK_DIRTY, DSP_OP_RESYNC_BEGIN,
	DSP_OP_RESYNC_PROGRESS, DSP_OP_BACKUP_OPEN, DSP_OP_BACKUP_AUDIT,
	DSP_OP_BACKUP_LIST,
	DSP_OP_RESYNC_DONE, DSP_OP_GENERATIONS, DSP_OP_REFUSED,
	DSP_OP_VOLUME_RECORD, DSP_OP_VOLUME_PUT, DSP_OP_VOLUME_DROP,
	DSP_OP_SPLIT_LEG, DSP_OP_SPLIT_END, DSP_OP_LEG_HOLD,
};

#define NOPCODES	(sizeof(all_opcodes) / sizeof(all_opcodes[0]))

static struct dsp_header
sample(uint8_t opcode)
{
	struct dsp_header	h;

	memset(&h, 0, sizeof(h));
	h.magic = DSP_MAGIC;
	h.version = DSP_VERSION;
	h.opcode = opcode;
	h.flags = DSP_FLAG_REPLY;
	h.request_id = 0x0102030405060708ULL;
	h.payload_length = 0x11223344;
	h.status = DSP_E_STALE;
	return h;
}

static void
test_layout(void **state)
{
	struct dsp_header	h = sample(DSP_OP_READ);
	uint8_t			out[DSP_HEADER_SIZE];
	static const uint8_t	want[DSP_HEADER_SIZE] = {
		'D', 'S', 'P', 'L', DSP_VERSION, DSP_OP_READ, 0x00, 0x01,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, DSP_E_STALE,
	};

	(void)state;
	frame_encode_header(&h, out);
	assert_memory_equal(out, want, sizeof(want));
}

static void
test_round_trip_every_opcode(void **state)
{
	struct dsp_header	h, back;
	uint8_t			out[DSP_HEADER_SIZE];
	size_t			i;

	(void)state;
	for (i = 0; i < NOPCODES; i++) {
		h = sample(all_opcodes[i]);
		h.flags = i % 2 ? DSP_FLAG_REPLY : 0;
		h.request_id = UINT64_MAX - i;
		h.payload_length = (uint32_t)i * 1000;
		h.status = i % 2 ? (uint32_t)i : 0;
		frame_encode_header(&h, out);
		assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD,
		    &back), DSP_OK);
		assert_memory_equal(&h, &back, sizeof(h));
		assert_non_null(dsp_opcode_name(all_opcodes[i]));
	}
}

static void
test_bad_magic(void **state)
{
	struct dsp_header	h = sample(DSP_OP_MOUNT), back;
	uint8_t			out[DSP_HEADER_SIZE];

	(void)state;
	h.payload_length = 0;
	frame_encode_header(&h, out);
	out[0] = 'X';
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_E_FRAME);
	h.magic = 0x4c505344;	/* byte-swapped */
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_E_FRAME);
}

static void
test_bad_version(void **state)
{
	struct dsp_header	h = sample(DSP_OP_MOUNT), back;
	uint8_t			out[DSP_HEADER_SIZE];

	(void)state;
	h.payload_length = 0;
	h.version = DSP_VERSION + 1;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_E_VERSION);
	/* The request id is decoded so the error can be answered. */
	assert_true(back.request_id == h.request_id);
	h.version = 0;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_E_VERSION);
}

static void
test_bad_opcode(void **state)
{
	struct dsp_header	h = sample(0), back;
	uint8_t			out[DSP_HEADER_SIZE];
	unsigned int		op;
	size_t			i, known = 0;

	(void)state;
	h.payload_length = 0;
	for (op = 0; op < 256; op++) {
		int is_known = 0;

		for (i = 0; i < NOPCODES; i++)
			if (all_opcodes[i] == op)
				is_known = 1;
		h.opcode = (uint8_t)op;
		frame_encode_header(&h, out);
		if (is_known) {
			known++;
			assert_int_equal(frame_decode_header(out,
			    DSP_MAX_PAYLOAD, &back), DSP_OK);
		} else {
			assert_null(dsp_opcode_name((uint8_t)op));
			assert_int_equal(frame_decode_header(out,
			    DSP_MAX_PAYLOAD, &back), DSP_E_OPCODE);
			assert_int_equal(back.opcode, op);
		}
	}
	assert_int_equal(known, NOPCODES);
}

static void
test_bad_flags(void **state)
{
	struct dsp_header	h = sample(DSP_OP_WRITE), back;
	uint8_t			out[DSP_HEADER_SIZE];
	int			bit;

	(void)state;
	h.payload_length = 0;
	for (bit = 1; bit < 16; bit++) {
		h.flags = (uint16_t)(DSP_FLAG_REPLY | 1U << bit);
		frame_encode_header(&h, out);
		assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD,
		    &back), DSP_E_FRAME);
	}
}

/* Only admin output comes in parts. */
static void
test_more_flag(void **state)
{
	struct dsp_header	h = sample(DSP_OP_ADMIN), back;
	uint8_t			out[DSP_HEADER_SIZE];

	(void)state;
	h.payload_length = 0;
	h.flags = DSP_FLAG_REPLY | DSP_FLAG_MORE;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_OK);
	assert_int_equal(back.flags, DSP_FLAG_REPLY | DSP_FLAG_MORE);
	h.flags = DSP_FLAG_MORE;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_OK);
	h = sample(DSP_OP_MOUNT);
	h.payload_length = 0;
	h.flags = DSP_FLAG_REPLY | DSP_FLAG_MORE;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_E_FRAME);
}

static void
test_oversized(void **state)
{
	struct dsp_header	h = sample(DSP_OP_WRITE), back;
	uint8_t			out[DSP_HEADER_SIZE];

	(void)state;
	h.payload_length = DSP_MAX_PAYLOAD;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_OK);
	h.payload_length = DSP_MAX_PAYLOAD + 1;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_E_TOOBIG);
	h.payload_length = UINT32_MAX;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, DSP_MAX_PAYLOAD, &back),
	    DSP_E_TOOBIG);
	/* A control port may set a smaller limit. */
	h.payload_length = 65;
	frame_encode_header(&h, out);
	assert_int_equal(frame_decode_header(out, 64, &back), DSP_E_TOOBIG);
	assert_int_equal(frame_decode_header(out, 65, &back), DSP_OK);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(dsp_opcode_name(DSP_OP_FENCE_ACK), "fence-ack");
	assert_string_equal(dsp_opcode_name(DSP_OP_READ), "read");
	assert_string_equal(dsp_opcode_name(DSP_OP_REVOKE), "revoke");
	assert_null(dsp_opcode_name(0));
	assert_null(dsp_opcode_name(255));
	assert_string_equal(dsp_status_name(DSP_OK), "OK");
	assert_string_equal(dsp_status_name(DSP_E_TICKET), "E_TICKET");
	assert_string_equal(dsp_status_name(DSP_E_TOOBIG), "E_TOOBIG");
	assert_string_equal(dsp_status_name(9999), "E_UNKNOWN");
	assert_string_equal(dsp_form_name(DSP_FORM_MIRROR), "mirror");
	assert_string_equal(dsp_form_name(0), "unknown");
	assert_string_equal(dsp_form_name(-1), "unknown");
	assert_int_equal(dsp_form_parse("split"), DSP_FORM_SPLIT);
	assert_int_equal(dsp_form_parse("single"), DSP_FORM_SINGLE);
	assert_int_equal(dsp_form_parse("raid5"), 0);
	assert_int_equal(dsp_form_parse(NULL), 0);
	assert_string_equal(dsp_role_name(DSP_ROLE_BORROWER), "borrower");
	assert_string_equal(dsp_role_name(DSP_ROLE_NONE), "none");
	assert_string_equal(dsp_role_name(77), "none");
	assert_int_equal(dsp_role_parse("backup"), DSP_ROLE_BACKUP);
	assert_int_equal(dsp_role_parse("manager"), DSP_ROLE_MANAGER);
	assert_int_equal(dsp_role_parse("Manager"), DSP_ROLE_NONE);
	assert_int_equal(dsp_role_parse("none"), DSP_ROLE_NONE);
	assert_int_equal(dsp_role_parse(""), DSP_ROLE_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_round_trip_every_opcode),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_bad_opcode),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_more_flag),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
