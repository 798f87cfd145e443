/*
 * The store's transactions: volumes created, listed and deleted; agents
 * registering, beating and going silent; what survives a close; that a
 * refused or failed operation leaves no trace; the audit trail; the
 * record codecs. Each test gets its own store in a fresh mkdtemp dir.
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_fixture.h"
#include "store_internal.h"

static int
setup(void **state)
{
	return fixture_setup(state, "store_test");
}

static void
reopen(struct fixture *f, int readonly)
{
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->dir, readonly, 0, f->err,
	    sizeof(f->err)), 0);
}

static int
count_one(const void *rec, void *arg)
{
	(void)rec;
	(*(int *)arg)++;
	return 0;
}

static int
count_servers_cb(const struct server_record *r, void *a)
{
	return count_one(r, a);
}

static int
count_regions_cb(const struct region_record *r, void *a)
{
	return count_one(r, a);
}

static int
count_volumes_cb(const struct volume_record *r, void *a)
{
	return count_one(r, a);
}

static int
count_audit_cb(const struct audit_record *r, void *a)
{
	return count_one(r, a);
}

static int
count_servers(struct store *s)
{
	int	n = 0;

	assert_int_equal(store_each_server(s, count_servers_cb, &n), 0);
	return n;
}

static int
count_regions(struct store *s)
{
	int	n = 0;

	assert_int_equal(store_each_region(s, count_regions_cb, &n), 0);
	return n;
}

static int
count_volumes(struct store *s)
{
	int	n = 0;

	assert_int_equal(store_each_volume(s, count_volumes_cb, &n), 0);
	return n;
}

static int
count_audit(struct store *s)
{
	int	n = 0;

	assert_int_equal(store_each_audit(s, count_audit_cb, &n), 0);
	return n;
}

struct region_find {
	const char		*name;
	struct region_record	 found;
	int			 hit;
};

static int
find_region_cb(const struct region_record *r, void *arg)
{
	struct region_find	*rf = arg;

	if (strcmp(r->name, rf->name) != 0)
		return 0;
	rf->found = *r;
	rf->hit = 1;
	return 1;
}

static int
find_region(struct store *s, const char *name, struct region_record *out)
{
	struct region_find	rf = { name, { .size = 0 }, 0 };

	store_each_region(s, find_region_cb, &rf);
	*out = rf.found;
	return rf.hit;
}

#define AUDIT_MAX	64
struct audit_list {
	int			n;
	struct audit_record	rows[AUDIT_MAX];
};

static int
audit_list_cb(const struct audit_record *a, void *arg)
{
	struct audit_list	*al = arg;

	if (al->n < AUDIT_MAX)
		al->rows[al->n++] = *a;
	return 0;
}

static int
store_fence_ack_one(struct fixture *f, const char *server, const char *volume,
    uint64_t generation)
{
	struct msg_generations	g;

	memset(&g, 0, sizeof(g));
	g.count = 1;
	snprintf(g.items[0].volume, sizeof(g.items[0].volume), "%s", volume);
	g.items[0].generation = generation;
	return store_fence_ack(f->s, server, &g, f->err, sizeof(f->err));
}

static void
test_create_list_delete(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:2000", NULL), DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(count_volumes(f->s), 1);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
	assert_string_equal(v.name, "Vol-1");
	assert_int_equal(v.form, DSP_FORM_SINGLE);
	assert_int_equal(v.size, 1000);
	assert_string_equal(v.borrower, "");
	assert_int_equal(v.mounted, 0);
	assert_int_equal(v.generation, 1);
	assert_int_equal(v.created_at, 1001);
	assert_int_equal(v.extent_count, 1);
	assert_string_equal(v.extents[0].server, "serverA");
	assert_string_equal(v.extents[0].region, "A1");
	assert_int_equal(v.extents[0].offset, 0);
	assert_int_equal(v.extents[0].length, 1000);
	assert_int_equal(v.extents[0].acked_generation, 1);
	assert_false(volume_is_fenced(&v));

	/* A region's bytes belong to one volume; names are unique. */
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A1", 1002, f->err, sizeof(f->err)), DSP_E_BUSY);
	assert_non_null(strstr(f->err, "Vol-1"));
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A2", 1002, f->err, sizeof(f->err)), DSP_E_INVALID);
	assert_non_null(strstr(f->err, "already exists"));
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "bad/name",
	    "serverA", "A2", 1002, f->err, sizeof(f->err)), DSP_E_INVALID);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-2",
	    "serverZ", "A2", 1002, f->err, sizeof(f->err)), DSP_E_NOTFOUND);
	assert_non_null(strstr(f->err, "serverZ"));
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A9", 1002, f->err, sizeof(f->err)), DSP_E_NOTFOUND);
	assert_non_null(strstr(f->err, "A9"));
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A2", 1002, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(count_volumes(f->s), 2);

	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_E_NOTFOUND);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_NOTFOUND);
	assert_int_equal(count_volumes(f->s), 1);
	/* The region is free again. */
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-3",
	    "serverA", "A1", 1003, f->err, sizeof(f->err)), DSP_OK);
}

