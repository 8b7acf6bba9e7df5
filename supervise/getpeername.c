/*
 * getpeername() under the supervisor: a socket handed off reports the
 * destination the program asked for, as under the shim.  Every other
 * call is the kernel's.  The answer is written into the program's memory
 * only once the call is known to be still the same one.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
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

/* len bytes at addr of the memory mem is open on: 0, or -1. */
static int
mem_rw(int mem, uint64_t addr, void *buf, size_t len, int write)
{
	ssize_t n;

	if (addr > (uint64_t)INT64_MAX)
		return (-1);
	n = write ? pwrite(mem, buf, len, (off_t)addr) :
	    pread(mem, buf, len, (off_t)addr);
	return (n == (ssize_t)len ? 0 : -1);
}

/*
 * The recorded destination into the program's buffer; 0 or an errno.
 * The memory is opened before the call is checked to be still the same
 * one, and both writes go through that descriptor: they reach the very
 * process that made the call, even if its thread has ended since and its
 * id been given to another (process_vm_writev looks the id up again at
 * each call).
 */
static int
write_dest(const struct sup *s, const struct seccomp_notif *n,
    const struct tab_entry *e)
{
	char path[64];
	socklen_t room, dlen = e->destlen;
	struct sockaddr_storage dest = e->dest;
	int mem, r = EFAULT;

	(void)snprintf(path, sizeof(path), "/proc/%ld/mem", (long)n->pid);
	if ((mem = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return (errno == ENOENT ? ESRCH : EFAULT);
	if (mem_rw(mem, n->data.args[2], &room, sizeof(room), 0) != 0)
		goto out;
	r = EINVAL;
	if ((int)room < 0)
		goto out;
	r = ESRCH;
	if (!notif_valid(s->nfd, n->id))
		goto out;
	/* As the kernel does: copy what fits, report the full size. */
	r = EFAULT;
	if (mem_rw(mem, n->data.args[1], &dest, dlen < room ? dlen : room,
	    1) == 0 && mem_rw(mem, n->data.args[2], &dlen, sizeof(dlen),
	    1) == 0)
		r = 0;
out:
	(void)close(mem);
	return (r);
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
