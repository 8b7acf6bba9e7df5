/*
 * The start-up socket between the wrapper and the supervisor
 * (supervise.h): one descriptor passed with one byte of data.  Linked
 * into both programs.
 */
#include <sys/socket.h>

#include <string.h>

#include "supervise.h"

/* A control message with room for one descriptor. */
union ctl_buf {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

static void
ctl_msg(struct msghdr *m, struct iovec *io, char *b, union ctl_buf *c)
{

	memset(m, 0, sizeof(*m));
	memset(c, 0, sizeof(*c));
	io->iov_base = b;
	io->iov_len = 1;
	m->msg_iov = io;
	m->msg_iovlen = 1;
	m->msg_control = c->buf;
	m->msg_controllen = sizeof(c->buf);
}

int
sup_send_fd(int sock, int fd)
{
	union ctl_buf c;
	struct msghdr m;
	struct iovec io;
	char b = 'L';

	ctl_msg(&m, &io, &b, &c);
	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	c.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&c.h), &fd, sizeof(int));
	return (sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1);
}

int
sup_recv_fd(int sock)
{
	union ctl_buf c;
	struct msghdr m;
	struct iovec io;
	struct cmsghdr *h;
	char b;
	int fd = -1;

	ctl_msg(&m, &io, &b, &c);
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return (-1);
	h = CMSG_FIRSTHDR(&m);
	if (h != NULL && h->cmsg_level == SOL_SOCKET &&
	    h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return (fd);
}
