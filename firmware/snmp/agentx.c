/*
 * The net-snmp side: one handler registered at dspObjects answers GET
 * and GETNEXT (GETBULK arrives as GETNEXTs) from one read snapshot per
 * request, an alarm polls the store for notifications, and the AgentX
 * session to the master is pinged and reopened by the library.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "subagent.h"

static struct subagent	*agentx_sa;
static oid		 agentx_root[8] = { 1, 3, 6, 1, 4, 1, 0, 1 };
#define ROOT_LEN	 (sizeof(agentx_root) / sizeof(agentx_root[0]))
#define MIB_ROOT_LEN	 (ROOT_LEN - 1)	/* enterprises.N */

static void
agentx_set_value(netsnmp_variable_list *vb, const struct cell *c)
{
	struct counter64	c64;
	long			l;
	u_long			u;

	switch (c->type) {
	case CELL_STRING:
		snmp_set_var_typed_value(vb, ASN_OCTET_STR,
		    (const u_char *)c->str, c->len);
		break;
	case CELL_COUNTER64:
		c64.high = (u_long)(c->num >> 32);
		c64.low = (u_long)(c->num & 0xffffffffU);
		snmp_set_var_typed_value(vb, ASN_COUNTER64,
		    (const u_char *)&c64, sizeof(c64));
		break;
	case CELL_INTEGER:
		l = (long)c->num;
		snmp_set_var_typed_value(vb, ASN_INTEGER, (const u_char *)&l,
		    sizeof(l));
		break;
	default:
		u = (u_long)(c->num > 0xffffffffU ? 0xffffffffU : c->num);
		snmp_set_var_typed_value(vb, c->type == CELL_GAUGE ?
		    ASN_GAUGE : c->type == CELL_UNSIGNED ? ASN_UNSIGNED :
		    ASN_TIMETICKS, (const u_char *)&u, sizeof(u));
		break;
	}
}

/* An OID relative to dspObjects: 1 if name is under it, 0 if before
 * it (rel empty), -1 if after. */
static int
agentx_relative(const oid *name, size_t len, unsigned long *rel,
    size_t *rel_len)
{
	size_t	i;

	*rel_len = 0;
	for (i = 0; i < ROOT_LEN && i < len; i++)
		if (name[i] != agentx_root[i])
			return name[i] < agentx_root[i] ? 0 : -1;
	if (len <= ROOT_LEN)
		return len < ROOT_LEN ? 0 : 1;
	for (i = ROOT_LEN; i < len && i - ROOT_LEN < OBJECTS_OID_MAX; i++)
		rel[(*rel_len)++] = name[i];
	return 1;
}

static void
agentx_one(struct view *v, int mode, netsnmp_agent_request_info *reqinfo,
    netsnmp_request_info *r)
{
	netsnmp_variable_list	*vb = r->requestvb;
	unsigned long		 rel[OBJECTS_OID_MAX], next[OBJECTS_OID_MAX];
	oid			 full[ROOT_LEN + OBJECTS_OID_MAX];
	struct cell		 c;
	size_t			 rel_len, next_len, i;
	int			 where, rc;

	where = agentx_relative(vb->name, vb->name_length, rel, &rel_len);
	if (mode == MODE_GET) {
		rc = where == 1 ? objects_get(v, rel, rel_len, &c) : 0;
		if (rc == 1)
			agentx_set_value(vb, &c);
		else
			netsnmp_set_request_error(reqinfo, r, rc == 0 ?
			    SNMP_NOSUCHINSTANCE : SNMP_ERR_GENERR);
	} else {
		if (where == -1)
			return;
		rc = objects_next(v, rel, rel_len, next, &next_len, &c);
		if (rc == 1) {
			memcpy(full, agentx_root, sizeof(agentx_root));
			for (i = 0; i < next_len; i++)
				full[ROOT_LEN + i] = next[i];
			snmp_set_var_objid(vb, full, ROOT_LEN + next_len);
			agentx_set_value(vb, &c);
		} else if (rc == -1)
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_GENERR);
	}
	if (rc == -1)
		log_warnx("%s", v->err);
}

static int
agentx_handler(netsnmp_mib_handler *handler,
    netsnmp_handler_registration *reginfo,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	struct view		 v;
	netsnmp_request_info	*r;

	(void)handler;
	(void)reginfo;
	if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT) {
		for (r = requests; r != NULL; r = r->next)
			netsnmp_set_request_error(reqinfo, r,
			    SNMP_ERR_NOTWRITABLE);
		return SNMP_ERR_NOERROR;
	}
	/* One snapshot for every varbind of the request; whether the file
	 * was replaced is looked at by the polls, not here. */
	if ((agentx_sa->store == NULL && subagent_store(agentx_sa) != 0) ||
	    view_open(&v, agentx_sa->store, &agentx_sa->pool) != DSP_OK) {
		for (r = requests; r != NULL; r = r->next)
			if (!r->processed)
				netsnmp_set_request_error(reqinfo, r,
				    SNMP_ERR_RESOURCEUNAVAILABLE);
		return SNMP_ERR_NOERROR;
	}
	view_backup(&v, &agentx_sa->backup);
	for (r = requests; r != NULL; r = r->next)
		if (!r->processed)
			agentx_one(&v, reqinfo->mode, reqinfo, r);
	view_close(&v);
	return SNMP_ERR_NOERROR;
}

/* --- notifications --- */

