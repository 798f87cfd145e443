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

#include "bitmap.h"
#include "store.h"
#include "store_fixture.h"
#include "store_internal.h"

static int
setup(void **state)
{
	return fixture_setup(state, "store_test");
}

/* A single volume from one region (the form most tests need). */
static int
create_single(struct store *s, const char *actor, const char *name,
    const char *server, const char *region, uint64_t now, char *err,
    size_t errlen)
{
	struct store_region_ref	r;

	memset(&r, 0, sizeof(r));
	snprintf(r.server, sizeof(r.server), "%s", server);
	snprintf(r.region, sizeof(r.region), "%s", region);
	return store_volume_create(s, actor, name, DSP_FORM_SINGLE, &r, 1,
	    now, err, errlen);
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
	return store_fence_ack(f->s, server, &g, NULL, f->err,
	    sizeof(f->err));
}

static void
test_create_list_delete(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:2000", NULL), DSP_OK);
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A1", 1002, f->err, sizeof(f->err)), DSP_E_BUSY);
	assert_non_null(strstr(f->err, "Vol-1"));
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A2", 1002, f->err, sizeof(f->err)), DSP_E_INVALID);
	assert_non_null(strstr(f->err, "already exists"));
	assert_int_equal(create_single(f->s, "admin:0", "bad/name",
	    "serverA", "A2", 1002, f->err, sizeof(f->err)), DSP_E_INVALID);
	assert_int_equal(create_single(f->s, "admin:0", "Vol-2",
	    "serverZ", "A2", 1002, f->err, sizeof(f->err)), DSP_E_NOTFOUND);
	assert_non_null(strstr(f->err, "serverZ"));
	assert_int_equal(create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A9", 1002, f->err, sizeof(f->err)), DSP_E_NOTFOUND);
	assert_non_null(strstr(f->err, "A9"));
	assert_int_equal(create_single(f->s, "admin:0", "Vol-2",
	    "serverA", "A2", 1002, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(count_volumes(f->s), 2);

	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-1", &v), DSP_E_NOTFOUND);
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-1", f->err,
	    sizeof(f->err)), DSP_E_NOTFOUND);
	assert_int_equal(count_volumes(f->s), 1);
	/* The region is free again. */
	assert_int_equal(create_single(f->s, "admin:0", "Vol-3",
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-2",
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
	struct msg_register		 m;
	struct msg_generation_page	 page;
	struct volume_record		 v;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    "A2:2000", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverB", 1000, "B1:1000", NULL),
	    DSP_OK);
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
	    "serverA", "A1", 1001, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(create_single(f->s, "admin:0", "Vol-2",
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
	assert_int_equal(store_register(f->s, &m, 1004, &page, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(page.gens.count, 1);
	assert_int_equal(page.more, 0);
	assert_string_equal(page.gens.items[0].volume, "Vol-1");
	assert_int_equal(page.gens.items[0].generation, 2);
}

/* A region re-registered smaller than its volume is unavailable. */
static void
test_register_shrunk_region(void **state)
{
	struct fixture		*f = *state;
	struct region_record	 rr;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000", NULL),
	    DSP_OK);
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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

	assert_int_equal(store_expire_servers(f->s, 1010, 10, NULL, NULL), 0);
	/* B silent 11 s, A only 6 s. */
	assert_int_equal(store_expire_servers(f->s, 1011, 10, NULL, NULL), 1);
	assert_int_equal(store_get_server(f->s, "serverB", &sr), DSP_OK);
	assert_int_equal(sr.up, 0);
	assert_int_equal(store_get_server(f->s, "serverA", &sr), DSP_OK);
	assert_int_equal(sr.up, 1);
	assert_int_equal(store_expire_servers(f->s, 1012, 10, NULL, NULL), 0);
	assert_int_equal(store_expire_servers(f->s, 1016, 10, NULL, NULL), 1);
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(store_expire_servers(f->s, 5000, 1, NULL, NULL), -1);
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-2",
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
 * A server with more volumes than one page holds learns their
 * generations in pages, each volume once, in name order; a volume
 * created between two pages is in the next one.
 */
static void
test_generation_pages(void **state)
{
	struct fixture			*f = *state;
	struct msg_register		 m;
	struct msg_generation_page	*page;
	char				 vol[32], last[DSP_NAME_MAX + 1];
	int				 round, i, n = 0, seen = 0;
	uint16_t			 k;

	page = calloc(1, sizeof(*page));
	assert_non_null(page);
	memset(&m, 0, sizeof(m));
	strcpy(m.server, "serverA");
	strcpy(m.host, "127.0.2.1");
	m.port = 7401;
	m.region_count = DSP_MAX_REGIONS;
	/* Regions in use stay listed after the agent drops them, so 17
	 * rounds of 64 regions leave 1088 volumes on serverA. */
	for (round = 0; round < 17; round++) {
		for (i = 0; i < DSP_MAX_REGIONS; i++) {
			snprintf(m.regions[i].name, sizeof(m.regions[i].name),
			    "R%d-%d", round, i);
			m.regions[i].size = 100;
			m.regions[i].available = 1;
		}
		assert_int_equal(store_register(f->s, &m, 1000, page, f->err,
		    sizeof(f->err)), DSP_OK);
		for (i = 0; i < DSP_MAX_REGIONS; i++, n++) {
			snprintf(vol, sizeof(vol), "V%04d", n);
			assert_int_equal(create_single(f->s,
			    "admin:0", vol, "serverA", m.regions[i].name, 1000,
			    f->err, sizeof(f->err)), DSP_OK);
		}
	}
	assert_int_equal(store_register(f->s, &m, 2000, page, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(page->gens.count, DSP_MAX_GENERATIONS);
	assert_int_equal(page->more, 1);
	for (;;) {
		for (k = 0; k < page->gens.count; k++, seen++) {
			snprintf(vol, sizeof(vol), "V%04d", seen);
			assert_string_equal(page->gens.items[k].volume, vol);
			assert_int_equal(page->gens.items[k].generation, 1);
		}
		if (!page->more)
			break;
		snprintf(last, sizeof(last), "%s",
		    page->gens.items[page->gens.count - 1].volume);
		assert_int_equal(store_generations(f->s, "serverA", last, page,
		    f->err, sizeof(f->err)), DSP_OK);
	}
	assert_int_equal(seen, n);
	assert_int_equal(store_generations(f->s, "serverX", "V0001", page,
	    f->err, sizeof(f->err)), DSP_E_NOTFOUND);
	free(page);
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
	assert_int_equal(create_single(f->s, "admin:0", "Vol-1",
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
	assert_int_equal(store_fence_ack(f->s, "serverA", &gens, NULL, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_fence_ack(f->s, "serverA", &gens, NULL, f->err,
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
	assert_int_equal(store_fence_ack(f->s, "serverA", &gens, NULL, f->err,
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

	/* The tail: the last three in order; more than there are: all. */
	memset(al, 0, sizeof(*al));
	assert_int_equal(store_each_audit_last(f->s, 3, audit_list_cb, al), 0);
	assert_int_equal(al->n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(al->rows[i].seq, 11 + i);
	assert_string_equal(al->rows[2].action, "delete");
	memset(al, 0, sizeof(*al));
	assert_int_equal(store_each_audit_last(f->s, 1000, audit_list_cb, al),
	    0);
	assert_int_equal(al->n, (int)(sizeof(want) / sizeof(want[0])));
	assert_int_equal(al->rows[0].seq, 1);
	free(al);
}

static void
test_audit_tail_empty(void **state)
{
	struct fixture		*f = *state;
	struct audit_list	 al;

	memset(&al, 0, sizeof(al));
	assert_int_equal(store_each_audit_last(f->s, 5, audit_list_cb, &al),
	    0);
	assert_int_equal(al.n, 0);
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
	v.extents[1].backup_hold = 1;		/* version 5 */
	v.extents[1].hold_until = 1234567999;
	v.extents[1].hold_missed = 1;
	buf_writer_init(&w);
	store_encode_volume(&w, &v);
	assert_int_equal(w.error, 0);
	assert_int_equal(w.data[0], STORE_VOLUME_VERSION);
	assert_int_equal(store_decode_volume(w.data, w.len, &back), 0);
	assert_memory_equal(&v, &back, sizeof(v));
	assert_true(volume_is_fenced(&back));
	/* Strict: short, trailing and unknown-version records fail. */
	assert_int_equal(store_decode_volume(w.data, w.len - 1, &back), -1);
	buf_put_u8(&w, 0);
	assert_int_equal(store_decode_volume(w.data, w.len, &back), -1);
	saved = w.data[0];
	w.data[0] = STORE_VOLUME_VERSION + 1;
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

/* --- usage forms and mirror legs --- */

#define MIB	(1024ULL * 1024)

/* refs from "server:region" ... NULL; returns the count. */
static uint16_t
refs_of(struct store_region_ref *refs, ...)
{
	const char	*spec, *colon;
	uint16_t	 n = 0;
	va_list		 ap;

	va_start(ap, refs);
	while ((spec = va_arg(ap, const char *)) != NULL) {
		colon = strrchr(spec, ':');
		memset(&refs[n], 0, sizeof(refs[n]));
		snprintf(refs[n].server, sizeof(refs[n].server), "%.*s",
		    (int)(colon - spec), spec);
		snprintf(refs[n].region, sizeof(refs[n].region), "%s",
		    colon + 1);
		n++;
	}
	va_end(ap);
	return n;
}

static int
create_form(struct fixture *f, const char *name, int form, ...)
{
	struct store_region_ref	 refs[24];
	const char		*spec, *colon;
	uint16_t		 n = 0;
	va_list			 ap;

	va_start(ap, form);
	while ((spec = va_arg(ap, const char *)) != NULL && n < 24) {
		colon = strrchr(spec, ':');
		memset(&refs[n], 0, sizeof(refs[n]));
		snprintf(refs[n].server, sizeof(refs[n].server), "%.*s",
		    (int)(colon - spec), spec);
		snprintf(refs[n].region, sizeof(refs[n].region), "%s",
		    colon + 1);
		n++;
	}
	va_end(ap);
	return store_volume_create(f->s, "admin:0", name, form, refs, n, 2000,
	    f->err, sizeof(f->err));
}

static int
split(struct fixture *f, const char *where, ...)
{
	struct store_region_ref	 ref;
	struct store_piece	 pieces[8];
	const char		*spec, *colon;
	uint16_t		 n = 0;
	va_list			 ap;

	refs_of(&ref, where, NULL);
	va_start(ap, where);
	while ((spec = va_arg(ap, const char *)) != NULL && n < 8) {
		colon = strrchr(spec, ':');
		memset(&pieces[n], 0, sizeof(pieces[n]));
		snprintf(pieces[n].name, sizeof(pieces[n].name), "%.*s",
		    (int)(colon - spec), spec);
		pieces[n].size = strcmp(colon + 1, "rest") == 0 ? 0 :
		    strtoull(colon + 1, NULL, 10);
		n++;
	}
	va_end(ap);
	return store_volume_split(f->s, "admin:0", &ref, pieces, n, 2100,
	    f->err, sizeof(f->err));
}

/* A region the agent reports unavailable. */
static void
register_unavailable(struct fixture *f, const char *server,
    const char *region, const char *reason)
{
	struct msg_register	m;

	memset(&m, 0, sizeof(m));
	snprintf(m.server, sizeof(m.server), "%s", server);
	snprintf(m.host, sizeof(m.host), "127.0.2.9");
	m.port = 7401;
	m.region_count = 1;
	snprintf(m.regions[0].name, sizeof(m.regions[0].name), "%s", region);
	m.regions[0].size = 1000;
	snprintf(m.regions[0].reason, sizeof(m.regions[0].reason), "%s",
	    reason);
	assert_int_equal(store_register(f->s, &m, 1000, NULL, f->err,
	    sizeof(f->err)), DSP_OK);
}

#define EXPECT(call, status, says) do {					\
	assert_int_equal((call), (status));				\
	if (strstr(f->err, (says)) == NULL)				\
		fail_msg("\"%s\" lacks \"%s\"", f->err, (says));	\
} while (0)

static void
test_create_forms(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;
	int			 n;
	char			 name[16];
	struct store_region_ref	 many[DSP_MAX_EXTENTS + 1];
	uint16_t		 i;

	assert_int_equal(fixture_register(f, "serverA", 1000, "A2:2000",
	    NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverB", 1000, "B2:2000",
	    NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverC", 1000, "C2:3000",
	    "C3:0", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverD", 1000, "D:1000",
	    "D2:500", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverE", 1000, "E:1500",
	    NULL), DSP_OK);
	register_unavailable(f, "serverF", "F", "file missing");

	assert_int_equal(create_form(f, "Vol-1", DSP_FORM_SINGLE, "serverA:A2",
	    NULL), DSP_OK);
	assert_int_equal(create_form(f, "Vol-2", DSP_FORM_CONCAT, "serverB:B2",
	    "serverC:C2", NULL), DSP_OK);
	assert_int_equal(create_form(f, "Vol-3", DSP_FORM_MIRROR, "serverD:D",
	    "serverE:E", NULL), DSP_OK);

	assert_int_equal(store_get_volume(f->s, "Vol-2", &v), DSP_OK);
	assert_int_equal(v.form, DSP_FORM_CONCAT);
	assert_int_equal(v.size, 5000);
	assert_int_equal(v.extent_count, 2);
	assert_string_equal(v.extents[0].server, "serverB");
	assert_int_equal(v.extents[0].length, 2000);
	assert_string_equal(v.extents[1].server, "serverC");
	assert_int_equal(v.extents[1].offset, 0);
	assert_int_equal(v.extents[1].length, 3000);
	assert_int_equal(v.chunk_size, 0);

	/* A mirror is as large as its smallest leg. */
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.form, DSP_FORM_MIRROR);
	assert_int_equal(v.size, 1000);
	assert_int_equal(v.extents[0].length, 1000);
	assert_int_equal(v.extents[1].length, 1000);
	assert_int_equal(v.extents[1].offset, 0);
	assert_int_equal(v.extents[0].leg_state, DSP_LEG_IN_SYNC);
	assert_int_equal(v.extents[1].leg_state, DSP_LEG_IN_SYNC);
	assert_int_equal(v.chunk_size, DSP_MIRROR_CHUNK);
	assert_int_equal(v.dirty_chunks, 0);

	/* Every refusal names the problem and changes nothing. */
	n = count_audit(f->s);
	EXPECT(create_form(f, "Vol-9", DSP_FORM_MIRROR, "serverD:D2",
	    "serverD:D", NULL), DSP_E_INVALID, "distinct servers");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_SINGLE, "serverD:D2",
	    "serverE:E", NULL), DSP_E_INVALID, "not 2");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_CONCAT, "serverD:D2", NULL),
	    DSP_E_INVALID, "at least 2 regions");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_MIRROR, "serverD:D2", NULL),
	    DSP_E_INVALID, "at least 2 regions");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_SPLIT, "serverD:D2", NULL),
	    DSP_E_INVALID, "volume split");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_CONCAT, "serverD:D2",
	    "serverD:D2", NULL), DSP_E_INVALID, "named twice");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_CONCAT, "serverD:D2",
	    "serverQ:Q1", NULL), DSP_E_NOTFOUND, "serverQ");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_CONCAT, "serverD:D2",
	    "serverE:E7", NULL), DSP_E_NOTFOUND, "E7");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_MIRROR, "serverD:D2",
	    "serverF:F", NULL), DSP_E_UNAVAILABLE, "file missing");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_CONCAT, "serverD:D2",
	    "serverC:C3", NULL), DSP_E_INVALID, "empty");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_CONCAT, "serverD:D2",
	    "serverA:A2", NULL), DSP_E_BUSY, "already used by volume Vol-1");
	EXPECT(create_form(f, "Vol-9", DSP_FORM_MIRROR, "serverD:D2",
	    "serverE:E", NULL), DSP_E_BUSY, "already used by volume Vol-3");
	EXPECT(create_form(f, "Vol-2", DSP_FORM_SINGLE, "serverD:D2", NULL),
	    DSP_E_INVALID, "already exists");
	for (i = 0; i <= DSP_MAX_EXTENTS; i++) {
		snprintf(name, sizeof(name), "R%u", i);
		refs_of(&many[i], "serverD:x", NULL);
		snprintf(many[i].region, sizeof(many[i].region), "%s", name);
	}
	EXPECT(store_volume_create(f->s, "admin:0", "Vol-9", DSP_FORM_CONCAT,
	    many, DSP_MAX_EXTENTS + 1, 2000, f->err, sizeof(f->err)),
	    DSP_E_INVALID, "at most 16");
	assert_int_equal(count_volumes(f->s), 3);
	assert_int_equal(count_audit(f->s), n);
}

