/*
 * Binary search in the agent's per-volume tables (holds, generations):
 * arrays kept sorted by volume name, each element starting with its
 * name as a char array.
 */
#ifndef DASPOOL_VOLUME_INDEX_H
#define DASPOOL_VOLUME_INDEX_H

#include <stddef.h>

/* Index of volume among count elements of size bytes, or where it
 * would go (with *found = 0). */
size_t	volume_index_find(const void *entries, size_t count, size_t size,
	    const char *volume, int *found);

#endif
