/*
 * Lender-side volume records in LMDB: key the volume name, value the
 * record's encoding (msg_encode_volume_record). One durable commit per
 * change; readers never wait for it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

/* Records are small but a dirty mirror carries its bitmap (<= 128 KiB). */
#define RECORDS_MAPSIZE		(1024UL * 1024 * 1024)
#define RECORDS_SUBDIR		"records"

struct records {
	MDB_env		*env;
	MDB_dbi		 dbi;
};

static int
records_fail(char *err, size_t errlen, const char *what, int rc)
{
	snprintf(err, errlen, "volume records: %s: %s", what,
	    mdb_strerror(rc));
	return -1;
}

static int
records_open_dbi(struct records *r, char *err, size_t errlen)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) != 0)
		return records_fail(err, errlen, "open", rc);
	if ((rc = mdb_dbi_open(txn, NULL, 0, &r->dbi)) != 0) {
		mdb_txn_abort(txn);
		return records_fail(err, errlen, "open", rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return records_fail(err, errlen, "open", rc);
	return 0;
}

struct records *
records_open(const char *state_dir, char *err, size_t errlen)
{
	struct records	*r;
	char		 dir[4096];
	int		 rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, RECORDS_SUBDIR);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(r);
		return NULL;
	}
	if ((rc = mdb_env_create(&r->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(r->env, RECORDS_MAPSIZE)) != 0 ||
	    (rc = mdb_env_open(r->env, dir, MDB_NOTLS, 0600)) != 0) {
		snprintf(err, errlen, "%s: %s", dir, mdb_strerror(rc));
		records_close(r);
		return NULL;
	}
	if (records_open_dbi(r, err, errlen) == -1) {
		records_close(r);
		return NULL;
	}
	return r;
}

void
records_close(struct records *r)
{
	if (r == NULL)
		return;
	if (r->env != NULL)
		mdb_env_close(r->env);
	free(r);
}

size_t
records_count(struct records *r)
{
	MDB_stat	st;
	MDB_txn		*txn;

	if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_stat(txn, r->dbi, &st) != 0)
		st.ms_entries = 0;
	mdb_txn_abort(txn);
	return st.ms_entries;
}

static void
records_key(MDB_val *k, const char *volume)
{
	k->mv_data = (void *)volume;
	k->mv_size = strnlen(volume, DSP_NAME_MAX);
}

int
records_put(struct records *r, const struct msg_volume_record *rec,
    char *err, size_t errlen)
{
	struct buf_writer	 w;
	MDB_txn			*txn;
	MDB_val			 k, v;
	int			 rc;

	buf_writer_init(&w);
	msg_encode_volume_record(&w, rec);
	if (w.error) {
		buf_writer_free(&w);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	records_key(&k, rec->name);
	v.mv_data = w.data;
	v.mv_size = w.len;
	if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) == 0) {
		if ((rc = mdb_put(txn, r->dbi, &k, &v, 0)) != 0)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
	}
	buf_writer_free(&w);
	return rc == 0 ? 0 : records_fail(err, errlen, rec->name, rc);
}

/* Whether the record kept (v) may go: gen and digest as asked. */
static int
records_droppable(const MDB_val *v, uint64_t gen, const uint8_t *digest)
{
	struct msg_volume_record	rec;
	uint8_t				have[DSP_DIGEST_LEN];

	if (msg_decode_volume_record(v->mv_data, v->mv_size, &rec) != DSP_OK)
		return 1;	/* unreadable: nothing to keep */
	if (rec.generation > gen)
		return 0;
	if (digest == NULL)
		return 1;
	msg_digest_bytes(v->mv_data, v->mv_size, have);
	return memcmp(have, digest, DSP_DIGEST_LEN) == 0;
}

int
records_drop(struct records *r, const char *volume, uint64_t gen,
    const uint8_t *digest, char *err, size_t errlen)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	records_key(&k, volume);
	if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) != 0)
		return records_fail(err, errlen, volume, rc);
	rc = mdb_get(txn, r->dbi, &k, &v);
	if (rc == 0 && records_droppable(&v, gen, digest))
		rc = mdb_del(txn, r->dbi, &k, NULL);
	else if (rc == 0 || rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return records_fail(err, errlen, volume, rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return records_fail(err, errlen, volume, rc);
	return 0;
}

int
records_summary(struct records *r, const char *volume, uint64_t *revision,
    uint8_t digest[DSP_DIGEST_LEN])
{
	struct msg_volume_record	 rec;
	uint8_t				*bytes;
	size_t				 len;
	int				 rc;

	*revision = 0;
	memset(digest, 0, DSP_DIGEST_LEN);
	if ((rc = records_get(r, volume, &bytes, &len)) != 1)
		return rc;
	if (msg_decode_volume_record(bytes, len, &rec) == DSP_OK) {
		*revision = rec.revision;
		msg_digest_bytes(bytes, len, digest);
	} else
		rc = 0;		/* unreadable: the manager pushes it again */
	free(bytes);
	return rc;
}

int
records_get(struct records *r, const char *volume, uint8_t **bytes,
    size_t *len)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	*bytes = NULL;
	*len = 0;
	records_key(&k, volume);
	if (mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	if ((rc = mdb_get(txn, r->dbi, &k, &v)) == 0) {
		if ((*bytes = malloc(v.mv_size)) == NULL)
			rc = ENOMEM;
		else {
			memcpy(*bytes, v.mv_data, v.mv_size);
			*len = v.mv_size;
		}
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc == 0 ? 1 : -1;
}

static int
records_add_name(dsp_name **names, size_t *count, size_t *cap,
    const MDB_val *k)
{
	dsp_name	*p;

	if (k->mv_size == 0 || k->mv_size > DSP_NAME_MAX)
		return 0;
	if (*count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((p = reallocarray(*names, *cap, sizeof(**names))) == NULL)
			return -1;
		*names = p;
	}
	memcpy((*names)[*count], k->mv_data, k->mv_size);
	(*names)[(*count)++][k->mv_size] = '\0';
	return 0;
}

int
records_names(struct records *r, dsp_name **names, size_t *count, char *err,
    size_t errlen)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	size_t		 cap = 0;
	int		 rc;

	*names = NULL;
	*count = 0;
	if ((rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn)) != 0)
		return records_fail(err, errlen, "list", rc);
	if ((rc = mdb_cursor_open(txn, r->dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		return records_fail(err, errlen, "list", rc);
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
		if (records_add_name(names, count, &cap, &k) == -1) {
			rc = ENOMEM;
			break;
		}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != MDB_NOTFOUND) {
		free(*names);
		*names = NULL;
		*count = 0;
		return records_fail(err, errlen, "list", rc);
	}
	return 0;
}
