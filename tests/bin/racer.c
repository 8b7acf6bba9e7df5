/*
 * racer: another local user trying to take over a handoff (docs/SECURITY.md
 * cases 22 and 23).  Run without the shim, as a uid other than the
 * victim's.  It watches the kernel's socket table through sock_diag, as
 * any user may, for new loopback listeners and bound sockets of the
 * victim's uid, and attacks each new listener:
 *
 *   racer hijack UID SECONDS OUTFILE [GATEFILE]
 *       bind the victim's bound port (SO_REUSEADDR; 127.0.0.2 when the
 *       victim bound the wildcard address, so that the victim can still
 *       connect from 127.0.0.1) and connect to the listener from it, and
 *       also from a port of its own; then create GATEFILE (a test holds
 *       the program's own connect() until it exists: see
 *       libprobe_dlsym.c) and read what comes back.  OUTFILE gets
 *       "listeners=N binds=N connects=N greeted=N refused=N": greeted
 *       counts sessions the helper answered with 220, refused those it
 *       closed unanswered.
 *   racer flood UID SECONDS OUTFILE
 *       open as many connections as it can to each new listener, and
 *       close them.  OUTFILE gets "listeners=N connections=N".
 *
 * Both stop after SECONDS or at SIGTERM, and write OUTFILE then.
 * Exit: 0, or 64 for bad usage, 1 when sock_diag does not answer.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef TCP_BOUND_INACTIVE
#define TCP_BOUND_INACTIVE	13	/* Linux 6.6: bound, neither listening
					 * nor connected; reported as CLOSE */
#endif
#define MAXPORTS	4096
#define FLOOD_MAX	2000		/* connections per listener */
#define MAXFDS		64

static volatile sig_atomic_t stop;
static unsigned char seen[65536];	/* listener ports already attacked */
static unsigned char held_port[65536];	/* victim's ports we have bound */
static unsigned long n_listeners, n_binds, n_connects, n_greeted, n_refused;
static unsigned long n_flood;

struct found {
	unsigned short listen[MAXPORTS], bound[MAXPORTS];
	int wild[MAXPORTS];		/* bound[i] is on 0.0.0.0 */
	int nlisten, nbound;
};

static void
on_term(int sig)
{

	(void)sig;
	stop = 1;
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* One dump of IPv4 TCP sockets on 127.0.0.1 owned by uid. */
static int
scan(int nl, unsigned uid, struct found *f)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel;
	static union {
		struct nlmsghdr nlh;
		char buf[65536];
	} resp;
	struct nlmsghdr *h;
	const struct inet_diag_msg *m;
	ssize_t n;
	size_t len;

	f->nlisten = f->nbound = 0;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = AF_INET;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = (1U << TCP_LISTEN) | (1U << TCP_BOUND_INACTIVE);
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) < 0)
		return (-1);
	for (;;) {
		if ((n = recv(nl, &resp, sizeof(resp), 0)) <= 0)
			return (-1);
		len = (size_t)n;
		for (h = &resp.nlh; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return (0);
			if (h->nlmsg_type == NLMSG_ERROR)
				return (-1);
			m = NLMSG_DATA(h);
			if (m->idiag_uid != uid)
				continue;
			if (m->idiag_state == TCP_LISTEN &&
			    m->id.idiag_src[0] == htonl(INADDR_LOOPBACK) &&
			    f->nlisten < MAXPORTS)
				f->listen[f->nlisten++] =
				    ntohs(m->id.idiag_sport);
			else if ((m->idiag_state == TCP_BOUND_INACTIVE ||
			    m->idiag_state == TCP_CLOSE) &&
			    (m->id.idiag_src[0] == htonl(INADDR_LOOPBACK) ||
			    m->id.idiag_src[0] == htonl(INADDR_ANY)) &&
			    f->nbound < MAXPORTS) {
				f->wild[f->nbound] =
				    m->id.idiag_src[0] == htonl(INADDR_ANY);
				f->bound[f->nbound++] =
				    ntohs(m->id.idiag_sport);
			}
		}
	}
}

static void
sin_of(struct sockaddr_in *sin, in_addr_t addr, unsigned short port)
{

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	sin->sin_port = htons(port);
}

/*
 * A socket bound to addr:from (port 0: any port), with SO_REUSEADDR, ready
 * to connect; or -1.  Bound as soon as the victim's port is seen, so
 * that only the connect() is left when its listener appears.
 */
