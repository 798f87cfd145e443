/*
 * Reads daspool-agent.conf with libconfuse and checks every value, so a
 * bad config is refused at start (and by -n) with the option named.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "confutil.h"
#include "msg.h"
#include "size.h"

static cfg_opt_t region_opts[] = {
	CFG_STR("path", NULL, CFGF_NONE),
	CFG_STR("offset", "0", CFGF_NONE),
	CFG_STR("length", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t agent_opts[] = {
	CFG_STR("server", NULL, CFGF_NONE),
	CFG_STR("listen_address", "0.0.0.0", CFGF_NONE),
	CFG_INT("listen_port", DSP_AGENT_PORT, CFGF_NONE),
	CFG_STR("advertise_address", NULL, CFGF_NONE),
	CFG_STR("manager_address", NULL, CFGF_NONE),
	CFG_INT("manager_port", DSP_MGR_PORT, CFGF_NONE),
	CFG_STR("ca", "/etc/daspool/ca.crt", CFGF_NONE),
	CFG_STR("cert", "/etc/daspool/agent.crt", CFGF_NONE),
	CFG_STR("key", "/etc/daspool/agent.key", CFGF_NONE),
	CFG_STR("manager_cert", "/etc/daspool/manager.crt", CFGF_NONE),
	CFG_STR("state_dir", "/var/lib/daspool-agent", CFGF_NONE),
	CFG_INT("heartbeat_interval", 2, CFGF_NONE),
	CFG_STR("ciphers", "chacha20-poly1305", CFGF_NONE),
	CFG_STR("log_level", "info", CFGF_NONE),
	CFG_SEC("region", region_opts, CFGF_MULTI | CFGF_TITLE |
	    CFGF_NO_TITLE_DUPES),
	CFG_END()
};

static int
config_strdup(char **dst, cfg_t *cfg, const char *opt)
{
	const char	*s = cfg_getstr(cfg, opt);

	*dst = NULL;
	if (s == NULL)
		return 0;
	if ((*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

/* Two regions are on the same file when stat() says so; a path that
 * does not exist yet is compared by name. */
struct config_file_id {
	int		known;
	dev_t		dev;
	ino_t		ino;
	const char	*path;
};

