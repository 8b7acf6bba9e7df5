/*
 * warmd: the warm helper.  One process per uid and namespace pair; each
 * session runs in a child forked for it, so a crash or a hostile server
 * ends that session alone.  Between sessions nothing is kept but the TLS
 * sessions to resume, each under a key this process computes from the
 * account it chose itself: a session process can only hand back a ticket
 * for the key it was forked with, and only before it hears the program.
 */
#define _GNU_SOURCE
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "contract.h"
#include "crypto.h"
#include "log.h"
#include "serve.h"
#include "session.h"
#include "tls.h"
#include "util.h"
#include "warm.h"
#include "warmd.h"
#include "weaken.h"

extern char **environ;

#define MAX_KIDS	512		/* sessions at once; more go cold */
#define MAX_CACHE	16		/* keys: a TLS session and a client each */
#define TICKET_MAX	16384		/* one session, DER */
#define TICKET_TTL_MS	(2LL * 3600 * 1000)
#define PEER_WAIT_MS	500		/* for a request after connect() */
#define CHECK_MS	2000		/* how often the socket is looked at */
#define CHOOSE_S	2		/* to read the configuration */

/* A session process that may still report a TLS session for key. */
struct kid {
	int rfd;			/* its report pipe */
	unsigned char key[32];
	unsigned char *buf;		/* a report as it arrives */
	size_t have;
};

/* What is kept for one key: the last TLS session and a prepared client. */
struct ticket {
	int used;
	unsigned char key[32];
	unsigned char *der;		/* the session, or NULL */
	size_t len;
	long long at;			/* when the session came */
	long long touched;		/* when the key was last used */
	struct tlsc *client;		/* trust store loaded, or NULL */
};

/* The room for a session process's command line (set_title). */
static char *title;
static size_t title_room;

static struct warm_place here;	/* where this warm helper runs */
static struct kid kids[MAX_KIDS];
static size_t nkids;
static struct ticket cache[MAX_CACHE];
static unsigned long sessions, active;

pid_t
warmd_start(const char *path, int idle_s)
{
	char idle[16], where[WARM_PATH_MAX], *argv[6], *envp[4], **e;
	char room[sizeof(WARMD_ROOM_VAR) + WARMD_ROOM], self[PATH_MAX];
	ssize_t len;
	pid_t pid;
	int nul, n = 0;

	(void)snprintf(idle, sizeof(idle), "%d", idle_s);
	(void)snprintf(where, sizeof(where), "%s", path);
	if ((pid = fork()) != 0)
		return (pid);
	/* The intermediate: a session of its own, then gone. */
	(void)setsid();
	if (fork() != 0)
		_exit(0);
	nul = open("/dev/null", O_RDWR);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 ||
	    dup2(nul, 2) < 0)
		_exit(1);
	(void)syscall(SYS_close_range, 3U, ~0U, 0U);
	argv[0] = (char *)"submitify-helper";
	argv[1] = (char *)WARMD_OPT_SERVE;
	argv[2] = where;
	argv[3] = (char *)WARMD_OPT_IDLE;
	argv[4] = idle;
	argv[5] = NULL;
	/* Nothing of this session's environment: each request brings its
	 * own.  A sanitizer's settings alone go on. */
	for (e = environ; *e != NULL && n < 2; e++)
		if (strncmp(*e, "ASAN_OPTIONS=", 13) == 0 ||
		    strncmp(*e, "UBSAN_OPTIONS=", 14) == 0)
			envp[n++] = *e;
	/* Room after the arguments for each session process to say which
	 * connection it serves, as a cold helper's command line does. */
	memcpy(room, WARMD_ROOM_VAR, sizeof(WARMD_ROOM_VAR) - 1);
	memset(room + sizeof(WARMD_ROOM_VAR) - 1, '.', WARMD_ROOM);
	room[sizeof(room) - 1] = '\0';
	envp[n++] = room;
	envp[n] = NULL;
	/* The file this program was run from, by its name: under a tool
	 * such as valgrind, /proc/self/exe would be the tool. */
	if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[len] = '\0';
		(void)execve(self, argv, envp);
	}
	(void)execve("/proc/self/exe", argv, envp);
	_exit(127);
}

