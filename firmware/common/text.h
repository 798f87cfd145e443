/*
 * Terminal-safe text. Bytes a peer chose (a region's reason, an error
 * message, an admin reply) end up on an admin's screen and in logs;
 * every byte outside printable ASCII is shown as \xNN so that no
 * terminal escape sequence gets through.
 *
 * text_escape() is for raw peer bytes: every byte < 0x20, 0x7f and
 * >= 0x80 becomes \xNN and a backslash becomes \\, so the bytes can be
 * read back from the output unambiguously.
 *
 * text_safe() is for text a peer built, which may quote text escaped
 * at its source (a stored reason in a manager's reply): the escapes \\
 * and \xNN it holds are kept, so nothing is escaped twice; any other
 * backslash becomes \\ and other bytes are escaped as above. Escaped
 * text comes through text_safe() unchanged.
 *
 * The _lines variant keeps \n and \t, for text of several lines;
 * text_safe_bytes() takes len bytes that may include NULs.
 *
 * All write at most outlen bytes including the NUL, never cut an
 * escape in two, and return the length of the output (nothing is
 * written when outlen is 0).
 */
#ifndef DASPOOL_TEXT_H
#define DASPOOL_TEXT_H

#include <stddef.h>

/* Enough room for the escaped form of n bytes, with the NUL. */
#define TEXT_ESCAPED_SIZE(n)	(4 * (n) + 1)

size_t	text_escape(char *out, size_t outlen, const char *in);
size_t	text_safe(char *out, size_t outlen, const char *in);
size_t	text_safe_lines(char *out, size_t outlen, const char *in);
size_t	text_safe_bytes(char *out, size_t outlen, const void *in,
	    size_t len);

#endif
