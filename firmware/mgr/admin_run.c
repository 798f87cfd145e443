/*
 * Carries out parsed admin commands: show volume NAME, the audit trail
 * and the store, read in one store transaction each (the listings are
 * in admin_show.c), and the volume commands, each one store
 * transaction plus, for the forced ones, the revocation push. Output is
 * plain text in aligned columns, one row per line, for people and for
 * grep.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_internal.h"
#include "channel.h"
#include "config.h"
#include "log.h"
#include "mgr.h"
#include "size.h"
#include "store.h"

#define RESOLVE_WAIT_MS	5000	/* for lenders still registering */

/* --- show volume NAME --- */

static void
show_volume_legs(const struct volume_record *v, const uint8_t *up,
    struct buf_writer *out)
{
	const struct volume_extent	*e;
	struct table			 t;
	char				 idx[8], off[24], len[32], leg[48];
	char				 copied[40];
	uint16_t			 i;
	int				 mirror = v->form == DSP_FORM_MIRROR;

	table_init(&t, 9);
	table_row(&t, mirror ? "  leg" : "  extent", "server", "region",
	    "offset", "length", "server-state", "leg", "last-resync",
	    "reason");
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		snprintf(idx, sizeof(idx), "  %u", i);
		snprintf(off, sizeof(off), "%llu",
		    (unsigned long long)e->offset);
		size_format(e->length, len, sizeof(len));
		admin_leg_state(v, e, leg, sizeof(leg));
		/* "-" until a resync copied something into the leg. */
		if (e->last_copied > 0)
			snprintf(copied, sizeof(copied), "%llu copied",
			    (unsigned long long)e->last_copied);
		else
			snprintf(copied, sizeof(copied), "-");
		if (mirror && e->full_resync &&
		    e->leg_state != DSP_LEG_IN_SYNC)
			snprintf(leg + strlen(leg), sizeof(leg) - strlen(leg),
			    " (full)");
		/* Out of the mirror for a backup's split-leg copy. */
		if (mirror && e->backup_hold)
			snprintf(leg + strlen(leg), sizeof(leg) - strlen(leg),
			    " (held)");
		table_row(&t, idx, e->server, e->region, off, len,
		    up[i] ? "up" : "down", leg, copied,
		    e->leg_reason[0] ? e->leg_reason : "-");
	}
	table_print(&t, out);
}

/* Each lender that does not keep the volume's record as it is now. */
static void
show_volume_records(const struct volume_record *v, struct buf_writer *out)
{
	const struct volume_extent	*e;
	uint16_t			 i, j;

	if (v->hold_kind != VOLUME_HOLD_NONE)
		return;
	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (e->acked_revision >= v->revision || e->server_retired)
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(v->extents[j].server, e->server) == 0)
				break;
		if (j == i)
			admin_printf(out, "record        server %s keeps "
			    "revision %llu of revision %llu; the push goes "
			    "on until it takes it\n", e->server,
			    (unsigned long long)e->acked_revision,
			    (unsigned long long)v->revision);
	}
}

/* Each lender that has not acknowledged the generation: since when,
 * and how its revocation is going. */
static void
show_volume_fence(struct mgr *m, const struct volume_record *v,
    struct buf_writer *out)
{
	const struct volume_extent	*e;
	struct push_state		 rs;
	char				 since[32], age[32];
	uint64_t			 now = (uint64_t)time(NULL);
	uint16_t			 i, j;

	for (i = 0; i < v->extent_count; i++) {
		e = &v->extents[i];
		if (e->acked_generation >= v->generation)
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(v->extents[j].server, e->server) == 0)
				break;
		if (j < i)
			continue;
		admin_time(v->generation_at, since, sizeof(since));
		admin_age(now, v->generation_at, age, sizeof(age));
		admin_printf(out, "fence         server %s has not acknowledged "
		    "generation %llu since %s (%s)\n", e->server,
		    (unsigned long long)v->generation, since, age);
		if (push_describe(m->push, e->server, &rs))
			admin_printf(out, "              revocation: %u failed "
			    "attempt%s, next in %lld s; last: %s\n",
			    rs.attempts, rs.attempts == 1 ? "" : "s",
			    (long long)(rs.next_in_ms > 0 ?
			    (rs.next_in_ms + 999) / 1000 : 0), rs.last_error);
	}
}

