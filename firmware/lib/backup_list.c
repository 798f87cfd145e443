/*
 * daspool_backup_list: every volume of the pool, a page at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One page after `after` (""): 0, or the call's failure. */
static int
backup_list_page(struct daspool_client *c, const char *after,
    struct msg_generation_page *page)
{
	struct msg_volume_ref	 ref;
	struct buf_writer	 w;
	const uint8_t		*reply;
	size_t			 len;
	int			 rc;

	buf_writer_init(&w);
	if (after[0] != '\0') {
		memset(&ref, 0, sizeof(ref));
		snprintf(ref.volume, sizeof(ref.volume), "%s", after);
		msg_encode_volume_ref(&w, &ref);
	}
	rc = mgrlink_call(c, DSP_OP_BACKUP_LIST, &w, &reply, &len, c->err,
	    sizeof(c->err));
	buf_writer_free(&w);
	if (rc != 0)
		return rc;
	if (msg_decode_generation_page(reply, len, page) != DSP_OK) {
		snprintf(c->err, sizeof(c->err), "the manager's volume list "
		    "is malformed");
		return DASPOOL_ERR_PROTOCOL;
	}
	return 0;
}

int
daspool_backup_list(struct daspool_client *c, daspool_volume_name_fn *fn,
    void *arg)
{
	struct msg_generation_page	*page;
	char				 after[DASPOOL_NAME_MAX + 1] = "";
	uint16_t			 i;
	int				 rc;

	if ((page = malloc(sizeof(*page))) == NULL) {
		snprintf(c->err, sizeof(c->err), "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	pthread_mutex_lock(&c->lock);
	do {
		if ((rc = backup_list_page(c, after, page)) != 0)
			break;
		/* Names that do not go forward would loop for ever. */
		if (page->gens.count == 0 && page->more) {
			snprintf(c->err, sizeof(c->err), "the manager's "
			    "volume list goes on with no volume");
			rc = DASPOOL_ERR_PROTOCOL;
			break;
		}
		for (i = 0; i < page->gens.count; i++) {
			if (strcmp(page->gens.items[i].volume, after) <= 0) {
				snprintf(c->err, sizeof(c->err), "the "
				    "manager's volume list is out of order");
				rc = DASPOOL_ERR_PROTOCOL;
				goto done;
			}
			fn(page->gens.items[i].volume, arg);
			memcpy(after, page->gens.items[i].volume,
			    sizeof(after));
		}
	} while (page->more);
done:
	pthread_mutex_unlock(&c->lock);
	free(page);
	return rc;
}