/* Agents remember generations by volume name: a name built again must
 * count on from the deleted volume, or its tickets would look revoked. */
static void
test_recreated_volume_keeps_counting(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;
	int			 i;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000", NULL),
	    DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_allocate(f->s, "serverJ", "Vol-1", 0,
		    1002, &v, f->err, sizeof(f->err)), DSP_OK);
		assert_int_equal(store_mount(f->s, "serverJ", "Vol-1", 1002,
		    &v, f->err, sizeof(f->err)), DSP_OK);
		assert_int_equal(store_release(f->s, "admin:0", NULL, "Vol-1",
		    1003, &v, f->err, sizeof(f->err)), DSP_OK);
		assert_int_equal(store_fence_ack_one(f, "serverA", "Vol-1",
		    v.generation), DSP_OK);
	}
	assert_int_equal(v.generation, 4);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1004, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
	assert_int_equal(v.generation, 5);
	assert_int_equal(v.extents[0].acked_generation, 5);
	assert_false(volume_is_fenced(&v));
}

static void
test_delete_refused_while_lent(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000", NULL),
	    DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1000, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-1", 0, 1001, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_BUSY);
	assert_non_null(strstr(f->err, "lent to serverJ"));
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-1", 1002, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_BUSY);
	assert_non_null(strstr(f->err, "mounted"));
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);

	/* Forced back but not yet acknowledged by the agent: still kept. */
	assert_int_equal(store_release(f->s, "admin:0", NULL, "Vol-1", 1003,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_FENCED);
	assert_non_null(strstr(f->err, "generation 2"));
	assert_int_equal(store_fence_ack_one(f, "serverA", "Vol-1", 2), DSP_OK);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_OK);
}

static void
test_register_idempotent(void **state)
{
	struct fixture		*f = *state;
	struct server_record	 sr;
	struct region_record	 rr;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:2000", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverA", 1005, "A1:1000",
	    "A2:2000", NULL), DSP_OK);
	assert_int_equal(count_servers(f->s), 1);
	assert_int_equal(count_regions(f->s), 2);
	assert_int_equal(store_get_server(f->s, "serverA", &sr), DSP_OK);
	assert_string_equal(sr.host, "127.0.2.1");
	assert_int_equal(sr.port, 7401);
	assert_int_equal(sr.up, 1);
	assert_int_equal(sr.last_seen, 1005);
	assert_true(find_region(f->s, "A2", &rr));
	assert_string_equal(rr.server, "serverA");
	assert_int_equal(rr.size, 2000);
	assert_int_equal(rr.available, 1);

	/* A2 used by a volume, A1 not: dropping both keeps A2 only. */
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A2", 1006, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(fixture_register(f, "serverA", 1010, "A3:3000", NULL),
	    DSP_OK);
	assert_int_equal(count_regions(f->s), 2);
	assert_false(find_region(f->s, "A1", &rr));
	assert_true(find_region(f->s, "A2", &rr));
	assert_int_equal(rr.available, 0);
	assert_string_equal(rr.reason, "no longer registered");
	assert_true(find_region(f->s, "A3", &rr));
	/* Listing it again brings it back. */
	assert_int_equal(fixture_register(f, "serverA", 1020, "A2:2000",
	    "A3:3000", NULL), DSP_OK);
	assert_true(find_region(f->s, "A2", &rr));
	assert_int_equal(rr.available, 1);
	assert_string_equal(rr.reason, "");
}

