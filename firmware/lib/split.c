/*
 * Split-leg copies for the backup role (daspool.h, docs/BACKUP.md):
 * the manager holds one in-sync leg of a mounted mirror still, the
 * backup's handles read that leg alone, and the leg is given back.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "msg_mirror.h"

static int
split_mount(struct daspool_client *c, const char *volume,
    struct daspool_mount **mp)
{
	if ((*mp = client_mount_find(c, volume)) == NULL || !(*mp)->backup) {
		client_seterr(c, "volume %s is not open for backup here: "
		    "daspool_backup_open it first", volume);
		return DASPOOL_ERR_NOTMOUNTED;
	}
	return 0;
}

static int
split_call(struct daspool_client *c, const char *volume,
    struct daspool_mount *m, uint16_t *leg)
{
	struct msg_leg_ref	 out;
	const uint8_t		*reply;
	size_t			 len;
	int			 rc;

	rc = mgrlink_call_volume(c, DSP_OP_SPLIT_LEG, volume, &reply, &len,
	    c->err, sizeof(c->err));
	if (rc != 0)
		return rc;
	if (msg_decode_leg_ref(reply, len, &out) != DSP_OK ||
	    strcmp(out.volume, volume) != 0 ||
	    out.leg >= m->info.extent_count) {
		client_seterr(c, "the manager's split-leg reply names another "
		    "volume or a leg volume %s does not have", volume);
		return DASPOOL_ERR_PROTOCOL;
	}
	*leg = out.leg;
	return 0;
}

int
daspool_backup_split(struct daspool_client *c, const char *volume,
    int *leg)
{
	struct daspool_mount	*m;
	uint16_t		 held = 0;
	int			 rc;

	if (volume == NULL || !msg_name_valid(volume)) {
		client_seterr(c, "invalid volume name");
		return DASPOOL_ERR_INVALID;
	}
	pthread_mutex_lock(&c->lock);
	if ((rc = split_mount(c, volume, &m)) == 0 &&
	    (rc = split_call(c, volume, m, &held)) == 0) {
		m->held_leg = held + 1;
		if (leg != NULL)
			*leg = held;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
daspool_backup_split_end(struct daspool_client *c, const char *volume,
    int leg)
{
	struct daspool_mount	*m;
	struct msg_leg_ref	 ref;
	struct buf_writer	 w;
	const uint8_t		*reply;
	size_t			 len;
	int			 rc;

	if (volume == NULL || !msg_name_valid(volume) || leg < 0 ||
	    leg >= DSP_MAX_EXTENTS) {
		client_seterr(c, "invalid volume name or leg");
		return DASPOOL_ERR_INVALID;
	}
	memset(&ref, 0, sizeof(ref));
	snprintf(ref.volume, sizeof(ref.volume), "%s", volume);
	ref.leg = (uint16_t)leg;
	buf_writer_init(&w);
	msg_encode_leg_ref(&w, &ref);
	pthread_mutex_lock(&c->lock);
	/* Handles opened from now on read every in-sync leg again. */
	if ((m = client_mount_find(c, volume)) != NULL)
		m->held_leg = 0;
	rc = mgrlink_call(c, DSP_OP_SPLIT_END, &w, &reply, &len, c->err,
	    sizeof(c->err));
	pthread_mutex_unlock(&c->lock);
	buf_writer_free(&w);
	return rc;
}