static int
show_volume_candidate(const struct store_candidate *c, void *arg)
{
	struct buf_writer		*out = arg;
	const struct msg_volume_record	*r = c->record;
	char				 size[32];

	size_format(r->size, size, sizeof(size));
	admin_printf(out, "record        server %s: generation %llu revision "
	    "%llu, %s, %s, %u extent%s, %llu dirty chunks\n", c->server,
	    (unsigned long long)r->generation, (unsigned long long)r->revision,
	    dsp_form_name(r->form), size, r->extent_count,
	    r->extent_count == 1 ? "" : "s",
	    (unsigned long long)r->dirty_chunks);
	return 0;
}

/* Why the volume is held, and the records its lenders reported. */
static void
show_volume_hold(struct mgr *m, const struct volume_record *v,
    struct buf_writer *out)
{
	admin_printf(out, "held          %s\n", v->hold);
	admin_printf(out, "              never lent until resolved: volume "
	    "resolve %s [SERVER]\n", v->name);
	if (store_each_candidate(m->store, v->name, show_volume_candidate,
	    out) == -1)
		admin_printf(out, "record        (cannot read the lenders' "
		    "records)\n");
}

static int
admin_show_volume(struct mgr *m, const struct admin_command *cmd,
    struct buf_writer *out, char *err, size_t errlen)
{
	struct volume_record	v;
	struct server_states	ss;
	uint8_t			up[DSP_MAX_EXTENTS];
	char			size[32], chunk[32];
	int			rc, health;

	if ((rc = store_get_volume(m->store, cmd->volume, &v)) != DSP_OK) {
		snprintf(err, errlen, rc == DSP_E_NOTFOUND ? "there is no "
		    "volume %s" : "cannot read volume %s", cmd->volume);
		return rc;
	}
	if (server_states_load(m, &ss) == -1) {
		snprintf(err, errlen, "cannot read the server table");
		return DSP_E_INTERNAL;
	}
	health = admin_volume_health(&ss, &v, up);
	server_states_free(&ss);
	size_format(v.size, size, sizeof(size));
	admin_printf(out, "volume        %s\n", v.name);
	admin_printf(out, "form          %s\n", dsp_form_name(v.form));
	admin_printf(out, "size          %s (%llu bytes)\n", size,
	    (unsigned long long)v.size);
	admin_printf(out, "borrower      %s\n", v.borrower[0] ? v.borrower :
	    "-");
	admin_printf(out, "status        %d (%s)\n", v.mounted, v.mounted ?
	    "mounted" : "not mounted");
	admin_printf(out, "generation    %llu%s\n",
	    (unsigned long long)v.generation, volume_is_fenced(&v) ?
	    " (fenced: a lender has not acknowledged it)" : "");
	admin_printf(out, "health        %s\n", dsp_health_name(health));
	/* Held: nothing is pushed, so no lender owes an ack yet. */
	if (v.hold_kind != VOLUME_HOLD_NONE)
		show_volume_hold(m, &v, out);
	else
		show_volume_fence(m, &v, out);
	show_volume_records(&v, out);
	if (v.form == DSP_FORM_MIRROR) {
		size_format(v.chunk_size, chunk, sizeof(chunk));
		admin_printf(out, "chunk size    %s\n", chunk);
		admin_printf(out, "dirty chunks  %llu\n",
		    (unsigned long long)v.dirty_chunks);
	}
	show_volume_legs(&v, up, out);
	return DSP_OK;
}

/* --- show audit [N]: the last N entries, oldest first --- */

static int
show_audit_row(const struct audit_record *a, void *arg)
{
	struct table	*t = arg;
	char		 when[32];

	admin_time(a->time, when, sizeof(when));
	table_row(t, when, a->actor, a->action, a->volume[0] ? a->volume : "-",
	    a->detail);
	return 0;
}

