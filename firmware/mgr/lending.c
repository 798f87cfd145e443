/*
 * Borrowers: ALLOCATE, MOUNT, RENEW, UNMOUNT, RELEASE. The store decides
 * each in one transaction; tickets are signed after it committed, and
 * revocations pushed after the unmount is recorded, so no network or
 * crypto work happens inside a write transaction.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "mgr.h"
#include "store.h"
#include "ticket.h"

/* How long a mount or renewal waits for lenders to register with a
 * manager that just started. */
#define LENDING_WAIT_MS		5000

/* Words the refusal of a payload that did not decode; returns rc. */
static int
lending_decoded(const struct dsp_header *hdr, int rc, char *err,
    size_t errlen)
{
	if (rc == DSP_E_FRAME)
		snprintf(err, errlen, "malformed %s payload",
		    dsp_opcode_name(hdr->opcode));
	else if (rc != DSP_OK)
		snprintf(err, errlen, "bad volume name: use 1-%d characters of "
		    "A-Z a-z 0-9 . _ : -", DSP_NAME_MAX);
	return rc;
}

static void
lending_ticket(const struct conn *c, const struct volume_record *v,
    uint8_t mode, uint64_t now, struct mount_ticket *t)
{
	const struct volume_extent	*e;
	struct ticket_extent		*te;
	uint16_t			 i;

	memset(t, 0, sizeof(*t));
	snprintf(t->volume, sizeof(t->volume), "%s", v->name);
	snprintf(t->borrower, sizeof(t->borrower), "%s", c->peer);
	t->mode = mode;
	t->generation = v->generation;
	t->issued_at = now;
	t->expires_at = now + (uint64_t)c->mgr->conf->ticket_lifetime;
	t->extent_count = v->extent_count;
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		te = &t->extents[i];
		snprintf(te->server, sizeof(te->server), "%s", e->server);
		snprintf(te->region, sizeof(te->region), "%s", e->region);
		te->offset = e->offset;
		te->length = e->length;
	}
}

/* Each extent's lender address, as the agents registered it. */
static int
lending_extents(const struct conn *c, const struct volume_record *v,
    struct msg_mount_info *mi, char *err, size_t errlen)
{
	const struct volume_extent	*e;
	struct msg_extent		*me;
	struct server_record		 sr;
	uint16_t			 i;

	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		me = &mi->extents[i];
		if (store_get_server(c->mgr->store, e->server, &sr) != DSP_OK) {
			snprintf(err, errlen, "volume %s is unavailable: server "
			    "%s is not registered", v->name, e->server);
			return DSP_E_UNAVAILABLE;
		}
		snprintf(me->server, sizeof(me->server), "%s", e->server);
		snprintf(me->host, sizeof(me->host), "%s", sr.host);
		me->port = sr.port;
		snprintf(me->region, sizeof(me->region), "%s", e->region);
		me->offset = e->offset;
		me->length = e->length;
	}
	mi->extent_count = v->extent_count;
	return DSP_OK;
}

/* The MOUNT, RENEW and BACKUP_OPEN reply: the table row, the lenders,
 * a new ticket. */
static int
lending_mount_info(const struct conn *c, const struct volume_record *v,
    uint8_t mode, struct buf_writer *reply, char *err, size_t errlen)
{
	struct msg_mount_info	mi;
	struct mount_ticket	t;
	size_t			len;
	int			rc;

	memset(&mi, 0, sizeof(mi));
	snprintf(mi.volume, sizeof(mi.volume), "%s", v->name);
	mi.form = v->form;
	mi.size = v->size;
	mi.status = v->mounted;
	mi.generation = v->generation;
	if ((rc = lending_extents(c, v, &mi, err, errlen)) != DSP_OK)
		return rc;
	lending_ticket(c, v, mode, (uint64_t)time(NULL), &t);
	if (ticket_sign(c->mgr->signer, &t, mi.ticket, sizeof(mi.ticket),
	    &len) == -1) {
		snprintf(err, errlen, "cannot sign the mount ticket for volume "
		    "%s", v->name);
		log_warnx("%s", err);
		return DSP_E_INTERNAL;
	}
	mi.ticket_len = (uint32_t)len;
	mi.expires_at = t.expires_at;
	msg_encode_mount_info(reply, &mi);
	return DSP_OK;
}

int
lending_handle_allocate(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_allocate	req;
	struct msg_allocated	out;
	struct volume_record	v;
	int			rc;

	rc = msg_decode_allocate(payload, hdr->payload_length, &req);
	if (lending_decoded(hdr, rc, err, errlen) != DSP_OK)
		return rc;
	if ((rc = store_allocate(c->mgr->store, c->peer, req.volume,
	    req.min_size, (uint64_t)time(NULL), &v, err, errlen)) != DSP_OK)
		return rc;
	log_info("volume %s allocated to %s", v.name, c->peer);
	memset(&out, 0, sizeof(out));
	snprintf(out.volume, sizeof(out.volume), "%s", v.name);
	out.size = v.size;
	msg_encode_allocated(reply, &out);
	return DSP_OK;
}

