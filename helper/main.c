/*
 * submitify-helper: started by the shim for one intercepted connection.
 * Accepts the program's end of the handoff, reads submit.conf, opens the
 * upstream session and relays.  Options, wiring and exit codes only.
 */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "contract.h"
#include "log.h"
#include "peerid.h"
#include "session.h"
#include "tls.h"
#include "util.h"
#include "weaken.h"

#define ACCEPT_MS	10000

#ifdef __SANITIZE_ADDRESS__
/*
 * make asan: leaks are left to the valgrind scenario, and the helper of a
 * setuid or setgid host reads no ASAN_OPTIONS (the sanitizer runtime
 * ignores the environment there), so the default is set here.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{

	return ("detect_leaks=0");
}
#endif

static void
usage(void)
{

	fprintf(stderr, "usage: submitify-helper --peer ADDR --dest ADDR "
	    "--cookie N [--prog NAME] [--pid N] [--secure]\n"
	    "(started by libsubmitify.so with its listener as fd %d; "
	    "not meant to be run by hand)\n", HELPER_LISTEN_FD);
	exit(64);
}

/* A whole decimal number into *out: 0, or -1 for anything else. */
static int
parse_num(const char *s, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno != 0 || *end != '\0' ? -1 : 0);
}

/*
 * Accept the program's connection: only the one whose other end is the
 * program's own socket (its cookie).  Anyone else at the listener, from
 * whatever address, is closed unanswered.
 */
static int
accept_program(int lfd, uint64_t want, char *first, size_t flen,
    int *nrefused)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pollfd p;
	long long until = now_ms() + ACCEPT_MS;
	uint64_t cookie;
	int fd, r, one = 1;

	p.fd = lfd;
	p.events = POLLIN;
	for (;;) {
		r = poll(&p, 1, (int)(until - now_ms() > 0 ?
		    until - now_ms() : 0));
		if (r == 0)
			return (-1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (peerid_cookie(fd, &cookie) == 0 && cookie == want) {
			/* Replies are small and each is awaited: no Nagle. */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			return (fd);
		}
		/* Logged once the log is configured: the first one, and how
		 * many there were. */
		if ((*nrefused)++ == 0 && handoff_fmt_addr(
		    (struct sockaddr *)&ss, first, flen) != 0)
			(void)snprintf(first, flen, "?");
		(void)close(fd);
	}
}

/*
 * Does this process run for a setuid or setgid program, or one with file
 * capabilities?  The shim says so with --secure; the kernel's AT_SECURE
 * and the ids themselves say so without it.
 */
static int
running_secure(int flag)
{

	return (flag || getauxval(AT_SECURE) != 0 || getuid() != geteuid() ||
	    getgid() != getegid());
}

/*
 * For a setuid or setgid host, be the host's effective user and group
 * wholly: the caller can then no longer signal or trace the helper, and
 * a passwordeval shell (which drops privileges it finds in effective ids
 * alone) runs as the host's user, as the administrator wrote it for.
 */
static int
become_effective(void)
{
	/* 1 byte, not 0: a core_pattern pipe ignores every limit but 1. */
	struct rlimit none = { 1, 1 };
	uid_t u = geteuid();
	gid_t g = getegid();

	/* Nothing of the caller's place either: not its working directory
	 * (a command would find the caller's files there first), not its
	 * umask, and no core anywhere, on disk or through a pipe. */
	if (chdir("/") != 0 || setrlimit(RLIMIT_CORE, &none) != 0)
		return (-1);
	(void)umask(077);
	if (u == 0 && setgroups(0, NULL) != 0)
		return (-1);
	if (setresgid(g, g, g) != 0 || setresuid(u, u, u) != 0)
		return (-1);
	return (0);
}

