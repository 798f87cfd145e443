/*
 * mtx status read from outputs captured on real libraries
 * (tests/unit/data/mtx/, each file's header says which): full and
 * empty slots, import/export slots, a loaded drive, tapes with and
 * without barcodes, several drives. Then the forms no capture here
 * shows, written from mtx's own formats (alternate volume tags, a
 * tape from an unknown slot, old mtx's unnumbered drive), lines that
 * are passed over, and the malformed lines refused with their number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtx_status.h"

static struct mtx_status	st;
static char			err[512];

/* A capture, without the '#' lines that say where it comes from. */
static char *
capture(const char *name)
{
	char	 path[512], line[512], *text;
	size_t	 len = 0, size = 65536;
	FILE	*f;
	const char *slash = strrchr(__FILE__, '/');

	snprintf(path, sizeof(path), "%.*sdata/mtx/%s", slash != NULL ?
	    (int)(slash - __FILE__ + 1) : 0, __FILE__, name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(text = calloc(1, size));
	while (fgets(line, sizeof(line), f) != NULL)
		if (line[0] != '#') {
			assert_true(len + strlen(line) < size);
			memcpy(text + len, line, strlen(line));
			len += strlen(line);
		}
	fclose(f);
	return text;
}

static void
parse_capture(const char *name)
{
	char	*text = capture(name);

	assert_int_equal(mtx_status_parse(text, &st, err, sizeof(err)), 0);
	free(text);
}

static void
test_one_drive_loaded(void **state)
{
	(void)state;
	parse_capture("lto9_24_slots.txt");
	assert_int_equal(st.ndrives, 1);
	assert_int_equal(st.nslots, 24);
	assert_int_equal(st.nimport_export, 0);
	assert_true(st.drives[0].full);
	assert_int_equal(st.drives[0].source, 24);
	assert_string_equal(st.drives[0].tag, "AAK787L9");
	/* The loaded tape's slot shows empty; the padding is trimmed. */
	assert_false(st.slots[23].full);
	assert_true(st.slots[0].full);
	assert_string_equal(st.slots[0].tag, "AAK788L9");
	assert_string_equal(st.slots[1].tag, "CLN670L1");
	assert_string_equal(st.slots[22].tag, "AAK798L9");
	assert_string_equal(st.slots[22].alt_tag, "");
	assert_false(st.slots[22].import_export);
}

static void
test_three_drives(void **state)
{
	unsigned int	i;

	(void)state;
	parse_capture("sdlt_3_drives.txt");
	assert_int_equal(st.ndrives, 3);
	assert_int_equal(st.nslots, 24);
	assert_int_equal(st.nimport_export, 4);
	assert_true(st.drives[0].full);
	assert_int_equal(st.drives[0].source, 1);
	assert_string_equal(st.drives[0].tag, "TEST55");
	assert_false(st.drives[1].full);
	assert_false(st.drives[2].full);
	assert_false(st.slots[0].full);
	assert_string_equal(st.slots[3].tag, "TEST68S");
	for (i = 0; i < 24; i++)
		assert_int_equal(st.slots[i].import_export, i >= 20);
	assert_false(st.slots[23].full);
}

static void
test_tape_without_barcode(void **state)
{
	(void)state;
	parse_capture("t120_no_barcode.txt");
	assert_int_equal(st.ndrives, 2);
	assert_int_equal(st.nslots, 38);
	assert_int_equal(st.nimport_export, 8);
	assert_false(st.drives[0].full || st.drives[1].full);
	assert_string_equal(st.slots[0].tag, "000000S1");
	assert_string_equal(st.slots[23].tag, "000023S1");
	assert_false(st.slots[24].full);
	assert_true(st.slots[29].full);
	assert_string_equal(st.slots[29].tag, "");
	assert_false(st.slots[29].import_export);
	assert_true(st.slots[30].import_export && !st.slots[30].full);
	assert_true(st.slots[37].import_export);
}

static void
test_import_export_slots(void **state)
{
	(void)state;
	parse_capture("lto3_import_export.txt");
	assert_int_equal(st.ndrives, 2);
	assert_int_equal(st.nimport_export, 36);
	assert_int_equal(st.drives[0].source, 2);
	assert_string_equal(st.drives[0].tag, "LT1000L3");
	assert_false(st.drives[1].full);
	assert_false(st.slots[0].import_export);
	assert_string_equal(st.slots[0].tag, "LT1001L3");
	assert_true(st.slots[4].import_export && st.slots[4].full);
	assert_string_equal(st.slots[4].tag, "LT1002L3");
	assert_string_equal(st.slots[10].tag, "LT1008L3");
	assert_true(st.slots[32].import_export && st.slots[32].full);
	assert_string_equal(st.slots[32].tag, "");
	assert_false(st.slots[37].full);
}

static void
test_four_drives(void **state)
{
	unsigned int	i;

	(void)state;
	parse_capture("l700_4_drives.txt");
	assert_int_equal(st.ndrives, 4);
	assert_int_equal(st.nslots, 43);
	for (i = 0; i < 4; i++)
		assert_false(st.drives[i].full);
	assert_string_equal(st.slots[19].tag, "E01020L4");
	assert_false(st.slots[20].full);
	assert_string_equal(st.slots[21].tag, "CLN101L4");
	assert_string_equal(st.slots[38].tag, "F01039L5");
	assert_true(st.slots[39].import_export && !st.slots[39].full);
}

/* mtx.c's Status() formats, for what no capture here shows. */
static void
test_formats_without_capture(void **state)
{
	const char	*text =
	    "  Storage Changer /dev/sg4:2 Drives, 4 Slots ( 1 Import/Export )\n"
	    "Data Transfer Element 0:Full (Storage Element 3 Loaded)"
	    ":VolumeTag = DSP003L8:AlternateVolumeTag = ALT003\n"
	    "Data Transfer Element 1:Full (Unknown Storage Element Loaded)"
	    ":VolumeTag = DSP009L8\n"
	    "      Storage Element 1:Full :VolumeTag=DSP001L8"
	    ":AlternateVolumeTag=ALT001  \n"
	    "      Storage Element 2:Full :AlternateVolumeTag=ALT002\n"
	    "      Storage Element 3:Empty\n"
	    "      Storage Element 4 IMPORT/EXPORT:Full :VolumeTag=DSP004L8\n";
	const char	*old =
	    "  Storage Changer /dev/sg1:1 Drives, 2 Slots ( 0 Import/Export )\n"
	    "Data Transfer Element:Full (Storage Element 2 Loaded)"
	    ":VolumeTag = OLD002\n"
	    "      Storage Element 1:Full :VolumeTag=OLD001\n"
	    "      Storage Element 2:Empty\n";

	(void)state;
	assert_int_equal(mtx_status_parse(text, &st, err, sizeof(err)), 0);
	assert_string_equal(st.drives[0].tag, "DSP003L8");
	assert_string_equal(st.drives[0].alt_tag, "ALT003");
	assert_int_equal(st.drives[1].source, 0);
	assert_true(st.drives[1].full);
	assert_string_equal(st.drives[1].tag, "DSP009L8");
	assert_string_equal(st.slots[0].tag, "DSP001L8");
	assert_string_equal(st.slots[0].alt_tag, "ALT001");
	assert_string_equal(st.slots[1].tag, "");
	assert_string_equal(st.slots[1].alt_tag, "ALT002");
	assert_true(st.slots[3].import_export);
	assert_string_equal(st.slots[3].tag, "DSP004L8");
	assert_int_equal(mtx_status_parse(old, &st, err, sizeof(err)), 0);
	assert_int_equal(st.drives[0].source, 2);
	assert_string_equal(st.drives[0].tag, "OLD002");
}

static void
test_other_lines_passed_over(void **state)
{
	const char	*text =
	    "\n"
	    "Loading media from Storage Element 1 into drive 0...done\n"
	    "  Storage Changer /dev/sg3:1 Drives, 2 Slots ( 0 Import/Export )\r\n"
	    "Data Transfer Element 0:Empty\r\n"
	    "some vendor's note\n"
	    "      Storage Element 1:Full :VolumeTag=DSP001L8\n"
	    "      Storage Element 2:Empty";

	(void)state;
	assert_int_equal(mtx_status_parse(text, &st, err, sizeof(err)), 0);
	assert_string_equal(st.slots[0].tag, "DSP001L8");
	assert_false(st.slots[1].full);
}

static void
refused(const char *text, const char *why)
{
	assert_int_equal(mtx_status_parse(text, &st, err, sizeof(err)), -1);
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, why);
}

