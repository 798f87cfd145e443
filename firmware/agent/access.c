/*
 * Who may do what on the data port: admission of an ATTACHed ticket and
 * the check of every data request against the connection's tickets.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "generations.h"
#include "log.h"
#include "region.h"

int
agent_manager_reachable(const struct agent *a)
{
	return __atomic_load_n(&a->manager_reachable, __ATOMIC_ACQUIRE);
}

/*
 * The clock a ticket's expiry is checked against: none (0) while the
 * manager cannot be reached and the ticket is of the newest generation
 * this agent has seen. Nobody else can be lent the volume meanwhile: that
 * takes the manager, and this agent's acknowledgement of a new
 * generation.
 */
static uint64_t
access_clock(const struct agent *a, const struct mount_ticket *t,
    uint64_t highest)
{
	if (!agent_manager_reachable(a) && t->generation >= highest)
		return 0;
	return (uint64_t)time(NULL);
}

struct region *
agent_region(const struct agent *a, const char *name)
{
	unsigned int	i;

	for (i = 0; i < a->region_count; i++)
		if (strcmp(region_name(a->regions[i]), name) == 0)
			return a->regions[i];
	return NULL;
}

void
access_init(struct access_table *t)
{
	t->count = 0;
}

static int
access_extent_ok(const struct agent *a, const struct mount_ticket *t,
    const struct ticket_extent *e, char *why, size_t whylen)
{
	struct region	*r;

	if ((r = agent_region(a, e->region)) == NULL) {
		snprintf(why, whylen, "ticket for volume %s names region %s, "
		    "which %s does not have", t->volume, e->region,
		    a->conf->server);
		return DSP_E_NOTFOUND;
	}
	if (!region_available(r)) {
		snprintf(why, whylen, "region %s is unavailable: %s",
		    e->region, region_reason(r));
		return DSP_E_UNAVAILABLE;
	}
	if (e->offset > region_size(r) ||
	    e->length > region_size(r) - e->offset) {
		snprintf(why, whylen, "ticket extent %llu+%llu of volume %s "
		    "goes past the end of region %s (%llu bytes)",
		    (unsigned long long)e->offset, (unsigned long long)e->length,
		    t->volume, e->region, (unsigned long long)region_size(r));
		return DSP_E_RANGE;
	}
	return DSP_OK;
}

int
access_admit(const struct agent *a, const struct mount_ticket *t,
    const char *peer, uint64_t now, char *why, size_t whylen)
{
	uint64_t	highest = generations_get(a->generations, t->volume);
	unsigned int	i, here = 0;
	int		rc;

	if (strcmp(t->borrower, peer) != 0) {
		snprintf(why, whylen, "ticket for volume %s belongs to %s, "
		    "not to %s", t->volume, t->borrower, peer);
		return DSP_E_BORROWER;
	}
	if (t->generation < highest) {
		snprintf(why, whylen, "ticket generation %llu of volume %s "
		    "has been revoked (now %llu)",
		    (unsigned long long)t->generation, t->volume,
		    (unsigned long long)highest);
		return DSP_E_STALE;
	}
	if (now >= t->expires_at && access_clock(a, t, highest) != 0) {
		snprintf(why, whylen, "ticket for volume %s expired %llu s ago",
		    t->volume, (unsigned long long)(now - t->expires_at));
		return DSP_E_EXPIRED;
	}
	for (i = 0; i < t->extent_count; i++) {
		if (strcmp(t->extents[i].server, a->conf->server) != 0)
			continue;
		here++;
		if ((rc = access_extent_ok(a, t, &t->extents[i], why,
		    whylen)) != DSP_OK)
			return rc;
	}
	if (here == 0) {
		snprintf(why, whylen, "ticket for volume %s has no extent on %s",
		    t->volume, a->conf->server);
		return DSP_E_NOTFOUND;
	}
	/* A newer generation proves the older ones are revoked, even if
	 * the REVOKE never reached us. */
	if (t->generation > highest && generations_raise_one(a->generations,
	    t->volume, t->generation, why, whylen) == -1)
		log_warnx("%s", why);
	return DSP_OK;
}

