/*
 * What the daemons' config readers share around libconfuse: parsing
 * with the error put in err as "file:line: reason", refusals worded
 * "file: reason", and the checks of ports, cipher and log level names.
 * Each daemon keeps its own option table and its own checks.
 */
#ifndef DASPOOL_CONFUTIL_H
#define DASPOOL_CONFUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <confuse.h>

/*
 * Parses path against opts. Returns the cfg (cfg_free() it), or NULL
 * with "file:line: reason" (or "file: reason") in err.
 */
cfg_t	*confutil_parse(cfg_opt_t *opts, const char *path, char *err,
	    size_t errlen);
/* Puts "path: " and the message in err; returns -1. */
int	 confutil_fail(const char *path, char *err, size_t errlen,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Integer option opt as a TCP port, 0 allowed only if allow_zero. */
int	 confutil_port(const char *path, cfg_t *, const char *opt,
	    int allow_zero, uint16_t *out, char *err, size_t errlen);
/* 0 if name is a cipher suite the TLS layer knows, else -1 with err. */
int	 confutil_ciphers(const char *path, const char *name, char *err,
	    size_t errlen);
/* The enum log_level for name, or -1 with err. */
int	 confutil_log_level(const char *path, const char *name, char *err,
	    size_t errlen);
/* The config file's word for an enum log_level ("warn", not "warning"). */
const char *confutil_log_level_name(int level);

#endif
