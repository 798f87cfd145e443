/*
 * libFuzzer: an input is a record of the manager's LMDB store, given to
 * every record decoder (server, region, volume, audit, and a lender's
 * record kept as a candidate). The store is
 * the manager's own, but a damaged or foreign file must be refused, not
 * read past. A record of the current layout that decodes re-encodes to
 * the same bytes; an older volume, server or region record decodes the
 * same once re-encoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct buf_writer	w;

static void
store_fuzz_same(const char *what, const uint8_t *data, size_t len)
{
	if (w.error || w.len != len || (len > 0 &&
	    memcmp(w.data, data, len) != 0)) {
		fprintf(stderr, "store: %s re-encodes differently\n", what);
		abort();
	}
}

static void
store_fuzz_volume(const uint8_t *data, size_t len)
{
	static struct volume_record	v, again;

	if (store_decode_volume(data, len, &v) != 0)
		return;
	buf_writer_reset(&w);
	store_encode_volume(&w, &v);
	if (len > 0 && data[0] == STORE_VOLUME_VERSION) {
		store_fuzz_same("volume", data, len);
		return;
	}
	if (w.error || store_decode_volume(w.data, w.len, &again) != 0 ||
	    memcmp(&v, &again, sizeof(v)) != 0) {
		fprintf(stderr, "store: old volume record changes when "
		    "re-encoded\n");
		abort();
	}
}

static void
store_fuzz_server(const uint8_t *data, size_t len)
{
	static struct server_record	sr, again;

	if (store_decode_server(data, len, &sr) != 0)
		return;
	buf_writer_reset(&w);
	store_encode_server(&w, &sr);
	if (len > 0 && data[0] == STORE_SERVER_VERSION) {
		store_fuzz_same("server", data, len);
		return;
	}
	if (w.error || store_decode_server(w.data, w.len, &again) != 0 ||
	    memcmp(&sr, &again, sizeof(sr)) != 0) {
		fprintf(stderr, "store: old server record changes when "
		    "re-encoded\n");
		abort();
	}
}

static void
store_fuzz_region(const uint8_t *data, size_t len)
{
	static struct region_record	rr, again;

	if (store_decode_region(data, len, &rr) != 0)
		return;
	buf_writer_reset(&w);
	store_encode_region(&w, &rr);
	if (len > 0 && data[0] == STORE_REGION_VERSION) {
		store_fuzz_same("region", data, len);
		return;
	}
	if (w.error || store_decode_region(w.data, w.len, &again) != 0 ||
	    memcmp(&rr, &again, sizeof(rr)) != 0) {
		fprintf(stderr, "store: old region record changes when "
		    "re-encoded\n");
		abort();
	}
}

/* A candidate is kept as its lender sent it (msg_record.h). */
static void
store_fuzz_candidate(const uint8_t *data, size_t len)
{
	static struct msg_volume_record	r;

	if (msg_decode_volume_record(data, len, &r) != DSP_OK)
		return;
	buf_writer_reset(&w);
	msg_encode_volume_record(&w, &r);
	store_fuzz_same("candidate", data, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct audit_record	a;

	store_fuzz_server(data, len);
	store_fuzz_region(data, len);
	if (store_decode_audit(data, len, &a) == 0) {
		buf_writer_reset(&w);
		store_encode_audit(&w, &a);
		store_fuzz_same("audit", data, len);
	}
	store_fuzz_volume(data, len);
	store_fuzz_candidate(data, len);
	return 0;
}
