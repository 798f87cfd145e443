/*
 * Request streams: the late-write barrier. A borrower's data
 * connection to this agent carries a stream id in its ATTACH that stays
 * the same when the borrower reconnects after a timeout and resends
 * what was not answered. The newest connection of a stream owns it:
 * claiming waits until no request of an earlier connection of that
 * stream is running, and from then on those connections may start no
 * request. So a write stalled on a slow disk can never land after the
 * resent copy and the writes that followed it.
 *
 * A stream is (borrower, volume, stream id); stream id 0 means none
 * (no barrier). Connections are told apart by a serial. Thread-safe.
 */
#ifndef DASPOOL_AGENT_STREAMS_H
#define DASPOOL_AGENT_STREAMS_H

#include <stdint.h>

struct streams;

struct stream_ref {
	const char	*borrower;
	const char	*volume;
	uint64_t	 id;
	uint64_t	 conn;		/* the connection's serial */
};

enum { STREAM_OWNED = 0, STREAM_WAITING = 1, STREAM_SUPERSEDED = -1 };

struct streams	*streams_new(void);
void		 streams_free(struct streams *);

/*
 * ref->conn becomes the owner and waits, at most wait_ms, for the
 * earlier owners' running requests: STREAM_OWNED when none is left,
 * STREAM_WAITING when time ran out (call again), STREAM_SUPERSEDED when
 * a newer connection claimed the stream meanwhile. -2: out of memory.
 */
int		 streams_claim(struct streams *, const struct stream_ref *,
		    int wait_ms);
/* Before a request: STREAM_OWNED (it runs until streams_end) or
 * STREAM_SUPERSEDED. */
int		 streams_begin(struct streams *, const struct stream_ref *);
void		 streams_end(struct streams *, const struct stream_ref *);
/* 1 while ref->conn owns the stream; for long requests between slices. */
int		 streams_owned(struct streams *, const struct stream_ref *);
/* The connection is closing and has no request running. */
void		 streams_release(struct streams *, const struct stream_ref *);

#endif
