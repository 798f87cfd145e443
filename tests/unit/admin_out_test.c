/*
 * Admin output in parts: nothing leaves below ADMIN_PART_SIZE; then
 * whole lines, each part at most one frame; the end leaves the last
 * frame's worth; a lost asker stops the output; an asker of one frame
 * gets a too-big state instead of a cut text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "admin.h"
#include "proto.h"

struct sink {
	size_t	parts;
	size_t	bytes;
	int	fail_at;	/* part number that fails; 0 = none */
	int	whole_lines;
	size_t	largest;
};

static int
sink_part(void *arg, const uint8_t *text, size_t len)
{
	struct sink	*s = arg;

	if (s->fail_at != 0 && (int)s->parts + 1 == s->fail_at)
		return -1;
	s->parts++;
	s->bytes += len;
	if (len > s->largest)
		s->largest = len;
	if (len == 0 || text[len - 1] != '\n')
		s->whole_lines = 0;
	return 0;
}

/* n lines of 99 characters and a newline. */
static void
lines(struct admin_out *o, size_t n)
{
	char	line[100];
	size_t	i;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (i = 0; i < n; i++)
		buf_put_bytes(&o->text, line, sizeof(line));
}

static void
test_small(void **state)
{
	struct sink		s = { 0, 0, 0, 1, 0 };
	struct admin_out	o;

	(void)state;
	admin_out_init(&o, sink_part, &s);
	lines(&o, 10);
	assert_int_equal(admin_out_flush(&o), 0);
	assert_int_equal(admin_out_finish(&o), 0);
	assert_int_equal(s.parts, 0);
	assert_int_equal(o.text.len, 1000);
	admin_out_free(&o);
}

static void
test_parts(void **state)
{
	struct sink		s = { 0, 0, 0, 1, 0 };
	struct admin_out	o;
	size_t			i;

	(void)state;
	admin_out_init(&o, sink_part, &s);
	for (i = 0; i < 100; i++) {
		lines(&o, 100);
		buf_put_bytes(&o.text, "half", 4);	/* a line not ended */
		assert_int_equal(admin_out_flush(&o), 0);
		assert_true(o.text.len < ADMIN_PART_SIZE + 10004);
		buf_put_bytes(&o.text, "\n", 1);
	}
	assert_true(s.parts > 0);
	assert_true(s.whole_lines);
	assert_int_equal(admin_out_finish(&o), 0);
	assert_true(o.text.len <= DSP_TEXT_MAX);
	assert_int_equal(s.bytes + o.text.len, 100 * (100 * 100 + 5));
	assert_true(s.largest <= DSP_TEXT_MAX);
	admin_out_free(&o);
}

/* Built all at once (show audit), the end cuts it into frames. */
static void
test_finish_cuts(void **state)
{
	struct sink		s = { 0, 0, 0, 1, 0 };
	struct admin_out	o;

	(void)state;
	admin_out_init(&o, sink_part, &s);
	lines(&o, 10000);
	assert_int_equal(admin_out_finish(&o), 0);
	assert_int_equal(s.parts, 3);
	assert_true(s.whole_lines);
	assert_true(s.largest <= DSP_TEXT_MAX);
	assert_int_equal(s.bytes + o.text.len, 1000000);
	admin_out_free(&o);
}

static void
test_lost(void **state)
{
	struct sink		s = { 0, 0, 2, 1, 0 };
	struct admin_out	o;

	(void)state;
	admin_out_init(&o, sink_part, &s);
	lines(&o, 1000);
	assert_int_equal(admin_out_flush(&o), 0);
	lines(&o, 1000);
	assert_int_equal(admin_out_flush(&o), -1);
	assert_int_equal(o.state, ADMIN_OUT_LOST);
	assert_int_equal(admin_out_flush(&o), -1);
	assert_int_equal(admin_out_finish(&o), -1);
	admin_out_free(&o);
}

static void
test_one_frame(void **state)
{
	struct admin_out	o;

	(void)state;
	admin_out_init(&o, NULL, NULL);
	lines(&o, 2000);
	assert_int_equal(admin_out_flush(&o), 0);
	assert_int_equal(admin_out_finish(&o), 0);
	lines(&o, 1000);
	assert_int_equal(admin_out_flush(&o), -1);
	assert_int_equal(o.state, ADMIN_OUT_TOOBIG);
	admin_out_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_finish_cuts),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_one_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
