/*
 * Terminal-safe text: see text.h.
 */
#include <string.h>

#include "text.h"

#define TEXT_LINES	0x01	/* keep \n and \t */
#define TEXT_KEEP	0x02	/* keep the escapes the text holds */

static const char	text_hex[] = "0123456789abcdef";

static int
text_is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* Length of the escape that starts at in[i] and is kept, or 0. */
static size_t
text_kept(const unsigned char *in, size_t i, size_t len)
{
	if (in[i] != '\\' || i + 1 >= len)
		return 0;
	if (in[i + 1] == '\\')
		return 2;
	if (in[i + 1] == 'x' && i + 3 < len && text_is_hex(in[i + 2]) &&
	    text_is_hex(in[i + 3]))
		return 4;
	return 0;
}

/* The output form of byte c: at most 4 characters into unit. */
static size_t
text_unit(unsigned char c, int flags, char unit[4])
{
	if (c == '\\') {
		unit[0] = unit[1] = '\\';
		return 2;
	}
	if ((c >= 0x20 && c < 0x7f) ||
	    ((flags & TEXT_LINES) && (c == '\n' || c == '\t'))) {
		unit[0] = (char)c;
		return 1;
	}
	unit[0] = '\\';
	unit[1] = 'x';
	unit[2] = text_hex[c >> 4];
	unit[3] = text_hex[c & 0x0f];
	return 4;
}

static size_t
text_put(char *out, size_t outlen, const unsigned char *in, size_t len,
    int flags)
{
	const char	*from;
	char		 unit[4];
	size_t		 i = 0, o = 0, n, used;

	if (outlen == 0)
		return 0;
	while (i < len) {
		if ((flags & TEXT_KEEP) && (n = text_kept(in, i, len)) > 0) {
			from = (const char *)in + i;
			used = n;
		} else {
			n = text_unit(in[i], flags, unit);
			from = unit;
			used = 1;
		}
		/* A whole escape or none of it. */
		if (n > outlen - 1 - o)
			break;
		memcpy(out + o, from, n);
		o += n;
		i += used;
	}
	out[o] = '\0';
	return o;
}

size_t
text_escape(char *out, size_t outlen, const char *in)
{
	return text_put(out, outlen, (const unsigned char *)in, strlen(in), 0);
}

size_t
text_safe(char *out, size_t outlen, const char *in)
{
	return text_put(out, outlen, (const unsigned char *)in, strlen(in),
	    TEXT_KEEP);
}

size_t
text_safe_lines(char *out, size_t outlen, const char *in)
{
	return text_put(out, outlen, (const unsigned char *)in, strlen(in),
	    TEXT_KEEP | TEXT_LINES);
}

size_t
text_safe_bytes(char *out, size_t outlen, const void *in, size_t len)
{
	return text_put(out, outlen, in, len, TEXT_KEEP);
}
