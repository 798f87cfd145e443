/*
 * Writes the seed corpus of every fuzz harness, one directory each, so
 * the fuzzers start from valid inputs instead of finding "DSPL" alone:
 *
 *   msg/ frame/   every payload, bare and behind a frame header, and an
 *                 error reply
 *   ticket/       tickets signed with the fixed test key, and a body
 *   admin/        command lines
 *   store/        records of every store table, and a candidate
 *   mountinfo/    mount infos of each usage form, with signed tickets
 *   nbd/          NBD client sessions: the handshake, then requests
 *   backup/       a tape file: RESTORE.txt, a sparse image, a MANIFEST
 *
 * usage: seeds DIR
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz_key.h"
#include "msg.h"
#include "msg_backup.h"
#include "msg_mirror.h"
#include "msg_record.h"
#include "manifest.h"
#include "nbd_proto.h"
#include "tar.h"
#include "store_internal.h"
#include "ticket.h"

static const char		*seed_dir;
static int			 seed_count;
static struct ticket_signer	*seed_signer;

static void
seed_fail(const char *what)
{
	perror(what);
	exit(1);
}

static void
seed_write(const char *sub, const void *data, size_t len)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", seed_dir, sub);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		seed_fail(path);
	snprintf(path, sizeof(path), "%s/%s/seed-%03d", seed_dir, sub,
	    seed_count++);
	if ((f = fopen(path, "wb")) == NULL)
		seed_fail(path);
	if (len > 0 && fwrite(data, 1, len, f) != len)
		seed_fail(path);
	if (fclose(f) != 0)
		seed_fail(path);
}

/* Writes w as a bare payload and as a frame, then resets w. */
static void
seed_frame(struct buf_writer *w, uint8_t opcode, int reply, uint32_t status)
{
	struct dsp_header	hdr;
	struct buf_writer	frame;

	if (w->error)
		seed_fail("encoding a seed");
	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = DSP_MAGIC;
	hdr.version = DSP_VERSION;
	hdr.opcode = opcode;
	hdr.flags = reply ? DSP_FLAG_REPLY : 0;
	hdr.request_id = (uint64_t)seed_count + 1;
	hdr.payload_length = (uint32_t)w->len;
	hdr.status = status;
	buf_writer_init(&frame);
	if (buf_reserve(&frame, DSP_HEADER_SIZE) == -1)
		seed_fail("frame");
	frame_encode_header(&hdr, frame.data);
	frame.len = DSP_HEADER_SIZE;
	buf_put_bytes(&frame, w->data, w->len);
	if (frame.error)
		seed_fail("frame");
	seed_write("msg", w->data, w->len);
	seed_write("frame", frame.data, frame.len);
	buf_writer_free(&frame);
	buf_writer_reset(w);
}

static void
seed_emit(struct buf_writer *w, uint8_t opcode, int reply)
{
	seed_frame(w, opcode, reply, DSP_OK);
}

/* Writes w into sub, then resets w. */
static void
seed_put(struct buf_writer *w, const char *sub)
{
	if (w->error)
		seed_fail(sub);
	seed_write(sub, w->data, w->len);
	buf_writer_reset(w);
}

static void
seed_extent(struct msg_extent *e, const char *server, const char *host,
    const char *region, uint64_t offset, uint64_t length)
{
	snprintf(e->server, sizeof(e->server), "%s", server);
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->port = DSP_AGENT_PORT;
	snprintf(e->region, sizeof(e->region), "%s", region);
	e->offset = offset;
	e->length = length;
}

/* A mount info of form with the given extents and a ticket for them,
 * signed with the fixed test key. */