static void
agentx_notice(const struct notice *n, void *arg)
{
	static const oid	 trap_oid_name[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4,
				    1, 0 };
	netsnmp_variable_list	*vars = NULL, *vb;
	oid			 trap[MIB_ROOT_LEN + 3];
	oid			 name[MIB_ROOT_LEN + OBJECTS_OID_MAX];
	size_t			 i, j;

	(void)arg;
	/* dspNotifyPrefix.kind: enterprises.N.2.0.kind */
	memcpy(trap, agentx_root, MIB_ROOT_LEN * sizeof(oid));
	trap[MIB_ROOT_LEN] = 2;
	trap[MIB_ROOT_LEN + 1] = 0;
	trap[MIB_ROOT_LEN + 2] = n->kind;
	snmp_varlist_add_variable(&vars, trap_oid_name,
	    sizeof(trap_oid_name) / sizeof(oid), ASN_OBJECT_ID,
	    (const u_char *)trap, sizeof(trap));
	for (i = 0; i < n->nvars; i++) {
		memcpy(name, agentx_root, MIB_ROOT_LEN * sizeof(oid));
		for (j = 0; j < n->vars[i].len; j++)
			name[MIB_ROOT_LEN + j] = n->vars[i].oid[j];
		vb = snmp_varlist_add_variable(&vars, name,
		    MIB_ROOT_LEN + n->vars[i].len, ASN_NULL, NULL, 0);
		if (vb != NULL)
			agentx_set_value(vb, &n->vars[i].value);
	}
	log_info("notification %s: %s", n->name, n->about);
	send_v2trap(vars);
	snmp_free_varbind(vars);
}

static void
agentx_poll(unsigned int reg, void *arg)
{
	struct subagent	*sa = arg;
	struct view	 v;

	(void)reg;
	(void)backup_source_poll(&sa->backup);
	/* Held back while the master is away: told once it is back. */
	if (!sa->connected || subagent_store(sa) != 0)
		return;
	if (view_open(&v, sa->store, &sa->pool) != DSP_OK) {
		log_warnx("%s", v.err);
		return;
	}
	/* Nothing committed since the last poll: nothing to tell. */
	if (v.changes != sa->polled) {
		if (events_poll(sa->events, &v, agentx_notice, sa) != DSP_OK)
			log_warnx("notifications: %s", v.err[0] != '\0' ?
			    v.err : "cannot read the store");
		else
			sa->polled = v.changes;
	}
	view_close(&v);
}

static int
agentx_connected(int major, int minor, void *server, void *client)
{
	struct subagent	*sa = agentx_sa;

	(void)major;
	(void)server;
	(void)client;
	sa->connected = minor == SNMPD_CALLBACK_INDEX_START;
	log_info("%s the master agent at %s", sa->connected ?
	    "connected to" : "lost", sa->conf->agentx_socket);
	return 0;
}

/* net-snmp's messages go to the daemon's log. It builds an SNMPv1 copy
 * of every notification, which cannot carry Counter64: no v1 copy is
 * ever sent from here, so that complaint is dropped. */
static int
agentx_log(int major, int minor, void *server, void *client)
{
	const struct snmp_log_message	*m = server;
	char				 line[512];
	size_t				 len;

	(void)major;
	(void)minor;
	(void)client;
	if (strstr(m->msg, "v1 traps can't carry Counter64") != NULL ||
	    strstr(m->msg, "v2->v1 template") != NULL)
		return 0;
	snprintf(line, sizeof(line), "%s", m->msg);
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (m->priority <= LOG_WARNING)
		log_warnx("net-snmp: %s", line);
	else if (m->priority <= LOG_INFO)
		log_info("net-snmp: %s", line);
	else
		log_debug("net-snmp: %s", line);
	return 0;
}

int
agentx_start(struct subagent *sa, char *err, size_t errlen)
{
	netsnmp_handler_registration	*reg;
	struct timeval			 every;

	agentx_sa = sa;
	agentx_root[6] = sa->conf->enterprise;
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
	    agentx_log, NULL);
	snmp_enable_calllog();
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_X_SOCKET, sa->conf->agentx_socket);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, sa->conf->ping_interval);
	/* Nothing of its own to keep in /var/lib/snmp. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	/* No client argument: net-snmp frees those at shutdown. */
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_START, agentx_connected, NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION,
	    SNMPD_CALLBACK_INDEX_STOP, agentx_connected, NULL);
	if (init_agent(SNMP_PROGNAME) != 0) {
		snprintf(err, errlen, "net-snmp's agent library would not "
		    "start");
		return -1;
	}
	reg = netsnmp_create_handler_registration("daspool", agentx_handler,
	    agentx_root, ROOT_LEN, HANDLER_CAN_RONLY);
	if (reg == NULL || netsnmp_register_handler(reg) !=
	    MIB_REGISTERED_OK) {
		snprintf(err, errlen, "cannot register DASPOOL-MIB's objects");
		return -1;
	}
	init_snmp(SNMP_PROGNAME);
	/* Set again: reading the (empty) config put back the default. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
	    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, sa->conf->ping_interval);
	every.tv_sec = sa->conf->poll_interval / 1000;
	every.tv_usec = (sa->conf->poll_interval % 1000) * 1000;
	if (snmp_alarm_register_hr(every, SA_REPEAT, agentx_poll, sa) == 0) {
		snprintf(err, errlen, "cannot schedule the store's polls");
		return -1;
	}
	return 0;
}

void
agentx_run(struct subagent *sa)
{
	while (!sa->stop)
		agent_check_and_process(1);
}

void
agentx_stop(void)
{
	snmp_shutdown(SNMP_PROGNAME);
}
