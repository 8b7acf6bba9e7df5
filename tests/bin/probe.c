/*
 * probe: a host program for the shim-fidelity tests.  Each subcommand plays
 * one kind of host that talks plain SMTP to HOST:25 (a TEST-NET address:
 * the shim takes the connection, nothing leaves the machine), checks what a
 * host can observe of its socket, its children and its descriptors, prints
 * one line per check ("ok   - ..." or "FAIL - ...") and one "sent: ID" line
 * per message the server accepted, and exits 0 only if every check held.
 * Whether a message really arrived is for the calling script to check in
 * the mailbox: every message carries "Message-ID: <ID>", ID being
 * MSGID[.SUFFIX]@probe.test.
 *
 *   probe send HOST MSGID              blocking connect, one message
 *   probe options HOST MSGID [bind]    socket options, errno, getpeername,
 *                                      getsockname (IPv4, IPv6, v4-mapped);
 *                                      "bind": wildcard-bound beforehand
 *   probe nonblock HOST MSGID          non-blocking connect seen by poll,
 *                                      select and epoll (.poll .select .epoll)
 *   probe nonblock-stall HOST          same, upstream that never answers
 *   probe reuse HOST MSGID             close()+reuse, dup(), dup2()
 *   probe threads N HOST MSGID         N threads whose first call is connect()
 *   probe ctor HOST MSGID              connect() made by libprobe_ctor.so
 *   probe dlsym HOST MSGID             under libprobe_dlsym.so
 *   probe nochild HOST MSGID           wait(), waitpid(-1), SIGCHLD handler
 *   probe sigchld-ign HOST MSGID       SIGCHLD ignored
 *   probe atfork HOST MSGID            pthread_atfork handlers
 *   probe fds HOST MSGID               descriptors the helper must not hold
 *   probe signals HOST MSGID           dispositions the helper must not get
 *   probe helper-kill HOST MSGID       helper SIGKILLed during DATA
 *   probe fork HOST MSGID              parent, child and a thread at once
 *   probe fork-lock HOST MSGID         fork() while a thread is in the shim
 *   probe stderr-moved HOST MSGID FILE fd 2 reused for a socket, a file
 *   probe subreaper HOST MSGID         a child subreaper host (a note)
 *   probe reuseopt HOST MSGID addr|port|wild|none N
 *                                      N sessions from sockets with
 *                                      SO_REUSEADDR / SO_REUSEPORT set:
 *                                      option kept, no SYN retransmitted
 *   probe fdlimit HOST MSGID           connect() with no descriptor left
 *   probe closedfds HOST MSGID         fds 0, 1 and 2 closed beforehand
 *   probe siginit                      connect() from a SIGALRM handler
 *                                      during the first connect()
 *
 * Tools for the scripts, run without the shim:
 *   probe racer FD OUTFILE GATEFILE    connect to the listener FD, create
 *                                      GATEFILE, record what is received
 *   probe listen-silent PORTFILE SECS  accept connections, never answer
 *
 * Exit: 0 all checks held, 1 a check failed, 64 bad usage.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MS	45000	/* the helper holds the greeting up to ~30 s */
#define WATCHDOG_S	150	/* no subcommand may run longer */
#define MAXTHREADS	64

static int nfail;
static pthread_mutex_t outlock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ */
/* Reporting */

/* Print one check; count it if it failed.  Returns cond. */
static int check(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
check(int cond, const char *fmt, ...)
{
	va_list ap;

	(void)pthread_mutex_lock(&outlock);
	printf("%s - ", cond ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		nfail++;
	(void)pthread_mutex_unlock(&outlock);
	return (cond);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
note(const char *fmt, ...)
{
	va_list ap;

	(void)pthread_mutex_lock(&outlock);
	printf("note - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	(void)pthread_mutex_unlock(&outlock);
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------ */
/* Addresses */

/* HOST (an IPv4 or IPv6 literal, never a name) and port into *ss. */
static int
parse_host(const char *host, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

/* "ADDR:PORT" or "[ADDR]:PORT", v4-mapped as IPv4: as the shim names it. */
static void
fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	char a[INET6_ADDRSTRLEN];
	struct in_addr v4;

	if (sa->sa_family == AF_INET) {
		(void)inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		(void)snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&v4, &sin6->sin6_addr.s6_addr[12], 4);
		(void)inet_ntop(AF_INET, &v4, a, sizeof(a));
		(void)snprintf(buf, len, "%s:%u", a, ntohs(sin6->sin6_port));
	} else if (sa->sa_family == AF_INET6) {
		(void)inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		(void)snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else
		(void)snprintf(buf, len, "(family %d)", sa->sa_family);
}

/* Same family, address and port, and the same length reported. */
static int
same_addr(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
    socklen_t blen)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (alen != blen || a->sa_family != b->sa_family)
		return (0);
	if (a->sa_family == AF_INET)
		return (a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	if (a->sa_family == AF_INET6)
		return (a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0);
	return (0);
}

/* A return value and errno as "0" or "-1/ENAME", into buf. */
static const char *
errname(int r, int e, char *buf, size_t len)
{

	if (r == 0)
		(void)snprintf(buf, len, "0");
	else
		(void)snprintf(buf, len, "%d/%s", r, strerrorname_np(e) !=
		    NULL ? strerrorname_np(e) : "?");
	return (buf);
}

/* A listening TCP socket on 127.0.0.1, some port other than 25. */
static int
local_listener(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	int fd;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*len = sizeof(*sin);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (bind(fd, (struct sockaddr *)ss, *len) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)ss, len) != 0) {
		(void)close(fd);
		return (-1);
	}
	return (fd);
}

/* ------------------------------------------------------------------ */
/* SMTP, for blocking and non-blocking sockets alike */

struct smtp {
	int fd;
	size_t len;
	char buf[8192];
	char last[512];
};

/* poll() one descriptor; returns revents, 0 on timeout, -1 on error. */
static int
io_wait(int fd, short events, long ms)
{
	struct pollfd p;
	long long until = now_ms() + ms;
	long left;
	int r;

	p.fd = fd;
	p.events = events;
	for (;;) {
		left = (long)(until - now_ms());
		r = poll(&p, 1, left > 0 ? (int)left : 0);
		if (r > 0)
			return (p.revents);
		if (r == 0)
			return (0);
		if (errno != EINTR)
			return (-1);
	}
}

static void
smtp_init(struct smtp *c, int fd)
{

	memset(c, 0, sizeof(*c));
	c->fd = fd;
}

/* Read one whole reply within ms; its code, or -1 (c->last says why). */
static int
smtp_reply(struct smtp *c, long ms)
{
	long long until = now_ms() + ms;
	char *nl;
	ssize_t r;
	size_t n;

	for (;;) {
		while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
			if (c->len == sizeof(c->buf)) {
				(void)snprintf(c->last, sizeof(c->last),
				    "(reply line too long)");
				return (-1);
			}
			if (io_wait(c->fd, POLLIN, (long)(until - now_ms())) <=
			    0) {
				(void)snprintf(c->last, sizeof(c->last),
				    "(no reply within %ld ms)", ms);
				return (-1);
			}
			r = recv(c->fd, c->buf + c->len, sizeof(c->buf) -
			    c->len, 0);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				(void)snprintf(c->last, sizeof(c->last),
				    "(connection %s)", r == 0 ? "closed" :
				    strerror(errno));
				return (-1);
			}
			c->len += (size_t)r;
		}
		n = (size_t)(nl - c->buf) + 1;
		(void)snprintf(c->last, sizeof(c->last), "%.*s",
		    (int)(n < sizeof(c->last) ? n : sizeof(c->last) - 1),
		    c->buf);
		c->last[strcspn(c->last, "\r\n")] = '\0';
		memmove(c->buf, c->buf + n, c->len - n);
		c->len -= n;
		if (strlen(c->last) < 3 || c->last[0] < '2' ||
		    c->last[0] > '5' || c->last[1] < '0' || c->last[1] > '9' ||
		    c->last[2] < '0' || c->last[2] > '9' ||
		    (c->last[3] != '\0' && c->last[3] != ' ' &&
		    c->last[3] != '-')) {
			(void)snprintf(c->last + strlen(c->last),
			    sizeof(c->last) - strlen(c->last),
			    " (not an SMTP reply line)");
			return (-1);
		}
		if (c->last[3] != '-')
			return (atoi(c->last));
	}
}

/* Write all of s; never raises SIGPIPE (the host's own writes are not
 * what the SIGPIPE checks are about). */
static int
smtp_put(struct smtp *c, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (io_wait(c->fd, POLLOUT, REPLY_MS) <= 0)
				return (-1);
			continue;
		}
		if (w <= 0) {
			(void)snprintf(c->last, sizeof(c->last),
			    "(write: %s)", strerror(errno));
			return (-1);
		}
		s += w;
		n -= (size_t)w;
	}
	return (0);
}

/* Send cmd (unless NULL) and expect reply code want. */
static int
smtp_step(struct smtp *c, const char *cmd, int want, const char *tag)
{
	char line[600];
	int code;

	if (cmd != NULL) {
		(void)snprintf(line, sizeof(line), "%s\r\n", cmd);
		if (smtp_put(c, line, strlen(line)) != 0) {
			check(0, "%s: sending \"%s\": %s", tag, cmd, c->last);
			return (-1);
		}
	}
	code = smtp_reply(c, REPLY_MS);
	if (code != want) {
		check(0, "%s: %s: expected %d, got: %s", tag,
		    cmd != NULL ? cmd : "greeting", want, c->last);
		return (-1);
	}
	return (0);
}

/* The greeting and EHLO. */
static int
smtp_hello(struct smtp *c, const char *tag)
{

	if (smtp_step(c, NULL, 220, tag) != 0 ||
	    smtp_step(c, "EHLO probe.test", 250, tag) != 0)
		return (-1);
	return (0);
}

/* MAIL, RCPT, DATA and the headers; the final dot is not sent yet. */
static int
smtp_start_data(struct smtp *c, const char *id, const char *tag)
{
	char hdr[1200];

	if (smtp_step(c, "MAIL FROM:<alice@example.test>", 250, tag) != 0 ||
	    smtp_step(c, "RCPT TO:<bob@example.test>", 250, tag) != 0 ||
	    smtp_step(c, "DATA", 354, tag) != 0)
		return (-1);
	(void)snprintf(hdr, sizeof(hdr), "From: <alice@example.test>\r\n"
	    "To: <bob@example.test>\r\nSubject: submitify probe %s\r\n"
	    "Message-ID: <%s>\r\n\r\nA message from probe %s.\r\n", tag, id,
	    tag);
	if (smtp_put(c, hdr, strlen(hdr)) != 0) {
		check(0, "%s: sending the message: %s", tag, c->last);
		return (-1);
	}
	return (0);
}