static void
seed_mount_info(struct msg_mount_info *mi, const char *volume, int form,
    const struct msg_extent *e, uint16_t n, uint64_t size)
{
	struct mount_ticket	t;
	size_t			len;
	uint16_t		i;

	memset(mi, 0, sizeof(*mi));
	snprintf(mi->volume, sizeof(mi->volume), "%s", volume);
	mi->form = (uint8_t)form;
	mi->size = size;
	mi->status = 1;
	mi->generation = 3;
	mi->expires_at = 1700000300;
	mi->extent_count = n;
	memcpy(mi->extents, e, n * sizeof(*e));

	memset(&t, 0, sizeof(t));
	snprintf(t.volume, sizeof(t.volume), "%s", volume);
	snprintf(t.borrower, sizeof(t.borrower), "serverJ");
	t.mode = DSP_MODE_READWRITE;
	t.generation = mi->generation;
	t.issued_at = 1700000000;
	t.expires_at = mi->expires_at;
	t.extent_count = n;
	for (i = 0; i < n; i++) {
		snprintf(t.extents[i].server, sizeof(t.extents[i].server), "%s",
		    e[i].server);
		snprintf(t.extents[i].region, sizeof(t.extents[i].region), "%s",
		    e[i].region);
		t.extents[i].offset = e[i].offset;
		t.extents[i].length = e[i].length;
	}
	if (ticket_sign(seed_signer, &t, mi->ticket, sizeof(mi->ticket),
	    &len) == -1)
		seed_fail("ticket_sign");
	mi->ticket_len = (uint32_t)len;
}

static void
seed_agents(struct buf_writer *w)
{
	struct msg_register		reg;
	struct msg_generations		gen;
	static struct msg_generation_page page;
	struct msg_volume_ref		after = { "Vol-2" };
	struct msg_revoke		rev = { "Vol-1", 4 };

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
	gen.items[1].revision = 4;
	memset(gen.items[1].digest, 0xa5, sizeof(gen.items[1].digest));
	page.gens = gen;
	page.more = 1;
	msg_encode_generation_page(w, &page);
	seed_emit(w, DSP_OP_REGISTER, 1);
	msg_encode_volume_ref(w, &after);
	seed_emit(w, DSP_OP_GENERATIONS, 0);
	page.more = 0;
	msg_encode_generation_page(w, &page);
	seed_emit(w, DSP_OP_GENERATIONS, 1);
	msg_encode_generations(w, &gen);
	seed_emit(w, DSP_OP_FENCE_ACK, 0);
	seed_emit(w, DSP_OP_HEARTBEAT, 0);
	msg_encode_revoke(w, &rev);
	seed_emit(w, DSP_OP_REVOKE, 0);
}

/* A degraded mirror as its lenders keep it, with dirty chunks. */
static void
seed_record_mirror(struct msg_volume_record *r)
{
	static const uint8_t	bits[13] = { 0x18, 0, 0, 0x01 };

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "Vol-3");
	r->form = DSP_FORM_MIRROR;
	r->size = 100 << 20;
	r->generation = 3;
	r->revision = 7;
	r->created_at = 1700000000;
	r->chunk_size = DSP_MIRROR_CHUNK;
	r->dirty_chunks = 3;
	r->extent_count = 2;
	snprintf(r->extents[0].server, sizeof(r->extents[0].server),
	    "serverD");
	snprintf(r->extents[0].region, sizeof(r->extents[0].region), "D");
	r->extents[0].length = r->size;
	snprintf(r->extents[1].server, sizeof(r->extents[1].server),
	    "serverE");
	snprintf(r->extents[1].region, sizeof(r->extents[1].region), "E");
	r->extents[1].offset = 1 << 20;
	r->extents[1].length = r->size;
	r->extents[1].leg_state = DSP_LEG_OUT_OF_SYNC;
	r->extents[1].full_resync = 1;
	snprintf(r->extents[1].leg_reason, sizeof(r->extents[1].leg_reason),
	    "agent gone for 2 s");
	r->bitmap = bits;
	r->bitmap_len = sizeof(bits);
}

