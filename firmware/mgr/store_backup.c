/*
 * The backup's rows of the audit trail (BACKUP_AUDIT): what a backup
 * run did, kept beside the changes of the pool so that one trail tells
 * both. A row is a change of its own: one group-commit job.
 */
#include "store_internal.h"
#include "text.h"

struct backup_row {
	const char	*actor;
	const char	*event;
	const char	*volume;
	const char	*text;
};

static int
backup_row_job(struct store_txn *t, void *arg)
{
	const struct backup_row	*r = arg;
	char			 detail[sizeof(((struct audit_record *)0)->detail)];

	/* The backup's words, escaped like the agents' reasons; the
	 * manager refused a text too long for the row before. */
	text_escape(detail, sizeof(detail), r->text);
	return store_audit_add(t, r->actor, r->event, r->volume, "%s",
	    detail);
}

int
store_backup_audit(struct store *s, const char *actor, const char *event,
    const char *volume, const char *text, uint64_t now, char *err,
    size_t errlen)
{
	struct backup_row	r = { actor, event, volume, text };

	return store_write(s, now, backup_row_job, &r, err, errlen);
}
