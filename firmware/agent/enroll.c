/*
 * The agent's link to the manager: REGISTER its regions, take the
 * volume generations the manager sends back, a page at a time (each
 * persisted, and every older request drained, before it is
 * acknowledged with FENCE_ACK; GENERATIONS asks for the next page),
 * then HEARTBEAT until the connection fails; reconnect with backoff.
 * After the first complete registration the state_dir is marked
 * synced, which lets an agent whose state was lost serve data.
 * Logged once per change of state, not per attempt.
 */
#include <sys/socket.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "channel.h"
#include "generations.h"
#include "log.h"
#include "records.h"
#include "region.h"
#include "stopper.h"
#include "tls.h"

#define ENROLL_CONNECT_MS	5000
#define ENROLL_BACKOFF_MIN_MS	200
#define ENROLL_BACKOFF_MAX_MS	5000

struct enroll {
	struct agent		*agent;
	const char		*log_tag;	/* its starter's (log.h) */
	pthread_t		 thread;
	struct stopper		 stop;
	pthread_mutex_t		 lock;		/* guards fd */
	int			 fd;		/* live connection, or -1 */
	int			 up;		/* registered now */
	int			 was_cut_off;	/* lost the manager once */
	char			 last_error[512];
	struct msg_register	 reg;
	struct msg_generation_page page;
	struct msg_volume_names	 asked;		/* FENCE_ACK reply */
	size_t			 acked;		/* volumes, this session */
	dsp_name		*listed;	/* in the pages, in order */
	size_t			 nlisted;
	size_t			 caplisted;
	size_t			 reported;	/* records sent, this session */
	size_t			 dropped;	/* of those, the manager's drops */
};

static void
enroll_fill_register(struct enroll *e)
{
	struct agent		*a = e->agent;
	struct msg_register	*reg = &e->reg;
	struct msg_region	*mr;
	struct region		*r;
	unsigned int		 i;

	memset(reg, 0, sizeof(*reg));
	snprintf(reg->server, sizeof(reg->server), "%s", a->conf->server);
	snprintf(reg->host, sizeof(reg->host), "%s",
	    a->conf->advertise_address);
	reg->port = a->port;
	reg->region_count = (uint16_t)a->region_count;
	for (i = 0; i < a->region_count; i++) {
		r = a->regions[i];
		mr = &reg->regions[i];
		snprintf(mr->name, sizeof(mr->name), "%s", region_name(r));
		mr->size = region_size(r);
		mr->available = (uint8_t)region_available(r);
		snprintf(mr->reason, sizeof(mr->reason), "%s", region_reason(r));
		region_backing(r, mr->backing, sizeof(mr->backing));
	}
}

static int
enroll_call(struct channel *ch, uint8_t opcode, const struct buf_writer *req,
    const uint8_t **reply, size_t *reply_len, char *err, size_t errlen)
{
	char	msg[256];
	int	rc;

	if (req->error) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = channel_call(ch, opcode, req, reply, reply_len, msg, sizeof(msg));
	if (rc == -1) {
		snprintf(err, errlen, "connection lost during %s",
		    dsp_opcode_name(opcode));
		return -1;
	}
	if (rc != DSP_OK) {
		snprintf(err, errlen, "%s refused: %s: %s",
		    dsp_opcode_name(opcode), dsp_status_name((uint32_t)rc), msg);
		return -1;
	}
	return 0;
}

/* Sends the record kept for volume (if any) and does as the manager
 * says: keep it, or drop it when it is not a volume of the pool. */