/* The rest of a message after smtp_hello(): "sent: ID" on a 250. */
static int
smtp_message(struct smtp *c, const char *id, const char *tag)
{

	if (smtp_start_data(c, id, tag) != 0 ||
	    smtp_step(c, ".", 250, tag) != 0)
		return (-1);
	(void)pthread_mutex_lock(&outlock);
	printf("sent: %s\n", id);
	(void)pthread_mutex_unlock(&outlock);
	return (0);
}

/* A whole session on a connected fd: greeting to QUIT. */
static int
mail_session(int fd, const char *id, const char *tag)
{
	struct smtp c;

	smtp_init(&c, fd);
	if (smtp_hello(&c, tag) != 0 || smtp_message(&c, id, tag) != 0 ||
	    smtp_step(&c, "QUIT", 221, tag) != 0)
		return (-1);
	return (check(1, "%s: the session went from 220 to 221 and the "
	    "message was accepted", tag) ? 0 : -1);
}

/* The Message-ID for base and an optional suffix. */
static void
msgid(char *buf, size_t len, const char *base, const char *suffix)
{

	if (suffix != NULL)
		(void)snprintf(buf, len, "%s.%s@probe.test", base, suffix);
	else
		(void)snprintf(buf, len, "%s@probe.test", base);
}

/* socket() + blocking connect() to dest; the fd, or -1 (reported). */
static int
connect_dest(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *tag)
{
	int fd, e;

	if ((fd = socket(dest->ss_family, SOCK_STREAM, 0)) < 0) {
		check(0, "%s: socket: %s", tag, strerror(errno));
		return (-1);
	}
	if (connect(fd, (const struct sockaddr *)dest, dlen) != 0) {
		e = errno;
		check(0, "%s: connect: %s", tag, strerror(e));
		(void)close(fd);
		return (-1);
	}
	return (fd);
}

/* Connect to dest and send one message; 0 if it was accepted. */
static int
send_one(const struct sockaddr_storage *dest, socklen_t dlen, const char *id,
    const char *tag)
{
	int fd, r;

	if ((fd = connect_dest(dest, dlen, tag)) < 0)
		return (-1);
	r = mail_session(fd, id, tag);
	(void)close(fd);
	return (r);
}

/* ------------------------------------------------------------------ */
/* Processes, as /proc shows them */

/* State letter and parent of pid, from /proc/PID/stat.  -1 if gone. */
static int
proc_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, pp;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %d", state, &pp) != 2)
		return (-1);
	*ppid = (pid_t)pp;
	return (0);
}

/* Alive: exists and is neither a zombie nor dead. */
static int
proc_alive(pid_t pid)
{
	char st;
	pid_t pp;

	return (proc_stat(pid, &st, &pp) == 0 && st != 'Z' && st != 'X');
}

/* Wait up to ms for pid to stop being alive; 1 if it did. */
static int
wait_gone(pid_t pid, long ms)
{
	long long until = now_ms() + ms;

	while (proc_alive(pid)) {
		if (now_ms() > until)
			return (0);
		sleep_ms(10);
	}
	return (1);
}

/* argv of pid, NUL-separated, into buf; its length or -1. */
static ssize_t
proc_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	n = read(fd, buf, len - 1);
	(void)close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return (n);
}

/*
 * The live helpers serving our socket fd: processes started with "--pid
 * OURPID" and "--peer LOCAL", LOCAL being fd's own address.  Returns how
 * many there are; *first is one of them.  A helper that has only just
 * been exec'd may not show its arguments yet.
 */
static int
scan_helpers(int fd, pid_t *first)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char want_peer[80], want_pid[24], buf[4096], *a, *end, *prev;
	struct dirent *de;
	DIR *d;
	ssize_t n;
	pid_t pid;
	int peer_ok, pid_ok, count = 0;

	*first = -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return (0);
	fmt_addr((struct sockaddr *)&ss, want_peer, sizeof(want_peer));
	(void)snprintf(want_pid, sizeof(want_pid), "%ld", (long)getpid());
	if ((d = opendir("/proc")) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		pid = (pid_t)strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == getpid())
			continue;
		if ((n = proc_cmdline(pid, buf, sizeof(buf))) <= 0 ||
		    strstr(buf, "submitify-helper") == NULL)
			continue;
		/* A warm helper's session process writes its command line
		 * as one string (helper/warmd.c: set_title): its words. */
		for (a = buf; a < buf + n; a++)
			if (*a == ' ')
				*a = '\0';
		peer_ok = pid_ok = 0;
		prev = NULL;
		for (a = buf; a < buf + n; a += strlen(a) + 1) {
			if (prev != NULL && strcmp(prev, "--peer") == 0)
				peer_ok = strcmp(a, want_peer) == 0;
			if (prev != NULL && strcmp(prev, "--pid") == 0)
				pid_ok = strcmp(a, want_pid) == 0;
			prev = a;
		}
		if (peer_ok && pid_ok && proc_alive(pid)) {
			if (*first < 0)
				*first = pid;
			count++;
		}
	}
	(void)closedir(d);
	return (count);
}

/* The helper serving our socket fd, waiting up to ms for it; or -1. */
static pid_t
find_helper(int fd, long ms)
{
	long long until = now_ms() + ms;
	pid_t h;

	for (;;) {
		if (scan_helpers(fd, &h) > 0 || now_ms() > until)
			return (h);
		sleep_ms(10);
	}
}

/* How many processes have us as their parent (zombies included). */
static int
count_children(void)
{
	struct dirent *de;
	DIR *d;
	char *end, st;
	pid_t pid, pp;
	int n = 0;

	if ((d = opendir("/proc")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		pid = (pid_t)strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (proc_stat(pid, &st, &pp) == 0 && pp == getpid())
			n++;
	}
	(void)closedir(d);
	return (n);
}

/* A "Name:\thex" field of /proc/PID/status as a number; 0 if missing. */
static unsigned long long
proc_status_hex(pid_t pid, const char *field)
{
	char path[64], line[256];
	unsigned long long v = 0;
	size_t fl = strlen(field);
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, fl) == 0) {
			v = strtoull(line + fl, NULL, 16);
			break;
		}
	(void)fclose(f);
	return (v);
}

/* Does /proc/PID/maps mention needle?  1 yes, 0 no, -1 unreadable. */
static int
maps_mention(pid_t pid, const char *needle)
{
	char path[64], line[1024];
	int hit = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			hit = 1;
	(void)fclose(f);
	return (hit);
}

/* The helper's image holds no libsubmitify (checked once it greeted). */
static void
check_no_shim(pid_t h, const char *tag)
{
	int m = maps_mention(h, "libsubmitify");

	check(m == 0, "%s: /proc/%ld/maps of the helper has no libsubmitify "
	    "(%s)", tag, (long)h, m < 0 ? "unreadable" : m ? "it is mapped" :
	    "none");
}

/* ------------------------------------------------------------------ */
/* send, options */

static int
cmd_send(const struct sockaddr_storage *dest, socklen_t dlen, const char *base)
{
	char id[300];

	msgid(id, sizeof(id), base, NULL);
	(void)send_one(dest, dlen, id, "send");
	return (0);
}

static int
getint(int fd, int level, int opt)
{
	socklen_t l = sizeof(int);
	int v = -1;

	if (getsockopt(fd, level, opt, &v, &l) != 0)
		return (-1);
	return (v);
}

static long
get_tv_ms(int fd, int opt)
{
	struct timeval tv;
	socklen_t l = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &l) != 0)
		return (-1);
	return ((long)tv.tv_sec * 1000 + (long)tv.tv_usec / 1000);
}

