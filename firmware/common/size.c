/*
 * Human sizes. Units are powers of 1024 whatever the spelling ("G",
 * "GB", "GiB" all mean 2^30): a disk pool talks in binary sizes.
 * Parsing is exact: "1.5K" is 1536, "1.1K" is refused because it is not
 * a whole number of bytes. Formatting is exact too, so
 * size_parse(size_format(x)) == x for every x.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "size.h"

#define SIZE_FRAC_DIGITS	18	/* keeps the fraction in a uint64_t */

static const struct {
	char	letter;
	int	shift;
} size_units[] = {
	{ 'P', 50 }, { 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 },
};

#define NUNITS	(sizeof(size_units) / sizeof(size_units[0]))

static int
size_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Reads the unit suffix at s: "", "B", or a letter with "", "B", "iB".
 * Returns the shift, or -1 if the suffix is not one of those. */
static int
size_parse_unit(const char *s)
{
	size_t	i;
	int	shift = -1;

	if (*s == '\0' || strcasecmp(s, "B") == 0)
		return 0;
	for (i = 0; i < NUNITS; i++)
		if (toupper((unsigned char)*s) == size_units[i].letter)
			shift = size_units[i].shift;
	if (shift == -1)
		return -1;
	s++;
	if (*s == '\0' || strcasecmp(s, "B") == 0 || strcasecmp(s, "iB") == 0)
		return shift;
	return -1;
}

/*
 * frac / 10^digits of 2^shift bytes, if that is a whole number.
 * 10^d = 2^d * 5^d, and 2^shift has no factor 5, so frac must be a
 * multiple of 5^d; what is left is a power-of-two scaling.
 */
static int
size_fraction(uint64_t frac, int digits, int shift, uint64_t *out)
{
	uint64_t	pow5 = 1;
	int		i;

	for (i = 0; i < digits; i++)
		pow5 *= 5;
	if (frac % pow5 != 0)
		return -1;
	frac /= pow5;
	if (digits <= shift) {
		*out = frac << (shift - digits);	/* frac < 2^digits */
		return 0;
	}
	if (frac % ((uint64_t)1 << (digits - shift)) != 0)
		return -1;
	*out = frac >> (digits - shift);
	return 0;
}

int
size_parse(const char *s, uint64_t *out, char *err, size_t errlen)
{
	const char	*p = s;
	uint64_t	 whole = 0, frac = 0, fbytes = 0;
	int		 digits = 0, shift;

	if (s == NULL || *s == '\0')
		return size_fail(err, errlen, "empty size");
	if (*s == '-')
		return size_fail(err, errlen, "negative size \"%s\"", s);
	if (!isdigit((unsigned char)*p))
		return size_fail(err, errlen, "size \"%s\" is not a number", s);
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return size_fail(err, errlen, "size \"%s\" is too large", s);
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		const char *start = ++p, *end;

		for (end = p; isdigit((unsigned char)*end); end++)
			;
		if (end == start)
			return size_fail(err, errlen,
			    "size \"%s\" has no digits after the point", s);
		p = end;
		/* Trailing zeros say nothing; drop them. */
		while (end > start && end[-1] == '0')
			end--;
		if (end - start > SIZE_FRAC_DIGITS)
			return size_fail(err, errlen,
			    "size \"%s\" has too many decimals", s);
		for (; start < end; start++, digits++)
			frac = frac * 10 + (uint64_t)(*start - '0');
	}
	if ((shift = size_parse_unit(p)) == -1)
		return size_fail(err, errlen,
		    "size \"%s\" has an unknown unit \"%s\"", s, p);
	if (size_fraction(frac, digits, shift, &fbytes) == -1)
		return size_fail(err, errlen,
		    "size \"%s\" is not a whole number of bytes", s);
	if (whole > (UINT64_MAX >> shift) ||
	    (whole << shift) > UINT64_MAX - fbytes)
		return size_fail(err, errlen, "size \"%s\" is too large", s);
	*out = (whole << shift) + fbytes;
	return 0;
}

/* Writes v in the unit 2^shift if exact with at most one decimal;
 * returns the length, or -1. */
static int
size_format_unit(uint64_t v, int shift, char letter, char *out, size_t outlen)
{
	uint64_t	unit = (uint64_t)1 << shift;
	uint64_t	whole = v / unit, rem = v % unit;

	if (rem == 0)
		return snprintf(out, outlen, "%llu%c",
		    (unsigned long long)whole, letter);
	if ((rem * 10) % unit != 0)
		return -1;
	return snprintf(out, outlen, "%llu.%llu%c", (unsigned long long)whole,
	    (unsigned long long)(rem * 10 / unit), letter);
}

void
size_format(uint64_t v, char *out, size_t outlen)
{
	char	best[32], cand[32];
	int	best_len, n;
	size_t	i;

	best_len = snprintf(best, sizeof(best), "%lluB", (unsigned long long)v);
	/* Only units not larger than v: "512M", never "0.5G". Units are
	 * tried smallest first, so on a tie the larger one wins. */
	for (i = NUNITS; i-- > 0;) {
		if (v < ((uint64_t)1 << size_units[i].shift))
			continue;
		n = size_format_unit(v, size_units[i].shift,
		    size_units[i].letter, cand, sizeof(cand));
		if (n > 0 && n <= best_len) {
			memcpy(best, cand, (size_t)n + 1);
			best_len = n;
		}
	}
	if (outlen > 0)
		snprintf(out, outlen, "%s", best);
}
