/*
 * Admin output on its way to the asker. A command appends text; once
 * ADMIN_PART_SIZE bytes wait, the complete lines go out as a part, so
 * a listing of any length needs a bounded buffer and the asker sees
 * its first lines while the rest is read. An asker that takes one
 * frame only gets the whole text at the end, and a command whose
 * output outgrows that frame is stopped rather than cut.
 */
#include <string.h>

#include "admin.h"
#include "proto.h"

void
admin_out_init(struct admin_out *o, admin_part_fn send, void *arg)
{
	memset(o, 0, sizeof(*o));
	buf_writer_init(&o->text);
	o->send = send;
	o->arg = arg;
}

void
admin_out_free(struct admin_out *o)
{
	buf_writer_free(&o->text);
}

/* Bytes of the next part: up to the last newline within one frame,
 * else (a line longer than a frame) a frame's worth; 0 when nothing
 * complete waits. */
static size_t
admin_out_cut(const struct admin_out *o)
{
	size_t	n = o->text.len < DSP_TEXT_MAX ? o->text.len : DSP_TEXT_MAX;

	while (n > 0 && o->text.data[n - 1] != '\n')
		n--;
	if (n == 0 && o->text.len > DSP_TEXT_MAX)
		n = DSP_TEXT_MAX;
	return n;
}

static int
admin_out_send(struct admin_out *o, size_t n)
{
	if (o->send(o->arg, o->text.data, n) == -1) {
		o->state = ADMIN_OUT_LOST;
		return -1;
	}
	o->parts++;
	memmove(o->text.data, o->text.data + n, o->text.len - n);
	o->text.len -= n;
	return 0;
}

/* Without parts, the output must fit the one frame. */
static int
admin_out_check(struct admin_out *o)
{
	if (o->state != ADMIN_OUT_OK)
		return -1;
	if (o->send == NULL && o->text.len > DSP_TEXT_MAX) {
		o->state = ADMIN_OUT_TOOBIG;
		return -1;
	}
	return 0;
}

int
admin_out_flush(struct admin_out *o)
{
	size_t	n;

	if (admin_out_check(o) == -1)
		return -1;
	if (o->send == NULL || o->text.len < ADMIN_PART_SIZE)
		return 0;
	while ((n = admin_out_cut(o)) > 0)
		if (admin_out_send(o, n) == -1)
			return -1;
	return 0;
}

int
admin_out_finish(struct admin_out *o)
{
	if (admin_out_check(o) == -1)
		return -1;
	while (o->text.len > DSP_TEXT_MAX)
		if (admin_out_send(o, admin_out_cut(o)) == -1)
			return -1;
	return 0;
}
