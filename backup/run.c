/*
 * A backup run (run.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "copy.h"
#include "log.h"
#include "retention.h"
#include "run.h"

struct recycler {
	const struct backup_config	*conf;
	struct catalog			*cat;
	struct retention		 r;
};

/* stream.h's scratch: the config's reserve. */
static int
scratch_tape(void *arg, const char *label)
{
	const struct recycler	*rc = arg;

	return backup_config_scratch(rc->conf, label);
}

static int
newest_copy(const struct catalog_copy *c, void *arg)
{
	uint64_t	*t = arg;

	if (c->time > *t)
		*t = c->time;
	return 0;
}

/* stream.h's recycle: a full tape whose copies all expired. */
static int
recycle_tape(void *arg, const char *label, int take, uint64_t *age)
{
	struct recycler	*rc = arg;
	uint64_t	 held;

	if (take) {
		catalog_forget_tape(rc->cat, label);
		return 1;
	}
	if (retention_tape_free(rc->cat, &rc->r, label, time(NULL), &held) !=
	    1)
		return 0;
	*age = 0;
	catalog_each_on_tape(rc->cat, label, newest_copy, age);
	return 1;
}

/* A copy made: into the catalog; its number, or 0. */
static uint64_t
run_record(struct run *r, const struct copy_result *res)
{
	struct catalog_copy	c;
	char			err[512];
	unsigned int		i;

	memset(&c, 0, sizeof(c));
	snprintf(c.volume, sizeof(c.volume), "%s", res->m.volume);
	c.time = res->m.time;
	c.kind = (uint8_t)res->m.kind;
	c.size = res->m.size;
	c.stored = res->stored;
	memcpy(c.tree, res->m.tree, sizeof(c.tree));
	c.nparts = (uint8_t)res->stream.nparts;
	for (i = 0; i < res->stream.nparts; i++)
		c.parts[i] = res->stream.parts[i];
	if (catalog_add(r->cat, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "daspool-backup: %s: copied but not "
		    "catalogued: %s\n", res->m.volume, err);
		return 0;
	}
	return c.id;
}

static void
run_tell_status(struct run *r, int now)
{
	char	err[512];
	time_t	t = time(NULL);

	if (r->status_dir == NULL || (!now && t == r->told))
		return;
	r->told = t;
	if (status_write(r->status_dir, &r->st, err, sizeof(err)) != 0)
		log_warnx("%s", err);
}

/* copy.h's progress: at most a status write a second, but the first
 * (what is due) at once. */
static void
run_progress(void *arg, uint64_t done, uint64_t due)
{
	struct run	*r = arg;

	r->st.done = done;
	r->st.due = due;
	run_tell_status(r, done == 0);
}

static void
run_tell_copy(struct run *r, const char *volume, uint64_t id,
    const struct copy_result *res)
{
	unsigned int	p;

	fprintf(r->out, "copied %s", volume);
	if (id != 0)
		fprintf(r->out, " as copy %llu", (unsigned long long)id);
	fprintf(r->out, ": %llu bytes of %llu in %.3f s, to",
	    (unsigned long long)res->stored,
	    (unsigned long long)res->m.size, res->seconds);
	for (p = 0; p < res->stream.nparts; p++)
		fprintf(r->out, " %s:%u", res->stream.parts[p].label,
		    res->stream.parts[p].file);
	fprintf(r->out, "\n");
	fflush(r->out);
}

static void
run_options(struct run *r, const char *volume, struct copy_opts *co,
    struct recycler *rec)
{
	memset(co, 0, sizeof(*co));
	co->volume = volume;
	co->mounted = r->conf->mounted == MOUNTED_SKIP ? COPY_MOUNTED_SKIP :
	    r->conf->mounted == MOUNTED_SPLIT_LEG ? COPY_MOUNTED_SPLIT :
	    COPY_MOUNTED_COPY;
	co->readers = r->conf->readers;
	co->progress = run_progress;
	co->progress_arg = r;
	if (r->cat != NULL) {
		rec->cat = r->cat;
		rec->r.keep_days = r->conf->keep_days;
		rec->r.keep_copies = r->conf->keep_copies;
		co->tapes.recycle = recycle_tape;
	}
	rec->conf = r->conf;
	co->tapes.scratch = scratch_tape;
	co->tapes.arg = rec;
}

static void
run_audit_copy(struct run *r, uint64_t id, const struct copy_result *res)
{
	char		where[64] = "";
	unsigned int	p;
	size_t		n;

	for (p = 0; p < res->stream.nparts; p++) {
		n = strlen(where);
		snprintf(where + n, sizeof(where) - n, " %s:%u",
		    res->stream.parts[p].label, res->stream.parts[p].file);
	}
	backup_audit(r->client, "backup-copy", res->m.volume, "copy %llu, "
	    "%s, %llu bytes stored of %llu, on%s", (unsigned long long)id,
	    manifest_kind_name(res->m.kind), (unsigned long long)res->stored,
	    (unsigned long long)res->m.size, where);
}

