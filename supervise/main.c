/*
 * submitify-supervise: answers the seccomp notifications of a program the
 * wrapper runs under its filter (connect() and getpeername() only), for
 * as long as any task uses the filter.  Started by the wrapper
 * (supervise.h); never a child of the program, holds none of its
 * descriptors and reads no configuration.  Options, wiring and exit
 * codes only.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "supervise.h"
#include "sup.h"

void
sup_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/*
 * Out of the program's way: a session of our own (no terminal signal
 * reaches us), /dev/null on 0-2 and nothing else but the wrapper's
 * socket, so that a pipe the program writes to sees its end when the
 * program ends.
 */
static int
detach(void)
{
	struct sigaction sa;
	sigset_t none;
	int nul;

	(void)setsid();
	if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return (-1);
	if (dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
		return (-1);
	if (nul > 2)
		(void)close(nul);
	if (syscall(SYS_close_range, SUP_CTL_FD + 1, ~0U, 0U) != 0)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	return (0);
}

/* Our pid to the wrapper, its filter's listener back: the fd, or -1. */
static int
receive_listener(void)
{
	pid_t self = getpid();
	int fd;

	if (send(SUP_CTL_FD, &self, sizeof(self), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(self))
		return (-1);
	if ((fd = sup_recv_fd(SUP_CTL_FD)) < 0 ||
	    send(SUP_CTL_FD, "1", 1, MSG_NOSIGNAL) != 1)
		return (-1);
	(void)close(SUP_CTL_FD);
	return (fd);
}

/*
 * Answer notifications until no task uses the filter (POLLHUP).  Every
 * notification received is answered, whatever fails on the way.
 */
static int
serve(const struct sup *s)
{
	struct seccomp_notif_sizes sizes;
	union sup_notif u;
	struct pollfd p;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0 ||
	    sizes.seccomp_notif > sizeof(u))
		return (-1);
	p.fd = s->nfd;
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (!(p.revents & POLLIN)) {
			if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
				return (0);
			continue;
		}
		memset(&u, 0, sizeof(u));
		if (ioctl(s->nfd, SECCOMP_IOCTL_NOTIF_RECV, &u.n) != 0)
			/* ENOENT: withdrawn before we took it. */
			continue;
		if (u.n.data.nr == SYS_connect)
			sup_connect(s, &u.n);
		else if (u.n.data.nr == SYS_getpeername)
			sup_getpeername(s, &u.n);
		else
			(void)notif_continue(s->nfd, u.n.id);
	}
}

int
main(int argc, char **argv)
{
	struct sup s;
	int type;
	socklen_t len = sizeof(type);

	if (argc != SA_END || getsockopt(SUP_CTL_FD, SOL_SOCKET, SO_TYPE,
	    &type, &len) != 0 || type != SOCK_SEQPACKET) {
		fprintf(stderr, "usage: submitify-supervise PORTS HELPER\n"
		    "(started by submitify with its socket as fd %d; not "
		    "meant to be run by hand)\n", SUP_CTL_FD);
		return (64);
	}
	memset(&s, 0, sizeof(s));
	if (decide_parse_ports(argv[SA_PORTS], &s.ports) != 0) {
		fprintf(stderr, "submitify-supervise: bad port list: %s\n",
		    argv[SA_PORTS]);
		return (64);
	}
	s.helper = argv[SA_HELPER];
	if (detach() != 0)
		return (71);
	openlog("submitify-supervise", LOG_PID, LOG_MAIL);
	if ((s.nfd = receive_listener()) < 0)
		return (71);
	return (serve(&s) == 0 ? 0 : 71);
}
