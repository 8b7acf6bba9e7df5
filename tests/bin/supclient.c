/*
 * supclient: the static program of tests/integration/28-seccomp.sh, built
 * there with gcc -static.  Each mode exercises one thing the seccomp
 * supervisor must do for a program that makes its own system calls.
 *
 *   mail ADDR PORT ID [nb] [storm] [hilen]  one message (Message-Id
 *                       <ID@test>) to ADDR:PORT, blocking or non-blocking
 *                       connect, under a signal storm (SA_RESTART) if asked,
 *                       with junk in the upper half of the length register
 *                       (which the kernel ignores) if asked; prints
 *                       "peer: ADDR:PORT" from getpeername() after connect
 *   threads N ADDR ID   N threads, each one message (ID-K)
 *   fork N ADDR ID      N children and one daemonised grandchild that mail
 *                       (ID-K) a second after this process has exited
 *   peer ADDR PORT      connect, print getpeername()
 *   alarm ADDR PORT     alarm(1), blocking connect: print what it returned
 *   nondump ADDR PORT   prctl(PR_SET_DUMPABLE, 0), connect: print errno
 *   twice ADDR ID FILE  one message, then wait for FILE, then connect
 *                       again: print what that returned
 *   iouring             io_uring_setup(): print errno
 *   fastopen ADDR PORT  sendto(MSG_FASTOPEN): print errno
 *   priv                exit 0 if the effective uid is 0, else 1 loudly
 *   spawn PATH ARG...   run PATH as a child, exit with its status
 *
 * Exit 0 on success, 1 on a refusal (the reply printed), 2 on a failure.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static int hilen;

static void
on_tick(int sig)
{

	(void)sig;
	ticks++;
}

static void
on_alarm(int sig)
{

	(void)sig;
}

/* ADDR:PORT into ss; IPv6 if ADDR has a colon. */
static socklen_t
addr_of(const char *host, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)atoi(port));
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			exit(64);
		return (sizeof(*sin6));
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)atoi(port));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		exit(64);
	return (sizeof(*sin));
}

static void
print_peer(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[INET6_ADDRSTRLEN];
	int port;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
		printf("peer: error %s\n", strerror(errno));
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		printf("peer: [%s]:%d\n", a, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		printf("peer: %s:%d\n", a, port);
	}
	fflush(stdout);
}

/* Connect, blocking or not; the socket, or -1 with errno. */
static int
dial(const char *host, const char *port, int nb)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(host, port, &ss), olen;
	struct pollfd p;
	int fd, err;

	fd = socket(ss.ss_family, SOCK_STREAM | (nb ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return (-1);
	if ((hilen ? syscall(SYS_connect, fd, &ss, (1UL << 32) | len) :
	    connect(fd, (struct sockaddr *)&ss, len)) != 0) {
		if (!nb || errno != EINPROGRESS) {
			err = errno;
			close(fd);
			errno = err;
			return (-1);
		}
		p.fd = fd;
		p.events = POLLOUT;
		while (poll(&p, 1, 20000) < 0 && errno == EINTR)
			;
		olen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &olen) != 0 ||
		    err != 0) {
			close(fd);
			errno = err;
			return (-1);
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	}
	return (fd);
}

/* Read one reply; its code, or -1. */
static int
reply(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	char *line;

	for (;;) {
		r = read(fd, buf + n, len - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		n += (size_t)r;
		buf[n] = '\0';
		/* The last line of a reply has a space after its code. */
		line = buf;
		while (strstr(line, "\r\n") != NULL) {
			if (strlen(line) >= 4 && line[3] == ' ')
				return (atoi(line));
			line = strstr(line, "\r\n") + 2;
		}
		if (n >= len - 1)
			return (-1);
	}
}

static int
say(int fd, const char *s, int want)
{
	char buf[4096];
	size_t n = strlen(s);
	ssize_t w;
	int code;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return (2);
		s += w;
		n -= (size_t)w;
	}
	code = reply(fd, buf, sizeof(buf));
	if (code != want) {
		printf("<- %s", code < 0 ? "(nothing)\n" : buf);
		return (code < 0 ? 2 : 1);
	}
	return (0);
}

static int
mail(const char *host, const char *port, const char *id, int nb)
{
	char buf[4096], data[512];
	int fd, r, code;

	if ((fd = dial(host, port, nb)) < 0) {
		printf("connect: %s\n", strerror(errno));
		return (2);
	}
	print_peer(fd);
	code = reply(fd, buf, sizeof(buf));
	if (code != 220) {
		printf("<- %s", code < 0 ? "(nothing)\n" : buf);
		close(fd);
		return (code < 0 ? 2 : 1);
	}
	snprintf(data, sizeof(data), "Subject: static\r\nMessage-Id: <%s@test>"
	    "\r\n\r\nsent by a static program\r\n.\r\n", id);
	if ((r = say(fd, "EHLO static.test\r\n", 250)) == 0 &&
	    (r = say(fd, "MAIL FROM:<alice@example.test>\r\n", 250)) == 0 &&
	    (r = say(fd, "RCPT TO:<bob@example.test>\r\n", 250)) == 0 &&
	    (r = say(fd, "DATA\r\n", 354)) == 0 &&
	    (r = say(fd, data, 250)) == 0)
		(void)say(fd, "QUIT\r\n", 221);
	close(fd);
	return (r);
}

struct thr {
	pthread_t t;
	const char *host;
	char id[128];
	int rc;
};

