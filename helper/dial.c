/*
 * dial: RFC 8305 connection attempts, staggered, first to complete wins.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "dial.h"
#include "util.h"

int
dial_order(const struct addrinfo *list, const struct addrinfo **out, int max)
{
	const struct addrinfo *ai, *first[DIAL_MAX], *other[DIAL_MAX];
	int nf = 0, no = 0, i = 0, j = 0, n = 0;

	if (max > DIAL_MAX)
		max = DIAL_MAX;
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == list->ai_family) {
			if (nf < DIAL_MAX)
				first[nf++] = ai;
		} else if (no < DIAL_MAX)
			other[no++] = ai;
	}
	while (n < max && (i < nf || j < no)) {
		if (i < nf)
			out[n++] = first[i++];
		if (n < max && j < no)
			out[n++] = other[j++];
	}
	return (n);
}

/* Close every pending attempt but keep. */
static void
close_all(struct pollfd *p, int n, int keep)
{
	int i;

	for (i = 0; i < n; i++)
		if (p[i].fd != keep)
			(void)close(p[i].fd);
}

/*
 * Start the attempt to ai: 1 when it is under way (fd in *fd), 0 when it
 * completed at once, -1 when it failed (*err set).
 */
static int
start(const struct addrinfo *ai, const struct sockaddr *src,
    socklen_t srclen, int *fd, int *err)
{

	*fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (*fd < 0) {
		*err = errno;
		return (-1);
	}
	if (src != NULL && bind(*fd, src, srclen) != 0) {
		*err = errno;
		(void)close(*fd);
		return (-1);
	}
	/* The system call itself: with the shim preloaded machine-wide
	 * (/etc/ld.so.preload) it is in this process too, and must not take
	 * the helper's own connection (intercept_ports may name the
	 * submission port). */
	if (syscall(SYS_connect, *fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return (0);
	if (errno == EINPROGRESS)
		return (1);
	*err = errno;
	(void)close(*fd);
	return (-1);
}

int
dial(const struct addrinfo *list, const struct sockaddr *src,
    socklen_t srclen, long long deadline, int delay_ms, int *err)
{
	const struct addrinfo *order[DIAL_MAX];
	struct pollfd p[DIAL_MAX];
	long long now, next_at;
	socklen_t elen;
	int n, k, next = 0, np = 0, i, fd, e, wait;

	*err = ECONNREFUSED;
	n = dial_order(list, order, DIAL_MAX);
	if (src != NULL) {
		/* Only what the source address can reach. */
		for (i = k = 0; i < n; i++)
			if (order[i]->ai_family == src->sa_family)
				order[k++] = order[i];
		if ((n = k) == 0) {
			*err = EAFNOSUPPORT;
			return (-1);
		}
	}
	next_at = now_ms();
	for (;;) {
		now = now_ms();
		if (next < n && (np == 0 || now >= next_at)) {
			switch (start(order[next++], src, srclen, &fd, err)) {
			case 0:
				close_all(p, np, -1);
				return (fd);
			case 1:
				p[np].fd = fd;
				p[np++].events = POLLOUT;
				next_at = now + delay_ms;
				break;
			default:
				next_at = now;	/* the next one at once */
				break;
			}
			continue;
		}
		if (np == 0) {
			/* Every attempt failed. */
			return (-1);
		}
		if (now >= deadline) {
			close_all(p, np, -1);
			*err = ETIMEDOUT;
			return (-1);
		}
		wait = (int)((next < n && next_at < deadline ? next_at :
		    deadline) - now);
		if (poll(p, (nfds_t)np, wait < 0 ? 0 : wait) < 0 &&
		    errno != EINTR) {
			*err = errno;
			close_all(p, np, -1);
			return (-1);
		}
		for (i = 0; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			elen = sizeof(e);
			if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &e,
			    &elen) != 0)
				e = errno;
			if (e == 0) {
				fd = p[i].fd;
				close_all(p, np, fd);
				return (fd);
			}
			/* This one failed: drop it, and start the next now. */
			*err = e;
			(void)close(p[i].fd);
			p[i--] = p[--np];
			next_at = now;
		}
	}
}

int
dial_unix(const char *path, long long deadline, int *err)
{
	struct sockaddr_un sun;
	struct timeval tv;
	long long left;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*err = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((left = deadline - now_ms()) <= 0) {
		*err = ETIMEDOUT;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		*err = errno;
		return (-1);
	}
	/*
	 * A local connect either completes at once or waits for room in the
	 * listener's backlog; a blocking connect waits for that at most
	 * SO_SNDTIMEO, which is what is left of the budget.  (Non-blocking,
	 * a full backlog is EAGAIN, with nothing to poll for.)
	 */
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000 * 1000);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		goto fail;
	/* The system call itself, as for TCP (start()). */
	if (syscall(SYS_connect, fd, (struct sockaddr *)&sun,
	    (socklen_t)sizeof(sun)) != 0) {
		if (errno == EAGAIN || errno == EINPROGRESS)
			errno = ETIMEDOUT;
		goto fail;
	}
	/* From here on, as the TCP sockets: non-blocking, no send timeout. */
	memset(&tv, 0, sizeof(tv));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		goto fail;
	return (fd);
fail:
	*err = errno;
	(void)close(fd);
	return (-1);
}
