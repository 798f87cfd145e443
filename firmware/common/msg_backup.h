/*
 * Messages of the backup's own requests to the manager (docs/PROTOCOL.md):
 * BACKUP_AUDIT, one row of the manager's audit trail saying what a
 * backup run did.
 */
#ifndef DASPOOL_MSG_BACKUP_H
#define DASPOOL_MSG_BACKUP_H

#include "msg.h"

#define DSP_AUDIT_EVENT_MAX	31	/* an action of the audit trail */
/* The detail of an audit row, as kept: the text escaped (text.h). */
#define DSP_AUDIT_TEXT_MAX	127

/*
 * BACKUP_AUDIT request: event is one of the backup events below;
 * volume is a name, or "" for a backup-run row that names none; text
 * is the backup's words, at most DSP_AUDIT_TEXT_MAX bytes once escaped
 * (a byte outside printable ASCII counts 4, a backslash 2). Reply
 * empty, once the row is committed.
 */
struct msg_backup_audit {
	char		event[DSP_AUDIT_EVENT_MAX + 1];
	dsp_name	volume;
	char		text[DSP_AUDIT_TEXT_MAX + 1];
};

void	msg_encode_backup_audit(struct buf_writer *,
	    const struct msg_backup_audit *);
int	msg_decode_backup_audit(const uint8_t *, size_t,
	    struct msg_backup_audit *);
/* DSP_OK, or DSP_E_INVALID with a sentence naming the field in why
 * (why may be NULL). */
int	msg_backup_audit_check(const struct msg_backup_audit *, char *why,
	    size_t whylen);
/* 1 when name is a backup event: backup-run, backup-copy,
 * backup-copy-failed, backup-verify, backup-verify-failed,
 * backup-restore, backup-restore-failed. */
int	msg_backup_event_valid(const char *name);

#endif
