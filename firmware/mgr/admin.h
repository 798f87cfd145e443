/*
 * The admin command language of daspool-sh, run by the manager:
 *
 *   show servers [name PATTERN]
 *   show regions [server NAME] [name PATTERN]
 *   show volumes [server NAME] [borrower NAME] [form FORM]
 *       [health STATE] [name PATTERN]
 *   show volumes NAME | volume NAME | audit [N] | store
 *   volume create NAME single SERVER:REGION
 *   volume create NAME concat|mirror SERVER:REGION SERVER:REGION...
 *   volume split SERVER:REGION NAME:SIZE... [NAME:rest]
 *   volume delete | force-unmount | force-release NAME
 *   volume resolve NAME [SERVER]
 *   server retire SERVER
 *   store copy
 *   help
 *
 * Commands live in a static token tree (admin.c). Every keyword may be
 * shortened to an unambiguous prefix ("sh vol"). A "?" in place of a
 * word lists what may follow there. Filters of a listing come in any
 * order, each at most once, and all must hold for a row to show.
 * admin_parse() only reads the line; admin_run() (admin_run.c) carries
 * the command out against the store, the listings in admin_show.c.
 */
#ifndef DASPOOL_ADMIN_H
#define DASPOOL_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"

#define ADMIN_AUDIT_DEFAULT	50
#define ADMIN_AUDIT_MAX		10000
#define ADMIN_LINE_MAX		4096
#define ADMIN_MAX_ARGS		32	/* regions of a create, pieces of a split */
#define ADMIN_PATTERN_MAX	127	/* of a name filter */
/* Output goes out in parts of whole lines once this much is waiting. */
#define ADMIN_PART_SIZE		(64U * 1024U)

enum admin_action {
	ADMIN_NONE = 0,			/* empty line */
	ADMIN_CHOICES,			/* "?": list what may follow */
	ADMIN_HELP,
	ADMIN_SHOW_SERVERS,
	ADMIN_SHOW_REGIONS,
	ADMIN_SHOW_VOLUMES,
	ADMIN_SHOW_VOLUME,		/* one volume in detail */
	ADMIN_SHOW_AUDIT,
	ADMIN_VOLUME_CREATE,
	ADMIN_VOLUME_DELETE,
	ADMIN_VOLUME_FORCE_UNMOUNT,
	ADMIN_VOLUME_FORCE_RELEASE,
	ADMIN_VOLUME_SPLIT,
	ADMIN_SERVER_RETIRE,
	ADMIN_VOLUME_RESOLVE,
	ADMIN_SHOW_STORE,
	ADMIN_STORE_COPY,
	ADMIN_COMPLETE,			/* what the last word may become */
	ADMIN_SHOW_WHOAMI,		/* the asker and its role */
	ADMIN_BACKUP,			/* daspool-sh's own: help only here */
};

/* A line starting with this byte asks what its last word (after the
 * last blank, maybe empty) may become: daspool-sh's TAB. No command
 * can start with it. */
#define ADMIN_COMPLETE_MARK	'\001'


/* The live names a completion may want (admin_complete_keywords). */
enum admin_names {
	ADMIN_NAMES_VOLUMES	= 1 << 0,
	ADMIN_NAMES_SERVERS	= 1 << 1,
	ADMIN_NAMES_REGIONS	= 1 << 2,	/* SERVER:REGION */
	ADMIN_NAMES_AUDIT_COUNTS = 1 << 3,	/* show audit N */
};

struct admin_token;

struct admin_region {
	dsp_name	server;
	dsp_name	region;
};

/* A piece of a split: NAME:SIZE, size 0 for NAME:rest. */
struct admin_piece {
	dsp_name	name;
	uint64_t	size;
};

/* What a listing's rows must match (every filter given). */
enum admin_filter_kind {
	ADMIN_FILTER_SERVER	= 1 << 0,	/* a lender / the region's server */
	ADMIN_FILTER_BORROWER	= 1 << 1,
	ADMIN_FILTER_FORM	= 1 << 2,
	ADMIN_FILTER_HEALTH	= 1 << 3,
	ADMIN_FILTER_NAME	= 1 << 4,	/* fnmatch(3) on the row's name */
};

struct admin_filter {
	unsigned int	given;		/* enum admin_filter_kind bits */
	dsp_name	server;
	dsp_name	borrower;
	int		form;		/* enum dsp_usage_form */
	int		health;		/* enum dsp_health */
	char		pattern[ADMIN_PATTERN_MAX + 1];
};