/* A file's identity, as text: a changed file keys another session. */
static void
put_file(char *buf, size_t len, const char *what, const char *path)
{
	struct stat st;
	size_t n = strlen(buf);

	if (path == NULL) {
		(void)snprintf(buf + n, len - n, "%s=-\n", what);
		return;
	}
	if (stat(path, &st) != 0)
		memset(&st, 0, sizeof(st));
	(void)snprintf(buf + n, len - n, "%s=%s %llu %llu %lld %lld.%ld "
	    "%lld.%ld\n", what, path, (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino, (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/*
 * The resumption key of account a: every setting that decides where the
 * connection goes, how the server is verified and who the client is.
 * Files count by name and by content's identity (inode, size, times).
 */
static int
tls_key(const struct conf_account *a, unsigned char key[32])
{
	char buf[8192], fp[65], cafile[PATH_MAX], cadir[PATH_MAX];
	size_t i;
	int n;

	if (!a->tls)
		return (-1);
	for (i = 0; i < 32; i++)
		(void)snprintf(fp + 2 * i, 3, "%02x", a->fingerprint[i]);
	n = snprintf(buf, sizeof(buf), "uid=%lu\nhost=%s\nport=%d\n"
	    "starttls=%d\noverride=%s\ncertcheck=%d\npin=%s\nlegacy=%d\n"
	    "prio=%s\ndh=%d\nproxy=%s:%d\nsource=%s\nsocket=%s\n",
	    (unsigned long)getuid(), a->host, a->port, a->starttls,
	    a->host_override != NULL ? a->host_override : "-", a->certcheck,
	    a->has_fingerprint ? fp : "-", a->tls_legacy,
	    a->priorities != NULL ? a->priorities : "-", a->min_dh_bits,
	    a->proxy_host != NULL ? a->proxy_host : "-", a->proxy_port,
	    a->source_ip != NULL ? a->source_ip : "-",
	    a->socket_path != NULL ? a->socket_path : "-");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return (-1);
	if (a->trust_file != NULL)
		put_file(buf, sizeof(buf), "trust", a->trust_file);
	else {
		tlsc_default_store(cafile, sizeof(cafile), cadir,
		    sizeof(cadir));
		put_file(buf, sizeof(buf), "cafile", cafile);
		put_file(buf, sizeof(buf), "cadir", cadir);
	}
	put_file(buf, sizeof(buf), "crl", a->crl_file);
	put_file(buf, sizeof(buf), "cert", a->cert_file);
	put_file(buf, sizeof(buf), "key", a->key_file);
	if (strlen(buf) >= sizeof(buf) - 1)
		return (-1);
	return (crypto_sha256(buf, strlen(buf), key));
}

/* The entry for key, or NULL; a session too old is dropped from it. */
static struct ticket *
cache_find(const unsigned char key[32])
{
	size_t i;

	for (i = 0; i < MAX_CACHE; i++) {
		if (!cache[i].used || memcmp(cache[i].key, key, 32) != 0)
			continue;
		if (cache[i].der != NULL &&
		    now_ms() - cache[i].at > TICKET_TTL_MS) {
			explicit_bzero(cache[i].der, cache[i].len);
			free(cache[i].der);
			cache[i].der = NULL;
		}
		cache[i].touched = now_ms();
		return (&cache[i]);
	}
	return (NULL);
}

static void
entry_clear(struct ticket *t)
{

	if (t->der != NULL) {
		explicit_bzero(t->der, t->len);
		free(t->der);
	}
	tlsc_free(t->client);
	memset(t, 0, sizeof(*t));
}

/* The entry for key, made in a free place or the least recently used. */
static struct ticket *
cache_entry(const unsigned char key[32])
{
	struct ticket *t;
	size_t i;

	if ((t = cache_find(key)) != NULL)
		return (t);
	t = &cache[0];
	for (i = 0; i < MAX_CACHE; i++) {
		if (!cache[i].used) {
			t = &cache[i];
			break;
		}
		if (cache[i].touched < t->touched)
			t = &cache[i];
	}
	entry_clear(t);
	t->used = 1;
	memcpy(t->key, key, 32);
	t->touched = now_ms();
	return (t);
}

/* Keep der as key's session. */
static void
cache_put(const unsigned char key[32], const unsigned char *der,
    size_t len)
{
	struct ticket *t;
	unsigned char *copy;

	if ((copy = malloc(len)) == NULL)
		return;
	memcpy(copy, der, len);
	t = cache_entry(key);
	if (t->der != NULL) {
		explicit_bzero(t->der, t->len);
		free(t->der);
	}
	t->der = copy;
	t->len = len;
	t->at = now_ms();
}

static unsigned int
cache_count(void)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < MAX_CACHE; i++)
		n += cache[i].der != NULL;
	return (n);
}

static void
kid_drop(size_t i)
{

	(void)close(kids[i].rfd);
	free(kids[i].buf);
	kids[i] = kids[--nkids];
}

/*
 * Read what kid i reports: records of a 4-byte length and a session in
 * DER.  The last whole one is kept under the kid's key.  Returns -1 when
 * the kid is done reporting (EOF, an error or a malformed record).
 */
static int
kid_read(size_t i)
{
	struct kid *k = &kids[i];
	uint32_t len;
	ssize_t n;

	if (k->buf == NULL && (k->buf = malloc(TICKET_MAX + 4)) == NULL)
		return (-1);
	n = read(k->rfd, k->buf + k->have, TICKET_MAX + 4 - k->have);
	if (n <= 0)
		return (n < 0 && errno == EINTR ? 0 : -1);
	k->have += (size_t)n;
	while (k->have >= 4) {
		memcpy(&len, k->buf, 4);
		if (len == 0 || len > TICKET_MAX)
			return (-1);
		if (k->have < 4 + (size_t)len)
			break;
		cache_put(k->key, k->buf + 4, len);
		memmove(k->buf, k->buf + 4 + len, k->have - 4 - len);
		k->have -= 4 + len;
	}
	return (0);
}

static void
reply(int c, int status, pid_t child, int idle_s)
{
	struct warm_reply r;

	memset(&r, 0, sizeof(r));
	r.magic = WARM_MAGIC;
	r.version = WARM_VERSION;
	r.status = status;
	r.pid = (int32_t)getpid();
	r.child = (int32_t)child;
	r.sessions = (uint32_t)sessions;
	r.active = (uint32_t)active;
	r.cached = cache_count();
	r.idle = (uint32_t)idle_s;
	(void)send(c, &r, sizeof(r), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* A request: the message, its strings and its descriptors. */
struct req {
	char *msg;
	size_t len;
	struct warm_hdr h;
	char **str;			/* h.nstr strings, NULL-terminated */
	int fd[WARM_MAXFD];
	int nfd;
};

static void
req_free(struct req *r)
{
	int i;

	for (i = 0; i < r->nfd; i++)
		(void)close(r->fd[i]);
	free(r->str);
	/* The program's environment may hold secrets of its own. */
	if (r->msg != NULL)
		explicit_bzero(r->msg, WARM_MSG_MAX + 1);
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

/* Receive and check one request from c.  0, or -1. */
static int
req_read(int c, struct req *r)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE((WARM_MAXFD + 1) * sizeof(int))];
	} ctl;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *cm;
	struct pollfd p;
	ssize_t n;
	size_t off, i, cnt;

	memset(r, 0, sizeof(*r));
	p.fd = c;
	p.events = POLLIN;
	if (poll(&p, 1, PEER_WAIT_MS) != 1)
		return (-1);
	if ((r->msg = malloc(WARM_MSG_MAX + 1)) == NULL)
		return (-1);
	memset(&m, 0, sizeof(m));
	iov.iov_base = r->msg;
	iov.iov_len = WARM_MSG_MAX + 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(c, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	for (cm = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL; cm != NULL;
	    cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (r->nfd < WARM_MAXFD)
				r->fd[r->nfd++] = fd;
			else
				(void)close(fd);
		}
	}
	if (n < (ssize_t)sizeof(r->h) || n > WARM_MSG_MAX ||
	    (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
		return (-1);
	r->len = (size_t)n;
	memcpy(&r->h, r->msg, sizeof(r->h));
	if (r->h.magic != WARM_MAGIC || r->h.version != WARM_VERSION ||
	    r->h.nstr > WARM_MSG_MAX / 2)
		return (-1);
	if ((r->str = calloc(r->h.nstr + 1, sizeof(char *))) == NULL)
		return (-1);
	r->msg[r->len] = '\0';
	for (off = sizeof(r->h), i = 0; i < r->h.nstr; i++) {
		char *end = memchr(r->msg + off, '\0', r->len - off);

		if (off >= r->len || end == NULL)
			return (-1);
		r->str[i] = r->msg + off;
		off = (size_t)(end - r->msg) + 1;
	}
	return (off == r->len ? 0 : -1);
}

/*
 * Say in the command line (ps, /proc/PID/cmdline) which connection this
 * session process serves, in the cold helper's words, so that a program's
 * helper is found the same way warm or cold.  Written over the warm
 * helper's arguments and its environment, which nothing reads any more;
 * a line longer than the arguments is shown whole by the kernel, since it
 * then ends past them.
 */
static void
set_title(const struct job *j)
{

	if (title == NULL || title_room < 2)
		return;
	memset(title, 0, title_room);
	(void)snprintf(title, title_room, "submitify-helper --warm %s %s %s "
	    "%s %s %llu %s %ld", HELPER_OPT_PEER, j->peer, HELPER_OPT_DEST,
	    j->dest, HELPER_OPT_COOKIE, (unsigned long long)j->cookie,
	    HELPER_OPT_PID, j->pid);
}

/*
 * Load the resolver's configuration and modules once (nsswitch.conf, the
 * files backend): each session process would read them again for its
 * server's name.  The name itself is looked up by each session, afresh.
 */
static void
warm_resolver(void)
{
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", NULL, &hints, &res) == 0)
		freeaddrinfo(res);
}

/* SIGALRM: only to interrupt a system call that blocks. */
static void
on_alarm(int sig)
{

	(void)sig;
}

/* Into the directory fd, else (or for -1) into "/". */
static void
into(int fd)
{

	if ((fd < 0 || fchdir(fd) != 0) && chdir("/") != 0)
		log_warn("warm helper: cannot change directory: %s",
		    strerror(errno));
}

/*
 * The session process: the request's environment, working directory and
 * stderr, the listener, and the configuration read for it.  Never returns.
 */
static void __attribute__((noreturn))
child(struct job *j, struct req *r, int wfd, const struct ticket *t,
    char **envp)
{
	char progname[256];
	int nul;

	size_t i;

	/* No ptrace peek at the secrets this process is about to read. */
	if (!WEAKEN_NO_WIPE)
		(void)prctl(PR_SET_DUMPABLE, 0);
	/* Of the cache, this session sees its own account's ticket only. */
	for (i = 0; i < MAX_CACHE; i++)
		if (cache[i].der != NULL && &cache[i] != t) {
			explicit_bzero(cache[i].der, cache[i].len);
			free(cache[i].der);
			cache[i].der = NULL;
		}
	environ = envp;
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGALRM, SIG_DFL);
	into(r->fd[WARM_FD_CWD]);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (r->nfd > WARM_FD_ERR)
		(void)dup2(r->fd[WARM_FD_ERR], 2);
	else if (nul >= 0)
		(void)dup2(nul, 2);
	(void)esc_text(progname, sizeof(progname), j->prog, strlen(j->prog));
	j->prog = progname;
	set_title(j);
	log_init(j->prog, j->pid);
	tlsc_warm_set(t != NULL ? t->der : NULL, t != NULL ? t->len : 0, wfd,
	    t != NULL ? t->client : NULL);
	_exit(job_run(j));
}

/*
 * Serve one session request: read the configuration as the session will
 * (its environment, its directory), choose the account, fork.  Returns the
 * idle time the account asks for (0: warm is off: exit).
 */
static int
session(int c, struct req *r, int lfd, int lockfd, int idle_s)
{
	struct job j;
	const struct conf_account *a;
	struct ticket *t = NULL;
	char err[CONF_ERRLEN];
	char **saved = environ;
	unsigned long long v;
	unsigned char key[32];
	int p[2] = { -1, -1 }, haskey = 0, idle;
	size_t i;
	pid_t pid;

	if (r->h.nstr < 5 || r->nfd < 2 || warm_number(r->str[2], &v) != 0) {
		reply(c, EINVAL, 0, idle_s);
		return (idle_s);
	}
	if (active >= MAX_KIDS || nkids >= MAX_KIDS) {
		reply(c, EAGAIN, 0, idle_s);
		return (idle_s);
	}
	memset(&j, 0, sizeof(j));
	j.t0 = now_ms();
	j.peer = r->str[0];
	j.dest = r->str[1];
	j.cookie = (uint64_t)v;
	j.prog = r->str[3];
	j.pid = warm_number(r->str[4], &v) == 0 && v <= LONG_MAX ? (long)v : 0;
	j.lfd = r->fd[WARM_FD_LISTEN];
	j.warm = 1;

	environ = r->str + 5;
	into(r->fd[WARM_FD_CWD]);
	/* Bounded: a file that blocks (a FIFO) must not stop the loop. */
	(void)alarm(CHOOSE_S);
	job_choose(&j);
	(void)alarm(0);
	idle = job_warm_idle(&j);
	if ((a = job_account(&j)) != NULL && tls_key(a, key) == 0) {
		haskey = 1;
		t = cache_entry(key);
		/* The trust store is loaded once per key, here, with the
		 * session's environment (SSL_CERT_FILE) in effect. */
		if (t->client == NULL)
			t->client = session_tls_prepare(a, err, sizeof(err));
	}
	environ = saved;
	into(-1);
	if (idle == 0) {
		/* The user turned it off: this session goes cold. */
		reply(c, EPERM, 0, idle_s);
		goto out;
	}
	if (haskey && pipe2(p, O_CLOEXEC) != 0)
		haskey = 0;
	if ((pid = fork()) < 0) {
		reply(c, errno, 0, idle);
		goto out;
	}
	if (pid == 0) {
		(void)close(lfd);
		(void)close(lockfd);
		(void)close(c);
		for (i = 0; i < nkids; i++)
			(void)close(kids[i].rfd);
		if (p[0] >= 0)
			(void)close(p[0]);
		child(&j, r, p[1], t, r->str + 5);
	}
	sessions++;
	active++;
	reply(c, 0, pid, idle);
	if (haskey) {
		(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
		memset(&kids[nkids], 0, sizeof(kids[nkids]));
		kids[nkids].rfd = p[0];
		memcpy(kids[nkids].key, key, 32);
		nkids++;
		p[0] = -1;
	}
out:
	if (p[0] >= 0)
		(void)close(p[0]);
	if (p[1] >= 0)
		(void)close(p[1]);
	conf_free(j.conf);
	free(j.path);
	return (idle);
}

/* The file this program was run from, by its name (under a tool such as
 * valgrind, /proc/self/exe itself would be the tool's). */
static int
self_stat(struct stat *st)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return (-1);
	self[n] = '\0';
	return (stat(self, st));
}

/* Our socket, still at path?  Our program, still the installed one? */
static int
still_ours(const char *path, const struct stat *sock, const struct stat *exe)
{
	struct stat st;

	if (lstat(path, &st) != 0 || st.st_dev != sock->st_dev ||
	    st.st_ino != sock->st_ino)
		return (0);
	/* Replaced or removed (an upgrade, a rebuild): this build is over. */
	if (self_stat(&st) != 0 || st.st_dev != exe->st_dev ||
	    st.st_ino != exe->st_ino ||
	    st.st_mtim.tv_sec != exe->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != exe->st_mtim.tv_nsec)
		return (0);
	return (1);
}

/* Make the directory if it is not there; it must then be private. */
static int
own_dir(const char *path)
{
	char dir[WARM_PATH_MAX], *slash;

	if (strlen(path) >= sizeof(dir))
		return (-1);
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return (-1);
	*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return (-1);
	return (warm_dir_ok(dir, getuid()));
}

/* The lock that makes this the only warm helper at path: its fd, or -1. */
static int
take_lock(const char *path)
{
	char lock[WARM_PATH_MAX + 8];
	int fd;

	if (own_dir(path) != 0)
		return (-1);
	(void)snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		(void)close(fd);
		return (-1);
	}
	return (fd);
}

/* Bind and listen at path, under the lock. */
static int
open_socket(const char *path)
{
	struct sockaddr_un sun;
	int s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return (-1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Whatever is there was left by a warm helper that is gone: the
	 * lock was free. */
	(void)unlink(path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(s, SOMAXCONN) != 0) {
		(void)close(s);
		return (-1);
	}
	return (s);
}

static void
reap(void)
{
	int st;

	while (waitpid(-1, &st, WNOHANG) > 0)
		if (active > 0)
			active--;
}

/* One connection to the socket: checked, read, answered. */
static int
serve_one(int lfd, int lockfd, int idle_s, int *stop)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct req r;
	int c;

	if ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return (idle_s);
	/* Only our uid, from our namespaces and confinement: anyone else is
	 * closed on. */
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    len != sizeof(cr) || cr.uid != getuid() || !warm_same_place(cr.pid, &here)) {
		(void)close(c);
		return (idle_s);
	}
	if (req_read(c, &r) == 0) {
		if (r.h.kind == WARM_SESSION)
			idle_s = session(c, &r, lfd, lockfd, idle_s);
		else if (r.h.kind == WARM_STATUS)
			reply(c, 0, 0, idle_s);
		else if (r.h.kind == WARM_STOP) {
			reply(c, 0, 0, idle_s);
			*stop = 1;
		}
	}
	req_free(&r);
	(void)close(c);
	if (idle_s == 0)
		*stop = 1;
	return (idle_s);
}

int
warmd_main(const char *path, int idle_s, char **argv)
{
	struct pollfd *p;
	struct rlimit nocore = { 0, 0 };
	struct sigaction sa;
	struct stat sock, exe;
	char **e;
	long long last = now_ms(), checked = 0, wait;
	size_t i, n;
	int lfd, lockfd = -1, stop = 0;

	/* The arguments and the environment lie end to end: the room for
	 * set_title(), up to the end of the last variable. */
	title = argv[0];
	title_room = strlen(argv[0]) + 1;
	for (e = argv + 1; *e != NULL; e++)
		title_room = (size_t)(*e - title) + strlen(*e) + 1;
	for (e = environ; *e != NULL; e++)
		if (*e > title && (size_t)(*e - title) < title_room + 4096)
			title_room = (size_t)(*e - title) + strlen(*e) + 1;
	(void)umask(077);
	if (chdir("/") != 0)
		return (1);
	/*
	 * No core file.  It stays dumpable: the shim proves where it runs by
	 * looking at its /proc/PID/ns, which a non-dumpable process would
	 * not show the uid's programs.  What it holds, the uid's processes
	 * can have anyway (its files, its passwordeval); its session
	 * processes, which hold the secrets, make themselves non-dumpable.
	 */
	if (setrlimit(RLIMIT_CORE, &nocore) != 0)
		return (1);
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	(void)sigaction(SIGALRM, &sa, NULL);
	/* Another one there already (a burst of cold helpers each start
	 * one): leave at once, before any set-up. */
	if ((lockfd = take_lock(path)) < 0)
		return (0);
	if (warm_here(&here) != 0)
		return (1);
	/* Ready before the socket is there: its first request waits for
	 * nothing. */
	tlsc_warm_init();
	warm_resolver();
	if ((lfd = open_socket(path)) < 0)
		return (1);
	if (lstat(path, &sock) != 0 || self_stat(&exe) != 0)
		return (1);
	if ((p = calloc(MAX_KIDS + 1, sizeof(*p))) == NULL)
		return (1);
	while (!stop) {
		reap();
		if (now_ms() - checked >= CHECK_MS) {
			if (!still_ours(path, &sock, &exe))
				break;
			checked = now_ms();
		}
		if (active == 0 && now_ms() - last >= (long long)idle_s * 1000)
			break;
		p[0].fd = lfd;
		p[0].events = POLLIN;
		for (i = 0; i < nkids; i++) {
			p[i + 1].fd = kids[i].rfd;
			p[i + 1].events = POLLIN;
		}
		n = nkids;
		wait = active > 0 ? 200 : (long long)idle_s * 1000 -
		    (now_ms() - last);
		if (wait > CHECK_MS)
			wait = CHECK_MS;
		if (wait < 0)
			wait = 0;
		if (poll(p, n + 1, (int)wait) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			idle_s = serve_one(lfd, lockfd, idle_s, &stop);
			last = now_ms();
		}
		/* Backwards: kid_drop() moves the last kid into slot i. */
		for (i = n; i-- > 0;)
			if (p[i + 1].revents != 0 && kid_read(i) != 0)
				kid_drop(i);
	}
	/* The path goes with us unless someone else's socket is there. */
	if (lstat(path, &exe) == 0 && exe.st_dev == sock.st_dev &&
	    exe.st_ino == sock.st_ino)
		(void)unlink(path);
	(void)close(lfd);
	while (nkids > 0)
		kid_drop(nkids - 1);
	for (i = 0; i < MAX_CACHE; i++)
		entry_clear(&cache[i]);
	free(p);
	return (0);
}
