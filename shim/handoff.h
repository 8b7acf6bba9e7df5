/*
 * handoff: turn a TCP socket that is about to connect() somewhere into a
 * loopback connection whose other end belongs to a fresh helper process.
 *
 * The program's socket stays the socket it created (options, flags and fd
 * number unchanged); it is connected to a loopback listener that exists
 * only for this handoff, before the helper is even started.  The helper
 * accepts on that listener and serves only the connection whose other end
 * is this very socket (its SO_COOKIE, looked up through sock_diag), so a
 * process of anyone's racing to the listener is refused, whatever address
 * it connects from.
 *
 * Nothing here depends on running inside the host process: a supervisor
 * that holds a duplicate of the socket can use it the same way.
 */
#ifndef SUBMITIFY_HANDOFF_H
#define SUBMITIFY_HANDOFF_H

#include <sys/socket.h>

#include <stdint.h>

#include "contract.h"
#include "warm.h"

struct handoff_req {
	const char *helper;		/* path of submitify-helper */
	const char *prog;		/* program name, for the log */
	long pid;			/* program pid, for the log */
	int errfd;			/* fd to become the helper's stderr, or -1 */
	char *const *environ;		/* environment to filter for the helper */
	int secure;			/* the host runs with AT_SECURE */
};

/* One handoff in progress: what the helper and getpeername() need. */
struct handoff_link {
	struct sockaddr_storage via;	/* the listener the socket connects to */
	socklen_t vialen;
	int lfd;			/* the listener, until the helper has it */
	uint64_t cookie;		/* the program socket's SO_COOKIE */
	int reuse[2];			/* SO_REUSEADDR, SO_REUSEPORT as set */
	int restore;			/* reuse[] must be put back */
	char peer[HELPER_ADDR_MAX];	/* the socket's local address */
	char dest[HELPER_ADDR_MAX];	/* where the program wanted to go */
	char warm[WARM_PATH_MAX];	/* the uid's warm socket, for a cold
					   helper to start one at; or "" */
};

/*
 * Prepare fd for the handoff to the original destination dest (destlen
 * bytes): bind fd to loopback if it is unbound (with SO_REUSEADDR and
 * SO_REUSEPORT off meanwhile), note its identity, and open the one-shot
 * listener; fill *link.  The caller then connects fd to link->via itself,
 * calls handoff_spawn() once the connection is queued, and handoff_close()
 * in every case.  Returns 0, or -1 with errno set to a value that
 * connect() may return (link is closed then).
 */
int handoff_open(int fd, const struct sockaddr *dest, socklen_t destlen,
    struct handoff_link *link);

/*
 * Hand the listener to the uid's warm helper (shim/warmc.c) or, when there
 * is none that is provably ours, start a cold helper for link, detached
 * from this process (it is never this process's child).  The listener is
 * closed here.  Returns 0, or -1 with errno set.
 */
int handoff_spawn(const struct handoff_req *req, struct handoff_link *link);

/*
 * The warm half of handoff_spawn(): 0 if the warm helper took link's
 * listener (cookie and pid are its decimal strings), else -1, with
 * link->warm naming the socket a cold helper may start one at, or "".
 * Preserves errno.
 */
int handoff_warm(const struct handoff_req *req, struct handoff_link *link,
    const char *cookie, const char *pid);

/*
 * Does the environment entry e go to a helper?  Not LD_PRELOAD (the helper
 * must not load this library), and for a host with AT_SECURE (secure)
 * none of submitify's own settings from whoever started it.
 */
int handoff_env_keep(const char *e, int secure);

/*
 * End the handoff on fd's side: close the listener if the helper did not
 * take it, and give fd back the SO_REUSEADDR and SO_REUSEPORT values the
 * program had set.  Preserves errno.
 */
void handoff_close(int fd, struct handoff_link *link);

#endif
