/*
 * peerid: which socket is at the other end of a local TCP connection.
 * The handoff listener serves only the program's own socket; an address
 * can be shared (SO_REUSEADDR, a wildcard bind), a socket's cookie cannot.
 */
#ifndef SUBMITIFY_PEERID_H
#define SUBMITIFY_PEERID_H

#include <stdint.h>

/*
 * Look up, through the kernel's sock_diag interface, the socket at the
 * other end of fd (an accepted TCP connection whose peer is on this host,
 * in this network namespace) and store its SO_COOKIE in *cookie.  Returns
 * 0, or -1 with errno set (ENOENT: no such socket here).
 */
int peerid_cookie(int fd, uint64_t *cookie);

#endif