static int
admin_show_audit(struct mgr *m, unsigned int count, struct buf_writer *out,
    char *err, size_t errlen)
{
	struct table	t;

	table_init(&t, 5);
	table_row(&t, "time", "actor", "action", "volume", "detail");
	/* From the end of the trail back: never a walk of all of it. */
	if (store_each_audit_last(m->store, count ? count :
	    ADMIN_AUDIT_DEFAULT, show_audit_row, &t) != DSP_OK) {
		table_free(&t);
		snprintf(err, errlen, "cannot read the audit trail");
		return DSP_E_INTERNAL;
	}
	table_print(&t, out);
	return DSP_OK;
}

/* --- show store, store copy --- */

static void
show_store_tables(const struct store_info *info, struct buf_writer *out)
{
	struct table	t;
	char		name[24], entries[24], pages[24];
	size_t		i;

	table_init(&t, 3);
	table_row(&t, "  table", "entries", "pages");
	for (i = 0; i < STORE_TABLES; i++) {
		snprintf(entries, sizeof(entries), "%llu",
		    (unsigned long long)info->tables[i].entries);
		snprintf(pages, sizeof(pages), "%llu",
		    (unsigned long long)info->tables[i].pages);
		snprintf(name, sizeof(name), "  %s", info->tables[i].name);
		table_row(&t, name, entries, pages);
	}
	table_print(&t, out);
}

static void
show_store_copies(struct mgr *m, struct buf_writer *out)
{
	struct copies_state	st;
	char			when[32], age[32], size[32];
	uint64_t		now = (uint64_t)time(NULL);

	copies_describe(m->copies, &st);
	if (!st.enabled) {
		admin_printf(out, "copies        off (backup_dir is not set)\n");
		return;
	}
	admin_printf(out, "copies        every %d s into %s, the newest %d "
	    "kept\n", m->conf->backup_interval, m->conf->backup_dir,
	    m->conf->backup_keep);
	if (st.last_path[0] == '\0')
		admin_printf(out, "last copy     none yet\n");
	else {
		admin_time((uint64_t)st.last_time, when, sizeof(when));
		admin_age(now, (uint64_t)st.last_time, age, sizeof(age));
		size_format(st.last_size, size, sizeof(size));
		if (st.last_ms < 0)
			admin_printf(out, "last copy     %s, %s (%s), found at "
			    "start\n", st.last_path, when, age);
		else
			admin_printf(out, "last copy     %s, %s (%s), %s in "
			    "%lld ms\n", st.last_path, when, age, size,
			    (long long)st.last_ms);
	}
	if (st.last_error[0] != '\0') {
		admin_time((uint64_t)st.last_error_time, when, sizeof(when));
		admin_age(now, (uint64_t)st.last_error_time, age, sizeof(age));
		admin_printf(out, "last error    %s (%s): %s\n", when, age,
		    st.last_error);
	} else
		admin_printf(out, "last error    none\n");
	admin_printf(out, "next copy     in %lld s%s\n",
	    (long long)((st.next_in_ms + 999) / 1000), st.change_pending ?
	    " (after a change)" : "");
	admin_printf(out, "since start   %u made, %u failed\n", st.made,
	    st.failed);
}

static int
admin_show_store(struct mgr *m, struct buf_writer *out, char *err,
    size_t errlen)
{
	struct store_info	info;
	char			used[32], map[32];
	uint64_t		batches, jobs;

	if (store_info(m->store, &info, err, errlen) == -1)
		return DSP_E_INTERNAL;
	size_format(info.map_used, used, sizeof(used));
	size_format(info.map_size, map, sizeof(map));
	admin_printf(out, "store         %s/data.mdb\n", m->conf->state_dir);
	admin_printf(out, "schema        %u (records: server %u, volume %u, "
	    "region %u, audit %u)\n", info.schema, info.server_version,
	    info.volume_version, info.region_version, info.record_version);
	admin_printf(out, "map           %s used of %s (%llu%%), pages of "
	    "%u bytes\n", used, map, (unsigned long long)(info.map_size ?
	    info.map_used * 100 / info.map_size : 0), info.page_size);
	admin_printf(out, "last commit   transaction %llu\n",
	    (unsigned long long)info.last_txn);
	store_write_counts(m->store, &batches, &jobs);
	admin_printf(out, "writes        %llu since start, in %llu commits "
	    "(group commit)\n", (unsigned long long)jobs,
	    (unsigned long long)batches);
	show_store_copies(m, out);
	show_store_tables(&info, out);
	return DSP_OK;
}