static int
access_index(const struct access_table *tab, const char *volume)
{
	unsigned int	i;

	for (i = 0; i < tab->count; i++)
		if (strcmp(tab->slots[i].ticket.volume, volume) == 0)
			return (int)i;
	return -1;
}

int
access_attach(struct access_table *tab, const struct mount_ticket *t,
    uint64_t stream, uint64_t *replaced, char *why, size_t whylen)
{
	struct access_slot	*old;
	int			 i;

	*replaced = 0;
	if ((i = access_index(tab, t->volume)) != -1) {
		old = &tab->slots[i];
		if (old->ticket.generation > t->generation) {
			snprintf(why, whylen, "a newer ticket (generation %llu) "
			    "for volume %s is already attached",
			    (unsigned long long)old->ticket.generation,
			    t->volume);
			return DSP_E_STALE;
		}
		if (old->stream != stream)
			*replaced = old->stream;
		old->ticket = *t;
		old->stream = stream;
		return DSP_OK;
	}
	if (tab->count == ACCESS_MAX_TICKETS) {
		snprintf(why, whylen, "%d volumes are attached on this "
		    "connection already; open another", ACCESS_MAX_TICKETS);
		return DSP_E_BUSY;
	}
	tab->slots[tab->count].ticket = *t;
	tab->slots[tab->count].stream = stream;
	tab->count++;
	return DSP_OK;
}

const struct access_slot *
access_find(const struct access_table *tab, const char *volume)
{
	int	i = access_index(tab, volume);

	return i == -1 ? NULL : &tab->slots[i];
}

static const struct ticket_extent *
access_extent(const struct mount_ticket *t, const char *server,
    const char *region)
{
	unsigned int	i;

	for (i = 0; i < t->extent_count; i++)
		if (strcmp(t->extents[i].server, server) == 0 &&
		    strcmp(t->extents[i].region, region) == 0)
			return &t->extents[i];
	return NULL;
}

int
access_check(const struct agent *a, const struct access_table *tab,
    const char *peer, uint8_t opcode, const struct msg_data_request *req,
    struct region **out, const struct access_slot **slot, char *why,
    size_t whylen)
{
	const struct mount_ticket	*t;
	const struct ticket_extent	*e;
	uint64_t			 off = req->offset, len = req->length;
	uint64_t			 highest;
	int				 is_write;

	if (strcmp(req->requester, peer) != 0) {
		snprintf(why, whylen, "requester %s is not the connection's "
		    "peer %s", req->requester, peer);
		return DSP_E_BORROWER;
	}
	if ((*slot = access_find(tab, req->volume)) == NULL) {
		snprintf(why, whylen, "no ticket attached for volume %s",
		    req->volume);
		return DSP_E_TICKET;
	}
	t = &(*slot)->ticket;
	if ((*out = agent_region(a, req->region)) == NULL) {
		snprintf(why, whylen, "%s has no region %s", a->conf->server,
		    req->region);
		return DSP_E_NOTFOUND;
	}
	if (!region_available(*out)) {
		snprintf(why, whylen, "region %s is unavailable: %s",
		    req->region, region_reason(*out));
		return DSP_E_UNAVAILABLE;
	}
	if (opcode == DSP_OP_FLUSH) {
		/* FLUSH has no range: any extent on the region will do. */
		if ((e = access_extent(t, a->conf->server, req->region)) == NULL) {
			snprintf(why, whylen, "ticket for volume %s has no "
			    "extent on region %s", req->volume, req->region);
			return DSP_E_RANGE;
		}
		off = e->offset;
		len = e->length;
	}
	is_write = opcode == DSP_OP_WRITE || opcode == DSP_OP_INIT ||
	    opcode == DSP_OP_ERASE;
	highest = generations_get(a->generations, req->volume);
	return ticket_check_access(t, peer, a->conf->server, req->region, off,
	    len, is_write, highest, access_clock(a, t, highest), why, whylen);
}
