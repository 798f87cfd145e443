/*
 * daspool-backup.conf (config.h).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confutil.h"
#include "config.h"

static cfg_opt_t backup_opts[] = {
	CFG_STR("manager_address", "", CFGF_NONE),
	CFG_INT("manager_port", 7400, CFGF_NONE),
	CFG_STR("manager_name", "manager", CFGF_NONE),
	CFG_STR("ca", "/etc/daspool/ca.crt", CFGF_NONE),
	CFG_STR("cert", "/etc/daspool/backup.crt", CFGF_NONE),
	CFG_STR("key", "/etc/daspool/backup.key", CFGF_NONE),
	CFG_STR("crl", "", CFGF_NONE),
	CFG_STR("ciphers", "", CFGF_NONE),
	CFG_INT("timeout", 30, CFGF_NONE),
	CFG_STR("driver", "vtl", CFGF_NONE),
	CFG_STR("library", "/var/lib/daspool/backup/library", CFGF_NONE),
	CFG_STR("changer", "/dev/sg3", CFGF_NONE),
	CFG_STR("drive", "/dev/nst0", CFGF_NONE),
	CFG_INT("drive_index", 0, CFGF_NONE),
	CFG_INT("block_size", 262144, CFGF_NONE),
	CFG_STR("catalog", "/var/lib/daspool/backup/catalog", CFGF_NONE),
	CFG_STR("schedule", "daily 02:00", CFGF_NONE),
	CFG_STR_LIST("include", "{\"*\"}", CFGF_NONE),
	CFG_STR_LIST("exclude", "{}", CFGF_NONE),
	CFG_STR_LIST("scratch", "{}", CFGF_NONE),
	CFG_STR("mounted", "copy", CFGF_NONE),
	CFG_INT("keep_days", 30, CFGF_NONE),
	CFG_INT("keep_copies", 2, CFGF_NONE),
	CFG_INT("readers", 4, CFGF_NONE),
	CFG_STR("log_level", "info", CFGF_NONE),
	CFG_END()
};

static const char *const backup_mounted_names[] = {
	[MOUNTED_SKIP] = "skip",
	[MOUNTED_COPY] = "copy",
	[MOUNTED_SPLIT_LEG] = "split-leg",
};

static const char *const backup_driver_names[] = {
	[DRIVER_VTL] = "vtl",
	[DRIVER_SCSI] = "scsi",
};

const char *
backup_mounted_name(enum backup_mounted m)
{
	return (unsigned)m < 3 ? backup_mounted_names[m] : "?";
}

const char *
backup_driver_name(enum backup_driver d)
{
	return (unsigned)d < 2 ? backup_driver_names[d] : "?";
}

static char *
config_dup(cfg_t *cfg, const char *name)
{
	return strdup(cfg_getstr(cfg, name));
}

static int
config_range(const char *path, cfg_t *cfg, const char *name, long min,
    long max, int *out, char *err, size_t errlen)
{
	long	v = cfg_getint(cfg, name);

	if (v < min || v > max)
		return confutil_fail(path, err, errlen, "%s %ld is not %ld-%ld",
		    name, v, min, max);
	*out = (int)v;
	return 0;
}

static int
config_paths(const char *path, struct backup_config *c, char *err,
    size_t errlen)
{
	const char	*names[] = { "library", "catalog", "changer", "drive" };
	const char	*vals[] = { c->library, c->catalog, c->changer,
			    c->drive };
	int		 i;

	if (c->manager_address[0] == '\0')
		return confutil_fail(path, err, errlen, "manager_address is "
		    "empty: give the manager's address");
	for (i = 0; i < 4; i++)
		if (vals[i][0] != '/')
			return confutil_fail(path, err, errlen, "%s \"%s\" must "
			    "be an absolute path", names[i], vals[i]);
	if (c->ciphers[0] != '\0' &&
	    confutil_ciphers(path, c->ciphers, err, errlen) == -1)
		return -1;
	return 0;
}

static int
config_lists(const char *path, cfg_t *cfg, struct backup_config *c,
    char *err, size_t errlen)
{
	unsigned int	i;

	c->ninclude = cfg_size(cfg, "include");
	c->nexclude = cfg_size(cfg, "exclude");
	c->nscratch = cfg_size(cfg, "scratch");
	if (c->ninclude > BACKUP_PATTERNS_MAX ||
	    c->nexclude > BACKUP_PATTERNS_MAX ||
	    c->nscratch > BACKUP_PATTERNS_MAX)
		return confutil_fail(path, err, errlen, "at most %d include, "
		    "exclude and scratch patterns each", BACKUP_PATTERNS_MAX);
	for (i = 0; i < c->ninclude; i++)
		if ((c->include[i] = strdup(cfg_getnstr(cfg, "include",
		    i))) == NULL)
			return confutil_fail(path, err, errlen, "out of memory");
	for (i = 0; i < c->nexclude; i++)
		if ((c->exclude[i] = strdup(cfg_getnstr(cfg, "exclude",
		    i))) == NULL)
			return confutil_fail(path, err, errlen, "out of memory");
	for (i = 0; i < c->nscratch; i++)
		if ((c->scratch[i] = strdup(cfg_getnstr(cfg, "scratch",
		    i))) == NULL)
			return confutil_fail(path, err, errlen, "out of memory");
	return 0;
}

/* The library's driver, and the scsi drive's block size. */
static int
config_library(const char *path, cfg_t *cfg, struct backup_config *c,
    char *err, size_t errlen)
{
	const char	*d = cfg_getstr(cfg, "driver");
	long		 bs = cfg_getint(cfg, "block_size");
	int		 i;

	for (i = 0; i < 2; i++)
		if (strcmp(d, backup_driver_names[i]) == 0)
			break;
	if (i == 2)
		return confutil_fail(path, err, errlen, "driver \"%s\": use vtl "
		    "or scsi", d);
	c->driver = (enum backup_driver)i;
	/* Whole tar records, so a block never splits one. */
	if (bs < BACKUP_BLOCK_MIN || bs > BACKUP_BLOCK_MAX || bs % 512 != 0)
		return confutil_fail(path, err, errlen, "block_size %ld is not "
		    "a multiple of 512 from %d to %d", bs, BACKUP_BLOCK_MIN,
		    BACKUP_BLOCK_MAX);
	c->block_size = (int)bs;
	return config_range(path, cfg, "drive_index", 0,
	    BACKUP_DRIVE_INDEX_MAX, &c->drive_index, err, errlen);
}