static int
set_tv_ms(int fd, int opt, long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

static int
setint(int fd, int level, int opt, int v)
{

	return (setsockopt(fd, level, opt, &v, sizeof(v)));
}

/*
 * fdlimit: every descriptor taken when connect() is called.  The shim
 * needs one for its listener: connect() must fail with an errno that
 * connect() may give (ECONNREFUSED), no crash; with descriptors free
 * again, the next connection must work.
 */
static int
cmd_fdlimit(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct rlimit rl, low;
	char id[300];
	int fd, r, e, n = 0, filler[256];

	msgid(id, sizeof(id), base, "after");
	if ((fd = socket(dest->ss_family, SOCK_STREAM, 0)) < 0)
		return (check(0, "fdlimit: socket: %s", strerror(errno)));
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	low = rl;
	low.rlim_cur = (rlim_t)fd + 64 < rl.rlim_cur ? (rlim_t)fd + 64 :
	    rl.rlim_cur;
	(void)setrlimit(RLIMIT_NOFILE, &low);
	while (n < 256 && (filler[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	errno = 0;
	r = connect(fd, (const struct sockaddr *)dest, dlen);
	e = errno;
	while (n > 0)
		(void)close(filler[--n]);
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	(void)close(fd);
	check(r == -1 && e == ECONNREFUSED, "fdlimit: with no descriptor "
	    "left, connect() gave %d/%s (want -1/ECONNREFUSED)", r,
	    e != 0 ? strerrorname_np(e) : "0");
	(void)send_one(dest, dlen, id, "fdlimit/after");
	return (0);
}

/*
 * closedfds: the program closed fds 0, 1 and 2 before it connects, so
 * the socket is fd 0 and the shim's own descriptors take the low numbers
 * too.  This probe reports through a copy of stdout at a high number.
 */
static int
cmd_closedfds(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	char id[300];
	FILE *out;
	int o;

	msgid(id, sizeof(id), base, NULL);
	(void)fflush(stdout);
	if ((o = fcntl(1, F_DUPFD_CLOEXEC, 100)) < 0 ||
	    (out = fdopen(o, "w")) == NULL)
		return (check(0, "closedfds: cannot keep stdout: %s",
		    strerror(errno)));
	(void)setvbuf(out, NULL, _IOLBF, 0);
	stdout = out;
	(void)close(0);
	(void)close(1);
	(void)close(2);
	(void)send_one(dest, dlen, id, "closedfds");
	return (0);
}

/* Bind fd to the wildcard address of family, port 0. */
static int
bind_wildcard(int fd, int family)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	return (bind(fd, (struct sockaddr *)&ss, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)));
}

/*
 * reuseopt: n sessions, each from a socket with SO_REUSEADDR or
 * SO_REUSEPORT set before connect() ("wild": SO_REUSEADDR and bound to
 * the wildcard address by the program itself).  For each: the option still reads 1
 * afterwards, the kernel never had to send the SYN twice (TCP_INFO), and
 * the message was accepted.  One check line per failure, one summary.
 */
static int
cmd_reuseopt(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base, const char *which, int n)
{
	struct tcp_info ti;
	socklen_t tl;
	char id[300], suffix[32], tag[64];
	int opt = strcmp(which, "port") == 0 ? SO_REUSEPORT : SO_REUSEADDR;
	int wild = strcmp(which, "wild") == 0;
	int none = strcmp(which, "none") == 0;
	int k, fd, ok = 0, kept = 0, noretrans = 0;

	for (k = 1; k <= n; k++) {
		(void)snprintf(tag, sizeof(tag), "reuse%s #%d", which, k);
		(void)snprintf(suffix, sizeof(suffix), "%d", k);
		msgid(id, sizeof(id), base, suffix);
		if ((fd = socket(dest->ss_family, SOCK_STREAM, 0)) < 0) {
			check(0, "%s: socket: %s", tag, strerror(errno));
			continue;
		}
		if (!none && setint(fd, SOL_SOCKET, opt, 1) != 0)
			check(0, "%s: setsockopt: %s", tag, strerror(errno));
		if (wild && bind_wildcard(fd, dest->ss_family) != 0)
			check(0, "%s: bind: %s", tag, strerror(errno));
		if (connect(fd, (const struct sockaddr *)dest, dlen) != 0) {
			check(0, "%s: connect: %s", tag, strerror(errno));
			(void)close(fd);
			continue;
		}
		if (none || getint(fd, SOL_SOCKET, opt) == 1)
			kept++;
		else
			check(0, "%s: the option no longer reads 1", tag);
		tl = sizeof(ti);
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
		    ti.tcpi_total_retrans == 0)
			noretrans++;
		else
			check(0, "%s: the connection needed %u retransmissions "
			    "(a dropped SYN)", tag, ti.tcpi_total_retrans);
		if (mail_session(fd, id, tag) == 0)
			ok++;
		(void)close(fd);
	}
	check(ok == n && kept == n && noretrans == n, "reuse%s: %d of %d "
	    "sessions delivered, option kept in %d, no retransmission in %d",
	    which, ok, n, kept, noretrans);
	return (0);
}

/*
 * siginit: a signal handler that calls connect() while the first
 * connect() of the process (to a port that is not taken) is running, so
 * that it may interrupt the shim's initialisation.  Returns when both
 * finished; a deadlock is for the caller's time limit to catch.
 */
static volatile sig_atomic_t siginit_calls, siginit_armed;

static void
on_siginit(int sig)
{
	struct sockaddr_in sin;
	int fd, saved = errno;

	(void)sig;
	/* Not before the main thread's first connect() has begun. */
	if (siginit_armed &&
	    (fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) >= 0) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons(9);
		(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		(void)close(fd);
	}
	if (siginit_armed)
		siginit_calls++;
	errno = saved;
}

static int
cmd_siginit(void)
{
	struct sigaction sa;
	struct itimerval it;
	struct sockaddr_in sin;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_siginit;
	sa.sa_flags = SA_RESTART;
	(void)sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 1;
	it.it_interval.tv_usec = 30;	/* the handler takes about 15 us */
	(void)setitimer(ITIMER_REAL, &it, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(9);
	siginit_armed = 1;
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	/* Long enough for the timer to fire during and after. */
	while (siginit_calls < 20)
		;
	memset(&it, 0, sizeof(it));
	(void)setitimer(ITIMER_REAL, &it, NULL);
	(void)close(fd);
	check(siginit_calls >= 20, "siginit: the handler's connect() calls "
	    "returned (%d)", (int)siginit_calls);
	return (0);
}

/* getsockname: the socket's family, a real address, a real port. */
static void
check_sockname(int fd, int family, const char *tag)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;
	socklen_t len = sizeof(ss);
	char a[80];
	int r, specified = 0, port = 0;

	r = getsockname(fd, (struct sockaddr *)&ss, &len);
	if (!check(r == 0, "%s: getsockname() succeeds", tag))
		return;
	fmt_addr((struct sockaddr *)&ss, a, sizeof(a));
	if (ss.ss_family == AF_INET) {
		specified = sin->sin_addr.s_addr != htonl(INADDR_ANY);
		port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		specified = !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
		port = ntohs(sin6->sin6_port);
	}
	check(ss.ss_family == family && specified && port != 0 &&
	    len == (family == AF_INET ? sizeof(*sin) : sizeof(*sin6)),
	    "%s: getsockname() gives a local address of the socket's own "
	    "family with a port: %s", tag, a);
}

/* getpeername: the destination the host asked for. */
static void
check_peername(int fd, const struct sockaddr_storage *dest, socklen_t dlen,
    const char *tag)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char want[80], got[80];
	int r;

	fmt_addr((const struct sockaddr *)dest, want, sizeof(want));
	memset(&ss, 0, sizeof(ss));
	r = getpeername(fd, (struct sockaddr *)&ss, &len);
	if (r == 0)
		fmt_addr((struct sockaddr *)&ss, got, sizeof(got));
	else
		(void)snprintf(got, sizeof(got), "error: %s", strerror(errno));
	check(r == 0 && same_addr((struct sockaddr *)&ss, len,
	    (const struct sockaddr *)dest, dlen),
	    "%s: getpeername() gives %s (got %s, "
	    "length %u)", tag, want, got, (unsigned)len);
}

/* getpeername into a short buffer: the kernel fills what fits, writes
 * nothing beyond, and reports the full length. */
static void
check_peername_short(int fd, const struct sockaddr_storage *dest,
    socklen_t dlen, const char *tag)
{
	struct {
		unsigned char buf[4];
		unsigned char guard[60];
	} small;
	socklen_t len;
	size_t i;
	int r, intact;

	len = sizeof(small.buf);
	memset(&small, 0xa5, sizeof(small));
	r = getpeername(fd, (struct sockaddr *)(void *)small.buf, &len);
	for (i = 0, intact = 1; i < sizeof(small.guard); i++)
		if (small.guard[i] != 0xa5)
			intact = 0;
	check(intact, "%s: getpeername() with a 4-byte buffer writes nothing "
	    "past those 4 bytes", tag);
	check(r == 0 && len == dlen && memcmp(small.buf, dest,
	    sizeof(small.buf)) == 0, "%s: ... fills them with the start of "
	    "the destination and reports its full length %u (got %u)", tag,
	    (unsigned)dlen, (unsigned)len);
}

static int
cmd_options(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base, int bindfirst)
{
	struct sockaddr_storage any;
	struct smtp c;
	char id[300], tag[32];
	long long t0;
	long ms;
	ssize_t r;
	int fd, e, fl, fdfl;
	struct stat st0, st1;

	(void)snprintf(tag, sizeof(tag), "options/%s%s",
	    dest->ss_family == AF_INET ? "ipv4" :
	    IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)(const void *)
	    dest)->sin6_addr) ? "v4mapped" : "ipv6", bindfirst ? "/bound" : "");
	msgid(id, sizeof(id), base, NULL);
	if ((fd = socket(dest->ss_family, SOCK_STREAM, 0)) < 0)
		return (check(0, "%s: socket: %s", tag, strerror(errno)));
	if (bindfirst) {
		/* Bound to the wildcard address, port chosen by the kernel,
		 * as a host does that sets SO_REUSEADDR and binds first. */
		memset(&any, 0, sizeof(any));
		any.ss_family = dest->ss_family;
		(void)setint(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		check(bind(fd, (struct sockaddr *)&any, dlen) == 0,
		    "%s: bind() to the wildcard address before connect()", tag);
	}
	/* Set before connect(): must survive it. */
	check(setint(fd, IPPROTO_TCP, TCP_NODELAY, 1) == 0 &&
	    setint(fd, SOL_SOCKET, SO_KEEPALIVE, 1) == 0 &&
	    setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 77) == 0 &&
	    set_tv_ms(fd, SO_RCVTIMEO, 40000) == 0 &&
	    set_tv_ms(fd, SO_SNDTIMEO, 41000) == 0,
	    "%s: TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE, SO_RCVTIMEO and "
	    "SO_SNDTIMEO set before connect()", tag);
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	(void)fstat(fd, &st0);

	errno = EDOM;
	t0 = now_ms();
	r = connect(fd, (const struct sockaddr *)dest, dlen);
	e = errno;
	ms = (long)(now_ms() - t0);
	check(r == 0, "%s: blocking connect() returns 0 (%s, %ld ms)", tag,
	    r == 0 ? "connected" : strerror(e), ms);
	check(e == EDOM, "%s: connect() leaves errno alone on success, as "
	    "libc does (%s)", tag, e == EDOM ? "unchanged" : strerror(e));
	if (r != 0) {
		(void)close(fd);
		return (-1);
	}
	(void)fstat(fd, &st1);
	check(st0.st_ino == st1.st_ino && st0.st_dev == st1.st_dev &&
	    fcntl(fd, F_GETFL) == fl && fcntl(fd, F_GETFD) == fdfl,
	    "%s: same socket behind the fd, same status and fd flags after "
	    "connect()", tag);
	check(getint(fd, SOL_SOCKET, SO_DOMAIN) == dest->ss_family &&
	    getint(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM &&
	    getint(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP,
	    "%s: still a TCP socket of the family it was created with", tag);
	check(getint(fd, IPPROTO_TCP, TCP_NODELAY) == 1 &&
	    getint(fd, SOL_SOCKET, SO_KEEPALIVE) == 1 &&
	    getint(fd, IPPROTO_TCP, TCP_KEEPIDLE) == 77 &&
	    get_tv_ms(fd, SO_RCVTIMEO) == 40000 &&
	    get_tv_ms(fd, SO_SNDTIMEO) == 41000,
	    "%s: the options set before connect() read back unchanged", tag);
	check_peername(fd, dest, dlen, tag);
	check_peername_short(fd, dest, dlen, tag);
	check_sockname(fd, dest->ss_family, tag);

	/* Set after connect(): must take effect on the redirected socket. */
	check(setint(fd, IPPROTO_TCP, TCP_NODELAY, 0) == 0 &&
	    getint(fd, IPPROTO_TCP, TCP_NODELAY) == 0 &&
	    setint(fd, IPPROTO_TCP, TCP_NODELAY, 1) == 0 &&
	    getint(fd, IPPROTO_TCP, TCP_NODELAY) == 1 &&
	    setint(fd, SOL_SOCKET, SO_KEEPALIVE, 0) == 0 &&
	    getint(fd, SOL_SOCKET, SO_KEEPALIVE) == 0 &&
	    setint(fd, SOL_SOCKET, SO_KEEPALIVE, 1) == 0 &&
	    set_tv_ms(fd, SO_SNDTIMEO, 30000) == 0 &&
	    get_tv_ms(fd, SO_SNDTIMEO) == 30000,
	    "%s: TCP_NODELAY, SO_KEEPALIVE and SO_SNDTIMEO set after "
	    "connect() read back", tag);

	smtp_init(&c, fd);
	if (smtp_hello(&c, tag) == 0) {
		/* Nothing is due now: a read must time out by SO_RCVTIMEO. */
		check(set_tv_ms(fd, SO_RCVTIMEO, 300) == 0, "%s: SO_RCVTIMEO "
		    "set to 300 ms after connect()", tag);
		t0 = now_ms();
		r = recv(fd, c.buf, sizeof(c.buf), 0);
		e = errno;
		ms = (long)(now_ms() - t0);
		check(r < 0 && (e == EAGAIN || e == EWOULDBLOCK) && ms >= 250 &&
		    ms < 5000, "%s: an idle blocking recv() times out after "
		    "SO_RCVTIMEO (%s after %ld ms)", tag, r < 0 ?
		    strerror(e) : "data", ms);
		(void)set_tv_ms(fd, SO_RCVTIMEO, 40000);
		if (smtp_message(&c, id, tag) == 0 &&
		    smtp_step(&c, "QUIT", 221, tag) == 0)
			check(1, "%s: the message was accepted", tag);
	}
	(void)close(fd);
	return (0);
}

/* ------------------------------------------------------------------ */
/* nonblock */

enum api { API_POLL, API_SELECT, API_EPOLL };
static const char *const api_name[] = { "poll", "select", "epoll" };

/* Wait for fd to become writable (or readable) with one API; 1 if seen. */
static int
api_wait(enum api api, int fd, int wantwrite, long ms)
{
	struct epoll_event ev;
	struct timeval tv;
	fd_set rs, ws;
	int r, ep;

	switch (api) {
	case API_POLL:
		r = io_wait(fd, wantwrite ? POLLOUT : POLLIN, ms);
		return (r > 0 && (r & (wantwrite ? POLLOUT : POLLIN)) &&
		    !(r & POLLERR));
	case API_SELECT:
		if (fd >= FD_SETSIZE)
			return (0);
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_SET(fd, wantwrite ? &ws : &rs);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		while ((r = select(fd + 1, &rs, &ws, NULL, &tv)) < 0 &&
		    errno == EINTR)
			;
		return (r == 1 && FD_ISSET(fd, wantwrite ? &ws : &rs));
	case API_EPOLL:
		if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			return (0);
		memset(&ev, 0, sizeof(ev));
		ev.events = (wantwrite ? EPOLLOUT : EPOLLIN) | EPOLLET;
		ev.data.fd = fd;
		r = -1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0)
			while ((r = epoll_wait(ep, &ev, 1, (int)ms)) < 0 &&
			    errno == EINTR)
				;
		(void)close(ep);
		return (r == 1 && ev.data.fd == fd &&
		    (ev.events & (wantwrite ? EPOLLOUT : EPOLLIN)) &&
		    !(ev.events & EPOLLERR));
	}
	return (0);
}

