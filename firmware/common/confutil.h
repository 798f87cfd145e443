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
#include <stdio.h>

#include <confuse.h>

#include "gate.h"

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

/*
 * The keys of a TLS server's front door (gate.h) and its idle timeout,
 * the same in every daemon's option table; per_peer is the daemon's
 * default for max_connections_per_peer.
 */
#define CONFUTIL_GATE_OPTS(per_peer, idle)				\
	CFG_INT("handshake_timeout", GATE_HANDSHAKE_MS / 1000, CFGF_NONE), \
	CFG_INT("max_handshakes_per_address", GATE_PER_ADDRESS, CFGF_NONE), \
	CFG_INT("max_handshakes", GATE_PENDING_MAX, CFGF_NONE),		\
	CFG_INT("max_connections", 4096, CFGF_NONE),			\
	CFG_INT("max_connections_per_peer", (per_peer), CFGF_NONE),	\
	CFG_INT("idle_timeout", (idle), CFGF_NONE)

/* Checks and reads those keys; idle timeout in seconds in *idle_s. */
int	 confutil_gate(const char *path, cfg_t *, struct gate_limits *,
	    int *idle_s, char *err, size_t errlen);
void	 confutil_gate_print(FILE *, const struct gate_limits *, int idle_s);

#endif
