/*
 * The daspool wire protocol: one framed, versioned binary protocol for
 * control (borrower/agent/admin -> manager) and data (borrower -> agent).
 * docs/PROTOCOL.md is the prose version of this header.
 *
 * Every integer on the wire is big-endian.
 */
#ifndef DASPOOL_PROTO_H
#define DASPOOL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define DSP_MAGIC		0x4453504cU	/* "DSPL" */
#define DSP_VERSION		1
/* The release, as daspool-mgr records it in its store. */
#define DASPOOL_RELEASE		"0.12.0"
#define DSP_HEADER_SIZE		24
#define DSP_MAX_IO		(1024U * 1024U)	/* largest read/write */
#define DSP_MAX_PAYLOAD		(DSP_MAX_IO + 4096U)
#define DSP_NAME_MAX		63	/* server, region, volume, host */
#define DSP_TEXT_MAX		(256U * 1024U)	/* one frame of admin output */
#define DSP_MAX_EXTENTS		16
#define DSP_MAX_REGIONS		64
#define DSP_MAX_MATCHES		64	/* search results per request */
#define DSP_MAX_RUNS		128	/* allocation runs per MAP reply */
#define DSP_MAX_PATTERN		4096	/* longest search pattern */
#define DSP_MAX_GENERATIONS	1024	/* volumes in one generation page */
#define DSP_TICKET_MAX		4096
#define DSP_MAX_RANGES		64	/* dirty ranges in one mirror report */
#define DSP_DIGEST_LEN		16	/* of a lender's volume record */
#define DSP_LEG_REASON_MAX	127	/* why a mirror leg is out of sync */
/* Write-intent bitmap chunk of a mirror: 1 MiB, doubled for big volumes
 * so that a bitmap never has more than DSP_MAX_CHUNKS bits (128 KiB). */
#define DSP_MIRROR_CHUNK	(1024U * 1024U)
#define DSP_MAX_CHUNKS		(1024U * 1024U)
#define DSP_MAX_BITMAP		(DSP_MAX_CHUNKS / 8)

#define DSP_FLAG_REPLY		0x0001
/* ADMIN only. On a request: the asker reads the reply in parts. On a
 * reply: this frame is a part, more frames answer the same request. */
#define DSP_FLAG_MORE		0x0002

/* Default TCP ports. */
#define DSP_MGR_PORT		7400
#define DSP_AGENT_PORT		7401

enum dsp_opcode {
	/* control: agent -> manager */
	DSP_OP_REGISTER		= 1,
	DSP_OP_HEARTBEAT	= 2,
	DSP_OP_FENCE_ACK	= 3,
	DSP_OP_GENERATIONS	= 4,	/* the next page after REGISTER */
	DSP_OP_VOLUME_RECORD	= 5,	/* a record the agent keeps */
	/* control: borrower -> manager */
	DSP_OP_ALLOCATE		= 10,
	DSP_OP_MOUNT		= 11,
	DSP_OP_RENEW		= 12,
	DSP_OP_UNMOUNT		= 13,
	DSP_OP_RELEASE		= 14,
	/* control: borrower -> manager, mirror legs (docs/PROTOCOL.md) */
	DSP_OP_MIRROR_STATUS	= 15,
	DSP_OP_LEG_FAIL		= 16,
	DSP_OP_MARK_DIRTY	= 17,
	DSP_OP_RESYNC_BEGIN	= 18,
	DSP_OP_RESYNC_PROGRESS	= 19,
	DSP_OP_RESYNC_DONE	= 21,
	/* control: backup -> manager, a read-only ticket of any volume */
	DSP_OP_BACKUP_OPEN	= 22,
	/* control: backup -> manager, one row of the audit trail */
	DSP_OP_BACKUP_AUDIT	= 23,
	/* control: backup -> manager, every volume, a page at a time */
	DSP_OP_BACKUP_LIST	= 24,
	/* control: backup -> manager, hold an in-sync mirror leg still */
	DSP_OP_SPLIT_LEG	= 25,
	/* control: backup -> manager, give the held leg back */
	DSP_OP_SPLIT_END	= 26,
	/* control: admin -> manager (admin socket, or admin-role TLS) */
	DSP_OP_ADMIN		= 20,
	/* data: borrower -> agent */
	DSP_OP_ATTACH		= 30,
	DSP_OP_INIT		= 31,
	DSP_OP_WRITE		= 32,
	DSP_OP_READ		= 33,
	DSP_OP_SEARCH		= 34,
	DSP_OP_ERASE		= 35,
	DSP_OP_FLUSH		= 36,
	DSP_OP_MAP		= 37,	/* holes and data of a range */
	/* data: manager -> agent */
	DSP_OP_REVOKE		= 40,
	DSP_OP_VOLUME_PUT	= 42,	/* keep this record (and revoke) */
	DSP_OP_VOLUME_DROP	= 43,	/* the volume is gone */
	DSP_OP_LEG_HOLD		= 44,	/* refuse borrowers' writes a while */
	/* any server -> client, unasked (request id 0): the connection is
	 * refused after the handshake; status and a sentence say why */
	DSP_OP_REFUSED		= 41,
};

