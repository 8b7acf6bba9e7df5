/*
 * peerid: one sock_diag request for one exact TCP connection.  The peer's
 * socket is named by the connection's addresses seen from its side: its
 * local address is our peer, its remote address is our local one.
 */
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "peerid.h"

#define DIAG_WAIT_MS	2000

int
peerid_cookie(int fd, uint64_t *cookie)
{
	struct sockaddr_storage loc, rem;
	struct sockaddr_in *l4 = (void *)&loc, *r4 = (void *)&rem;
	struct sockaddr_in6 *l6 = (void *)&loc, *r6 = (void *)&rem;
	struct sockaddr_nl kernel;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	union {
		struct nlmsghdr nlh;
		char buf[4096];
	} resp;
	const struct inet_diag_msg *m;
	const struct nlmsgerr *e;
	struct pollfd p;
	socklen_t len, from;
	ssize_t n;
	int nl, saved, rc = -1;

	len = sizeof(loc);
	if (getsockname(fd, (struct sockaddr *)&loc, &len) != 0)
		return (-1);
	len = sizeof(rem);
	if (getpeername(fd, (struct sockaddr *)&rem, &len) != 0)
		return (-1);
	if (loc.ss_family != rem.ss_family ||
	    (loc.ss_family != AF_INET && loc.ss_family != AF_INET6)) {
		errno = EAFNOSUPPORT;
		return (-1);
	}

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = (unsigned char)loc.ss_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (loc.ss_family == AF_INET) {
		req.r.id.idiag_sport = r4->sin_port;
		req.r.id.idiag_dport = l4->sin_port;
		memcpy(req.r.id.idiag_src, &r4->sin_addr, 4);
		memcpy(req.r.id.idiag_dst, &l4->sin_addr, 4);
	} else {
		req.r.id.idiag_sport = r6->sin6_port;
		req.r.id.idiag_dport = l6->sin6_port;
		memcpy(req.r.id.idiag_src, &r6->sin6_addr, 16);
		memcpy(req.r.id.idiag_dst, &l6->sin6_addr, 16);
	}

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return (-1);
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) != (ssize_t)sizeof(req))
		goto out;
	p.fd = nl;
	p.events = POLLIN;
	if (poll(&p, 1, DIAG_WAIT_MS) != 1) {
		errno = ETIMEDOUT;
		goto out;
	}
	from = sizeof(kernel);
	if ((n = recvfrom(nl, &resp, sizeof(resp), 0,
	    (struct sockaddr *)&kernel, &from)) < 0)
		goto out;
	/* From the kernel itself, about this request. */
	if (from != sizeof(kernel) || kernel.nl_pid != 0 ||
	    !NLMSG_OK(&resp.nlh, (size_t)n) || resp.nlh.nlmsg_seq != 1) {
		errno = EPROTO;
		goto out;
	}
	if (resp.nlh.nlmsg_type == NLMSG_ERROR) {
		e = NLMSG_DATA(&resp.nlh);
		errno = resp.nlh.nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) &&
		    e->error < 0 ? -e->error : EPROTO;
		goto out;
	}
	if (resp.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    resp.nlh.nlmsg_len < NLMSG_LENGTH(sizeof(*m))) {
		errno = EPROTO;
		goto out;
	}
	m = NLMSG_DATA(&resp.nlh);
	/* The answer must be about the connection asked for. */
	if (m->id.idiag_sport != req.r.id.idiag_sport ||
	    m->id.idiag_dport != req.r.id.idiag_dport) {
		errno = EPROTO;
		goto out;
	}
	*cookie = (uint64_t)m->id.idiag_cookie[0] |
	    (uint64_t)m->id.idiag_cookie[1] << 32;
	rc = 0;
out:
	saved = errno;
	(void)close(nl);
	errno = saved;
	return (rc);
}
