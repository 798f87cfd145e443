/*
 * Logging to stderr (foreground) or syslog, with a level. log_warn adds
 * strerror(errno). fatal/fatalx log and exit(1).
 */
#ifndef DASPOOL_LOG_H
#define DASPOOL_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void	log_init(const char *progname, int to_stderr, int level);
void	log_set_level(int level);
/*
 * A tag for the lines this thread logs ("progname: TAG: level: ..."),
 * for a process that runs several servers; the string must outlive
 * the thread. Threads do not inherit it: code that starts a thread for
 * a server passes log_tag() on.
 */
void	log_set_tag(const char *tag);
const char *log_tag(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