static void
seed_records(struct buf_writer *w)
{
	static struct msg_volume_record	r;
	static struct msg_volume_names	names;
	struct msg_revoke		drop = { "Vol-2", 5 };

	seed_record_mirror(&r);
	msg_encode_volume_record(w, &r);
	seed_emit(w, DSP_OP_VOLUME_RECORD, 0);
	msg_encode_volume_record(w, &r);
	seed_emit(w, DSP_OP_VOLUME_PUT, 0);
	msg_encode_verdict(w, DSP_RECORD_KEEP);
	seed_emit(w, DSP_OP_VOLUME_RECORD, 1);
	msg_encode_verdict(w, DSP_RECORD_DROP);
	seed_emit(w, DSP_OP_VOLUME_RECORD, 1);

	/* A split piece: one extent, no bitmap. */
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "Vol-5");
	r.form = DSP_FORM_SPLIT;
	r.size = 50 << 20;
	r.generation = 1;
	r.revision = 1;
	r.created_at = 1700000000;
	r.extent_count = 1;
	snprintf(r.extents[0].server, sizeof(r.extents[0].server), "serverX");
	snprintf(r.extents[0].region, sizeof(r.extents[0].region), "X2");
	r.extents[0].offset = 50 << 20;
	r.extents[0].length = 50 << 20;
	msg_encode_volume_record(w, &r);
	seed_emit(w, DSP_OP_VOLUME_PUT, 0);

	memset(&names, 0, sizeof(names));
	names.count = 2;
	snprintf(names.names[0], sizeof(names.names[0]), "Vol-1");
	snprintf(names.names[1], sizeof(names.names[1]), "Vol-3");
	msg_encode_volume_names(w, &names);
	seed_emit(w, DSP_OP_FENCE_ACK, 1);
	msg_encode_revoke(w, &drop);
	seed_emit(w, DSP_OP_VOLUME_DROP, 0);
}

static void
seed_borrowers(struct buf_writer *w)
{
	struct msg_allocate	alloc = { "Vol-1", 1ULL << 30 };
	struct msg_allocated	allocated = { "Vol-1", 1ULL << 31 };
	struct msg_volume_ref	ref = { "Vol-1" };
	struct msg_attached	att = { "Vol-1", 3, 1700000000 };
	struct msg_attach	attach = { (const uint8_t *)"ticket", 6,
				    0x1122334455667788ULL };
	struct msg_extent	e;
	static struct msg_mount_info mi;

	msg_encode_allocate(w, &alloc);
	seed_emit(w, DSP_OP_ALLOCATE, 0);
	msg_encode_allocated(w, &allocated);
	seed_emit(w, DSP_OP_ALLOCATE, 1);
	msg_encode_volume_ref(w, &ref);
	seed_emit(w, DSP_OP_MOUNT, 0);
	seed_extent(&e, "serverA", "127.0.0.2", "A2", 0, 1ULL << 30);
	seed_mount_info(&mi, "Vol-1", DSP_FORM_SINGLE, &e, 1, 1ULL << 30);
	msg_encode_mount_info(w, &mi);
	seed_emit(w, DSP_OP_MOUNT, 1);
	msg_encode_attach(w, &attach);
	seed_emit(w, DSP_OP_ATTACH, 0);
	msg_encode_attached(w, &att);
	seed_emit(w, DSP_OP_ATTACH, 1);
	msg_encode_text(w, "show volumes");
	seed_emit(w, DSP_OP_ADMIN, 0);
	msg_encode_text(w, "server   region  size  volume  state\n"
	    "serverA  A2      64M   -       available\n");
	seed_emit(w, DSP_OP_ADMIN, 1);
	/* An error reply: its payload is the message. */
	buf_put_blob(w, "volume Vol-1 is lent to serverK", 31);
	seed_frame(w, DSP_OP_ALLOCATE, 1, DSP_E_BUSY);
	/* A connection refused after the handshake. */
	buf_put_blob(w, "connection refused: too many", 28);
	seed_frame(w, DSP_OP_REFUSED, 1, DSP_E_BUSY);
}

/* The backup's rows: a run of no volume, a failed copy, escapes. */
static void
seed_backup_audit(struct buf_writer *w)
{
	static const struct msg_backup_audit rows[] = {
		{ "backup-run", "", "run 7 started: 3 volumes" },
		{ "backup-copy-failed", "Vol-2", "drive 0: medium error" },
		{ "backup-verify", "Vol-3", "tape L00002 file 1\tok\\" },
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		msg_encode_backup_audit(w, &rows[i]);
		seed_emit(w, DSP_OP_BACKUP_AUDIT, 0);
	}
}

/* A split-leg copy: SPLIT_LEG and its reply, SPLIT_END, LEG_HOLD. */
static void
seed_split(struct buf_writer *w)
{
	struct msg_volume_ref	ref = { "Vol-3" };
	struct msg_leg_ref	lr = { "Vol-3", 1 };
	struct msg_leg_hold	hold = { "Vol-3", 1, 300 };
	struct msg_leg_hold	lift = { "Vol-3", 0, 0 };

	msg_encode_volume_ref(w, &ref);
	seed_emit(w, DSP_OP_SPLIT_LEG, 0);
	msg_encode_leg_ref(w, &lr);
	seed_emit(w, DSP_OP_SPLIT_LEG, 1);
	msg_encode_leg_ref(w, &lr);
	seed_emit(w, DSP_OP_SPLIT_END, 0);
	msg_encode_leg_hold(w, &hold);
	seed_emit(w, DSP_OP_LEG_HOLD, 0);
	msg_encode_leg_hold(w, &lift);
	seed_emit(w, DSP_OP_LEG_HOLD, 0);
}

