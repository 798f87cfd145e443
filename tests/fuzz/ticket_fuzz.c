/*
 * libFuzzer: an input is a mount ticket as an agent receives it in an
 * ATTACH (and a holder reads it in its mount info). ticket_peek reads
 * the body; a body it accepts re-encodes to the same bytes. The same
 * input goes to ticket_verify with a fixed test key (fuzz_key.c), whose
 * seeds are signed: a verified ticket must read as ticket_peek reads
 * it, and a rejected one must leave nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_key.h"
#include "ticket.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ticket_verifier	*verifier;
static struct buf_writer	 w;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verifier = fuzz_key_verifier();
	return 0;
}

static void
ticket_fuzz_fail(const char *why)
{
	fprintf(stderr, "ticket: %s\n", why);
	abort();
}

static int
ticket_fuzz_zero(const struct mount_ticket *t)
{
	static const struct mount_ticket	zero;

	return memcmp(t, &zero, sizeof(zero)) == 0;
}

/* Every verdict of the access check is one it documents. */
static void
ticket_fuzz_access(const struct mount_ticket *t)
{
	char	why[256];
	int	rc;

	rc = ticket_check_access(t, t->borrower, t->extents[0].server,
	    t->extents[0].region, t->extents[0].offset, t->extents[0].length,
	    1, t->generation, t->issued_at, why, sizeof(why));
	if (rc != DSP_OK && rc != DSP_E_EXPIRED && rc != DSP_E_READONLY &&
	    rc != DSP_E_RANGE)
		ticket_fuzz_fail("unexpected access verdict");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct mount_ticket	peeked, verified;
	int				rc;

	rc = ticket_peek(data, len, &peeked);
	if (rc != DSP_OK && rc != DSP_E_FRAME)
		ticket_fuzz_fail("unexpected peek status");
	if (rc == DSP_OK) {
		buf_writer_reset(&w);
		ticket_encode_body(&w, &peeked);
		if (w.error || w.len > len || memcmp(w.data, data, w.len) != 0)
			ticket_fuzz_fail("body re-encodes differently");
		ticket_fuzz_access(&peeked);
	}

	rc = ticket_verify(verifier, data, len, &verified);
	switch (rc) {
	case DSP_OK:
		if (ticket_peek(data, len, &peeked) != DSP_OK ||
		    memcmp(&peeked, &verified, sizeof(peeked)) != 0)
			ticket_fuzz_fail("verified ticket peeks differently");
		break;
	case DSP_E_FRAME:
	case DSP_E_TICKET:
		if (!ticket_fuzz_zero(&verified))
			ticket_fuzz_fail("a rejected ticket left fields set");
		break;
	default:
		ticket_fuzz_fail("unexpected verify status");
	}
	return 0;
}
