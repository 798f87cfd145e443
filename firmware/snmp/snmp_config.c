/*
 * Reads daspool-snmp.conf with libconfuse and checks every value, so a
 * bad config is refused at start (and by -n) with the option named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_config.h"
#include "confutil.h"

static cfg_opt_t snmp_opts[] = {
	CFG_STR("state_dir", "/var/lib/daspool/mgr", CFGF_NONE),
	CFG_STR("agentx_socket", "/var/agentx/master", CFGF_NONE),
	CFG_INT("enterprise", SNMP_ENTERPRISE, CFGF_NONE),
	CFG_INT("ping_interval", 5, CFGF_NONE),
	CFG_INT("poll_interval", 200, CFGF_NONE),
	CFG_INT("store_full_percent", 80, CFGF_NONE),
	CFG_STR("log_level", "info", CFGF_NONE),
	CFG_STR("pidfile", "", CFGF_NONE),
	CFG_STR("backup_catalog", SNMP_BACKUP_CATALOG, CFGF_NONE),
	CFG_END()
};

static int
config_range(const char *path, cfg_t *cfg, const char *name, long min,
    long max, const char *unit, long *out, char *err, size_t errlen)
{
	long	v = cfg_getint(cfg, name);

	if (v < min || v > max)
		return confutil_fail(path, err, errlen, "%s %ld is not "
		    "%ld-%ld %s", name, v, min, max, unit);
	*out = v;
	return 0;
}

static int
config_numbers(const char *path, cfg_t *cfg, struct snmp_config *conf,
    char *err, size_t errlen)
{
	long	v[4] = { 0, 0, 0, 0 };

	if (config_range(path, cfg, "enterprise", 1, 4294967295L,
	    "(a Private Enterprise Number)", &v[0], err, errlen) == -1 ||
	    config_range(path, cfg, "ping_interval", 1, 3600, "seconds",
	    &v[1], err, errlen) == -1 ||
	    config_range(path, cfg, "poll_interval", 10, 10000,
	    "milliseconds", &v[2], err, errlen) == -1 ||
	    config_range(path, cfg, "store_full_percent", 1, 100, "percent",
	    &v[3], err, errlen) == -1)
		return -1;
	conf->enterprise = (uint32_t)v[0];
	conf->ping_interval = (int)v[1];
	conf->poll_interval = (int)v[2];
	conf->store_full_percent = (int)v[3];
	return 0;
}

static int
config_strings(const char *path, cfg_t *cfg, struct snmp_config *conf,
    char *err, size_t errlen)
{
	conf->state_dir = strdup(cfg_getstr(cfg, "state_dir"));
	conf->agentx_socket = strdup(cfg_getstr(cfg, "agentx_socket"));
	conf->pidfile = strdup(cfg_getstr(cfg, "pidfile"));
	conf->backup_catalog = strdup(cfg_getstr(cfg, "backup_catalog"));
	if (conf->state_dir == NULL || conf->agentx_socket == NULL ||
	    conf->pidfile == NULL || conf->backup_catalog == NULL)
		return confutil_fail(path, err, errlen, "out of memory");
	if (conf->state_dir[0] != '/')
		return confutil_fail(path, err, errlen, "state_dir \"%s\" "
		    "must be an absolute path", conf->state_dir);
	if (conf->pidfile[0] != '\0' && conf->pidfile[0] != '/')
		return confutil_fail(path, err, errlen, "pidfile \"%s\" must "
		    "be an absolute path", conf->pidfile);
	if (conf->backup_catalog[0] != '\0' && conf->backup_catalog[0] != '/')
		return confutil_fail(path, err, errlen, "backup_catalog \"%s\" "
		    "must be an absolute path (or \"\": no backup)",
		    conf->backup_catalog);
	/* A path, or a transport address such as tcp:127.0.0.1:705. */
	if (conf->agentx_socket[0] == '\0')
		return confutil_fail(path, err, errlen, "agentx_socket is "
		    "empty: give the master agent's AgentX socket");
	return 0;
}

int
snmp_config_load(const char *path, struct snmp_config *conf, char *err,
    size_t errlen)
{
	cfg_t	*cfg;
	int	 rc = -1, level;

	memset(conf, 0, sizeof(*conf));
	if ((cfg = confutil_parse(snmp_opts, path, err, errlen)) == NULL)
		return -1;
	if (config_strings(path, cfg, conf, err, errlen) == 0 &&
	    config_numbers(path, cfg, conf, err, errlen) == 0 &&
	    (level = confutil_log_level(path, cfg_getstr(cfg, "log_level"),
	    err, errlen)) != -1) {
		conf->log_level = level;
		rc = 0;
	}
	cfg_free(cfg);
	if (rc == -1)
		snmp_config_free(conf);
	return rc;
}

void
snmp_config_free(struct snmp_config *conf)
{
	free(conf->state_dir);
	free(conf->agentx_socket);
	free(conf->pidfile);
	free(conf->backup_catalog);
	memset(conf, 0, sizeof(*conf));
}

void
snmp_config_print(FILE *f, const struct snmp_config *conf)
{
	fprintf(f, "state_dir = \"%s\"\n", conf->state_dir);
	fprintf(f, "agentx_socket = \"%s\"\n", conf->agentx_socket);
	fprintf(f, "enterprise = %u\n", conf->enterprise);
	fprintf(f, "ping_interval = %d\n", conf->ping_interval);
	fprintf(f, "poll_interval = %d\n", conf->poll_interval);
	fprintf(f, "store_full_percent = %d\n", conf->store_full_percent);
	fprintf(f, "log_level = \"%s\"\n",
	    confutil_log_level_name(conf->log_level));
	fprintf(f, "pidfile = \"%s\"\n", conf->pidfile);
	fprintf(f, "backup_catalog = \"%s\"\n", conf->backup_catalog);
}
