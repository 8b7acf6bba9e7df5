/*
 * getpeername() under the supervisor: a socket handed off reports the
 * destination the program asked for, as under the shim.  Every other
 * call is the kernel's.  The answer is written into the program's memory
 * only once the call is known to be still the same one.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sup.h"

/* Is the real peer of sock still the listener it was handed off to? */
static int
still_handed_off(int sock, const struct tab_entry *e)
{
	struct sockaddr_storage real;
	socklen_t len = sizeof(real);

	if (getpeername(sock, (struct sockaddr *)&real, &len) != 0)
		return (0);
	return (len == e->vialen && memcmp(&real, &e->via, len) == 0);
}

/* The recorded destination into the program's buffer; 0 or an errno. */
static int
write_dest(const struct sup *s, const struct seccomp_notif *n,
    const struct tab_entry *e)
{
	pid_t tid = (pid_t)n->pid;
	socklen_t room;
	int r;

	if (mem_read(tid, n->data.args[2], &room, sizeof(room)) != 0)
		return (EFAULT);
	if ((int)room < 0)
		return (EINVAL);
	if (!notif_valid(s->nfd, n->id))
		return (ESRCH);
	/* As the kernel does: copy what fits, report the full size. */
	r = mem_write(tid, n->data.args[1], &e->dest,
	    e->destlen < room ? e->destlen : room);
	if (r == 0)
		r = mem_write(tid, n->data.args[2], &e->destlen,
		    sizeof(e->destlen));
	return (r == 0 ? 0 : EFAULT);
}

void
sup_getpeername(const struct sup *s, const struct seccomp_notif *n)
{
	struct tab_entry e;
	uint64_t cookie;
	socklen_t len = sizeof(cookie);
	int pidfd, sock = -1, err = -1;

	if (!tab_any() || n->data.args[2] == 0) {
		(void)notif_continue(s->nfd, n->id);
		return;
	}
	if ((pidfd = task_pidfd(s->nfd, n->id, (pid_t)n->pid)) < 0) {
		(void)notif_continue(s->nfd, n->id);
		return;
	}
	if ((sock = task_getfd(pidfd, (int)n->data.args[0])) >= 0 &&
	    getsockopt(sock, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0 &&
	    len == sizeof(cookie) && tab_find(cookie, &e) == 0 &&
	    still_handed_off(sock, &e))
		err = write_dest(s, n, &e);
	if (sock >= 0)
		(void)close(sock);
	(void)close(pidfd);
	if (err < 0)
		(void)notif_continue(s->nfd, n->id);
	else
		(void)notif_answer(s->nfd, n->id, err);
}