/* What repeated connect() calls return once a non-blocking connect() has
 * completed: the reference is a plain loopback socket, no shim involved. */
struct repeat {
	int r2, e2, r3, e3;
};

static void
repeat_connects(int fd, const struct sockaddr *to, socklen_t len,
    struct repeat *rp)
{

	errno = 0;
	rp->r2 = connect(fd, to, len);
	rp->e2 = rp->r2 < 0 ? errno : 0;
	errno = 0;
	rp->r3 = connect(fd, to, len);
	rp->e3 = rp->r3 < 0 ? errno : 0;
}

static int
reference_repeat(struct repeat *rp)
{
	struct sockaddr_storage ls;
	socklen_t llen;
	int lfd, fd, a;

	memset(rp, 0, sizeof(*rp));
	if ((lfd = local_listener(&ls, &llen)) < 0)
		return (-1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		(void)close(lfd);
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&ls, llen) != 0 &&
	    errno != EINPROGRESS) {
		(void)close(fd);
		(void)close(lfd);
		return (-1);
	}
	(void)io_wait(fd, POLLOUT, 5000);
	repeat_connects(fd, (struct sockaddr *)&ls, llen, rp);
	a = accept(lfd, NULL, NULL);
	if (a >= 0)
		(void)close(a);
	(void)close(fd);
	(void)close(lfd);
	return (0);
}


static void
nonblock_one(enum api api, const struct sockaddr_storage *dest,
    socklen_t dlen, const char *base, const struct repeat *ref)
{
	struct repeat rp;
	struct smtp c;
	struct stat st0, st1;
	char id[300], tag[32], n1[32], n2[32], n3[32], n4[32];
	long long t0;
	long ms;
	int fd, fdno, r, e, so, nh, nh2;
	socklen_t l;
	pid_t h;

	(void)snprintf(tag, sizeof(tag), "nonblock/%s", api_name[api]);
	msgid(id, sizeof(id), base, api_name[api]);
	fd = socket(dest->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		check(0, "%s: socket: %s", tag, strerror(errno));
		return;
	}
	fdno = fd;
	(void)fstat(fd, &st0);
	t0 = now_ms();
	r = connect(fd, (const struct sockaddr *)dest, dlen);
	e = errno;
	ms = (long)(now_ms() - t0);
	if (!check(r == 0 || (r < 0 && e == EINPROGRESS), "%s: non-blocking "
	    "connect() returns 0 or -1/EINPROGRESS, as libc would (got %s)",
	    tag, errname(r, e, n1, sizeof(n1)))) {
		(void)close(fd);
		return;
	}
	check(ms < 1000, "%s: connect() returned at once (%ld ms), before "
	    "any upstream handshake", tag, ms);
	(void)fstat(fd, &st1);
	check((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0 &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	    "%s: O_NONBLOCK and FD_CLOEXEC still set after connect()", tag);
	check(fd == fdno && st0.st_ino == st1.st_ino &&
	    st0.st_dev == st1.st_dev &&
	    getint(fd, SOL_SOCKET, SO_DOMAIN) == dest->ss_family &&
	    getint(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM,
	    "%s: fd %d is the same socket (inode %lu) of family %d", tag, fd,
	    (unsigned long)st1.st_ino, dest->ss_family);

	check(api_wait(api, fd, 1, 5000), "%s: %s() reports the socket "
	    "writable", tag, api_name[api]);
	so = -1;
	l = sizeof(so);
	check(getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &l) == 0 && so == 0,
	    "%s: SO_ERROR reads 0 (%s)", tag, so > 0 ? strerror(so) : "0");

	/* Polling for completion by calling connect() again. */
	h = find_helper(fd, 2000);
	nh = scan_helpers(fd, &h);
	repeat_connects(fd, (const struct sockaddr *)dest, dlen, &rp);
	check(rp.r2 == ref->r2 && rp.e2 == ref->e2 && rp.r3 == ref->r3 &&
	    rp.e3 == ref->e3, "%s: connect() again returns %s then %s, as on "
	    "a plain socket (%s then %s)", tag,
	    errname(rp.r2, rp.e2, n1, sizeof(n1)),
	    errname(rp.r3, rp.e3, n2, sizeof(n2)),
	    errname(ref->r2, ref->e2, n3, sizeof(n3)),
	    errname(ref->r3, ref->e3, n4, sizeof(n4)));
	sleep_ms(200);
	nh2 = scan_helpers(fd, &h);
	check(nh == 1 && nh2 == 1, "%s: connect() again starts no second "
	    "helper for the socket (%d before, %d after)", tag, nh, nh2);
	check_peername(fd, dest, dlen, tag);

	check(api_wait(api, fd, 0, REPLY_MS), "%s: %s() reports the greeting "
	    "readable", tag, api_name[api]);
	smtp_init(&c, fd);
	if (smtp_hello(&c, tag) == 0 && smtp_message(&c, id, tag) == 0 &&
	    smtp_step(&c, "QUIT", 221, tag) == 0)
		check(1, "%s: the message was accepted over the non-blocking "
		    "socket", tag);
	(void)close(fd);
}

static int
cmd_nonblock(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct repeat ref;

	if (!check(reference_repeat(&ref) == 0, "nonblock: reference "
	    "connection on loopback"))
		return (-1);
	nonblock_one(API_POLL, dest, dlen, base, &ref);
	nonblock_one(API_SELECT, dest, dlen, base, &ref);
	nonblock_one(API_EPOLL, dest, dlen, base, &ref);
	return (0);
}

/*
 * The account's server accepts TCP and never says a word: connect() must
 * still return at once, the socket be writable with SO_ERROR 0, and the
 * program simply not be greeted yet.  A blocking socket alike.
 */
static int
cmd_nonblock_stall(const struct sockaddr_storage *dest, socklen_t dlen)
{
	const char *tag = "nonblock-stall";
	char nb[32];
	long long t0;
	long ms;
	int fd, bfd, r, e, so, ev;
	socklen_t l;

	fd = socket(dest->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return (check(0, "%s: socket: %s", tag, strerror(errno)));
	t0 = now_ms();
	r = connect(fd, (const struct sockaddr *)dest, dlen);
	e = errno;
	ms = (long)(now_ms() - t0);
	check((r == 0 || e == EINPROGRESS) && ms < 1000, "%s: non-blocking "
	    "connect() returns %s in %ld ms while the upstream server is "
	    "silent", tag, errname(r, e, nb, sizeof(nb)), ms);
	check(io_wait(fd, POLLOUT, 2000) & POLLOUT, "%s: writable within 2 s",
	    tag);
	so = -1;
	l = sizeof(so);
	check(getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &l) == 0 && so == 0,
	    "%s: SO_ERROR reads 0", tag);

	/* The host goes on working: a blocking connect() meanwhile. */
	if ((bfd = socket(dest->ss_family, SOCK_STREAM, 0)) >= 0) {
		t0 = now_ms();
		r = connect(bfd, (const struct sockaddr *)dest, dlen);
		e = errno;
		ms = (long)(now_ms() - t0);
		check(r == 0 && ms < 1000, "%s: a blocking connect() returns "
		    "%s in %ld ms too", tag, errname(r, e, nb, sizeof(nb)), ms);
	}
	t0 = now_ms();
	ev = io_wait(fd, POLLIN, 3000);
	check(ev == 0, "%s: no greeting while the upstream handshake cannot "
	    "finish (%s after %lld ms)", tag, ev == 0 ? "nothing" : "readable",
	    now_ms() - t0);
	if (bfd >= 0)
		(void)close(bfd);
	(void)close(fd);
	return (0);
}

/* ------------------------------------------------------------------ */
/* reuse: close() and fd reuse, dup(), dup2() */

/* connect fd to the local listener and accept the other end. */
static int
connect_local(int fd, int lfd, const struct sockaddr_storage *ls,
    socklen_t llen)
{
	int a;

	if (connect(fd, (const struct sockaddr *)ls, llen) != 0)
		return (-1);
	a = accept(lfd, NULL, NULL);
	return (a);
}

static int
cmd_reuse(const struct sockaddr_storage *dest, socklen_t dlen,
    const struct sockaddr_storage *dest2, socklen_t dlen2, const char *base)
{
	struct sockaddr_storage ls;
	socklen_t llen;
	char id[300];
	int lfd, fd, fd2, other, a, b, n, plain;

	if ((lfd = local_listener(&ls, &llen)) < 0)
		return (check(0, "reuse: local listener: %s", strerror(errno)));

	/* A redirected socket, used and closed; its number reused for a
	 * plain connection to a port that is not intercepted. */
	if ((fd = connect_dest(dest, dlen, "reuse/close")) < 0)
		return (-1);
	check_peername(fd, dest, dlen, "reuse/close");
	msgid(id, sizeof(id), base, "first");
	(void)mail_session(fd, id, "reuse/close");
	n = fd;
	(void)close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	check(fd == n, "reuse/close: the new socket got the closed fd number "
	    "%d (got %d)", n, fd);
	a = connect_local(fd, lfd, &ls, llen);
	check(a >= 0, "reuse/close: plain connect() of the reused fd to the "
	    "local listener");
	check_peername(fd, &ls, llen, "reuse/close");
	check_peername_short(fd, &ls, llen, "reuse/close (plain socket)");
	if (a >= 0)
		(void)close(a);
	(void)close(fd);

	/* The number reused for a new port-25 connection elsewhere. */
	if ((fd = connect_dest(dest, dlen, "reuse/again")) < 0)
		return (-1);
	n = fd;
	(void)close(fd);
	if ((fd = connect_dest(dest2, dlen2, "reuse/again")) < 0)
		return (-1);
	check(fd == n, "reuse/again: fd number %d reused (got %d)", n, fd);
	check_peername(fd, dest2, dlen2, "reuse/again");
	msgid(id, sizeof(id), base, "second");
	(void)mail_session(fd, id, "reuse/again");
	(void)close(fd);

	/* dup(): the same redirected socket under another number. */
	if ((fd = connect_dest(dest, dlen, "reuse/dup")) < 0)
		return (-1);
	fd2 = dup(fd);
	check_peername(fd2, dest, dlen, "reuse/dup");
	/* dup2() of the redirected socket over a plain connected one. */
	plain = socket(AF_INET, SOCK_STREAM, 0);
	b = connect_local(plain, lfd, &ls, llen);
	check(b >= 0 && dup2(fd, plain) == plain, "reuse/dup2-onto: dup2() "
	    "of the redirected socket over a plain connected socket");
	check_peername(plain, dest, dlen, "reuse/dup2-onto");
	(void)close(plain);
	if (b >= 0)
		(void)close(b);
	(void)close(fd);
	msgid(id, sizeof(id), base, "dup");
	(void)mail_session(fd2, id, "reuse/dup");

	/* dup2() of another socket over the redirected fd. */
	other = socket(AF_INET, SOCK_STREAM, 0);
	b = connect_local(other, lfd, &ls, llen);
	check(b >= 0 && dup2(other, fd2) == fd2, "reuse/dup2-over: dup2() of "
	    "a plain connected socket over the redirected fd %d", fd2);
	check_peername(fd2, &ls, llen, "reuse/dup2-over");
	(void)close(fd2);
	(void)close(other);
	if (b >= 0)
		(void)close(b);
	(void)close(lfd);
	return (0);
}

/* ------------------------------------------------------------------ */
/* threads */

struct worker {
	pthread_t t;
	int idx, fd, ret, err, mailed;
	const struct sockaddr_storage *dest;
	socklen_t dlen;
	const char *base;
};

static int go;

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char id[300], tag[32];

	/* No libc call before connect(): spin until all are ready. */
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	w->ret = connect(w->fd, (const struct sockaddr *)w->dest, w->dlen);
	w->err = errno;
	if (w->ret != 0)
		return (NULL);
	(void)snprintf(tag, sizeof(tag), "threads/%d", w->idx);
	(void)snprintf(id, sizeof(id), "%s.t%d@probe.test", w->base, w->idx);
	w->mailed = mail_session(w->fd, id, tag) == 0;
	return (NULL);
}