static void
seed_mirror(struct buf_writer *w)
{
	static struct msg_mirror_status	st;
	static struct msg_leg_fail	lf;
	static struct msg_mark_dirty	md;
	struct msg_leg_ref		lr = { "Vol-3", 1 };
	struct msg_resync_plan		plan;
	struct msg_resync_progress	pr = { "Vol-3", 1, 3, 10 };
	static const uint8_t		bits[2] = { 0x19, 0x01 };

	memset(&st, 0, sizeof(st));
	snprintf(st.volume, sizeof(st.volume), "Vol-3");
	st.health = DSP_HEALTH_DEGRADED;
	st.chunk_size = DSP_MIRROR_CHUNK;
	st.dirty_chunks = 4;
	st.leg_count = 2;
	st.legs[0].server_up = 1;
	st.legs[1].state = DSP_LEG_RESYNCING;
	st.legs[1].resync_done = 1;
	st.legs[1].resync_total = 4;
	msg_encode_mirror_status(w, &st);
	seed_emit(w, DSP_OP_MIRROR_STATUS, 1);

	memset(&lf, 0, sizeof(lf));
	snprintf(lf.volume, sizeof(lf.volume), "Vol-3");
	lf.leg = 1;
	snprintf(lf.reason, sizeof(lf.reason), "agent gone for 2 s");
	lf.range_count = 2;
	lf.ranges[0].length = 4096;
	lf.ranges[1].offset = 3 << 20;
	lf.ranges[1].length = 2 << 20;
	msg_encode_leg_fail(w, &lf);
	seed_emit(w, DSP_OP_LEG_FAIL, 0);

	memset(&md, 0, sizeof(md));
	snprintf(md.volume, sizeof(md.volume), "Vol-3");
	md.range_count = 1;
	md.ranges[0].offset = 1 << 20;
	md.ranges[0].length = 1 << 20;
	msg_encode_mark_dirty(w, &md);
	seed_emit(w, DSP_OP_MARK_DIRTY, 0);

	msg_encode_leg_ref(w, &lr);
	seed_emit(w, DSP_OP_RESYNC_BEGIN, 0);
	memset(&plan, 0, sizeof(plan));
	snprintf(plan.volume, sizeof(plan.volume), "Vol-3");
	plan.leg = 1;
	plan.chunk_size = DSP_MIRROR_CHUNK;
	plan.chunk_count = 10;
	plan.bitmap = bits;
	plan.bitmap_len = sizeof(bits);
	msg_encode_resync_plan(w, &plan);
	seed_emit(w, DSP_OP_RESYNC_BEGIN, 1);
	msg_encode_resync_progress(w, &pr);
	seed_emit(w, DSP_OP_RESYNC_PROGRESS, 0);
	seed_split(w);
}

static void
seed_data(struct buf_writer *w)
{
	static const uint8_t	ops[] = { DSP_OP_INIT, DSP_OP_WRITE,
	    DSP_OP_READ, DSP_OP_SEARCH, DSP_OP_ERASE, DSP_OP_FLUSH,
	    DSP_OP_MAP };
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
		if (ops[i] == DSP_OP_MAP) {
			rep.run_count = 2;
			rep.runs[0].length = 16;
			rep.runs[0].flags = DSP_RUN_HOLE;
			rep.runs[1].length = req.length - 16;
		}
		msg_encode_data_reply(w, ops[i], &rep);
		seed_emit(w, ops[i], 1);
	}
}