/*
 * Decodes the volume name of MOUNT, RENEW, UNMOUNT or RELEASE and has
 * the store decide the request for the connection's peer.
 */
/* A ticket is signed only once the volume's lenders have told this
 * manager the newest generation they have seen: a manager restored
 * from an older copy of its store learns it then. */
static int
lending_wait_lenders(struct conn *c, const char *volume, char *err,
    size_t errlen)
{
	struct volume_record	v;

	if (store_get_volume(c->mgr->store, volume, &v) != DSP_OK)
		return DSP_OK;	/* the decision names the problem */
	if (agents_wait_lenders(c->mgr->agents, &v, LENDING_WAIT_MS, err,
	    errlen) == -1)
		return DSP_E_UNAVAILABLE;
	return DSP_OK;
}

static int
lending_decide(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct volume_record *v, char *err,
    size_t errlen)
{
	struct msg_volume_ref	 ref;
	struct store		*s = c->mgr->store;
	int			 rc;

	rc = msg_decode_volume_ref(payload, hdr->payload_length, &ref);
	if (lending_decoded(hdr, rc, err, errlen) != DSP_OK)
		return rc;
	if ((hdr->opcode == DSP_OP_MOUNT || hdr->opcode == DSP_OP_RENEW) &&
	    (rc = lending_wait_lenders(c, ref.volume, err, errlen)) != DSP_OK)
		return rc;
	switch (hdr->opcode) {
	case DSP_OP_MOUNT:
		return store_mount(s, c->peer, ref.volume,
		    (uint64_t)time(NULL), v, err, errlen);
	case DSP_OP_RENEW:
		return store_check_mounted(s, c->peer, ref.volume, v, err,
		    errlen);
	case DSP_OP_UNMOUNT:
		return store_unmount(s, c->peer, c->peer, ref.volume,
		    (uint64_t)time(NULL), v, err, errlen);
	case DSP_OP_RELEASE:
		return store_release(s, c->peer, c->peer, ref.volume,
		    (uint64_t)time(NULL), v, err, errlen);
	}
	snprintf(err, errlen, "%s is not a lending request",
	    dsp_opcode_name(hdr->opcode));
	return DSP_E_INTERNAL;
}

int
lending_handle_mount(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct volume_record	v;
	int			rc;

	if ((rc = lending_decide(c, hdr, payload, &v, err, errlen)) != DSP_OK)
		return rc;
	log_info("volume %s mounted by %s, generation %llu", v.name, c->peer,
	    (unsigned long long)v.generation);
	return lending_mount_info(c, &v, DSP_MODE_READWRITE, reply, err,
	    errlen);
}

int
lending_handle_renew(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct volume_record	v;
	int			rc;

	if ((rc = lending_decide(c, hdr, payload, &v, err, errlen)) != DSP_OK)
		return rc;
	log_debug("volume %s: ticket renewed for %s", v.name, c->peer);
	return lending_mount_info(c, &v, DSP_MODE_READWRITE, reply, err,
	    errlen);
}

int
lending_handle_unmount(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct volume_record	v;
	int			rc;

	(void)reply;
	if ((rc = lending_decide(c, hdr, payload, &v, err, errlen)) != DSP_OK)
		return rc;
	log_info("volume %s unmounted by %s, generation now %llu", v.name,
	    c->peer, (unsigned long long)v.generation);
	/* The borrower is done either way; an agent that misses the
	 * revocation keeps the volume fenced until it acknowledges. */
	(void)push_volume(c->mgr->push, &v, 1);
	return DSP_OK;
}

int
lending_handle_release(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct volume_record	v;
	int			rc;

	(void)reply;
	if ((rc = lending_decide(c, hdr, payload, &v, err, errlen)) != DSP_OK)
		return rc;
	log_info("volume %s released by %s", v.name, c->peer);
	if (volume_is_fenced(&v))
		(void)push_volume(c->mgr->push, &v, 1);
	return DSP_OK;
}

int
lending_handle_backup_open(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_volume_ref	ref;
	struct volume_record	v;
	int			rc;

	rc = msg_decode_volume_ref(payload, hdr->payload_length, &ref);
	if (lending_decoded(hdr, rc, err, errlen) != DSP_OK)
		return rc;
	if ((rc = lending_wait_lenders(c, ref.volume, err, errlen)) != DSP_OK)
		return rc;
	if ((rc = store_get_volume(c->mgr->store, ref.volume, &v)) != DSP_OK) {
		snprintf(err, errlen, "no volume named %s", ref.volume);
		return rc;
	}
	log_info("volume %s opened for backup by %s, generation %llu", v.name,
	    c->peer, (unsigned long long)v.generation);
	/* A split-leg copy's hold lives as long as its ticket. */
	split_renew(c, &v);
	/* Read-only: the agents refuse every write made with it. */
	return lending_mount_info(c, &v, DSP_MODE_READONLY, reply, err,
	    errlen);
}