#define HEAD	"  Storage Changer /dev/sg3:2 Drives, 24 Slots ( 1 Import/Export )\n"

static void
test_malformed(void **state)
{
	(void)state;
	refused(HEAD "      Storage Element x:Full\n",
	    "line 2 (\"      Storage Element x:Full\"): malformed slot number");
	refused(HEAD "Data Transfer Element 0:Empty\n"
	    "      Storage Element 3x:Empty\n",
	    "line 3 (\"      Storage Element 3x:Empty\"): no ':' after");
	refused(HEAD "      Storage Element 0:Empty\n", "line 2");
	refused(HEAD "      Storage Element 25:Empty\n",
	    "slot 25, but the changer has 24");
	refused(HEAD "      Storage Element 99999999999:Empty\n",
	    "malformed slot number");
	refused(HEAD "Data Transfer Element 2:Empty\n",
	    "line 2 (\"Data Transfer Element 2:Empty\"): drive 2, but the "
	    "changer has 2");
	refused(HEAD "Data Transfer Element one:Empty\n",
	    "malformed drive number");
	refused(HEAD "Data Transfer Element 0:Loaded\n",
	    "neither Empty nor Full");
	refused(HEAD "Data Transfer Element 0:Full (Storage Element x Loaded)\n",
	    "malformed slot of the loaded tape");
	refused(HEAD "      Storage Element 1:Full :VolumeTag="
	    "A1234567890123456789012345678901234567890\n",
	    "longer than 36");
	refused(HEAD "      Storage Element 1:Full :VolumeTag DSP001\n",
	    "without '='");
	refused("  Storage Changer /dev/sg3:two Drives, 24 Slots ( 1 "
	    "Import/Export )\n", "line 1");
	refused("  Storage Changer /dev/sg3:1 Drives, 300 Slots ( 0 "
	    "Import/Export )\n", "300 slots, at most 256");
	refused("      Storage Element 1:Empty\n" HEAD,
	    "line 1 (\"      Storage Element 1:Empty\"): an element before");
	/* What mtx prints when the changer does not answer. */
	refused("mtx: Request Sense: Sense Key=Not Ready\n"
	    "READ ELEMENT STATUS Command Failed\n", "no \"Storage Changer\"");
	refused("", "no \"Storage Changer\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_drive_loaded),
		cmocka_unit_test(test_three_drives),
		cmocka_unit_test(test_tape_without_barcode),
		cmocka_unit_test(test_import_export_slots),
		cmocka_unit_test(test_four_drives),
		cmocka_unit_test(test_formats_without_capture),
		cmocka_unit_test(test_other_lines_passed_over),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
