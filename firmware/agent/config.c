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

/* A borrower opens a connection per volume handle; an idle one with no
 * ticket is someone holding a slot for nothing. */
#define AGENT_PER_PEER		64
#define AGENT_IDLE_S		10

static cfg_opt_t part_opts[] = {
	CFG_STR("path", NULL, CFGF_NONE),
	CFG_STR("offset", "0", CFGF_NONE),
	CFG_STR("length", NULL, CFGF_NONE),
	CFG_END()
};

/* No default offset here: set beside part sections it is refused. */
static cfg_opt_t region_opts[] = {
	CFG_STR("path", NULL, CFGF_NONE),
	CFG_STR("offset", NULL, CFGF_NONE),
	CFG_STR("length", NULL, CFGF_NONE),
	CFG_SEC("part", part_opts, CFGF_MULTI),
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
	CFG_STR("crl", "", CFGF_NONE),
	CFG_STR("state_dir", "/var/lib/daspool-agent", CFGF_NONE),
	CFG_INT("heartbeat_interval", 2, CFGF_NONE),
	CONFUTIL_GATE_OPTS(AGENT_PER_PEER, AGENT_IDLE_S),
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

/* One part of one region, as the overlap check sees it. */
struct config_span {
	const struct region_conf *region;
	unsigned int		 part;
	struct config_file_id	 id;
	uint64_t		 start;
	uint64_t		 end;	/* UINT64_MAX: to the end */
};

static unsigned int
config_spans(const struct agent_config *conf, struct config_span *spans)
{
	const struct region_conf *r;
	const struct region_part *p;
	unsigned int		 i, j, n = 0;

	for (i = 0; i < conf->region_count; i++) {
		r = &conf->regions[i];
		for (j = 0; j < r->part_count; j++, n++) {
			p = &r->parts[j];
			spans[n].region = r;
			spans[n].part = j;
			config_file_id(p->path, &spans[n].id);
			spans[n].start = p->offset;
			spans[n].end = p->length == 0 ? UINT64_MAX :
			    p->offset + p->length;
		}
	}
	return n;
}

static int
config_overlap_fail(const char *path, const struct config_span *a,
    const struct config_span *b, char *err, size_t errlen)
{
	const char	*file = a->region->parts[a->part].path;

	if (a->region == b->region)
		return confutil_fail(path, err, errlen, "region %s: parts %u "
		    "and %u overlap on %s", a->region->name, a->part + 1,
		    b->part + 1, file);
	return confutil_fail(path, err, errlen, "regions %s and %s overlap "
	    "on %s", a->region->name, b->region->name, file);
}

/* Every part against every other, those of one region included: two
 * parts on one byte range would lend the same bytes twice. */
static int
config_check_overlap(const char *path, const struct agent_config *conf,
    char *err, size_t errlen)
{
	struct config_span	*spans, *a, *b;
	unsigned int		 i, j, n;
	int			 rc = 0;

	spans = calloc((size_t)conf->region_count * REGION_PARTS_MAX,
	    sizeof(*spans));
	if (spans == NULL)
		return confutil_fail(path, err, errlen, "out of memory");
	n = config_spans(conf, spans);
	for (i = 0; i < n && rc == 0; i++) {
		a = &spans[i];
		for (j = i + 1; j < n && rc == 0; j++) {
			b = &spans[j];
			if (config_same_file(&a->id, &b->id) &&
			    a->start < b->end && b->start < a->end)
				rc = config_overlap_fail(path, a, b, err,
				    errlen);
		}
	}
	free(spans);
	return rc;
}

static int
config_size(const char *where, const char *label, const char *opt,
    const char *value, uint64_t *out, char *err, size_t errlen)
{
	char	why[128];

	if (size_parse(value, out, why, sizeof(why)) == -1)
		return confutil_fail(where, err, errlen, "%s: %s: %s", label,
		    opt, why);
	return 0;
}

/*
 * path, offset and length of sec into p; label ("region A4: part 2")
 * starts each error, where ("file:line") is its place.
 */
static int
config_part(const char *where, const char *label, cfg_t *sec,
    struct region_part *p, char *err, size_t errlen)
{
	const char	*ppath = cfg_getstr(sec, "path");
	const char	*offset = cfg_getstr(sec, "offset");
	const char	*length = cfg_getstr(sec, "length");

	if (ppath == NULL || *ppath == '\0')
		return confutil_fail(where, err, errlen, "%s: path is "
		    "required", label);
	if (ppath[0] != '/')
		return confutil_fail(where, err, errlen, "%s: path \"%s\" "
		    "must be absolute", label, ppath);
	if ((p->path = strdup(ppath)) == NULL)
		return confutil_fail(where, err, errlen, "out of memory");
	p->offset = 0;
	if (offset != NULL && config_size(where, label, "offset", offset,
	    &p->offset, err, errlen) == -1)
		return -1;
	p->length = 0;
	if (length == NULL)
		return 0;
	if (config_size(where, label, "length", length, &p->length, err,
	    errlen) == -1)
		return -1;
	if (p->length == 0)
		return confutil_fail(where, err, errlen, "%s: length must be "
		    "greater than 0 (leave it out for the rest of the file)",
		    label);
	if (p->offset + p->length < p->offset)
		return confutil_fail(where, err, errlen, "%s: offset + length "
		    "overflows", label);
	return 0;
}

/* "file:line" of a section, so an error points into the file; the line
 * libconfuse keeps is that of the section's closing brace. */
static void
config_where(const char *path, cfg_t *sec, char *where, size_t len)
{
	snprintf(where, len, "%s:%d", path, sec->line);
}

static int
config_region_parts(const char *path, cfg_t *sec, struct region_conf *r,
    char *err, size_t errlen)
{
	char		where[1024], label[96];
	cfg_t		*psec;
	unsigned int	i, n = cfg_size(sec, "part");

	config_where(path, sec, where, sizeof(where));
	if (cfg_getstr(sec, "offset") != NULL ||
	    cfg_getstr(sec, "length") != NULL)
		return confutil_fail(where, err, errlen, "region %s: offset "
		    "and length go in each part, not beside them", r->name);
	if (n > REGION_PARTS_MAX)
		return confutil_fail(where, err, errlen, "region %s: %u parts, "
		    "at most %d allowed", r->name, n, REGION_PARTS_MAX);
	r->joined = 1;
	for (i = 0; i < n; i++) {
		psec = cfg_getnsec(sec, "part", i);
		config_where(path, psec, where, sizeof(where));
		snprintf(label, sizeof(label), "region %s: part %u", r->name,
		    i + 1);
		/* Counted first, so agent_config_free() sees its path. */
		r->part_count = i + 1;
		if (config_part(where, label, psec, &r->parts[i], err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

static int
config_region(const char *path, cfg_t *sec, struct region_conf *r,
    char *err, size_t errlen)
{
	const char	*name = cfg_title(sec);
	int		 has_path = cfg_getstr(sec, "path") != NULL;
	int		 has_parts = cfg_size(sec, "part") > 0;
	char		 where[1024], label[96];

	config_where(path, sec, where, sizeof(where));
	if (name == NULL || !msg_name_valid(name))
		return confutil_fail(where, err, errlen, "region name \"%s\" "
		    "is not 1-%d characters of A-Z a-z 0-9 . _ : -",
		    name ? name : "", DSP_NAME_MAX);
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (has_path && has_parts)
		return confutil_fail(where, err, errlen, "region %s: either "
		    "path (with offset, length) or part sections, not both",
		    name);
	if (!has_path && !has_parts)
		return confutil_fail(where, err, errlen, "region %s: path or "
		    "at least one part section is required", name);
	if (has_parts)
		return config_region_parts(path, sec, r, err, errlen);
	snprintf(label, sizeof(label), "region %s", name);
	r->part_count = 1;
	return config_part(where, label, sec, &r->parts[0], err, errlen);
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
	    config_strdup(&conf->crl, cfg, "crl") ||
	    config_strdup(&conf->state_dir, cfg, "state_dir") ||
	    config_strdup(&conf->ciphers, cfg, "ciphers"))
		return confutil_fail(path, err, errlen, "out of memory");
	if (config_addresses(path, cfg, conf, err, errlen) == -1)
		return -1;
	if (conf->state_dir[0] != '/')
		return confutil_fail(path, err, errlen, "state_dir \"%s\" must "
		    "be absolute", conf->state_dir);
	/* Read again long after the daemon left its start directory. */
	if (conf->crl[0] != '\0' && conf->crl[0] != '/')
		return confutil_fail(path, err, errlen, "crl \"%s\" must be "
		    "absolute", conf->crl);
	if (hb < 1 || hb > 3600)
		return confutil_fail(path, err, errlen, "heartbeat_interval "
		    "%ld is not 1-3600 seconds", hb);
	conf->heartbeat_interval = (int)hb;
	if (confutil_gate(path, cfg, &conf->gate, &conf->idle_timeout, err,
	    errlen) == -1)
		return -1;
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
	unsigned int	i, j;

	free(conf->listen_address);
	free(conf->advertise_address);
	free(conf->manager_address);
	free(conf->ca);
	free(conf->cert);
	free(conf->key);
	free(conf->manager_cert);
	free(conf->crl);
	free(conf->state_dir);
	free(conf->ciphers);
	for (i = 0; i < conf->region_count; i++)
		for (j = 0; j < conf->regions[i].part_count; j++)
			free(conf->regions[i].parts[j].path);
	memset(conf, 0, sizeof(*conf));
}

static void
config_print_part(FILE *fp, const char *indent, const struct region_part *p)
{
	fprintf(fp, "%spath = \"%s\"\n", indent, p->path);
	fprintf(fp, "%soffset = \"%llu\"\n", indent,
	    (unsigned long long)p->offset);
	if (p->length != 0)	/* 0: the rest of the file or disk */
		fprintf(fp, "%slength = \"%llu\"\n", indent,
		    (unsigned long long)p->length);
}

static void
config_print_region(FILE *fp, const struct region_conf *r)
{
	unsigned int	i;

	fprintf(fp, "region \"%s\" {\n", r->name);
	if (!r->joined)
		config_print_part(fp, "\t", &r->parts[0]);
	for (i = 0; r->joined && i < r->part_count; i++) {
		fprintf(fp, "\tpart {\n");
		config_print_part(fp, "\t\t", &r->parts[i]);
		fprintf(fp, "\t}\n");
	}
	fprintf(fp, "}\n");
}

void
agent_config_print(FILE *fp, const struct agent_config *conf)
{
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
	fprintf(fp, "crl = \"%s\"\n", conf->crl);
	fprintf(fp, "state_dir = \"%s\"\n", conf->state_dir);
	fprintf(fp, "heartbeat_interval = %d\n", conf->heartbeat_interval);
	confutil_gate_print(fp, &conf->gate, conf->idle_timeout);
	fprintf(fp, "ciphers = \"%s\"\n", conf->ciphers);
	fprintf(fp, "log_level = \"%s\"\n",
	    confutil_log_level_name(conf->log_level));
	/* Printed as config syntax, so the output reads back as a config. */
	for (i = 0; i < conf->region_count; i++)
		config_print_region(fp, &conf->regions[i]);
}
