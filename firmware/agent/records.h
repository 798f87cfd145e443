/*
 * The records of the volumes that use this server's regions, as the
 * manager pushed them (msg_record.h), kept in their own LMDB environment
 * in state_dir/records so that a new manager can rebuild its table from
 * the lenders (docs/PROTOCOL.md, "The table on the lenders"). Each value
 * is the record's wire encoding, so its digest is a hash of the bytes
 * kept. Thread-safe.
 */
#ifndef DASPOOL_AGENT_RECORDS_H
#define DASPOOL_AGENT_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "msg_record.h"

struct records;

/* state_dir must exist. NULL with the reason in err. */
struct records	*records_open(const char *state_dir, char *err, size_t errlen);
void		 records_close(struct records *);
size_t		 records_count(struct records *);

/* Keeps the record, replacing the one of its name, in one durable
 * commit. 0, or -1 with err. */
int		 records_put(struct records *, const struct msg_volume_record *,
		    char *err, size_t errlen);
/* Deletes the record of volume when its generation is at most gen and,
 * if digest is not NULL, it still has that digest. 0 (also when there
 * was none to delete), or -1 with err. */
int		 records_drop(struct records *, const char *volume,
		    uint64_t gen, const uint8_t *digest, char *err,
		    size_t errlen);
/* Revision and digest of the record kept for volume: 1 if there is
 * one, 0 if none (both zeroed), -1 if it cannot be read. */
int		 records_summary(struct records *, const char *volume,
		    uint64_t *revision, uint8_t digest[DSP_DIGEST_LEN]);
/* The encoded record of volume, malloc'd: 1, 0 if none, -1. */
int		 records_get(struct records *, const char *volume,
		    uint8_t **bytes, size_t *len);
/* The names of every record, in name order (malloc'd array). 0, or -1
 * with err. */
int		 records_names(struct records *, dsp_name **names,
		    size_t *count, char *err, size_t errlen);

#endif