struct admin_command {
	enum admin_action	 action;
	dsp_name		 volume;
	int			 form;		/* enum dsp_usage_form */
	dsp_name		 server;	/* the first region given, the
						 * server of server retire or
						 * of volume resolve ("": none) */
	dsp_name		 region;
	struct admin_region	 regions[ADMIN_MAX_ARGS];	/* all, in order */
	unsigned int		 nregions;
	struct admin_piece	 pieces[ADMIN_MAX_ARGS];
	unsigned int		 npieces;
	unsigned int		 count;		/* show audit N */
	struct admin_filter	 filter;	/* show servers, regions, volumes */
	/* ADMIN_CHOICES: the words matched so far and where they lead */
	char			 path[256];
	const struct admin_token *choices;
	/* ADMIN_COMPLETE: the word typed so far, and the command's action
	 * up to it (what a volume name is for) */
	char			 partial[DSP_NAME_MAX * 2 + 2];
	enum admin_action	 complete_for;
};

struct mgr;
struct region_record;
struct server_record;
struct volume_record;

/* DSP_OK, or DSP_E_INVALID with a sentence in err: unknown command
 * (with what to try), ambiguous prefix (with the candidates), missing
 * or extra argument, bad name or number. */
/* Commands that only read: the monitor role may run these. */
int	admin_is_reading(enum admin_action);
int	admin_parse(const char *line, struct admin_command *, char *err,
	    size_t errlen);
/* Appends text (no NUL): every command with its help line, or those
 * under cmd->path ("help volume create"). */
void	admin_help(const struct admin_command *, struct buf_writer *);
/* ADMIN_COMPLETE: appends the keywords (and fixed values) the partial
 * word may become, a line each; returns the enum admin_names the
 * position also takes, for the caller to add from the store. */
unsigned int admin_complete_keywords(const struct admin_command *,
	    struct buf_writer *);
/* Appends text (no NUL): what may follow cmd->path, one per line. */
void	admin_choices(const struct admin_command *, struct buf_writer *);

/* 1 for a command that changes the table when it succeeds. */
int	admin_is_change(enum admin_action);

/* --- admin_filter.c: which rows a listing shows, and its summary --- */
/* 1 when the row matches every filter given. */
int	admin_filter_server(const struct admin_filter *,
	    const struct server_record *);
int	admin_filter_region(const struct admin_filter *,
	    const struct region_record *);
int	admin_filter_volume(const struct admin_filter *,
	    const struct volume_record *, int health);

/* Counts of a listing: every row read, and of the matching ones. */
struct admin_tally {
	unsigned long long	total;
	unsigned long long	matched;
	/* volumes: lent, mounted, degraded, failed, held; servers: up,
	 * down, retired; regions: available, used, unavailable */
	unsigned long long	counts[5];
};

enum admin_listing { ADMIN_LIST_SERVERS, ADMIN_LIST_REGIONS,
    ADMIN_LIST_VOLUMES };

/* "16384 volumes, 12 lent, 3 mounted, 1 degraded", or with a filter
 * "4 of 16384 volumes match: 2 lent"; counts of zero are left out. */
void	admin_summary(enum admin_listing, const struct admin_tally *,
	    int filtered, char *out, size_t outlen);

/* --- admin_out.c: output that leaves in parts as it grows --- */
/* Sends one part (whole lines, at most DSP_TEXT_MAX bytes): 0 or -1. */
typedef int (*admin_part_fn)(void *arg, const uint8_t *text, size_t len);

enum admin_out_state {
	ADMIN_OUT_OK = 0,
	ADMIN_OUT_LOST,		/* a part could not be sent */
	ADMIN_OUT_TOOBIG,	/* more than one frame, and no parts taken */
};

struct admin_out {
	struct buf_writer	 text;		/* not sent yet */
	admin_part_fn		 send;		/* NULL: one frame only */
	void			*arg;
	size_t			 parts;		/* sent so far */
	enum admin_out_state	 state;
};

void	admin_out_init(struct admin_out *, admin_part_fn, void *arg);
void	admin_out_free(struct admin_out *);
/* Sends the complete lines waiting once ADMIN_PART_SIZE bytes are. 0,
 * or -1 when the output cannot go on (state says why): the command
 * stops there. */
int	admin_out_flush(struct admin_out *);
/* At the end: sends parts until what is left fits one frame, which the
 * caller sends as the last. 0 or -1 as admin_out_flush. */
int	admin_out_finish(struct admin_out *);

/* Runs a parsed command as actor ("admin:<uid>" or a CN); output text
 * is appended to out->text (no NUL), listings flush it as they go.
 * DSP_OK or a dsp_status with err. */
int	admin_run(struct mgr *, const char *actor, const struct admin_command *,
	    struct admin_out *out, char *err, size_t errlen);

#endif
