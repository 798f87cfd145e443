/*
 * BACKUP_LIST: the volumes a backup run goes through, a page at a time
 * (each page one read transaction from a seek, never the whole table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "msg.h"
#include "store.h"

static int
backup_list_add(const struct volume_record *v, void *arg)
{
	struct msg_generation_page	*page = arg;
	struct msg_generation		*g;

	if (page->gens.count == DSP_MAX_GENERATIONS) {
		page->more = 1;
		return 1;
	}
	g = &page->gens.items[page->gens.count++];
	memset(g, 0, sizeof(*g));
	memcpy(g->volume, v->name, sizeof(g->volume));
	g->generation = v->generation;
	return 0;
}

int
backup_handle_list(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct msg_volume_ref		 after;
	struct msg_generation_page	*page;
	int				 rc = DSP_OK;

	memset(&after, 0, sizeof(after));
	if (hdr->payload_length > 0 && (rc = msg_decode_volume_ref(payload,
	    hdr->payload_length, &after)) != DSP_OK) {
		snprintf(err, errlen, "malformed backup-list request");
		return rc == DSP_E_FRAME ? rc : DSP_E_INVALID;
	}
	if ((page = calloc(1, sizeof(*page))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	if (store_each_volume_after(c->mgr->store, after.volume,
	    backup_list_add, page) < 0) {
		snprintf(err, errlen, "cannot read the volume table");
		rc = DSP_E_INTERNAL;
	} else
		msg_encode_generation_page(reply, page);
	free(page);
	return rc;
}
