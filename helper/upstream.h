/*
 * upstream: the bytes to and from the submission server.  One read and
 * one write for plain TCP and TLS alike, so that the session and the relay
 * never ask which of the two they have: non-blocking calls for the relay's
 * poll loop, and blocking ones bounded by a deadline for the session's
 * setup.  It knows a socket, a TLS client and a deadline, and nothing of a
 * session: the caller turns what it reports into the failure it means.
 */
#ifndef SUBMITIFY_UPSTREAM_H
#define SUBMITIFY_UPSTREAM_H

#include <stddef.h>

/* What a call did instead of moving bytes (> 0) or seeing the end (0). */
#define UPSTREAM_ERR		(-1)	/* the connection failed: u->err */
#define UPSTREAM_WANT_READ	(-2)	/* poll for POLLIN, then call again */
#define UPSTREAM_WANT_WRITE	(-3)	/* poll for POLLOUT, then call again */
#define UPSTREAM_TIMEOUT	(-4)	/* blocking calls: the deadline passed */
#define UPSTREAM_WAIT_ERR	(-5)	/* blocking calls: poll failed: u->err */

struct tlsc;

struct upstream {
	int fd;			/* the connected socket (owned), or -1 */
	struct tlsc *tls;	/* owned; NULL for plain TCP, or until TLS */
	char err[300];		/* why the last call failed */
};

/*
 * Read up to n bytes: > 0; 0 when the server ended the stream cleanly (a
 * TCP EOF, or TLS close_notify: an EOF without it is an error);
 * UPSTREAM_WANT_*; or UPSTREAM_ERR with u->err set (the TLS error text, or
 * strerror).
 */
long upstream_read(struct upstream *u, void *buf, size_t n);

/* Write up to n bytes: > 0, UPSTREAM_WANT_*, or UPSTREAM_ERR (u->err). */
long upstream_write(struct upstream *u, const void *buf, size_t n);

/* Bytes decrypted and held inside TLS, to be read without a poll. */
int upstream_pending(const struct upstream *u);

/*
 * Wait until the socket is ready for events (POLLIN, POLLOUT), until
 * deadline (now_ms()).  0, UPSTREAM_TIMEOUT, or UPSTREAM_WAIT_ERR.
 */
int upstream_wait(struct upstream *u, short events, long long deadline);

/*
 * Read some bytes, waiting as TLS or the socket asks until deadline: as
 * upstream_read(), but UPSTREAM_TIMEOUT or UPSTREAM_WAIT_ERR where that
 * would want a poll.
 */
long upstream_read_some(struct upstream *u, void *buf, size_t n,
    long long deadline);

/*
 * Write all n bytes, waiting likewise until deadline.  0, or UPSTREAM_ERR,
 * UPSTREAM_TIMEOUT or UPSTREAM_WAIT_ERR; *sent says how many were written
 * either way.
 */
int upstream_write_all(struct upstream *u, const void *buf, size_t n,
    long long deadline, size_t *sent);

/* Send close_notify if clean and over TLS (best effort, without waiting),
 * then close the socket.  The TLS client stays: its version and cipher
 * are still logged. */
void upstream_close(struct upstream *u, int clean);

/* Free the TLS client; u itself is the caller's. */
void upstream_free(struct upstream *u);

#endif