/* "ADDR:PORT" or "[ADDR]:PORT" to family and address bytes. */
static int
parse_dest(const char *dest, int *family, unsigned char addr[16])
{
	char buf[80], *colon;

	if (strlen(dest) >= sizeof(buf))
		return (-1);
	memcpy(buf, dest, strlen(dest) + 1);
	if (buf[0] == '[') {
		if ((colon = strstr(buf, "]:")) == NULL)
			return (-1);
		*colon = '\0';
		*family = AF_INET6;
		return (inet_pton(AF_INET6, buf + 1, addr) == 1 ? 0 : -1);
	}
	if ((colon = strrchr(buf, ':')) == NULL)
		return (-1);
	*colon = '\0';
	*family = AF_INET;
	return (inet_pton(AF_INET, buf, addr) == 1 ? 0 : -1);
}

int
main(int argc, char **argv)
{
	const char *peer = NULL, *dest = NULL, *prog = "?", *acctname = NULL;
	struct session s;
	struct conf *conf = NULL;
	const struct conf_account *logacct;
	unsigned char addr[16];
	char err[CONF_ERRLEN], *path = NULL, refused[80] = "";
	char progname[HELPER_PROG_MAX * 4];
	long pid = 0;
	long long t0 = now_ms();
	unsigned long long num;
	uint64_t cookie = 0;
	int secure = 0, have_cookie = 0, nrefused = 0, msmtprc, family = 0;
	int i, rc = 1, idfail = 0;
	const char *env;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], HELPER_OPT_SECURE) == 0)
			secure = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], HELPER_OPT_PEER) == 0)
			peer = argv[++i];
		else if (strcmp(argv[i], HELPER_OPT_DEST) == 0)
			dest = argv[++i];
		else if (strcmp(argv[i], HELPER_OPT_COOKIE) == 0) {
			if (parse_num(argv[++i], &num) != 0)
				usage();
			cookie = (uint64_t)num;
			have_cookie = 1;
		} else if (strcmp(argv[i], HELPER_OPT_PROG) == 0)
			prog = argv[++i];
		else if (strcmp(argv[i], HELPER_OPT_PID) == 0) {
			if (parse_num(argv[++i], &num) != 0 || num > LONG_MAX)
				usage();
			pid = (long)num;
		} else
			usage();
	}
	if (peer == NULL || dest == NULL || !have_cookie)
		usage();
	secure = running_secure(secure);
	/* The program's name goes into log lines: no control characters
	 * (a setuid host's name is whatever its caller chose). */
	(void)esc_text(progname, sizeof(progname), prog, strlen(prog));
	prog = progname;

	/*
	 * Started for a setuid or setgid program: the environment belongs to
	 * whoever ran it, not to the privileges the helper now has.  Keep
	 * nothing of it; HOME (for ~ in passwordeval, ~/.netrc) is the
	 * effective user's own.
	 */
	if (secure) {
		struct passwd *pw = getpwuid(geteuid());

		(void)clearenv();
		(void)setenv("PATH", "/usr/bin:/bin", 1);
		if (pw != NULL && pw->pw_dir != NULL)
			(void)setenv("HOME", pw->pw_dir, 1);
		if (become_effective() != 0)
			idfail = errno;
	}
	/* No core file or ptrace peek at the credentials. */
	if (!WEAKEN_NO_WIPE)
		(void)prctl(PR_SET_DUMPABLE, 0);
	(void)signal(SIGPIPE, SIG_IGN);
	log_init(prog, pid);
	memset(&s, 0, sizeof(s));
	s.secure = secure;
	s.up.fd = -1;
	(void)snprintf(s.dest, sizeof(s.dest), "%s", dest);
	/* A setuid or setgid host reads and writes no file of the AUTH
	 * memory: it would be the caller's, or root's written for him. */
	s.use_memory = !secure;

	s.cfd = accept_program(HELPER_LISTEN_FD, cookie, refused,
	    sizeof(refused), &nrefused);
	(void)close(HELPER_LISTEN_FD);
	if (s.cfd < 0) {
		log_session(1, "dest=%s: the program's connection did not "
		    "arrive", dest);
		return (1);
	}

	if (idfail != 0) {
		(void)session_fail(&s, FAIL_CONFIG, "cannot take the program's "
		    "effective user and group: %s", strerror(idfail));
		goto refuse;
	}
	if (!secure && (env = getenv("SUBMITIFY_DEBUG")) != NULL &&
	    strcmp(env, "1") == 0)
		log_configure(NULL, 0, 1);
	if (!secure)
		acctname = getenv("SUBMITIFY_ACCOUNT");
	if (acctname != NULL && *acctname == '\0')
		acctname = NULL;
	if ((path = conf_locate(NULL, secure, &msmtprc)) == NULL) {
		(void)session_fail(&s, FAIL_CONFIG, "no configuration: set "
		    "SUBMITIFY_CONF or write ~/.config/submitify/submit.conf");
		goto refuse;
	}
	if ((conf = conf_load(path, secure ? CONF_SECURE : CONF_PERMS, err,
	    sizeof(err))) == NULL) {
		(void)session_fail(&s, FAIL_CONFIG, "%s", err);
		goto refuse;
	}
	if (parse_dest(dest, &family, addr) != 0)
		family = 0;
	s.acct = conf_choose_fixed(conf, acctname, family, family ? addr :
	    NULL, err, sizeof(err));
	if (s.acct == NULL && err[0] == '\0' &&
	    conf_sender_decides(conf, s.acct))
		s.byconf = conf;
	else if (s.acct == NULL && err[0] == '\0')
		s.acct = conf_choose(conf, NULL, 0, NULL, err, sizeof(err));
	if (s.acct == NULL && s.byconf == NULL) {
		(void)session_fail(&s, FAIL_CONFIG, "%s", err);
		goto refuse;
	}
	/* Until a sender chooses, the log is the fallback account's. */
	logacct = s.byconf == NULL ? s.acct : conf_choose(conf, NULL, 0, NULL,
	    err, sizeof(err));
	log_configure(logacct != NULL ? logacct->logfile : NULL,
	    logacct != NULL ? logacct->syslog : 1, log_debugging());
	if (nrefused > 0)
		log_warn("refused %s%s at the handoff listener: not the "
		    "program's socket", refused, nrefused > 1 ? " and others" :
		    "");
	if (s.byconf != NULL) {
		/* Greeted here; the upstream session opens at MAIL FROM,
		 * and the secrets stay until the last account is used. */
		rc = relay_run(&s) == 0 ? 0 : 1;
		goto done;
	}
	weak_greet_early(s.cfd);
	if (session_setup(&s, session_budget_ms(s.acct)) != 0)
		goto refuse;
	/* The secrets are no longer needed: none stays in memory. */
	if (!WEAKEN_NO_WIPE)
		conf_wipe_secrets(conf);
	rc = relay_run(&s) == 0 ? 0 : 1;
	goto done;
