/*
 * Names of the protocol's enumerations, for logs, error messages and
 * the admin shell. Tables, not switch chains, so a new code is one line.
 */
#include <stddef.h>
#include <string.h>

#include "proto.h"

static const char *const status_names[] = {
	[DSP_OK]		= "OK",
	[DSP_E_FRAME]		= "E_FRAME",
	[DSP_E_VERSION]		= "E_VERSION",
	[DSP_E_OPCODE]		= "E_OPCODE",
	[DSP_E_ROLE]		= "E_ROLE",
	[DSP_E_NOTFOUND]	= "E_NOTFOUND",
	[DSP_E_BUSY]		= "E_BUSY",
	[DSP_E_INVALID]		= "E_INVALID",
	[DSP_E_TICKET]		= "E_TICKET",
	[DSP_E_EXPIRED]		= "E_EXPIRED",
	[DSP_E_BORROWER]	= "E_BORROWER",
	[DSP_E_RANGE]		= "E_RANGE",
	[DSP_E_STALE]		= "E_STALE",
	[DSP_E_IO]		= "E_IO",
	[DSP_E_NOSPACE]		= "E_NOSPACE",
	[DSP_E_FENCED]		= "E_FENCED",
	[DSP_E_UNAVAILABLE]	= "E_UNAVAILABLE",
	[DSP_E_STATE]		= "E_STATE",
	[DSP_E_INTERNAL]	= "E_INTERNAL",
	[DSP_E_READONLY]	= "E_READONLY",
	[DSP_E_TOOBIG]		= "E_TOOBIG",
};

static const char *const opcode_names[256] = {
	[DSP_OP_REGISTER]	= "register",
	[DSP_OP_HEARTBEAT]	= "heartbeat",
	[DSP_OP_FENCE_ACK]	= "fence-ack",
	[DSP_OP_GENERATIONS]	= "generations",
	[DSP_OP_VOLUME_RECORD]	= "volume-record",
	[DSP_OP_ALLOCATE]	= "allocate",
	[DSP_OP_MOUNT]		= "mount",
	[DSP_OP_RENEW]		= "renew",
	[DSP_OP_UNMOUNT]	= "unmount",
	[DSP_OP_RELEASE]	= "release",
	[DSP_OP_MIRROR_STATUS]	= "mirror-status",
	[DSP_OP_LEG_FAIL]	= "leg-fail",
	[DSP_OP_MARK_DIRTY]	= "mark-dirty",
	[DSP_OP_RESYNC_BEGIN]	= "resync-begin",
	[DSP_OP_RESYNC_PROGRESS] = "resync-progress",
	[DSP_OP_RESYNC_DONE]	= "resync-done",
	[DSP_OP_ADMIN]		= "admin",
	[DSP_OP_ATTACH]		= "attach",
	[DSP_OP_INIT]		= "init",
	[DSP_OP_WRITE]		= "write",
	[DSP_OP_READ]		= "read",
	[DSP_OP_SEARCH]		= "search",
	[DSP_OP_ERASE]		= "erase",
	[DSP_OP_FLUSH]		= "flush",
	[DSP_OP_BACKUP_OPEN]	= "backup-open",
	[DSP_OP_BACKUP_LIST]	= "backup-list",
	[DSP_OP_BACKUP_AUDIT]	= "backup-audit",
	[DSP_OP_SPLIT_LEG]	= "split-leg",
	[DSP_OP_SPLIT_END]	= "split-end",
	[DSP_OP_MAP]		= "map",
	[DSP_OP_REVOKE]		= "revoke",
	[DSP_OP_REFUSED]	= "refused",
	[DSP_OP_VOLUME_PUT]	= "volume-put",
	[DSP_OP_VOLUME_DROP]	= "volume-drop",
	[DSP_OP_LEG_HOLD]	= "leg-hold",
};

static const char *const form_names[] = {
	[DSP_FORM_SINGLE]	= "single",
	[DSP_FORM_CONCAT]	= "concat",
	[DSP_FORM_MIRROR]	= "mirror",
	[DSP_FORM_SPLIT]	= "split",
};

static const char *const leg_state_names[] = {
	[DSP_LEG_IN_SYNC]	= "in-sync",
	[DSP_LEG_OUT_OF_SYNC]	= "out-of-sync",
	[DSP_LEG_RESYNCING]	= "resyncing",
};

static const char *const health_names[] = {
	[DSP_HEALTH_OK]		= "ok",
	[DSP_HEALTH_DEGRADED]	= "degraded",
	[DSP_HEALTH_RESYNCING]	= "resyncing",
	[DSP_HEALTH_FAILED]	= "failed",
};

static const char *const role_names[] = {
	[DSP_ROLE_MANAGER]	= "manager",
	[DSP_ROLE_AGENT]	= "agent",
	[DSP_ROLE_BORROWER]	= "borrower",
	[DSP_ROLE_ADMIN]	= "admin",
	[DSP_ROLE_BACKUP]	= "backup",
	[DSP_ROLE_MONITOR]	= "monitor",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Index 0 of forms and roles means "none", so lookups start at 1.
 * Exact, lowercase match: a role comes from a certificate. */
static int
proto_lookup(const char *const *names, size_t n, const char *name)
{
	size_t	i;

	if (name == NULL)
		return 0;
	for (i = 1; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	return 0;
}

const char *
dsp_status_name(uint32_t status)
{
	if (status >= NITEMS(status_names) || status_names[status] == NULL)
		return "E_UNKNOWN";
	return status_names[status];
}

const char *
dsp_opcode_name(uint8_t opcode)
{
	return opcode_names[opcode];
}

const char *
dsp_form_name(int form)
{
	if (form < 0 || (size_t)form >= NITEMS(form_names) ||
	    form_names[form] == NULL)
		return "unknown";
	return form_names[form];
}

int
dsp_form_parse(const char *name)
{
	return proto_lookup(form_names, NITEMS(form_names), name);
}

static const char *
proto_name(const char *const *names, size_t n, int i, const char *none)
{
	if (i < 0 || (size_t)i >= n || names[i] == NULL)
		return none;
	return names[i];
}

const char *
dsp_leg_state_name(int state)
{
	return proto_name(leg_state_names, NITEMS(leg_state_names), state,
	    "unknown");
}

const char *
dsp_health_name(int health)
{
	return proto_name(health_names, NITEMS(health_names), health,
	    "unknown");
}

int
dsp_health_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < NITEMS(health_names); i++)
		if (health_names[i] != NULL && name != NULL &&
		    strcmp(health_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *
dsp_role_name(int role)
{
	if (role < 0 || (size_t)role >= NITEMS(role_names) ||
	    role_names[role] == NULL)
		return "none";
	return role_names[role];
}

int
dsp_role_parse(const char *name)
{
	return proto_lookup(role_names, NITEMS(role_names), name);
}
