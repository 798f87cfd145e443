/*
 * Group commit. A write is a job: a function run inside a transaction.
 * Jobs that arrive while a commit is syncing queue up; the next thread
 * to find no commit running takes the whole queue and runs every job in
 * one write transaction, each in a nested transaction of its own (a job
 * that fails leaves no trace), and commits once. Every job is answered
 * only after that commit is durable, so one sync serves many requests
 * and the throughput follows the disk's sync rate, not the request
 * count. A lone job commits at once, in a transaction of its own
 * (nobody waits for company).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"

#define BATCH_COMMITTED	1	/* what batch_run did */
#define BATCH_OWED	2

struct store_job {
	store_job_fn		 fn;
	void			*arg;
	uint64_t		 now;
	char			*err;
	size_t			 errlen;
	int			 rc;
	int			 committed;	/* its nested txn went in */
	int			 owed;
	int			 done;
	struct store_job	*next;
};

struct store_batcher {
	pthread_mutex_t		 lock;
	pthread_cond_t		 done;
	struct store_job	*head;
	struct store_job	**tail;
	int			 running;	/* a batch is being committed */
	uint64_t		 batches, jobs;	/* commits, jobs: show store */
};

int
store_batcher_init(struct store *s)
{
	struct store_batcher	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	if (pthread_mutex_init(&b->lock, NULL) != 0) {
		free(b);
		return -1;
	}
	if (pthread_cond_init(&b->done, NULL) != 0) {
		pthread_mutex_destroy(&b->lock);
		free(b);
		return -1;
	}
	b->tail = &b->head;
	s->batcher = b;
	return 0;
}

void
store_batcher_free(struct store *s)
{
	if (s->batcher == NULL)
		return;
	pthread_cond_destroy(&s->batcher->done);
	pthread_mutex_destroy(&s->batcher->lock);
	free(s->batcher);
	s->batcher = NULL;
}

static void
job_fail(struct store *s, struct store_job *j, const char *what, int mdb_rc)
{
	struct store_txn	t;

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.err = j->err;
	t.errlen = j->errlen;
	j->rc = store_mdb_fail(&t, what, mdb_rc);
	j->committed = 0;
}

static int
batch_begin(struct store *s, MDB_txn *parent, MDB_txn **txn)
{
	int	rc;

	rc = mdb_txn_begin(s->env, parent, 0, txn);
	if (rc == MDB_MAP_RESIZED && parent == NULL &&
	    (rc = mdb_env_set_mapsize(s->env, 0)) == 0)
		rc = mdb_txn_begin(s->env, NULL, 0, txn);
	return rc;
}

/* The job in a transaction of its own: nested in parent, or, for a lone
 * job (parent NULL), the batch's transaction itself. */
static void
batch_run_job(struct store *s, MDB_txn *parent, struct store_job *j)
{
	struct store_txn	t;
	int			rc;

	memset(&t, 0, sizeof(t));
	t.s = s;
	t.now = j->now;
	t.err = j->err;
	t.errlen = j->errlen;
	if ((rc = batch_begin(s, parent, &t.txn)) != 0) {
		j->rc = store_mdb_fail(&t, "starting a transaction", rc);
		return;
	}
	j->rc = j->fn(&t, j->arg);
	/* A lone job's own commit counts; a batch counts in its parent. */
	if (j->rc == DSP_OK && t.dirty && parent == NULL)
		j->rc = store_count_change(&t);
	if (j->rc == DSP_OK && t.dirty) {
		if ((rc = mdb_txn_commit(t.txn)) != 0)
			j->rc = store_mdb_fail(&t, "committing", rc);
		else {
			j->committed = 1;
			j->owed = t.owed;
		}
	} else
		mdb_txn_abort(t.txn);
	if (j->rc == DSP_OK && j->err != NULL && j->errlen > 0)
		j->err[0] = '\0';	/* no stale sentence from a lookup */
}

/* Runs the jobs in one transaction: BATCH_COMMITTED if it committed,
 * with BATCH_OWED if a push became owed. */
static int
batch_run(struct store *s, struct store_job *jobs)
{
	struct store_job	*j;
	MDB_txn			*parent;
	int			 rc, any = 0, owed = 0;

	/* Nothing to share: no nested transaction and its copies. */
	if (jobs->next == NULL) {
		batch_run_job(s, NULL, jobs);
		return !jobs->committed ? 0 : BATCH_COMMITTED |
		    (jobs->owed ? BATCH_OWED : 0);
	}
	if ((rc = batch_begin(s, NULL, &parent)) != 0) {
		for (j = jobs; j != NULL; j = j->next)
			job_fail(s, j, "starting a transaction", rc);
		return 0;
	}
	for (j = jobs; j != NULL; j = j->next) {
		batch_run_job(s, parent, j);
		any |= j->committed;
		owed |= j->owed;
	}
	if (!any) {
		mdb_txn_abort(parent);
		return 0;
	}
	if ((rc = store_changes_bump(s, parent)) != 0)
		mdb_txn_abort(parent);
	else
		rc = mdb_txn_commit(parent);
	if (rc != 0) {
		/* None of the batch is in the store. */
		for (j = jobs; j != NULL; j = j->next)
			if (j->committed)
				job_fail(s, j, "committing", rc);
		return 0;
	}
	return BATCH_COMMITTED | (owed ? BATCH_OWED : 0);
}

int
store_write(struct store *s, uint64_t now, store_job_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct store_batcher	*b = s->batcher;
	struct store_job	 job, *batch, *j, *next;
	int			 ran;

	if (s->readonly) {
		store_set_err(err, errlen, "the store is open read-only");
		return DSP_E_READONLY;
	}
	memset(&job, 0, sizeof(job));
	job.fn = fn;
	job.arg = arg;
	job.now = now;
	job.err = err;
	job.errlen = errlen;
	pthread_mutex_lock(&b->lock);
	*b->tail = &job;
	b->tail = &job.next;
	while (!job.done) {
		if (b->running) {
			pthread_cond_wait(&b->done, &b->lock);
			continue;
		}
		b->running = 1;
		batch = b->head;
		b->head = NULL;
		b->tail = &b->head;
		pthread_mutex_unlock(&b->lock);
		ran = batch_run(s, batch);
		if ((ran & BATCH_OWED) && s->owed_hook != NULL)
			s->owed_hook(s->owed_arg);
		pthread_mutex_lock(&b->lock);
		b->batches += (ran & BATCH_COMMITTED) != 0;
		/* A waiter's job lives on its stack: not touched once done. */
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			b->jobs++;
			j->done = 1;
		}
		b->running = 0;
		pthread_cond_broadcast(&b->done);
	}
	pthread_mutex_unlock(&b->lock);
	return job.rc;
}

void
store_write_counts(struct store *s, uint64_t *batches, uint64_t *jobs)
{
	pthread_mutex_lock(&s->batcher->lock);
	*batches = s->batcher->batches;
	*jobs = s->batcher->jobs;
	pthread_mutex_unlock(&s->batcher->lock);
}