static int
admin_store_copy(struct mgr *m, struct buf_writer *out, char *err,
    size_t errlen)
{
	struct copies_result	r;
	char			size[32];
	int			rc;

	if ((rc = copies_now(m->copies, &r, err, errlen)) != DSP_OK)
		return rc;
	size_format(r.size, size, sizeof(size));
	admin_printf(out, "store copied to %s (%s, %lld ms)\n", r.path, size,
	    (long long)r.ms);
	return DSP_OK;
}

/* --- volume commands --- */

static int
admin_volume_create(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct buf_writer *out, char *err,
    size_t errlen)
{
	struct store_region_ref	refs[ADMIN_MAX_ARGS];
	struct volume_record	v;
	char			size[32];
	unsigned int		i;
	int			rc;

	memset(refs, 0, sizeof(refs));
	for (i = 0; i < cmd->nregions; i++) {
		snprintf(refs[i].server, sizeof(refs[i].server), "%s",
		    cmd->regions[i].server);
		snprintf(refs[i].region, sizeof(refs[i].region), "%s",
		    cmd->regions[i].region);
	}
	if ((rc = store_volume_create(m->store, actor, cmd->volume, cmd->form,
	    refs, (uint16_t)cmd->nregions, (uint64_t)time(NULL), err,
	    errlen)) != DSP_OK)
		return rc;
	log_info("%s: %s volume %s created on %u region%s", actor,
	    dsp_form_name(cmd->form), cmd->volume, cmd->nregions,
	    cmd->nregions == 1 ? "" : "s");
	if (store_get_volume(m->store, cmd->volume, &v) != DSP_OK) {
		admin_printf(out, "volume %s created\n", cmd->volume);
		return DSP_OK;
	}
	size_format(v.size, size, sizeof(size));
	admin_printf(out, "volume %s created: %s, ", v.name,
	    dsp_form_name(v.form));
	for (i = 0; i < v.extent_count; i++)
		admin_printf(out, "%s%s:%s", i ? " + " : "",
		    v.extents[i].server, v.extents[i].region);
	admin_printf(out, ", %s\n", size);
	return DSP_OK;
}

static int
admin_volume_split(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct buf_writer *out, char *err,
    size_t errlen)
{
	struct store_region_ref	ref;
	struct store_piece	pieces[ADMIN_MAX_ARGS];
	struct volume_record	v;
	char			size[32];
	unsigned int		i;
	int			rc;

	memset(&ref, 0, sizeof(ref));
	snprintf(ref.server, sizeof(ref.server), "%s", cmd->server);
	snprintf(ref.region, sizeof(ref.region), "%s", cmd->region);
	memset(pieces, 0, sizeof(pieces));
	for (i = 0; i < cmd->npieces; i++) {
		snprintf(pieces[i].name, sizeof(pieces[i].name), "%s",
		    cmd->pieces[i].name);
		pieces[i].size = cmd->pieces[i].size;
	}
	if ((rc = store_volume_split(m->store, actor, &ref, pieces,
	    (uint16_t)cmd->npieces, (uint64_t)time(NULL), err,
	    errlen)) != DSP_OK)
		return rc;
	log_info("%s: region %s:%s split into %u volume%s", actor, ref.server,
	    ref.region, cmd->npieces, cmd->npieces == 1 ? "" : "s");
	for (i = 0; i < cmd->npieces; i++) {
		if (store_get_volume(m->store, pieces[i].name, &v) != DSP_OK)
			continue;
		size_format(v.size, size, sizeof(size));
		admin_printf(out, "volume %s created: split, %s:%s at offset "
		    "%llu, %s\n", v.name, ref.server, ref.region,
		    (unsigned long long)v.extents[0].offset, size);
	}
	return DSP_OK;
}

static int
admin_volume_delete(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct buf_writer *out, char *err,
    size_t errlen)
{
	int	rc;

	if ((rc = store_volume_delete(m->store, actor, cmd->volume, err,
	    errlen)) != DSP_OK)
		return rc;
	log_info("%s: volume %s deleted", actor, cmd->volume);
	admin_printf(out, "volume %s deleted\n", cmd->volume);
	return DSP_OK;
}

