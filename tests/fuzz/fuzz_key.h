/*
 * The fixed test key of the ticket harness: the manager's certificate
 * and private key of a throw-away pool, built into the fuzz programs.
 * Both calls abort() if the key cannot be loaded.
 */
#ifndef DASPOOL_FUZZ_KEY_H
#define DASPOOL_FUZZ_KEY_H

#include "ticket.h"

struct ticket_verifier	*fuzz_key_verifier(void);
struct ticket_signer	*fuzz_key_signer(void);

#endif
