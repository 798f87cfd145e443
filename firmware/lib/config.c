/*
 * The borrower's config file, read with libconfuse.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "daspool_conf.h"
#include "proto.h"

#define CONF_TIMEOUT_DEFAULT	30
#define CONF_TIMEOUT_MAX	3600

/* libconfuse reports through a callback without a user pointer. */
static _Thread_local char	conf_errbuf[512];

static void	conf_error(cfg_t *, const char *, va_list);
static int	conf_check_int(cfg_t *, cfg_opt_t *);
static int	conf_take(char **, cfg_t *, const char *);

static void
conf_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char	msg[400];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cfg != NULL && cfg->filename != NULL && cfg->line > 0)
		snprintf(conf_errbuf, sizeof(conf_errbuf), "%s:%d: %s",
		    cfg->filename, cfg->line, msg);
	else
		snprintf(conf_errbuf, sizeof(conf_errbuf), "%s", msg);
}

static int
conf_check_int(cfg_t *cfg, cfg_opt_t *opt)
{
	long	v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);

	if (strcmp(cfg_opt_name(opt), "manager_port") == 0 &&
	    (v < 1 || v > 65535)) {
		cfg_error(cfg, "manager_port %ld is not a TCP port (1-65535)",
		    v);
		return -1;
	}
	if (strcmp(cfg_opt_name(opt), "timeout") == 0 &&
	    (v < 1 || v > CONF_TIMEOUT_MAX)) {
		cfg_error(cfg, "timeout %ld is not 1 to %d seconds", v,
		    CONF_TIMEOUT_MAX);
		return -1;
	}
	return 0;
}

void
daspool_conf_init(struct daspool_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->manager_port = DSP_MGR_PORT;
	conf->timeout = CONF_TIMEOUT_DEFAULT;
}

void
daspool_conf_free(struct daspool_conf *conf)
{
	free(conf->manager_host);
	free(conf->manager_name);
	free(conf->ca);
	free(conf->cert);
	free(conf->key);
	free(conf->crl);
	free(conf->state_dir);
	free(conf->ciphers);
	daspool_conf_init(conf);
}

int
daspool_conf_set(char **field, const char *value)
{
	char	*p = NULL;

	if (value != NULL && (p = strdup(value)) == NULL)
		return -1;
	free(*field);
	*field = p;
	return 0;
}

/* A setting present in the file replaces the one in conf. */
static int
conf_take(char **field, cfg_t *cfg, const char *name)
{
	const char	*v;

	if (cfg_size(cfg, name) == 0 || (v = cfg_getstr(cfg, name)) == NULL)
		return 0;
	return daspool_conf_set(field, v);
}

int
daspool_conf_load(const char *path, struct daspool_conf *conf, char *err,
    size_t errlen)
{
	cfg_opt_t	 opts[] = {
		CFG_STR("manager_address", NULL, CFGF_NODEFAULT),
		CFG_INT_CB("manager_port", DSP_MGR_PORT, CFGF_NODEFAULT, NULL),
		CFG_STR("manager_name", NULL, CFGF_NODEFAULT),
		CFG_STR("ca", NULL, CFGF_NODEFAULT),
		CFG_STR("cert", NULL, CFGF_NODEFAULT),
		CFG_STR("key", NULL, CFGF_NODEFAULT),
		CFG_STR("crl", NULL, CFGF_NODEFAULT),
		CFG_STR("state_dir", NULL, CFGF_NODEFAULT),
		CFG_STR("ciphers", NULL, CFGF_NODEFAULT),
		CFG_INT_CB("timeout", CONF_TIMEOUT_DEFAULT, CFGF_NODEFAULT,
		    NULL),
		CFG_END()
	};
	cfg_t		*cfg;
	int		 rc;

	if (access(path, F_OK) == -1 && errno == ENOENT)
		return 1;
	if ((cfg = cfg_init(opts, CFGF_NONE)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg_set_error_function(cfg, conf_error);
	cfg_set_validate_func(cfg, "manager_port", conf_check_int);
	cfg_set_validate_func(cfg, "timeout", conf_check_int);
	conf_errbuf[0] = '\0';
	rc = cfg_parse(cfg, path);
	if (rc == CFG_FILE_ERROR) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (rc != CFG_SUCCESS) {
		snprintf(err, errlen, "%s", conf_errbuf[0] ? conf_errbuf :
		    "syntax error");
		goto fail;
	}
	if (conf_take(&conf->manager_host, cfg, "manager_address") == -1 ||
	    conf_take(&conf->manager_name, cfg, "manager_name") == -1 ||
	    conf_take(&conf->ca, cfg, "ca") == -1 ||
	    conf_take(&conf->cert, cfg, "cert") == -1 ||
	    conf_take(&conf->key, cfg, "key") == -1 ||
	    conf_take(&conf->crl, cfg, "crl") == -1 ||
	    conf_take(&conf->state_dir, cfg, "state_dir") == -1 ||
	    conf_take(&conf->ciphers, cfg, "ciphers") == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cfg_size(cfg, "manager_port") > 0)
		conf->manager_port = (uint16_t)cfg_getint(cfg, "manager_port");
	if (cfg_size(cfg, "timeout") > 0)
		conf->timeout = (int)cfg_getint(cfg, "timeout");
	cfg_free(cfg);
	return 0;
fail:
	cfg_free(cfg);
	return -1;
}

void
daspool_conf_options(const struct daspool_conf *conf,
    struct daspool_options *o)
{
	memset(o, 0, sizeof(*o));
	o->manager_host = conf->manager_host;
	o->manager_port = conf->manager_port;
	o->manager_name = conf->manager_name;
	o->ca_file = conf->ca;
	o->cert_file = conf->cert;
	o->key_file = conf->key;
	o->crl_file = conf->crl;
	o->state_dir = conf->state_dir;
	o->ciphers = conf->ciphers;
	o->timeout_ms = conf->timeout * 1000;
}