/* After a forced change: push the revocation, say where it stands. */
static void
admin_fence_report(struct mgr *m, const struct volume_record *v,
    struct buf_writer *out)
{
	struct volume_record	now;
	int			pending;

	if (!volume_is_fenced(v))
		return;
	if ((pending = push_volume(m->push, v, 1)) == 0) {
		admin_printf(out, "tickets below generation %llu revoked at "
		    "every lender\n", (unsigned long long)v->generation);
		return;
	}
	/* Out-of-sync mirror legs do not fence: they learn it later. */
	if (store_get_volume(m->store, v->name, &now) == DSP_OK &&
	    !volume_is_fenced(&now)) {
		admin_printf(out, "tickets below generation %llu revoked at "
		    "every lender of an in-sync leg; %d lender%s of "
		    "out-of-sync legs learn%s it when registering again\n",
		    (unsigned long long)v->generation, pending,
		    pending == 1 ? "" : "s", pending == 1 ? "s" : "");
		return;
	}
	admin_printf(out, "volume %s stays fenced until %d lender%s "
	    "acknowledge%s generation %llu; the revocation is tried again "
	    "until then (show volume %s)\n", v->name, pending,
	    pending == 1 ? "" : "s", pending == 1 ? "s" : "",
	    (unsigned long long)v->generation, v->name);
}

static int
admin_force_unmount(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct buf_writer *out, char *err,
    size_t errlen)
{
	struct volume_record	v;
	int			rc;

	if ((rc = store_unmount(m->store, actor, NULL, cmd->volume,
	    (uint64_t)time(NULL), &v, err, errlen)) != DSP_OK)
		return rc;
	log_info("%s: volume %s force-unmounted from %s, generation now %llu",
	    actor, v.name, v.borrower, (unsigned long long)v.generation);
	admin_printf(out, "volume %s unmounted from %s; generation %llu\n",
	    v.name, v.borrower, (unsigned long long)v.generation);
	admin_fence_report(m, &v, out);
	return DSP_OK;
}

static int
admin_force_release(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct buf_writer *out, char *err,
    size_t errlen)
{
	struct volume_record	before, v;
	int			rc;

	/* Only for the message: the store decides on its own reading. */
	if (store_get_volume(m->store, cmd->volume, &before) != DSP_OK)
		before.borrower[0] = '\0';
	if ((rc = store_release(m->store, actor, NULL, cmd->volume,
	    (uint64_t)time(NULL), &v, err, errlen)) != DSP_OK)
		return rc;
	log_info("%s: volume %s force-released from %s", actor, v.name,
	    before.borrower[0] ? before.borrower : "its borrower");
	admin_printf(out, "volume %s released from %s\n", v.name,
	    before.borrower[0] ? before.borrower : "its borrower");
	admin_fence_report(m, &v, out);
	return DSP_OK;
}

static int
admin_server_retire(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct buf_writer *out, char *err,
    size_t errlen)
{
	unsigned int	volumes;
	int		rc;

	if ((rc = store_server_retire(m->store, actor, cmd->server,
	    (uint64_t)time(NULL), &volumes, err, errlen)) != DSP_OK)
		return rc;
	push_forget(m->push, cmd->server);
	log_info("%s: server %s retired; %u volumes used it", actor,
	    cmd->server, volumes);
	admin_printf(out, "server %s retired: its regions are gone; %u "
	    "volume%s used it and no longer wait%s for it\n", cmd->server,
	    volumes, volumes == 1 ? "" : "s", volumes == 1 ? "s" : "");
	return DSP_OK;
}