static void *
thr_main(void *arg)
{
	struct thr *t = arg;

	t->rc = mail(t->host, "25", t->id, 0);
	return (NULL);
}

static int
threads(int n, const char *host, const char *id)
{
	struct thr t[64];
	int i, rc = 0;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		t[i].host = host;
		snprintf(t[i].id, sizeof(t[i].id), "%s-%d", id, i);
		if (pthread_create(&t[i].t, NULL, thr_main, &t[i]) != 0)
			return (2);
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i].t, NULL);
		if (t[i].rc != 0)
			rc = t[i].rc;
	}
	return (rc);
}

/* Children that mail once their parent, this process, has exited. */
static int
forks(int n, const char *host, const char *id)
{
	char cid[128];
	int i;

	for (i = 0; i <= n; i++) {
		snprintf(cid, sizeof(cid), "%s-%d", id, i);
		switch (fork()) {
		case -1:
			return (2);
		case 0:
			if (i == n) {
				/* The daemon: a grandchild in its own session. */
				if (fork() != 0)
					_exit(0);
				setsid();
			}
			sleep(1);
			_exit(mail(host, "25", cid, i % 2));
		}
	}
	return (0);
}

static int
report(const char *what, int r)
{

	printf("%s: %s\n", what, r == 0 ? "ok" : strerror(errno));
	return (r == 0 ? 0 : 2);
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sigaction sa;
	struct itimerval it;
	struct stat st;
	socklen_t len;
	long r;
	int fd, rc, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return (64);
	if (strcmp(argv[1], "mail") == 0 && argc >= 5) {
		int nb = 0, storm = 0;

		for (i = 5; i < argc; i++) {
			nb |= strcmp(argv[i], "nb") == 0;
			storm |= strcmp(argv[i], "storm") == 0;
			hilen |= strcmp(argv[i], "hilen") == 0;
		}
		if (storm) {
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_tick;
			sa.sa_flags = SA_RESTART;
			sigaction(SIGALRM, &sa, NULL);
			memset(&it, 0, sizeof(it));
			it.it_interval.tv_usec = 50;
			it.it_value.tv_usec = 50;
			setitimer(ITIMER_REAL, &it, NULL);
		}
		rc = mail(argv[2], argv[3], argv[4], nb);
		if (storm)
			printf("signals: %d\n", (int)ticks);
		return (rc);
	}
	if (strcmp(argv[1], "threads") == 0 && argc == 5)
		return (threads(atoi(argv[2]), argv[3], argv[4]));
	if (strcmp(argv[1], "fork") == 0 && argc == 5)
		return (forks(atoi(argv[2]), argv[3], argv[4]));
	if (strcmp(argv[1], "peer") == 0 && argc == 4) {
		if ((fd = dial(argv[2], argv[3], 0)) < 0)
			return (report("connect", -1));
		print_peer(fd);
		return (0);
	}
	if (strcmp(argv[1], "alarm") == 0 && argc == 4) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		alarm(1);
		fd = dial(argv[2], argv[3], 0);
		return (report("connect", fd < 0 ? -1 : 0));
	}
	if (strcmp(argv[1], "nondump") == 0 && argc == 4) {
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		fd = dial(argv[2], argv[3], 0);
		return (report("connect", fd < 0 ? -1 : 0));
	}
	if (strcmp(argv[1], "twice") == 0 && argc == 5) {
		if ((rc = mail(argv[2], "25", argv[3], 0)) != 0)
			return (rc);
		printf("first: delivered\n");
		for (i = 0; i < 300 && stat(argv[4], &st) != 0; i++)
			usleep(100000);
		fd = dial(argv[2], "25", 0);
		return (report("second connect", fd < 0 ? -1 : 0));
	}
	if (strcmp(argv[1], "iouring") == 0) {
		char params[120];

		memset(params, 0, sizeof(params));
		r = syscall(425, 4, params);
		return (report("io_uring_setup", r < 0 ? -1 : 0));
	}
	if (strcmp(argv[1], "fastopen") == 0 && argc == 4) {
		len = addr_of(argv[2], argv[3], &ss);
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		r = sendto(fd, "EHLO x\r\n", 8, MSG_FASTOPEN,
		    (struct sockaddr *)&ss, len);
		return (report("sendto", r < 0 ? -1 : 0));
	}
	if ((strcmp(argv[1], "mptcp") == 0 || strcmp(argv[1], "udp") == 0) &&
	    argc == 4) {
		/* A stream of another protocol, and a datagram socket. */
		len = addr_of(argv[2], argv[3], &ss);
		fd = argv[1][0] == 'm' ? socket(ss.ss_family, SOCK_STREAM,
		    262 /* IPPROTO_MPTCP */) : socket(ss.ss_family,
		    SOCK_DGRAM, 0);
		if (fd < 0)
			return (report("socket", -1));
		return (report("connect", connect(fd, (struct sockaddr *)&ss,
		    len)));
	}
	if (strcmp(argv[1], "priv") == 0) {
		if (geteuid() == 0) {
			printf("priv: effective uid 0\n");
			return (0);
		}
		fprintf(stderr, "supclient: priv: set-user-ID root did not "
		    "take effect (effective uid %ld): refusing to go on\n",
		    (long)geteuid());
		return (1);
	}
	if (strcmp(argv[1], "spawn") == 0 && argc >= 3) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			return (2);
		return (WIFEXITED(status) ? WEXITSTATUS(status) : 2);
	}
	return (64);
}
