/*
 * Volume handles shared between threads (daspool.h, "Threads").
 *
 * A call on a handle runs between handle_enter and handle_leave, which
 * count it busy. Unmount, daspool_volume_close and daspool_client_close
 * cut a handle off: later calls fail at once with the cut's code; calls
 * in progress are interrupted (their connections' sockets are shut down,
 * the calling thread closes them) and return that code too; the cutter
 * waits until they have returned, then closes the connections itself.
 * While it works on a handle the cutter pins it, so that a concurrent
 * daspool_volume_close frees it only afterwards.
 *
 * Memory: only daspool_volume_close frees a handle. A client closed with
 * handles still open stays allocated, closed, until the last of them is
 * closed: a thread whose call the client close interrupted can still
 * read its handle's sentence and close it.
 *
 * Everything here is under client->vlock, which is never held across
 * I/O or a manager call.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void	handle_cut(struct daspool_volume *, int, const char *);
static void	handle_quiesce(struct daspool_volume *);

int
handle_enter(struct daspool_volume *v)
{
	struct daspool_client	*c = v->client;
	int			 code;

	pthread_mutex_lock(&c->vlock);
	if ((code = v->cut) != 0)
		volume_seterr(v, "%s", v->cut_why);
	else
		v->busy++;
	pthread_mutex_unlock(&c->vlock);
	return code;
}

void
handle_leave(struct daspool_volume *v)
{
	struct daspool_client	*c = v->client;

	pthread_mutex_lock(&c->vlock);
	if (--v->busy == 0)
		pthread_cond_broadcast(&c->vidle);
	pthread_mutex_unlock(&c->vlock);
}

int
handle_check(struct daspool_volume *v)
{
	struct daspool_client	*c = v->client;
	int			 code;

	pthread_mutex_lock(&c->vlock);
	if ((code = v->cut) != 0)
		volume_seterr(v, "%s", v->cut_why);
	pthread_mutex_unlock(&c->vlock);
	return code;
}

int
handle_is_cut(struct daspool_volume *v)
{
	struct daspool_client	*c = v->client;
	int			 code;

	pthread_mutex_lock(&c->vlock);
	code = v->cut;
	pthread_mutex_unlock(&c->vlock);
	return code;
}

/* vlock held. The first cut's code and sentence stay. */
static void
handle_cut(struct daspool_volume *v, int code, const char *why)
{
	if (v->cut == 0) {
		v->cut = code;
		snprintf(v->cut_why, sizeof(v->cut_why), "%s", why);
	}
	v->pins++;
}

/* After handle_cut: interrupts, waits, closes the connections, unpins. */
static void
handle_quiesce(struct daspool_volume *v)
{
	struct daspool_client	*c = v->client;
	char			 why[DASPOOL_ERRLEN];
	uint16_t		 i;
	int			 code, release;

	pthread_mutex_lock(&c->vlock);
	code = v->cut;
	snprintf(why, sizeof(why), "%s", v->cut_why);
	pthread_mutex_unlock(&c->vlock);
	for (i = 0; i < v->path_count; i++) {
		datapath_interrupt(v->paths[i], code, why);
		datapath_interrupt(v->map_paths[i], code, why);
	}
	mirror_interrupt(v, code, why);
	mirror_stop(v);
	pthread_mutex_lock(&c->vlock);
	while (v->busy > 0)
		pthread_cond_wait(&c->vidle, &c->vlock);
	release = !v->released;
	v->released = 1;
	pthread_mutex_unlock(&c->vlock);
	/* No thread drives them any more, nor ever will. */
	if (release) {
		for (i = 0; i < v->path_count; i++) {
			datapath_disconnect(v->paths[i]);
			datapath_disconnect(v->map_paths[i]);
		}
		mirror_disconnect(v);
	}
	pthread_mutex_lock(&c->vlock);
	v->pins--;
	pthread_cond_broadcast(&c->vidle);
	pthread_mutex_unlock(&c->vlock);
}

void
handle_shut(struct daspool_volume *v, int code, const char *why)
{
	struct daspool_client	*c = v->client;

	pthread_mutex_lock(&c->vlock);
	handle_cut(v, code, why);
	pthread_mutex_unlock(&c->vlock);
	handle_quiesce(v);
}

/*
 * One handle at a time, each picked and pinned under the lock, so the
 * list may change in between. volume NULL: every handle of the client;
 * why NULL: the sentence of a client close.
 */
void
handle_shut_volume(struct daspool_client *c, const char *volume, int code,
    const char *why)
{
	struct daspool_volume	*v;
	char			 text[DASPOOL_ERRLEN];

	for (;;) {
		pthread_mutex_lock(&c->vlock);
		for (v = c->volumes; v != NULL; v = v->next)
			if (v->cut == 0 && (volume == NULL ||
			    strcmp(v->name, volume) == 0))
				break;
		if (v != NULL) {
			if (why == NULL)
				snprintf(text, sizeof(text), "the client of "
				    "this handle of volume %s was closed",
				    v->name);
			handle_cut(v, code, why != NULL ? why : text);
		}
		pthread_mutex_unlock(&c->vlock);
		if (v == NULL)
			return;
		handle_quiesce(v);
	}
}

void
handle_shut_all(struct daspool_client *c)
{
	struct daspool_volume	*v;

	pthread_mutex_lock(&c->vlock);
	c->closed = 1;
	pthread_mutex_unlock(&c->vlock);
	handle_shut_volume(c, NULL, DASPOOL_ERR_CLOSED, NULL);
	/* Cutters of their own (an unmount, a handle's close) finish. */
	pthread_mutex_lock(&c->vlock);
	for (;;) {
		for (v = c->volumes; v != NULL; v = v->next)
			if (v->pins > 0 || v->busy > 0)
				break;
		if (v == NULL)
			break;
		pthread_cond_wait(&c->vidle, &c->vlock);
	}
	pthread_mutex_unlock(&c->vlock);
}

int
handle_link(struct daspool_volume *v)
{
	struct daspool_client	*c = v->client;
	int			 rc = 0;

	pthread_mutex_lock(&c->vlock);
	if (c->closed)
		rc = -1;
	else {
		v->next = c->volumes;
		c->volumes = v;
	}
	pthread_mutex_unlock(&c->vlock);
	return rc;
}

int
handle_unlink(struct daspool_volume *v)
{
	struct daspool_client	 *c = v->client;
	struct daspool_volume	**vp;
	int			  last;

	pthread_mutex_lock(&c->vlock);
	while (v->pins > 0)
		pthread_cond_wait(&c->vidle, &c->vlock);
	for (vp = &c->volumes; *vp != NULL; vp = &(*vp)->next)
		if (*vp == v) {
			*vp = v->next;
			break;
		}
	last = c->zombie && c->volumes == NULL;
	pthread_mutex_unlock(&c->vlock);
	return last;
}

int
handle_client_done(struct daspool_client *c)
{
	int	free_now;

	pthread_mutex_lock(&c->vlock);
	if (!(free_now = c->volumes == NULL))
		c->zombie = 1;
	pthread_mutex_unlock(&c->vlock);
	return free_now;
}
