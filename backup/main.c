/*
 * daspool-backup: copies pooled volumes to a tape library.
 *
 *   daspool-backup [-f CONFIG] -n[v]
 *   daspool-backup -f CONFIG daemon
 *   daspool-backup [-f CONFIG] run [VOLUME...] [--library DIR] [--catalog DIR]
 *   daspool-backup [-f CONFIG] status [--catalog DIR]
 *   daspool-backup [-f CONFIG] copy VOLUME... [--library DIR] [--catalog DIR]
 *   daspool-backup make-library DIR --slots N --tapes N --capacity SIZE
 *   daspool-backup label SLOT LABEL [--library DIR] [--catalog DIR]
 *   daspool-backup list [VOLUME] --catalog DIR
 *   daspool-backup verify COPY --library DIR [--catalog DIR]
 *   daspool-backup restore COPY --to-file PATH | --to-volume VOLUME
 *       [--borrower CONF] --library DIR [--catalog DIR]
 *   daspool-backup forget COPY --catalog DIR
 *   daspool-backup tapes [--library DIR] [--catalog DIR]
 *   daspool-backup scan [--library DIR] [--catalog DIR]
 *
 * COPY is a copy's number in the catalog, or (without one) its tape
 * file's parts, LABEL:FILE in order, as copy prints them.
 * CONFIG is etc/daspool-backup.conf (default /etc/daspool/
 * daspool-backup.conf): the manager, the backup certificate, the
 * library (a vtl's directory, or a scsi changer and drive) and the
 * catalog, which the flags override (--library DIR is a vtl's). Exit status: 0
 * done, 1 failed, 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "borrow.h"
#include "catalog.h"
#include "copy.h"
#include "daemon.h"
#include "retention.h"
#include "run.h"
#include "scan.h"
#include "verify.h"
#include "config.h"
#include "daspool_conf.h"
#include "log.h"
#include "size.h"
#include "tape.h"

static int	backup_run_command(const char *, int, char **);

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: daspool-backup [-f CONFIG] -n[v]\n"
	    "       daspool-backup -f CONFIG daemon\n"
	    "       daspool-backup [-f CONFIG] run [VOLUME...] [--library DIR] "
	    "[--catalog DIR]\n"
	    "       daspool-backup [-f CONFIG] status [--catalog DIR]\n"
	    "       daspool-backup [-f CONFIG] copy VOLUME... [--library DIR] "
	    "[--catalog DIR]\n"
	    "       daspool-backup make-library DIR --slots N --tapes N "
	    "--capacity SIZE\n"
	    "       daspool-backup label SLOT LABEL [--library DIR] "
	    "[--catalog DIR]\n"
	    "       daspool-backup list [VOLUME] --catalog DIR\n"
	    "       daspool-backup verify COPY --library DIR [--catalog DIR]\n"
	    "       daspool-backup restore COPY --to-file PATH | --to-volume "
	    "VOLUME [--borrower CONF]\n"
	    "           --library DIR [--catalog DIR]\n"
	    "       daspool-backup forget COPY --catalog DIR\n"
	    "       daspool-backup tapes [--library DIR] [--catalog DIR]\n"
	    "       daspool-backup scan [--library DIR] [--catalog DIR]\n"
	    "COPY: a number in the catalog, or LABEL:FILE... in order\n");
	exit(2);
}

/* The value after flag in argv, or NULL. */
static const char *
flag(int argc, char **argv, const char *name)
{
	int	i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

#define BACKUP_CONF_PATH	"/etc/daspool/daspool-backup.conf"

/* The config, when a command needs it (or -f was given). */
static struct backup_config	 conf;
static int			 conf_loaded;

static void
load_config(const char *path)
{
	char	err[1024];

	if (conf_loaded)
		return;
	if (backup_config_load(path != NULL ? path : BACKUP_CONF_PATH, &conf,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", err);
		exit(2);
	}
	conf_loaded = 1;
}

/* The config's library (dir NULL), or the vtl in dir: NULL with err. */
static struct tape_library *
library_of(const char *dir, char *err, size_t errlen)
{
	struct scsi_options	so;

	if (dir == NULL && conf.driver == DRIVER_SCSI) {
		so.changer = conf.changer;
		so.drive = conf.drive;
		so.drive_index = (unsigned int)conf.drive_index;
		so.block_size = (size_t)conf.block_size;
		return scsi_open(&so, err, errlen);
	}
	return vtl_open(dir != NULL ? dir : conf.library, err, errlen);
}

/* The config's library; --library DIR is always a vtl's directory. */
static struct tape_library *
open_library(int argc, char **argv)
{
	struct tape_library	*l;
	const char		*dir = flag(argc, argv, "--library");
	char			 err[1024];

	if (dir == NULL && !conf_loaded)
		usage();
	if ((l = library_of(dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "daspool-backup: %s\n", err);
		exit(1);
	}
	return l;
}

/* The catalog of --catalog; NULL without the flag (need: usage). */
static struct catalog *
open_catalog(int argc, char **argv, int need)
{
	struct catalog	*cat;
	const char	*dir = flag(argc, argv, "--catalog");
	char		 err[512];

	if (dir == NULL && conf_loaded)
		dir = conf.catalog;
	if (dir == NULL) {
		if (need)
			usage();
		return NULL;
	}
	if (catalog_open(dir, &cat, err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", err);
		exit(1);
	}
	return cat;
}

/* The backup's client, from the config; NULL (said) when it fails. */
static struct daspool_client *
open_client(void)
{
	struct daspool_options	 o;
	struct daspool_client	*c = NULL;

	backup_config_options(&conf, &o);
	if (daspool_client_open(&o, &c) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", c != NULL ?
		    daspool_client_error(c) : "out of memory");
		daspool_client_close(c);
		return NULL;
	}
	return c;
}

/* The run lock of the catalog's directory: its fd, -1 (said) when
 * another run holds it, -2 with no catalog. */
static int
lock_runs(const char *dir)
{
	char	err[512];
	int	fd;

	if (dir == NULL)
		return -2;
	if ((fd = status_lock(dir, err, sizeof(err))) == -1)
		fprintf(stderr, "daspool-backup: %s\n", err);
	return fd;
}

static const char *
catalog_dir(int argc, char **argv)
{
	const char	*dir = flag(argc, argv, "--catalog");

	return dir != NULL ? dir : conf_loaded ? conf.catalog : NULL;
}

/* copy VOLUME... (each named) and run [VOLUME...] (none: all). */
static int
cmd_run(const char *config, int argc, char **argv, int all)
{
	struct run	 r;
	char		 err[1024];
	int		 n, rc = 1, lock;

	load_config(config);
	for (n = 0; n < argc && argv[n][0] != '-'; n++)
		;
	if (n == 0 && !all)
		usage();
	memset(&r, 0, sizeof(r));
	r.conf = &conf;
	r.out = stdout;
	r.lib = open_library(argc, argv);
	r.cat = open_catalog(argc, argv, 0);
	r.status_dir = r.cat != NULL ? catalog_dir(argc, argv) : NULL;
	if ((lock = lock_runs(r.status_dir)) != -1 &&
	    (r.client = open_client()) != NULL) {
		rc = run_volumes(&r, argv, (unsigned int)n, err, sizeof(err));
		if (rc == -1)
			fprintf(stderr, "daspool-backup: %s\n", err);
		rc = rc != 0;
	}
	daspool_client_close(r.client);
	tape_close(r.lib);
	catalog_close(r.cat);
	if (lock >= 0)
		close(lock);
	return rc;
}

static int
cmd_make_library(int argc, char **argv)
{
	const char	*slots = flag(argc, argv, "--slots");
	const char	*tapes = flag(argc, argv, "--tapes");
	const char	*cap = flag(argc, argv, "--capacity");
	char		 err[512];
	uint64_t	 capacity;

	if (argc < 1 || slots == NULL || tapes == NULL || cap == NULL)
		usage();
	if (size_parse(cap, &capacity, err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: --capacity: %s\n", err);
		return 2;
	}
	if (vtl_make(argv[0], (unsigned)atoi(slots), (unsigned)atoi(tapes),
	    capacity, err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", err);
		return 1;
	}
	return 0;
}

/*
 * A tape's copies under retention keep it: a new label (which erases
 * it) is refused while one is, naming it; the expired copies on it
 * leave the catalog with it. 0, or -1 refused.
 */
static int
label_allowed(struct tape_library *lib, struct catalog *cat,
    unsigned int slot)
{
	struct tape_slot	slots[TAPE_SLOTS_MAX];
	struct retention	r = { 30, 2 };
	struct catalog_copy	c;
	unsigned int		n;
	uint64_t		held;
	int			rc;

	if (cat == NULL || tape_inventory(lib, slots, &n) != 0 || slot < 1 ||
	    slot > n || !slots[slot - 1].full ||
	    slots[slot - 1].label[0] == '\0')
		return 0;
	if (conf_loaded) {
		r.keep_days = conf.keep_days;
		r.keep_copies = conf.keep_copies;
	}
	rc = retention_tape_free(cat, &r, slots[slot - 1].label, time(NULL),
	    &held);
	if (rc == 0 && catalog_get(cat, held, &c) == 0) {
		fprintf(stderr, "daspool-backup: tape %s holds copy %llu of %s, "
		    "under retention (keep_days %d, keep_copies %d): not "
		    "relabelled\n", slots[slot - 1].label,
		    (unsigned long long)held, c.volume, r.keep_days,
		    r.keep_copies);
		return -1;
	}
	if (rc != 1) {
		fprintf(stderr, "daspool-backup: cannot read the catalog\n");
		return -1;
	}
	catalog_forget_tape(cat, slots[slot - 1].label);
	return 0;
}

static int
cmd_label(int argc, char **argv)
{
	struct tape_library	*lib;
	struct catalog		*cat;
	int			 rc = 0;

	if (argc < 2)
		usage();
	lib = open_library(argc, argv);
	cat = open_catalog(argc, argv, 0);
	if (label_allowed(lib, cat, (unsigned)atoi(argv[0])) != 0)
		rc = 1;
	else if (tape_label(lib, (unsigned)atoi(argv[0]), argv[1]) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", tape_error(lib));
		rc = 1;
	}
	tape_close(lib);
	catalog_close(cat);
	return rc;
}

/* The LABEL:FILE words before the first flag. */
static int
parse_parts(int argc, char **argv, struct stream_part *parts,
    unsigned int *n)
{
	char		*colon, *end;
	unsigned long	 f;
	int		 i;

	for (*n = 0, i = 0; i < argc && argv[i][0] != '-'; i++) {
		if (*n == STREAM_PARTS_MAX ||
		    (colon = strrchr(argv[i], ':')) == NULL ||
		    colon == argv[i] || colon - argv[i] > TAPE_LABEL_MAX)
			return -1;
		f = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0')
			return -1;
		memset(&parts[*n], 0, sizeof(parts[*n]));
		memcpy(parts[*n].label, argv[i], (size_t)(colon - argv[i]));
		parts[(*n)++].file = (unsigned int)f;
	}
	return *n > 0 ? 0 : -1;
}

/* COPY as a number in the catalog: its parts. */
static int
copy_parts(struct catalog *cat, int argc, char **argv,
    struct stream_part *parts, unsigned int *n, uint64_t *id)
{
	struct catalog_copy	c;
	char			*end;
	unsigned int		i;

	if (argc < 1 || argv[0][0] < '0' || argv[0][0] > '9')
		return -1;
	*id = strtoull(argv[0], &end, 10);
	if (*end != '\0')
		return -1;
	if (catalog_get(cat, *id, &c) != 0) {
		fprintf(stderr, "daspool-backup: no copy %s in the catalog\n",
		    argv[0]);
		exit(1);
	}
	for (i = 0; i < c.nparts; i++)
		parts[i] = c.parts[i];
	*n = c.nparts;
	return 0;
}

static int
print_copy(const struct catalog_copy *c, void *arg)
{
	char		when[32];
	struct tm	tm;
	time_t		t = (time_t)c->time;
	unsigned int	i;

	(void)arg;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-5llu %-16s %s %-9s %12llu %12llu %-8s",
	    (unsigned long long)c->id, c->volume, when,
	    manifest_kind_name((enum manifest_kind)c->kind),
	    (unsigned long long)c->size, (unsigned long long)c->stored,
	    c->state == CATALOG_BAD ? "bad" : c->verified_at ? "verified" :
	    "ok");
	for (i = 0; i < c->nparts; i++)
		printf(" %s:%u", c->parts[i].label, c->parts[i].file);
	printf("\n");
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	struct catalog	*cat = open_catalog(argc, argv, 1);

	printf("%-5s %-16s %-20s %-9s %12s %12s %-8s %s\n", "copy", "volume",
	    "time", "kind", "size", "stored", "state", "tapes");
	catalog_each(cat, argc > 0 && argv[0][0] != '-' ? argv[0] : NULL,
	    print_copy, NULL);
	catalog_close(cat);
	return 0;
}

static int
cmd_forget(int argc, char **argv)
{
	struct catalog	*cat = open_catalog(argc, argv, 1);
	char		 err[512], *end;
	uint64_t	 id;
	int		 rc = 0;

	if (argc < 1 || (id = strtoull(argv[0], &end, 10)) == 0 ||
	    *end != '\0')
		usage();
	if (catalog_forget(cat, id, err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", err);
		rc = 1;
	}
	catalog_close(cat);
	return rc;
}

static int
count_copy(const struct catalog_copy *c, void *arg)
{
	(void)c;
	(*(unsigned int *)arg)++;
	return 0;
}

/* The library's slots: each tape's label, use, files and the copies
 * the catalog has on it. */
static int
cmd_tapes(int argc, char **argv)
{
	struct tape_slot	 slots[TAPE_SLOTS_MAX];
	struct tape_library	*lib = open_library(argc, argv);
	struct catalog		*cat = open_catalog(argc, argv, 0);
	unsigned int		 n, i, copies;
	char			 cap[24];

	if (tape_inventory(lib, slots, &n) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", tape_error(lib));
		return 1;
	}
	printf("%-5s %-8s %12s %12s %5s %6s %s\n", "slot", "label", "capacity",
	    "used", "files", "copies", "state");
	for (i = 0; i < n; i++) {
		if (!slots[i].full) {
			printf("%-5u -\n", i + 1);
			continue;
		}
		copies = 0;
		if (cat != NULL && slots[i].label[0] != '\0')
			catalog_each_on_tape(cat, slots[i].label, count_copy,
			    &copies);
		/* A real drive tells neither: "-". */
		if (slots[i].capacity == 0)
			snprintf(cap, sizeof(cap), "-");
		else
			snprintf(cap, sizeof(cap), "%llu",
			    (unsigned long long)slots[i].capacity);
		printf("%-5u %-8s %12s %12llu %5u %6u%s\n", i + 1,
		    slots[i].label[0] ? slots[i].label : "(none)", cap,
		    (unsigned long long)slots[i].used, slots[i].files, copies,
		    slots[i].label[0] == '\0' ? " unlabelled" :
		    i + 1 == tape_loaded(lib) ? " in the drive" :
		    conf_loaded && backup_config_scratch(&conf,
		    slots[i].label) ? " scratch" : "");
	}
	tape_close(lib);
	catalog_close(cat);
	return 0;
}

/*
 * restore's target: --to-file PATH, --to-volume VOLUME (borrowed with
 * --borrower CONF), or --to, a path when it holds a '/'.
 */
static int
restore_target(int argc, char **argv, struct restore_target *t,
    struct borrowed *b, const char **shown, char *err, size_t errlen)
{
	const char	*to = flag(argc, argv, "--to");
	const char	*file = flag(argc, argv, "--to-file");
	const char	*volume = flag(argc, argv, "--to-volume");
	const char	*borrower = flag(argc, argv, "--borrower");

	if (to != NULL && file == NULL && volume == NULL) {
		if (strchr(to, '/') != NULL)
			file = to;
		else
			volume = to;
	}
	if ((file == NULL) == (volume == NULL))
		usage();
	memset(t, 0, sizeof(*t));
	*shown = file != NULL ? file : volume;
	if (file != NULL) {
		t->file = file;
		return 0;
	}
	if (borrow_volume(borrower != NULL ? borrower : DASPOOL_CONF_PATH,
	    volume, b, err, errlen) != 0)
		return -1;
	t->volume = b->volume;
	return 0;
}

/* A verify's or restore's audit row, when the config names the
 * manager. */
static void
audit_verify(int restore, uint64_t id, const char *to, int rc,
    const char *volume, const char *err)
{
	struct daspool_client	*c;
	char			 copy[32];

	if (!conf_loaded || (c = open_client()) == NULL)
		return;
	if (id != 0)
		snprintf(copy, sizeof(copy), "copy %llu",
		    (unsigned long long)id);
	else
		snprintf(copy, sizeof(copy), "the copy");
	if (restore && rc == 0)
		backup_audit(c, "backup-restore", volume, "%s restored to %s",
		    copy, to);
	else if (restore)
		backup_audit(c, "backup-restore-failed", volume, "%s to %s: %s",
		    copy, to, err);
	else if (rc == 0)
		backup_audit(c, "backup-verify", volume, "%s: every chunk "
		    "matches", copy);
	else
		backup_audit(c, "backup-verify-failed", volume, "%s: %s", copy,
		    err);
	daspool_client_close(c);
}

static int
cmd_verify(int argc, char **argv, int restore)
{
	struct stream_part	 parts[STREAM_PARTS_MAX];
	struct tape_library	*lib;
	struct catalog		*cat;
	struct verify_result	 res;
	struct restore_target	 to;
	struct borrowed		 b;
	struct catalog_copy	 cc;
	const char		*shown = "";
	char			 err[1024], cerr[512];
	unsigned int		 n;
	uint64_t		 id = 0;
	int			 rc = 0;

	memset(&b, 0, sizeof(b));
	memset(&res, 0, sizeof(res));
	memset(&cc, 0, sizeof(cc));
	cat = open_catalog(argc, argv, 0);
	if (cat != NULL ? copy_parts(cat, argc, argv, parts, &n, &id) != 0 :
	    parse_parts(argc, argv, parts, &n) != 0)
		usage();
	if (id != 0)
		(void)catalog_get(cat, id, &cc);
	lib = open_library(argc, argv);
	if ((restore && restore_target(argc, argv, &to, &b, &shown, err,
	    sizeof(err)) != 0) || verify_copy(lib, parts, n, restore ? &to :
	    NULL, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: %s failed: %s\n", restore ?
		    "restore" : "verify", err);
		rc = 1;
	} else
		printf("%s %s: %llu bytes, %llu of %llu chunks checked%s%s\n",
		    restore ? "restored" : "verified", res.volume,
		    (unsigned long long)res.size,
		    (unsigned long long)res.data_chunks,
		    (unsigned long long)res.chunks, restore ? ", to " : "",
		    shown);
	if (b.client != NULL && borrow_return(&b, cerr, sizeof(cerr)) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", cerr);
		snprintf(err, sizeof(err), "%s", cerr);
		rc = 1;
	}
	audit_verify(restore, id, shown, rc, res.volume[0] ? res.volume :
	    cc.volume[0] ? cc.volume : NULL, err);
	/* A verify's verdict goes into the catalog. */
	if (cat != NULL && !restore && (rc == 0 || strstr(err, "chunk ")) &&
	    catalog_set_state(cat, id, rc == 0 ? CATALOG_OK : CATALOG_BAD,
	    (uint64_t)time(NULL), cerr, sizeof(cerr)) != 0)
		fprintf(stderr, "daspool-backup: %s\n", cerr);
	tape_close(lib);
	catalog_close(cat);
	return rc;
}

/* The catalog rebuilt from the tapes; into an empty catalog only. */
static int
cmd_scan(int argc, char **argv)
{
	struct tape_library	*lib = open_library(argc, argv);
	struct catalog		*cat = open_catalog(argc, argv, 1);
	struct scan_counts	 counts;
	unsigned int		 held = 0;
	char			 err[1024];
	int			 rc = 0;

	catalog_each(cat, NULL, count_copy, &held);
	if (held > 0) {
		fprintf(stderr, "daspool-backup: the catalog holds %u copies: "
		    "scan rebuilds an empty one (move this one aside)\n",
		    held);
		rc = 1;
	} else if (scan_library(lib, cat, stdout, &counts, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: scan failed: %s\n", err);
		rc = 1;
	} else {
		printf("scanned %u tape files: %u copies catalogued, %u not "
		    "whole\n", counts.files, counts.copies, counts.broken);
		rc = counts.broken > 0;
	}
	tape_close(lib);
	catalog_close(cat);
	return rc;
}

/* The daemon's state between runs. */
struct daemon_ctx {
	struct catalog	*cat;
	const char	*catalog_dir;
};

static time_t
daemon_last_run(void *arg)
{
	struct daemon_ctx	*d = arg;
	uint64_t		 t;

	if (catalog_get_u64(d->cat, "last_run", &t) < 0)
		t = 0;
	return (time_t)t;
}

/* One scheduled run; what fails is logged and tried again later. */
static int
daemon_run(void *arg)
{
	struct daemon_ctx	*d = arg;
	struct run		 r;
	char			 err[1024];
	int			 lock, rc = -1;

	memset(&r, 0, sizeof(r));
	r.conf = &conf;
	r.out = stdout;
	r.cat = d->cat;
	r.status_dir = d->catalog_dir;
	r.stop = &daemon_stop;
	if ((lock = status_lock(d->catalog_dir, err, sizeof(err))) == -1) {
		log_warnx("not running now: %s", err);
		return -1;
	}
	if ((r.lib = library_of(NULL, err, sizeof(err))) == NULL)
		log_warnx("not running now: %s", err);
	else if ((r.client = open_client()) != NULL) {
		if ((rc = run_volumes(&r, NULL, 0, err, sizeof(err))) == -1)
			log_warnx("run failed: %s", err);
		rc = rc == -1 ? -1 : 0;
	}
	daspool_client_close(r.client);
	tape_close(r.lib);
	close(lock);
	return rc;
}

static int
cmd_daemon(const char *config)
{
	struct daemon_ctx	d;
	struct daemon_opts	o;
	char			err[512];

	load_config(config);
	log_init("daspool-backup", 1, conf.log_level);
	d.catalog_dir = conf.catalog;
	if (catalog_open(conf.catalog, &d.cat, err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: %s\n", err);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.schedule = &conf.schedule;
	o.last_run = daemon_last_run;
	o.run = daemon_run;
	o.arg = &d;
	o.retry = 60;
	log_info("started: library %s, catalog %s", conf.library,
	    conf.catalog);
	backup_daemon(&o);
	catalog_close(d.cat);
	return 0;
}

/* What runs now, or the last run; and, with a config, the next. */
static int
cmd_status(int argc, char **argv)
{
	struct backup_status	s;
	const char		*dir = catalog_dir(argc, argv);
	char			err[512], when[32], sched[32];
	time_t			now = time(NULL), next;
	struct tm		tm;
	int			rc;

	if (dir == NULL)
		usage();
	if ((rc = status_read(dir, &s, err, sizeof(err))) == -1) {
		fprintf(stderr, "daspool-backup: %s\n", err);
		return 1;
	}
	/* A run whose process is gone did not end. */
	if (rc == 0 && s.running && kill((pid_t)s.pid, 0) == -1 &&
	    errno == ESRCH) {
		printf("the run started by pid %ld ended without finishing "
		    "(%u copied, %u failed, then stopped at %s)\n", s.pid,
		    s.copied, s.failed, s.volume[0] ? s.volume : "-");
		s.running = 0;
	}
	status_print(stdout, &s, (uint64_t)now);
	if (conf_loaded) {
		next = schedule_next(&conf.schedule, now);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M",
		    localtime_r(&next, &tm));
		schedule_format(&conf.schedule, sched, sizeof(sched));
		printf("next run: %s (%s)\n", when, sched);
	}
	return 0;
}

/* -n: the config checked; -nv: printed in its own syntax. */
static int
cmd_check(const char *config, int verbose)
{
	load_config(config);
	if (verbose)
		backup_config_print(stdout, &conf);
	else
		fprintf(stderr, "configuration OK\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*config = NULL;
	int		 rc;

	log_init("daspool-backup", 1, LOG_LEVEL_WARN);
	if (argc > 2 && strcmp(argv[1], "-f") == 0) {
		config = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "-n") == 0 || strcmp(argv[1], "-nv") == 0)
		return cmd_check(config, argv[1][2] == 'v');
	/* With -f, every command takes its defaults from the config. */
	if (config != NULL)
		load_config(config);
	rc = backup_run_command(config, argc, argv);
	if (conf_loaded)
		backup_config_free(&conf);
	return rc;
}

static int
backup_run_command(const char *config, int argc, char **argv)
{
	if (strcmp(argv[1], "copy") == 0)
		return cmd_run(config, argc - 2, argv + 2, 0);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(config, argc - 2, argv + 2, 1);
	if (strcmp(argv[1], "make-library") == 0)
		return cmd_make_library(argc - 2, argv + 2);
	if (strcmp(argv[1], "label") == 0)
		return cmd_label(argc - 2, argv + 2);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 2, argv + 2, 0);
	if (strcmp(argv[1], "restore") == 0)
		return cmd_verify(argc - 2, argv + 2, 1);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 2, argv + 2);
	if (strcmp(argv[1], "forget") == 0)
		return cmd_forget(argc - 2, argv + 2);
	if (strcmp(argv[1], "tapes") == 0)
		return cmd_tapes(argc - 2, argv + 2);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 2, argv + 2);
	if (strcmp(argv[1], "daemon") == 0)
		return cmd_daemon(config);
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc - 2, argv + 2);
	usage();
}
