/*
 * connect() under the supervisor.  Calls to other ports, and calls the
 * supervisor cannot judge, are left to the kernel as the program made
 * them (SECCOMP_USER_NOTIF_FLAG_CONTINUE).  A TCP connect to an intercepted
 * port is done here, on a duplicate of the program's own socket: the
 * duplicate is handed off exactly as the shim hands off its socket, and
 * the program gets what the kernel said to that connect.  The kernel's
 * own connect never runs for such a call, so the address it is done to is
 * the one read and checked here, whatever the program writes meanwhile.
 *
 * Each such call is answered from a thread of its own, so that one slow
 * connect never holds up the others; past MAX_JOBS at once, inline.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "handoff.h"
#include "sup.h"

#define MAX_JOBS	64

extern char **environ;

/* One intercepted call, read and checked, waiting for its answer. */
struct job {
	const struct sup *s;
	uint64_t id;
	pid_t tid;
	int fd;				/* the program's descriptor */
	struct sockaddr_storage dest;
	socklen_t destlen;
};

static int jobs;

/*
 * The sockets whose connect() a thread is answering.  A signal can
 * withdraw a notification while its thread works and the program restart
 * the call at once: the new call's thread waits here until the first has
 * answered (or found its answer withdrawn) and recorded the socket.
 */
static uint64_t busy[MAX_JOBS + 1];
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_done = PTHREAD_COND_INITIALIZER;

static int
busy_has(uint64_t cookie)
{
	size_t i;

	for (i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if (busy[i] == cookie)
			return (1);
	return (0);
}

/* Wait until no other thread works on cookie, then claim it. */
static void
busy_claim(uint64_t cookie)
{
	size_t i;

	(void)pthread_mutex_lock(&busy_lock);
	for (;;) {
		if (!busy_has(cookie))
			for (i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
				if (busy[i] == 0) {
					busy[i] = cookie;
					(void)pthread_mutex_unlock(&busy_lock);
					return;
				}
		(void)pthread_cond_wait(&busy_done, &busy_lock);
	}
}

static void
busy_release(uint64_t cookie)
{
	size_t i;

	(void)pthread_mutex_lock(&busy_lock);
	for (i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if (busy[i] == cookie)
			busy[i] = 0;
	(void)pthread_cond_broadcast(&busy_done);
	(void)pthread_mutex_unlock(&busy_lock);
}

/* The helper for link, with the program's stderr as its own. */
static int
spawn(const struct job *j, int pidfd, struct handoff_link *link)
{
	struct handoff_req req;
	char prog[HELPER_PROG_MAX];
	int r;

	task_name(j->tid, &req.pid, prog, sizeof(prog));
	req.helper = j->s->helper;
	req.prog = prog;
	req.errfd = task_getfd(pidfd, 2);
	req.environ = environ;
	/* Under no_new_privs no supervised program gains privileges. */
	req.secure = 0;
	r = handoff_spawn(&req, link);
	if (req.errfd >= 0)
		(void)close(req.errfd);
	return (r);
}

/*
 * The handoff of sock, the program's socket: as shim/connect.c does it.
 * Returns the answer for the program: 0 or an errno.
 */
static int
take(const struct job *j, int pidfd, int sock, uint64_t cookie)
{
	struct handoff_link link;
	struct tab_entry e;
	int err;

	if (handoff_open(sock, (const struct sockaddr *)&j->dest, j->destlen,
	    &link) != 0) {
		err = errno;
		if (err != EADDRINUSE && err != EADDRNOTAVAIL &&
		    err != EAFNOSUPPORT && err != EAGAIN && err != EINVAL)
			err = ECONNREFUSED;
		return (err);
	}
	err = connect(sock, (struct sockaddr *)&link.via, link.vialen) == 0 ?
	    0 : errno;
	if (err == 0 || err == EINPROGRESS || err == EINTR) {
		if (spawn(j, pidfd, &link) != 0)
			/* Closing the listener resets the queued connection. */
			err = ECONNREFUSED;
		else {
			memset(&e, 0, sizeof(e));
			e.cookie = cookie;
			memcpy(&e.dest, &j->dest, j->destlen);
			e.destlen = j->destlen;
			memcpy(&e.via, &link.via, link.vialen);
			e.vialen = link.vialen;
			tab_add(&e);
		}
	}
	handoff_close(sock, &link);
	return (err);
}

/* The duplicate's SO_COOKIE, all 64 bits of it: 0, or -1. */
static int
cookie_of(int sock, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	if (getsockopt(sock, SOL_SOCKET, SO_COOKIE, cookie, &len) != 0)
		return (-1);
	return (len == sizeof(*cookie) ? 0 : -1);
}

static void
answer_job(const struct job *j)
{
	struct tab_entry e;
	uint64_t cookie;
	socklen_t olen;
	int pidfd, sock = -1, type, proto, err;

	if ((pidfd = task_pidfd(j->s->nfd, j->id, j->tid)) < 0) {
		/* Gone, or not ours to see (ESRCH answers nobody). */
		err = errno == ESRCH ? ECONNREFUSED : EACCES;
		goto answer;
	}
	if ((sock = task_getfd(pidfd, j->fd)) < 0) {
		err = errno == EBADF ? EBADF : EACCES;
		if (err == EACCES)
			sup_warn("pid %ld: cannot take its socket (%s): its "
			    "connect to an intercepted port is refused",
			    (long)j->tid, strerror(errno));
		goto answer;
	}
	olen = sizeof(type);
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &olen) != 0) {
		err = ENOTSOCK;
		goto answer;
	}
	olen = sizeof(proto);
	if (getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &proto, &olen) != 0)
		proto = 0;
	if (decide_refuse(type, proto)) {
		/* A stream that is not TCP (MPTCP, SCTP): refused, as by a
		 * local firewall rule, never let by. */
		err = EPERM;
		goto answer;
	}
	if (!decide_socket(type, proto)) {
		/*
		 * UDP and the rest: connected here, on the program's own
		 * open file, to the address read.  Never let through: the
		 * kernel would look the descriptor up again, and the program
		 * may have put a TCP socket there meanwhile.
		 */
		err = connect(sock, (const struct sockaddr *)&j->dest,
		    j->destlen) == 0 ? 0 : errno;
		goto answer;
	}
	if (cookie_of(sock, &cookie) != 0 || cookie == 0) {
		err = ECONNREFUSED;
		goto answer;
	}
	busy_claim(cookie);
	if (!notif_valid(j->s->nfd, j->id)) {
		/* Withdrawn while waiting: the restarted call is answered. */
		busy_release(cookie);
		goto out;
	}
	if (tab_find(cookie, &e) == 0) {
		/*
		 * Handed off before.  A call that restarts after a signal
		 * withdrew its answer gets that answer; any other repeated
		 * connect() asks the kernel about the real peer, as the shim
		 * does (EALREADY, EISCONN).
		 */
		if (tab_take_pending(cookie, &err) != 0)
			err = connect(sock, (struct sockaddr *)&e.via,
			    e.vialen) == 0 ? 0 : errno;
		if (notif_answer(j->s->nfd, j->id, err) != 0 &&
		    (err == 0 || err == EINPROGRESS))
			tab_set_pending(cookie, err);
	} else {
		err = take(j, pidfd, sock, cookie);
		if (notif_answer(j->s->nfd, j->id, err) != 0 &&
		    (err == 0 || err == EINPROGRESS))
			tab_set_pending(cookie, err);
	}
	busy_release(cookie);
	goto out;
answer:
	(void)notif_answer(j->s->nfd, j->id, err);
out:
	if (sock >= 0)
		(void)close(sock);
	if (pidfd >= 0)
		(void)close(pidfd);
}

