/*
 * The borrower's TLS link to the manager: opened at the first control
 * call, kept for the next ones. Callers hold the client lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "msg.h"
#include "internal.h"
#include "tls.h"

static int	mgrlink_connect(struct daspool_client *, char *, size_t);

static int
mgrlink_connect(struct daspool_client *c, char *err, size_t errlen)
{
	const struct tls_peer	 manager = { DSP_ROLE_MANAGER,
				    c->manager_name };
	struct tls_conn		*t;
	char			 why[512];

	if (c->manager_host == NULL || c->manager_host[0] == '\0') {
		snprintf(err, errlen, "no manager address: set manager_address "
		    "in the config file or give --manager");
		return DASPOOL_ERR_CONFIG;
	}
	t = tls_connect(c->tls, c->manager_host, c->manager_port, &manager,
	    c->timeout_ms, why, sizeof(why));
	if (t == NULL) {
		/* EACCES: it answered, but refused us or is not the
		 * manager we trust. */
		snprintf(err, errlen, "%s the manager at %s:%u: %s",
		    errno == EACCES ? "cannot talk to" : "cannot reach",
		    c->manager_host, c->manager_port, why);
		return DASPOOL_ERR_CONNECT;
	}
	if ((c->mgr = channel_from_tls(t)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DASPOOL_ERR_SYSTEM;
	}
	channel_set_timeout(c->mgr, c->timeout_ms);
	return 0;
}

void
mgrlink_close(struct daspool_client *c)
{
	channel_close(c->mgr);
	c->mgr = NULL;
}

/*
 * Returns 0 with the reply payload (valid until the next call), the
 * manager's refusal (dsp_status > 0, its message in err), or a
 * DASPOOL_ERR code. A link that failed after sitting idle is reopened
 * once: the manager may have closed it or restarted meanwhile.
 */
int
mgrlink_call(struct daspool_client *c, uint8_t opcode,
    const struct buf_writer *req, const uint8_t **reply, size_t *reply_len,
    char *err, size_t errlen)
{
	char	why[DASPOOL_ERRLEN];
	int	rc, fresh = 0, e;

	for (;;) {
		if (c->mgr == NULL) {
			if ((rc = mgrlink_connect(c, err, errlen)) != 0)
				return rc;
			fresh = 1;
		}
		errno = 0;
		rc = channel_call(c->mgr, opcode, req, reply, reply_len, why,
		    sizeof(why));
		e = errno;
		if (rc == DSP_OK)
			return 0;
		if (rc > 0) {
			snprintf(err, errlen, "%s", why);
			return rc;
		}
		mgrlink_close(c);
		/* A request that timed out may have been carried out:
		 * do not send it twice. */
		if (fresh || e == ETIMEDOUT) {
			snprintf(err, errlen, "manager at %s:%u: %s",
			    c->manager_host, c->manager_port, why);
			return DASPOOL_ERR_CONNECT;
		}
	}
}

/* The many requests whose payload is one volume's name. */
int
mgrlink_call_volume(struct daspool_client *c, uint8_t opcode,
    const char *volume, const uint8_t **reply, size_t *reply_len,
    char *err, size_t errlen)
{
	struct msg_volume_ref	ref;
	struct buf_writer	w;
	int			rc;

	memset(&ref, 0, sizeof(ref));
	snprintf(ref.volume, sizeof(ref.volume), "%s", volume);
	buf_writer_init(&w);
	msg_encode_volume_ref(&w, &ref);
	rc = mgrlink_call(c, opcode, &w, reply, reply_len, err, errlen);
	buf_writer_free(&w);
	return rc;
}
