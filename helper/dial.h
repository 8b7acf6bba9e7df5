/*
 * dial: connect to a host that has more than one address, as RFC 8305
 * ("Happy Eyeballs") says.  The addresses are tried in getaddrinfo's order
 * with the families interleaved; the next attempt starts when the one
 * before fails or has not completed within a short delay, while the
 * earlier ones stay pending; the first that completes wins and the rest
 * are closed.  A path that silently drops packets (broken IPv6, a
 * firewall) costs the delay, not the whole budget.
 *
 * It knows addresses, sockets and a deadline; nothing of sessions.  A
 * local socket (submit.conf's socket) is dialled here too.
 */
#ifndef SUBMITIFY_DIAL_H
#define SUBMITIFY_DIAL_H

#include <netdb.h>

/* RFC 8305's recommended "Connection Attempt Delay". */
#define DIAL_DELAY_MS	250

/* The most addresses tried; a longer list is cut. */
#define DIAL_MAX	16

/*
 * Put up to max entries of list into out in the order to try them: the
 * first address's family first, then alternating families, each family in
 * list's order.  Returns how many.
 */
int dial_order(const struct addrinfo *list, const struct addrinfo **out,
    int max);

/*
 * Connect a new non-blocking, close-on-exec socket to one of list's
 * addresses before deadline (now_ms() time), starting the next attempt
 * after delay_ms.  With src (srclen bytes), every socket is bound to it
 * first and only addresses of its family are tried.  Returns the
 * connected socket, or -1 with *err set: the last attempt's errno,
 * EAFNOSUPPORT when no address is of src's family, or ETIMEDOUT when the
 * deadline passed first.
 */
int dial(const struct addrinfo *list, const struct sockaddr *src,
    socklen_t srclen, long long deadline, int delay_ms, int *err);

/*
 * Connect a new non-blocking, close-on-exec AF_UNIX stream socket to the
 * socket at path before deadline.  Returns it, or -1 with *err set (the
 * connect's errno; ETIMEDOUT when the listener's backlog stayed full until
 * the deadline; ENAMETOOLONG for a path sun_path cannot hold).
 */
int dial_unix(const char *path, long long deadline, int *err);

#endif
