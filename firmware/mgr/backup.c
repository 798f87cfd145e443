/*
 * BACKUP_AUDIT: a backup certificate records what it did (a run, a
 * copy, a verify, a restore, or their failure) in the audit trail, so
 * that `show audit` and the SNMP notifications tell it with the pool's
 * own changes. The volume need not exist any more: a copy of a volume
 * deleted while it ran still failed, and says so.
 */
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "mgr.h"
#include "msg_backup.h"
#include "store.h"

int
backup_handle_audit(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_backup_audit	m;
	int			rc;

	(void)reply;
	rc = msg_decode_backup_audit(payload, hdr->payload_length, &m);
	if (rc == DSP_E_FRAME) {
		snprintf(err, errlen, "malformed %s payload",
		    dsp_opcode_name(hdr->opcode));
		return rc;
	}
	if (rc != DSP_OK)
		return msg_backup_audit_check(&m, err, errlen);
	if ((rc = store_backup_audit(c->mgr->store, c->peer, m.event, m.volume,
	    m.text, (uint64_t)time(NULL), err, errlen)) != DSP_OK)
		return rc;
	log_info("%s by %s%s%s", m.event, c->peer, m.volume[0] ? " of " : "",
	    m.volume);
	return DSP_OK;
}
