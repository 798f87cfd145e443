/*
 * Listeners and connections. The TLS port is behind a gate (gate.h),
 * which runs the handshakes and refuses floods; the admin socket has an
 * accept thread of its own. Each connection then gets a detached thread
 * that (on the admin socket) checks the peer's credentials and serves
 * requests one at a time until the peer leaves.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "config.h"
#include "control.h"
#include "gate.h"
#include "log.h"
#include "mgr.h"
#include "mirror.h"
#include "net.h"
#include "timeutil.h"
#include "tls.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS		59
#endif

#define CONTROL_STOP_WAIT_MS	8000
#define CONTROL_PAUSE_MS	1000
#define CONTROL_STACK		(1024 * 1024)
#define CONTROL_MAX_GROUPS	256
#define CONTROL_LOCAL_MAX	64	/* admin socket, apart from the gate's */
/* A peer that takes no bytes of a reply for this long is gone. */
#define CONTROL_SEND_MS		30000
#define ROLE_BIT(r)		(1U << (r))

struct control_conn {
	struct conn		 c;
	struct control		*ctl;
	int			 fd;		/* until a channel owns it */
	struct tls_conn		*tls;		/* TLS: until a channel owns it */
	int			 live_fd;	/* shut down at stop; -1 if none */
	TAILQ_ENTRY(control_conn) entry;
};

TAILQ_HEAD(control_conns, control_conn);

struct control {
	struct mgr		*mgr;
	struct gate		*gate;
	int			 tcp_fd;
	int			 unix_fd;
	int			 wake[2];
	pthread_t		 thread;
	int			 running;
	pthread_mutex_t		 lock;
	pthread_cond_t		 drained;
	struct control_conns	 conns;
	unsigned int		 count;		/* all connections */
	unsigned int		 nlocal;	/* on the admin socket */
	int			 stopping;
	uint64_t		 serial;
	uint16_t		 port;		/* bound TLS port */
	char			 unix_path[108];
};

/* Who may send what. */
static const struct control_handler {
	uint8_t		 opcode;
	unsigned int	 roles;
	const char	*what;		/* "certificate role X may not ..." */
	mgr_handler	 fn;
} control_handlers[] = {
	{ DSP_OP_REGISTER, ROLE_BIT(DSP_ROLE_AGENT), "register regions",
	    agents_handle_register },
	{ DSP_OP_HEARTBEAT, ROLE_BIT(DSP_ROLE_AGENT), "send heartbeats",
	    agents_handle_heartbeat },
	{ DSP_OP_FENCE_ACK, ROLE_BIT(DSP_ROLE_AGENT), "acknowledge fences",
	    agents_handle_fence_ack },
	{ DSP_OP_GENERATIONS, ROLE_BIT(DSP_ROLE_AGENT), "read generations",
	    agents_handle_generations },
	{ DSP_OP_VOLUME_RECORD, ROLE_BIT(DSP_ROLE_AGENT),
	    "report volume records", agents_handle_volume_record },
	{ DSP_OP_ALLOCATE, ROLE_BIT(DSP_ROLE_BORROWER), "allocate volumes",
	    lending_handle_allocate },
	{ DSP_OP_MOUNT, ROLE_BIT(DSP_ROLE_BORROWER), "mount volumes",
	    lending_handle_mount },
	{ DSP_OP_RENEW, ROLE_BIT(DSP_ROLE_BORROWER), "renew mount tickets",
	    lending_handle_renew },
	{ DSP_OP_UNMOUNT, ROLE_BIT(DSP_ROLE_BORROWER), "unmount volumes",
	    lending_handle_unmount },
	{ DSP_OP_RELEASE, ROLE_BIT(DSP_ROLE_BORROWER), "release volumes",
	    lending_handle_release },
	{ DSP_OP_MIRROR_STATUS, ROLE_BIT(DSP_ROLE_BORROWER) |
	    ROLE_BIT(DSP_ROLE_BACKUP), "read mirror leg states",
	    mirror_handle_status },
	{ DSP_OP_LEG_FAIL, ROLE_BIT(DSP_ROLE_BORROWER),
	    "report failed mirror legs", mirror_handle_leg_fail },
	{ DSP_OP_MARK_DIRTY, ROLE_BIT(DSP_ROLE_BORROWER),
	    "mark mirror chunks dirty", mirror_handle_mark_dirty },
	{ DSP_OP_RESYNC_BEGIN, ROLE_BIT(DSP_ROLE_BORROWER),
	    "resync mirror legs", mirror_handle_resync_begin },
	{ DSP_OP_RESYNC_PROGRESS, ROLE_BIT(DSP_ROLE_BORROWER),
	    "report resync progress", mirror_handle_resync_progress },
	{ DSP_OP_RESYNC_DONE, ROLE_BIT(DSP_ROLE_BORROWER),
	    "finish mirror resyncs", mirror_handle_resync_done },
	{ DSP_OP_BACKUP_OPEN, ROLE_BIT(DSP_ROLE_BACKUP),
	    "open volumes for backup", lending_handle_backup_open },
	{ DSP_OP_BACKUP_LIST, ROLE_BIT(DSP_ROLE_BACKUP),
	    "list volumes for backup", backup_handle_list },
	{ DSP_OP_BACKUP_AUDIT, ROLE_BIT(DSP_ROLE_BACKUP),
	    "record backup events", backup_handle_audit },
	{ DSP_OP_SPLIT_LEG, ROLE_BIT(DSP_ROLE_BACKUP),
	    "split mirror legs off for backup", split_handle_leg },
	{ DSP_OP_SPLIT_END, ROLE_BIT(DSP_ROLE_BACKUP),
	    "give split mirror legs back", split_handle_end },
	{ DSP_OP_ADMIN, ROLE_BIT(DSP_ROLE_ADMIN) | ROLE_BIT(DSP_ROLE_MONITOR),
	    "run admin commands",
	    admin_handle },
};

