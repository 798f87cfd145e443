/*
 * Audit rows of the backup (audit.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"

/* Printable ASCII only, and no backslash: each byte then counts one
 * in the row, and the cut below is exact. */
static void
audit_plain(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '\\')
			*s = '?';
}

void
backup_audit(struct daspool_client *c, const char *event, const char *volume,
    const char *fmt, ...)
{
	const char	*by = getenv("DASPOOL_BACKUP_BY");
	char		 text[512], tail[96] = "";
	size_t		 room;
	va_list		 ap;

	if (c == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (by != NULL && by[0] != '\0')
		snprintf(tail, sizeof(tail), " (by %.80s)", by);
	audit_plain(text);
	audit_plain(tail);
	room = BACKUP_AUDIT_TEXT_MAX - strlen(tail);
	if (strlen(text) > room)
		memcpy(text + room - 3, "...", 4);
	strncat(text, tail, sizeof(text) - strlen(text) - 1);
	if (daspool_backup_audit(c, event, volume, text) != 0)
		log_warnx("audit row %s%s%s not written: %s", event,
		    volume != NULL ? " of " : "", volume != NULL ? volume : "",
		    daspool_client_error(c));
}