static void
test_register_generations(void **state)
{
	struct fixture		*f = *state;
	struct msg_register	 m;
	struct msg_generations	 gens;
	struct volume_record	 v;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:2000", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverB", 1000, "B1:1000", NULL),
	    DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-2",
	    "serverB", "B1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-1", 0, 1002, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-1", 1002, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-1",
	    1003, &v, f->err, sizeof(f->err)), DSP_OK);

	memset(&m, 0, sizeof(m));
	strcpy(m.server, "serverA");
	strcpy(m.host, "127.0.2.1");
	m.port = 7401;
	m.region_count = 1;
	strcpy(m.regions[0].name, "A1");
	m.regions[0].size = 1000;
	m.regions[0].available = 1;
	assert_int_equal(store_register(f->s, &m, 1004, &gens, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(gens.count, 1);
	assert_string_equal(gens.items[0].volume, "Vol-1");
	assert_int_equal(gens.items[0].generation, 2);
}

/* A region re-registered smaller than its volume is unavailable. */
static void
test_register_shrunk_region(void **state)
{
	struct fixture		*f = *state;
	struct region_record	 rr;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000", NULL),
	    DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(fixture_register(f, "serverA", 1002, "A1:999", NULL),
	    DSP_OK);
	assert_true(find_region(f->s, "A1", &rr));
	assert_int_equal(rr.available, 0);
	assert_non_null(strstr(rr.reason, "Vol-1"));
	assert_int_equal(fixture_register(f, "serverA", 1003, "A1:4000", NULL),
	    DSP_OK);
	assert_true(find_region(f->s, "A1", &rr));
	assert_int_equal(rr.available, 1);
}

static void
test_register_invalid(void **state)
{
	struct fixture		*f = *state;

	assert_int_equal(fixture_register(f, "bad name", 1000, "A1:1000", NULL),
	    DSP_E_INVALID);
	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A1:20", NULL), DSP_E_INVALID);
	assert_non_null(strstr(f->err, "twice"));
	assert_int_equal(fixture_register(f, "serverA", 1000, "A/1:1000", NULL),
	    DSP_E_INVALID);
	assert_int_equal(count_servers(f->s), 0);
	assert_int_equal(count_regions(f->s), 0);
	assert_int_equal(count_audit(f->s), 0);
}

static void
test_heartbeat_expiry(void **state)
{
	struct fixture		*f = *state;
	struct server_record	 sr;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000", NULL),
	    DSP_OK);
	assert_int_equal(fixture_register(f, "serverB", 1000, "B1:1000", NULL),
	    DSP_OK);
	assert_int_equal(store_heartbeat(f->s, "serverA", 1005, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_server(f->s, "serverA", &sr), DSP_OK);
	assert_int_equal(sr.last_seen, 1005);
	assert_int_equal(store_heartbeat(f->s, "serverQ", 1005, f->err,
	    sizeof(f->err)), DSP_E_NOTFOUND);
	assert_non_null(strstr(f->err, "serverQ"));

	assert_int_equal(store_expire_servers(f->s, 1010, 10), 0);
	/* B silent 11 s, A only 6 s. */
	assert_int_equal(store_expire_servers(f->s, 1011, 10), 1);
	assert_int_equal(store_get_server(f->s, "serverB", &sr), DSP_OK);
	assert_int_equal(sr.up, 0);
	assert_int_equal(store_get_server(f->s, "serverA", &sr), DSP_OK);
	assert_int_equal(sr.up, 1);
	assert_int_equal(store_expire_servers(f->s, 1012, 10), 0);
	assert_int_equal(store_expire_servers(f->s, 1016, 10), 1);
	assert_int_equal(store_get_server(f->s, "serverA", &sr), DSP_OK);
	assert_int_equal(sr.up, 0);

	/* Heard from again: up. */
	assert_int_equal(store_heartbeat(f->s, "serverB", 1020, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_server(f->s, "serverB", &sr), DSP_OK);
	assert_int_equal(sr.up, 1);
	assert_int_equal(store_server_down(f->s, "serverB"), DSP_OK);
	assert_int_equal(store_get_server(f->s, "serverB", &sr), DSP_OK);
	assert_int_equal(sr.up, 0);
	assert_int_equal(store_server_down(f->s, "serverQ"), DSP_E_NOTFOUND);
}

/* Other processes open the same environment read-only. */
static void
test_readonly_other_process(void **state)
{
	struct fixture	*f = *state;
	pid_t		 pid;
	int		 status;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000", NULL),
	    DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1000, f->err, sizeof(f->err)), DSP_OK);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct store		*ro;
		struct volume_record	 v;
		char			 err[256];
		int			 rc = 0;

		if (store_open(&ro, f->dir, 1, 0, err, sizeof(err)) != 0)
			_exit(2);
		if (store_get_volume(ro, "Vol-1", &v) != DSP_OK ||
		    v.size != 1000)
			rc = 3;
		if (store_allocate(ro, "serverJ", "Vol-1", 0, 1001, &v, err,
		    sizeof(err)) != DSP_E_READONLY)
			rc = 4;
		store_close(ro);
		_exit(rc);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The writer carries on. */
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_OK);
}

