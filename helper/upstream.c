#define _GNU_SOURCE
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"
#include "upstream.h"
#include "util.h"
#include "weaken.h"

/* A failed call's reason, kept for the caller: TLS's own, or errno's. */
static long
failed(struct upstream *u)
{

	(void)snprintf(u->err, sizeof(u->err), "%s", u->tls != NULL ?
	    tlsc_error(u->tls) : strerror(errno));
	return (UPSTREAM_ERR);
}

/* A TLS answer in this module's terms. */
static long
from_tls(struct upstream *u, long k)
{

	if (k == TLSC_WANT_READ)
		return (UPSTREAM_WANT_READ);
	if (k == TLSC_WANT_WRITE)
		return (UPSTREAM_WANT_WRITE);
	if (k < 0)
		return (failed(u));
	return (k);
}

long
upstream_read(struct upstream *u, void *buf, size_t n)
{
	ssize_t k;

	if (u->tls != NULL)
		return (from_tls(u, tlsc_read(u->tls, buf, n)));
	k = recv(u->fd, buf, n, 0);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return (UPSTREAM_WANT_READ);
	if (k < 0)
		return (failed(u));
	return ((long)k);
}

long
upstream_write(struct upstream *u, const void *buf, size_t n)
{
	ssize_t k;

	/* Nothing written and nothing to wait for is a failure, on TLS (a
	 * session the server closed) as on TCP. */
	if (u->tls != NULL) {
		k = tlsc_write(u->tls, buf, n);
		return (k == 0 ? failed(u) : from_tls(u, k));
	}
	k = send(u->fd, buf, n, MSG_NOSIGNAL);
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return (UPSTREAM_WANT_WRITE);
	if (k <= 0)
		return (failed(u));
	return ((long)k);
}

int
upstream_pending(const struct upstream *u)
{

	return (u->tls != NULL ? tlsc_pending(u->tls) : 0);
}

/* Milliseconds until deadline, for poll(). */
static int
remaining(long long deadline)
{
	long long left = deadline - now_ms();

	return (left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left);
}

int
upstream_wait(struct upstream *u, short events, long long deadline)
{
	struct pollfd p;
	int r;

	p.fd = u->fd;
	p.events = events;
	for (;;) {
		r = poll(&p, 1, WEAKEN_NO_TIMEOUT ? -1 : remaining(deadline));
		if (r > 0)
			return (0);
		if (r == 0)
			return (UPSTREAM_TIMEOUT);
		if (errno != EINTR) {
			(void)snprintf(u->err, sizeof(u->err), "poll: %s",
			    strerror(errno));
			return (UPSTREAM_WAIT_ERR);
		}
	}
}

/* Wait for what a call that moved nothing asked for. */
static int
wait_want(struct upstream *u, long want, long long deadline)
{

	return (upstream_wait(u, want == UPSTREAM_WANT_READ ? POLLIN : POLLOUT,
	    deadline));
}

long
upstream_read_some(struct upstream *u, void *buf, size_t n,
    long long deadline)
{
	long k;
	int w;

	while ((k = upstream_read(u, buf, n)) == UPSTREAM_WANT_READ ||
	    k == UPSTREAM_WANT_WRITE)
		if ((w = wait_want(u, k, deadline)) != 0)
			return (w);
	return (k);
}

int
upstream_write_all(struct upstream *u, const void *vbuf, size_t n,
    long long deadline, size_t *sent)
{
	const char *buf = vbuf;
	long k;
	int w;

	*sent = 0;
	while (*sent < n) {
		k = upstream_write(u, buf + *sent, n - *sent);
		if (k > 0)
			*sent += (size_t)k;
		else if (k != UPSTREAM_WANT_READ && k != UPSTREAM_WANT_WRITE)
			return ((int)k);
		else if ((w = wait_want(u, k, deadline)) != 0)
			return (w);
	}
	return (0);
}

void
upstream_close(struct upstream *u, int clean)
{

	if (u->tls != NULL && clean)
		tlsc_close(u->tls);
	if (u->fd >= 0) {
		(void)close(u->fd);
		u->fd = -1;
	}
}

void
upstream_free(struct upstream *u)
{

	tlsc_free(u->tls);
	u->tls = NULL;
}
