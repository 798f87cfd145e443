/*
 * DASPOOL-MIB's objects read from one snapshot of the manager's store,
 * without net-snmp: OIDs are given and returned relative to dspObjects
 * (enterprises.N.1), so the lookups are unit-tested on a store alone.
 *
 *   objects.c         GET and GETNEXT over the whole subtree
 *   pool.c            the dspPool scalars
 *   rows.c            the server, region, virtual disk and extent tables
 *   backup_objects.c  the dspBackup scalars and dspBackupTable
 *   backup_source.c   the backup's catalog, opened read-only
 */
#ifndef DASPOOL_SNMP_OBJECTS_H
#define DASPOOL_SNMP_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "catalog.h"
#include "status.h"
#include "store.h"
#include "store_internal.h"

#define OBJECTS_OID_MAX		16	/* longest: table.1.col.idx.idx */
#define CELL_STRING_MAX		255

enum cell_type {
	CELL_INTEGER,
	CELL_GAUGE,
	CELL_UNSIGNED,
	CELL_COUNTER64,
	CELL_TIMETICKS,
	CELL_STRING,		/* DisplayString, DspName, DateAndTime */
};

struct cell {
	enum cell_type	type;
	uint64_t	num;
	size_t		len;
	char		str[CELL_STRING_MAX + 1];
};

/* The pool scalars, computed once per change of the store. */
struct pool_figures {
	uint64_t	changes;	/* the store's counter they are of */
	int		valid;
	uint64_t	servers, servers_up, regions, volumes, lent, mounted;
	uint64_t	degraded, failed, capacity, free, lent_bytes;
};

/* The backup's catalog, kept open across requests (backup_source.c). */
struct backup_source {
	const char	*dir;		/* "": no backup objects */
	struct catalog	*catalog;	/* NULL until it is there */
	dev_t		 dev;		/* of data.mdb, to see the */
	ino_t		 ino;		/* backup make it anew */
	int		 waiting_told;	/* "waiting for the catalog" */
	char		 last_error[512];	/* told already */
};

/* The backup's side of a view: one catalog snapshot and one read of
 * the status file, each taken when first needed. */
struct backup_view {
	struct backup_source	*src;		/* NULL: no backup objects */
	struct catalog_snapshot	*snap;		/* NULL: no catalog */
	int			 snap_taken;
	struct backup_status	 status;
	int			 status_read;
	struct catalog_copy	 copy;		/* the last one read */
	int			 copy_valid;
};

/* One read snapshot of the store. */
struct view {
	struct store_txn	 t;
	struct pool_figures	*pool;		/* cache across views */
	struct volume_record	*volume;	/* scratch */
	struct backup_view	 backup;
	uint64_t		 changes, changed_at;
	char			 err[256];
};

/* DSP_OK, or an error with the sentence in v->err. */
int	view_open(struct view *, struct store *, struct pool_figures *);
/* Adds the backup's objects to the view (NULL or src->dir "": none). */
void	view_backup(struct view *, struct backup_source *);
void	view_close(struct view *);

/* The value of the object at oid: 1, 0 when there is none, -1 on a
 * store error (v->err). */
int	objects_get(struct view *, const unsigned long *oid, size_t len,
	    struct cell *);
/* The first object after oid: 1 with its OID in next (*next_len), 0
 * past the last, -1 on a store error. */
int	objects_next(struct view *, const unsigned long *oid, size_t len,
	    unsigned long *next, size_t *next_len, struct cell *);

/* pool.c: scalar n (1..POOL_SCALARS) of dspPool. */
#define POOL_SCALARS		16
int	pool_scalar(struct view *, unsigned int n, struct cell *);
/* Volume health counts from the rows, for the figures. */
int	pool_refresh(struct view *);

/* backup_objects.c: scalar n (1..BACKUP_SCALARS) of dspBackup; absent
 * (DSP_E_NOTFOUND) when the view has no backup. */
#define BACKUP_SCALARS		10
int	backup_scalar(struct view *, unsigned int n, struct cell *);

/* backup_source.c: opens the catalog when it is there, again when the
 * backup made it anew, and says once that it waits for it: 0 when it
 * is open, -1 when not (or there is no backup). */
int	backup_source_poll(struct backup_source *);
void	backup_source_close(struct backup_source *);

/* rows.c */
struct table_def {
	unsigned int	sub;		/* dspObjects.sub */
	unsigned int	nindex;
	unsigned int	first_col, last_col;
	/* The first row after `after` (nindex numbers): DSP_OK with it in
	 * row, DSP_E_NOTFOUND past the last. */
	int	(*next)(struct view *, const uint32_t *after, uint32_t *row);
	/* DSP_OK, DSP_E_NOTFOUND (no such row), or an error. */
	int	(*cell)(struct view *, const uint32_t *row, unsigned int col,
		    struct cell *);
};
extern const struct table_def	rows_tables[];
extern const size_t		rows_table_count;
/* backup_objects.c: dspBackupTable. */
extern const struct table_def	backup_table;

/* Health of a volume, with its servers' up flags from the snapshot:
 * enum dsp_health, or -1 on error. */
int	rows_health(struct view *, const struct volume_record *);
/* The name key of a row by its numbers: DSP_OK or DSP_E_NOTFOUND. */
int	rows_lookup(struct view *, char kind, const uint32_t *numbers,
	    size_t count, char *key, size_t *len);

/* Cell setters. */
void	cell_int(struct cell *, enum cell_type, uint64_t);
void	cell_str(struct cell *, const char *);
/* DateAndTime of unix seconds, UTC (8 octets; empty for 0). */
void	cell_time(struct cell *, uint64_t unix_seconds);

#endif
