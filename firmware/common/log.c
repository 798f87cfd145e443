/*
 * Logging to stderr (foreground, tests) or syslog (daemon). Each line
 * is formatted into one buffer and written with one call, so lines from
 * different threads do not interleave.
 *
 * Messages quote what peers sent (names, reasons, error texts), so each
 * is escaped before it is written: a log line is one line of printable
 * text whatever was formatted into it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "text.h"

#define LOG_LINE_MAX	1024

static const char	*log_progname = "daspool";
static int		 log_to_stderr = 1;
static volatile int	 log_level = LOG_LEVEL_INFO;
/* Names which of several servers in one process a line is about (the
 * swarm simulator); NULL in the daemons. */
static _Thread_local const char *log_thread_tag;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR]	= "error",
	[LOG_LEVEL_WARN]	= "warning",
	[LOG_LEVEL_INFO]	= "info",
	[LOG_LEVEL_DEBUG]	= "debug",
};

static const int log_priorities[] = {
	[LOG_LEVEL_ERROR]	= LOG_ERR,
	[LOG_LEVEL_WARN]	= LOG_WARNING,
	[LOG_LEVEL_INFO]	= LOG_INFO,
	[LOG_LEVEL_DEBUG]	= LOG_DEBUG,
};

void
log_init(const char *progname, int to_stderr, int level)
{
	if (progname != NULL) {
		const char *slash = strrchr(progname, '/');
		log_progname = slash != NULL ? slash + 1 : progname;
	}
	log_to_stderr = to_stderr;
	log_set_level(level);
	if (!log_to_stderr)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(int level)
{
	if (level < LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	log_level = level;
}

void
log_set_tag(const char *tag)
{
	log_thread_tag = tag;
}

const char *
log_tag(void)
{
	return log_thread_tag;
}

/* errnum >= 0 appends strerror(errnum). */
static void
log_emit(int level, int errnum, const char *fmt, va_list ap)
{
	char	msg[LOG_LINE_MAX];
	char	line[2 * LOG_LINE_MAX];
	char	ebuf[128];
	int	n;

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		msg[0] = '\0';
	if (errnum >= 0) {
		/* GNU strerror_r may return a static string instead. */
		const char *es = strerror_r(errnum, ebuf, sizeof(ebuf));
		size_t len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s", es);
	}
	/* Escapes already in the message (a stored reason) are kept. */
	text_safe(line, sizeof(line), msg);
	if (log_to_stderr && log_thread_tag != NULL)
		fprintf(stderr, "%s: %s: %s: %s\n", log_progname,
		    log_thread_tag, log_level_names[level], line);
	else if (log_to_stderr)
		fprintf(stderr, "%s: %s: %s\n", log_progname,
		    log_level_names[level], line);
	else if (log_thread_tag != NULL)
		syslog(log_priorities[level], "%s: %s", log_thread_tag, line);
	else
		syslog(log_priorities[level], "%s", line);
}

void
log_warn(const char *fmt, ...)
{
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, -1, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_INFO, -1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_DEBUG, -1, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, saved != 0 ? saved : -1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, -1, fmt, ap);
	va_end(ap);
	exit(1);
}
