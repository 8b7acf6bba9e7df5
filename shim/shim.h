/*
 * Internal interface of libsubmitify.so: the lazily initialised state shared
 * by the hooked calls.  Nothing here is exported (see libsubmitify.map).
 */
#ifndef SUBMITIFY_SHIM_H
#define SUBMITIFY_SHIM_H

#include <sys/socket.h>
#include <sys/types.h>

#include "decide.h"

/* The hooked calls: the only symbols the library exports. */
#define SHIM_EXPORT __attribute__((visibility("default")))

typedef int (*shim_connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*shim_sockname_fn)(int, struct sockaddr *, socklen_t *);

struct shim_state {
	shim_connect_fn connect;	/* libc's connect, or NULL: syscall */
	shim_sockname_fn getpeername;	/* libc's getpeername, or NULL */
	struct decide_ports ports;
	int secure;			/* AT_SECURE: ignore the environment */
	char helper[4096];		/* path of submitify-helper */
};

/*
 * Return the shared state, initialising it on first use (thread-safe, no
 * allocation).  Never fails: missing symbols fall back to system calls.
 */
const struct shim_state *shim_get(void);

/* Call the real connect()/getpeername(), never a hook. */
int shim_real_connect(int, const struct sockaddr *, socklen_t);
int shim_real_getpeername(int, struct sockaddr *, socklen_t *);

/*
 * Return fd 2 if it still is the stderr this process started with (same
 * device and inode as at load time), else -1.
 */
int shim_stderr_fd(void);

/*
 * The table of redirected sockets, for getpeername() and for a repeated
 * connect() on a socket already handed off.  Entries are recognised by the
 * socket's inode and the loopback peer it is connected to, so a closed and
 * reused fd number never inherits an entry.
 */
void peers_add(int fd, const struct sockaddr *dest, socklen_t destlen,
    const struct sockaddr *via, socklen_t vialen);

/*
 * If fd is a socket handed off earlier, copy the listener address it was
 * connected to into *via and return 0; else return -1.
 */
int peers_via(int fd, struct sockaddr_storage *via, socklen_t *vialen);

/*
 * If fd is a handed-off socket whose real peer is real (reallen bytes),
 * copy its original destination into *dest and return 0; else -1.
 */
int peers_dest(int fd, const struct sockaddr *real, socklen_t reallen,
    struct sockaddr_storage *dest, socklen_t *destlen);

/* Nonzero once any socket has been handed off. */
int peers_any(void);

#endif
