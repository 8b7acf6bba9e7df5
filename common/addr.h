/*
 * addr: how both sides of a handoff name a socket address.  Safe inside
 * the host program (common/: position-independent, no allocation, no
 * OpenSSL), so the shim and the helper share it.
 */
#ifndef SUBMITIFY_ADDR_H
#define SUBMITIFY_ADDR_H

#include <sys/socket.h>

#include <stddef.h>

/*
 * Render sa as "ADDR:PORT" (IPv6 as "[ADDR]:PORT"; v4-mapped addresses as
 * IPv4) into buf.  Returns 0, or -1 if the family is not AF_INET/AF_INET6
 * or buf is too small.
 */
int handoff_fmt_addr(const struct sockaddr *sa, char *buf, size_t len);

#endif