static void
test_persistence(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;
	struct server_record	 sr;
	int			 audit;
	struct store		*missing;
	char			 path[300];

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:500", NULL), DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-1", 0, 1002, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-1", 1003, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	audit = count_audit(f->s);

	reopen(f, 0);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
	assert_string_equal(v.borrower, "serverJ");
	assert_int_equal(v.mounted, 1);
	assert_int_equal(store_get_server(f->s, "serverA", &sr), DSP_OK);
	assert_int_equal(sr.last_seen, 1000);
	assert_int_equal(count_regions(f->s), 2);
	assert_int_equal(count_audit(f->s), audit);

	/* Read-only: everything readable, nothing writable. */
	reopen(f, 1);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_OK);
	assert_int_equal(count_audit(f->s), audit);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_READONLY);
	assert_int_equal(store_expire_servers(f->s, 5000, 1), -1);
	reopen(f, 0);
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-1",
	    1004, &v, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(count_audit(f->s), audit + 1);

	/* Read-only never creates a store. */
	snprintf(path, sizeof(path), "%s/nothing", f->dir);
	assert_int_not_equal(store_open(&missing, path, 1, 0, f->err,
	    sizeof(f->err)), 0);
	assert_non_null(strstr(f->err, "nothing"));
}

/* Snapshot of everything a failed operation must not touch. */
struct snapshot {
	int			volumes, regions, servers, audit;
	struct volume_record	v1;
	struct server_record	sa;
};

static void
snapshot(struct fixture *f, struct snapshot *sn)
{
	memset(sn, 0, sizeof(*sn));
	sn->volumes = count_volumes(f->s);
	sn->regions = count_regions(f->s);
	sn->servers = count_servers(f->s);
	sn->audit = count_audit(f->s);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &sn->v1), DSP_OK);
	assert_int_equal(store_get_server(f->s, "serverA", &sn->sa), DSP_OK);
}

static void
assert_unchanged(struct fixture *f, const struct snapshot *before)
{
	struct snapshot	after;

	snapshot(f, &after);
	assert_int_equal(after.volumes, before->volumes);
	assert_int_equal(after.regions, before->regions);
	assert_int_equal(after.servers, before->servers);
	assert_int_equal(after.audit, before->audit);
	assert_memory_equal(&after.v1, &before->v1, sizeof(after.v1));
	assert_memory_equal(&after.sa, &before->sa, sizeof(after.sa));
}