enum dsp_status {
	DSP_OK			= 0,
	DSP_E_FRAME		= 1,	/* malformed frame or payload */
	DSP_E_VERSION		= 2,	/* unsupported protocol version */
	DSP_E_OPCODE		= 3,	/* unknown opcode */
	DSP_E_ROLE		= 4,	/* certificate role may not do this */
	DSP_E_NOTFOUND		= 5,	/* no such volume/region/server */
	DSP_E_BUSY		= 6,	/* lent or mounted elsewhere */
	DSP_E_INVALID		= 7,	/* bad argument */
	DSP_E_TICKET		= 8,	/* ticket signature or format bad */
	DSP_E_EXPIRED		= 9,	/* ticket expired */
	DSP_E_BORROWER		= 10,	/* TLS peer is not the ticket's borrower */
	DSP_E_RANGE		= 11,	/* outside the ticket's extents */
	DSP_E_STALE		= 12,	/* ticket generation revoked */
	DSP_E_IO		= 13,	/* backing store I/O error */
	DSP_E_NOSPACE		= 14,	/* no volume / disk full */
	DSP_E_FENCED		= 15,	/* waiting for agents to ack a revocation */
	DSP_E_UNAVAILABLE	= 16,	/* region or server unavailable */
	DSP_E_STATE		= 17,	/* wrong state (not lent, not mounted...) */
	DSP_E_INTERNAL		= 18,
	DSP_E_READONLY		= 19,	/* write with a read-only ticket */
	DSP_E_TOOBIG		= 20,	/* request larger than allowed */
};

/* Usage forms of a volume. */
enum dsp_usage_form {
	DSP_FORM_SINGLE		= 1,
	DSP_FORM_CONCAT		= 2,
	DSP_FORM_MIRROR		= 3,
	DSP_FORM_SPLIT		= 4,
};

/* State of one mirror leg (an extent of a mirror volume). A leg is
 * read only while in sync; it is written while in sync or resyncing. */
enum dsp_leg_state {
	DSP_LEG_IN_SYNC		= 0,
	DSP_LEG_OUT_OF_SYNC	= 1,
	DSP_LEG_RESYNCING	= 2,
};

/* Health of a volume: failed = no in-sync leg (or, for the other forms,
 * an extent) can be reached. */
enum dsp_health {
	DSP_HEALTH_OK		= 0,
	DSP_HEALTH_DEGRADED	= 1,
	DSP_HEALTH_RESYNCING	= 2,
	DSP_HEALTH_FAILED	= 3,
};

enum dsp_role {
	DSP_ROLE_NONE		= 0,
	DSP_ROLE_MANAGER	= 1,
	DSP_ROLE_AGENT		= 2,
	DSP_ROLE_BORROWER	= 3,
	DSP_ROLE_ADMIN		= 4,
	DSP_ROLE_BACKUP		= 5,
	DSP_ROLE_MONITOR	= 6,	/* admin shell, show commands only */
};

enum dsp_ticket_mode {
	DSP_MODE_READONLY	= 0,
	DSP_MODE_READWRITE	= 1,
};

struct dsp_header {
	uint32_t	magic;
	uint8_t		version;
	uint8_t		opcode;
	uint16_t	flags;
	uint64_t	request_id;
	uint32_t	payload_length;
	uint32_t	status;		/* enum dsp_status; 0 in requests */
};

const char	*dsp_status_name(uint32_t status);	/* "E_TICKET" ... */
const char	*dsp_opcode_name(uint8_t opcode);	/* "read", or NULL */
const char	*dsp_form_name(int form);		/* "single" ... */
int		 dsp_form_parse(const char *name);	/* 0 if unknown */
const char	*dsp_leg_state_name(int state);	/* "in-sync" ... */
const char	*dsp_health_name(int health);		/* "ok" ... */
int		 dsp_health_parse(const char *name);	/* -1 if unknown */
const char	*dsp_role_name(int role);		/* "agent" ... */
int		 dsp_role_parse(const char *name);	/* DSP_ROLE_NONE */

#endif