static int
cmd_threads(int n, const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	static struct worker w[MAXTHREADS];
	int i, ok = 0, connected = 0;

	for (i = 0; i < n; i++) {
		w[i].idx = i;
		w[i].dest = dest;
		w[i].dlen = dlen;
		w[i].base = base;
		w[i].ret = -1;
		if ((w[i].fd = socket(dest->ss_family, SOCK_STREAM, 0)) < 0)
			return (check(0, "threads: socket: %s",
			    strerror(errno)));
	}
	for (i = 0; i < n; i++)
		if (pthread_create(&w[i].t, NULL, worker_main, &w[i]) != 0)
			return (check(0, "threads: pthread_create failed"));
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		(void)pthread_join(w[i].t, NULL);
		if (w[i].ret == 0)
			connected++;
		else
			check(0, "threads/%d: connect() failed: %s", i,
			    strerror(w[i].err));
		ok += w[i].mailed;
		(void)close(w[i].fd);
	}
	check(connected == n, "threads: %d of %d first-call connect()s "
	    "succeeded", connected, n);
	check(ok == n, "threads: %d of %d messages accepted", ok, n);
	return (0);
}

/* ------------------------------------------------------------------ */
/* ctor, dlsym: what the test libraries left for us */

struct probe_ctor_result {
	int ran, fd, ret, err;
};

static int
cmd_ctor(const struct sockaddr_storage *dest, socklen_t dlen, const char *base)
{
	const struct probe_ctor_result *res;
	char id[300], nb[32];

	res = dlsym(RTLD_DEFAULT, "probe_ctor_result");
	if (!check(res != NULL, "ctor: libprobe_ctor.so is loaded"))
		return (-1);
	if (!check(res->ran, "ctor: its constructor ran and called connect()"))
		return (-1);
	if (!check(res->ret == 0, "ctor: connect() from the constructor "
	    "returned %s", errname(res->ret, res->err, nb, sizeof(nb))))
		return (-1);
	check_peername(res->fd, dest, dlen, "ctor");
	msgid(id, sizeof(id), base, NULL);
	(void)mail_session(res->fd, id, "ctor");
	(void)close(res->fd);
	return (0);
}

static int
cmd_dlsym(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	const int *faked;
	char id[300];
	int fd;

	fd = connect_dest(dest, dlen, "dlsym");
	if (fd >= 0) {
		check(1, "dlsym: connect() returned (no recursion, no stack "
		    "overflow)");
		check_peername(fd, dest, dlen, "dlsym");
		msgid(id, sizeof(id), base, NULL);
		(void)mail_session(fd, id, "dlsym");
		(void)close(fd);
	}
	faked = dlsym(RTLD_DEFAULT, "probe_dlsym_faked");
	check(faked != NULL && *faked > 0, "dlsym: the shim was handed its "
	    "own connect() by dlsym(RTLD_NEXT) (%d time(s))",
	    faked != NULL ? *faked : -1);
	return (0);
}

/* ------------------------------------------------------------------ */
/* nochild, sigchld-ign, atfork, subreaper */

static volatile sig_atomic_t nchld, npipe;

static void
on_chld(int sig)
{

	(void)sig;
	nchld++;
}

static void
on_pipe(int sig)
{

	(void)sig;
	npipe++;
}

/* The helper for fd is not our child; report its parent. */
static pid_t
check_not_child(int fd, const char *tag)
{
	pid_t h, pp = -1;
	char st;

	h = find_helper(fd, 2000);
	if (!check(h > 0, "%s: the helper process for the socket exists",
	    tag))
		return (-1);
	(void)proc_stat(h, &st, &pp);
	check(pp != getpid(), "%s: helper %ld is not our child (its parent "
	    "is %ld)", tag, (long)h, (long)pp);
	return (h);
}

struct waiter {
	pthread_t t;
	pid_t got;
	int status, err;
	int done;
};

/* A thread that loops in a blocking waitpid(-1), as some hosts do. */
static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	pid_t p;

	while ((p = waitpid(-1, &w->status, 0)) < 0 && errno == EINTR)
		;
	w->got = p;
	w->err = p < 0 ? errno : 0;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return (NULL);
}

