/*
 * secrets: an account's password from where its caller says it is: given,
 * printed by a passwordeval command, or in ~/.netrc.  Nothing else in
 * submitify forks a command or reads ~/.netrc.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secrets.h"
#include "util.h"

#define MAXSECRET	(1024 * 1024)
#define EVAL_LIMIT_S	30	/* passwordeval, unless timeout says */
#define NETRC_BLANKS	" \t\r\n"

/* ---- passwordeval ---- */

/* The output of a passwordeval command, as it is collected. */
struct eval_out {
	char *buf;		/* stdout: the secret */
	size_t n, cap;
	char etext[512];	/* the start of stderr */
	size_t en;
};

/*
 * Read what fd (non-blocking) holds now into o: stdout (is_out) into the
 * secret buffer, at most MAXSECRET bytes; stderr into etext, the rest
 * dropped.  Returns 1 at EOF (or an error: the pipe is done), 0 when it
 * would block, -1 with errno EFBIG (more than MAXSECRET bytes) or ENOMEM.
 */
static int
drain(int fd, int is_out, struct eval_out *o)
{
	char junk[512], *nb;
	size_t ncap;
	ssize_t r;
	int k = 0;

	for (;;) {
		/* A job that writes to stderr without end cannot hold us
		 * here: 32 KiB of it at a time. */
		if (!is_out && ++k > 64)
			return (0);
		if (is_out && o->n == o->cap) {
			if (o->cap > MAXSECRET) {
				errno = EFBIG;
				return (-1);
			}
			/* Grow by copying, wiping the old buffer; room for
			 * MAXSECRET + 1 bytes at most, which is enough to
			 * know the output is too long. */
			ncap = o->cap == 0 ? 8192 : o->cap * 2;
			if (ncap > MAXSECRET + 1)
				ncap = MAXSECRET + 1;
			if ((nb = malloc(ncap + 1)) == NULL)
				return (-1);
			if (o->buf != NULL) {
				memcpy(nb, o->buf, o->n);
				explicit_bzero(o->buf, o->n);
				free(o->buf);
			}
			o->buf = nb;
			o->cap = ncap;
		}
		if (is_out)
			r = read(fd, o->buf + o->n, o->cap - o->n);
		else
			r = read(fd, junk, sizeof(junk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return (0);
		if (r <= 0)
			return (1);
		if (is_out)
			o->n += (size_t)r;
		else if (o->en < sizeof(o->etext) - 1) {
			if ((size_t)r > sizeof(o->etext) - 1 - o->en)
				r = (ssize_t)(sizeof(o->etext) - 1 - o->en);
			memcpy(o->etext + o->en, junk, (size_t)r);
			o->en += (size_t)r;
		}
	}
}

/* Has the child pid exited?  It is left a zombie, so that its process
 * group cannot be reused before it is killed. */
static int
exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return (errno != EINTR);
	return (si.si_pid == pid);
}

/*
 * Collect the output of the command run as pid (its own process group)
 * from ofd and efd (non-blocking) until the shell itself has exited, then
 * what the pipes hold at that moment, without waiting for a background
 * job that keeps them open.  Returns 0, or -1 with errno ETIMEDOUT (the
 * shell did not exit by the deadline), EFBIG (more than MAXSECRET bytes),
 * or another error.  The caller kills the group and reaps the shell.
 */
static int
collect(pid_t pid, int ofd, int efd, long long deadline, struct eval_out *o)
{
	struct pollfd p[3];
	long long left;
	int pfd = -1, i, r, done = 0;

#ifdef SYS_pidfd_open
	/* Readable once the shell has exited; without it (an older kernel),
	 * look every 50 ms. */
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	p[0].fd = ofd;
	p[1].fd = efd;
	p[2].fd = pfd;
	p[0].events = p[1].events = p[2].events = POLLIN;
	while (!done) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (pfd < 0 && left > 50)
			left = 50;
		if (poll(p, 3, (int)(left > 60000 ? 60000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if ((r = drain(p[i].fd, i == 0, o)) < 0)
				goto fail;
			if (r == 1)
				p[i].fd = -1;
		}
		if (pfd < 0 || p[2].revents != 0)
			done = exited(pid);
	}
	/* The shell is gone: take what is left in the pipes, now. */
	for (i = 0; i < 2; i++)
		if (p[i].fd >= 0 && drain(p[i].fd, i == 0, o) < 0)
			goto fail;
	if (pfd >= 0)
		(void)close(pfd);
	return (0);
fail:
	r = errno;
	if (pfd >= 0)
		(void)close(pfd);
	errno = r;
	return (-1);
}

/*
 * The first line of the command's stderr, escaped (esc_text), into detail;
 * "" if it said nothing or detail is NULL.
 */
static void
eval_detail(struct eval_out *o, char *detail, size_t detaillen)
{
	char *nl;

	if (detail == NULL || detaillen == 0)
		return;
	o->etext[o->en] = '\0';
	if ((nl = strchr(o->etext, '\n')) != NULL)
		*nl = '\0';
	trim(o->etext);
	(void)esc_text(detail, detaillen, o->etext, strlen(o->etext));
}

/*
 * Run cmd through /bin/sh in a process group of its own, for at most
 * limit_s seconds; its stdout, less one trailing newline.  Once the shell
 * has exited the whole group is killed, so that no job it started in the
 * background outlives it.  The reason for a failure (err) never quotes
 * the command or its output; the first line of its stderr goes to detail.
 */
static char *
run_eval(const char *cmd, int limit_s, char *err, size_t errlen,
    char *detail, size_t detaillen)
{
	struct sigaction dfl, old;
	struct eval_out o;
	int out[2], errp[2], status = 0, r, saved = 0;
	pid_t pid;

	memset(&o, 0, sizeof(o));
	if (pipe2(out, O_CLOEXEC) != 0)
		goto syserr;
	if (pipe2(errp, O_CLOEXEC) != 0) {
		(void)close(out[0]);
		(void)close(out[1]);
		goto syserr;
	}
	/* With SIGCHLD ignored, waitpid() would find no child to reap. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &dfl, &old);
	if ((pid = fork()) == -1) {
		saved = errno;
		(void)sigaction(SIGCHLD, &old, NULL);
		(void)close(out[0]);
		(void)close(out[1]);
		(void)close(errp[0]);
		(void)close(errp[1]);
		errno = saved;
		goto syserr;
	}
	if (pid == 0) {
		/* Its own process group, so that all of it can be ended. */
		(void)setpgid(0, 0);
		if (dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	(void)setpgid(pid, pid);
	(void)close(out[1]);
	(void)close(errp[1]);
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(errp[0], F_SETFL, O_NONBLOCK);
	if (collect(pid, out[0], errp[0], now_ms() + limit_s * 1000LL,
	    &o) != 0)
		saved = errno;
	/* The shell is a zombie or still running: its group is ours. */
	(void)kill(-pid, SIGKILL);
	(void)close(out[0]);
	(void)close(errp[0]);
	while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	(void)sigaction(SIGCHLD, &old, NULL);
	if (r == -1)
		status = 127 << 8;
	eval_detail(&o, detail, detaillen);
	if (saved == ETIMEDOUT)
		(void)snprintf(err, errlen, "passwordeval gave no answer "
		    "within %d s", limit_s);
	else if (saved == EFBIG)
		(void)snprintf(err, errlen, "passwordeval printed more than "
		    "%d bytes", MAXSECRET);
	else if (saved != 0)
		(void)snprintf(err, errlen, "passwordeval: %s",
		    strerror(saved));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		(void)snprintf(err, errlen, "passwordeval failed (%s %d)",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
	else {
		if (o.buf == NULL && (o.buf = malloc(1)) == NULL)
			goto syserr;
		o.buf[o.n] = '\0';
		if (o.n > 0 && o.buf[o.n - 1] == '\n')
			o.buf[--o.n] = '\0';
		if (o.n > 0 && o.buf[o.n - 1] == '\r')
			o.buf[--o.n] = '\0';
		if (o.n > 0 && memchr(o.buf, '\0', o.n) == NULL)
			return (o.buf);
		(void)snprintf(err, errlen, "passwordeval printed %s",
		    o.n == 0 ? "nothing" : "a NUL byte");
	}
	if (o.buf != NULL) {
		explicit_bzero(o.buf, o.n);
		free(o.buf);
	}
	return (NULL);
syserr:
	(void)snprintf(err, errlen, "passwordeval: %s", strerror(errno));
	return (NULL);
}


/* ---- ~/.netrc ---- */

/* One token of a .netrc text: len bytes at p, or none (p NULL). */
struct token {
	const char *p;
	size_t len;
};

/* The next token at *s into t, *s moved past it; 0 at the end of text. */
static int
next_token(const char **s, struct token *t)
{
	const char *p = *s + strspn(*s, NETRC_BLANKS);

	if (*p == '\0')
		return (0);
	t->p = p;
	t->len = strcspn(p, NETRC_BLANKS);
	*s = p + t->len;
	return (1);
}

/* Is t (present) the word w? */
static int
token_is(const struct token *t, const char *w)
{

	return (t->p != NULL && strlen(w) == t->len &&
	    memcmp(t->p, w, t->len) == 0);
}

char *
secret_netrc_find(const char *text, const char *host, const char *user)
{
	struct token t, mach, login, pw;
	enum { KEY, MACHINE, LOGIN, PASSWORD } want = KEY;
	const char *s = text;
	int more, any = 0;

	mach.p = login.p = pw.p = NULL;
	for (;;) {
		more = next_token(&s, &t);
		if (!more || token_is(&t, "machine") ||
		    token_is(&t, "default")) {
			/* The end of an entry: does it serve? */
			if (pw.p != NULL && (any || token_is(&mach, host)) &&
			    (login.p == NULL || token_is(&login, user)))
				return (strndup(pw.p, pw.len));
			if (!more)
				return (NULL);
			any = token_is(&t, "default");
			mach.p = login.p = pw.p = NULL;
			want = any ? KEY : MACHINE;
			continue;
		}
		switch (want) {
		case MACHINE:
			mach = t;
			want = KEY;
			break;
		case LOGIN:
			login = t;
			want = KEY;
			break;
		case PASSWORD:
			pw = t;
			want = KEY;
			break;
		case KEY:
			if (token_is(&t, "login"))
				want = LOGIN;
			else if (token_is(&t, "password"))
				want = PASSWORD;
			break;
		}
	}
}

/*
 * The password for host and user in ~/.netrc, or NULL; *unsafe is set to 1
 * when the file exists but others may read it or it is not the user's, to
 * 2 when it is longer than MAXSECRET bytes.
 */
static char *
netrc_lookup(const char *host, const char *user, int *unsafe)
{
	struct stat st;
	const char *home = getenv("HOME");
	char *path, *text, *pass;
	size_t len;
	int fd;

	if (home == NULL || asprintf(&path, "%s/.netrc", home) < 0)
		return (NULL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return (NULL);
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0 ||
	    st.st_uid != geteuid()) {
		*unsafe = 1;
		(void)close(fd);
		return (NULL);
	}
	if (read_all(fd, &text, &len, MAXSECRET) != 0) {
		if (errno == EFBIG)
			*unsafe = 2;
		(void)close(fd);
		return (NULL);
	}
	(void)close(fd);
	pass = secret_netrc_find(text, host, user);
	explicit_bzero(text, len);
	free(text);
	return (pass);
}

char *
secret_get(const struct secret_source *src, int run, char *err,
    size_t errlen, char *detail, size_t detaillen)
{
	int unsafe = 0;
	char *s;

	if (detail != NULL && detaillen > 0)
		detail[0] = '\0';
	if (src->password != NULL)
		return (xstrdup(src->password));
	if (src->passwordeval != NULL) {
		if (!run)
			return (xstrdup("*"));
		return (run_eval(src->passwordeval, src->timeout_s > 0 ?
		    src->timeout_s : EVAL_LIMIT_S, err, errlen, detail,
		    detaillen));
	}
	if (src->user != NULL &&
	    (s = netrc_lookup(src->host, src->user, &unsafe)) != NULL)
		return (s);
	if (unsafe == 2) {
		(void)snprintf(err, errlen, "~/.netrc is longer than %d bytes",
		    MAXSECRET);
		return (NULL);
	}
	if (unsafe) {
		(void)snprintf(err, errlen, "~/.netrc may be read by others or "
		    "is not yours; run: chmod 600 ~/.netrc");
		return (NULL);
	}
	(void)snprintf(err, errlen, "%s:%d: account %s has user %s but no "
	    "password, passwordeval or ~/.netrc entry for %s", src->file,
	    src->line, src->account, src->user != NULL ? src->user : "?",
	    src->host);
	return (NULL);
}

int
secret_read_key(const char *path, int secure, char **out, size_t *len,
    char *err, size_t errlen)
{
	struct stat st;
	const char *why = NULL;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		(void)snprintf(err, errlen, "tls_key_file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (secure && st.st_uid != 0)
		why = "not root's; a setuid or setgid program uses a client "
		    "key of root's only";
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		why = "owned by another user; it must be yours or root's";
	else if ((st.st_mode & 007) != 0)
		why = "others may access it; run: chmod o-rwx on it";
	else if ((st.st_mode & 020) != 0)
		why = "its group may change it; run: chmod g-w on it";
	if (why != NULL) {
		(void)snprintf(err, errlen, "tls_key_file %s: %s", path, why);
		(void)close(fd);
		return (-1);
	}
	if (read_all(fd, out, len, 1024 * 1024) != 0) {
		(void)snprintf(err, errlen, "tls_key_file %s: %s", path,
		    errno == EFBIG ? "file too large" : strerror(errno));
		(void)close(fd);
		return (-1);
	}
	(void)close(fd);
	return (0);
}
