/*
 * A volume to tape (copy.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "copy.h"
#include "sha256.h"
#include "tar.h"

#define COPY_MAP_RUNS	1024

/* A run of data chunks read at once. */
struct slab {
	uint64_t	first;		/* chunk */
	uint32_t	count;
};

struct copy {
	struct daspool_client	*client;
	const struct copy_opts	*o;
	struct manifest		*m;
	struct slab		*slabs;
	size_t			 nslabs;
	/* the ring the readers fill and the writer empties, in order */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	uint8_t			**buf;		/* nslots of a slab each */
	size_t			*filled;	/* slab index in the slot, +1 */
	size_t			 nslots;
	size_t			 written;	/* slabs the writer took */
	uint64_t		 data_bytes, done_bytes;
	int			 failed;
	char			 why[1024];
};

struct reader {
	struct copy		*cp;
	int			 index, count;
	pthread_t		 thread;
};

static void __attribute__((format(printf, 2, 3)))
copy_fail(struct copy *cp, const char *fmt, ...)
{
	va_list	ap;

	pthread_mutex_lock(&cp->lock);
	if (!cp->failed) {
		cp->failed = 1;
		va_start(ap, fmt);
		vsnprintf(cp->why, sizeof(cp->why), fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&cp->cond);
	pthread_mutex_unlock(&cp->lock);
}

static uint64_t
copy_chunk_len(const struct manifest *m, uint64_t chunk)
{
	uint64_t	off = chunk * m->chunk_size;

	return m->size - off < m->chunk_size ? m->size - off : m->chunk_size;
}

/* Which chunks hold data, from the lenders' map. */
static int
copy_map(struct daspool_volume *v, struct manifest *m, char *err,
    size_t errlen)
{
	struct daspool_run	*runs;
	uint64_t		 off = 0, c, end;
	size_t			 n, i;
	int			 rc = 0;

	if ((runs = calloc(COPY_MAP_RUNS, sizeof(*runs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (off < m->size && rc == 0) {
		if ((rc = daspool_volume_map(v, off, m->size - off, runs,
		    COPY_MAP_RUNS, &n)) != 0 || n == 0) {
			snprintf(err, errlen, "map of %s: %s", m->volume,
			    rc ? daspool_volume_error(v) : "no runs");
			rc = -1;
			break;
		}
		for (i = 0; i < n; off += runs[i].length, i++) {
			if (runs[i].flags & DASPOOL_RUN_HOLE)
				continue;
			end = off + runs[i].length;
			for (c = off / m->chunk_size;
			    c * m->chunk_size < end; c++)
				m->data[c] = 1;
		}
	}
	free(runs);
	return rc;
}

/* The sparse member's regions and the slabs, from the data chunks. */
static int
copy_plan(struct copy *cp, struct tar_region **regions, size_t *nregions)
{
	struct manifest	*m = cp->m;
	uint64_t	 c, len;
	size_t		 nr = 0;

	*regions = calloc(m->chunks ? m->chunks : 1, sizeof(**regions));
	cp->slabs = calloc(m->chunks ? m->chunks : 1, sizeof(*cp->slabs));
	if (*regions == NULL || cp->slabs == NULL)
		return -1;
	for (c = 0; c < m->chunks; c++) {
		if (!m->data[c])
			continue;
		len = copy_chunk_len(m, c);
		cp->data_bytes += len;
		if (nr > 0 && c > 0 && m->data[c - 1])
			(*regions)[nr - 1].length += len;
		else {
			(*regions)[nr].offset = c * m->chunk_size;
			(*regions)[nr++].length = len;
		}
		if (cp->nslabs > 0 && c > 0 && m->data[c - 1] &&
		    cp->slabs[cp->nslabs - 1].count < COPY_SLAB_CHUNKS)
			cp->slabs[cp->nslabs - 1].count++;
		else {
			cp->slabs[cp->nslabs].first = c;
			cp->slabs[cp->nslabs++].count = 1;
		}
	}
	*nregions = nr;
	return 0;
}

static uint64_t
copy_slab_len(const struct copy *cp, const struct slab *s)
{
	uint64_t	last = s->first + s->count - 1;

	return (last - s->first) * cp->m->chunk_size +
	    copy_chunk_len(cp->m, last);
}

/* Each chunk's SHA-256, in the reader's thread: the readers hash in
 * parallel while the writer only writes. */
static void
copy_hash(struct copy *cp, const struct slab *s, const uint8_t *p)
{
	uint64_t	len;
	uint32_t	k;

	for (k = 0; k < s->count; k++) {
		len = copy_chunk_len(cp->m, s->first + k);
		sha256(p, len, cp->m->sha[s->first + k]);
		p += len;
	}
}

static void *
reader_main(void *arg)
{
	struct reader		*r = arg;
	struct copy		*cp = r->cp;
	struct daspool_volume	*v;
	const struct slab	*s;
	size_t			 i, slot;
	int			 rc;

	pthread_mutex_lock(&cp->lock);
	rc = daspool_volume_open(cp->client, cp->o->volume, &v);
	pthread_mutex_unlock(&cp->lock);
	if (rc != 0) {
		copy_fail(cp, "%s", daspool_client_error(cp->client));
		return NULL;
	}
	for (i = (size_t)r->index; i < cp->nslabs; i += (size_t)r->count) {
		slot = i % cp->nslots;
		pthread_mutex_lock(&cp->lock);
		/* The slot is free once the writer took slab i - nslots. */
		while (!cp->failed && i >= cp->written + cp->nslots)
			pthread_cond_wait(&cp->cond, &cp->lock);
		pthread_mutex_unlock(&cp->lock);
		if (cp->failed)
			break;
		s = &cp->slabs[i];
		if (daspool_volume_read(v, cp->buf[slot], copy_slab_len(cp, s),
		    s->first * cp->m->chunk_size) != 0) {
			copy_fail(cp, "reading %s at %llu: %s", cp->o->volume,
			    (unsigned long long)(s->first * cp->m->chunk_size),
			    daspool_volume_error(v));
			break;
		}
		copy_hash(cp, s, cp->buf[slot]);
		pthread_mutex_lock(&cp->lock);
		cp->filled[slot] = i + 1;
		pthread_cond_broadcast(&cp->cond);
		pthread_mutex_unlock(&cp->lock);
	}
	daspool_volume_close(v);
	return NULL;
}

/* Takes the slabs in order onto the tape. */
static int
copy_write(struct copy *cp, struct tar *t)
{
	const struct slab	*s;
	size_t			 i, slot;

	/* What is due is known once mapped: said before the first slab,
	 * which may take a while. */
	if (cp->o->progress != NULL)
		cp->o->progress(cp->o->progress_arg, 0, cp->data_bytes);
	for (i = 0; i < cp->nslabs; i++) {
		slot = i % cp->nslots;
		pthread_mutex_lock(&cp->lock);
		while (!cp->failed && cp->filled[slot] != i + 1)
			pthread_cond_wait(&cp->cond, &cp->lock);
		pthread_mutex_unlock(&cp->lock);
		if (cp->failed)
			return -1;
		s = &cp->slabs[i];
		if (tar_data(t, cp->buf[slot], copy_slab_len(cp, s)) == -1) {
			copy_fail(cp, "writing the tape");
			return -1;
		}
		pthread_mutex_lock(&cp->lock);
		cp->written = i + 1;
		pthread_cond_broadcast(&cp->cond);
		pthread_mutex_unlock(&cp->lock);
		cp->done_bytes += copy_slab_len(cp, s);
		if (cp->o->progress != NULL)
			cp->o->progress(cp->o->progress_arg, cp->done_bytes,
			    cp->data_bytes);
	}
	return 0;
}

/* The manifest's head, from the backup's mount info. */
static void
copy_head(struct manifest *m, const struct daspool_mount *mi,
    const struct copy_opts *o)
{
	struct daspool_extent	e;
	int			i;

	snprintf(m->volume, sizeof(m->volume), "%s", o->volume);
	snprintf(m->form, sizeof(m->form), "%s", daspool_mount_form(mi));
	snprintf(m->image, sizeof(m->image), "%s.img", o->volume);
	m->generation = daspool_mount_generation(mi);
	m->time = (uint64_t)time(NULL);
	m->kind = daspool_mount_status(mi) ? MANIFEST_FUZZY : MANIFEST_CLEAN;
	for (i = 0; i < daspool_mount_extent_count(mi) &&
	    i < DSP_MAX_EXTENTS; i++) {
		if (daspool_mount_extent(mi, i, &e) != 0)
			break;
		snprintf(m->extents[i].server, sizeof(m->extents[i].server),
		    "%s", e.server);
		snprintf(m->extents[i].region, sizeof(m->extents[i].region),
		    "%s", e.region);
		m->extents[i].offset = e.offset;
		m->extents[i].length = e.length;
		m->extent_count++;
	}
}

/* How to get the volume back with nothing but mt and tar. */
static int
copy_restore_txt(struct tar *t, const struct manifest *m)
{
	char	text[2048];
	int	n;

	n = snprintf(text, sizeof(text),
	    "This tape file holds a copy of the daspool volume %s (%s, %llu "
	    "bytes),\nmade by daspool-backup: a POSIX tar (pax) archive of "
	    "this text, the\nvolume's bytes as the sparse file %s (holes "
	    "read as zeroes), and\nits MANIFEST (a SHA-256 of each 1 MiB "
	    "chunk).\n\n"
	    "With mt and tar alone: position the tape at this file, N its "
	    "number\n(daspool-backup list says LABEL:N), and extract it:\n\n"
	    "  mt -f /dev/nst0 rewind; mt -f /dev/nst0 fsf N\n"
	    "  tar -b 512 -xf /dev/nst0 %s\n\n"
	    "A copy that spans tapes goes on in a file of another tape (list "
	    "names\nthe parts in order; scan finds them): read the parts into "
	    "one stream,\n"
	    "  (dd if=/dev/nst0 bs=256k; <next part>; dd ...) | tar -xf -\n"
	    "(-b 512 and bs=256k: the drive's fixed block, block_size). Then "
	    "write\nthe image to a disk of at least %llu bytes: dd "
	    "conv=sparse if=%s\n",
	    m->volume, m->form, (unsigned long long)m->size, m->image,
	    m->image, (unsigned long long)m->size, m->image);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	return tar_file(t, "RESTORE.txt", text, (size_t)n);
}

static int
copy_ring(struct copy *cp, int readers)
{
	size_t	i;

	cp->nslots = (size_t)readers * 2;
	if ((cp->buf = calloc(cp->nslots, sizeof(*cp->buf))) == NULL ||
	    (cp->filled = calloc(cp->nslots, sizeof(*cp->filled))) == NULL)
		return -1;
	for (i = 0; i < cp->nslots; i++)
		if ((cp->buf[i] = malloc((size_t)COPY_SLAB_CHUNKS *
		    cp->m->chunk_size)) == NULL)
			return -1;
	return 0;
}

static void
copy_free(struct copy *cp)
{
	size_t	i;

	for (i = 0; cp->buf != NULL && i < cp->nslots; i++)
		free(cp->buf[i]);
	free(cp->buf);
	free(cp->filled);
	free(cp->slabs);
	pthread_cond_destroy(&cp->cond);
	pthread_mutex_destroy(&cp->lock);
}

/* The image member: its regions, the readers, the writer. */
static int
copy_image(struct copy *cp, struct tar *t, char *err, size_t errlen)
{
	struct reader		 r[COPY_READERS_MAX];
	struct tar_region	*regions = NULL;
	size_t			 nregions;
	int			 n = cp->o->readers, i, started = 0, rc = -1;

	if (n < 1 || n > COPY_READERS_MAX)
		n = COPY_READERS_DEFAULT;
	if (copy_plan(cp, &regions, &nregions) == -1 ||
	    copy_ring(cp, n) == -1) {
		snprintf(err, errlen, "out of memory");
		free(regions);
		return -1;
	}
	if (tar_sparse_begin(t, cp->m->image, cp->m->size, regions,
	    nregions) == -1) {
		snprintf(err, errlen, "cannot start the image on tape");
		free(regions);
		return -1;
	}
	free(regions);
	for (i = 0; i < n; i++, started++) {
		r[i].cp = cp;
		r[i].index = i;
		r[i].count = n;
		if (pthread_create(&r[i].thread, NULL, reader_main, &r[i]) != 0) {
			copy_fail(cp, "cannot start a reader thread");
			break;
		}
	}
	if (started == n && copy_write(cp, t) == 0 && tar_sparse_end(t) == 0)
		rc = 0;
	if (rc != 0)
		copy_fail(cp, "the copy stopped");
	for (i = 0; i < started; i++)
		pthread_join(r[i].thread, NULL);
	if (rc != 0)
		snprintf(err, errlen, "%s", cp->why);
	return rc;
}

/* Everything after the volume was opened for backup: map, tape, MANIFEST. */
static int
copy_body(struct daspool_client *c, struct tape_library *lib,
    const struct copy_opts *o, const struct daspool_mount *mi, int split,
    struct copy_result *res, char *err, size_t errlen)
{
	struct daspool_volume		*v;
	struct copy			 cp;
	struct tar			 t;
	char				*text;
	size_t				 len;
	int				 rc = -1;

	memset(&cp, 0, sizeof(cp));
	memset(&t, 0, sizeof(t));
	if (daspool_volume_open(c, o->volume, &v) != 0) {
		snprintf(err, errlen, "%s", daspool_client_error(c));
		return -1;
	}
	copy_head(&res->m, mi, o);
	if (split)
		res->m.kind = MANIFEST_SPLIT_LEG;
	if (manifest_alloc(&res->m, daspool_mount_size(mi), MANIFEST_CHUNK) ==
	    -1) {
		daspool_volume_close(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = copy_map(v, &res->m, err, errlen);
	daspool_volume_close(v);
	if (rc != 0)
		return -1;
	cp.client = c;
	cp.o = o;
	cp.m = &res->m;
	pthread_mutex_init(&cp.lock, NULL);
	pthread_cond_init(&cp.cond, NULL);
	rc = -1;
	if (stream_open(&res->stream, lib, &o->tapes) == -1)
		snprintf(err, errlen, "%s", res->stream.err);
	else {
		tar_init(&t, stream_write, &res->stream, res->m.time);
		if (copy_restore_txt(&t, &res->m) == 0 &&
		    copy_image(&cp, &t, err, errlen) == 0) {
			manifest_tree(&res->m, res->m.tree);
			if ((text = manifest_format(&res->m, &len)) != NULL &&
			    tar_file(&t, "MANIFEST", text, len) == 0 &&
			    tar_finish(&t) == 0 && stream_close(&res->stream) ==
			    0)
				rc = 0;
			free(text);
		}
		if (rc != 0 && err[0] == '\0')
			snprintf(err, errlen, "%s", res->stream.err[0] ?
			    res->stream.err : "writing the tape failed");
	}
	copy_free(&cp);
	res->stored = t.bytes;
	return rc;
}

/*
 * The held leg is given back whatever became of the copy; a hold that
 * ran out under it (the leg may have been resynced meanwhile) makes
 * the copy a failure.
 */
static int
copy_split_end(struct daspool_client *c, const struct copy_opts *o, int leg,
    int rc, char *err, size_t errlen)
{
	if (daspool_backup_split_end(c, o->volume, leg) == 0)
		return rc;
	if (rc == 0)
		snprintf(err, errlen, "the split-leg copy is not a point-in-"
		    "time image: %s", daspool_client_error(c));
	return -1;
}

int
copy_volume(struct daspool_client *c, struct tape_library *lib,
    const struct copy_opts *o, struct copy_result *res, char *err,
    size_t errlen)
{
	const struct daspool_mount	*mi;
	struct timespec			 t0, t1;
	int				 rc, split, leg = -1;

	memset(res, 0, sizeof(*res));
	err[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (daspool_backup_open(c, o->volume, &mi) != 0) {
		snprintf(err, errlen, "%s", daspool_client_error(c));
		return -1;
	}
	if (daspool_mount_status(mi) && o->mounted == COPY_MOUNTED_SKIP) {
		snprintf(err, errlen, "mounted by its borrower (mounted = "
		    "skip)");
		return 1;
	}
	/* A mounted mirror: one leg held still, copied as it was. */
	split = daspool_mount_status(mi) && o->mounted == COPY_MOUNTED_SPLIT &&
	    strcmp(daspool_mount_form(mi), "mirror") == 0;
	if (split && daspool_backup_split(c, o->volume, &leg) != 0) {
		snprintf(err, errlen, "split-leg copy refused: %s",
		    daspool_client_error(c));
		return -1;
	}
	rc = copy_body(c, lib, o, mi, split, res, err, errlen);
	if (split)
		rc = copy_split_end(c, o, leg, rc, err, errlen);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}
