/*
 * socks: the client side of a SOCKS5 CONNECT (RFC 1928), without
 * authentication, as msmtp's proxy_host/proxy_port do it: the host name
 * goes to the proxy, which resolves it.
 *
 * It speaks through the upstream transport (before TLS: plain TCP) with
 * a deadline; it knows nothing of sessions.
 */
#ifndef SUBMITIFY_SOCKS_H
#define SUBMITIFY_SOCKS_H

#include <stddef.h>

#include "upstream.h"

/*
 * Over u, connected to the proxy (no TLS yet), ask it to connect
 * to host:port, all before deadline (now_ms() time).  Returns 0 when the
 * proxy says it is connected (u then carries the connection), or -1 with
 * the reason in err: the proxy's refusal in words, a broken answer, or no
 * answer before the deadline (*timed_out set).
 */
int socks5_connect(struct upstream *u, const char *host, int port,
    long long deadline, int *timed_out, char *err, size_t errlen);

#endif