static void
config_file_id(const char *path, struct config_file_id *id)
{
	struct stat	st;

	memset(id, 0, sizeof(*id));
	id->path = path;
	if (stat(path, &st) == -1)
		return;
	id->known = 1;
	if (S_ISBLK(st.st_mode)) {
		id->dev = st.st_rdev;
		id->ino = 0;
	} else {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

static int
config_same_file(const struct config_file_id *a, const struct config_file_id *b)
{
	if (a->known && b->known)
		return a->dev == b->dev && a->ino == b->ino;
	return strcmp(a->path, b->path) == 0;
}

static uint64_t
config_region_end(const struct region_conf *r)
{
	return r->length == 0 ? UINT64_MAX : r->offset + r->length;
}

static int
config_check_overlap(const char *path, const struct agent_config *conf,
    char *err, size_t errlen)
{
	struct config_file_id	ids[DSP_MAX_REGIONS];
	const struct region_conf *a, *b;
	unsigned int		i, j;

	for (i = 0; i < conf->region_count; i++)
		config_file_id(conf->regions[i].path, &ids[i]);
	for (i = 0; i < conf->region_count; i++) {
		a = &conf->regions[i];
		for (j = i + 1; j < conf->region_count; j++) {
			b = &conf->regions[j];
			if (!config_same_file(&ids[i], &ids[j]))
				continue;
			if (a->offset < config_region_end(b) &&
			    b->offset < config_region_end(a))
				return confutil_fail(path, err, errlen,
				    "regions %s and %s overlap on %s",
				    a->name, b->name, b->path);
		}
	}
	return 0;
}

static int
config_size(const char *path, const char *region, const char *opt,
    const char *value, uint64_t *out, char *err, size_t errlen)
{
	char	why[128];

	if (size_parse(value, out, why, sizeof(why)) == -1)
		return confutil_fail(path, err, errlen, "region %s: %s: %s",
		    region, opt, why);
	return 0;
}

static int
config_region(const char *path, cfg_t *sec, struct region_conf *r,
    char *err, size_t errlen)
{
	const char	*name = cfg_title(sec);
	const char	*rpath = cfg_getstr(sec, "path");
	const char	*length = cfg_getstr(sec, "length");

	if (name == NULL || !msg_name_valid(name))
		return confutil_fail(path, err, errlen, "region name \"%s\" is "
		    "not 1-%d characters of A-Z a-z 0-9 . _ : -",
		    name ? name : "", DSP_NAME_MAX);
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (rpath == NULL || *rpath == '\0')
		return confutil_fail(path, err, errlen, "region %s: path is "
		    "required", name);
	if (rpath[0] != '/')
		return confutil_fail(path, err, errlen, "region %s: path "
		    "\"%s\" must be absolute", name, rpath);
	if ((r->path = strdup(rpath)) == NULL)
		return confutil_fail(path, err, errlen, "out of memory");
	if (config_size(path, name, "offset", cfg_getstr(sec, "offset"),
	    &r->offset, err, errlen) == -1)
		return -1;
	r->length = 0;
	if (length != NULL) {
		if (config_size(path, name, "length", length, &r->length,
		    err, errlen) == -1)
			return -1;
		if (r->length == 0)
			return confutil_fail(path, err, errlen, "region %s: "
			    "length must be greater than 0 (leave it out for "
			    "the rest of the file)", name);
		if (r->offset + r->length < r->offset)
			return confutil_fail(path, err, errlen, "region %s: "
			    "offset + length overflows", name);
	}
	return 0;
}

static int
config_addresses(const char *path, cfg_t *cfg, struct agent_config *conf,
    char *err, size_t errlen)
{
	struct in_addr	in;
	const char	*adv;

	if (inet_pton(AF_INET, conf->listen_address, &in) != 1)
		return confutil_fail(path, err, errlen, "listen_address \"%s\" "
		    "is not an IPv4 address", conf->listen_address);
	adv = cfg_getstr(cfg, "advertise_address");
	if (adv == NULL) {
		if (in.s_addr == htonl(INADDR_ANY))
			return confutil_fail(path, err, errlen,
			    "advertise_address is required when "
			    "listen_address is %s", conf->listen_address);
		adv = conf->listen_address;
	}
	if (!msg_name_valid(adv))
		return confutil_fail(path, err, errlen, "advertise_address "
		    "\"%s\" is not a valid host name or address", adv);
	if ((conf->advertise_address = strdup(adv)) == NULL)
		return confutil_fail(path, err, errlen, "out of memory");
	if (conf->manager_address == NULL || *conf->manager_address == '\0')
		return confutil_fail(path, err, errlen, "manager_address is "
		    "required");
	if (confutil_port(path, cfg, "listen_port", 1, &conf->listen_port,
	    err, errlen) == -1)
		return -1;
	return confutil_port(path, cfg, "manager_port", 0, &conf->manager_port,
	    err, errlen);
}

static int
config_scalars(const char *path, cfg_t *cfg, struct agent_config *conf,
    char *err, size_t errlen)
{
	const char	*server = cfg_getstr(cfg, "server");
	long		 hb = cfg_getint(cfg, "heartbeat_interval");
	int		 level;

	if (server == NULL)
		return confutil_fail(path, err, errlen, "server is required "
		    "(the CN of this agent's certificate)");
	if (!msg_name_valid(server))
		return confutil_fail(path, err, errlen, "server \"%s\" is not "
		    "1-%d characters of A-Z a-z 0-9 . _ : -", server,
		    DSP_NAME_MAX);
	snprintf(conf->server, sizeof(conf->server), "%s", server);
	if (config_strdup(&conf->listen_address, cfg, "listen_address") ||
	    config_strdup(&conf->manager_address, cfg, "manager_address") ||
	    config_strdup(&conf->ca, cfg, "ca") ||
	    config_strdup(&conf->cert, cfg, "cert") ||
	    config_strdup(&conf->key, cfg, "key") ||
	    config_strdup(&conf->manager_cert, cfg, "manager_cert") ||
	    config_strdup(&conf->state_dir, cfg, "state_dir") ||
	    config_strdup(&conf->ciphers, cfg, "ciphers"))
		return confutil_fail(path, err, errlen, "out of memory");
	if (config_addresses(path, cfg, conf, err, errlen) == -1)
		return -1;
	if (conf->state_dir[0] != '/')
		return confutil_fail(path, err, errlen, "state_dir \"%s\" must "
		    "be absolute", conf->state_dir);
	if (hb < 1 || hb > 3600)
		return confutil_fail(path, err, errlen, "heartbeat_interval "
		    "%ld is not 1-3600 seconds", hb);
	conf->heartbeat_interval = (int)hb;
	/* Unset: the TLS layer's default, which every peer shares. */
	if (conf->ciphers != NULL &&
	    confutil_ciphers(path, conf->ciphers, err, errlen) == -1)
		return -1;
	level = confutil_log_level(path, cfg_getstr(cfg, "log_level"), err,
	    errlen);
	if (level == -1)
		return -1;
	conf->log_level = level;
	return 0;
}

static int
config_regions(const char *path, cfg_t *cfg, struct agent_config *conf,
    char *err, size_t errlen)
{
	unsigned int	i, n = cfg_size(cfg, "region");

	if (n == 0)
		return confutil_fail(path, err, errlen, "no region defined; "
		    "nothing to lend");
	if (n > DSP_MAX_REGIONS)
		return confutil_fail(path, err, errlen, "%u regions defined, "
		    "at most %d allowed", n, DSP_MAX_REGIONS);
	for (i = 0; i < n; i++) {
		/* Counted first, so agent_config_free() sees its path. */
		conf->region_count = i + 1;
		if (config_region(path, cfg_getnsec(cfg, "region", i),
		    &conf->regions[i], err, errlen) == -1)
			return -1;
	}
	return config_check_overlap(path, conf, err, errlen);
}

int
agent_config_load(const char *path, struct agent_config *conf, char *err,
    size_t errlen)
{
	cfg_t	*cfg;

	memset(conf, 0, sizeof(*conf));
	if ((cfg = confutil_parse(agent_opts, path, err, errlen)) == NULL)
		return -1;
	if (config_scalars(path, cfg, conf, err, errlen) == -1 ||
	    config_regions(path, cfg, conf, err, errlen) == -1)
		goto fail;
	cfg_free(cfg);
	return 0;
fail:
	cfg_free(cfg);
	agent_config_free(conf);
	return -1;
}

void
agent_config_free(struct agent_config *conf)
{
	unsigned int	i;

	free(conf->listen_address);
	free(conf->advertise_address);
	free(conf->manager_address);
	free(conf->ca);
	free(conf->cert);
	free(conf->key);
	free(conf->manager_cert);
	free(conf->state_dir);
	free(conf->ciphers);
	for (i = 0; i < conf->region_count; i++)
		free(conf->regions[i].path);
	memset(conf, 0, sizeof(*conf));
}

void
agent_config_print(FILE *fp, const struct agent_config *conf)
{
	const struct region_conf *r;
	unsigned int	i;

	fprintf(fp, "server = \"%s\"\n", conf->server);
	fprintf(fp, "listen_address = \"%s\"\n", conf->listen_address);
	fprintf(fp, "listen_port = %u\n", conf->listen_port);
	fprintf(fp, "advertise_address = \"%s\"\n", conf->advertise_address);
	fprintf(fp, "manager_address = \"%s\"\n", conf->manager_address);
	fprintf(fp, "manager_port = %u\n", conf->manager_port);
	fprintf(fp, "ca = \"%s\"\n", conf->ca);
	fprintf(fp, "cert = \"%s\"\n", conf->cert);
	fprintf(fp, "key = \"%s\"\n", conf->key);
	fprintf(fp, "manager_cert = \"%s\"\n", conf->manager_cert);
	fprintf(fp, "state_dir = \"%s\"\n", conf->state_dir);
	fprintf(fp, "heartbeat_interval = %d\n", conf->heartbeat_interval);
	fprintf(fp, "ciphers = \"%s\"\n", conf->ciphers);
	fprintf(fp, "log_level = \"%s\"\n",
	    confutil_log_level_name(conf->log_level));
	/* Printed as config syntax, so the output reads back as a config. */
	for (i = 0; i < conf->region_count; i++) {
		r = &conf->regions[i];
		fprintf(fp, "region \"%s\" {\n", r->name);
		fprintf(fp, "\tpath = \"%s\"\n", r->path);
		fprintf(fp, "\toffset = \"%llu\"\n",
		    (unsigned long long)r->offset);
		if (r->length != 0)	/* 0: the rest of the file or disk */
			fprintf(fp, "\tlength = \"%llu\"\n",
			    (unsigned long long)r->length);
		fprintf(fp, "}\n");
	}
}
