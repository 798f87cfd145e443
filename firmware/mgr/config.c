/*
 * Reads daspool-mgr.conf with libconfuse and checks every value, so a
 * bad config is refused at start (and by -n) with the option named.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confutil.h"
#include "proto.h"
#include "size.h"

/* A borrower or admin runs a command per connection; agents hold one. */
#define MGR_PER_PEER		32
#define MGR_IDLE_S		60
#define CONFIG_MAP_MIN		(1ULL << 20)
#define CONFIG_MAP_MAX		(1ULL << 40)

static cfg_opt_t mgr_opts[] = {
	CFG_STR("listen_address", "127.0.0.1", CFGF_NONE),
	CFG_INT("listen_port", DSP_MGR_PORT, CFGF_NONE),
	CFG_STR("state_dir", "/var/lib/daspool/mgr", CFGF_NONE),
	CFG_STR("ca", "/etc/daspool/pki/ca.crt", CFGF_NONE),
	CFG_STR("cert", "/etc/daspool/pki/manager.crt", CFGF_NONE),
	CFG_STR("key", "/etc/daspool/pki/manager.key", CFGF_NONE),
	CFG_STR("crl", "", CFGF_NONE),
	CFG_STR("admin_socket", "/run/daspool/admin.sock", CFGF_NONE),
	CFG_STR("admin_group", "", CFGF_NONE),
	CFG_STR("monitor_group", "", CFGF_NONE),
	CFG_INT("ticket_lifetime", 300, CFGF_NONE),
	CFG_INT("heartbeat_timeout", 10, CFGF_NONE),
	CONFUTIL_GATE_OPTS(MGR_PER_PEER, MGR_IDLE_S),
	CFG_STR("store_map_size", "1G", CFGF_NONE),
	CFG_STR("backup_dir", "", CFGF_NONE),
	CFG_INT("backup_interval", 3600, CFGF_NONE),
	CFG_INT("backup_keep", 24, CFGF_NONE),
	CFG_STR("ciphers", "chacha20-poly1305", CFGF_NONE),
	CFG_STR("log_level", "info", CFGF_NONE),
	CFG_STR("pidfile", "", CFGF_NONE),
	CFG_BOOL("rebuild", cfg_false, CFGF_NONE),
	CFG_END()
};

/* Integer options and their ranges, checked in one loop. */
static const struct config_range {
	const char	*name;
	long		 min;
	long		 max;
	const char	*unit;
	size_t		 offset;
} config_ranges[] = {
	{ "ticket_lifetime", 1, 7 * 86400, "seconds",
	    offsetof(struct mgr_config, ticket_lifetime) },
	{ "heartbeat_timeout", 1, 3600, "seconds",
	    offsetof(struct mgr_config, heartbeat_timeout) },
	{ "backup_interval", 1, 7 * 86400, "seconds",
	    offsetof(struct mgr_config, backup_interval) },
	{ "backup_keep", 1, 10000, "copies",
	    offsetof(struct mgr_config, backup_keep) },
};

static int
config_strings(cfg_t *cfg, struct mgr_config *conf)
{
	static const struct {
		const char	*name;
		size_t		 offset;
	} strs[] = {
		{ "listen_address", offsetof(struct mgr_config, listen_address) },
		{ "state_dir", offsetof(struct mgr_config, state_dir) },
		{ "backup_dir", offsetof(struct mgr_config, backup_dir) },
		{ "ca", offsetof(struct mgr_config, ca) },
		{ "cert", offsetof(struct mgr_config, cert) },
		{ "key", offsetof(struct mgr_config, key) },
		{ "crl", offsetof(struct mgr_config, crl) },
		{ "admin_socket", offsetof(struct mgr_config, admin_socket) },
		{ "admin_group", offsetof(struct mgr_config, admin_group) },
		{ "monitor_group", offsetof(struct mgr_config, monitor_group) },
		{ "ciphers", offsetof(struct mgr_config, ciphers) },
		{ "pidfile", offsetof(struct mgr_config, pidfile) },
	};
	const char	*s;
	char		**dst;
	size_t		 i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		dst = (char **)(void *)((char *)conf + strs[i].offset);
		s = cfg_getstr(cfg, strs[i].name);
		if ((*dst = strdup(s != NULL ? s : "")) == NULL)
			return -1;
	}
	return 0;
}

