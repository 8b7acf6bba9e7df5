/*
 * warmc: hand a connection to the uid's warm helper, when there is one
 * that is provably this uid's.  Any doubt, and the caller starts a cold
 * helper instead: nothing here is needed for mail to flow.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "contract.h"
#include "handoff.h"
#include "warm.h"

/* Milliseconds on the monotonic clock. */
static long long
mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Append s and its NUL at *off; -1 when it does not fit. */
static int
put(char *buf, size_t *off, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > WARM_MSG_MAX - *off)
		return (-1);
	memcpy(buf + *off, s, n);
	*off += n;
	return (0);
}

/*
 * The request: header, the five handoff strings, then the environment the
 * cold helper would get (shim/handoff.c: handoff_env_keep()).
 */
static size_t
build(char *buf, const struct handoff_req *req,
    const struct handoff_link *link, const char *cookie, const char *pid)
{
	struct warm_hdr h;
	size_t off = sizeof(h);
	char *const *e;
	uint32_t n = 5;

	if (put(buf, &off, link->peer) || put(buf, &off, link->dest) ||
	    put(buf, &off, cookie) ||
	    put(buf, &off, req->prog != NULL ? req->prog : "?") ||
	    put(buf, &off, pid))
		return (0);
	for (e = req->environ; e != NULL && *e != NULL; e++) {
		if (!handoff_env_keep(*e, req->secure))
			continue;
		if (put(buf, &off, *e) != 0)
			return (0);
		n++;
	}
	h.magic = WARM_MAGIC;
	h.version = WARM_VERSION;
	h.kind = WARM_SESSION;
	h.nstr = n;
	memcpy(buf, &h, sizeof(h));
	return (off);
}

/* Wait for the answer: 0 if the warm helper took the connection. */
static int
await(int s)
{
	struct warm_reply r;
	struct pollfd p;
	long long until = mono_ms() + WARM_REPLY_MS;
	ssize_t n;
	int left;

	p.fd = s;
	p.events = POLLIN;
	for (;;) {
		left = (int)(until - mono_ms());
		if (left <= 0)
			return (-1);
		if (poll(&p, 1, left) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		n = recv(s, &r, sizeof(r), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	if (n != (ssize_t)sizeof(r) || r.magic != WARM_MAGIC ||
	    r.version != WARM_VERSION || r.status != 0)
		return (-1);
	return (0);
}

int
handoff_warm(const struct handoff_req *req, struct handoff_link *link,
    const char *cookie, const char *pid)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(WARM_MAXFD * sizeof(int))];
	} ctl;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *c;
	const char *v;
	struct warm_place here;
	char dir[WARM_PATH_MAX], *buf;
	long peer;
	int fds[WARM_MAXFD], nfd, s = -1, rc = -1, saved = errno;
	size_t len;

	link->warm[0] = '\0';
	if (req->secure || ((v = warm_getenv(req->environ,
	    "SUBMITIFY_WARM")) != NULL && strcmp(v, "0") == 0))
		return (-1);
	/* Where we run, read once: for the socket's name and the peer's. */
	if (warm_here(&here) != 0 || warm_dir(dir, sizeof(dir),
	    warm_getenv(req->environ, "XDG_RUNTIME_DIR"), getuid()) != 0 ||
	    warm_sock_path(link->warm, sizeof(link->warm), dir, req->helper,
	    &here) != 0) {
		link->warm[0] = '\0';
		return (-1);
	}
	/*
	 * A directory that is there must be ours and private; one that is
	 * not there the helper makes.  Anything else: cold, and no warm
	 * helper is started where someone else could have a say.
	 */
	if (warm_dir_ok(dir, getuid()) != 0) {
		if (errno != ENOENT)
			link->warm[0] = '\0';
		return (-1);
	}
	if ((s = warm_connect(link->warm, &here, &peer)) < 0)
		goto out;
	buf = mmap(NULL, WARM_MSG_MAX, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		goto out;
	if ((len = build(buf, req, link, cookie, pid)) == 0)
		goto unmap;
	fds[WARM_FD_LISTEN] = link->lfd;
	fds[WARM_FD_CWD] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fds[WARM_FD_CWD] < 0)
		fds[WARM_FD_CWD] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fds[WARM_FD_CWD] < 0)
		goto unmap;
	nfd = 2;
	if (req->errfd >= 0)
		fds[nfd++] = req->errfd;
	memset(&ctl, 0, sizeof(ctl));
	memset(&m, 0, sizeof(m));
	iov.iov_base = buf;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	if (sendmsg(s, &m, MSG_NOSIGNAL) == (ssize_t)len && await(s) == 0)
		rc = 0;
	(void)close(fds[WARM_FD_CWD]);
unmap:
	(void)munmap(buf, WARM_MSG_MAX);
out:
	if (s >= 0)
		(void)close(s);
	errno = saved;
	return (rc);
}