static int
admin_volume_resolve(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct buf_writer *out, char *err,
    size_t errlen)
{
	struct volume_record	v;
	char			how[DSP_NAME_MAX + 16];
	int			rc, pending;

	/* The records of lenders still registering may be on their way. */
	if (store_get_volume(m->store, cmd->volume, &v) == DSP_OK &&
	    agents_wait_lenders(m->agents, &v, RESOLVE_WAIT_MS, err,
	    errlen) == -1)
		return DSP_E_UNAVAILABLE;
	if ((rc = store_volume_resolve(m->store, actor, cmd->volume,
	    cmd->server[0] != '\0' ? cmd->server : NULL,
	    (uint64_t)time(NULL), how, sizeof(how), err, errlen)) != DSP_OK)
		return rc;
	log_info("%s: volume %s resolved with the record of %s", actor,
	    cmd->volume, how);
	admin_printf(out, "volume %s resolved with the record of %s\n",
	    cmd->volume, how);
	if (store_get_volume(m->store, cmd->volume, &v) != DSP_OK)
		return DSP_OK;
	if ((pending = push_volume(m->push, &v, 1)) == 0)
		admin_printf(out, "every lender keeps it at generation %llu; "
		    "it can be allocated\n", (unsigned long long)v.generation);
	else
		admin_printf(out, "%d lender%s %s not acknowledged generation "
		    "%llu yet; it is fenced until then (show volume %s)\n",
		    pending, pending == 1 ? "" : "s",
		    pending == 1 ? "has" : "have",
		    (unsigned long long)v.generation, v.name);
	return DSP_OK;
}

static int
admin_dispatch(struct mgr *m, const char *actor,
    const struct admin_command *cmd, struct admin_out *o, char *err,
    size_t errlen)
{
	struct buf_writer	*out = &o->text;

	switch (cmd->action) {
	case ADMIN_NONE:
		return DSP_OK;
	case ADMIN_CHOICES:
		admin_choices(cmd, out);
		return DSP_OK;
	case ADMIN_SHOW_WHOAMI:		/* admin_handle knows the asker */
		return DSP_OK;
	case ADMIN_BACKUP:
		snprintf(err, errlen, "backup commands are run by daspool-sh "
		    "on the appliance (with daspool-backup), not by the "
		    "manager");
		return DSP_E_INVALID;
	case ADMIN_COMPLETE:
		admin_complete(m, cmd, out);
		return DSP_OK;
	case ADMIN_HELP:
		admin_help(cmd, out);
		return DSP_OK;
	case ADMIN_SHOW_SERVERS:
		return admin_show_servers(m, &cmd->filter, o, err, errlen);
	case ADMIN_SHOW_REGIONS:
		return admin_show_regions(m, &cmd->filter, o, err, errlen);
	case ADMIN_SHOW_VOLUMES:
		return admin_show_volumes(m, &cmd->filter, o, err, errlen);
	case ADMIN_SHOW_VOLUME:
		return admin_show_volume(m, cmd, out, err, errlen);
	case ADMIN_SHOW_AUDIT:
		return admin_show_audit(m, cmd->count, out, err, errlen);
	case ADMIN_VOLUME_CREATE:
		return admin_volume_create(m, actor, cmd, out, err, errlen);
	case ADMIN_VOLUME_DELETE:
		return admin_volume_delete(m, actor, cmd, out, err, errlen);
	case ADMIN_VOLUME_FORCE_UNMOUNT:
		return admin_force_unmount(m, actor, cmd, out, err, errlen);
	case ADMIN_VOLUME_FORCE_RELEASE:
		return admin_force_release(m, actor, cmd, out, err, errlen);
	case ADMIN_VOLUME_SPLIT:
		return admin_volume_split(m, actor, cmd, out, err, errlen);
	case ADMIN_SERVER_RETIRE:
		return admin_server_retire(m, actor, cmd, out, err, errlen);
	case ADMIN_VOLUME_RESOLVE:
		return admin_volume_resolve(m, actor, cmd, out, err, errlen);
	case ADMIN_SHOW_STORE:
		return admin_show_store(m, out, err, errlen);
	case ADMIN_STORE_COPY:
		return admin_store_copy(m, out, err, errlen);
	}
	snprintf(err, errlen, "command not implemented");
	return DSP_E_INTERNAL;
}

int
admin_run(struct mgr *m, const char *actor, const struct admin_command *cmd,
    struct admin_out *out, char *err, size_t errlen)
{
	int	rc;

	rc = admin_dispatch(m, actor, cmd, out, err, errlen);
	if (rc == DSP_OK && admin_is_change(cmd->action))
		copies_changed(m->copies);
	return rc;
}