static int
enroll_report(struct enroll *e, struct channel *ch, const char *volume,
    char *err, size_t errlen)
{
	struct buf_writer	 w;
	const uint8_t		*reply;
	uint8_t			*bytes, digest[DSP_DIGEST_LEN], verdict;
	size_t			 len, reply_len;
	int			 rc;

	if ((rc = records_get(e->agent->records, volume, &bytes, &len)) != 1) {
		if (rc == -1)
			log_warnx("volume %s: cannot read its record", volume);
		return 0;
	}
	buf_writer_init(&w);
	buf_put_bytes(&w, bytes, len);
	rc = enroll_call(ch, DSP_OP_VOLUME_RECORD, &w, &reply, &reply_len, err,
	    errlen);
	buf_writer_free(&w);
	if (rc == 0 && msg_decode_verdict(reply, reply_len, &verdict) != DSP_OK) {
		snprintf(err, errlen, "malformed volume-record reply");
		rc = -1;
	}
	if (rc == 0) {
		e->reported++;
		if (verdict == DSP_RECORD_DROP) {
			msg_digest_bytes(bytes, len, digest);
			rc = records_drop(e->agent->records, volume, UINT64_MAX,
			    digest, err, errlen);
			log_info("volume %s: the manager has no such volume; "
			    "its record here is dropped", volume);
			e->dropped++;
		}
	}
	free(bytes);
	return rc;
}

/* Remembers the volumes of a page: the records of others go to the
 * manager after the last page. */