static int
config_paths(const char *path, const struct mgr_config *conf, char *err,
    size_t errlen)
{
	const struct {
		const char	*name;
		const char	*value;
		int		 optional;
	} paths[] = {
		{ "state_dir", conf->state_dir, 0 },
		{ "backup_dir", conf->backup_dir, 1 },
		{ "ca", conf->ca, 0 },
		{ "cert", conf->cert, 0 },
		{ "key", conf->key, 0 },
		{ "crl", conf->crl, 1 },
		{ "admin_socket", conf->admin_socket, 0 },
		{ "pidfile", conf->pidfile, 1 },
	};
	size_t	i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (paths[i].value[0] == '\0' && paths[i].optional)
			continue;
		if (paths[i].value[0] != '/')
			return confutil_fail(path, err, errlen, "%s \"%s\" "
			    "must be an absolute path", paths[i].name,
			    paths[i].value);
	}
	/* Copies kept with the store are lost with it. */
	if (strcmp(conf->backup_dir, conf->state_dir) == 0)
		return confutil_fail(path, err, errlen, "backup_dir \"%s\" "
		    "is the state_dir; copies go elsewhere", conf->backup_dir);
	/* sun_path holds 108 bytes. */
	if (strlen(conf->admin_socket) >= 108)
		return confutil_fail(path, err, errlen, "admin_socket \"%s\" "
		    "is longer than 107 bytes", conf->admin_socket);
	return 0;
}