static void
test_failure_changes_nothing(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;
	struct snapshot		 sn;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:500", NULL), DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-1", 0, 1002, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	snapshot(f, &sn);

	assert_int_equal(store_allocate(f->s, "serverK", "Vol-1", 0, 1003, &v,
	    f->err, sizeof(f->err)), DSP_E_BUSY);
	assert_int_equal(store_allocate(f->s, "serverK", "", 600, 1003, &v,
	    f->err, sizeof(f->err)), DSP_E_NOSPACE);
	assert_int_equal(store_mount(f->s, "serverK", "Vol-1", 1003, &v,
	    f->err, sizeof(f->err)), DSP_E_BUSY);
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-1",
	    1003, &v, f->err, sizeof(f->err)), DSP_E_STATE);
	assert_int_equal(store_release(f->s, "serverK", "serverK", "Vol-1",
	    1003, &v, f->err, sizeof(f->err)), DSP_E_BUSY);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A1", 1003, f->err, sizeof(f->err)), DSP_E_BUSY);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_BUSY);
	assert_int_equal(fixture_register(f, "serverA", 1003, "A1:1000", "A1:5",
	    NULL), DSP_E_INVALID);
	assert_int_equal(store_heartbeat(f->s, "nobody", 1003, f->err,
	    sizeof(f->err)), DSP_E_NOTFOUND);
	assert_unchanged(f, &sn);
}

/*
 * A register that fails late (its reply cannot list the generations of
 * more than 256 volumes) rolls back the server and region writes done
 * before the failure in the same transaction.
 */
static void
test_failure_late_rolls_back(void **state)
{
	struct fixture		*f = *state;
	struct msg_register	 m;
	struct msg_generations	 gens;
	struct snapshot		 sn;
	char			 vol[32];
	int			 round, i, n = 0;

	memset(&m, 0, sizeof(m));
	strcpy(m.server, "serverA");
	strcpy(m.host, "127.0.2.1");
	m.port = 7401;
	m.region_count = DSP_MAX_REGIONS;
	/* Regions in use stay listed after the agent drops them, so five
	 * rounds of 64 regions leave 320 volumes on serverA. */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < DSP_MAX_REGIONS; i++) {
			snprintf(m.regions[i].name, sizeof(m.regions[i].name),
			    "R%d-%d", round, i);
			m.regions[i].size = 100;
			m.regions[i].available = 1;
		}
		assert_int_equal(store_register(f->s, &m, 1000, &gens, f->err,
		    sizeof(f->err)), DSP_OK);
		for (i = 0; i < DSP_MAX_REGIONS; i++, n++) {
			if (n == 0)
				strcpy(vol, "Vol-1");
			else
				snprintf(vol, sizeof(vol), "V%03d", n);
			assert_int_equal(store_volume_create_single(f->s,
			    "admin:0", vol, "serverA", m.regions[i].name, 1000,
			    f->err, sizeof(f->err)), DSP_OK);
		}
	}
	snapshot(f, &sn);
	assert_int_equal(sn.volumes, 320);
	strcpy(m.host, "127.0.9.9");
	m.port = 9999;
	m.regions[0].size = 1;
	assert_int_equal(store_register(f->s, &m, 2000, &gens, f->err,
	    sizeof(f->err)), DSP_E_TOOBIG);
	assert_non_null(strstr(f->err, "256"));
	assert_unchanged(f, &sn);
}