static void	*control_main(void *);
static void	*control_conn_main(void *);
static void	 control_spawn(struct control *, struct control_conn *);

static const struct control_handler *
control_handler_find(uint8_t opcode)
{
	size_t	i;

	for (i = 0; i < sizeof(control_handlers) / sizeof(control_handlers[0]);
	    i++)
		if (control_handlers[i].opcode == opcode)
			return &control_handlers[i];
	return NULL;
}

/* The admin socket's directory is made if missing (e.g. /run/daspool). */
static int
control_socket_dir(const char *path, char *err, size_t errlen)
{
	char	 dir[108], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s for the admin socket: %s",
		    dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int
control_open_unix(struct control *ctl, char *err, size_t errlen)
{
	const struct mgr_config	*conf = ctl->mgr->conf;
	char			 why[256];

	if (control_socket_dir(conf->admin_socket, err, errlen) == -1)
		return -1;
	if ((ctl->unix_fd = net_listen_unix(conf->admin_socket, why,
	    sizeof(why))) == -1) {
		snprintf(err, errlen, "admin socket: %s", why);
		return -1;
	}
	snprintf(ctl->unix_path, sizeof(ctl->unix_path), "%s",
	    conf->admin_socket);
	/* With a monitor_group, anyone may connect: the check of the
	 * peer's credentials that follows says who may do what. */
	if (conf->has_monitor_gid && chmod(conf->admin_socket, 0666) == -1) {
		snprintf(err, errlen, "cannot open admin socket %s to "
		    "monitor_group %s: %s", conf->admin_socket,
		    conf->monitor_group, strerror(errno));
		return -1;
	}
	if (!conf->has_admin_gid || conf->has_monitor_gid)
		return 0;
	/* Members of admin_group may connect; the uid check follows. */
	if (chown(conf->admin_socket, (uid_t)-1, conf->admin_gid) == -1 ||
	    chmod(conf->admin_socket, S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP)
	    == -1) {
		snprintf(err, errlen, "cannot open admin socket %s to group %s: "
		    "%s", conf->admin_socket, conf->admin_group,
		    strerror(errno));
		return -1;
	}
	return 0;
}

struct control *
control_open(struct mgr *m, char *err, size_t errlen)
{
	struct control	*ctl;
	char		 why[256];

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->mgr = m;
	ctl->tcp_fd = ctl->unix_fd = ctl->wake[0] = ctl->wake[1] = -1;
	TAILQ_INIT(&ctl->conns);
	pthread_mutex_init(&ctl->lock, NULL);
	timeutil_cond_init(&ctl->drained);
	if ((ctl->tcp_fd = net_listen(m->conf->listen_address,
	    m->conf->listen_port, why, sizeof(why))) == -1) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	ctl->port = net_local_port(ctl->tcp_fd);
	if (control_open_unix(ctl, err, errlen) == -1)
		goto fail;
	if (pipe2(ctl->wake, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	return ctl;
fail:
	control_close(ctl);
	return NULL;
}

/* The gate's hand-off: an authenticated TLS connection. */
static void
control_handoff(void *arg, struct tls_conn *tls, const char *addr)
{
	struct control		*ctl = arg;
	struct control_conn	*cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		log_warnx("%s: out of memory; connection refused", addr);
		gate_release(ctl->gate, tls_peer_name(tls));
		tls_close(tls);
		return;
	}
	cc->ctl = ctl;
	cc->fd = -1;
	cc->tls = tls;
	cc->live_fd = -1;
	cc->c.mgr = ctl->mgr;
	snprintf(cc->c.addr, sizeof(cc->c.addr), "%s", addr);
	control_spawn(ctl, cc);
}

int
control_start(struct control *ctl, char *err, size_t errlen)
{
	int	rc;

	ctl->gate = gate_start(ctl->tcp_fd, ctl->mgr->tls_server,
	    &ctl->mgr->conf->gate, control_handoff, ctl, "manager port", err,
	    errlen);
	ctl->tcp_fd = -1;	/* the gate owns it now */
	if (ctl->gate == NULL)
		return -1;
	if ((rc = pthread_create(&ctl->thread, NULL, control_main, ctl)) != 0) {
		snprintf(err, errlen, "cannot start the accept thread: %s",
		    strerror(rc));
		return -1;
	}
	ctl->running = 1;
	log_info("listening on %s:%u and on admin socket %s",
	    ctl->mgr->conf->listen_address, ctl->port, ctl->unix_path);
	return 0;
}

/*
 * Counts the connection in, or refuses it past the cap. The admin
 * socket has a cap of its own, so a flood of TLS connections cannot
 * lock the admin out; the gate caps the TLS ones.
 */
static int
control_admit(struct control *ctl, struct control_conn *cc)
{
	pthread_mutex_lock(&ctl->lock);
	if (cc->c.local && ctl->nlocal >= CONTROL_LOCAL_MAX) {
		pthread_mutex_unlock(&ctl->lock);
		log_warnx("%s: connection refused: %u connections open (admin "
		    "socket limit)", cc->c.addr, ctl->nlocal);
		return -1;
	}
	if (ctl->stopping) {
		pthread_mutex_unlock(&ctl->lock);
		return -1;
	}
	cc->c.serial = ++ctl->serial;
	TAILQ_INSERT_TAIL(&ctl->conns, cc, entry);
	ctl->count++;
	if (cc->c.local)
		ctl->nlocal++;
	pthread_mutex_unlock(&ctl->lock);
	return 0;
}

/* Closes what the connection holds; no thread of its own yet. */
static void
control_drop(struct control *ctl, struct control_conn *cc)
{
	if (cc->tls != NULL) {
		gate_release(ctl->gate, tls_peer_name(cc->tls));
		tls_close(cc->tls);
	}
	if (cc->fd != -1)
		close(cc->fd);
	free(cc);
}

static void
control_forget(struct control *ctl, struct control_conn *cc)
{
	pthread_mutex_lock(&ctl->lock);
	TAILQ_REMOVE(&ctl->conns, cc, entry);
	if (cc->c.local)
		ctl->nlocal--;
	if (--ctl->count == 0)
		pthread_cond_broadcast(&ctl->drained);
	pthread_mutex_unlock(&ctl->lock);
	free(cc);
}

static void
control_spawn(struct control *ctl, struct control_conn *cc)
{
	pthread_attr_t		 attr;
	pthread_t		 tid;
	int			 rc;

	if (control_admit(ctl, cc) == -1) {
		control_drop(ctl, cc);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CONTROL_STACK);
	rc = pthread_create(&tid, &attr, control_conn_main, cc);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return;
	log_warnx("%s: cannot start a connection thread: %s", cc->c.addr,
	    strerror(rc));
	pthread_mutex_lock(&ctl->lock);
	TAILQ_REMOVE(&ctl->conns, cc, entry);
	ctl->count--;
	if (cc->c.local)
		ctl->nlocal--;
	pthread_mutex_unlock(&ctl->lock);
	control_drop(ctl, cc);
}

/* Sleeps ms unless woken to stop; 1 when stopping. */
static int
control_pause(struct control *ctl, int ms)
{
	struct pollfd	pfd = { ctl->wake[0], POLLIN, 0 };

	return poll(&pfd, 1, ms) > 0;
}

/* 1 when the accept loop should pause. */
static int
control_accept(struct control *ctl, int lfd)
{
	struct control_conn	*cc;
	int			 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		switch (errno) {
		case EINTR:
		case EAGAIN:
		case ECONNABORTED:
			return 0;
		case EMFILE:
		case ENFILE:
			/* Pause accept if we are out of file descriptors. */
			log_warn("accept");
			return 1;
		default:
			log_warn("accept");
			return 1;
		}
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		log_warnx("admin socket: out of memory; connection refused");
		close(fd);
		return 0;
	}
	cc->ctl = ctl;
	cc->fd = fd;
	cc->live_fd = -1;
	cc->c.mgr = ctl->mgr;
	cc->c.local = 1;
	snprintf(cc->c.addr, sizeof(cc->c.addr), "admin socket");
	control_spawn(ctl, cc);
	return 0;
}

static void *
control_main(void *arg)
{
	struct control	*ctl = arg;
	struct pollfd	 pfd[2];

	for (;;) {
		pfd[0].fd = ctl->wake[0];
		pfd[1].fd = ctl->unix_fd;
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) == -1) {
			if (errno != EINTR)
				log_warn("poll");
			continue;
		}
		if (pfd[0].revents)
			break;
		if ((pfd[1].revents & POLLIN) &&
		    control_accept(ctl, ctl->unix_fd) &&
		    control_pause(ctl, CONTROL_PAUSE_MS))
			break;
	}
	return NULL;
}

