/*
 * decide: the pure "take this connect()?" decision.  No I/O, no errno, no
 * global state: unit tests call these directly.
 */
#ifndef SUBMITIFY_DECIDE_H
#define SUBMITIFY_DECIDE_H

#include <sys/socket.h>
#include <stdint.h>

#define DECIDE_MAXPORTS 16

/* The destination ports to intercept. */
struct decide_ports {
	unsigned n;
	uint16_t port[DECIDE_MAXPORTS];
};

/*
 * Parse a comma-separated port list such as "25,2525" into *p.  Returns 0,
 * or -1 (and *p untouched) if s is empty, malformed, holds a port outside
 * 1..65535 or more than DECIDE_MAXPORTS entries.
 */
int decide_parse_ports(const char *s, struct decide_ports *p);

/* Fill *p with the default list: port 25 only. */
void decide_default_ports(struct decide_ports *p);

/*
 * Return 1 if the destination sa (len bytes) is an AF_INET or AF_INET6
 * address (v4-mapped included) whose port is in p, else 0.  Reads at most
 * len bytes of sa; a short or NULL address is 0.
 */
int decide_addr(const struct sockaddr *sa, socklen_t len,
    const struct decide_ports *p);

/* Return 1 if a socket of this SO_TYPE and SO_PROTOCOL is TCP, else 0. */
int decide_socket(int sotype, int protocol);

/*
 * Return 1 if it is a stream socket of another protocol (MPTCP, SCTP):
 * one that could carry SMTP to an intercepted port without submitify (an
 * MPTCP connect falls back to plain TCP against an ordinary server), so
 * its connect() there is refused, never let through.
 */
int decide_refuse(int sotype, int protocol);

/* Both checks at once: what connect() does, for the unit tests. */
int decide_take(const struct sockaddr *sa, socklen_t len, int sotype,
    int protocol, const struct decide_ports *p);

#endif