static int
config_words(const char *path, cfg_t *cfg, struct backup_config *c,
    char *err, size_t errlen)
{
	const char	*m = cfg_getstr(cfg, "mounted");
	char		 why[256];
	int		 i, level;

	if (schedule_parse(c->schedule_text, &c->schedule, why,
	    sizeof(why)) == -1)
		return confutil_fail(path, err, errlen, "%s", why);
	for (i = 0; i < 3; i++)
		if (strcmp(m, backup_mounted_names[i]) == 0)
			break;
	if (i == 3)
		return confutil_fail(path, err, errlen, "mounted \"%s\": use "
		    "skip, copy or split-leg", m);
	c->mounted = (enum backup_mounted)i;
	if ((level = confutil_log_level(path, cfg_getstr(cfg, "log_level"),
	    err, errlen)) == -1)
		return -1;
	c->log_level = level;
	return 0;
}

int
backup_config_load(const char *path, struct backup_config *c, char *err,
    size_t errlen)
{
	cfg_t	*cfg;
	int	 rc = -1;

	memset(c, 0, sizeof(*c));
	if ((cfg = confutil_parse(backup_opts, path, err, errlen)) == NULL)
		return -1;
	c->manager_address = config_dup(cfg, "manager_address");
	c->manager_name = config_dup(cfg, "manager_name");
	c->ca = config_dup(cfg, "ca");
	c->cert = config_dup(cfg, "cert");
	c->key = config_dup(cfg, "key");
	c->crl = config_dup(cfg, "crl");
	c->ciphers = config_dup(cfg, "ciphers");
	c->library = config_dup(cfg, "library");
	c->changer = config_dup(cfg, "changer");
	c->drive = config_dup(cfg, "drive");
	c->catalog = config_dup(cfg, "catalog");
	c->schedule_text = config_dup(cfg, "schedule");
	if (c->manager_address == NULL || c->manager_name == NULL ||
	    c->ca == NULL || c->cert == NULL || c->key == NULL ||
	    c->crl == NULL || c->ciphers == NULL || c->library == NULL ||
	    c->changer == NULL || c->drive == NULL || c->catalog == NULL ||
	    c->schedule_text == NULL)
		confutil_fail(path, err, errlen, "out of memory");
	else if (confutil_port(path, cfg, "manager_port", 0,
	    &c->manager_port, err, errlen) == 0 &&
	    config_range(path, cfg, "timeout", 1, 3600, &c->timeout, err,
	    errlen) == 0 &&
	    config_range(path, cfg, "keep_days", 0, 36500, &c->keep_days, err,
	    errlen) == 0 &&
	    config_range(path, cfg, "keep_copies", 1, 1000, &c->keep_copies,
	    err, errlen) == 0 &&
	    config_range(path, cfg, "readers", 1, 16, &c->readers, err,
	    errlen) == 0 &&
	    config_paths(path, c, err, errlen) == 0 &&
	    config_library(path, cfg, c, err, errlen) == 0 &&
	    config_lists(path, cfg, c, err, errlen) == 0 &&
	    config_words(path, cfg, c, err, errlen) == 0)
		rc = 0;
	cfg_free(cfg);
	if (rc == -1)
		backup_config_free(c);
	return rc;
}

