/*
 * tape.h's calls, through the library's driver (tape_driver.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tape_driver.h"

int
tape_fail(struct tape_library *l, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return -1;
}

int
tape_label_valid(const char *label)
{
	size_t	len = strlen(label);

	return len > 0 && len <= TAPE_LABEL_MAX &&
	    strspn(label, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == len;
}

int
tape_slot_has_room(const struct tape_slot *s)
{
	return s->full && s->label[0] != '\0' && !s->at_end &&
	    (s->capacity == 0 || s->used < s->capacity);
}

void
tape_close(struct tape_library *l)
{
	if (l != NULL)
		l->driver->close(l);
}

const char *
tape_error(const struct tape_library *l)
{
	return l->err;
}

const char *
tape_driver_name(const struct tape_library *l)
{
	return l->driver->name;
}

int
tape_inventory(struct tape_library *l, struct tape_slot *slots,
    unsigned int *n)
{
	return l->driver->inventory(l, slots, n);
}

int
tape_label(struct tape_library *l, unsigned int slot, const char *label)
{
	return l->driver->label(l, slot, label);
}

int
tape_load(struct tape_library *l, unsigned int slot)
{
	return l->driver->load(l, slot);
}

unsigned int
tape_loaded(const struct tape_library *l)
{
	return l->driver->loaded(l);
}

int
tape_append(struct tape_library *l)
{
	return l->driver->append(l);
}

ssize_t
tape_write(struct tape_library *l, const void *buf, size_t len)
{
	return l->driver->write(l, buf, len);
}

int
tape_mark(struct tape_library *l)
{
	return l->driver->mark(l);
}

int
tape_seek_file(struct tape_library *l, unsigned int file)
{
	return l->driver->seek_file(l, file);
}

ssize_t
tape_read(struct tape_library *l, void *buf, size_t len)
{
	return l->driver->read(l, buf, len);
}
