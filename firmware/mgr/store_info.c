/*
 * What the store holds and how big it is, for `show store` and for the
 * check of a copy: LMDB's own figures (map, pages, entries per table)
 * and the versions of the layout.
 */
#include <stddef.h>
#include <string.h>

#include "store_internal.h"

static const struct {
	const char	*name;
	size_t		 offset;	/* of its MDB_dbi in struct store */
} store_tables[STORE_TABLES] = {
	{ "meta", offsetof(struct store, meta) },
	{ "servers", offsetof(struct store, servers) },
	{ "regions", offsetof(struct store, regions) },
	{ "volumes", offsetof(struct store, volumes) },
	{ "audit", offsetof(struct store, audit) },
	{ "bitmaps", offsetof(struct store, bitmaps) },
	{ "owed", offsetof(struct store, owed) },
	{ "candidates", offsetof(struct store, candidates) },
	{ "extents", offsetof(struct store, extents) },
	{ "server_volumes", offsetof(struct store, server_volumes) },
	{ "borrowed", offsetof(struct store, borrowed) },
	{ "free_sizes", offsetof(struct store, free_sizes) },
	{ "ids", offsetof(struct store, ids) },
};

static int
store_info_tables(struct store_txn *t, struct store_info *info)
{
	MDB_stat	 st;
	MDB_dbi		 dbi;
	size_t		 i;
	int		 rc;

	for (i = 0; i < STORE_TABLES; i++) {
		info->tables[i].name = store_tables[i].name;
		if (t->s->missing & (1U << i)) {
			info->tables[i].missing = 1;
			continue;
		}
		memcpy(&dbi, (const char *)t->s + store_tables[i].offset,
		    sizeof(dbi));
		if ((rc = mdb_stat(t->txn, dbi, &st)) != 0)
			return store_mdb_fail(t, "reading table statistics",
			    rc);
		info->tables[i].name = store_tables[i].name;
		info->tables[i].entries = st.ms_entries;
		info->tables[i].pages = (uint64_t)st.ms_branch_pages +
		    st.ms_leaf_pages + st.ms_overflow_pages;
	}
	return DSP_OK;
}

int
store_info(struct store *s, struct store_info *info, char *err, size_t errlen)
{
	struct store_txn	t;
	MDB_envinfo		ei;
	MDB_stat		st;
	int			rc;

	memset(info, 0, sizeof(*info));
	if (store_begin(s, &t, 0, 0, err, errlen) != DSP_OK)
		return -1;
	if ((rc = mdb_env_info(s->env, &ei)) != 0 ||
	    (rc = mdb_env_stat(s->env, &st)) != 0) {
		store_end(&t, store_mdb_fail(&t, "reading its size", rc));
		return -1;
	}
	info->map_size = ei.me_mapsize;
	info->page_size = st.ms_psize;
	info->map_used = ((uint64_t)ei.me_last_pgno + 1) * st.ms_psize;
	info->last_txn = mdb_txn_id(t.txn);
	info->record_version = STORE_RECORD_VERSION;
	info->region_version = STORE_REGION_VERSION;
	info->server_version = STORE_SERVER_VERSION;
	info->volume_version = STORE_VOLUME_VERSION;
	if ((rc = store_schema_get(s, t.txn, &info->schema)) != 0) {
		store_end(&t, store_mdb_fail(&t, "reading its schema "
		    "version", rc));
		return -1;
	}
	if ((rc = store_info_tables(&t, info)) != DSP_OK) {
		store_end(&t, rc);
		return -1;
	}
	store_end(&t, DSP_OK);
	return 0;
}
