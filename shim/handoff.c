#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "contract.h"
#include "handoff.h"

#define STACK_SIZE	(64 * 1024)

/* What the two short-lived clones need; they share our memory. */
struct spawn {
	const char *path;
	char **argv;
	char **envp;
	int listenfd;
	int errfd;
	char *stack2;		/* top of the grandchild's stack */
	int err;		/* errno of a failed clone or exec */
};

/* Close every descriptor from lo up. */
static void __attribute__((no_sanitize_address))
close_from(int lo)
{
	struct rlimit rl;
	long fd, max;

	if (syscall(SYS_close_range, (unsigned)lo, ~0U, 0U) == 0)
		return;
	max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)max)
		max = (long)rl.rlim_cur;
	for (fd = lo; fd < max; fd++)
		(void)close((int)fd);
}

/*
 * The clones run on stacks of their own that a sanitizer runtime does not
 * know about: keep its instrumentation out of them.
 */
#define CLONE_FN __attribute__((no_sanitize_address))

/*
 * The helper, before exec: runs on its own stack in our memory (CLONE_VM),
 * so it only makes system calls and writes nothing but s->err.
 */
CLONE_FN static int
grandchild(void *arg)
{
	struct spawn *s = arg;
	struct sigaction sa;
	sigset_t none;
	int sig, l, e, nul;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	(void)setsid();

	l = fcntl(s->listenfd, F_DUPFD, 10);
	e = s->errfd >= 0 ? fcntl(s->errfd, F_DUPFD, 10) : -1;
	nul = open("/dev/null", O_RDWR);
	if (l < 0 || nul < 0)
		goto fail;
	if (dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
	    dup2(e >= 0 ? e : nul, 2) < 0 || dup2(l, HELPER_LISTEN_FD) < 0)
		goto fail;
	close_from(HELPER_LISTEN_FD + 1);

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(s->path, s->argv, s->envp);
fail:
	s->err = errno != 0 ? errno : EIO;
	_exit(127);
}

/*
 * A clone that delivers no signal when it exits, so the host's wait(),
 * waitpid(-1) and SIGCHLD never see it.  It starts the helper and exits at
 * once; the helper is then nobody's child here.
 */
CLONE_FN static int
intermediate(void *arg)
{
	struct spawn *s = arg;

	if (clone(grandchild, s->stack2, CLONE_VM | CLONE_VFORK | SIGCHLD,
	    s) == -1)
		s->err = errno;
	_exit(0);
}

static int
spawn_helper(struct spawn *s, char *stack1)
{
	sigset_t all, old;
	pid_t pid;
	int r = 0;

	/* No host signal handler may run on the clones' stacks. */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(intermediate, stack1, CLONE_VM | CLONE_VFORK, s);
	if (pid == -1)
		r = errno;
	else
		while (waitpid(pid, NULL, __WCLONE) == -1 && errno == EINTR)
			;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		r = s->err;
	if (r != 0) {
		errno = r;
		return (-1);
	}
	return (0);
}

