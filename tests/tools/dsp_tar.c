/*
 * dsp_tar: writes IMAGE into ARCHIVE as a tape file of the backup holds
 * one: a MANIFEST, a RESTORE.txt and IMAGE as the sparse member NAME,
 * its data regions found with SEEK_DATA/SEEK_HOLE:
 *
 *   dsp_tar IMAGE ARCHIVE NAME
 *
 * For the tests: a stock tar must extract NAME byte-exact.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tar.h"

#define DSP_TAR_REGIONS	4096
#define DSP_TAR_BUF	(1024 * 1024)

static int
out_write(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

/* The data regions of fd's file; their number, or -1. */
static int
regions_of(int fd, uint64_t size, struct tar_region *r, size_t max)
{
	off_t	data, hole, pos = 0;
	size_t	n = 0;

	while ((uint64_t)pos < size) {
		if ((data = lseek(fd, pos, SEEK_DATA)) == -1)
			break;
		if ((hole = lseek(fd, data, SEEK_HOLE)) == -1)
			hole = (off_t)size;
		if (n == max)
			return -1;
		r[n].offset = (uint64_t)data;
		r[n].length = (uint64_t)(hole - data);
		n++;
		pos = hole;
	}
	return (int)n;
}

int
main(int argc, char **argv)
{
	static struct tar_region	 r[DSP_TAR_REGIONS];
	struct tar			 t;
	struct stat			 st;
	char				 manifest[256], *buf;
	FILE				*out;
	uint64_t			 left;
	ssize_t				 got;
	int				 fd, n, i;

	if (argc != 4) {
		fprintf(stderr, "usage: dsp_tar IMAGE ARCHIVE NAME\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) == -1 || fstat(fd, &st) == -1 ||
	    (out = fopen(argv[2], "w")) == NULL ||
	    (buf = malloc(DSP_TAR_BUF)) == NULL) {
		perror("dsp_tar");
		return 1;
	}
	if ((n = regions_of(fd, (uint64_t)st.st_size, r, DSP_TAR_REGIONS)) ==
	    -1) {
		fprintf(stderr, "dsp_tar: too many regions\n");
		return 1;
	}
	snprintf(manifest, sizeof(manifest), "image %s\nsize %lld\n"
	    "regions %d\n", argv[3], (long long)st.st_size, n);
	tar_init(&t, out_write, out, (uint64_t)st.st_mtime);
	if (tar_file(&t, "MANIFEST", manifest, strlen(manifest)) == -1 ||
	    tar_file(&t, "RESTORE.txt", "tar -xf ARCHIVE\n", 16) == -1 ||
	    tar_sparse_begin(&t, argv[3], (uint64_t)st.st_size, r,
	    (size_t)n) == -1) {
		fprintf(stderr, "dsp_tar: cannot start the archive\n");
		return 1;
	}
	for (i = 0; i < n; i++)
		for (left = r[i].length; left > 0; left -= (uint64_t)got) {
			got = pread(fd, buf, left < DSP_TAR_BUF ? (size_t)left :
			    DSP_TAR_BUF, (off_t)(r[i].offset + r[i].length -
			    left));
			if (got <= 0 || tar_data(&t, buf, (size_t)got) == -1) {
				fprintf(stderr, "dsp_tar: %s\n", got < 0 ?
				    strerror(errno) : "short image");
				return 1;
			}
		}
	if (tar_sparse_end(&t) == -1 || tar_finish(&t) == -1 ||
	    fclose(out) != 0) {
		fprintf(stderr, "dsp_tar: cannot end the archive\n");
		return 1;
	}
	free(buf);
	close(fd);
	return 0;
}
