/*
 * The backup's rows of the manager's audit trail (BACKUP_AUDIT). Only
 * what the wire cannot carry is refused here; the manager alone decides
 * which events there are, so a library of before does not stand in the
 * way of an event a newer manager knows.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "msg_backup.h"

/* Each field fits its string on the wire, else the sentence says which. */
static int
audit_fits(struct daspool_client *c, const char *what, const char *value,
    size_t max)
{
	size_t	len = strlen(value);

	if (len <= max)
		return 0;
	client_seterr(c, "%s of %zu bytes is over the %zu byte limit of a "
	    "backup audit row", what, len, max);
	return DASPOOL_ERR_INVALID;
}

int
daspool_backup_audit(struct daspool_client *c, const char *event,
    const char *volume, const char *text)
{
	struct msg_backup_audit	 m;
	struct buf_writer	 w;
	const uint8_t		*reply;
	size_t			 len;
	int			 rc;

	if (event == NULL)
		event = "";
	/* "-" is how the shell and the trail show no volume. */
	if (volume == NULL || strcmp(volume, "-") == 0)
		volume = "";
	if (text == NULL)
		text = "";
	if ((rc = audit_fits(c, "event", event, DSP_AUDIT_EVENT_MAX)) != 0 ||
	    (rc = audit_fits(c, "volume name", volume, DSP_NAME_MAX)) != 0 ||
	    (rc = audit_fits(c, "text", text, DSP_AUDIT_TEXT_MAX)) != 0)
		return rc;
	memset(&m, 0, sizeof(m));
	memcpy(m.event, event, strlen(event));
	memcpy(m.volume, volume, strlen(volume));
	memcpy(m.text, text, strlen(text));
	buf_writer_init(&w);
	msg_encode_backup_audit(&w, &m);
	pthread_mutex_lock(&c->lock);
	rc = mgrlink_call(c, DSP_OP_BACKUP_AUDIT, &w, &reply, &len, c->err,
	    sizeof(c->err));
	if (rc == 0 && len != 0) {
		client_seterr(c, "malformed %s reply: %zu bytes, expected none",
		    dsp_opcode_name(DSP_OP_BACKUP_AUDIT), len);
		rc = DASPOOL_ERR_PROTOCOL;
	}
	pthread_mutex_unlock(&c->lock);
	buf_writer_free(&w);
	return rc;
}
