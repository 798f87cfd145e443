/*
 * The mirror's requests to the manager: leg states, write-intent marks
 * and resync bookkeeping (docs/PROTOCOL.md). Each is idempotent, so a
 * link that fails (a manager restart) is tried again for the client
 * timeout before the caller is told.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mirror_mgr.h"
#include "timeutil.h"

#define MM_BACKOFF_MS	200

typedef int (*mm_decode_fn)(const uint8_t *, size_t, void *);

/* One call; decode (may be NULL) takes the reply while the lock holds
 * the payload. A handle cut off (unmount, close) gets one try only. */
static int
mm_call(struct daspool_volume *v, uint8_t opcode, const struct buf_writer *w,
    mm_decode_fn decode, void *out, char *err, size_t errlen)
{
	struct daspool_client	*c = v->client;
	const uint8_t		*reply;
	size_t			 len;
	int64_t			 deadline;
	int			 rc;

	if (w->error) {
		snprintf(err, errlen, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	deadline = timeutil_now_ms() + c->timeout_ms;
	for (;;) {
		pthread_mutex_lock(&c->lock);
		rc = mgrlink_call(c, opcode, w, &reply, &len, err, errlen);
		if (rc == 0 && decode != NULL &&
		    (rc = decode(reply, len, out)) != DSP_OK) {
			snprintf(err, errlen, "malformed %s reply from the "
			    "manager (%s)", dsp_opcode_name(opcode),
			    dsp_status_name((uint32_t)rc));
			rc = DASPOOL_ERR_PROTOCOL;
		}
		pthread_mutex_unlock(&c->lock);
		if (rc != DASPOOL_ERR_CONNECT ||
		    timeutil_now_ms() >= deadline || handle_is_cut(v))
			return rc;
		timeutil_sleep_ms(MM_BACKOFF_MS);
	}
}

static int
mm_decode_status(const uint8_t *p, size_t len, void *out)
{
	return msg_decode_mirror_status(p, len, out);
}

int
mirror_mgr_status(struct daspool_volume *v, struct msg_mirror_status *st,
    char *err, size_t errlen)
{
	struct msg_volume_ref	ref;
	struct buf_writer	w;
	int			rc;

	memset(&ref, 0, sizeof(ref));
	memcpy(ref.volume, v->name, sizeof(ref.volume));
	buf_writer_init(&w);
	msg_encode_volume_ref(&w, &ref);
	rc = mm_call(v, DSP_OP_MIRROR_STATUS, &w, mm_decode_status, st, err,
	    errlen);
	buf_writer_free(&w);
	return rc;
}

int
mirror_mgr_leg_fail(struct daspool_volume *v, uint16_t leg, const char *why,
    uint64_t offset, uint64_t length, struct msg_mirror_status *st,
    char *err, size_t errlen)
{
	struct msg_leg_fail	m;
	struct buf_writer	w;
	int			rc;

	memset(&m, 0, sizeof(m));
	memcpy(m.volume, v->name, sizeof(m.volume));
	m.leg = leg;
	snprintf(m.reason, sizeof(m.reason), "%s", why);
	if (length > 0) {
		m.range_count = 1;
		m.ranges[0].offset = offset;
		m.ranges[0].length = length;
	}
	buf_writer_init(&w);
	msg_encode_leg_fail(&w, &m);
	rc = mm_call(v, DSP_OP_LEG_FAIL, &w, mm_decode_status, st, err,
	    errlen);
	buf_writer_free(&w);
	return rc;
}

int
mirror_mgr_mark(struct daspool_volume *v, uint64_t offset, uint64_t length,
    char *err, size_t errlen)
{
	struct msg_mark_dirty	m;
	struct buf_writer	w;
	int			rc;

	memset(&m, 0, sizeof(m));
	memcpy(m.volume, v->name, sizeof(m.volume));
	m.range_count = 1;
	m.ranges[0].offset = offset;
	m.ranges[0].length = length;
	buf_writer_init(&w);
	msg_encode_mark_dirty(&w, &m);
	rc = mm_call(v, DSP_OP_MARK_DIRTY, &w, NULL, NULL, err, errlen);
	buf_writer_free(&w);
	return rc;
}

/* The plan's bitmap points into the reply: copy it out under the lock. */
struct mm_plan {
	struct msg_resync_plan	*plan;
	uint8_t			*bits;
};

static int
mm_decode_plan(const uint8_t *p, size_t len, void *out)
{
	struct mm_plan	*mp = out;
	int		 rc;

	if ((rc = msg_decode_resync_plan(p, len, mp->plan)) != DSP_OK)
		return rc;
	if (mp->plan->bitmap_len > 0) {
		if ((mp->bits = malloc(mp->plan->bitmap_len)) == NULL)
			return DSP_E_INTERNAL;
		memcpy(mp->bits, mp->plan->bitmap, mp->plan->bitmap_len);
	}
	mp->plan->bitmap = NULL;
	return DSP_OK;
}

int
mirror_mgr_resync_begin(struct daspool_volume *v, uint16_t leg,
    struct msg_resync_plan *plan, uint8_t **bits, char *err, size_t errlen)
{
	struct msg_leg_ref	ref;
	struct mm_plan		mp = { plan, NULL };
	struct buf_writer	w;
	int			rc;

	memset(&ref, 0, sizeof(ref));
	memcpy(ref.volume, v->name, sizeof(ref.volume));
	ref.leg = leg;
	buf_writer_init(&w);
	msg_encode_leg_ref(&w, &ref);
	rc = mm_call(v, DSP_OP_RESYNC_BEGIN, &w, mm_decode_plan, &mp, err,
	    errlen);
	buf_writer_free(&w);
	if (rc == 0 && plan->leg != leg) {
		snprintf(err, errlen, "the manager planned the resync of leg "
		    "%u instead of %u", plan->leg, leg);
		rc = DASPOOL_ERR_PROTOCOL;
	}
	if (rc != 0) {
		free(mp.bits);
		mp.bits = NULL;
	}
	*bits = mp.bits;
	return rc;
}

int
mirror_mgr_resync_report(struct daspool_volume *v, uint8_t opcode,
    uint16_t leg, uint64_t done, uint64_t total, struct msg_mirror_status *st,
    char *err, size_t errlen)
{
	struct msg_resync_progress	m;
	struct buf_writer		w;
	int				rc;

	memset(&m, 0, sizeof(m));
	memcpy(m.volume, v->name, sizeof(m.volume));
	m.leg = leg;
	m.done = done;
	m.total = total;
	buf_writer_init(&w);
	msg_encode_resync_progress(&w, &m);
	rc = mm_call(v, opcode, &w, st != NULL ? mm_decode_status : NULL, st,
	    err, errlen);
	buf_writer_free(&w);
	return rc;
}
