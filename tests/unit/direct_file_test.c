/*
 * Tape files written past the page cache: bytes written in pieces of
 * every size (a tar header, an odd tail, several buffers at once) read
 * back the same, with the file exactly as long, both where O_DIRECT is
 * taken (a disk file system) and where it is refused (tmpfs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "direct_file.h"

/* Writes pieces of the given sizes into a new file in dir and checks
 * what it holds; returns whether O_DIRECT was taken. */
static int
write_and_check(const char *dir, const size_t *sizes, size_t n)
{
	struct direct_file	d;
	char			path[256];
	uint8_t			*want, *got;
	size_t			total = 0, i, off = 0;
	int			fd, direct;

	for (i = 0; i < n; i++)
		total += sizes[i];
	want = malloc(total);
	got = malloc(total + 1);
	assert_non_null(want);
	assert_non_null(got);
	for (i = 0; i < total; i++)
		want[i] = (uint8_t)(i * 7 + i / 4093);
	snprintf(path, sizeof(path), "%s/direct_file_test.%ld", dir,
	    (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(direct_open(&d, fd), 0);
	direct = d.direct;
	for (i = 0; i < n; i++) {
		assert_int_equal(direct_write(&d, want + off, sizes[i]), 0);
		off += sizes[i];
	}
	assert_int_equal(direct_finish(&d), 0);
	direct_free(&d);
	close(fd);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, total + 1), (ssize_t)total);
	assert_memory_equal(got, want, total);
	close(fd);
	unlink(path);
	free(want);
	free(got);
	return direct;
}

static const size_t pieces[] = {
	512, 512, 1, 8 * 1024 * 1024, 4095, DIRECT_BUFFER - 1024, 3 * 512,
	DIRECT_BUFFER, 77,
};

static void
test_disk(void **state)
{
	(void)state;
	/* On a disk file system O_DIRECT is taken; say so, as a file
	 * system that refuses it is written the usual way. */
	if (!write_and_check("/var/tmp", pieces,
	    sizeof(pieces) / sizeof(pieces[0])))
		print_message("O_DIRECT refused in /var/tmp here\n");
}

static void
test_tmpfs(void **state)
{
	(void)state;
	(void)write_and_check("/dev/shm", pieces,
	    sizeof(pieces) / sizeof(pieces[0]));
}

static void
test_aligned_end(void **state)
{
	static const size_t whole[] = { DIRECT_BUFFER, DIRECT_BUFFER / 2 };

	(void)state;
	(void)write_and_check("/var/tmp", whole, 2);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_disk),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test(test_aligned_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