/* Whether the peer is in group gid (its own or a supplementary one). */
static int
control_in_group(int fd, const struct ucred *cr, gid_t gid)
{
	gid_t		groups[CONTROL_MAX_GROUPS];
	socklen_t	len = sizeof(groups);
	size_t		i;

	if (cr->gid == gid)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		for (i = 0; i < len / sizeof(groups[0]); i++)
			if (groups[i] == gid)
				return 1;
	return 0;
}

/* Root, the daemon's own uid and members of admin_group are admins;
 * members of monitor_group may look. The role, or -1 with why. */
static int
control_local_allowed(struct control *ctl, int fd, uid_t *uid, char *why,
    size_t whylen)
{
	const struct mgr_config	*conf = ctl->mgr->conf;
	struct ucred		 cr;
	socklen_t		 len = sizeof(cr);

	*uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1) {
		snprintf(why, whylen, "cannot read peer credentials: %s",
		    strerror(errno));
		return -1;
	}
	*uid = cr.uid;
	if (cr.uid == 0 || cr.uid == ctl->mgr->uid ||
	    (conf->has_admin_gid && control_in_group(fd, &cr,
	    conf->admin_gid)))
		return DSP_ROLE_ADMIN;
	if (conf->has_monitor_gid && control_in_group(fd, &cr,
	    conf->monitor_gid))
		return DSP_ROLE_MONITOR;
	snprintf(why, whylen, "uid %u may not use the admin shell: it is not "
	    "root, not uid %u%s%s%s%s", (unsigned)cr.uid,
	    (unsigned)ctl->mgr->uid,
	    conf->has_admin_gid ? ", not in admin_group " : "",
	    conf->has_admin_gid ? conf->admin_group : "",
	    conf->has_monitor_gid ? " and not in monitor_group " : "",
	    conf->has_monitor_gid ? conf->monitor_group : "");
	return -1;
}

