/*
 * libFuzzer: an input is a mount info as the client reads it from the
 * manager's MOUNT or RENEW reply and again from its state file
 * (state_dir/VOLUME.mount, which anyone able to write there may have
 * changed). mountinfo_decode must refuse what does not add up and keep
 * a copy of what it accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
mountinfo_fuzz_fail(const char *why)
{
	fprintf(stderr, "mountinfo: %s\n", why);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct daspool_mount	m;
	struct daspool_extent		e;
	char				err[256];
	int				i, rc;

	memset(&m, 0, sizeof(m));
	rc = mountinfo_decode(data, len, &m, err, sizeof(err));
	if (rc != 0) {
		if (rc > 0 || m.raw != NULL || err[0] == '\0')
			mountinfo_fuzz_fail("bad refusal");
		return 0;
	}
	if (m.raw == NULL || m.raw_len != len ||
	    memcmp(m.raw, data, len) != 0)
		mountinfo_fuzz_fail("the kept copy differs");
	if (m.map.size != m.info.size || strcmp(daspool_mount_volume(&m),
	    m.info.volume) != 0)
		mountinfo_fuzz_fail("accepted a size that does not add up");
	for (i = 0; daspool_mount_extent(&m, i, &e) == 0; i++)
		if (i >= m.info.extent_count)
			mountinfo_fuzz_fail("extent past the count");
	free(m.raw);
	return 0;
}