int
run_copy(struct run *r, const char *volume)
{
	struct copy_opts	co;
	struct copy_result	res;
	struct recycler		rec;
	char			err[1024];
	uint64_t		id = 0;
	int			got, rc;

	run_options(r, volume, &co, &rec);
	snprintf(r->st.volume, sizeof(r->st.volume), "%s", volume);
	r->st.copy_started = (uint64_t)time(NULL);
	r->st.done = r->st.due = 0;
	run_tell_status(r, 1);
	if ((got = copy_volume(r->client, r->lib, &co, &res, err,
	    sizeof(err))) == 1) {
		fprintf(r->out, "skipped %s: %s\n", volume, err);
		fflush(r->out);
		r->st.skipped++;
		rc = 1;
	} else if (got != 0) {
		fprintf(stderr, "daspool-backup: %s: %s\n", volume, err);
		backup_audit(r->client, "backup-copy-failed", volume, "%s",
		    err);
		r->st.failed++;
		rc = -1;
	} else {
		if (r->cat != NULL && (id = run_record(r, &res)) == 0)
			got = -1;
		run_tell_copy(r, volume, id, &res);
		run_audit_copy(r, id, &res);
		r->st.copied += got == 0;
		r->st.failed += got != 0;
		rc = got;
	}
	manifest_free(&res.m);
	r->st.volume[0] = '\0';
	return rc;
}

struct run_list {
	const struct backup_config	*conf;
	char				**names;
	unsigned int			 n, cap;
	int				 nomem;
};

static void
run_list_add(const char *volume, void *arg)
{
	struct run_list	*l = arg;
	char		**grown;

	if (l->nomem || !backup_config_wants(l->conf, volume))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((grown = realloc(l->names, l->cap * sizeof(*grown))) ==
		    NULL) {
			l->nomem = 1;
			return;
		}
		l->names = grown;
	}
	if ((l->names[l->n] = strdup(volume)) == NULL)
		l->nomem = 1;
	else
		l->n++;
}

static void
run_list_free(struct run_list *l)
{
	while (l->n > 0)
		free(l->names[--l->n]);
	free(l->names);
}

/* The run's end: its figures become the last run's. */
static void
run_end(struct run *r, int all, char *err, size_t errlen)
{
	struct backup_status	*s = &r->st;

	s->running = 0;
	s->last_started = s->run_started;
	s->last_ended = (uint64_t)time(NULL);
	s->last_copied = s->copied;
	s->last_skipped = s->skipped;
	s->last_failed = s->failed;
	run_tell_status(r, 1);
	if (all && r->cat != NULL && catalog_put_u64(r->cat, "last_run",
	    s->run_started, err, errlen) != 0)
		log_warnx("%s", err);
	fprintf(r->out, "run ended: %u copied, %u skipped, %u failed in "
	    "%llu s\n", s->copied, s->skipped, s->failed,
	    (unsigned long long)(s->last_ended - s->run_started));
	backup_audit(r->client, "backup-run", NULL, "ended: %u copied, %u "
	    "skipped, %u failed in %llu s", s->copied, s->skipped, s->failed,
	    (unsigned long long)(s->last_ended - s->run_started));
	fflush(r->out);
}

int
run_volumes(struct run *r, char *const *volumes, unsigned int n, char *err,
    size_t errlen)
{
	struct run_list	l;
	unsigned int	i;
	int		all = n == 0;

	memset(&l, 0, sizeof(l));
	l.conf = r->conf;
	if (n == 0) {
		if (daspool_backup_list(r->client, run_list_add, &l) != 0 ||
		    l.nomem) {
			snprintf(err, errlen, "listing the volumes: %s",
			    l.nomem ? "out of memory" :
			    daspool_client_error(r->client));
			run_list_free(&l);
			return -1;
		}
		volumes = l.names;
		n = l.n;
	}
	if (r->status_dir != NULL)
		(void)status_read(r->status_dir, &r->st, err, errlen);
	r->st.pid = (long)getpid();
	r->st.running = 1;
	r->st.run_started = (uint64_t)time(NULL);
	r->st.copied = r->st.skipped = r->st.failed = 0;
	r->st.total = n;
	backup_audit(r->client, "backup-run", NULL, "started: %u volumes%s",
	    n, all ? "" : " named");
	for (i = 0; i < n; i++) {
		if (r->stop != NULL && *r->stop) {
			fprintf(r->out, "stopped before %s: %u volumes not "
			    "copied\n", volumes[i], n - i);
			all = 0;
			break;
		}
		r->st.index = i + 1;
		(void)run_copy(r, volumes[i]);
	}
	run_end(r, all, err, errlen);
	run_list_free(&l);
	return r->st.failed > 0;
}
