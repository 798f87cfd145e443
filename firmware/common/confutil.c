/*
 * libconfuse plumbing for the daemons' config readers. libconfuse
 * reports errors through a callback without a user pointer, so the
 * parse in progress on this thread says where the message goes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "confutil.h"
#include "log.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Where a libconfuse error message goes while parsing. */
struct confutil_errbuf {
	char	*buf;
	size_t	 len;
};
static _Thread_local struct confutil_errbuf *confutil_err;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR]	= "error",
	[LOG_LEVEL_WARN]	= "warn",
	[LOG_LEVEL_INFO]	= "info",
	[LOG_LEVEL_DEBUG]	= "debug",
};
static const char *const cipher_names[] = {
	"aes-128-gcm", "aes-256-gcm", "chacha20-poly1305"
};

static void
confutil_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	size_t	n = 0;

	if (confutil_err == NULL || confutil_err->len == 0)
		return;
	if (cfg != NULL && cfg->filename != NULL && cfg->line > 0)
		n = snprintf(confutil_err->buf, confutil_err->len, "%s:%d: ",
		    cfg->filename, cfg->line);
	else if (cfg != NULL && cfg->filename != NULL)
		n = snprintf(confutil_err->buf, confutil_err->len, "%s: ",
		    cfg->filename);
	if (n < confutil_err->len)
		vsnprintf(confutil_err->buf + n, confutil_err->len - n, fmt,
		    ap);
}

static int
confutil_lookup(const char *name, const char *const *names, size_t count)
{
	size_t	i;

	for (i = 0; i < count; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

cfg_t *
confutil_parse(cfg_opt_t *opts, const char *path, char *err, size_t errlen)
{
	struct confutil_errbuf	 eb = { err, errlen };
	cfg_t			*cfg;
	int			 rc;

	if (errlen > 0)
		err[0] = '\0';
	if ((cfg = cfg_init(opts, CFGF_NONE)) == NULL) {
		confutil_fail(path, err, errlen, "out of memory");
		return NULL;
	}
	cfg_set_error_function(cfg, confutil_errfunc);
	confutil_err = &eb;
	rc = cfg_parse(cfg, path);
	confutil_err = NULL;
	if (rc == CFG_FILE_ERROR) {
		confutil_fail(path, err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (rc != CFG_SUCCESS) {
		if (errlen > 0 && err[0] == '\0')
			confutil_fail(path, err, errlen, "parse error");
		goto fail;
	}
	return cfg;
fail:
	cfg_free(cfg);
	return NULL;
}

int
confutil_fail(const char *path, char *err, size_t errlen, const char *fmt,
    ...)
{
	va_list	ap;
	int	n;

	n = snprintf(err, errlen, "%s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

int
confutil_port(const char *path, cfg_t *cfg, const char *opt, int allow_zero,
    uint16_t *out, char *err, size_t errlen)
{
	long	v = cfg_getint(cfg, opt);

	if (v < (allow_zero ? 0 : 1) || v > 65535)
		return confutil_fail(path, err, errlen, "%s %ld is not a port "
		    "number", opt, v);
	*out = (uint16_t)v;
	return 0;
}

int
confutil_ciphers(const char *path, const char *name, char *err,
    size_t errlen)
{
	if (confutil_lookup(name, cipher_names, NITEMS(cipher_names)) == -1)
		return confutil_fail(path, err, errlen, "ciphers \"%s\" is not "
		    "aes-128-gcm, aes-256-gcm or chacha20-poly1305", name);
	return 0;
}

int
confutil_log_level(const char *path, const char *name, char *err,
    size_t errlen)
{
	int	level;

	level = confutil_lookup(name, log_level_names, NITEMS(log_level_names));
	if (level == -1)
		return confutil_fail(path, err, errlen, "log_level \"%s\" is not "
		    "error, warn, info or debug", name);
	return level;
}

const char *
confutil_log_level_name(int level)
{
	if (level < 0 || level > LOG_LEVEL_DEBUG)
		return "?";
	return log_level_names[level];
}

/* The front door's keys and their ranges, checked in one loop. */
static const struct confutil_range {
	const char	*name;
	long		 min;
	long		 max;
	const char	*unit;
} confutil_gate_ranges[] = {
	{ "handshake_timeout", 1, 60, "seconds" },
	{ "max_handshakes_per_address", 1, 65536, "handshakes" },
	{ "max_handshakes", 1, 65536, "handshakes" },
	{ "max_connections", 4, 65536, "connections" },
	{ "max_connections_per_peer", 0, 65536, "connections (0: no limit)" },
	{ "idle_timeout", 1, 86400, "seconds" },
};

int
confutil_gate(const char *path, cfg_t *cfg, struct gate_limits *lim,
    int *idle_s, char *err, size_t errlen)
{
	const struct confutil_range	*r;
	long				 v[sizeof(confutil_gate_ranges) /
					    sizeof(confutil_gate_ranges[0])];
	size_t				 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		r = &confutil_gate_ranges[i];
		v[i] = cfg_getint(cfg, r->name);
		if (v[i] < r->min || v[i] > r->max)
			return confutil_fail(path, err, errlen, "%s %ld is not "
			    "%ld-%ld %s", r->name, v[i], r->min, r->max,
			    r->unit);
	}
	lim->handshake_ms = (int)v[0] * 1000;
	lim->per_address = (unsigned int)v[1];
	lim->pending_max = (unsigned int)v[2];
	lim->conns_max = (unsigned int)v[3];
	lim->per_peer = (unsigned int)v[4];
	*idle_s = (int)v[5];
	return 0;
}

void
confutil_gate_print(FILE *f, const struct gate_limits *lim, int idle_s)
{
	fprintf(f, "handshake_timeout = %d\n", lim->handshake_ms / 1000);
	fprintf(f, "max_handshakes_per_address = %u\n", lim->per_address);
	fprintf(f, "max_handshakes = %u\n", lim->pending_max);
	fprintf(f, "max_connections = %u\n", lim->conns_max);
	fprintf(f, "max_connections_per_peer = %u\n", lim->per_peer);
	fprintf(f, "idle_timeout = %d\n", idle_s);
}
