/*
 * socks: a SOCKS5 CONNECT by host name, no authentication (RFC 1928).
 */
#include <stdio.h>
#include <string.h>

#include "socks.h"

/* Send all n bytes of buf: 0, or an UPSTREAM_* failure. */
static int
put(struct upstream *u, const unsigned char *buf, size_t n,
    long long deadline)
{
	size_t sent;

	return (upstream_write_all(u, buf, n, deadline, &sent));
}

/* Read exactly n bytes into buf (the proxy's answer, never more): 0, or
 * an UPSTREAM_* failure (UPSTREAM_ERR with u->err set for an early end). */
static int
get(struct upstream *u, unsigned char *buf, size_t n, long long deadline)
{
	long k;

	while (n > 0) {
		if ((k = upstream_read_some(u, buf, n, deadline)) <= 0) {
			if (k == 0)
				(void)snprintf(u->err, sizeof(u->err),
				    "end of stream");
			return (k == 0 ? UPSTREAM_ERR : (int)k);
		}
		buf += k;
		n -= (size_t)k;
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
socks5_connect(struct upstream *u, const char *host, int port,
    long long deadline, int *timed_out, char *err, size_t errlen)
{
	unsigned char req[4 + 1 + 255 + 2], ans[4 + 255 + 2];
	size_t hlen = strlen(host), skip;
	int r;

	*timed_out = 0;
	if (hlen == 0 || hlen > 255 || port <= 0 || port > 65535) {
		(void)snprintf(err, errlen, "cannot ask a SOCKS5 proxy for "
		    "this host name");
		return (-1);
	}
	/* Version 5, one method: no authentication. */
	memcpy(req, "\x05\x01\x00", 3);
	if ((r = put(u, req, 3, deadline)) != 0 ||
	    (r = get(u, ans, 2, deadline)) != 0)
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
	if ((r = put(u, req, 7 + hlen, deadline)) != 0 ||
	    (r = get(u, ans, 4, deadline)) != 0)
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
		if ((r = get(u, ans, 1, deadline)) != 0)
			goto io;
		skip = (size_t)ans[0] + 2;
		break;
	default:
		(void)snprintf(err, errlen, "the SOCKS5 proxy answered "
		    "CONNECT with junk");
		return (-1);
	}
	if ((r = get(u, ans, skip, deadline)) != 0)
		goto io;
	return (0);
io:
	*timed_out = r == UPSTREAM_TIMEOUT;
	if (*timed_out)
		(void)snprintf(err, errlen, "no answer from the SOCKS5 proxy "
		    "in time");
	else
		(void)snprintf(err, errlen, "the SOCKS5 proxy closed the "
		    "connection or failed: %s", u->err);
	return (-1);
}