void
backup_config_free(struct backup_config *c)
{
	unsigned int	i;

	free(c->manager_address);
	free(c->manager_name);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c->crl);
	free(c->ciphers);
	free(c->library);
	free(c->changer);
	free(c->drive);
	free(c->catalog);
	free(c->schedule_text);
	for (i = 0; i < c->ninclude; i++)
		free(c->include[i]);
	for (i = 0; i < c->nexclude; i++)
		free(c->exclude[i]);
	for (i = 0; i < c->nscratch; i++)
		free(c->scratch[i]);
	memset(c, 0, sizeof(*c));
}

static void
config_print_list(FILE *f, const char *name, char *const *v, unsigned int n)
{
	unsigned int	i;

	fprintf(f, "%s = {", name);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", v[i]);
	fprintf(f, "}\n");
}

void
backup_config_print(FILE *f, const struct backup_config *c)
{
	char	sched[32];

	schedule_format(&c->schedule, sched, sizeof(sched));
	fprintf(f, "manager_address = \"%s\"\nmanager_port = %u\n"
	    "manager_name = \"%s\"\n", c->manager_address, c->manager_port,
	    c->manager_name);
	fprintf(f, "ca = \"%s\"\ncert = \"%s\"\nkey = \"%s\"\ncrl = \"%s\"\n"
	    "ciphers = \"%s\"\ntimeout = %d\n", c->ca, c->cert, c->key, c->crl,
	    c->ciphers, c->timeout);
	fprintf(f, "driver = \"%s\"\nlibrary = \"%s\"\n",
	    backup_driver_name(c->driver), c->library);
	fprintf(f, "changer = \"%s\"\ndrive = \"%s\"\ndrive_index = %d\n"
	    "block_size = %d\n", c->changer, c->drive, c->drive_index,
	    c->block_size);
	fprintf(f, "catalog = \"%s\"\nschedule = \"%s\"\n", c->catalog,
	    sched);
	config_print_list(f, "include", c->include, c->ninclude);
	config_print_list(f, "exclude", c->exclude, c->nexclude);
	config_print_list(f, "scratch", c->scratch, c->nscratch);
	fprintf(f, "mounted = \"%s\"\nkeep_days = %d\nkeep_copies = %d\n"
	    "readers = %d\nlog_level = \"%s\"\n",
	    backup_mounted_name(c->mounted), c->keep_days, c->keep_copies,
	    c->readers, confutil_log_level_name(c->log_level));
}

void
backup_config_options(const struct backup_config *c, struct daspool_options *o)
{
	memset(o, 0, sizeof(*o));
	o->manager_host = c->manager_address;
	o->manager_port = c->manager_port;
	o->manager_name = c->manager_name;
	o->ca_file = c->ca;
	o->cert_file = c->cert;
	o->key_file = c->key;
	o->crl_file = c->crl[0] ? c->crl : NULL;
	o->ciphers = c->ciphers[0] ? c->ciphers : NULL;
	o->timeout_ms = c->timeout * 1000;
	/* A backup keeps no mount info on disk. */
	o->state_dir = "/nonexistent";
}

int
backup_config_wants(const struct backup_config *c, const char *volume)
{
	unsigned int	i;
	int		in = 0;

	for (i = 0; i < c->ninclude && !in; i++)
		in = fnmatch(c->include[i], volume, 0) == 0;
	for (i = 0; i < c->nexclude && in; i++)
		in = fnmatch(c->exclude[i], volume, 0) != 0;
	return in;
}

int
backup_config_scratch(const struct backup_config *c, const char *label)
{
	unsigned int	i;

	for (i = 0; i < c->nscratch; i++)
		if (fnmatch(c->scratch[i], label, 0) == 0)
			return 1;
	return 0;
}
