/*
 * Codec of the backup's messages (msg_backup.h). Strict like msg.c: the
 * layout first (E_FRAME), then each field's domain (E_INVALID).
 */
#include <stdio.h>
#include <string.h>

#include "msg_backup.h"
#include "text.h"

/* The events a backup may record; the audit trail's action column. */
static const char *const backup_events[] = {
	"backup-run",			/* a run started or ended */
	"backup-copy",			/* a volume copied to tape */
	"backup-copy-failed",
	"backup-verify",		/* a copy read back and checked */
	"backup-verify-failed",
	"backup-restore",		/* a copy written back */
	"backup-restore-failed",
};

#define BACKUP_NEVENTS	(sizeof(backup_events) / sizeof(backup_events[0]))

int
msg_backup_event_valid(const char *name)
{
	size_t	i;

	for (i = 0; i < BACKUP_NEVENTS; i++)
		if (strcmp(name, backup_events[i]) == 0)
			return 1;
	return 0;
}

static void
backup_event_list(char *out, size_t outlen)
{
	size_t	i, used = 0;

	out[0] = '\0';
	for (i = 0; i < BACKUP_NEVENTS && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
		    i == 0 ? "" : ", ", backup_events[i]);
}

/* One of the events above, else E_INVALID naming them. */
static int
backup_check_event(const char *event, char *why, size_t whylen)
{
	char	shown[TEXT_ESCAPED_SIZE(DSP_AUDIT_EVENT_MAX)], list[256];

	if (msg_backup_event_valid(event))
		return DSP_OK;
	if (why != NULL && whylen > 0) {
		/* The peer's bytes, made safe for a screen. */
		text_escape(shown, sizeof(shown), event);
		backup_event_list(list, sizeof(list));
		snprintf(why, whylen, "unknown backup event '%s': use one of "
		    "%s", shown, list);
	}
	return DSP_E_INVALID;
}

static int
backup_check_volume(const char *event, const char *volume, char *why,
    size_t whylen)
{
	char	shown[TEXT_ESCAPED_SIZE(DSP_NAME_MAX)];

	/* Only a run may be of no one volume. */
	if (volume[0] == '\0' && strcmp(event, "backup-run") != 0) {
		if (why != NULL && whylen > 0)
			snprintf(why, whylen, "a %s row needs a volume name",
			    event);
		return DSP_E_INVALID;
	}
	if (volume[0] != '\0' && !msg_name_valid(volume)) {
		if (why != NULL && whylen > 0) {
			text_escape(shown, sizeof(shown), volume);
			snprintf(why, whylen, "bad volume name '%s': use 1-%d "
			    "characters of A-Z a-z 0-9 . _ : -", shown,
			    DSP_NAME_MAX);
		}
		return DSP_E_INVALID;
	}
	return DSP_OK;
}

/* The row keeps the text escaped: it must fit escaped, not cut. */
static int
backup_check_text(const char *text, char *why, size_t whylen)
{
	char	escaped[TEXT_ESCAPED_SIZE(DSP_AUDIT_TEXT_MAX)];
	size_t	len;

	if ((len = text_escape(escaped, sizeof(escaped), text)) <=
	    DSP_AUDIT_TEXT_MAX)
		return DSP_OK;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "text of %zu bytes is %zu once escaped, "
		    "over the %d byte limit of an audit row", strlen(text),
		    len, DSP_AUDIT_TEXT_MAX);
	return DSP_E_INVALID;
}

int
msg_backup_audit_check(const struct msg_backup_audit *m, char *why,
    size_t whylen)
{
	int	rc;

	if ((rc = backup_check_event(m->event, why, whylen)) != DSP_OK ||
	    (rc = backup_check_volume(m->event, m->volume, why, whylen)) !=
	    DSP_OK)
		return rc;
	return backup_check_text(m->text, why, whylen);
}

void
msg_encode_backup_audit(struct buf_writer *w, const struct msg_backup_audit *m)
{
	buf_put_string(w, m->event);
	buf_put_string(w, m->volume);
	buf_put_string(w, m->text);
}

int
msg_decode_backup_audit(const uint8_t *p, size_t len,
    struct msg_backup_audit *m)
{
	struct buf_reader	r;

	memset(m, 0, sizeof(*m));
	buf_reader_init(&r, p, len);
	buf_get_string(&r, m->event, DSP_AUDIT_EVENT_MAX);
	buf_get_string(&r, m->volume, DSP_NAME_MAX);
	buf_get_string(&r, m->text, DSP_AUDIT_TEXT_MAX);
	if (buf_reader_finish(&r) != 0)
		return DSP_E_FRAME;
	return msg_backup_audit_check(m, NULL, 0);
}
