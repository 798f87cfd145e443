/*
 * The backup's messages: BACKUP_AUDIT round trips with the same bytes
 * for every event; every truncation, a trailing byte, a string over its
 * limit or holding a NUL is E_FRAME; an unknown event, a missing or bad
 * volume name and a text too long once escaped are E_INVALID, with a
 * sentence naming what was wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msg_backup.h"

static struct msg_backup_audit
row(const char *event, const char *volume, const char *text)
{
	struct msg_backup_audit	m;

	memset(&m, 0, sizeof(m));
	snprintf(m.event, sizeof(m.event), "%s", event);
	snprintf(m.volume, sizeof(m.volume), "%s", volume);
	snprintf(m.text, sizeof(m.text), "%s", text);
	return m;
}

/* Round trip, then every shorter payload and one byte more. */
static void
check_codec(const struct msg_backup_audit *m)
{
	struct msg_backup_audit	out;
	struct buf_writer	w, w2;
	uint8_t			longer[512];
	size_t			n;

	buf_writer_init(&w);
	msg_encode_backup_audit(&w, m);
	assert_false(w.error);
	assert_int_equal(msg_decode_backup_audit(w.data, w.len, &out), DSP_OK);
	assert_memory_equal(&out, m, sizeof(out));
	buf_writer_init(&w2);
	msg_encode_backup_audit(&w2, &out);
	assert_int_equal(w2.len, w.len);
	assert_memory_equal(w2.data, w.data, w.len);
	for (n = 0; n < w.len; n++)
		assert_int_equal(msg_decode_backup_audit(w.data, n, &out),
		    DSP_E_FRAME);
	assert_true(w.len < sizeof(longer));
	memset(longer, 0, sizeof(longer));
	memcpy(longer, w.data, w.len);
	assert_int_equal(msg_decode_backup_audit(longer, w.len + 1, &out),
	    DSP_E_FRAME);
	buf_writer_free(&w);
	buf_writer_free(&w2);
}

/* The decoder's verdict, and the check's sentence when it refuses. */
static void
check_refused(const struct msg_backup_audit *m, const char *why_start)
{
	struct msg_backup_audit	out;
	struct buf_writer	w;
	char			why[512];

	buf_writer_init(&w);
	msg_encode_backup_audit(&w, m);
	assert_int_equal(msg_decode_backup_audit(w.data, w.len, &out),
	    DSP_E_INVALID);
	buf_writer_free(&w);
	why[0] = '\0';
	assert_int_equal(msg_backup_audit_check(m, why, sizeof(why)),
	    DSP_E_INVALID);
	if (strncmp(why, why_start, strlen(why_start)) != 0)
		fail_msg("sentence \"%s\" does not start \"%s\"", why,
		    why_start);
}

static void
test_round_trip(void **state)
{
	static const char	*events[] = { "backup-run", "backup-copy",
				    "backup-copy-failed", "backup-verify",
				    "backup-verify-failed", "backup-restore",
				    "backup-restore-failed" };
	struct msg_backup_audit	m;
	char			text[DSP_AUDIT_TEXT_MAX + 1];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		assert_true(msg_backup_event_valid(events[i]));
		m = row(events[i], "Vol-1", "tape L00001 file 3");
		check_codec(&m);
	}
	m = row("backup-run", "", "run 7 started");
	check_codec(&m);
	m = row("backup-copy", "Vol-2", "");
	check_codec(&m);
	/* 127 bytes, or 123 and a byte shown as \xNN: the row's limit. */
	memset(text, 'x', DSP_AUDIT_TEXT_MAX);
	text[DSP_AUDIT_TEXT_MAX] = '\0';
	m = row("backup-verify", "Vol-3", text);
	check_codec(&m);
	text[123] = '\t';
	text[124] = '\0';
	m = row("backup-verify", "Vol-3", text);
	check_codec(&m);
}

/* The three strings as given, read by the decoder. */
static int
decode_raw(const char *event, const char *volume, const char *text)
{
	struct msg_backup_audit	out;
	struct buf_writer	w;
	int			rc;

	buf_writer_init(&w);
	buf_put_string(&w, event);
	buf_put_string(&w, volume);
	buf_put_string(&w, text);
	rc = msg_decode_backup_audit(w.data, w.len, &out);
	buf_writer_free(&w);
	return rc;
}

/* A string one byte too long for its field, or with a NUL: malformed. */
static void
test_framing(void **state)
{
	struct msg_backup_audit	out;
	char			over[DSP_AUDIT_TEXT_MAX + 2];
	static const uint8_t	nul[] = { 0, 10, 'b', 'a', 'c', 'k', 'u',
				    'p', '-', 'r', 'u', 0, 0, 0, 0, 0 };

	(void)state;
	memset(over, 'a', sizeof(over) - 1);
	over[DSP_AUDIT_TEXT_MAX + 1] = '\0';
	assert_int_equal(decode_raw("backup-copy", "Vol-1", over),
	    DSP_E_FRAME);
	over[DSP_NAME_MAX + 1] = '\0';
	assert_int_equal(decode_raw("backup-copy", over, ""), DSP_E_FRAME);
	over[DSP_AUDIT_EVENT_MAX + 1] = '\0';
	assert_int_equal(decode_raw(over, "Vol-1", ""), DSP_E_FRAME);
	/* "backup-ru" and a NUL: malformed, not an unknown event. */
	assert_int_equal(msg_decode_backup_audit(nul, sizeof(nul), &out),
	    DSP_E_FRAME);
	assert_int_equal(msg_decode_backup_audit(NULL, 0, &out), DSP_E_FRAME);
}

static void
test_domain(void **state)
{
	struct msg_backup_audit	m;
	char			text[DSP_AUDIT_TEXT_MAX + 1];

	(void)state;
	m = row("backup-nap", "Vol-1", "");
	check_refused(&m, "unknown backup event 'backup-nap': use one of "
	    "backup-run, backup-copy, backup-copy-failed, backup-verify, "
	    "backup-verify-failed, backup-restore, backup-restore-failed");
	m = row("", "Vol-1", "");
	check_refused(&m, "unknown backup event ''");
	m = row("Backup-Copy", "Vol-1", "");
	check_refused(&m, "unknown backup event 'Backup-Copy'");
	/* What the peer sent is shown escaped. */
	m = row("backup\x1b[2J", "Vol-1", "");
	check_refused(&m, "unknown backup event 'backup\\x1b[2J'");
	m = row("backup-copy-failed", "", "no volume");
	check_refused(&m, "a backup-copy-failed row needs a volume name");
	m = row("backup-restore", "Vol/1", "");
	check_refused(&m, "bad volume name 'Vol/1': use 1-63 characters");
	memset(text, 'x', DSP_AUDIT_TEXT_MAX);
	text[DSP_AUDIT_TEXT_MAX] = '\0';
	text[124] = '\\';
	m = row("backup-copy", "Vol-1", text);
	check_refused(&m, "text of 127 bytes is 128 once escaped, over the "
	    "127 byte limit of an audit row");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