static int
prepare(in_addr_t addr, unsigned short from)
{
	struct sockaddr_in sin;
	struct timeval tv = { 3, 0 };
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (from != 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		sin_of(&sin, addr, from);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
			(void)close(fd);
			return (-1);
		}
		n_binds++;
	}
	return (fd);
}

/* Connect a prepared socket to the listener; 0, or -1 (fd closed). */
static int
attack(int fd, unsigned short lport)
{
	struct sockaddr_in sin;

	sin_of(&sin, INADDR_LOOPBACK, lport);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		(void)close(fd);
		return (-1);
	}
	n_connects++;
	return (0);
}

/* What the helper said to a connection of ours: a greeting, or nothing. */
static void
outcome(int fd)
{
	char buf[64];
	ssize_t n;

	n = read(fd, buf, sizeof(buf) - 1);
	if (n >= 3 && memcmp(buf, "220", 3) == 0) {
		n_greeted++;
		(void)send(fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
	} else if (n == 0)
		n_refused++;
	(void)close(fd);
}

/* Fill the listener's queue: connect without waiting, many times. */
static void
flood(unsigned short lport)
{
	struct sockaddr_in sin;
	int i, fd;

	sin_of(&sin, INADDR_LOOPBACK, lport);
	for (i = 0; i < FLOOD_MAX && !stop; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd < 0)
			return;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
		    errno == EINPROGRESS)
			n_flood++;
		(void)close(fd);
	}
}

int
main(int argc, char **argv)
{
	struct found f;
	struct sigaction sa;
	long long until;
	unsigned uid;
	const char *gate = NULL;
	int fds[MAXFDS];
	int nl, i, j, g, nfd, nheld = 0, flooding, first = 1;
	FILE *out;

	if (argc < 5 || argc > 6 || (strcmp(argv[1], "hijack") != 0 &&
	    strcmp(argv[1], "flood") != 0)) {
		fprintf(stderr, "usage: racer hijack|flood UID SECONDS "
		    "OUTFILE [GATEFILE]\n");
		return (64);
	}
	if (argc == 6)
		gate = argv[5];
	flooding = strcmp(argv[1], "flood") == 0;
	uid = (unsigned)strtoul(argv[2], NULL, 10);
	until = now_ms() + strtol(argv[3], NULL, 10) * 1000;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0) {
		perror("racer: sock_diag");
		return (1);
	}
	while (!stop && now_ms() < until) {
		if (scan(nl, uid, &f) != 0) {
			perror("racer: sock_diag dump");
			return (1);
		}
		/* Bind every bound port of the victim's not yet held. */
		for (j = 0; j < f.nbound && nheld < MAXFDS - 1; j++) {
			if (held_port[f.bound[j]])
				continue;
			if ((fds[nheld] = prepare(f.wild[j] ?
			    INADDR_LOOPBACK + 1 : INADDR_LOOPBACK,
			    f.bound[j])) >= 0) {
				held_port[f.bound[j]] = 1;
				nheld++;
			}
		}
		for (i = 0; i < f.nlisten; i++) {
			if (seen[f.listen[i]])
				continue;
			seen[f.listen[i]] = 1;
			/* Listeners there before we started are servers. */
			if (first)
				continue;
			n_listeners++;
			if (flooding) {
				flood(f.listen[i]);
				continue;
			}
			if ((fds[nheld] = prepare(0, 0)) >= 0)
				nheld++;
			for (j = nfd = 0; j < nheld; j++)
				if (attack(fds[j], f.listen[i]) == 0)
					fds[nfd++] = fds[j];
			if (gate != NULL && (g = open(gate, O_WRONLY |
			    O_CREAT | O_CLOEXEC, 0644)) >= 0)
				(void)close(g);
			for (j = 0; j < nfd; j++)
				outcome(fds[j]);
			nheld = 0;
			memset(held_port, 0, sizeof(held_port));
		}
		first = 0;
	}
	if ((out = fopen(argv[4], "w")) == NULL) {
		perror(argv[4]);
		return (1);
	}
	if (flooding)
		fprintf(out, "listeners=%lu connections=%lu\n", n_listeners,
		    n_flood);
	else
		fprintf(out, "listeners=%lu binds=%lu connects=%lu "
		    "greeted=%lu refused=%lu\n", n_listeners, n_binds,
		    n_connects, n_greeted, n_refused);
	(void)fclose(out);
	return (0);
}