static void
seed_tickets(struct buf_writer *w)
{
	struct mount_ticket	t;
	uint8_t			blob[DSP_TICKET_MAX];
	size_t			len;

	memset(&t, 0, sizeof(t));
	snprintf(t.volume, sizeof(t.volume), "Vol-2");
	snprintf(t.borrower, sizeof(t.borrower), "serverJ");
	t.mode = DSP_MODE_READWRITE;
	t.generation = 7;
	t.issued_at = 1700000000;
	t.expires_at = 1700000300;
	t.extent_count = 2;
	snprintf(t.extents[0].server, sizeof(t.extents[0].server), "serverB");
	snprintf(t.extents[0].region, sizeof(t.extents[0].region), "B2");
	t.extents[0].length = 200 << 20;
	snprintf(t.extents[1].server, sizeof(t.extents[1].server), "serverC");
	snprintf(t.extents[1].region, sizeof(t.extents[1].region), "C2");
	t.extents[1].offset = 1 << 20;
	t.extents[1].length = 200 << 20;
	if (ticket_sign(seed_signer, &t, blob, sizeof(blob), &len) == -1)
		seed_fail("ticket_sign");
	seed_write("ticket", blob, len);

	t.mode = DSP_MODE_READONLY;
	t.extent_count = 1;
	if (ticket_sign(seed_signer, &t, blob, sizeof(blob), &len) == -1)
		seed_fail("ticket_sign");
	seed_write("ticket", blob, len);

	/* The body alone: what a holder peeks at. */
	ticket_encode_body(w, &t);
	seed_put(w, "ticket");
}

static void
seed_admin(void)
{
	static const char *const lines[] = {
		"show servers", "show regions", "show volumes",
		"show volumes Vol-1", "show volume Vol-3", "show audit 20",
		("show volumes server serverA borrower serverJ form split "
		    "health ok name Vol-*"),
		"show regions server serverB name B?",
		"show servers name server*", "show volumes form ?",
		"sh vol", "volume ?", "volume create ?", "help",
		"volume create Vol-1 single serverA:A2",
		"volume create Vol-2 concat serverB:B2 serverC:C2",
		"volume create Vol-3 mirror serverD:D serverE:E",
		"volume split serverX:X2 Vol-4:50M Vol-5:rest",
		"volume delete Vol-1", "volume force-unmount Vol-1",
		"vol force-rel Vol-1",
	};
	size_t	i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		seed_write("admin", lines[i], strlen(lines[i]));
}

/* One extent of a version 3 volume record, in sync, 200M. */
static void
seed_v3_extent(struct buf_writer *w, const char *server, const char *region)
{
	buf_put_string(w, server);
	buf_put_string(w, region);
	buf_put_u64(w, 0);
	buf_put_u64(w, 200 << 20);
	buf_put_u64(w, 2);
	buf_put_u8(w, DSP_LEG_IN_SYNC);
	buf_put_u8(w, 0);
	buf_put_u64(w, 0);
	buf_put_u64(w, 0);
	buf_put_u64(w, 0);
	buf_put_string(w, "");
	buf_put_u8(w, 0);
}