static void *
job_thread(void *arg)
{
	struct job *j = arg;

	answer_job(j);
	free(j);
	__atomic_sub_fetch(&jobs, 1, __ATOMIC_RELAXED);
	return (NULL);
}

/* Answer j from a thread of its own if one can start, else here. */
static void
dispatch(struct job *j)
{
	pthread_attr_t attr;
	pthread_t t;
	int r = -1;

	if (__atomic_add_fetch(&jobs, 1, __ATOMIC_RELAXED) <= MAX_JOBS &&
	    pthread_attr_init(&attr) == 0) {
		(void)pthread_attr_setdetachstate(&attr,
		    PTHREAD_CREATE_DETACHED);
		(void)pthread_attr_setstacksize(&attr, 256 * 1024);
		r = pthread_create(&t, &attr, job_thread, j);
		(void)pthread_attr_destroy(&attr);
	}
	if (r == 0)
		return;
	__atomic_sub_fetch(&jobs, 1, __ATOMIC_RELAXED);
	answer_job(j);
	free(j);
}

void
sup_connect(const struct sup *s, const struct seccomp_notif *n)
{
	struct job local, *j;
	socklen_t len;

	memset(&local, 0, sizeof(local));
	local.s = s;
	local.id = n->id;
	local.tid = (pid_t)n->pid;
	local.fd = (int)n->data.args[0];
	/*
	 * The kernel takes the length as an int, from the register's low 32
	 * bits: judge exactly that.  A length it refuses (negative, longer
	 * than any address, shorter than a family) is left to it to refuse.
	 */
	len = (socklen_t)(uint32_t)n->data.args[2];
	if ((int)len < (int)sizeof(sa_family_t) || len > sizeof(local.dest)) {
		(void)notif_continue(s->nfd, n->id);
		return;
	}
	if (mem_read(local.tid, n->data.args[1], &local.dest, len) != 0) {
		if (errno == EFAULT) {
			(void)notif_answer(s->nfd, n->id, EFAULT);
			return;
		}
		/*
		 * Not dumpable, or no ptrace access at all: where this
		 * connect goes cannot be known, so it is not let through.
		 */
		if (notif_valid(s->nfd, n->id)) {
			sup_warn("pid %ld: cannot read its connect() "
			    "address (%s): refused with EACCES",
			    (long)local.tid, strerror(errno));
			(void)notif_answer(s->nfd, n->id, EACCES);
		}
		return;
	}
	/* What was read counts only if the call is still the same one. */
	if (!notif_valid(s->nfd, n->id))
		return;
	local.destlen = len;
	if (!decide_addr((struct sockaddr *)&local.dest, len, &s->ports)) {
		(void)notif_continue(s->nfd, n->id);
		return;
	}
	if ((j = malloc(sizeof(*j))) == NULL) {
		answer_job(&local);
		return;
	}
	*j = local;
	dispatch(j);
}