static void
test_audit_rows(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;
	struct audit_list	*al;
	static const char	*want[] = {
		"register", "create", "allocate", "mount", "unmount",
		"fence-ack", "release", "allocate", "mount", "force-unmount",
		"force-release", "fence-ack", "delete"
	};
	struct msg_generations	 gens;
	size_t			 i;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000", NULL),
	    DSP_OK);
	assert_int_equal(store_volume_create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-1", 0, 1002, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	/* Idempotent repeats write nothing. */
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-1", 0, 1002, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-1", 1003, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-1", 1003, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-1",
	    1004, &v, f->err, sizeof(f->err)), DSP_OK);
	gens.count = 1;
	strcpy(gens.items[0].volume, "Vol-1");
	gens.items[0].generation = v.generation;
	assert_int_equal(store_fence_ack(f->s, "serverA", &gens, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_fence_ack(f->s, "serverA", &gens, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_release(f->s, "serverJ", "serverJ", "Vol-1",
	    1005, &v, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverK", "", 10, 1006, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverK", "Vol-1", 1007, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_release(f->s, "admin:0", NULL, "Vol-1", 1008,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	gens.items[0].generation = v.generation;
	assert_int_equal(store_fence_ack(f->s, "serverA", &gens, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_OK);

	al = calloc(1, sizeof(*al));
	assert_non_null(al);
	assert_int_equal(store_each_audit(f->s, audit_list_cb, al), 0);
	assert_int_equal(al->n, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(al->rows[i].action, want[i]);
		assert_int_equal(al->rows[i].seq, i + 1);
	}
	assert_string_equal(al->rows[2].actor, "serverJ");
	assert_string_equal(al->rows[2].volume, "Vol-1");
	assert_int_equal(al->rows[2].time, 1002);
	assert_string_equal(al->rows[9].actor, "admin:0");
	assert_non_null(strstr(al->rows[9].detail, "serverK"));
	assert_non_null(strstr(al->rows[10].detail, "serverK"));
	free(al);
}

static void
test_codec(void **state)
{
	struct volume_record	v, back;
	struct audit_record	a, aback;
	struct buf_writer	w;
	uint8_t			saved;

	(void)state;
	memset(&v, 0, sizeof(v));
	strcpy(v.name, "Vol-1");
	v.form = DSP_FORM_SINGLE;
	v.size = 200ULL << 30;
	strcpy(v.borrower, "serverJ");
	v.mounted = 1;
	v.generation = 7;
	v.created_at = 1234567890;
	v.extent_count = 2;
	strcpy(v.extents[0].server, "serverA");
	strcpy(v.extents[0].region, "A2");
	v.extents[0].length = 100;
	v.extents[0].acked_generation = 7;
	strcpy(v.extents[1].server, "serverB");
	strcpy(v.extents[1].region, "B2");
	v.extents[1].offset = 5;
	v.extents[1].length = 95;
	v.extents[1].acked_generation = 6;
	buf_writer_init(&w);
	store_encode_volume(&w, &v);
	assert_int_equal(w.error, 0);
	assert_int_equal(w.data[0], STORE_RECORD_VERSION);
	assert_int_equal(store_decode_volume(w.data, w.len, &back), 0);
	assert_memory_equal(&v, &back, sizeof(v));
	assert_true(volume_is_fenced(&back));
	/* Strict: short, trailing and unknown-version records fail. */
	assert_int_equal(store_decode_volume(w.data, w.len - 1, &back), -1);
	buf_put_u8(&w, 0);
	assert_int_equal(store_decode_volume(w.data, w.len, &back), -1);
	saved = w.data[0];
	w.data[0] = STORE_RECORD_VERSION + 1;
	assert_int_equal(store_decode_volume(w.data, w.len - 1, &back), -1);
	w.data[0] = saved;
	buf_writer_free(&w);

	memset(&a, 0, sizeof(a));
	a.time = 99;
	strcpy(a.actor, "admin:0");
	strcpy(a.action, "force-unmount");
	strcpy(a.volume, "Vol-1");
	strcpy(a.detail, "generation 2");
	buf_writer_init(&w);
	store_encode_audit(&w, &a);
	assert_int_equal(store_decode_audit(w.data, w.len, &aback), 0);
	assert_memory_equal(&a, &aback, sizeof(a));
	buf_writer_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recreated_volume_keeps_counting,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_create_list_delete,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_delete_refused_while_lent,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_idempotent,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_generations,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_shrunk_region,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_register_invalid,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_expiry,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_readonly_other_process,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_persistence,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failure_changes_nothing,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failure_late_rolls_back,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_audit_rows,
		    setup, fixture_teardown),
		cmocka_unit_test(test_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
