/*
 * dsp_backup: opens a volume for backup as the certificate of CONFIG
 * (role backup) and uses its read-only ticket:
 *
 *   dsp_backup -f CONFIG VOLUME [--split [--keep] | --end LEG]
 *	[--read FILE] [--write] [--save DIR]
 *   dsp_backup -f CONFIG audit EVENT VOLUME TEXT
 *
 *   prints "open VOLUME generation G read-only|read-write"; --read
 *   copies the whole volume to FILE; --write tries to write one byte
 *   through the library and prints "write STATUS: message"; --save
 *   writes the mount info to DIR/VOLUME.mount, for dsp_probe to send
 *   the ticket by hand. --split holds a leg of the mirror for the copy
 *   first ("split VOLUME leg N"; --read then reads that leg alone) and
 *   gives it back at the end ("split-end VOLUME leg N: done"), unless
 *   --keep (a backup that dies holding a leg); --end gives LEG back
 *   (that of an earlier --split --keep). audit appends a row to the manager's audit trail
 *   (daspool_backup_audit) and prints "audit EVENT: done" or
 *   "audit EVENT: STATUS: message". Exit 0 when every step did what it
 *   should (a write must be refused), 1 otherwise, 2 usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daspool.h"
#include "daspool_conf.h"
#include "internal.h"
#include "proto.h"

#define DSP_BACKUP_BUF	(4U * 1024 * 1024)

static int
backup_read(struct daspool_volume *v, const char *path)
{
	uint64_t	 size = daspool_volume_size(v), off;
	uint8_t		*buf;
	size_t		 n;
	int		 fd, rc = 0;

	if ((buf = malloc(DSP_BACKUP_BUF)) == NULL ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		perror(path);
		free(buf);
		return 1;
	}
	for (off = 0; off < size && rc == 0; off += n) {
		n = size - off < DSP_BACKUP_BUF ? (size_t)(size - off) :
		    DSP_BACKUP_BUF;
		if (daspool_volume_read(v, buf, n, off) != 0) {
			fprintf(stderr, "read at %llu: %s\n",
			    (unsigned long long)off, daspool_volume_error(v));
			rc = 1;
		} else if (write(fd, buf, n) != (ssize_t)n) {
			perror(path);
			rc = 1;
		}
	}
	close(fd);
	free(buf);
	return rc;
}

static int
backup_write(struct daspool_volume *v)
{
	int	rc = daspool_volume_write(v, "x", 1, 0);

	printf("write %s: %s\n", daspool_strerror(rc), rc == 0 ? "done" :
	    daspool_volume_error(v));
	return rc == DSP_E_READONLY ? 0 : 1;
}

static int
backup_audit(const struct daspool_options *o, char **args)
{
	struct daspool_client	*c = NULL;
	int			 rc;

	if ((rc = daspool_client_open(o, &c)) == 0)
		rc = daspool_backup_audit(c, args[0], args[1], args[2]);
	printf("audit %s: %s%s%s\n", args[0], rc == 0 ? "done" :
	    daspool_strerror(rc), rc == 0 ? "" : ": ", rc == 0 ? "" :
	    c != NULL ? daspool_client_error(c) : "out of memory");
	daspool_client_close(c);
	return rc == 0 ? 0 : 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: dsp_backup -f CONFIG VOLUME "
	    "[--split [--keep] | --end LEG]\n"
	    "\t[--read FILE] [--write] [--save DIR]\n"
	    "       dsp_backup -f CONFIG audit EVENT VOLUME TEXT\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct daspool_conf		 conf;
	struct daspool_options		 o;
	struct daspool_client		*c = NULL;
	struct daspool_volume		*v = NULL;
	const struct daspool_mount	*m;
	const char			*config = NULL, *volume = NULL;
	const char			*read_to = NULL, *save = NULL;
	char				 err[1024];
	char				**audit = NULL;
	int				 i, do_write = 0, rc = 0;
	int				 split = 0, keep = 0, leg = -1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "audit") == 0 && volume == NULL &&
		    audit == NULL && i + 3 < argc) {
			audit = &argv[i + 1];
			i += 3;
		} else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--read") == 0 && i + 1 < argc)
			read_to = argv[++i];
		else if (strcmp(argv[i], "--save") == 0 && i + 1 < argc)
			save = argv[++i];
		else if (strcmp(argv[i], "--write") == 0)
			do_write = 1;
		else if (strcmp(argv[i], "--split") == 0)
			split = 1;
		else if (strcmp(argv[i], "--keep") == 0)
			keep = 1;
		else if (strcmp(argv[i], "--end") == 0 && i + 1 < argc)
			leg = atoi(argv[++i]);
		else if (volume == NULL && audit == NULL && argv[i][0] != '-')
			volume = argv[i];
		else
			return usage();
	}
	if (config == NULL || (volume == NULL && audit == NULL)) {
		fprintf(stderr, "dsp_backup: -f CONFIG and VOLUME or audit "
		    "needed\n");
		return 2;
	}
	daspool_conf_init(&conf);
	if (daspool_conf_load(config, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "dsp_backup: %s\n", err);
		return 2;
	}
	daspool_conf_options(&conf, &o);
	if (audit != NULL) {
		rc = backup_audit(&o, audit);
		daspool_conf_free(&conf);
		return rc;
	}
	if (daspool_client_open(&o, &c) != 0 ||
	    daspool_backup_open(c, volume, &m) != 0) {
		printf("open %s: %s\n", volume, c != NULL ?
		    daspool_client_error(c) : "out of memory");
		daspool_client_close(c);
		daspool_conf_free(&conf);
		return 1;
	}
	printf("open %s generation %llu %s\n", volume,
	    (unsigned long long)daspool_mount_generation(m),
	    daspool_mount_readonly(m) ? "read-only" : "read-write");
	if (save != NULL && mountinfo_save(save, m, err, sizeof(err)) != 0) {
		fprintf(stderr, "dsp_backup: %s\n", err);
		rc = 1;
	}
	if (rc == 0 && split) {
		if (daspool_backup_split(c, volume, &leg) == 0)
			printf("split %s leg %d\n", volume, leg);
		else {
			printf("split %s: %s\n", volume,
			    daspool_client_error(c));
			rc = 1;
		}
	}
	if (rc == 0 && (read_to != NULL || do_write) &&
	    daspool_volume_open(c, volume, &v) != 0) {
		fprintf(stderr, "dsp_backup: %s\n", daspool_client_error(c));
		rc = 1;
	}
	if (rc == 0 && read_to != NULL)
		rc = backup_read(v, read_to);
	if (rc == 0 && do_write)
		rc = backup_write(v);
	if (leg >= 0 && !keep) {
		if (daspool_backup_split_end(c, volume, leg) == 0)
			printf("split-end %s leg %d: done\n", volume, leg);
		else {
			printf("split-end %s leg %d: %s\n", volume, leg,
			    daspool_client_error(c));
			rc = 1;
		}
	}
	daspool_volume_close(v);
	daspool_client_close(c);
	daspool_conf_free(&conf);
	return rc;
}
