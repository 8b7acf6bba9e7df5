/*
 * socks: a SOCKS5 CONNECT by host name, no authentication (RFC 1928).
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "socks.h"
#include "util.h"

/* Wait for ev on fd until deadline: 0, or -1 (*timed_out set on time). */
static int
wait_for(int fd, short ev, long long deadline, int *timed_out)
{
	struct pollfd p = { fd, ev, 0 };
	long long left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			*timed_out = 1;
			return (-1);
		}
		r = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (r > 0)
			return (0);
		if (r < 0 && errno != EINTR)
			return (-1);
	}
}

/* Send all n bytes of buf. */
static int
put(int fd, const unsigned char *buf, size_t n, long long deadline,
    int *timed_out)
{
	ssize_t k;

	while (n > 0) {
		k = send(fd, buf, n, MSG_NOSIGNAL);
		if (k > 0) {
			buf += k;
			n -= (size_t)k;
		} else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLOUT, deadline, timed_out) != 0)
				return (-1);
		} else
			return (-1);
	}
	return (0);
}

/* Read exactly n bytes into buf (the proxy's answer, never more). */
static int
get(int fd, unsigned char *buf, size_t n, long long deadline, int *timed_out)
{
	ssize_t k;

	while (n > 0) {
		k = recv(fd, buf, n, 0);
		if (k > 0) {
			buf += k;
			n -= (size_t)k;
		} else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLIN, deadline, timed_out) != 0)
				return (-1);
		} else {
			if (k == 0)
				errno = 0;	/* closed */
			return (-1);
		}
	}
	return (0);
}

/* RFC 1928's reply codes, in words. */
static const char *
rep_text(int rep)
{
	static const char *const text[] = {
		"succeeded", "general SOCKS server failure",
		"connection not allowed by ruleset", "network unreachable",
		"host unreachable", "connection refused", "TTL expired",
		"command not supported", "address type not supported"
	};

	return (rep >= 0 && rep < (int)(sizeof(text) / sizeof(text[0])) ?
	    text[rep] : "an unknown reply code");
}

int
socks5_connect(int fd, const char *host, int port, long long deadline,
    int *timed_out, char *err, size_t errlen)
{
	unsigned char req[4 + 1 + 255 + 2], ans[4 + 255 + 2];
	size_t hlen = strlen(host), skip;

	*timed_out = 0;
	if (hlen == 0 || hlen > 255 || port <= 0 || port > 65535) {
		(void)snprintf(err, errlen, "cannot ask a SOCKS5 proxy for "
		    "this host name");
		return (-1);
	}
	/* Version 5, one method: no authentication. */
	memcpy(req, "\x05\x01\x00", 3);
	if (put(fd, req, 3, deadline, timed_out) != 0 ||
	    get(fd, ans, 2, deadline, timed_out) != 0)
		goto io;
	if (ans[0] != 5 || ans[1] != 0) {
		(void)snprintf(err, errlen, "the SOCKS5 proxy wants %s",
		    ans[0] != 5 ? "another protocol version" :
		    "authentication, which submitify does not do");
		return (-1);
	}
	/* CONNECT to a domain name (type 3), the proxy resolves it. */
	req[0] = 5;
	req[1] = 1;
	req[2] = 0;
	req[3] = 3;
	req[4] = (unsigned char)hlen;
	memcpy(req + 5, host, hlen);
	req[5 + hlen] = (unsigned char)(port >> 8);
	req[6 + hlen] = (unsigned char)port;
	if (put(fd, req, 7 + hlen, deadline, timed_out) != 0 ||
	    get(fd, ans, 4, deadline, timed_out) != 0)
		goto io;
	if (ans[0] != 5) {
		(void)snprintf(err, errlen, "the SOCKS5 proxy answered "
		    "CONNECT with junk");
		return (-1);
	}
	if (ans[1] != 0) {
		(void)snprintf(err, errlen, "the SOCKS5 proxy could not "
		    "connect to %s:%d: %s", host, port, rep_text(ans[1]));
		return (-1);
	}
	/* The bound address, read and dropped: nothing more may be taken,
	 * since what follows is the server's. */
	switch (ans[3]) {
	case 1: skip = 4 + 2; break;
	case 4: skip = 16 + 2; break;
	case 3:
		if (get(fd, ans, 1, deadline, timed_out) != 0)
			goto io;
		skip = (size_t)ans[0] + 2;
		break;
	default:
		(void)snprintf(err, errlen, "the SOCKS5 proxy answered "
		    "CONNECT with junk");
		return (-1);
	}
	if (get(fd, ans, skip, deadline, timed_out) != 0)
		goto io;
	return (0);
io:
	if (*timed_out)
		(void)snprintf(err, errlen, "no answer from the SOCKS5 proxy "
		    "in time");
	else
		(void)snprintf(err, errlen, "the SOCKS5 proxy closed the "
		    "connection or failed: %s", errno != 0 ? strerror(errno) :
		    "end of stream");
	return (-1);
}
