/*
 * Mount tickets: what a borrower may do on which extents, signed by the
 * manager's key (ECDSA P-256 over SHA-256). Wire layout:
 *
 *   u8 version(1) | string volume | string borrower | u8 mode |
 *   u64 generation | u64 issued_at | u64 expires_at |
 *   u16 extent_count | extent_count x (string server, string region,
 *   u64 offset, u64 length) | blob signature (DER)
 *
 * The signature covers every byte before the signature blob.
 */
#ifndef DASPOOL_TICKET_H
#define DASPOOL_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "proto.h"

struct ticket_extent {
	char		server[DSP_NAME_MAX + 1];
	char		region[DSP_NAME_MAX + 1];
	uint64_t	offset;		/* in the region */
	uint64_t	length;
};

struct mount_ticket {
	char			volume[DSP_NAME_MAX + 1];
	char			borrower[DSP_NAME_MAX + 1];
	uint8_t			mode;		/* enum dsp_ticket_mode */
	uint64_t		generation;
	uint64_t		issued_at;	/* unix seconds */
	uint64_t		expires_at;
	uint16_t		extent_count;
	struct ticket_extent	extents[DSP_MAX_EXTENTS];
};

struct ticket_signer;	/* manager's private key + RNG; thread-safe */
struct ticket_verifier;	/* manager's public key (from its certificate) */

struct ticket_signer	*ticket_signer_new(const char *key_file, char *err,
			    size_t errlen);
void			 ticket_signer_free(struct ticket_signer *);
/* Returns 0 and the blob length in *len, or -1. */
int			 ticket_sign(struct ticket_signer *,
			    const struct mount_ticket *, uint8_t *out, size_t cap,
			    size_t *len);

/* The signed part of a ticket (everything before the signature blob);
 * for tests and fuzzing. */
void			 ticket_encode_body(struct buf_writer *,
			    const struct mount_ticket *);

struct ticket_verifier	*ticket_verifier_new(const char *manager_cert_file,
			    char *err, size_t errlen);
void			 ticket_verifier_free(struct ticket_verifier *);
/* DSP_OK, DSP_E_FRAME (malformed) or DSP_E_TICKET (bad signature). */
int			 ticket_verify(struct ticket_verifier *, const uint8_t *,
			    size_t, struct mount_ticket *out);

/* Reads a ticket without checking its signature: for its holder, who
 * needs to know when it expires. DSP_OK or DSP_E_FRAME. */
int			 ticket_peek(const uint8_t *, size_t,
			    struct mount_ticket *out);

/*
 * Checks one access against a verified ticket: the TLS peer is the
 * borrower, the server/region/range lies inside one extent, writes need
 * a read-write ticket, the generation is not older than the highest seen
 * for the volume, and now < expires_at. now is 0 when the expiry is not
 * to be checked (an agent that cannot reach the manager honours a ticket
 * of the newest generation past its expiry: docs/PROTOCOL.md). Returns
 * DSP_OK or DSP_E_BORROWER, DSP_E_RANGE, DSP_E_READONLY, DSP_E_STALE,
 * DSP_E_EXPIRED; why gets a sentence naming the fault.
 */
int	ticket_check_access(const struct mount_ticket *, const char *peer,
	    const char *server, const char *region, uint64_t offset,
	    uint64_t length, int is_write, uint64_t highest_generation,
	    uint64_t now, char *why, size_t whylen);

#endif
