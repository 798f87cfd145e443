/*
 * The virtual tape library: made with tapes of a capacity, inventory,
 * labels (checked; a new label erases the tape), load, files appended
 * and cut at the end of the tape, marks, reading a file back, and the
 * refusals (an empty slot, no tape loaded, a read with nothing open);
 * and when a tape has room, its capacity known or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stream.h"
#include "tape.h"

#define CAP	10000

static char	dir[64];

static int
setup(void **state)
{
	char	err[256], cmd[128];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vtl_test.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/lib", dir);
	return vtl_make(cmd, 4, 3, CAP, err, sizeof(err));
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct tape_library *
open_lib(void)
{
	struct tape_library	*l;
	char			 path[128], err[256];

	snprintf(path, sizeof(path), "%s/lib", dir);
	l = vtl_open(path, err, sizeof(err));
	assert_non_null(l);
	return l;
}

static void
test_inventory_and_labels(void **state)
{
	struct tape_library	*l = open_lib();
	struct tape_slot	 s[TAPE_SLOTS_MAX];
	unsigned int		 n;

	(void)state;
	assert_int_equal(tape_inventory(l, s, &n), 0);
	assert_int_equal(n, 4);
	assert_true(s[0].full && s[2].full);
	assert_false(s[3].full);
	assert_string_equal(s[0].label, "");
	assert_int_equal(s[1].capacity, CAP);
	assert_int_equal(tape_label(l, 2, "DSP002"), 0);
	assert_int_equal(tape_label(l, 2, "bad label"), -1);
	assert_non_null(strstr(tape_error(l), "A-Z 0-9"));
	assert_int_equal(tape_label(l, 4, "DSP004"), -1);
	assert_non_null(strstr(tape_error(l), "slot 4 holds no tape"));
	assert_int_equal(tape_load(l, 4), -1);
	assert_int_equal(tape_inventory(l, s, &n), 0);
	assert_string_equal(s[1].label, "DSP002");
	tape_close(l);
}

static void
test_files_and_end_of_tape(void **state)
{
	struct tape_library	*l = open_lib();
	struct tape_slot	 s[TAPE_SLOTS_MAX];
	static char		 big[CAP + 500];
	char			 back[64];
	unsigned int		 n;

	(void)state;
	memset(big, 'b', sizeof(big));
	assert_int_equal(tape_append(l), -1);
	assert_non_null(strstr(tape_error(l), "no tape in the drive"));
	assert_int_equal(tape_load(l, 1), 0);
	assert_int_equal(tape_loaded(l), 1);
	assert_int_equal(tape_append(l), 0);
	assert_int_equal(tape_write(l, "first file", 10), 10);
	assert_int_equal(tape_mark(l), 0);
	assert_int_equal(tape_append(l), 0);
	/* Past the capacity: cut where the tape ends. */
	assert_int_equal(tape_write(l, big, sizeof(big)), CAP - 10);
	assert_int_equal(tape_write(l, "x", 1), 0);
	assert_int_equal(tape_mark(l), 0);
	assert_int_equal(tape_inventory(l, s, &n), 0);
	assert_int_equal(s[0].files, 2);
	assert_int_equal(s[0].used, CAP);
	/* Read the first file back, to its end. */
	assert_int_equal(tape_seek_file(l, 0), 0);
	assert_int_equal(tape_read(l, back, sizeof(back)), 10);
	assert_memory_equal(back, "first file", 10);
	assert_int_equal(tape_read(l, back, sizeof(back)), 0);
	assert_int_equal(tape_seek_file(l, 5), -1);
	/* A label erases the tape. */
	assert_int_equal(tape_label(l, 1, "DSP001"), 0);
	assert_int_equal(tape_inventory(l, s, &n), 0);
	assert_int_equal(s[0].files, 0);
	assert_int_equal(s[0].used, 0);
	tape_close(l);
	/* The drive keeps its tape across an open, and it is written
	 * up to its capacity from there. */
	l = open_lib();
	assert_int_equal(tape_loaded(l), 1);
	assert_int_equal(tape_read(l, back, 1), -1);
	assert_int_equal(tape_append(l), 0);
	assert_int_equal(tape_write(l, big, sizeof(big)), CAP);
	assert_int_equal(tape_mark(l), 0);
	tape_close(l);
}

/* A stream longer than a tape goes on on the next labelled one; read
 * back part by part it is the same bytes; with no tape left it fails. */
static void
test_stream_spans(void **state)
{
	struct tape_library	*l = open_lib();
	struct tape_stream	 st;
	static uint8_t		 in[15000], back[15000];
	size_t			 i, got = 0;
	ssize_t			 n;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	assert_int_equal(stream_open(&st, l, NULL), -1);
	assert_non_null(strstr(st.err, "no labelled tape"));
	assert_int_equal(tape_label(l, 1, "DSP001"), 0);
	assert_int_equal(tape_label(l, 3, "DSP003"), 0);
	assert_int_equal(stream_open(&st, l, NULL), 0);
	assert_int_equal(stream_write(&st, in, 6000), 0);
	assert_int_equal(stream_write(&st, in + 6000, 9000), 0);
	assert_int_equal(stream_close(&st), 0);
	assert_int_equal(st.nparts, 2);
	assert_string_equal(st.parts[0].label, "DSP001");
	assert_int_equal(st.parts[0].bytes, CAP);
	assert_string_equal(st.parts[1].label, "DSP003");
	assert_int_equal(st.parts[1].file, 0);
	assert_int_equal(st.parts[1].bytes, 5000);
	assert_int_equal(tape_load(l, 1), 0);
	assert_int_equal(tape_seek_file(l, 0), 0);
	while ((n = tape_read(l, back + got, sizeof(back) - got)) > 0)
		got += (size_t)n;
	assert_int_equal(tape_load(l, 3), 0);
	assert_int_equal(tape_seek_file(l, 0), 0);
	while ((n = tape_read(l, back + got, sizeof(back) - got)) > 0)
		got += (size_t)n;
	assert_int_equal(got, sizeof(in));
	assert_memory_equal(back, in, sizeof(in));
	/* Both tapes are full now: nothing is left to write on. */
	assert_int_equal(stream_open(&st, l, NULL), 0);
	assert_int_equal(stream_write(&st, in, 5001), -1);
	assert_non_null(strstr(st.err, "no labelled tape with room"));
	tape_close(l);
}

/* A capacity of 0 is unknown (a real drive): room until the end is
 * met. */
static void
test_room(void **state)
{
	struct tape_slot	s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.full = 1;
	assert_false(tape_slot_has_room(&s));
	snprintf(s.label, sizeof(s.label), "DSP001");
	assert_true(tape_slot_has_room(&s));
	s.used = 123456;
	assert_true(tape_slot_has_room(&s));
	s.at_end = 1;
	assert_false(tape_slot_has_room(&s));
	s.at_end = 0;
	s.capacity = 123456;
	assert_false(tape_slot_has_room(&s));
	s.capacity = 123457;
	assert_true(tape_slot_has_room(&s));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inventory_and_labels,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_and_end_of_tape,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_spans, setup,
		    teardown),
		cmocka_unit_test(test_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
