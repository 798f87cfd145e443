/*
 * Mirror legs, as the borrower reports them: the client writes every
 * leg itself and copies a returning one; the manager keeps what must
 * outlive the client (leg states, the write-intent bitmap, resync
 * progress) in the store. Each request is decided there in one
 * transaction, for the TLS peer as the borrower.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mirror.h"
#include "msg_mirror.h"
#include "store.h"
#include "text.h"

/* Words the refusal of a payload that did not decode; returns rc. */
static int
mirror_decoded(const struct dsp_header *hdr, int rc, char *err,
    size_t errlen)
{
	if (rc == DSP_E_FRAME)
		snprintf(err, errlen, "malformed %s payload",
		    dsp_opcode_name(hdr->opcode));
	else if (rc != DSP_OK)
		snprintf(err, errlen, "bad %s request: a bad volume name, leg "
		    "number, range or count", dsp_opcode_name(hdr->opcode));
	return rc;
}

/* "serverD:D" for the logs; "leg N" if the volume cannot be read. */
/*
 * Dirty chunks and failed legs reach the lenders' records before the
 * borrower writes: a table rebuilt from them then never resyncs too
 * little. Lenders known to be away are left to the push worker.
 */
static void
mirror_push(struct conn *c, const char *volume)
{
	struct volume_record	v;

	if (store_get_volume(c->mgr->store, volume, &v) == DSP_OK)
		(void)push_volume(c->mgr->push, &v, 0);
}

static void
mirror_leg_name(struct conn *c, const char *volume, uint16_t leg, char *out,
    size_t outlen)
{
	struct volume_record	v;

	if (store_get_volume(c->mgr->store, volume, &v) == DSP_OK &&
	    leg < v.extent_count)
		snprintf(out, outlen, "%s:%s", v.extents[leg].server,
		    v.extents[leg].region);
	else
		snprintf(out, outlen, "leg %u", leg);
}

int
mirror_handle_status(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_volume_ref		ref;
	struct msg_mirror_status	st;
	int				rc;

	rc = msg_decode_volume_ref(payload, hdr->payload_length, &ref);
	if (mirror_decoded(hdr, rc, err, errlen) != DSP_OK)
		return rc;
	/* A backup reads the legs of any mirror, lent or not. */
	if ((rc = store_mirror_status(c->mgr->store, c->role ==
	    DSP_ROLE_BACKUP ? NULL : c->peer, ref.volume, &st, err,
	    errlen)) != DSP_OK)
		return rc;
	msg_encode_mirror_status(reply, &st);
	return DSP_OK;
}

int
mirror_handle_leg_fail(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_leg_fail		*req;
	struct msg_mirror_status	 st;
	char				 leg[2 * DSP_NAME_MAX + 2];
	char				 why[TEXT_ESCAPED_SIZE(DSP_REASON_MAX)];
	int				 rc;

	/* Ranges make it a few KiB: off the connection thread's stack. */
	if ((req = malloc(sizeof(*req))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	rc = msg_decode_leg_fail(payload, hdr->payload_length, req);
	if (mirror_decoded(hdr, rc, err, errlen) == DSP_OK)
		rc = store_leg_fail(c->mgr->store, c->peer, req->volume,
		    req->leg, req->reason, req->ranges, req->range_count,
		    (uint64_t)time(NULL), &st, err, errlen);
	if (rc == DSP_OK) {
		mirror_leg_name(c, req->volume, req->leg, leg, sizeof(leg));
		text_escape(why, sizeof(why), req->reason[0] ? req->reason :
		    "no reason given");
		log_info("volume %s: leg %s out of sync, reported by %s: %s "
		    "(%u ranges marked)", req->volume, leg, c->peer, why,
		    req->range_count);
		mirror_push(c, req->volume);
		msg_encode_mirror_status(reply, &st);
	}
	free(req);
	return rc;
}

int
mirror_handle_mark_dirty(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_mark_dirty	*req;
	int			 rc;

	(void)reply;
	if ((req = malloc(sizeof(*req))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	rc = msg_decode_mark_dirty(payload, hdr->payload_length, req);
	if (mirror_decoded(hdr, rc, err, errlen) == DSP_OK)
		rc = store_mark_dirty(c->mgr->store, c->peer, req->volume,
		    req->ranges, req->range_count, err, errlen);
	if (rc == DSP_OK)
		mirror_push(c, req->volume);
	free(req);
	return rc;
}

int
mirror_handle_resync_begin(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_leg_ref	 ref;
	struct msg_resync_plan	 plan;
	uint8_t			*bits = NULL;
	char			 leg[2 * DSP_NAME_MAX + 2];
	int			 rc;

	rc = msg_decode_leg_ref(payload, hdr->payload_length, &ref);
	if (mirror_decoded(hdr, rc, err, errlen) != DSP_OK)
		return rc;
	if ((rc = store_resync_begin(c->mgr->store, c->peer, ref.volume,
	    ref.leg, (uint64_t)time(NULL), &plan, &bits, err,
	    errlen)) != DSP_OK)
		return rc;
	mirror_leg_name(c, ref.volume, ref.leg, leg, sizeof(leg));
	log_info("volume %s: %s resyncs leg %s, %s of %llu chunks", ref.volume,
	    c->peer, leg, plan.full ? "all" : "the dirty ones",
	    (unsigned long long)plan.chunk_count);
	msg_encode_resync_plan(reply, &plan);
	free(bits);
	return DSP_OK;
}

int
mirror_handle_resync_progress(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_resync_progress	req;
	int				rc;

	(void)reply;
	rc = msg_decode_resync_progress(payload, hdr->payload_length, &req);
	if (mirror_decoded(hdr, rc, err, errlen) != DSP_OK)
		return rc;
	return store_resync_progress(c->mgr->store, c->peer, req.volume,
	    req.leg, req.done, req.total, err, errlen);
}

int
mirror_handle_resync_done(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_resync_progress	req;
	struct msg_mirror_status	st;
	char				leg[2 * DSP_NAME_MAX + 2];
	int				rc;

	rc = msg_decode_resync_progress(payload, hdr->payload_length, &req);
	if (mirror_decoded(hdr, rc, err, errlen) != DSP_OK)
		return rc;
	if ((rc = store_resync_done(c->mgr->store, c->peer, req.volume,
	    req.leg, req.done, (uint64_t)time(NULL), &st, err,
	    errlen)) != DSP_OK)
		return rc;
	mirror_leg_name(c, req.volume, req.leg, leg, sizeof(leg));
	log_info("volume %s: leg %s in sync again, %llu chunks copied by %s",
	    req.volume, leg, (unsigned long long)req.done, c->peer);
	msg_encode_mirror_status(reply, &st);
	return DSP_OK;
}