static int
cmd_nochild(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct sigaction sa;
	struct waiter w;
	struct smtp c;
	char id[300];
	pid_t h, child, r;
	int fd, st, e, p[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGCHLD, &sa, NULL);

	/* Phase a: no children of our own. */
	if ((fd = connect_dest(dest, dlen, "nochild/a")) < 0)
		return (-1);
	h = check_not_child(fd, "nochild/a");
	errno = 0;
	r = wait(&st);
	e = errno;
	check(r == -1 && e == ECHILD, "nochild/a: wait() returns -1/ECHILD "
	    "while the helper runs (got %ld/%s)", (long)r, strerrorname_np(e));
	r = waitpid(-1, &st, WNOHANG);
	e = errno;
	check(r == -1 && e == ECHILD, "nochild/a: waitpid(-1, WNOHANG) "
	    "returns -1/ECHILD (got %ld/%s)", (long)r, strerrorname_np(e));
	r = waitpid(-1, &st, WNOHANG | __WALL);
	e = errno;
	check(r == -1 && e == ECHILD, "nochild/a: waitpid(-1, WNOHANG|__WALL) "
	    "finds no clone child either (got %ld/%s)", (long)r,
	    strerrorname_np(e));
	msgid(id, sizeof(id), base, "a");
	(void)mail_session(fd, id, "nochild/a");
	(void)close(fd);
	check(h < 0 || wait_gone(h, 10000), "nochild/a: the helper exited "
	    "after QUIT");
	sleep_ms(300);
	check(nchld == 0, "nochild/a: the SIGCHLD handler was never called "
	    "(%d)", (int)nchld);
	check(count_children() == 0, "nochild/a: no process (zombie or not) "
	    "has us as its parent");

	/* Phase b: a child of our own, and a thread blocked in waitpid(-1)
	 * that must get that child and nothing else. */
	if (pipe2(p, O_CLOEXEC) != 0)
		return (check(0, "nochild/b: pipe: %s", strerror(errno)));
	(void)fflush(stdout);
	if ((child = fork()) == 0) {
		char b;

		(void)close(p[1]);
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(7);
	}
	(void)close(p[0]);
	memset(&w, 0, sizeof(w));
	(void)pthread_create(&w.t, NULL, waiter_main, &w);
	sleep_ms(100);
	if ((fd = connect_dest(dest, dlen, "nochild/b")) >= 0) {
		h = check_not_child(fd, "nochild/b");
		r = waitpid(-1, &st, WNOHANG);
		check(r == 0, "nochild/b: waitpid(-1, WNOHANG) returns 0 while "
		    "only our own child runs (got %ld)", (long)r);
		smtp_init(&c, fd);
		msgid(id, sizeof(id), base, "b");
		if (smtp_hello(&c, "nochild/b") == 0 &&
		    smtp_message(&c, id, "nochild/b") == 0)
			(void)smtp_step(&c, "QUIT", 221, "nochild/b");
		(void)close(fd);
		check(h < 0 || wait_gone(h, 10000), "nochild/b: the helper "
		    "exited after QUIT");
	}
	sleep_ms(300);
	check(!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE), "nochild/b: the "
	    "thread blocked in waitpid(-1) is still waiting: it reaped "
	    "nothing of submitify's");
	check(nchld == 0, "nochild/b: no SIGCHLD yet (%d)", (int)nchld);
	(void)close(p[1]);
	(void)pthread_join(w.t, NULL);
	check(w.got == child && WIFEXITED(w.status) &&
	    WEXITSTATUS(w.status) == 7, "nochild/b: waitpid(-1) returned our "
	    "child %ld with status 7 (got %ld, status %d)", (long)child,
	    (long)w.got, WIFEXITED(w.status) ? WEXITSTATUS(w.status) : -1);
	sleep_ms(100);
	check(nchld == 1, "nochild/b: exactly one SIGCHLD, for our child (%d)",
	    (int)nchld);
	return (0);
}

static int
cmd_sigchld_ign(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct sigaction old;
	char id[300];
	pid_t child, r;
	int fd, e;

	(void)signal(SIGCHLD, SIG_IGN);
	if ((fd = connect_dest(dest, dlen, "sigchld-ign")) < 0)
		return (-1);
	check(1, "sigchld-ign: connect() returned with SIGCHLD ignored");
	(void)check_not_child(fd, "sigchld-ign");
	msgid(id, sizeof(id), base, NULL);
	(void)mail_session(fd, id, "sigchld-ign");
	(void)close(fd);
	(void)sigaction(SIGCHLD, NULL, &old);
	check(old.sa_handler == SIG_IGN, "sigchld-ign: SIGCHLD is still "
	    "ignored after connect()");
	check(count_children() == 0, "sigchld-ign: no process (zombie or not) "
	    "has us as its parent");
	/* Ignoring SIGCHLD still means what it means: our children are
	 * reaped by the kernel, and waitpid() for one finds nothing. */
	(void)fflush(stdout);
	if ((child = fork()) == 0)
		_exit(3);
	r = waitpid(child, NULL, 0);
	e = errno;
	check(r == -1 && e == ECHILD, "sigchld-ign: our own exited child was "
	    "reaped by the kernel (waitpid: %ld/%s)", (long)r,
	    strerrorname_np(e));
	return (0);
}

static volatile int n_prepare, n_parent, n_child;

static void at_prepare(void) { n_prepare++; }
static void at_parent(void) { n_parent++; }
static void at_child(void) { n_child++; }

static int
cmd_atfork(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	char id[300];
	pid_t child;
	int fd, st;

	(void)pthread_atfork(at_prepare, at_parent, at_child);
	if ((fd = connect_dest(dest, dlen, "atfork")) < 0)
		return (-1);
	check(n_prepare == 0 && n_parent == 0 && n_child == 0,
	    "atfork: no pthread_atfork handler ran for the helper's start "
	    "(prepare %d, parent %d, child %d)", n_prepare, n_parent, n_child);
	msgid(id, sizeof(id), base, NULL);
	(void)mail_session(fd, id, "atfork");
	(void)close(fd);
	check(n_prepare == 0 && n_parent == 0 && n_child == 0,
	    "atfork: still none after the session");
	/* The handlers are live: our own fork() runs them. */
	(void)fflush(stdout);
	if ((child = fork()) == 0)
		_exit(n_child);
	st = 0;
	(void)waitpid(child, &st, 0);
	check(n_prepare == 1 && n_parent == 1 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 1, "atfork: our own fork() runs them once "
	    "each (prepare %d, parent %d, child %d)", n_prepare, n_parent,
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return (0);
}

/*
 * A host that is a child subreaper.  The helper's starter exits at once,
 * and the kernel hands an orphan to the nearest subreaper ancestor: this
 * host.  Nothing a descendant does can avoid that, so here the helper does
 * become our child (wait() reaps it, SIGCHLD arrives).  Mail must work all
 * the same; what happened to the helper is printed as notes.
 */
static int
cmd_subreaper(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	char id[300], st;
	pid_t h, pp = -1, r;
	long long until;
	int fd, status = 0;

	if (!check(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "subreaper: "
	    "PR_SET_CHILD_SUBREAPER"))
		return (-1);
	if ((fd = connect_dest(dest, dlen, "subreaper")) < 0)
		return (-1);
	h = find_helper(fd, 2000);
	if (h > 0)
		(void)proc_stat(h, &st, &pp);
	msgid(id, sizeof(id), base, NULL);
	(void)mail_session(fd, id, "subreaper");
	(void)close(fd);
	note("subreaper: the helper %ld has parent %ld; we are %ld%s", (long)h,
	    (long)pp, (long)getpid(), pp == getpid() ? ": reparented to this "
	    "subreaper host (cannot be avoided)" : "");
	until = now_ms() + 10000;
	r = 0;
	while (h > 0 && pp == getpid() && now_ms() < until &&
	    (r = waitpid(h, &status, WNOHANG)) == 0)
		sleep_ms(20);
	if (r == h)
		note("subreaper: this host reaped the helper (exit status %d)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return (0);
}

/* ------------------------------------------------------------------ */
/* fds, signals, helper-kill */

static void append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append to the string in buf, truncating at size. */
static void
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static int
cmd_fds(const struct sockaddr_storage *dest, socklen_t dlen, const char *base)
{
	struct sockaddr_storage ls;
	socklen_t llen;
	struct smtp c;
	struct stat pst, fst, lst, hst;
	char id[300], path[300], link[PATH_MAX], list[2048], self[PATH_MAX];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	pid_t h;
	int p[2], file, lfd, fd, leaked = 0, ev, nul01 = 0;
	char b;

	/* Descriptors the host holds without FD_CLOEXEC, as many do. */
	if (pipe(p) != 0 || (file = open("/proc/self/exe", O_RDONLY)) < 0)
		return (check(0, "fds: pipe/open: %s", strerror(errno)));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if ((lfd = local_listener(&ls, &llen)) >= 0)
		(void)fcntl(lfd, F_SETFD, 0);
	(void)fstat(p[1], &pst);
	(void)fstat(file, &fst);
	if (lfd >= 0)
		(void)fstat(lfd, &lst);

	if ((fd = connect_dest(dest, dlen, "fds")) < 0)
		return (-1);
	h = check_not_child(fd, "fds");
	smtp_init(&c, fd);
	if (smtp_hello(&c, "fds") != 0 || h < 0)
		return (-1);
	check_no_shim(h, "fds");

	/* Every descriptor of the helper: none of ours. */
	list[0] = '\0';
	(void)snprintf(path, sizeof(path), "/proc/%ld/fd", (long)h);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			(void)snprintf(path, sizeof(path), "/proc/%ld/fd/%s",
			    (long)h, de->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			link[n > 0 ? n : 0] = '\0';
			append(list, sizeof(list), "%s%s=%s", list[0] ? " " :
			    "", de->d_name, link);
			if (stat(path, &hst) == 0 &&
			    ((hst.st_ino == pst.st_ino &&
			    hst.st_dev == pst.st_dev) ||
			    (hst.st_ino == fst.st_ino &&
			    hst.st_dev == fst.st_dev) ||
			    (lfd >= 0 && hst.st_ino == lst.st_ino &&
			    hst.st_dev == lst.st_dev)))
				leaked++;
			if ((strcmp(de->d_name, "0") == 0 ||
			    strcmp(de->d_name, "1") == 0) &&
			    strcmp(link, "/dev/null") == 0)
				nul01++;
		}
		(void)closedir(d);
	}
	check(list[0] != '\0' && leaked == 0, "fds: the helper holds none of "
	    "our pipe, file (%s) or listening socket: %s", self, list);
	check(nul01 == 2, "fds: the helper's fds 0 and 1 are /dev/null, not "
	    "ours");

	/* The pipe's reader sees EOF once we close the write end, while
	 * the helper is still there. */
	(void)close(p[1]);
	ev = io_wait(p[0], POLLIN, 3000);
	check(ev > 0 && read(p[0], &b, 1) == 0, "fds: EOF on our pipe at once "
	    "after we closed its write end");
	check(proc_alive(h), "fds: ... while the helper %ld is alive",
	    (long)h);

	msgid(id, sizeof(id), base, NULL);
	if (smtp_message(&c, id, "fds") == 0)
		(void)smtp_step(&c, "QUIT", 221, "fds");
	(void)close(fd);
	(void)close(p[0]);
	(void)close(file);
	if (lfd >= 0)
		(void)close(lfd);
	return (0);
}

#define SIGBIT(s)	(1ULL << ((s) - 1))

/* After the helper went away, the host reads EOF or ECONNRESET. */
static void
check_eof(int fd, const char *tag)
{
	char buf[512];
	ssize_t r;
	int e = 0, ev;

	ev = io_wait(fd, POLLIN, 5000);
	do {
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		e = errno;
	} while (r > 0);
	check(ev > 0 && (r == 0 || (r < 0 && e == ECONNRESET)),
	    "%s: the host reads %s", tag, r == 0 ? "EOF" : r < 0 ?
	    strerrorname_np(e) : "data");
}

static int
cmd_signals(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct sigaction sa, old;
	sigset_t set;
	struct smtp c;
	unsigned long long ign, blk, cgt;
	char id[300];
	pid_t h;
	int fd;

	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGUSR2);
	(void)sigaddset(&set, SIGWINCH);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((fd = connect_dest(dest, dlen, "signals")) < 0)
		return (-1);
	h = check_not_child(fd, "signals");
	smtp_init(&c, fd);
	if (smtp_hello(&c, "signals") != 0 || h < 0)
		return (-1);
	check_no_shim(h, "signals");
	ign = proc_status_hex(h, "SigIgn:");
	blk = proc_status_hex(h, "SigBlk:");
	cgt = proc_status_hex(h, "SigCgt:");
	check((ign & (SIGBIT(SIGTERM) | SIGBIT(SIGHUP) | SIGBIT(SIGINT))) == 0,
	    "signals: the helper does not ignore SIGTERM, SIGHUP, SIGINT as we "
	    "do (SigIgn %016llx)", ign);
	check((blk & (SIGBIT(SIGUSR2) | SIGBIT(SIGWINCH))) == 0,
	    "signals: the helper does not block SIGUSR2, SIGWINCH as we do "
	    "(SigBlk %016llx)", blk);
	check((cgt & SIGBIT(SIGUSR1)) == 0, "signals: no handler for SIGUSR1 "
	    "in the helper (SigCgt %016llx)", cgt);

	msgid(id, sizeof(id), base, NULL);
	if (smtp_message(&c, id, "signals") == 0) {
		/* A TERM for the helper, while its session is still open. */
		check(kill(h, SIGTERM) == 0, "signals: SIGTERM sent to the "
		    "helper %ld", (long)h);
		check(wait_gone(h, 5000), "signals: the helper died of SIGTERM "
		    "although we ignore it");
		check_eof(fd, "signals");
	}
	(void)sigaction(SIGTERM, NULL, &old);
	check(old.sa_handler == SIG_IGN, "signals: we still ignore SIGTERM");
	(void)close(fd);
	return (0);
}