static in_port_t
port_of(const struct sockaddr_storage *ss)
{

	if (ss->ss_family == AF_INET)
		return (((const struct sockaddr_in *)(const void *)ss)->sin_port);
	return (((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

/*
 * Bind fd to a loopback address of its family, port 0, unless it is bound
 * already; leave its local address in *local.  While the shim binds it,
 * SO_REUSEADDR and SO_REUSEPORT are off, whatever the program set: with
 * either on, another user could bind the same address and port and reach
 * the listener from it.  link->reuse keeps the program's values, and
 * handoff_close() puts them back once the socket is connected.
 */
static int
bind_loopback(int fd, struct sockaddr_storage *local, socklen_t *llen,
    struct handoff_link *link)
{
	static const int opts[2] = { SO_REUSEADDR, SO_REUSEPORT };
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	socklen_t olen;
	int i, off = 0;

	*llen = sizeof(*local);
	if (getsockname(fd, (struct sockaddr *)local, llen) != 0)
		return (-1);
	if (port_of(local) != 0)
		return (0);
	for (i = 0; i < 2; i++) {
		olen = sizeof(link->reuse[i]);
		if (getsockopt(fd, SOL_SOCKET, opts[i], &link->reuse[i],
		    &olen) != 0)
			link->reuse[i] = 0;
		if (link->reuse[i] != 0) {
			if (setsockopt(fd, SOL_SOCKET, opts[i], &off,
			    sizeof(off)) != 0)
				return (-1);
			link->restore = 1;
		}
	}
	if (local->ss_family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			return (-1);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_loopback;
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) != 0) {
			/* No ::1 here: try the v4-mapped loopback. */
			if (errno != EADDRNOTAVAIL)
				return (-1);
			memset(&sin6.sin6_addr, 0, sizeof(sin6.sin6_addr));
			sin6.sin6_addr.s6_addr[10] = 0xff;
			sin6.sin6_addr.s6_addr[11] = 0xff;
			sin6.sin6_addr.s6_addr[12] = 127;
			sin6.sin6_addr.s6_addr[15] = 1;
			if (bind(fd, (struct sockaddr *)&sin6,
			    sizeof(sin6)) != 0)
				return (-1);
		}
	}
	*llen = sizeof(*local);
	return (getsockname(fd, (struct sockaddr *)local, llen));
}

/*
 * Open the one-shot listener on loopback, reachable from fd's address, and
 * fill link->via with the address fd must connect to.  The backlog is the
 * largest the kernel allows: others who flood the listener before the
 * program's connection is queued must fill all of it to delay that.
 */
static int
open_listener(const struct sockaddr_storage *local, struct handoff_link *link)
{
	const struct sockaddr_in6 *l6 = (const void *)local;
	struct sockaddr_in *sin = (void *)&link->via;
	struct sockaddr_in6 *sin6 = (void *)&link->via;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int v4, lfd, saved;

	/* A v4-mapped or IPv4 local address talks to an IPv4 listener. */
	v4 = local->ss_family == AF_INET ||
	    IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr);
	memset(&link->via, 0, sizeof(link->via));
	if (v4) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		link->vialen = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		link->vialen = sizeof(*sin6);
	}
	lfd = socket(link->via.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return (-1);
	if (bind(lfd, (struct sockaddr *)&link->via, link->vialen) != 0 ||
	    listen(lfd, SOMAXCONN) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&bound, &blen) != 0)
		goto fail;
	if (v4) {
		sin->sin_port = ((struct sockaddr_in *)(void *)&bound)->sin_port;
		if (local->ss_family == AF_INET6) {
			/* An AF_INET6 socket reaches it as ::ffff:127.0.0.1. */
			memset(sin6, 0, sizeof(*sin6));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port =
			    ((struct sockaddr_in *)(void *)&bound)->sin_port;
			sin6->sin6_addr.s6_addr[10] = 0xff;
			sin6->sin6_addr.s6_addr[11] = 0xff;
			sin6->sin6_addr.s6_addr[12] = 127;
			sin6->sin6_addr.s6_addr[15] = 1;
			link->vialen = sizeof(*sin6);
		}
	} else
		sin6->sin6_port =
		    ((struct sockaddr_in6 *)(void *)&bound)->sin6_port;
	return (lfd);
fail:
	saved = errno;
	(void)close(lfd);
	errno = saved;
	return (-1);
}

int
handoff_open(int fd, const struct sockaddr *dest, socklen_t destlen,
    struct handoff_link *link)
{
	struct sockaddr_storage local;
	socklen_t llen, clen;
	int saved;

	(void)destlen;
	memset(link, 0, sizeof(*link));
	link->lfd = -1;
	if (bind_loopback(fd, &local, &llen, link) != 0)
		goto fail;
	/* An address we cannot name, or a non-local one the listener cannot
	 * tell apart: refuse rather than serve a stranger. */
	if (handoff_fmt_addr((struct sockaddr *)&local, link->peer,
	    sizeof(link->peer)) ||
	    handoff_fmt_addr(dest, link->dest, sizeof(link->dest))) {
		errno = EAFNOSUPPORT;
		goto fail;
	}
	/*
	 * The socket's own identity, which no other socket shares: all 64
	 * bits of it, whatever the word size.  A shorter answer (an emulator
	 * that passes every option through an int) would name another socket.
	 */
	clen = sizeof(link->cookie);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &link->cookie, &clen) != 0)
		goto fail;
	if (clen != sizeof(link->cookie)) {
		errno = EPROTO;
		goto fail;
	}
	if ((link->lfd = open_listener(&local, link)) < 0)
		goto fail;
	return (0);