static void
test_split_forms(void **state)
{
	struct fixture		*f = *state;
	struct volume_record	 v;

	assert_int_equal(fixture_register(f, "serverX", 1000, "X2:1000",
	    "Y:100", NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverD", 1000, "D:1000", NULL),
	    DSP_OK);
	assert_int_equal(fixture_register(f, "serverE", 1000, "E:1500", NULL),
	    DSP_OK);

	assert_int_equal(split(f, "serverX:X2", "Vol-4:300", "Vol-5:rest",
	    NULL), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-4", &v), DSP_OK);
	assert_int_equal(v.form, DSP_FORM_SPLIT);
	assert_int_equal(v.size, 300);
	assert_int_equal(v.extents[0].offset, 0);
	assert_int_equal(v.extents[0].length, 300);
	assert_int_equal(store_get_volume(f->s, "Vol-5", &v), DSP_OK);
	assert_int_equal(v.size, 700);
	assert_int_equal(v.extents[0].offset, 300);
	assert_int_equal(v.generation, 1);

	/* Full: the sentence says how much is free and after what. */
	EXPECT(split(f, "serverX:X2", "Vol-6:1", NULL), DSP_E_NOSPACE,
	    "only 0 bytes free after volume Vol-5");
	EXPECT(create_form(f, "Vol-6", DSP_FORM_SINGLE, "serverX:X2", NULL),
	    DSP_E_BUSY, "already used by volume Vol-4");

	/* Freed at the end: the next pieces go after Vol-4; a name used
	 * before counts on from its old generation. */
	assert_int_equal(store_volume_delete(f->s, "admin:0", "Vol-5", f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(split(f, "serverX:X2", "Vol-5:200", "Vol-7:rest",
	    NULL), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-5", &v), DSP_OK);
	assert_int_equal(v.extents[0].offset, 300);
	assert_int_equal(v.size, 200);
	assert_int_equal(v.generation, 2);
	assert_int_equal(store_get_volume(f->s, "Vol-7", &v), DSP_OK);
	assert_int_equal(v.extents[0].offset, 500);
	assert_int_equal(v.size, 500);

	/* Not fitting, all or nothing. */
	EXPECT(split(f, "serverX:Y", "a:60", "b:50", NULL), DSP_E_NOSPACE,
	    "only 100 bytes free");
	assert_int_equal(store_get_volume(f->s, "a", &v), DSP_E_NOTFOUND);
	EXPECT(split(f, "serverX:Y", "a:100", "b:rest", NULL), DSP_E_NOSPACE,
	    "left for the rest");
	EXPECT(split(f, "serverX:Y", "a:rest", "b:10", NULL), DSP_E_INVALID,
	    "only the last piece");
	EXPECT(split(f, "serverX:Y", "a:10", "a:10", NULL), DSP_E_INVALID,
	    "given twice");
	EXPECT(split(f, "serverX:Y", "Vol-4:10", NULL), DSP_E_INVALID,
	    "already exists");
	EXPECT(split(f, "serverX:Z", "z:10", NULL), DSP_E_NOTFOUND, "Z");
	assert_int_equal(split(f, "serverX:Y", "a:100", NULL), DSP_OK);

	/* The bytes a mirror leaves on its larger leg can be split off. */
	assert_int_equal(create_form(f, "Vol-3", DSP_FORM_MIRROR, "serverD:D",
	    "serverE:E", NULL), DSP_OK);
	assert_int_equal(split(f, "serverE:E", "Vol-8:rest", NULL), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-8", &v), DSP_OK);
	assert_int_equal(v.extents[0].offset, 1000);
	assert_int_equal(v.size, 500);
	EXPECT(split(f, "serverD:D", "Vol-9:rest", NULL), DSP_E_NOSPACE,
	    "after volume Vol-3");
}

/* The example mirror, lent to serverJ and mounted; 10 chunks. */
static void
mirror_setup(struct fixture *f, const char *third)
{
	struct volume_record	v;

	assert_int_equal(fixture_register(f, "serverD", 1000, "D:10485760",
	    NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverE", 1000, "E:10485760",
	    NULL), DSP_OK);
	assert_int_equal(fixture_register(f, "serverF", 1000, "F:10485760",
	    NULL), DSP_OK);
	assert_int_equal(create_form(f, "Vol-3", DSP_FORM_MIRROR, "serverD:D",
	    "serverE:E", third, NULL), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-3", 0, 3000, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-3", 3000, &v,
	    f->err, sizeof(f->err)), DSP_OK);
}

static int
leg_fail(struct fixture *f, uint16_t leg, const struct msg_range *r,
    uint16_t n, struct msg_mirror_status *st)
{
	return store_leg_fail(f->s, "serverJ", "Vol-3", leg, "write error",
	    r, n, 3100, st, f->err, sizeof(f->err));
}

static int
mark(struct fixture *f, uint64_t off, uint64_t len)
{
	struct msg_range	r = { off, len };

	return store_mark_dirty(f->s, "serverJ", "Vol-3", &r, 1, f->err,
	    sizeof(f->err));
}

static uint8_t
bitmap_byte0(struct fixture *f)
{
	uint8_t	*bits, b;
	size_t	 len;

	assert_int_equal(store_get_bitmap(f->s, "Vol-3", &bits, &len), DSP_OK);
	if (bits == NULL)
		return 0;
	assert_int_equal(len, 2);
	b = bits[0];
	free(bits);
	return b;
}

static void
test_mirror_legs(void **state)
{
	struct fixture			*f = *state;
	struct msg_mirror_status	 st;
	struct msg_resync_plan		 plan;
	struct volume_record		 v;
	struct msg_range		 r[2] = { { 0, 1 }, { 3 * MIB, 2 * MIB } };
	struct msg_range		 nine = { 9 * MIB, 1 };
	uint8_t				*bits, *none;
	size_t				 len;
	int				 rows;

	mirror_setup(f, NULL);
	assert_int_equal(store_mirror_status(f->s, "serverJ", "Vol-3", &st,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_string_equal(st.volume, "Vol-3");
	assert_int_equal(st.health, DSP_HEALTH_OK);
	assert_int_equal(st.chunk_size, DSP_MIRROR_CHUNK);
	assert_int_equal(st.leg_count, 2);
	assert_int_equal(st.legs[1].state, DSP_LEG_IN_SYNC);
	assert_int_equal(st.legs[1].server_up, 1);

	/* All in sync: marks are accepted and not needed. */
	assert_int_equal(mark(f, 0, MIB), DSP_OK);
	assert_int_equal(store_get_bitmap(f->s, "Vol-3", &bits, &len), DSP_OK);
	assert_null(bits);
	assert_int_equal(len, 0);
	EXPECT(mark(f, 10 * MIB - 1, 2), DSP_E_RANGE, "past the end of "
	    "volume Vol-3");

	rows = count_audit(f->s);
	assert_int_equal(leg_fail(f, 1, r, 2, &st), DSP_OK);
	assert_int_equal(st.legs[1].state, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(st.health, DSP_HEALTH_DEGRADED);
	assert_int_equal(st.dirty_chunks, 3);
	assert_int_equal(bitmap_byte0(f), 0x19);	/* chunks 0, 3, 4 */
	assert_int_equal(count_audit(f->s), rows + 1);

	/* The last in-sync leg stays the reference: refused whole. */
	EXPECT(leg_fail(f, 0, &nine, 1, &st), DSP_E_STATE,
	    "leg serverD:D is the last in-sync leg of volume Vol-3");
	EXPECT(leg_fail(f, 1, &nine, 1, NULL), DSP_OK, "");
	nine.offset = 10 * MIB;
	EXPECT(leg_fail(f, 1, &nine, 1, &st), DSP_E_RANGE, "past the end");
	EXPECT(leg_fail(f, 5, NULL, 0, &st), DSP_E_INVALID, "no leg 5");
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.dirty_chunks, 4);		/* + chunk 9 */
	assert_string_equal(v.extents[1].leg_reason, "write error");
	assert_int_equal(count_audit(f->s), rows + 1);

	assert_int_equal(mark(f, 5 * MIB, 1), DSP_OK);
	EXPECT(mark(f, 11 * MIB, 1), DSP_E_RANGE, "past the end");
	EXPECT(store_mark_dirty(f->s, "serverK", "Vol-3", r, 1, f->err,
	    sizeof(f->err)), DSP_E_BUSY, "lent to serverJ");

	/* A manager restart keeps leg states and bitmap. */
	reopen(f, 0);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.extents[1].leg_state, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(v.dirty_chunks, 5);
	assert_int_equal(store_get_bitmap(f->s, "Vol-3", &bits, &len), DSP_OK);
	assert_int_equal(len, 2);
	assert_int_equal(bits[0], 0x39);		/* 0, 3, 4, 5 */
	assert_int_equal(bits[1], 0x02);		/* 9 */
	free(bits);

	/* Resync: only an out-of-sync leg, only with its server up. */
	EXPECT(store_resync_begin(f->s, "serverJ", "Vol-3", 0, 3200, &plan,
	    &bits, f->err, sizeof(f->err)), DSP_E_STATE, "in sync");
	assert_int_equal(store_server_down(f->s, "serverE"), DSP_OK);
	EXPECT(store_resync_begin(f->s, "serverJ", "Vol-3", 1, 3200, &plan,
	    &bits, f->err, sizeof(f->err)), DSP_E_UNAVAILABLE, "down");
	assert_null(bits);
	assert_int_equal(store_heartbeat(f->s, "serverE", 3200, f->err,
	    sizeof(f->err)), DSP_OK);
	assert_int_equal(store_resync_begin(f->s, "serverJ", "Vol-3", 1, 3200,
	    &plan, &bits, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(plan.leg, 1);
	assert_int_equal(plan.full, 0);
	assert_int_equal(plan.chunk_size, DSP_MIRROR_CHUNK);
	assert_int_equal(plan.chunk_count, 10);
	assert_int_equal(plan.bitmap_len, 2);
	assert_ptr_equal(plan.bitmap, bits);
	assert_int_equal(bits[0], 0x39);
	free(bits);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.extents[1].leg_state, DSP_LEG_RESYNCING);
	assert_int_equal(v.extents[1].resync_total, 5);

	rows = count_audit(f->s);
	assert_int_equal(store_resync_progress(f->s, "serverJ", "Vol-3", 1, 2,
	    5, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.extents[1].resync_done, 2);
	assert_int_equal(count_audit(f->s), rows);	/* no audit row */
	EXPECT(store_resync_progress(f->s, "serverJ", "Vol-3", 0, 1, 5, f->err,
	    sizeof(f->err)), DSP_E_STATE, "not resyncing");
	assert_int_equal(store_mirror_status(f->s, "serverJ", "Vol-3", &st,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(st.health, DSP_HEALTH_RESYNCING);
	assert_int_equal(st.legs[1].resync_done, 2);

	/* Writes during the resync are still marked; a restarted resync
	 * starts over with them. */
	assert_int_equal(mark(f, 7 * MIB, 1), DSP_OK);
	assert_int_equal(store_resync_begin(f->s, "serverJ", "Vol-3", 1, 3300,
	    &plan, &bits, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(bitmap_count(bits, 10), 6);
	free(bits);

	assert_int_equal(store_resync_done(f->s, "serverJ", "Vol-3", 1, 6,
	    3400, &st, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(st.legs[1].state, DSP_LEG_IN_SYNC);
	assert_int_equal(st.health, DSP_HEALTH_OK);
	assert_int_equal(st.dirty_chunks, 0);
	assert_int_equal(store_get_bitmap(f->s, "Vol-3", &none, &len), DSP_OK);
	assert_null(none);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.extents[1].last_copied, 6);
	assert_string_equal(v.extents[1].leg_reason, "");
	EXPECT(store_resync_done(f->s, "serverJ", "Vol-3", 1, 6, 3400, &st,
	    f->err, sizeof(f->err)), DSP_E_STATE, "not resyncing");
}

struct last_audit {
	struct audit_record	a;
};

static int
last_audit_cb(const struct audit_record *a, void *arg)
{
	((struct last_audit *)arg)->a = *a;
	return 0;
}

static void
test_mirror_refusals(void **state)
{
	struct fixture			*f = *state;
	struct msg_mirror_status	 st;
	struct last_audit		 la;
	struct msg_range		 r = { 0, 1 };
	uint8_t				*bits;
	size_t				 len;

	mirror_setup(f, "serverF:F");
	assert_int_equal(fixture_register(f, "serverA", 1000, "A1:1000",
	    NULL), DSP_OK);
	assert_int_equal(create_form(f, "Vol-1", DSP_FORM_SINGLE, "serverA:A1",
	    NULL), DSP_OK);
	EXPECT(store_mirror_status(f->s, "serverJ", "Vol-1", &st, f->err,
	    sizeof(f->err)), DSP_E_INVALID, "not a mirror");
	EXPECT(store_mirror_status(f->s, "serverK", "Vol-3", &st, f->err,
	    sizeof(f->err)), DSP_E_BUSY, "lent to serverJ");
	EXPECT(store_mirror_status(f->s, "serverJ", "Vol-9", &st, f->err,
	    sizeof(f->err)), DSP_E_NOTFOUND, "Vol-9");
	assert_int_equal(store_get_bitmap(f->s, "Vol-1", &bits, &len),
	    DSP_E_INVALID);
	assert_int_equal(store_get_bitmap(f->s, "Vol-9", &bits, &len),
	    DSP_E_NOTFOUND);

	/* With three legs, the bitmap stays until the last one is back. */
	assert_int_equal(leg_fail(f, 1, &r, 1, &st), DSP_OK);
	assert_int_equal(leg_fail(f, 2, NULL, 0, &st), DSP_OK);
	assert_int_equal(st.legs[2].state, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(store_resync_begin(f->s, "serverJ", "Vol-3", 1, 3200,
	    &(struct msg_resync_plan){ 0 }, &bits, f->err, sizeof(f->err)),
	    DSP_OK);
	free(bits);
	assert_int_equal(store_resync_done(f->s, "serverJ", "Vol-3", 1, 1,
	    3300, &st, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(st.dirty_chunks, 1);
	assert_int_equal(st.health, DSP_HEALTH_DEGRADED);
	assert_int_equal(store_each_audit(f->s, last_audit_cb, &la), 0);
	assert_string_equal(la.a.action, "resync-done");
	assert_string_equal(la.a.detail, "leg serverE:E in sync, 1 chunks "
	    "copied");
	assert_int_equal(store_resync_begin(f->s, "serverJ", "Vol-3", 2, 3400,
	    &(struct msg_resync_plan){ 0 }, &bits, f->err, sizeof(f->err)),
	    DSP_OK);
	free(bits);
	assert_int_equal(store_resync_done(f->s, "serverJ", "Vol-3", 2, 1,
	    3500, &st, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(st.dirty_chunks, 0);
	assert_int_equal(st.health, DSP_HEALTH_OK);

	/* Not mounted: refused. */
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-3",
	    3600, NULL, f->err, sizeof(f->err)), DSP_OK);
	EXPECT(store_mark_dirty(f->s, "serverJ", "Vol-3", &r, 1, f->err,
	    sizeof(f->err)), DSP_E_STATE, "not mounted");
}

static void
ack(struct fixture *f, const char *server, uint64_t gen)
{
	struct msg_generations	g;

	memset(&g, 0, sizeof(g));
	g.count = 1;
	strcpy(g.items[0].volume, "Vol-3");
	g.items[0].generation = gen;
	assert_int_equal(store_fence_ack(f->s, server, &g, NULL, f->err,
	    sizeof(f->err)), DSP_OK);
}

/* A borrower forced off may have died mid-write to all in-sync legs. */
static int
split_leg(struct fixture *f, uint64_t now, uint16_t *leg)
{
	struct volume_extent	e;

	return store_split_leg(f->s, "backup1", "Vol-3", now, now + 100, leg,
	    &e, f->err, sizeof(f->err));
}

static int
split_end(struct fixture *f, uint16_t leg, int *resync)
{
	return store_split_end(f->s, "backup1", "Vol-3", leg, 3500, resync,
	    f->err, sizeof(f->err));
}

/* Shown state of leg 1: to the borrower, and to a backup. */
static void
split_shown(struct fixture *f, uint8_t borrower, uint8_t backup)
{
	struct msg_mirror_status	st;

	assert_int_equal(store_mirror_status(f->s, "serverJ", "Vol-3", &st,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(st.legs[1].state, borrower);
	assert_int_equal(store_mirror_status(f->s, NULL, "Vol-3", &st,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(st.legs[1].state, backup);
}

/*
 * A split-leg copy's hold: the last in-sync leg is held, shown in sync
 * to the borrower until it misses a write, not resynced while held;
 * given back in sync when it missed nothing, else to be resynced; a
 * hold that ran out is lifted; one current leg is not enough.
 */
static void
test_split_leg(void **state)
{
	struct fixture		*f = *state;
	struct msg_resync_plan	 plan;
	struct volume_extent	 e;
	struct volume_record	 v;
	struct msg_range	 r = { 2 * MIB, 10 };
	uint8_t			*bits = NULL;
	uint16_t		 leg = 9;
	int			 resync = -1;

	mirror_setup(f, NULL);
	assert_int_equal(split_leg(f, 3200, &leg), DSP_OK);
	assert_int_equal(leg, 1);
	EXPECT(split_leg(f, 3200, &leg), DSP_E_BUSY, "already held");
	split_shown(f, DSP_LEG_IN_SYNC, DSP_LEG_OUT_OF_SYNC);
	EXPECT(store_resync_begin(f->s, "serverJ", "Vol-3", 1, 3200, &plan,
	    &bits, f->err, sizeof(f->err)), DSP_E_BUSY,
	    "held for a backup copy");
	assert_int_equal(split_end(f, 1, &resync), DSP_OK);
	assert_int_equal(resync, 0);
	split_shown(f, DSP_LEG_IN_SYNC, DSP_LEG_IN_SYNC);
	EXPECT(split_end(f, 1, &resync), DSP_E_STATE, "not held");

	/* A write refused there: the borrower skips it from then on. */
	assert_int_equal(split_leg(f, 3200, &leg), DSP_OK);
	assert_int_equal(leg_fail(f, 1, &r, 1, NULL), DSP_OK);
	split_shown(f, DSP_LEG_OUT_OF_SYNC, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(split_end(f, 1, &resync), DSP_OK);
	assert_int_equal(resync, 1);
	split_shown(f, DSP_LEG_OUT_OF_SYNC, DSP_LEG_OUT_OF_SYNC);
	EXPECT(split_leg(f, 3200, &leg), DSP_E_STATE, "has 1 in-sync leg; a "
	    "split-leg copy needs two (leg serverE:E is out-of-sync");
	assert_int_equal(store_resync_begin(f->s, "serverJ", "Vol-3", 1, 3300,
	    &plan, &bits, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(bitmap_count(bits, 10), 1);
	free(bits);
	EXPECT(split_leg(f, 3300, &leg), DSP_E_BUSY, "leg serverE:E of volume "
	    "Vol-3 is resyncing; a split-leg copy waits");
	assert_int_equal(store_resync_done(f->s, "serverJ", "Vol-3", 1, 1,
	    3400, NULL, f->err, sizeof(f->err)), DSP_OK);

	/* A hold runs out at its time, not before; renewed, later. */
	assert_int_equal(split_leg(f, 3400, &leg), DSP_OK);
	assert_int_equal(store_split_extend(f->s, "Vol-3", 3600, &leg, &e), 1);
	assert_int_equal(e.hold_until, 3600);
	assert_int_equal(store_split_expire(f->s, "Vol-3", 1, 3599, &e), 0);
	assert_int_equal(store_split_expire(f->s, "Vol-3", 1, 3600, &e), 1);
	split_shown(f, DSP_LEG_IN_SYNC, DSP_LEG_IN_SYNC);
	EXPECT(split_end(f, 1, &resync), DSP_E_STATE, "ran out");
	assert_int_equal(store_split_extend(f->s, "Vol-3", 3700, &leg, &e), 0);

	/* Forced off, the borrower may have died with a refused write it
	 * never reported: the held leg is copied whole afterwards. */
	assert_int_equal(split_leg(f, 3700, &leg), DSP_OK);
	assert_int_equal(store_unmount(f->s, "admin:0", NULL, "Vol-3", 3750,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(split_end(f, 1, &resync), DSP_OK);
	assert_int_equal(resync, 1);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.extents[1].leg_state, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(v.extents[1].full_resync, 1);
	assert_int_equal(v.extents[0].leg_state, DSP_LEG_IN_SYNC);
}

/* With a third leg behind: it is not resynced under the copy (the
 * borrower could read what the held leg missed as its source). */
static void
test_split_leg_resyncs_wait(void **state)
{
	struct fixture		*f = *state;
	struct msg_resync_plan	 plan;
	uint8_t			*bits = NULL;
	uint16_t		 leg = 9;
	int			 resync;

	mirror_setup(f, "serverF:F");
	assert_int_equal(leg_fail(f, 2, NULL, 0, NULL), DSP_OK);
	assert_int_equal(split_leg(f, 3200, &leg), DSP_OK);
	assert_int_equal(leg, 1);
	EXPECT(store_resync_begin(f->s, "serverJ", "Vol-3", 2, 3200, &plan,
	    &bits, f->err, sizeof(f->err)), DSP_E_BUSY, "leg serverE:E of "
	    "volume Vol-3 is held for a backup copy; other legs are resynced "
	    "once the copy ends");
	assert_int_equal(split_end(f, 1, &resync), DSP_OK);
	assert_int_equal(resync, 0);
	assert_int_equal(store_resync_begin(f->s, "serverJ", "Vol-3", 2, 3600,
	    &plan, &bits, f->err, sizeof(f->err)), DSP_OK);
	free(bits);
}

static void
test_mirror_forced_unmount(void **state)
{
	struct fixture			*f = *state;
	struct msg_mirror_status	 st;
	struct msg_resync_plan		 plan;
	struct volume_record		 v;
	uint8_t				*bits;

	mirror_setup(f, "serverF:F");
	assert_int_equal(leg_fail(f, 2, NULL, 0, &st), DSP_OK);
	assert_int_equal(store_resync_begin(f->s, "serverJ", "Vol-3", 2, 3200,
	    &plan, &bits, f->err, sizeof(f->err)), DSP_OK);
	free(bits);
	assert_int_equal(store_unmount(f->s, "admin:0", NULL, "Vol-3", 3300,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(v.generation, 2);
	assert_int_equal(v.extents[0].leg_state, DSP_LEG_IN_SYNC);
	assert_int_equal(v.extents[1].leg_state, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(v.extents[1].full_resync, 1);
	assert_non_null(strstr(v.extents[1].leg_reason, "forced unmount"));
	assert_int_equal(v.extents[2].leg_state, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(v.extents[2].full_resync, 0);

	/* Only the in-sync leg fences the volume. */
	assert_true(volume_is_fenced(&v));
	ack(f, "serverD", 2);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_false(volume_is_fenced(&v));
	/* Deleting it would still leave E and F unaware of generation 2. */
	assert_int_equal(store_release(f->s, "admin:0", NULL, "Vol-3", 3350,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	EXPECT(store_volume_delete(f->s, "admin:0", "Vol-3", f->err,
	    sizeof(f->err)), DSP_E_FENCED, "generation 2");

	assert_int_equal(store_allocate(f->s, "serverK", "Vol-3", 0, 3400, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverK", "Vol-3", 3400, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	/* E has not acked yet: the old borrower could still write there. */
	EXPECT(store_resync_begin(f->s, "serverK", "Vol-3", 1, 3500, &plan,
	    &bits, f->err, sizeof(f->err)), DSP_E_FENCED, "acknowledge");
	ack(f, "serverE", 2);
	assert_int_equal(store_resync_begin(f->s, "serverK", "Vol-3", 1, 3500,
	    &plan, &bits, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(plan.full, 1);
	assert_null(bits);
	assert_int_equal(plan.bitmap_len, 0);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.extents[1].resync_total, 10);
	assert_int_equal(store_resync_done(f->s, "serverK", "Vol-3", 1, 10,
	    3600, &st, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	assert_int_equal(v.extents[1].full_resync, 0);

	/* A forced release of a mounted mirror does the same. */
	assert_int_equal(store_release(f->s, "admin:0", NULL, "Vol-3", 3700,
	    &v, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(v.extents[0].leg_state, DSP_LEG_IN_SYNC);
	assert_int_equal(v.extents[1].leg_state, DSP_LEG_OUT_OF_SYNC);
	assert_int_equal(v.extents[1].full_resync, 1);
}

static void
test_mirror_degraded_allocate(void **state)
{
	struct fixture			*f = *state;
	struct msg_mirror_status	 st;
	struct volume_record		 v;

	mirror_setup(f, NULL);
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-3",
	    3100, &v, f->err, sizeof(f->err)), DSP_OK);
	ack(f, "serverD", 2);
	ack(f, "serverE", 2);
	assert_int_equal(store_release(f->s, "serverJ", "serverJ", "Vol-3",
	    3100, &v, f->err, sizeof(f->err)), DSP_OK);

	/* One in-sync leg up is enough. */
	assert_int_equal(store_server_down(f->s, "serverD"), DSP_OK);
	assert_int_equal(store_allocate(f->s, "serverJ", "Vol-3", 0, 3200, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-3", 3200, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_mirror_status(f->s, "serverJ", "Vol-3", &st,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(st.health, DSP_HEALTH_DEGRADED);
	assert_int_equal(st.legs[0].server_up, 0);
	assert_int_equal(leg_fail(f, 0, NULL, 0, &st), DSP_OK);
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-3",
	    3300, &v, f->err, sizeof(f->err)), DSP_OK);
	ack(f, "serverE", 3);
	/* D is out of sync and down: it neither fences nor blocks. */
	assert_int_equal(store_mount(f->s, "serverJ", "Vol-3", 3400, &v,
	    f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_unmount(f->s, "serverJ", "serverJ", "Vol-3",
	    3500, &v, f->err, sizeof(f->err)), DSP_OK);
	ack(f, "serverE", 4);

	/* The only in-sync leg is down: failed, not lendable. */
	assert_int_equal(store_server_down(f->s, "serverE"), DSP_OK);
	assert_int_equal(fixture_register(f, "serverD", 3600, "D:10485760",
	    NULL), DSP_OK);
	EXPECT(store_mount(f->s, "serverJ", "Vol-3", 3600, &v, f->err,
	    sizeof(f->err)), DSP_E_UNAVAILABLE, "no in-sync leg can be "
	    "reached (server serverE is down)");
}

/* Reasons a peer sent are kept escaped, within their field. */
static void
test_peer_reasons_escaped(void **state)
{
	struct fixture			*f = *state;
	struct msg_mirror_status	 st;
	struct region_record		 rr;
	struct volume_record		 v;
	struct last_audit		 la;
	char				 longest[DSP_REASON_MAX + 1];
	size_t				 n;

	register_unavailable(f, "serverA", "A1", "bad\x1b[2J\npath \\x41");
	assert_true(find_region(f->s, "A1", &rr));
	assert_string_equal(rr.reason, "bad\\x1b[2J\\x0apath \\\\x41");

	/* 127 bytes at most, and no escape cut in two: not in the leg
	 * either, nor in the audit row that quotes it. */
	memset(longest, 0x1b, sizeof(longest) - 1);
	longest[0] = 'a';
	longest[1] = 'b';
	longest[sizeof(longest) - 1] = '\0';
	mirror_setup(f, NULL);
	assert_int_equal(store_leg_fail(f->s, "serverJ", "Vol-3", 1, longest,
	    NULL, 0, 3100, &st, f->err, sizeof(f->err)), DSP_OK);
	assert_int_equal(store_get_volume(f->s, "Vol-3", &v), DSP_OK);
	n = strlen(v.extents[1].leg_reason);
	assert_int_equal(n, 2 + 31 * 4);
	assert_memory_equal(v.extents[1].leg_reason + n - 4, "\\x1b", 4);
	assert_int_equal(store_each_audit(f->s, last_audit_cb, &la), 0);
	assert_string_equal(la.a.action, "leg-fail");
	n = strlen(la.a.detail);
	assert_int_equal(n, strlen("leg serverE:E out of sync: ab") + 24 * 4);
	assert_memory_equal(la.a.detail + n - 4, "\\x1b", 4);
}

static void
test_volume_health(void **state)
{
	struct volume_record	v;
	uint8_t			up[3] = { 1, 1, 1 };

	(void)state;
	memset(&v, 0, sizeof(v));
	v.form = DSP_FORM_MIRROR;
	v.extent_count = 3;
	assert_int_equal(volume_health(&v, up), DSP_HEALTH_OK);
	up[2] = 0;
	assert_int_equal(volume_health(&v, up), DSP_HEALTH_DEGRADED);
	up[2] = 1;
	v.extents[1].leg_state = DSP_LEG_OUT_OF_SYNC;
	assert_int_equal(volume_health(&v, up), DSP_HEALTH_DEGRADED);
	v.extents[2].leg_state = DSP_LEG_RESYNCING;
	assert_int_equal(volume_health(&v, up), DSP_HEALTH_RESYNCING);
	up[0] = 0;
	assert_int_equal(volume_health(&v, up), DSP_HEALTH_FAILED);

	v.form = DSP_FORM_CONCAT;
	v.extent_count = 2;
	up[0] = up[1] = 1;
	assert_int_equal(volume_health(&v, up), DSP_HEALTH_OK);
	up[1] = 0;
	assert_int_equal(volume_health(&v, up), DSP_HEALTH_FAILED);
}

/* Records written before the leg fields (version 1) still read. */
static void
test_codec_v1(void **state)
{
	struct volume_record	v;
	struct buf_writer	w;

	(void)state;
	buf_writer_init(&w);
	buf_put_u8(&w, 1);
	buf_put_string(&w, "Vol-1");
	buf_put_u8(&w, DSP_FORM_SINGLE);
	buf_put_u64(&w, 1000);
	buf_put_string(&w, "");
	buf_put_u8(&w, 0);
	buf_put_u64(&w, 3);
	buf_put_u64(&w, 99);
	buf_put_u16(&w, 1);
	buf_put_string(&w, "serverA");
	buf_put_string(&w, "A1");
	buf_put_u64(&w, 0);
	buf_put_u64(&w, 1000);
	buf_put_u64(&w, 3);
	assert_int_equal(store_decode_volume(w.data, w.len, &v), 0);
	assert_int_equal(v.generation, 3);
	assert_int_equal(v.extents[0].leg_state, DSP_LEG_IN_SYNC);
	assert_int_equal(v.chunk_size, 0);
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
		cmocka_unit_test_setup_teardown(test_generation_pages,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_audit_rows,
		    setup, fixture_teardown),
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_codec_v1),
		cmocka_unit_test(test_volume_health),
		cmocka_unit_test_setup_teardown(test_create_forms,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_split_forms,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_split_leg,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_split_leg_resyncs_wait,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mirror_legs,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mirror_refusals,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mirror_forced_unmount,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mirror_degraded_allocate,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_audit_tail_empty,
		    setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_peer_reasons_escaped,
		    setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