/* A group option, by name or number: 0 with *has 0 when empty. */
static int
config_group(const char *path, const char *option, const char *value,
    gid_t *gid, int *has, char *err, size_t errlen)
{
	struct group	 gr, *res = NULL;
	char		 buf[4096], *end;
	unsigned long	 id;

	*has = 0;
	if (value[0] == '\0')
		return 0;
	errno = 0;
	id = strtoul(value, &end, 10);
	if (*end == '\0' && errno == 0 && id < (unsigned long)INT_MAX) {
		*gid = (gid_t)id;
		*has = 1;
		return 0;
	}
	if (getgrnam_r(value, &gr, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return confutil_fail(path, err, errlen, "%s \"%s\": no such "
		    "group", option, value);
	*gid = res->gr_gid;
	*has = 1;
	return 0;
}

static int
config_numbers(const char *path, cfg_t *cfg, struct mgr_config *conf,
    char *err, size_t errlen)
{
	const struct config_range	*r;
	const char			*map;
	char				 why[128];
	long				 v;
	size_t				 i;

	if (confutil_port(path, cfg, "listen_port", 1, &conf->listen_port, err,
	    errlen) == -1 || confutil_gate(path, cfg, &conf->gate,
	    &conf->idle_timeout, err, errlen) == -1)
		return -1;
	for (i = 0; i < sizeof(config_ranges) / sizeof(config_ranges[0]); i++) {
		r = &config_ranges[i];
		v = cfg_getint(cfg, r->name);
		if (v < r->min || v > r->max)
			return confutil_fail(path, err, errlen, "%s %ld is not "
			    "%ld-%ld %s", r->name, v, r->min, r->max, r->unit);
		*(int *)(void *)((char *)conf + r->offset) = (int)v;
	}
	map = cfg_getstr(cfg, "store_map_size");
	if (size_parse(map, &conf->store_map_size, why, sizeof(why)) == -1)
		return confutil_fail(path, err, errlen, "store_map_size "
		    "\"%s\": %s", map, why);
	if (conf->store_map_size < CONFIG_MAP_MIN ||
	    conf->store_map_size > CONFIG_MAP_MAX)
		return confutil_fail(path, err, errlen, "store_map_size \"%s\" "
		    "is not 1M-1T", map);
	return 0;
}

static int
config_check(const char *path, cfg_t *cfg, struct mgr_config *conf,
    char *err, size_t errlen)
{
	struct in_addr	in;
	const char	*level = cfg_getstr(cfg, "log_level");

	if (config_strings(cfg, conf) == -1)
		return confutil_fail(path, err, errlen, "out of memory");
	if (inet_pton(AF_INET, conf->listen_address, &in) != 1)
		return confutil_fail(path, err, errlen, "listen_address \"%s\" "
		    "is not an IPv4 address", conf->listen_address);
	if (config_numbers(path, cfg, conf, err, errlen) == -1 ||
	    config_paths(path, conf, err, errlen) == -1 ||
	    config_group(path, "admin_group", conf->admin_group,
	    &conf->admin_gid, &conf->has_admin_gid, err, errlen) == -1 ||
	    config_group(path, "monitor_group", conf->monitor_group,
	    &conf->monitor_gid, &conf->has_monitor_gid, err, errlen) == -1)
		return -1;
	if (confutil_ciphers(path, conf->ciphers, err, errlen) == -1)
		return -1;
	conf->rebuild = cfg_getbool(cfg, "rebuild") ? 1 : 0;
	conf->log_level = confutil_log_level(path, level, err, errlen);
	return conf->log_level == -1 ? -1 : 0;
}

int
mgr_config_load(const char *path, struct mgr_config *conf, char *err,
    size_t errlen)
{
	cfg_t	*cfg;

	memset(conf, 0, sizeof(*conf));
	if ((cfg = confutil_parse(mgr_opts, path, err, errlen)) == NULL)
		return -1;
	if (config_check(path, cfg, conf, err, errlen) == -1)
		goto fail;
	cfg_free(cfg);
	return 0;
fail:
	cfg_free(cfg);
	mgr_config_free(conf);
	return -1;
}

void
mgr_config_free(struct mgr_config *conf)
{
	free(conf->listen_address);
	free(conf->state_dir);
	free(conf->backup_dir);
	free(conf->ca);
	free(conf->cert);
	free(conf->key);
	free(conf->crl);
	free(conf->admin_socket);
	free(conf->admin_group);
	free(conf->monitor_group);
	free(conf->ciphers);
	free(conf->pidfile);
	memset(conf, 0, sizeof(*conf));
}

/* Strings quoted, so the output reads back as a config file. */
void
mgr_config_print(FILE *f, const struct mgr_config *conf)
{
	char	map[32];

	size_format(conf->store_map_size, map, sizeof(map));
	fprintf(f, "listen_address = \"%s\"\n", conf->listen_address);
	fprintf(f, "listen_port = %u\n", conf->listen_port);
	fprintf(f, "state_dir = \"%s\"\n", conf->state_dir);
	fprintf(f, "ca = \"%s\"\n", conf->ca);
	fprintf(f, "cert = \"%s\"\n", conf->cert);
	fprintf(f, "key = \"%s\"\n", conf->key);
	fprintf(f, "crl = \"%s\"\n", conf->crl);
	fprintf(f, "admin_socket = \"%s\"\n", conf->admin_socket);
	fprintf(f, "admin_group = \"%s\"\n", conf->admin_group);
	fprintf(f, "monitor_group = \"%s\"\n", conf->monitor_group);
	fprintf(f, "ticket_lifetime = %d\n", conf->ticket_lifetime);
	fprintf(f, "heartbeat_timeout = %d\n", conf->heartbeat_timeout);
	confutil_gate_print(f, &conf->gate, conf->idle_timeout);
	fprintf(f, "store_map_size = \"%s\"\n", map);
	fprintf(f, "backup_dir = \"%s\"\n", conf->backup_dir);
	fprintf(f, "backup_interval = %d\n", conf->backup_interval);
	fprintf(f, "backup_keep = %d\n", conf->backup_keep);
	fprintf(f, "ciphers = \"%s\"\n", conf->ciphers);
	fprintf(f, "log_level = \"%s\"\n",
	    confutil_log_level_name(conf->log_level));
	fprintf(f, "pidfile = \"%s\"\n", conf->pidfile);
	fprintf(f, "rebuild = %s\n", conf->rebuild ? "true" : "false");
}