static int
enroll_note_listed(struct enroll *e, char *err, size_t errlen)
{
	dsp_name	*p;
	uint16_t	 i;

	for (i = 0; i < e->page.gens.count; i++) {
		if (e->nlisted == e->caplisted) {
			e->caplisted = e->caplisted ? e->caplisted * 2 : 256;
			if ((p = reallocarray(e->listed, e->caplisted,
			    sizeof(*p))) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			e->listed = p;
		}
		memcpy(e->listed[e->nlisted++], e->page.gens.items[i].volume,
		    sizeof(dsp_name));
	}
	return 0;
}

/* What this agent holds for each volume of the page: the highest
 * generation seen (so a manager restored from an older copy learns
 * it), and the revision and digest of the record kept. */
static void
enroll_fill_ack(struct enroll *e)
{
	struct msg_generation	*g;
	uint16_t		 i;

	for (i = 0; i < e->page.gens.count; i++) {
		g = &e->page.gens.items[i];
		g->generation = generations_get(e->agent->generations,
		    g->volume);
		if (records_summary(e->agent->records, g->volume,
		    &g->revision, g->digest) == -1)
			log_warnx("volume %s: cannot read its record",
			    g->volume);
	}
}

/* Persists a page of generations (waiting out older requests),
 * acknowledges it, and sends the records the manager asks for. */
static int
enroll_ack_page(struct enroll *e, struct channel *ch, struct buf_writer *w,
    char *err, size_t errlen)
{
	const uint8_t	*reply;
	size_t		 reply_len;
	uint16_t	 i;

	if (generations_raise(e->agent->generations, e->page.gens.items,
	    e->page.gens.count, err, errlen) == -1 ||
	    enroll_note_listed(e, err, errlen) == -1)
		return -1;
	enroll_fill_ack(e);
	buf_writer_reset(w);
	msg_encode_generations(w, &e->page.gens);
	if (enroll_call(ch, DSP_OP_FENCE_ACK, w, &reply, &reply_len, err,
	    errlen) == -1)
		return -1;
	if (msg_decode_volume_names(reply, reply_len, &e->asked) != DSP_OK) {
		snprintf(err, errlen, "malformed fence-ack reply");
		return -1;
	}
	e->acked += e->page.gens.count;
	for (i = 0; i < e->asked.count; i++)
		if (enroll_report(e, ch, e->asked.names[i], err, errlen) == -1)
			return -1;
	return 0;
}

static int
enroll_cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* After the last page: the records of volumes the manager did not
 * list (a manager rebuilding its table learns the pool from these). */
static int
enroll_report_unlisted(struct enroll *e, struct channel *ch, char *err,
    size_t errlen)
{
	dsp_name	*names;
	size_t		 count, i;
	int		 rc = 0;

	if (records_names(e->agent->records, &names, &count, err,
	    errlen) == -1)
		return -1;
	for (i = 0; rc == 0 && i < count; i++)
		if (e->nlisted == 0 || bsearch(names[i], e->listed,
		    e->nlisted, sizeof(dsp_name), enroll_cmp_name) == NULL)
			rc = enroll_report(e, ch, names[i], err, errlen);
	free(names);
	return rc;
}

/* Takes a REGISTER or GENERATIONS reply into e->page. */
static int
enroll_take_page(struct enroll *e, const uint8_t *reply, size_t reply_len,
    char *err, size_t errlen)
{
	if (msg_decode_generation_page(reply, reply_len,
	    &e->page) != DSP_OK) {
		snprintf(err, errlen, "malformed page of generations from the "
		    "manager");
		return -1;
	}
	return 0;
}

/* REGISTER, then every page of generations, then the synced mark. */
static int
enroll_register(struct enroll *e, struct channel *ch, char *err,
    size_t errlen)
{
	struct buf_writer	 w;
	struct msg_volume_ref	 after;
	const uint8_t		*reply;
	size_t			 reply_len;
	int			 rc = -1;

	buf_writer_init(&w);
	enroll_fill_register(e);
	msg_encode_register(&w, &e->reg);
	e->acked = e->nlisted = e->reported = e->dropped = 0;
	if (enroll_call(ch, DSP_OP_REGISTER, &w, &reply, &reply_len, err,
	    errlen) == -1 ||
	    enroll_take_page(e, reply, reply_len, err, errlen) == -1)
		goto done;
	for (;;) {
		if (enroll_ack_page(e, ch, &w, err, errlen) == -1)
			goto done;
		if (!e->page.more)
			break;
		memset(&after, 0, sizeof(after));
		memcpy(after.volume, e->page.gens.items[e->page.gens.count -
		    1].volume, sizeof(after.volume));
		buf_writer_reset(&w);
		msg_encode_volume_ref(&w, &after);
		if (enroll_call(ch, DSP_OP_GENERATIONS, &w, &reply, &reply_len,
		    err, errlen) == -1 ||
		    enroll_take_page(e, reply, reply_len, err, errlen) == -1)
			goto done;
	}
	if (enroll_report_unlisted(e, ch, err, errlen) == 0)
		rc = generations_set_synced(e->agent->generations, err, errlen);
done:
	buf_writer_free(&w);
	return rc;
}

static int
enroll_heartbeats(struct enroll *e, struct channel *ch, char *err,
    size_t errlen)
{
	struct buf_writer	 w;
	const uint8_t		*reply;
	size_t			 reply_len;
	int			 rc = 0;

	/* The first one at once: it tells the manager the registration
	 * is complete. */
	buf_writer_init(&w);
	do {
		if ((rc = enroll_call(ch, DSP_OP_HEARTBEAT, &w, &reply,
		    &reply_len, err, errlen)) == -1)
			break;
	} while (!stopper_wait(&e->stop,
	    e->agent->conf->heartbeat_interval * 1000L));
	buf_writer_free(&w);
	return rc;
}

static void
enroll_registered(struct enroll *e)
{
	struct agent	*a = e->agent;
	unsigned int	 i, down = 0;

	for (i = 0; i < a->region_count; i++)
		if (!region_available(a->regions[i]))
			down++;
	log_info("registered with manager %s:%u as %s: %u regions (%u "
	    "unavailable), generations of %zu volumes acknowledged, %zu "
	    "volume records reported (%zu dropped)", a->conf->manager_address,
	    a->conf->manager_port, a->conf->server, a->region_count, down,
	    e->acked, e->reported, e->dropped);
	if (!agent_manager_reachable(a) && e->was_cut_off)
		log_info("the manager answers again: tickets expire as "
		    "they say");
	__atomic_store_n(&a->manager_reachable, 1, __ATOMIC_RELEASE);
	e->was_cut_off = 0;
	e->up = 1;
	e->last_error[0] = '\0';
}

static void
enroll_failed(struct enroll *e, const char *err)
{
	const struct agent_config	*conf = e->agent->conf;

	if (agent_manager_reachable(e->agent))
		log_warnx("manager %s:%u out of reach: tickets of the newest "
		    "generation are honoured past their expiry until it "
		    "answers again", conf->manager_address, conf->manager_port);
	__atomic_store_n(&e->agent->manager_reachable, 0, __ATOMIC_RELEASE);
	e->was_cut_off = 1;
	if (e->up)
		log_warnx("lost manager %s:%u: %s; reconnecting",
		    conf->manager_address, conf->manager_port, err);
	else if (strcmp(err, e->last_error) != 0)
		log_warnx("cannot register with manager %s:%u: %s; retrying",
		    conf->manager_address, conf->manager_port, err);
	else
		log_debug("manager %s:%u: %s", conf->manager_address,
		    conf->manager_port, err);
	e->up = 0;
	snprintf(e->last_error, sizeof(e->last_error), "%s", err);
}

/* One connection's life. 0 if it got registered, -1 if not. */
static int
enroll_session(struct enroll *e, char *err, size_t errlen)
{
	const struct agent_config	*conf = e->agent->conf;
	const struct tls_peer		 manager = { DSP_ROLE_MANAGER,
					    e->agent->manager_name };
	struct tls_conn			*tls;
	struct channel			*ch;
	int				 registered = -1;

	/* Only the manager whose key signs our tickets may hear our regions
	 * and hand us generations. */
	tls = tls_connect(e->agent->tls_client, conf->manager_address,
	    conf->manager_port, &manager, ENROLL_CONNECT_MS, err, errlen);
	if (tls == NULL)
		return -1;
	ch = channel_from_tls(tls);
	channel_set_timeout(ch, ENROLL_CONNECT_MS +
	    conf->heartbeat_interval * 1000);
	pthread_mutex_lock(&e->lock);
	e->fd = stopper_stopping(&e->stop) ? -1 : channel_fd(ch);
	pthread_mutex_unlock(&e->lock);
	if (e->fd != -1 && enroll_register(e, ch, err, errlen) == 0) {
		registered = 0;
		enroll_registered(e);
		if (enroll_heartbeats(e, ch, err, errlen) == 0)
			snprintf(err, errlen, "stopping");
	}
	pthread_mutex_lock(&e->lock);
	e->fd = -1;
	pthread_mutex_unlock(&e->lock);
	channel_close(ch);
	return registered;
}

static void *
enroll_main(void *arg)
{
	struct enroll	*e = arg;
	char		 err[512];
	long		 backoff = ENROLL_BACKOFF_MIN_MS;

	log_set_tag(e->log_tag);
	while (!stopper_stopping(&e->stop)) {
		err[0] = '\0';
		if (enroll_session(e, err, sizeof(err)) == 0)
			backoff = ENROLL_BACKOFF_MIN_MS;
		if (stopper_stopping(&e->stop))
			break;
		enroll_failed(e, err);
		if (stopper_wait(&e->stop, backoff))
			break;
		backoff *= 2;
		if (backoff > ENROLL_BACKOFF_MAX_MS)
			backoff = ENROLL_BACKOFF_MAX_MS;
	}
	return NULL;
}

struct enroll *
enroll_start(struct agent *a, char *err, size_t errlen)
{
	struct enroll	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->agent = a;
	e->log_tag = log_tag();
	e->fd = -1;
	stopper_init(&e->stop);
	pthread_mutex_init(&e->lock, NULL);
	if (pthread_create(&e->thread, NULL, enroll_main, e) != 0) {
		snprintf(err, errlen, "cannot start the manager thread");
		pthread_mutex_destroy(&e->lock);
		stopper_destroy(&e->stop);
		free(e);
		return NULL;
	}
	return e;
}

void
enroll_stop(struct enroll *e)
{
	if (e == NULL)
		return;
	stopper_stop(&e->stop);
	/* A session that saw no stop flag has published its fd by now. */
	pthread_mutex_lock(&e->lock);
	if (e->fd != -1)
		shutdown(e->fd, SHUT_RDWR);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	pthread_mutex_destroy(&e->lock);
	stopper_destroy(&e->stop);
	free(e->listed);
	free(e);
}