fail:
	saved = errno;
	handoff_close(fd, link);
	errno = saved;
	return (-1);
}

int
handoff_spawn(const struct handoff_req *req, struct handoff_link *link)
{
	struct spawn s;
	char pid[HELPER_NUM_MAX], cookie[HELPER_NUM_MAX], prog[HELPER_PROG_MAX];
	char *argv[HA_SLOTS];
	char *map, **envp;
	size_t nenv, i, j, maplen;
	int saved;

	(void)snprintf(pid, sizeof(pid), "%ld", req->pid);
	(void)snprintf(cookie, sizeof(cookie), "%llu",
	    (unsigned long long)link->cookie);
	(void)snprintf(prog, sizeof(prog), "%s",
	    req->prog != NULL ? req->prog : "?");

	if (handoff_warm(req, link, cookie, pid) == 0) {
		(void)close(link->lfd);
		link->lfd = -1;
		return (0);
	}
	nenv = 0;
	if (req->environ != NULL)
		while (req->environ[nenv] != NULL)
			nenv++;
	maplen = 2 * STACK_SIZE + (nenv + 1) * sizeof(char *);
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return (-1);
	envp = (char **)(void *)(map + 2 * STACK_SIZE);
	for (i = j = 0; i < nenv; i++)
		if (handoff_env_keep(req->environ[i], req->secure))
			envp[j++] = req->environ[i];
	envp[j] = NULL;

	/* Every slot by its index (common/contract.h): nothing is counted. */
	argv[HA_NAME] = (char *)"submitify-helper";
	argv[HA_PEER_OPT] = (char *)HELPER_OPT_PEER;
	argv[HA_PEER] = link->peer;
	argv[HA_DEST_OPT] = (char *)HELPER_OPT_DEST;
	argv[HA_DEST] = link->dest;
	argv[HA_COOKIE_OPT] = (char *)HELPER_OPT_COOKIE;
	argv[HA_COOKIE] = cookie;
	argv[HA_PROG_OPT] = (char *)HELPER_OPT_PROG;
	argv[HA_PROG] = prog;
	argv[HA_PID_OPT] = (char *)HELPER_OPT_PID;
	argv[HA_PID] = pid;
	argv[HA_WARM_OPT] = (char *)HELPER_OPT_WARM;
	argv[HA_WARM] = link->warm;
	argv[HA_SECURE] = req->secure ? (char *)HELPER_OPT_SECURE : NULL;
	argv[HA_END] = NULL;

	memset(&s, 0, sizeof(s));
	s.path = req->helper;
	s.argv = argv;
	s.envp = envp;
	s.listenfd = link->lfd;
	s.errfd = req->errfd;
	s.stack2 = map + 2 * STACK_SIZE;
	if (spawn_helper(&s, map + STACK_SIZE) != 0) {
		saved = errno;
		(void)munmap(map, maplen);
		errno = saved;
		return (-1);
	}
	(void)munmap(map, maplen);
	/* The helper holds its own copy of the listener. */
	(void)close(link->lfd);
	link->lfd = -1;
	return (0);
}

int
handoff_env_keep(const char *e, int secure)
{

	/*
	 * The helper must not load this library again; and when the host runs
	 * with AT_SECURE, none of submitify's settings from the environment of
	 * whoever started it may reach a helper with the host's privileges.
	 */
	if (strncmp(e, "LD_PRELOAD=", 11) == 0)
		return (0);
	return (!(secure && strncmp(e, "SUBMITIFY_", 10) == 0));
}

void
handoff_close(int fd, struct handoff_link *link)
{
	static const int opts[2] = { SO_REUSEADDR, SO_REUSEPORT };
	int i, saved = errno;

	if (link->lfd >= 0)
		(void)close(link->lfd);
	link->lfd = -1;
	for (i = 0; i < 2 && link->restore; i++)
		if (link->reuse[i] != 0)
			(void)setsockopt(fd, SOL_SOCKET, opts[i],
			    &link->reuse[i], sizeof(link->reuse[i]));
	link->restore = 0;
	errno = saved;
}
