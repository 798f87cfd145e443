/*
 * The thread that copies the store into backup_dir (store_copy.h): every
 * backup_interval seconds, soon after admin changes, and when an admin
 * asks (store copy). No request handler ever copies: a copy is one read
 * transaction, cheap for the writer but as long as it takes to write the
 * whole store. After each good copy the oldest beyond backup_keep go.
 *
 * Changes are debounced: a copy follows COPIES_QUIET_MS after the last
 * change of a burst, and at most COPIES_BURST_MS after its first, so a
 * script of many changes gives a copy now and then, not one per change.
 * The thread looks at its clock every COPIES_TICK_MS; an admin's
 * `store copy` waits that long at most, plus a copy already under way,
 * before its own copy starts.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "mgr.h"
#include "size.h"
#include "stopper.h"
#include "store_copy.h"
#include "timeutil.h"

#define COPIES_TICK_MS		200
#define COPIES_QUIET_MS		2000
#define COPIES_BURST_MS		30000

struct copies {
	struct mgr		*mgr;
	const char		*dir;
	int64_t			 interval_ms;
	unsigned int		 keep;
	int			 running;	/* the thread was started */
	pthread_t		 thread;
	struct stopper		 stop;
	pthread_mutex_t		 lock;		/* guards all below */
	pthread_cond_t		 answered_cond;	/* CLOCK_MONOTONIC */
	int64_t			 next_ms;	/* the next timed copy */
	int64_t			 change_first;	/* of a burst; 0: none */
	int64_t			 change_last;
	uint64_t		 asked;		/* store copy requests */
	uint64_t		 answered;	/* of them, with a copy done */
	struct copies_result	 answer;	/* of the last request */
	struct copies_state	 state;
};

static const char *
copies_due(struct copies *c, int64_t now, uint64_t *target)
{
	const char	*why = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->asked > c->answered)
		why = "asked by an admin";
	else if (c->change_first != 0 &&
	    (now - c->change_last >= COPIES_QUIET_MS ||
	    now - c->change_first >= COPIES_BURST_MS))
		why = "after a change";
	else if (now >= c->next_ms)
		why = "on schedule";
	/* A change made from now on may miss this copy: it gets its own. */
	if (why != NULL) {
		*target = c->asked;
		c->change_first = c->change_last = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return why;
}

static void
copies_record(struct copies *c, const struct copies_result *r,
    uint64_t target, int64_t now)
{
	struct copies_state	*st = &c->state;

	pthread_mutex_lock(&c->lock);
	if (r->ok) {
		snprintf(st->last_path, sizeof(st->last_path), "%s", r->path);
		st->last_time = r->time;
		st->last_size = r->size;
		st->last_ms = r->ms;
		st->last_error[0] = '\0';
		st->made++;
	} else {
		snprintf(st->last_error, sizeof(st->last_error), "%s",
		    r->error);
		st->last_error_time = r->time;
		st->failed++;
	}
	/* A failed copy too waits for the next interval. */
	c->next_ms = now + c->interval_ms;
	if (target > c->answered) {
		c->answered = target;
		c->answer = *r;
		pthread_cond_broadcast(&c->answered_cond);
	}
	pthread_mutex_unlock(&c->lock);
}

static void
copies_take(struct copies *c, const char *why, uint64_t target)
{
	struct copies_result	r;
	char			size[32], err[256];
	int64_t			start = timeutil_now_ms();
	int			removed;

	memset(&r, 0, sizeof(r));
	r.time = time(NULL);
	if (store_copy_write(c->mgr->store, c->dir, r.time, r.path,
	    sizeof(r.path), &r.size, r.error, sizeof(r.error)) == 0) {
		r.ok = 1;
		r.ms = timeutil_now_ms() - start;
		size_format(r.size, size, sizeof(size));
		log_info("store copied to %s (%s, %lld ms, %s)", r.path, size,
		    (long long)r.ms, why);
		removed = store_copy_rotate(c->dir, c->keep, err, sizeof(err));
		if (removed == -1)
			log_warnx("store copies in %s: %s", c->dir, err);
	} else
		log_warnx("store copy into %s failed (%s): %s; trying again "
		    "in %lld s", c->dir, why, r.error,
		    (long long)(c->interval_ms / 1000));
	copies_record(c, &r, target, timeutil_now_ms());
}

static void *
copies_main(void *arg)
{
	struct copies	*c = arg;
	const char	*why;
	uint64_t	 target;

	while (!stopper_wait(&c->stop, COPIES_TICK_MS))
		if ((why = copies_due(c, timeutil_now_ms(), &target)) != NULL)
			copies_take(c, why, target);
	return NULL;
}

