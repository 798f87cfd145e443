/*
 * The backup daemon's loop (daemon.h).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"

volatile sig_atomic_t	daemon_stop;

static void
daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

static void
daemon_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigemptyset(&sa.sa_mask);
	/* The copy's threads' calls go on; nanosleep is cut short all
	 * the same, so the daemon's sleep ends at once. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Sleeps until t, or a signal. Woken at least every minute, so a clock
 * set forward is noticed. */
static void
daemon_sleep_until(time_t t)
{
	struct timespec	ts;
	time_t		now = time(NULL);

	if (t <= now)
		return;
	ts.tv_sec = t - now < 60 ? t - now : 60;
	ts.tv_nsec = 0;
	while (!daemon_stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
daemon_tell_next(const struct schedule *s, time_t now)
{
	char		when[32], sched[32];
	time_t		next = schedule_next(s, now);
	struct tm	tm;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&next,
	    &tm));
	schedule_format(s, sched, sizeof(sched));
	log_info("next backup run %s (%s)", when, sched);
}

int
backup_daemon(const struct daemon_opts *o)
{
	time_t	now, wait_until = 0, told = 0;

	daemon_signals();
	while (!daemon_stop) {
		now = time(NULL);
		if (now >= wait_until &&
		    schedule_due(o->schedule, o->last_run(o->arg), now)) {
			log_info("a backup run is due");
			/* One that did not start, or did not count
			 * (stopped), is not tried again at once. */
			if (o->run(o->arg) != 0 || o->last_run(o->arg) < now)
				wait_until = now + (time_t)o->retry;
			told = 0;
			continue;
		}
		if (told == 0) {
			daemon_tell_next(o->schedule, now);
			told = now;
		}
		daemon_sleep_until(wait_until > now ? wait_until :
		    schedule_next(o->schedule, now));
	}
	log_info("stopped");
	return 0;
}