static int
control_setup_tls(struct control_conn *cc)
{
	struct conn	*c = &cc->c;
	struct tls_conn	*tls = cc->tls;

	cc->tls = NULL;		/* the channel owns it now */
	c->role = tls_peer_role(tls);
	snprintf(c->peer, sizeof(c->peer), "%s", tls_peer_name(tls));
	log_debug("%s: %s connected, role %s, %s", c->addr, c->peer,
	    dsp_role_name(c->role), tls_cipher_name(tls));
	if ((c->ch = channel_from_tls(tls)) == NULL) {
		log_warnx("%s: out of memory", c->addr);
		return -1;
	}
	/* An agent that stops heartbeating is gone; others may idle a
	 * while between commands. */
	if (c->role == DSP_ROLE_AGENT)
		channel_set_timeout(c->ch,
		    c->mgr->conf->heartbeat_timeout * 3 * 1000);
	else
		channel_set_timeout(c->ch, c->mgr->conf->idle_timeout * 1000);
	channel_set_send_timeout(c->ch, CONTROL_SEND_MS);
	return 0;
}

/* "admin:NAME" of a local peer, its user's name ("admin:UID" when
 * the uid has none): what the log and the audit trail say. */
static void
control_local_name(uid_t uid, char *out, size_t len)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && msg_name_valid(pw.pw_name))
		snprintf(out, len, "admin:%s", pw.pw_name);
	else
		snprintf(out, len, "admin:%u", (unsigned)uid);
}