static void
seed_store(struct buf_writer *w)
{
	struct server_record	sr = { "serverA", "127.0.2.1", 7401, 1,
				    1700000000, 0, 0 };
	struct region_record	rr = { "serverA", "A2", 64 << 20, 0,
				    "cannot open /srv/a.img", "/srv/a.img" };
	struct audit_record	a = { 1, 1700000000, "serverJ", "mount",
				    "Vol-3", "generation 3" };
	static struct volume_record v;
	static struct msg_volume_record rec;

	store_encode_server(w, &sr);
	seed_put(w, "store");
	store_encode_region(w, &rr);
	seed_put(w, "store");
	store_encode_audit(w, &a);
	seed_put(w, "store");

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "Vol-3");
	v.form = DSP_FORM_MIRROR;
	v.size = 100 << 20;
	snprintf(v.borrower, sizeof(v.borrower), "serverJ");
	v.mounted = 1;
	v.generation = 3;
	v.created_at = 1700000000;
	v.chunk_size = DSP_MIRROR_CHUNK;
	v.dirty_chunks = 2;
	v.extent_count = 2;
	snprintf(v.extents[0].server, sizeof(v.extents[0].server), "serverD");
	snprintf(v.extents[0].region, sizeof(v.extents[0].region), "D");
	v.extents[0].length = v.size;
	v.extents[0].acked_generation = 3;
	snprintf(v.extents[1].server, sizeof(v.extents[1].server), "serverE");
	snprintf(v.extents[1].region, sizeof(v.extents[1].region), "E");
	v.extents[1].length = v.size;
	v.extents[1].leg_state = DSP_LEG_OUT_OF_SYNC;
	v.extents[1].full_resync = 1;
	snprintf(v.extents[1].leg_reason, sizeof(v.extents[1].leg_reason),
	    "agent gone");
	store_encode_volume(w, &v);
	seed_put(w, "store");

	/* Held: built from lenders' records that disagree. */
	v.revision = 9;
	v.hold_kind = VOLUME_HOLD_IMPORT;
	snprintf(v.hold, sizeof(v.hold), "server serverE keeps an older "
	    "record (generation 2 revision 6)");
	v.extents[0].acked_revision = 9;
	v.extents[1].acked_revision = 6;
	store_encode_volume(w, &v);
	seed_put(w, "store");

	/* A version 3 volume record: no revision, hold or acked_revision. */
	buf_put_u8(w, 3);
	buf_put_string(w, "Vol-2");
	buf_put_u8(w, DSP_FORM_CONCAT);
	buf_put_u64(w, 400 << 20);
	buf_put_string(w, "serverJ");
	buf_put_u8(w, 1);
	buf_put_u64(w, 2);
	buf_put_u64(w, 1700000000);
	buf_put_u32(w, 0);
	buf_put_u64(w, 0);
	buf_put_u64(w, 1700000100);
	buf_put_u16(w, 2);
	seed_v3_extent(w, "serverB", "B2");
	seed_v3_extent(w, "serverC", "C2");
	seed_put(w, "store");

	/* A candidate: a lender's record, as it sent it. */
	seed_record_mirror(&rec);
	msg_encode_volume_record(w, &rec);
	seed_put(w, "store");

	/* A version 1 volume record: no mirror fields. */
	buf_put_u8(w, 1);
	buf_put_string(w, "Vol-1");
	buf_put_u8(w, DSP_FORM_SINGLE);
	buf_put_u64(w, 64 << 20);
	buf_put_string(w, "");
	buf_put_u8(w, 0);
	buf_put_u64(w, 1);
	buf_put_u64(w, 1700000000);
	buf_put_u16(w, 1);
	buf_put_string(w, "serverA");
	buf_put_string(w, "A2");
	buf_put_u64(w, 0);
	buf_put_u64(w, 64 << 20);
	buf_put_u64(w, 1);
	seed_put(w, "store");
}

static void
seed_mountinfos(struct buf_writer *w)
{
	static struct msg_mount_info	mi;
	struct msg_extent		e[2];

	seed_extent(&e[0], "serverA", "127.0.2.1", "A2", 0, 200 << 20);
	seed_mount_info(&mi, "Vol-1", DSP_FORM_SINGLE, e, 1, 200 << 20);
	msg_encode_mount_info(w, &mi);
	seed_put(w, "mountinfo");

	seed_extent(&e[0], "serverB", "127.0.2.2", "B2", 0, 200 << 20);
	seed_extent(&e[1], "serverC", "127.0.2.3", "C2", 0, 200 << 20);
	seed_mount_info(&mi, "Vol-2", DSP_FORM_CONCAT, e, 2, 400 << 20);
	msg_encode_mount_info(w, &mi);
	seed_put(w, "mountinfo");

	seed_extent(&e[0], "serverD", "127.0.2.4", "D", 0, 100 << 20);
	seed_extent(&e[1], "serverE", "127.0.2.5", "E", 0, 100 << 20);
	seed_mount_info(&mi, "Vol-3", DSP_FORM_MIRROR, e, 2, 100 << 20);
	msg_encode_mount_info(w, &mi);
	seed_put(w, "mountinfo");

	seed_extent(&e[0], "serverX", "127.0.2.6", "X2", 50 << 20, 50 << 20);
	seed_mount_info(&mi, "Vol-5", DSP_FORM_SPLIT, e, 1, 50 << 20);
	msg_encode_mount_info(w, &mi);
	seed_put(w, "mountinfo");
}

static void
seed_nbd_option(struct buf_writer *w, uint32_t option, const char *data,
    uint32_t len)
{
	buf_put_u64(w, NBD_OPT_MAGIC);
	buf_put_u32(w, option);
	buf_put_u32(w, len);
	buf_put_bytes(w, data, len);
}

