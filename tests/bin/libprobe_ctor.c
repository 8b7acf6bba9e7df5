/*
 * libprobe_ctor.so: another preloaded library whose constructor calls
 * connect() to port 25, as some plug-ins and logging libraries do at load
 * time.  Preloaded after libsubmitify.so, its constructor runs before the
 * shim's own (the dynamic linker initialises later preloads first) and
 * before main().
 *
 *   PROBE_CTOR_DEST=ADDR   an IPv4 or IPv6 literal; the constructor connects
 *                          a blocking TCP socket to ADDR port 25
 *
 * Only in a program named "probe", so that a wrapper or shell that inherits
 * LD_PRELOAD does nothing.  The outcome is left in probe_ctor_result for
 * `probe ctor` to check and to use the socket.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct probe_ctor_result {
	int ran;	/* the constructor called connect() */
	int fd;		/* the socket */
	int ret;	/* what connect() returned */
	int err;	/* and errno after it */
};

extern struct probe_ctor_result probe_ctor_result;
struct probe_ctor_result probe_ctor_result = { 0, -1, -1, 0 };

__attribute__((constructor)) static void
probe_ctor(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;
	struct timeval tv;
	socklen_t len;
	const char *dest = getenv("PROBE_CTOR_DEST");
	int fd, saved = errno;

	if (dest == NULL ||
	    strcmp(program_invocation_short_name, "probe") != 0)
		return;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, dest, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(25);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, dest, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(25);
		len = sizeof(*sin6);
	} else
		return;
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0)
		return;
	/* Should the shim not take it, do not hang on a TEST-NET address. */
	tv.tv_sec = 15;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	probe_ctor_result.fd = fd;
	probe_ctor_result.ret = connect(fd, (struct sockaddr *)&ss, len);
	probe_ctor_result.err = probe_ctor_result.ret != 0 ? errno : 0;
	probe_ctor_result.ran = 1;
	errno = saved;
}