static int
control_setup_local(struct control_conn *cc)
{
	struct conn	*c = &cc->c;
	char		 why[256];
	int		 fd = cc->fd, role;

	if ((role = control_local_allowed(cc->ctl, fd, &c->uid, why,
	    sizeof(why))) != -1) {
		c->role = role;
	} else {
		/* Kept open just long enough to tell the peer why. */
		log_warnx("%s: %s", c->addr, why);
		c->role = DSP_ROLE_NONE;
	}
	control_local_name(c->uid, c->peer, sizeof(c->peer));
	cc->fd = -1;
	if ((c->ch = channel_from_fd(fd)) == NULL) {
		log_warnx("%s: out of memory", c->addr);
		return -1;
	}
	channel_set_send_timeout(c->ch, CONTROL_SEND_MS);
	return 0;
}

/* "role backup", "role admin or monitor": who may send the request. */
static void
control_roles_text(unsigned int roles, char *out, size_t outlen)
{
	size_t	used;
	int	r, n = 0;

	used = (size_t)snprintf(out, outlen, "role");
	for (r = DSP_ROLE_MANAGER; r <= DSP_ROLE_MONITOR && used < outlen;
	    r++)
		if (roles & ROLE_BIT(r))
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", n++ == 0 ? " " : " or ", dsp_role_name(r));
}

