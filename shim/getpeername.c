/*
 * getpeername(): a handed-off socket reports the destination the host
 * asked for, not the loopback listener it really talks to.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "shim.h"

SHIM_EXPORT int getpeername(int, struct sockaddr *, socklen_t *);

SHIM_EXPORT int
getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct sockaddr_storage real, dest;
	socklen_t reallen = sizeof(real), destlen, room;
	int r, saved;

	(void)shim_get();
	/* The caller's buffer size: the call below replaces *len. */
	room = len != NULL ? *len : 0;
	r = shim_real_getpeername(fd, sa, len);
	if (r != 0 || !peers_any())
		return (r);
	saved = errno;
	if (shim_real_getpeername(fd, (struct sockaddr *)&real,
	    &reallen) == 0 &&
	    peers_dest(fd, (struct sockaddr *)&real, reallen, &dest,
	    &destlen) == 0) {
		/* As the kernel does: copy what fits, report the full size. */
		memcpy(sa, &dest, destlen < room ? destlen : room);
		*len = destlen;
	}
	errno = saved;
	return (r);
}