static int
cmd_helper_kill(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct sockaddr_storage ss;
	struct sigaction sa;
	struct smtp c;
	socklen_t len;
	char id[300], nb[32];
	pid_t h;
	int fd, r, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_pipe;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);

	if ((fd = connect_dest(dest, dlen, "helper-kill")) < 0)
		return (-1);
	h = check_not_child(fd, "helper-kill");
	smtp_init(&c, fd);
	msgid(id, sizeof(id), base, "killed");
	if (h < 0 || smtp_hello(&c, "helper-kill") != 0 ||
	    smtp_start_data(&c, id, "helper-kill") != 0)
		return (-1);
	/* In the middle of DATA: no final dot will ever be sent. */
	check(kill(h, SIGKILL) == 0 && wait_gone(h, 5000), "helper-kill: the "
	    "helper %ld was killed during DATA", (long)h);
	check_eof(fd, "helper-kill");
	/* The shim's own calls on the dead connection write nothing. */
	len = sizeof(ss);
	(void)getpeername(fd, (struct sockaddr *)&ss, &len);
	errno = 0;
	r = connect(fd, (const struct sockaddr *)dest, dlen);
	e = errno;
	check(r == -1, "helper-kill: connect() again on the dead connection "
	    "fails (%s)", errname(r, e, nb, sizeof(nb)));
	sleep_ms(100);
	check(npipe == 0, "helper-kill: no SIGPIPE (%d)", (int)npipe);
	(void)close(fd);

	/* The host goes on: a new connection gets a new helper. */
	msgid(id, sizeof(id), base, "after");
	(void)send_one(dest, dlen, id, "helper-kill/after");
	check(npipe == 0, "helper-kill: still no SIGPIPE (%d)", (int)npipe);
	return (0);
}

/* ------------------------------------------------------------------ */
/* fork, fork-lock */

struct forker {
	const struct sockaddr_storage *dest;
	socklen_t dlen;
	const char *base;
	int mailed;
};

static int fork_go;

static void *
fork_thread(void *arg)
{
	struct forker *f = arg;
	char id[300];

	while (!__atomic_load_n(&fork_go, __ATOMIC_ACQUIRE))
		;
	msgid(id, sizeof(id), f->base, "thread");
	f->mailed = send_one(f->dest, f->dlen, id, "fork/thread") == 0;
	return (NULL);
}

static int
cmd_fork(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct forker f;
	pthread_t t;
	char id[300];
	pid_t child, r;
	int held, st = 0, e;

	/* One redirected socket first, held open across fork(). */
	if ((held = connect_dest(dest, dlen, "fork/pre")) < 0)
		return (-1);
	memset(&f, 0, sizeof(f));
	f.dest = dest;
	f.dlen = dlen;
	f.base = base;
	(void)pthread_create(&t, NULL, fork_thread, &f);
	(void)fflush(stdout);
	__atomic_store_n(&fork_go, 1, __ATOMIC_RELEASE);
	if ((child = fork()) == 0) {
		/* Only this thread runs here: a fresh lock for check(). */
		(void)pthread_mutex_init(&outlock, NULL);
		(void)close(held);
		nfail = 0;
		msgid(id, sizeof(id), base, "child");
		(void)send_one(dest, dlen, id, "fork/child");
		(void)fflush(stdout);
		_exit(nfail == 0 ? 0 : 1);
	}
	msgid(id, sizeof(id), base, "parent");
	(void)send_one(dest, dlen, id, "fork/parent");
	(void)pthread_join(t, NULL);
	check(f.mailed, "fork/thread: the thread connecting during fork() "
	    "sent its message");
	r = waitpid(child, &st, 0);
	check(r == child && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "fork: waitpid() returned our child with its own status 0 "
	    "(got %ld, status %d)", (long)r, WIFEXITED(st) ?
	    WEXITSTATUS(st) : -1);
	msgid(id, sizeof(id), base, "pre");
	(void)mail_session(held, id, "fork/pre");
	(void)close(held);
	r = waitpid(-1, &st, WNOHANG);
	e = errno;
	check(r == -1 && e == ECHILD, "fork: then waitpid(-1, WNOHANG) gives "
	    "-1/ECHILD (got %ld)", (long)r);
	return (0);
}

struct spinner {
	int fd, stop;
	long calls;
};

static void *
spin_getpeername(void *arg)
{
	struct spinner *s = arg;
	struct sockaddr_storage ss;
	socklen_t len;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		len = sizeof(ss);
		(void)getpeername(s->fd, (struct sockaddr *)&ss, &len);
		s->calls++;
	}
	return (NULL);
}

/* In a child of fork(): the shim's calls on the inherited redirected
 * socket must return; a child that hangs is ended by SIGALRM. */
static void forked_child(int, const struct sockaddr_storage *, socklen_t)
    __attribute__((noreturn));

static void
forked_child(int fd, const struct sockaddr_storage *dest, socklen_t dlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r1, r2;

	(void)alarm(3);
	r1 = getpeername(fd, (struct sockaddr *)&ss, &len);
	r2 = connect(fd, (const struct sockaddr *)dest, dlen);
	_exit(r1 == 0 && same_addr((struct sockaddr *)&ss, len,
	    (const struct sockaddr *)dest, dlen) && r2 == -1 &&
	    errno == EISCONN ? 0 : 1);
}

/*
 * With libprobe_dlsym.so in "lock" mode: a thread is stopped inside the
 * shim's critical section (its lock taken) for as long as fork() takes.
 * Returns 1 if that was done, 0 if the shim took no pthread mutex, -1 if
 * the library is not loaded.
 */