static int
control_refuse_role(struct control_conn *cc, const struct dsp_header *hdr,
    const struct control_handler *h)
{
	struct conn	*c = &cc->c;
	char		 why[256], needed[64];

	if (c->local && c->role == DSP_ROLE_NONE) {
		(void)control_local_allowed(cc->ctl, channel_fd(c->ch), &c->uid,
		    why, sizeof(why));
		channel_reply_error(c->ch, hdr, DSP_E_ROLE, "%s", why);
		return -1;
	}
	control_roles_text(h->roles, needed, sizeof(needed));
	if (c->local)
		snprintf(why, sizeof(why), "the admin socket may not %s: that "
		    "takes a certificate of %s", h->what, needed);
	else
		snprintf(why, sizeof(why), "certificate role %s may not %s: "
		    "that takes a certificate of %s", dsp_role_name(c->role),
		    h->what, needed);
	log_warnx("%s (%s): %s refused: %s", c->peer, c->addr,
	    dsp_opcode_name(hdr->opcode), why);
	return channel_reply_error(c->ch, hdr, DSP_E_ROLE, "%s", why);
}

static int
control_dispatch(struct control_conn *cc, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply)
{
	struct conn			*c = &cc->c;
	const struct control_handler	*h;
	char				 err[1024];
	int				 rc;

	if (hdr->flags & DSP_FLAG_REPLY) {
		log_warnx("%s (%s): malformed frame: a reply sent as a request; "
		    "closing connection", c->peer, c->addr);
		channel_reply_error(c->ch, hdr, DSP_E_FRAME, "malformed frame: "
		    "a reply sent as a request");
		return -1;
	}
	if ((h = control_handler_find(hdr->opcode)) == NULL)
		return channel_reply_error(c->ch, hdr, DSP_E_OPCODE, "the "
		    "manager does not serve %s requests",
		    dsp_opcode_name(hdr->opcode));
	if (!(h->roles & ROLE_BIT(c->role)))
		return control_refuse_role(cc, hdr, h);

	buf_writer_reset(reply);
	err[0] = '\0';
	rc = h->fn(c, hdr, payload, reply, err, sizeof(err));
	/* Part of a reply went out: the stream cannot be trusted. */
	if (c->lost)
		return -1;
	if (rc == DSP_OK)
		return channel_reply(c->ch, hdr, reply);
	if (err[0] == '\0')
		snprintf(err, sizeof(err), "%s failed",
		    dsp_opcode_name(hdr->opcode));
	if (rc == DSP_E_FRAME) {
		log_warnx("%s (%s): %s; closing connection", c->peer, c->addr,
		    err);
		channel_reply_error(c->ch, hdr, rc, "%s", err);
		return -1;
	}
	log_debug("%s (%s): %s refused: %s: %s", c->peer, c->addr,
	    dsp_opcode_name(hdr->opcode), dsp_status_name((uint32_t)rc), err);
	return channel_reply_error(c->ch, hdr, (uint32_t)rc, "%s", err);
}

static void
control_frame_reason(int rc, const struct dsp_header *hdr, char *out,
    size_t outlen)
{
	switch (rc) {
	case DSP_E_FRAME:
		if (hdr->magic != DSP_MAGIC)
			snprintf(out, outlen, "bad magic 0x%08x",
			    (unsigned)hdr->magic);
		else
			snprintf(out, outlen, "unknown flags 0x%04x",
			    (unsigned)hdr->flags);
		break;
	case DSP_E_VERSION:
		snprintf(out, outlen, "protocol version %u, expected %u",
		    hdr->version, DSP_VERSION);
		break;
	case DSP_E_OPCODE:
		snprintf(out, outlen, "unknown opcode %u", hdr->opcode);
		break;
	case DSP_E_TOOBIG:
		snprintf(out, outlen, "payload of %u bytes over the %u byte "
		    "limit", (unsigned)hdr->payload_length,
		    (unsigned)DSP_MAX_PAYLOAD);
		break;
	default:
		snprintf(out, outlen, "%s", dsp_status_name((uint32_t)rc));
		break;
	}
}

