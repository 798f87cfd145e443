/*
 * Binary search by volume name (volume_index.h).
 */
#include <string.h>

#include "volume_index.h"

size_t
volume_index_find(const void *entries, size_t count, size_t size,
    const char *volume, int *found)
{
	const char	*base = entries;
	size_t		 lo = 0, hi = count, mid;
	int		 c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(volume, base + mid * size)) == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
