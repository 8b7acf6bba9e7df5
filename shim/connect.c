/*
 * connect(): take TCP connections to an intercepted port and hand them to
 * the helper; pass everything else to libc untouched, errno included.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <unistd.h>

#include "handoff.h"
#include "shim.h"

extern char **environ;
extern char *program_invocation_short_name;

SHIM_EXPORT int connect(int, const struct sockaddr *, socklen_t);

SHIM_EXPORT int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct shim_state *st = shim_get();
	struct handoff_req req;
	struct handoff_link link;
	struct sockaddr_storage via;
	socklen_t vialen, olen;
	int saved = errno, type, proto, r;

	if (!decide_addr(sa, len, &st->ports))
		return (shim_real_connect(fd, sa, len));
	olen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) != 0)
		goto pass;
	olen = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &olen) != 0)
		proto = 0;
	if (decide_refuse(type, proto)) {
		/* Not TCP, yet a stream to port 25: as a local firewall
		 * rule would, refuse it rather than let it by. */
		errno = EPERM;
		return (-1);
	}
	if (!decide_socket(type, proto))
		goto pass;

	/* A repeated connect() on a socket already handed off (polling for
	 * completion, EALREADY, EISCONN): ask the kernel about the real one. */
	if (peers_via(fd, &via, &vialen) == 0) {
		errno = saved;
		return (shim_real_connect(fd, (struct sockaddr *)&via, vialen));
	}

	if (handoff_open(fd, sa, len, &link) != 0) {
		/* connect() may fail this way; the host retries later. */
		if (errno != EINTR && errno != EADDRINUSE &&
		    errno != EADDRNOTAVAIL && errno != EAFNOSUPPORT &&
		    errno != EAGAIN && errno != EINVAL)
			errno = ECONNREFUSED;
		return (-1);
	}
	/*
	 * The program's connection is queued at the listener before the
	 * helper exists: the listener's port is visible to others only for
	 * the moment between listen() and this connect().
	 */
	errno = saved;
	r = shim_real_connect(fd, (struct sockaddr *)&link.via, link.vialen);
	saved = errno;
	if (r == 0 || saved == EINPROGRESS || saved == EINTR) {
		req.helper = st->helper;
		req.prog = program_invocation_short_name;
		req.pid = (long)getpid();
		req.errfd = shim_stderr_fd();
		req.environ = environ;
		req.secure = st->secure;
		if (handoff_spawn(&req, &link) != 0) {
			/* Closing the listener resets the queued connection. */
			r = -1;
			saved = ECONNREFUSED;
		} else
			peers_add(fd, sa, len, (struct sockaddr *)&link.via,
			    link.vialen);
	}
	handoff_close(fd, &link);
	errno = saved;
	return (r);
pass:
	errno = saved;
	return (shim_real_connect(fd, sa, len));
}