static void
control_serve(struct control_conn *cc)
{
	struct conn		*c = &cc->c;
	struct dsp_header	 hdr;
	struct buf_writer	 reply;
	const uint8_t		*payload;
	char			 why[128];
	int			 rc;

	buf_writer_init(&reply);
	for (;;) {
		memset(&hdr, 0, sizeof(hdr));
		errno = 0;
		if ((rc = channel_recv(c->ch, &hdr, &payload)) == -1) {
			if (errno == ETIMEDOUT)
				log_info("%s (%s): silent for too long; closing "
				    "connection", c->peer, c->addr);
			else
				log_debug("%s (%s): connection closed", c->peer,
				    c->addr);
			break;
		}
		if (rc != DSP_OK) {
			control_frame_reason(rc, &hdr, why, sizeof(why));
			log_warnx("%s (%s): malformed frame: %s; closing "
			    "connection", c->peer, c->addr, why);
			channel_reply_error(c->ch, &hdr, (uint32_t)rc,
			    "malformed frame: %s", why);
			break;
		}
		if (control_dispatch(cc, &hdr, payload, &reply) == -1)
			break;
	}
	buf_writer_free(&reply);
}

/* Makes the connection visible to control_close(); 0 unless stopping. */
static int
control_go_live(struct control_conn *cc)
{
	int	stopping;

	pthread_mutex_lock(&cc->ctl->lock);
	if (!(stopping = cc->ctl->stopping))
		cc->live_fd = channel_fd(cc->c.ch);
	pthread_mutex_unlock(&cc->ctl->lock);
	return stopping ? -1 : 0;
}

static void *
control_conn_main(void *arg)
{
	struct control_conn	*cc = arg;
	struct control		*ctl = cc->ctl;
	int			 rc;

	rc = cc->c.local ? control_setup_local(cc) : control_setup_tls(cc);
	if (rc == 0 && control_go_live(cc) == 0)
		control_serve(cc);
	if (cc->c.server[0] != '\0')
		agents_conn_closed(&cc->c);

	pthread_mutex_lock(&ctl->lock);
	cc->live_fd = -1;
	pthread_mutex_unlock(&ctl->lock);
	channel_close(cc->c.ch);
	if (cc->fd != -1)
		close(cc->fd);
	if (!cc->c.local)
		gate_release(ctl->gate, cc->c.peer);

	/* Last: control_close() may free what the above used. */
	control_forget(ctl, cc);
	return NULL;
}

/* Waits for the connection threads; 0 when all are gone. */
static int
control_drain(struct control *ctl)
{
	struct control_conn	*cc;
	struct timespec		 ts;
	int			 rc = 0;

	timeutil_deadline(&ts, CLOCK_MONOTONIC, CONTROL_STOP_WAIT_MS);
	pthread_mutex_lock(&ctl->lock);
	ctl->stopping = 1;
	TAILQ_FOREACH(cc, &ctl->conns, entry)
		if (cc->live_fd != -1)
			shutdown(cc->live_fd, SHUT_RDWR);
	while (ctl->count > 0 && rc == 0)
		rc = pthread_cond_timedwait(&ctl->drained, &ctl->lock, &ts);
	rc = ctl->count > 0 ? -1 : 0;
	if (rc == -1)
		log_warnx("%u connections still busy at exit", ctl->count);
	pthread_mutex_unlock(&ctl->lock);
	return rc;
}

int
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return 0;
	gate_stop(ctl->gate);
	if (ctl->running) {
		if (write(ctl->wake[1], "x", 1) == -1)
			log_warn("control wake");
		pthread_join(ctl->thread, NULL);
		ctl->running = 0;
	}
	if (ctl->tcp_fd != -1)
		close(ctl->tcp_fd);
	if (ctl->unix_fd != -1) {
		close(ctl->unix_fd);
		unlink(ctl->unix_path);
	}
	ctl->tcp_fd = ctl->unix_fd = -1;
	/* Threads still running keep using ctl: leak it rather than free. */
	if (control_drain(ctl) == -1)
		return -1;
	gate_free(ctl->gate);
	if (ctl->wake[0] != -1)
		close(ctl->wake[0]);
	if (ctl->wake[1] != -1)
		close(ctl->wake[1]);
	pthread_mutex_destroy(&ctl->lock);
	pthread_cond_destroy(&ctl->drained);
	free(ctl);
	return 0;
}