/* Where the parts of one reply go: the request's connection. */
struct admin_parts {
	struct conn			*c;
	const struct dsp_header		*req;
};

static int
admin_send_part(void *arg, const uint8_t *text, size_t len)
{
	struct admin_parts	*ap = arg;
	struct buf_writer	 w;
	int			 rc;

	buf_writer_init(&w);
	buf_put_blob(&w, text, len);
	rc = w.error ? -1 : channel_send(ap->c->ch, ap->req->opcode,
	    DSP_FLAG_REPLY | DSP_FLAG_MORE, ap->req->request_id, DSP_OK,
	    w.data, w.len);
	buf_writer_free(&w);
	return rc;
}

static int
admin_read_line(const struct dsp_header *hdr, const uint8_t *payload,
    struct admin_command *cmd, char *err, size_t errlen, struct conn *c)
{
	char	*line;
	int	 rc;

	if ((line = malloc(DSP_TEXT_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DSP_E_INTERNAL;
	}
	rc = msg_decode_text(payload, hdr->payload_length, line);
	if (rc != DSP_OK)
		snprintf(err, errlen, rc == DSP_E_FRAME ? "malformed admin "
		    "payload" : "admin command contains a NUL byte");
	else if ((rc = admin_parse(line, cmd, err, errlen)) == DSP_OK)
		log_debug("%s (%s): admin: %s", c->peer, c->addr, line);
	free(line);
	return rc;
}

/* Never a cut answer that looks whole: what stopped the output. */
static int
admin_out_failed(struct conn *c, const struct admin_out *o, char *err,
    size_t errlen)
{
	if (o->state == ADMIN_OUT_LOST) {
		log_info("%s (%s): the admin reply could not be sent; "
		    "closing connection", c->peer, c->addr);
		c->lost = 1;
		snprintf(err, errlen, "the reply could not be sent");
		return DSP_E_INTERNAL;
	}
	if (o->state == ADMIN_OUT_TOOBIG) {
		snprintf(err, errlen, "the output is more than the %u bytes "
		    "one reply holds, and this client reads no reply in "
		    "parts; ask for less (a filter, show volume NAME, show "
		    "audit N) or use a newer daspool-sh", DSP_TEXT_MAX);
		return DSP_E_TOOBIG;
	}
	snprintf(err, errlen, "out of memory while building the output");
	return DSP_E_INTERNAL;
}

/*
 * The ADMIN request: one command line in, its output text back. An
 * asker that sets DSP_FLAG_MORE gets the text in parts as it is made,
 * the last part in the final reply (or an error reply after parts when
 * the command fails midway); others get one frame.
 */
int
admin_handle(struct conn *c, const struct dsp_header *hdr,
    const uint8_t *payload, struct buf_writer *reply, char *err,
    size_t errlen)
{
	struct admin_command	 cmd;
	struct admin_parts	 ap = { c, hdr };
	struct admin_out	 o;
	int			 rc;

	if ((rc = admin_read_line(hdr, payload, &cmd, err, errlen, c)) !=
	    DSP_OK)
		return rc;
	if (c->role != DSP_ROLE_ADMIN && !admin_is_reading(cmd.action)) {
		snprintf(err, errlen, "this command needs the admin role; %s "
		    "has the %s role, which may run show commands only",
		    c->peer, dsp_role_name(c->role));
		return DSP_E_ROLE;
	}
	admin_out_init(&o, (hdr->flags & DSP_FLAG_MORE) ? admin_send_part :
	    NULL, &ap);
	if (cmd.action == ADMIN_SHOW_WHOAMI) {
		admin_printf(&o.text, "%s, role %s\n", c->peer,
		    dsp_role_name(c->role));
		rc = DSP_OK;
	} else
		rc = admin_run(c->mgr, c->peer, &cmd, &o, err, errlen);
	if (rc == DSP_OK && !o.text.error)
		(void)admin_out_finish(&o);
	if (o.state != ADMIN_OUT_OK || (rc == DSP_OK && o.text.error))
		rc = admin_out_failed(c, &o, err, errlen);
	if (rc == DSP_OK)
		buf_put_blob(reply, o.text.data, o.text.len);
	admin_out_free(&o);
	return rc;
}
