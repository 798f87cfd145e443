/*
 * etc/daspool-backup.conf, read with libconfuse and checked whole, so a
 * bad config is refused at start (and by -n) with the option named.
 */
#ifndef DASPOOL_BACKUP_CONFIG_H
#define DASPOOL_BACKUP_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "daspool.h"
#include "schedule.h"

#define BACKUP_PATTERNS_MAX	64

enum backup_mounted { MOUNTED_SKIP, MOUNTED_COPY, MOUNTED_SPLIT_LEG };
enum backup_driver { DRIVER_VTL, DRIVER_SCSI };

/* The scsi driver's fixed block: tar's 512-byte record times 1 to
 * 16384. */
#define BACKUP_BLOCK_MIN	512
#define BACKUP_BLOCK_MAX	(8 * 1024 * 1024)
#define BACKUP_DRIVE_INDEX_MAX	63

struct backup_config {
	/* the manager and this backup's certificate */
	char			*manager_address;
	uint16_t		 manager_port;
	char			*manager_name;
	char			*ca, *cert, *key, *crl, *ciphers;
	int			 timeout;		/* seconds */
	/* where copies go: the vtl's directory, or the scsi changer
	 * (its sg device), its drive (non-rewinding st device), the
	 * drive's number in the changer and the drive's block size */
	enum backup_driver	 driver;
	char			*library;
	char			*changer, *drive;
	int			 drive_index;
	int			 block_size;
	char			*catalog;
	/* what is copied, and when */
	char			*schedule_text;
	struct schedule		 schedule;
	char			*include[BACKUP_PATTERNS_MAX];
	unsigned int		 ninclude;
	char			*exclude[BACKUP_PATTERNS_MAX];
	unsigned int		 nexclude;
	/* tapes kept in reserve (label patterns) */
	char			*scratch[BACKUP_PATTERNS_MAX];
	unsigned int		 nscratch;
	enum backup_mounted	 mounted;
	int			 keep_days, keep_copies;
	int			 readers;
	int			 log_level;
};

int	backup_config_load(const char *path, struct backup_config *, char *err,
	    size_t errlen);
void	backup_config_free(struct backup_config *);
/* In the file's own syntax: what -nv prints, and reads back the same. */
void	backup_config_print(FILE *, const struct backup_config *);
/* The client options for libdaspool (valid while the config is). */
void	backup_config_options(const struct backup_config *,
	    struct daspool_options *);
/* Whether a volume is to be copied (include, then exclude; fnmatch). */
int	backup_config_wants(const struct backup_config *, const char *volume);
/* Whether a tape's label is of the scratch pool. */
int	backup_config_scratch(const struct backup_config *, const char *label);
const char *backup_mounted_name(enum backup_mounted);
const char *backup_driver_name(enum backup_driver);

#endif
