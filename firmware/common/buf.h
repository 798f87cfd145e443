/*
 * Payload builder and strict payload reader. Strings are u16 length +
 * bytes (no NUL on the wire), blobs are u32 length + bytes.
 *
 * A writer grows its buffer; a failed allocation sets the error flag and
 * later puts do nothing. A reader checks every length against what is
 * left and sets its error flag on the first fault; once set, every get
 * returns zero/empty. buf_reader_finish() fails if bytes are left over.
 */
#ifndef DASPOOL_BUF_H
#define DASPOOL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf_writer {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
	int	 error;
};

struct buf_reader {
	const uint8_t	*data;
	size_t		 len;
	size_t		 pos;
	int		 error;
};

void	buf_writer_init(struct buf_writer *);
void	buf_writer_free(struct buf_writer *);
void	buf_writer_reset(struct buf_writer *);	/* len = 0, keeps memory */
int	buf_reserve(struct buf_writer *, size_t extra);	/* 0 or -1 */
void	buf_put_u8(struct buf_writer *, uint8_t);
void	buf_put_u16(struct buf_writer *, uint16_t);
void	buf_put_u32(struct buf_writer *, uint32_t);
void	buf_put_u64(struct buf_writer *, uint64_t);
void	buf_put_bytes(struct buf_writer *, const void *, size_t);
void	buf_put_string(struct buf_writer *, const char *);	/* u16 len */
void	buf_put_blob(struct buf_writer *, const void *, size_t);	/* u32 len */

void	buf_reader_init(struct buf_reader *, const void *, size_t);
uint8_t	buf_get_u8(struct buf_reader *);
uint16_t buf_get_u16(struct buf_reader *);
uint32_t buf_get_u32(struct buf_reader *);
uint64_t buf_get_u64(struct buf_reader *);
/* Copies a string of at most max_len bytes into out (NUL-terminated,
 * out has max_len + 1 bytes); longer or containing NUL is an error. */
void	buf_get_string(struct buf_reader *, char *out, size_t max_len);
/* Points *ptr into the reader's buffer; longer than max_len is an error. */
void	buf_get_blob(struct buf_reader *, const uint8_t **ptr, size_t *len,
	    size_t max_len);
int	buf_reader_finish(const struct buf_reader *);	/* 0 or -1 */

#endif