/*
 * The schedule goes on from the newest copy in the directory, so a
 * manager restarted more often than backup_interval still copies.
 */
static void
copies_schedule(struct copies *c)
{
	struct copies_state	*st = &c->state;
	char			 name[STORE_COPY_NAME_LEN];
	time_t			 when, now = time(NULL);
	int64_t			 wait_s = 0;

	if (store_copy_newest(c->dir, name, sizeof(name), &when) == 1) {
		snprintf(st->last_path, sizeof(st->last_path), "%s/%s",
		    c->dir, name);
		st->last_time = when;
		st->last_ms = -1;
		if (when <= now)
			wait_s = (int64_t)(when - now) + c->interval_ms / 1000;
		else
			log_warnx("the newest store copy %s is dated after the "
			    "clock: copies made now sort before it, and "
			    "rotation removes them first", st->last_path);
		if (wait_s > c->interval_ms / 1000)
			wait_s = c->interval_ms / 1000;
	}
	c->next_ms = timeutil_now_ms() + (wait_s > 0 ? wait_s * 1000 : 0);
	log_info("store copies every %lld s into %s, the newest %u kept; "
	    "the next in %lld s", (long long)(c->interval_ms / 1000), c->dir,
	    c->keep, (long long)(wait_s > 0 ? wait_s : 0));
}

struct copies *
copies_start(struct mgr *m)
{
	struct copies	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->mgr = m;
	c->dir = m->conf->backup_dir;
	c->interval_ms = (int64_t)m->conf->backup_interval * 1000;
	c->keep = (unsigned int)m->conf->backup_keep;
	stopper_init(&c->stop);
	pthread_mutex_init(&c->lock, NULL);
	timeutil_cond_init(&c->answered_cond);
	if (c->dir[0] == '\0')
		return c;
	copies_schedule(c);
	if (pthread_create(&c->thread, NULL, copies_main, c) != 0) {
		copies_stop(c);
		return NULL;
	}
	c->running = 1;
	return c;
}

/* A copy under way is finished first. */
void
copies_stop(struct copies *c)
{
	if (c == NULL)
		return;
	stopper_stop(&c->stop);
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->answered_cond);
	pthread_mutex_unlock(&c->lock);
	if (c->running)
		pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->answered_cond);
	pthread_mutex_destroy(&c->lock);
	stopper_destroy(&c->stop);
	free(c);
}

void
copies_changed(struct copies *c)
{
	int64_t	now = timeutil_now_ms();

	if (c == NULL || !c->running)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->change_first == 0)
		c->change_first = now;
	c->change_last = now;
	pthread_mutex_unlock(&c->lock);
}

int
copies_now(struct copies *c, struct copies_result *r, char *err,
    size_t errlen)
{
	struct timespec	ts;
	uint64_t	mine;
	int		done;

	if (c == NULL || !c->running) {
		snprintf(err, errlen, "store copies are off: backup_dir is not "
		    "set in the manager's configuration");
		return DSP_E_STATE;
	}
	pthread_mutex_lock(&c->lock);
	mine = ++c->asked;
	while (c->answered < mine && !stopper_stopping(&c->stop)) {
		timeutil_deadline(&ts, CLOCK_MONOTONIC, 1000);
		(void)pthread_cond_timedwait(&c->answered_cond, &c->lock, &ts);
	}
	done = c->answered >= mine;
	*r = c->answer;
	pthread_mutex_unlock(&c->lock);
	if (!done) {
		snprintf(err, errlen, "the manager is stopping; no copy made");
		return DSP_E_STATE;
	}
	if (!r->ok) {
		snprintf(err, errlen, "store copy failed: %s", r->error);
		return DSP_E_IO;
	}
	return DSP_OK;
}

void
copies_describe(struct copies *c, struct copies_state *out)
{
	int64_t	now = timeutil_now_ms();

	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	*out = c->state;
	out->enabled = c->running;
	out->next_in_ms = c->next_ms - now;
	if (c->change_first != 0) {
		out->change_pending = 1;
		if (c->change_last + COPIES_QUIET_MS - now < out->next_in_ms)
			out->next_in_ms = c->change_last + COPIES_QUIET_MS -
			    now;
		if (c->change_first + COPIES_BURST_MS - now < out->next_in_ms)
			out->next_in_ms = c->change_first + COPIES_BURST_MS -
			    now;
	}
	pthread_mutex_unlock(&c->lock);
	if (out->next_in_ms < 0)
		out->next_in_ms = 0;
}
