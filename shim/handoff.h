/*
 * handoff: turn a TCP socket that is about to connect() somewhere into a
 * loopback connection whose other end belongs to a fresh helper process.
 *
 * The program's socket stays the socket it created (options, flags and fd
 * number unchanged); it is connected to a loopback listener that exists
 * only for this handoff.  The helper accepts on that listener and serves
 * only the connection whose source is exactly this socket's address, so a
 * local process racing to the listener is refused.
 *
 * Nothing here depends on running inside the host process: a supervisor
 * that holds a duplicate of the socket can use it the same way.
 */
#ifndef SUBMITIFY_HANDOFF_H
#define SUBMITIFY_HANDOFF_H

#include <sys/socket.h>

struct handoff_req {
	const char *helper;		/* path of submitify-helper */
	const char *prog;		/* program name, for the log */
	long pid;			/* program pid, for the log */
	int errfd;			/* fd to become the helper's stderr, or -1 */
	char *const *environ;		/* environment to filter for the helper */
	int secure;			/* the host runs with AT_SECURE */
};

/* The loopback addresses of one handoff, kept for getpeername(). */
struct handoff_link {
	struct sockaddr_storage via;	/* the listener the socket connects to */
	socklen_t vialen;
};

/*
 * Prepare fd for the handoff and start the helper for the original
 * destination dest (destlen bytes): bind fd to loopback if it is unbound,
 * open the one-shot listener, start the helper detached from this process
 * (it is never this process's child), and fill *link.  The caller then
 * connects fd to link->via itself.  Returns 0, or -1 with errno set to a
 * value that connect() may return.
 */
int handoff_start(int fd, const struct sockaddr *dest, socklen_t destlen,
    const struct handoff_req *req, struct handoff_link *link);

/*
 * Render sa as "ADDR:PORT" (IPv6 as "[ADDR]:PORT") into buf.  Returns 0, or
 * -1 if the family is not AF_INET/AF_INET6 or buf is too small.
 */
int handoff_fmt_addr(const struct sockaddr *sa, char *buf, size_t len);

#endif
