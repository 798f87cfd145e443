/*
 * DASPOOL-MIB's notifications from the store's audit trail: each new
 * row since the last poll, in order, becomes the notifications it
 * stands for, and the health of the volumes it touches is compared
 * with the last one told. No net-snmp here: a notice is handed to a
 * callback with OIDs relative to the MIB's root (enterprises.N).
 */
#ifndef DASPOOL_SNMP_EVENTS_H
#define DASPOOL_SNMP_EVENTS_H

#include "objects.h"

enum notice_kind {
	NOTICE_SERVER_DOWN = 1,
	NOTICE_SERVER_UP,
	NOTICE_VOLUME_DEGRADED,
	NOTICE_VOLUME_FAILED,
	NOTICE_VOLUME_OK,
	NOTICE_RESYNC_STARTED,
	NOTICE_RESYNC_FINISHED,
	NOTICE_VOLUME_MOUNTED,
	NOTICE_VOLUME_UNMOUNTED,
	NOTICE_VOLUME_FORCED,
	NOTICE_STORE_NEARLY_FULL,
	NOTICE_BACKUP_FAILED,
};

#define NOTICE_VARS_MAX		3

struct notice_var {
	unsigned long	oid[OBJECTS_OID_MAX];	/* from the MIB's root */
	size_t		len;
	struct cell	value;
};

struct notice {
	enum notice_kind	kind;		/* dspNotifyPrefix.kind */
	const char		*name;		/* "dspServerDown", ... */
	const char		*about;		/* the server or volume */
	size_t			 nvars;
	struct notice_var	 vars[NOTICE_VARS_MAX];
};

typedef void (*notice_fn)(const struct notice *, void *);

struct events;

struct events	*events_new(int store_full_percent);
void		 events_free(struct events *);
/* Takes the state the store is in as the one already told: the last
 * audit row, the servers' states, every volume's health. */
int		 events_start(struct events *, struct view *);
/* Tells what happened since: DSP_OK, or an error in v->err. */
int		 events_poll(struct events *, struct view *, notice_fn, void *);

#endif
