/*
 * Writes a seed corpus for the fuzz harnesses: one well-formed payload
 * per message (msg/) and the same behind a frame header (frame/), so
 * the fuzzers start from valid inputs instead of finding "DSPL" alone.
 * usage: seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "msg.h"

static const char	*seed_dir;
static int		 seed_count;

static void
seed_write(const char *sub, const void *data, size_t len)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s/seed-%03d", seed_dir, sub,
	    seed_count);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	if (len > 0 && fwrite(data, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* Writes w as a bare payload and as a frame, then resets w. */
static void
seed_emit(struct buf_writer *w, uint8_t opcode, int reply)
{
	struct dsp_header	hdr;
	struct buf_writer	frame;

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = DSP_MAGIC;
	hdr.version = DSP_VERSION;
	hdr.opcode = opcode;
	hdr.flags = reply ? DSP_FLAG_REPLY : 0;
	hdr.request_id = (uint64_t)seed_count + 1;
	hdr.payload_length = (uint32_t)w->len;
	buf_writer_init(&frame);
	if (buf_reserve(&frame, DSP_HEADER_SIZE) == -1)
		exit(1);
	frame_encode_header(&hdr, frame.data);
	frame.len = DSP_HEADER_SIZE;
	buf_put_bytes(&frame, w->data, w->len);
	if (w->error || frame.error)
		exit(1);
	seed_write("msg", w->data, w->len);
	seed_write("frame", frame.data, frame.len);
	seed_count++;
	buf_writer_free(&frame);
	buf_writer_reset(w);
}

static void
seed_control(struct buf_writer *w)
{
	struct msg_register	reg;
	struct msg_generations	gen;
	struct msg_allocate	alloc = { "Vol-1", 1ULL << 30 };
	struct msg_allocated	allocated = { "Vol-1", 1ULL << 31 };
	struct msg_volume_ref	ref = { "Vol-1" };
	struct msg_mount_info	mi;
	struct msg_attached	att = { "Vol-1", 3, 1700000000 };
	struct msg_revoke	rev = { "Vol-1", 4 };

	memset(&reg, 0, sizeof(reg));
	snprintf(reg.server, sizeof(reg.server), "serverJ");
	snprintf(reg.host, sizeof(reg.host), "127.0.0.2");
	reg.port = DSP_AGENT_PORT;
	reg.region_count = 2;
	snprintf(reg.regions[0].name, sizeof(reg.regions[0].name), "disk0");
	reg.regions[0].size = 1ULL << 34;
	reg.regions[0].available = 1;
	snprintf(reg.regions[1].name, sizeof(reg.regions[1].name), "disk1");
	snprintf(reg.regions[1].reason, sizeof(reg.regions[1].reason),
	    "missing");
	msg_encode_register(w, &reg);
	seed_emit(w, DSP_OP_REGISTER, 0);

	memset(&gen, 0, sizeof(gen));
	gen.count = 2;
	snprintf(gen.items[0].volume, sizeof(gen.items[0].volume), "Vol-1");
	gen.items[0].generation = 3;
	snprintf(gen.items[1].volume, sizeof(gen.items[1].volume), "Vol-2");
	gen.items[1].generation = 1;
	msg_encode_generations(w, &gen);
	seed_emit(w, DSP_OP_REGISTER, 1);
	msg_encode_generations(w, &gen);
	seed_emit(w, DSP_OP_FENCE_ACK, 0);

	msg_encode_allocate(w, &alloc);
	seed_emit(w, DSP_OP_ALLOCATE, 0);
	msg_encode_allocated(w, &allocated);
	seed_emit(w, DSP_OP_ALLOCATE, 1);
	msg_encode_volume_ref(w, &ref);
	seed_emit(w, DSP_OP_MOUNT, 0);

	memset(&mi, 0, sizeof(mi));
	snprintf(mi.volume, sizeof(mi.volume), "Vol-1");
	mi.form = DSP_FORM_SINGLE;
	mi.size = 1ULL << 30;
	mi.status = 1;
	mi.generation = 3;
	mi.expires_at = 1700000000;
	mi.extent_count = 1;
	snprintf(mi.extents[0].server, sizeof(mi.extents[0].server), "serverJ");
	snprintf(mi.extents[0].host, sizeof(mi.extents[0].host), "127.0.0.2");
	mi.extents[0].port = DSP_AGENT_PORT;
	snprintf(mi.extents[0].region, sizeof(mi.extents[0].region), "disk0");
	mi.extents[0].length = 1ULL << 30;
	mi.ticket_len = 16;
	memset(mi.ticket, 0x42, mi.ticket_len);
	msg_encode_mount_info(w, &mi);
	seed_emit(w, DSP_OP_MOUNT, 1);

	msg_encode_text(w, "volume list");
	seed_emit(w, DSP_OP_ADMIN, 0);
	msg_encode_attached(w, &att);
	seed_emit(w, DSP_OP_ATTACH, 1);
	msg_encode_revoke(w, &rev);
	seed_emit(w, DSP_OP_REVOKE, 0);
	seed_emit(w, DSP_OP_HEARTBEAT, 0);
}

static void
seed_data(struct buf_writer *w)
{
	static const uint8_t	ops[] = { DSP_OP_INIT, DSP_OP_WRITE,
	    DSP_OP_READ, DSP_OP_SEARCH, DSP_OP_ERASE, DSP_OP_FLUSH };
	static const uint8_t	bytes[64] = "0123456789abcdef";
	struct msg_data_request	req;
	struct msg_data_reply	rep;
	size_t			i;

	for (i = 0; i < sizeof(ops); i++) {
		memset(&req, 0, sizeof(req));
		snprintf(req.requester, sizeof(req.requester), "serverB");
		snprintf(req.volume, sizeof(req.volume), "Vol-1");
		snprintf(req.region, sizeof(req.region), "disk0");
		req.offset = 4096;
		req.length = sizeof(bytes);
		if (ops[i] == DSP_OP_WRITE || ops[i] == DSP_OP_SEARCH) {
			req.data = bytes;
			req.data_len = ops[i] == DSP_OP_WRITE ?
			    sizeof(bytes) : 4;
		}
		if (ops[i] == DSP_OP_SEARCH)
			req.max_matches = 8;
		msg_encode_data_request(w, ops[i], &req);
		seed_emit(w, ops[i], 0);

		memset(&rep, 0, sizeof(rep));
		memcpy(rep.requester, req.requester, sizeof(rep.requester));
		memcpy(rep.volume, req.volume, sizeof(rep.volume));
		memcpy(rep.region, req.region, sizeof(rep.region));
		rep.offset = req.offset;
		rep.length = req.length;
		rep.done = req.length;
		if (ops[i] == DSP_OP_READ) {
			rep.data = bytes;
			rep.data_len = sizeof(bytes);
		}
		if (ops[i] == DSP_OP_SEARCH) {
			rep.match_count = 2;
			rep.matches[0] = 4096;
			rep.matches[1] = 4100;
		}
		msg_encode_data_reply(w, ops[i], &rep);
		seed_emit(w, ops[i], 1);
	}
}

int
main(int argc, char *argv[])
{
	struct buf_writer	w;

	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 1;
	}
	seed_dir = argv[1];
	buf_writer_init(&w);
	seed_control(&w);
	seed_data(&w);
	buf_writer_free(&w);
	return 0;
}
