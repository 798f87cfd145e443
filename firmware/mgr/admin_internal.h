/*
 * Inside the admin commands: what their files share. Sections say which
 * file exports what; nothing here is used outside admin_*.c.
 */
#ifndef DASPOOL_ADMIN_INTERNAL_H
#define DASPOOL_ADMIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "admin.h"
#include "buf.h"

struct mgr;
struct server_record;
struct volume_extent;
struct volume_record;

/* --- admin_table.c: aligned columns and the formats of their cells --- */
#define TABLE_COLS	12
#define TABLE_CELL	192

/*
 * Rows of text cells, each column as wide as its widest cell; the last
 * column is not padded. A long listing prints in pages (table_flush):
 * a column is then as wide as its widest cell so far, and may widen in
 * a later page.
 */
struct table {
	size_t	  ncols;
	size_t	  widths[TABLE_COLS];
	char	(*cells)[TABLE_CELL];
	size_t	  nrows;
	size_t	  cap;
	int	  error;
};

void	table_init(struct table *, size_t ncols);
/* ncols cells, each a const char * (NULL for an empty one). */
void	table_row(struct table *, ...);
/* Prints the rows so far and forgets them; the widths stay. */
void	table_flush(struct table *, struct buf_writer *);
/* table_flush, then frees the rows. */
void	table_print(struct table *, struct buf_writer *);
void	table_free(struct table *);

void	admin_printf(struct buf_writer *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* "12s ago", "3m ago", "2h5m ago", "4d1h ago"; "never" for 0. */
void	admin_age(uint64_t now, uint64_t then, char *out, size_t outlen);
/* "2024-05-01T12:00:00Z". */
void	admin_time(uint64_t t, char *out, size_t outlen);
/* "in-sync", "out-of-sync", "resyncing 12/40"; "-" if not a leg. */
void	admin_leg_state(const struct volume_record *,
	    const struct volume_extent *, char *out, size_t outlen);

/* --- admin_show.c: the listings, read in pages --- */
/* Which servers are up: one snapshot for a whole listing, by name. */
struct server_states {
	struct server_record	*list;
	size_t			 count;
	size_t			 cap;
	int			 error;
};

int	server_states_load(struct mgr *, struct server_states *);
void	server_states_free(struct server_states *);
/* The volume's health; up[i] tells whether extent i's server is up. */
int	admin_volume_health(const struct server_states *,
	    const struct volume_record *, uint8_t *up);

int	admin_show_servers(struct mgr *, const struct admin_filter *,
	    struct admin_out *, char *err, size_t errlen);
int	admin_show_regions(struct mgr *, const struct admin_filter *,
	    struct admin_out *, char *err, size_t errlen);
int	admin_show_volumes(struct mgr *, const struct admin_filter *,
	    struct admin_out *, char *err, size_t errlen);

/* admin_complete.c: ADMIN_COMPLETE, keywords and live names. */
struct mgr;
void	admin_complete(struct mgr *, const struct admin_command *,
	    struct buf_writer *);

#endif
