/*
 * The admin command language of daspool-sh, run by the manager:
 *
 *   show servers | regions | volumes [NAME] | audit [N] | store
 *   show volume NAME
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
 * word lists what may follow there. admin_parse() only reads the line;
 * admin_run() (admin_run.c) carries the command out against the store.
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
	/* ADMIN_CHOICES: the words matched so far and where they lead */
	char			 path[256];
	const struct admin_token *choices;
};

struct mgr;

/* DSP_OK, or DSP_E_INVALID with a sentence in err: unknown command
 * (with what to try), ambiguous prefix (with the candidates), missing
 * or extra argument, bad name or number. */
int	admin_parse(const char *line, struct admin_command *, char *err,
	    size_t errlen);
/* Appends text (no NUL): every command with its help line. */
void	admin_help(struct buf_writer *);
/* Appends text (no NUL): what may follow cmd->path, one per line. */
void	admin_choices(const struct admin_command *, struct buf_writer *);

/* 1 for a command that changes the table when it succeeds. */
int	admin_is_change(enum admin_action);

/* Runs a parsed command as actor ("admin:<uid>" or a CN); output text
 * is appended to out (no NUL). DSP_OK or a dsp_status with err. */
int	admin_run(struct mgr *, const char *actor, const struct admin_command *,
	    struct buf_writer *out, char *err, size_t errlen);

#endif