refuse:
	session_refuse(&s);
done:
	log_session(s.fail != FAIL_NONE && !(s.fail == FAIL_PROGRAM &&
	    rc == 0), "prog=%s[%ld] dest=%s account=%s upstream=%s tls=%s%s%s "
	    "auth=%s messages=%d last=%d up=%llu down=%llu ms=%lld%s%s",
	    prog, pid, dest, s.accounts[0] != '\0' ? s.accounts :
	    s.acct != NULL ? s.acct->name : "-",
	    s.upstream[0] != '\0' ? s.upstream : "-",
	    s.tls_up ? tlsc_version(s.up.tls) : "none",
	    s.tls_up ? "/" : "", s.tls_up ? tlsc_cipher(s.up.tls) : "",
	    s.mech != NULL ? s.mech : s.acct == NULL || conf_injects(s.acct) ?
	    "-" : "program",
	    s.messages, s.last_code, s.bytes_up, s.bytes_down,
	    now_ms() - t0, s.fail != FAIL_NONE ? " error=" : "",
	    s.fail != FAIL_NONE ? s.why : "");
	session_close_upstream(&s, 0);
	session_free(&s);
	if (s.cfd >= 0)
		(void)close(s.cfd);
	conf_free(conf);
	free(path);
	return (s.fail == FAIL_NONE ? 0 : 1);
}