static void
seed_nbd_request(struct buf_writer *w, uint16_t flags, uint16_t type,
    uint64_t offset, uint32_t length)
{
	buf_put_u32(w, NBD_REQUEST_MAGIC);
	buf_put_u16(w, flags);
	buf_put_u16(w, type);
	buf_put_u64(w, 42);
	buf_put_u64(w, offset);
	buf_put_u32(w, length);
}

/* A client as nbdinfo --map is, then one that writes and reads with
 * simple replies after EXPORT_NAME. */
static void
seed_nbd(struct buf_writer *w)
{
	static const char	meta[] = "\0\0\0\5Vol-1\0\0\0\1\0\0\0\17"
				    "base:allocation";
	static const char	go[] = "\0\0\0\5Vol-1\0\2\0\1\0\3";

	buf_put_u32(w, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	seed_nbd_option(w, NBD_OPT_LIST, NULL, 0);
	seed_nbd_option(w, NBD_OPT_STRUCTURED_REPLY, NULL, 0);
	seed_nbd_option(w, NBD_OPT_SET_META_CONTEXT, meta, sizeof(meta) - 1);
	seed_nbd_option(w, NBD_OPT_GO, go, sizeof(go) - 1);
	seed_nbd_request(w, 0, NBD_CMD_BLOCK_STATUS, 0, 65536);
	seed_nbd_request(w, NBD_CMD_FLAG_DF, NBD_CMD_READ, 512, 512);
	seed_nbd_request(w, 0, NBD_CMD_DISC, 0, 0);
	seed_put(w, "nbd");

	buf_put_u32(w, NBD_FLAG_FIXED_NEWSTYLE);
	seed_nbd_option(w, NBD_OPT_EXPORT_NAME, "Vol-1", 5);
	seed_nbd_request(w, NBD_CMD_FLAG_FUA, NBD_CMD_WRITE, 4096, 8);
	buf_put_bytes(w, "abcdefgh", 8);
	seed_nbd_request(w, 0, NBD_CMD_WRITE_ZEROES, 4096, 4);
	seed_nbd_request(w, 0, NBD_CMD_TRIM, 0, 1024);
	seed_nbd_request(w, 0, NBD_CMD_FLUSH, 0, 0);
	seed_nbd_request(w, 0, NBD_CMD_READ, 4090, 20);
	seed_put(w, "nbd");
}

static int
seed_tar_put(void *arg, const void *buf, size_t len)
{
	buf_put_bytes(arg, buf, len);
	return 0;
}

/* A copy of a small volume: 1000 bytes of data, then a hole. */
static void
seed_backup(struct buf_writer *w)
{
	static const struct tar_region	r[] = { { 0, 1000 } };
	static uint8_t			chunk[1000];
	struct manifest			m;
	struct tar			t;
	char				*text;
	size_t				 len;

	memset(&m, 0, sizeof(m));
	snprintf(m.volume, sizeof(m.volume), "Vol-1");
	snprintf(m.form, sizeof(m.form), "single");
	snprintf(m.image, sizeof(m.image), "Vol-1.img");
	if (manifest_alloc(&m, 3000, MANIFEST_CHUNK) != 0)
		seed_fail("manifest");
	m.data[0] = 1;
	manifest_tree(&m, m.tree);
	text = manifest_format(&m, &len);
	tar_init(&t, seed_tar_put, w, 0);
	if (text == NULL || tar_file(&t, "RESTORE.txt", "tar -xf\n", 8) ||
	    tar_sparse_begin(&t, "Vol-1.img", 3000, r, 1) ||
	    tar_data(&t, chunk, sizeof(chunk)) || tar_sparse_end(&t) ||
	    tar_file(&t, "MANIFEST", text, len) || tar_finish(&t))
		seed_fail("tar");
	free(text);
	manifest_free(&m);
	seed_put(w, "backup");
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
	if (mkdir(seed_dir, 0755) == -1 && errno != EEXIST)
		seed_fail(seed_dir);
	seed_signer = fuzz_key_signer();
	buf_writer_init(&w);
	seed_agents(&w);
	seed_records(&w);
	seed_borrowers(&w);
	seed_mirror(&w);
	seed_backup_audit(&w);
	seed_data(&w);
	seed_tickets(&w);
	seed_admin();
	seed_store(&w);
	seed_mountinfos(&w);
	seed_nbd(&w);
	seed_backup(&w);
	buf_writer_free(&w);
	ticket_signer_free(seed_signer);
	return 0;
}