static int
fork_in_lock(int fd, const struct sockaddr_storage *dest, socklen_t dlen)
{
	int *armed, *inside, *release, st = 0;
	struct spinner s;
	long long until;
	pthread_t t;
	pid_t child;

	armed = dlsym(RTLD_DEFAULT, "probe_lock_armed");
	inside = dlsym(RTLD_DEFAULT, "probe_lock_inside");
	release = dlsym(RTLD_DEFAULT, "probe_lock_release");
	if (armed == NULL || inside == NULL || release == NULL)
		return (-1);
	s.fd = fd;
	s.stop = 0;
	s.calls = 0;
	__atomic_store_n(armed, 1, __ATOMIC_RELEASE);
	(void)pthread_create(&t, NULL, spin_getpeername, &s);
	until = now_ms() + 3000;
	while (!__atomic_load_n(inside, __ATOMIC_ACQUIRE) && now_ms() < until)
		sleep_ms(1);
	if (!__atomic_load_n(inside, __ATOMIC_ACQUIRE)) {
		/* The shim took no pthread mutex in getpeername(). */
		__atomic_store_n(armed, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
		(void)pthread_join(t, NULL);
		note("fork-lock: no pthread_mutex_lock() of the shim's reached "
		    "libprobe_dlsym.so (none taken, or a sanitizer's came "
		    "first); nothing to hold");
		return (0);
	}
	(void)fflush(stdout);
	if ((child = fork()) == 0)
		forked_child(fd, dest, dlen);
	__atomic_store_n(release, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	(void)pthread_join(t, NULL);
	while (child > 0 && waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	check(child > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "fork-lock/held: a child forked while another thread held the "
	    "shim's lock: getpeername() and connect() returned in it (%s)",
	    child < 0 ? "fork failed" : WIFSIGNALED(st) && WTERMSIG(st) ==
	    SIGALRM ? "it hung and SIGALRM ended it after 3 s" :
	    WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "it did" :
	    "wrong results");
	return (1);
}

/*
 * connect() and getpeername() are async-signal-safe: a child forked by a
 * threaded host may call them before exec.  First a deterministic case
 * (with libprobe_dlsym.so in "lock" mode), then the same by chance:
 * another thread is inside the shim's getpeername() the whole time while
 * the host forks; every child calls getpeername() and connect() on the
 * inherited redirected socket and must return.
 */
static int
cmd_fork_lock(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base)
{
	struct spinner s;
	pthread_t t;
	long long until;
	char id[300];
	pid_t child;
	int forks = 0, hung = 0, bad = 0, st;

	if ((s.fd = connect_dest(dest, dlen, "fork-lock")) < 0)
		return (-1);
	if (fork_in_lock(s.fd, dest, dlen) < 0)
		note("fork-lock: libprobe_dlsym.so (PROBE_DLSYM_MODE=lock) is "
		    "not loaded: only the chance case runs");
	s.stop = 0;
	s.calls = 0;
	(void)pthread_create(&t, NULL, spin_getpeername, &s);
	(void)fflush(stdout);
	/* PROBE_FORKLOCK_MS: how long to keep forking (default 3 s). */
	until = now_ms() + (getenv("PROBE_FORKLOCK_MS") != NULL ?
	    atol(getenv("PROBE_FORKLOCK_MS")) : 3000);
	while (now_ms() < until && hung == 0) {
		if ((child = fork()) == 0)
			forked_child(s.fd, dest, dlen);
		if (child < 0)
			break;
		forks++;
		while (waitpid(child, &st, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			hung++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	(void)pthread_join(t, NULL);
	check(forks > 0 && hung == 0, "fork-lock/chance: %d children forked "
	    "while another thread was in getpeername() (%ld calls); %d hung "
	    "in the shim (a hang is found by chance, not on every run)",
	    forks, s.calls, hung);
	check(bad == 0, "fork-lock/chance: in every child getpeername() gave "
	    "the destination and connect() again -1/EISCONN (%d did not)",
	    bad);
	msgid(id, sizeof(id), base, NULL);
	(void)mail_session(s.fd, id, "fork-lock");
	(void)close(s.fd);
	return (0);
}

/* ------------------------------------------------------------------ */
/* stderr-moved */

/*
 * A daemon closes fd 2 and the number is reused.  Phase 0 is the control:
 * with fd 2 intact and SUBMITIFY_DEBUG=1 the helper writes its transcript
 * there (the script checks our stderr).  Phase 1: fd 2 becomes the SMTP
 * socket itself, so any line the helper wrote to "stderr" would corrupt
 * the session.  Phase 2: fd 2 becomes FILE, which must stay empty.
 */
static int
cmd_stderr_moved(const struct sockaddr_storage *dest, socklen_t dlen,
    const char *base, const char *file)
{
	struct stat st;
	char id[300];
	pid_t h;
	int fd, f;

	(void)setenv("SUBMITIFY_DEBUG", "1", 1);
	msgid(id, sizeof(id), base, "control");
	if ((fd = connect_dest(dest, dlen, "stderr-moved/control")) < 0)
		return (-1);
	h = find_helper(fd, 2000);
	(void)mail_session(fd, id, "stderr-moved/control");
	(void)close(fd);
	if (h > 0)
		(void)wait_gone(h, 10000);

	(void)close(2);
	fd = socket(dest->ss_family, SOCK_STREAM, 0);
	check(fd == 2, "stderr-moved/socket: the SMTP socket got fd 2 (%d)",
	    fd);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)dest, dlen) == 0) {
		h = find_helper(fd, 2000);
		msgid(id, sizeof(id), base, "socket");
		(void)mail_session(fd, id, "stderr-moved/socket");
		if (h > 0)
			(void)wait_gone(h, 10000);
	} else
		check(0, "stderr-moved/socket: connect() failed");
	(void)close(fd);

	f = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(f == 2, "stderr-moved/file: %s opened as fd 2 (%d)", file, f);
	msgid(id, sizeof(id), base, "file");
	if ((fd = connect_dest(dest, dlen, "stderr-moved/file")) >= 0) {
		h = find_helper(fd, 2000);
		(void)mail_session(fd, id, "stderr-moved/file");
		(void)close(fd);
		check(h > 0 && wait_gone(h, 10000), "stderr-moved/file: the "
		    "helper exited");
	}
	check(fstat(f, &st) == 0 && st.st_size == 0, "stderr-moved/file: "
	    "nothing was written to the file that took fd 2 (%lld bytes)",
	    (long long)st.st_size);
	return (0);
}

/* ------------------------------------------------------------------ */
/* Tools for the scripts */

/*
 * racer FD OUTFILE GATEFILE: connect, from this process, to the listener
 * that FD is (the helper's fd 3, when run from a SUBMITIFY_HELPER wrapper),
 * then create GATEFILE, then record in OUTFILE whether anything arrives
 * within 10 s.  OUTFILE: "connect=ok bytes=N data=<first bytes>" or
 * "connect=ERRNAME".
 */
static int
cmd_racer(int lfd, const char *out, const char *gate)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[512], tmp[PATH_MAX], printable[520], addr[80];
	ssize_t r, total = 0;
	size_t i;
	FILE *f;
	int fd, e = 0, ev, g;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(lfd, (struct sockaddr *)&ss, &len) != 0)
		e = errno;
	(void)close(lfd);
	fd = e == 0 ? socket(ss.ss_family, SOCK_STREAM, 0) : -1;
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) != 0) {
		e = errno;
		(void)close(fd);
		fd = -1;
	}
	if ((g = open(gate, O_WRONLY | O_CREAT, 0644)) >= 0)
		(void)close(g);
	printable[0] = '\0';
	if (fd >= 0) {
		/* Whatever arrives, until EOF, an error or 10 s. */
		while ((ev = io_wait(fd, POLLIN, 10000)) > 0) {
			r = recv(fd, buf, sizeof(buf), 0);
			if (r <= 0) {
				e = r < 0 ? errno : 0;
				break;
			}
			for (i = 0; i < (size_t)r && total + (ssize_t)i <
			    (ssize_t)sizeof(printable) - 1; i++)
				printable[total + (ssize_t)i] =
				    buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.';
			printable[total + (ssize_t)i] = '\0';
			total += r;
		}
		(void)close(fd);
	}
	fmt_addr((struct sockaddr *)&ss, addr, sizeof(addr));
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	if ((f = fopen(tmp, "w")) == NULL)
		return (1);
	if (fd >= 0 || total > 0)
		fprintf(f, "listener=%s connect=ok bytes=%ld end=%s data=%s\n",
		    addr, (long)total, e != 0 ? strerrorname_np(e) : "eof",
		    printable);
	else
		fprintf(f, "listener=%s connect=%s bytes=0\n", addr,
		    e != 0 ? strerrorname_np(e) : "?");
	(void)fclose(f);
	return (rename(tmp, out) == 0 ? 0 : 1);
}

/* listen-silent PORTFILE SECS: a server that accepts and never speaks. */
static int
cmd_listen_silent(const char *portfile, long secs)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
	socklen_t len;
	long long until = now_ms() + secs * 1000;
	char tmp[PATH_MAX];
	FILE *f;
	int lfd, held[64], nheld = 0;

	if ((lfd = local_listener(&ss, &len)) < 0)
		return (1);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
	if ((f = fopen(tmp, "w")) == NULL)
		return (1);
	fprintf(f, "%u\n", ntohs(sin->sin_port));
	(void)fclose(f);
	if (rename(tmp, portfile) != 0)
		return (1);
	while (now_ms() < until) {
		if (nheld == 64) {
			sleep_ms(100);
			continue;
		}
		if (io_wait(lfd, POLLIN, (long)(until - now_ms())) <= 0)
			continue;
		if ((held[nheld] = accept(lfd, NULL, NULL)) >= 0)
			nheld++;
	}
	return (0);
}

/* ------------------------------------------------------------------ */

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{

	fprintf(stderr, "usage: probe SUBCOMMAND ARGS... (see probe.c)\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage dest, dest2;
	socklen_t dlen, dlen2;
	const char *cmd;
	int n;

	if (argc < 2)
		usage();
	cmd = argv[1];
	(void)setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(cmd, "racer") == 0 && argc == 5)
		return (cmd_racer(atoi(argv[2]), argv[3], argv[4]));
	if (strcmp(cmd, "listen-silent") == 0 && argc == 4)
		return (cmd_listen_silent(argv[2], atol(argv[3])));

	/* A bound on every host scenario: SIGALRM's default action. */
	(void)alarm(WATCHDOG_S);
	printf("probe %s: pid %ld\n", cmd, (long)getpid());
	if (strcmp(cmd, "siginit") == 0 && argc == 2)
		(void)cmd_siginit();
	else if (strcmp(cmd, "reuseopt") == 0) {
		if (argc != 6 || (n = atoi(argv[5])) < 1 ||
		    parse_host(argv[2], 25, &dest, &dlen) != 0)
			usage();
		(void)cmd_reuseopt(&dest, dlen, argv[3], argv[4], n);
	} else if (strcmp(cmd, "threads") == 0) {
		if (argc != 5 || (n = atoi(argv[2])) < 1 || n > MAXTHREADS ||
		    parse_host(argv[3], 25, &dest, &dlen) != 0)
			usage();
		(void)cmd_threads(n, &dest, dlen, argv[4]);
	} else {
		if (argc < 3 || parse_host(argv[2], 25, &dest, &dlen) != 0)
			usage();
		if (strcmp(cmd, "nonblock-stall") == 0 && argc == 3)
			(void)cmd_nonblock_stall(&dest, dlen);
		else if (argc < 4)
			usage();
		else if (strcmp(cmd, "send") == 0 && argc == 4)
			(void)cmd_send(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "options") == 0 && argc == 4)
			(void)cmd_options(&dest, dlen, argv[3], 0);
		else if (strcmp(cmd, "options") == 0 && argc == 5 &&
		    strcmp(argv[4], "bind") == 0)
			(void)cmd_options(&dest, dlen, argv[3], 1);
		else if (strcmp(cmd, "nonblock") == 0 && argc == 4)
			(void)cmd_nonblock(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "reuse") == 0 && argc == 4) {
			/* The second destination: same family, other host. */
			(void)parse_host(dest.ss_family == AF_INET ?
			    "198.51.100.25" : "2001:db8::2:25", 25, &dest2,
			    &dlen2);
			(void)cmd_reuse(&dest, dlen, &dest2, dlen2, argv[3]);
		} else if (strcmp(cmd, "ctor") == 0 && argc == 4)
			(void)cmd_ctor(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "dlsym") == 0 && argc == 4)
			(void)cmd_dlsym(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "nochild") == 0 && argc == 4)
			(void)cmd_nochild(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "sigchld-ign") == 0 && argc == 4)
			(void)cmd_sigchld_ign(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "atfork") == 0 && argc == 4)
			(void)cmd_atfork(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "subreaper") == 0 && argc == 4)
			(void)cmd_subreaper(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "fds") == 0 && argc == 4)
			(void)cmd_fds(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "signals") == 0 && argc == 4)
			(void)cmd_signals(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "helper-kill") == 0 && argc == 4)
			(void)cmd_helper_kill(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "fork") == 0 && argc == 4)
			(void)cmd_fork(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "fork-lock") == 0 && argc == 4)
			(void)cmd_fork_lock(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "fdlimit") == 0 && argc == 4)
			(void)cmd_fdlimit(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "closedfds") == 0 && argc == 4)
			(void)cmd_closedfds(&dest, dlen, argv[3]);
		else if (strcmp(cmd, "stderr-moved") == 0 && argc == 5)
			(void)cmd_stderr_moved(&dest, dlen, argv[3], argv[4]);
		else
			usage();
	}
	printf("%s: %s\n", cmd, nfail == 0 ? "all checks held" :
	    "SOME CHECKS FAILED");
	return (nfail == 0 ? 0 : 1);
}
