/*
 * submitify-helper: started by the shim for one intercepted connection.
 * Accepts the program's end of the handoff, reads submit.conf, opens the
 * upstream session and relays.  Options, wiring and exit codes only.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shim/handoff.h"
#include "conf.h"
#include "log.h"
#include "session.h"
#include "tls.h"
#include "util.h"
#include "weaken.h"

#define ACCEPT_MS	10000
#define BUDGET_S	30

static void
usage(void)
{

	fprintf(stderr, "usage: submitify-helper --listen-fd N --peer ADDR "
	    "--dest ADDR [--prog NAME] [--pid N] [--secure]\n"
	    "(started by libsubmitify.so; not meant to be run by hand)\n");
	exit(64);
}

/* Is the expected peer a wildcard bind ("0.0.0.0:P", "[::]:P")? */
static const char *
wild_port(const char *peer)
{

	if (strncmp(peer, "0.0.0.0:", 8) == 0)
		return (peer + 7);
	if (strncmp(peer, "[::]:", 5) == 0)
		return (peer + 4);
	return (NULL);
}

static int
peer_ok(const char *expect, const struct sockaddr *sa, const char *got)
{
	const char *wp = wild_port(expect), *gp;

	if (strcmp(expect, got) == 0)
		return (1);
	if (wp == NULL || (gp = strrchr(got, ':')) == NULL ||
	    strcmp(wp, gp) != 0)
		return (0);
	/* A wildcard-bound socket reaches loopback from a loopback address. */
	if (sa->sa_family == AF_INET)
		return (strncmp(got, "127.", 4) == 0);
	return (strncmp(got, "[::1]:", 6) == 0);
}

/*
 * Accept the program's connection: only the one whose source is the
 * program's socket; anyone else racing to the listener is refused.
 */
static int
accept_program(int lfd, const char *expect, char *refused, size_t rlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pollfd p;
	long long until = now_ms() + ACCEPT_MS;
	char got[80];
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
		if (handoff_fmt_addr((struct sockaddr *)&ss, got,
		    sizeof(got)) == 0 && peer_ok(expect,
		    (struct sockaddr *)&ss, got)) {
			/* Replies are small and each is awaited: no Nagle. */
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			return (fd);
		}
		/* Logged once the log is configured. */
		(void)snprintf(refused, rlen, "refused %s at the handoff "
		    "listener (expected %s)", got, expect);
		(void)close(fd);
	}
}

/* "ADDR:PORT" or "[ADDR]:PORT" to family and address bytes. */
static int
parse_dest(const char *dest, int *family, unsigned char addr[16])
{
	char buf[80], *colon;

	if (strlen(dest) >= sizeof(buf))
		return (-1);
	strcpy(buf, dest);
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
	unsigned char addr[16];
	char err[CONF_ERRLEN], *path = NULL, refused[200] = "";
	char *prog_copy = NULL;
	long pid = 0;
	long long t0 = now_ms();
	int lfd = -1, secure = 0, msmtprc, family = 0, i, rc = 1, budget;
	const char *env;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--secure") == 0)
			secure = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], "--listen-fd") == 0)
			lfd = atoi(argv[++i]);
		else if (strcmp(argv[i], "--peer") == 0)
			peer = argv[++i];
		else if (strcmp(argv[i], "--dest") == 0)
			dest = argv[++i];
		else if (strcmp(argv[i], "--prog") == 0)
			prog = argv[++i];
		else if (strcmp(argv[i], "--pid") == 0)
			pid = atol(argv[++i]);
		else
			usage();
	}
	if (lfd < 0 || peer == NULL || dest == NULL)
		usage();
	/* The program's name goes into log lines: no control characters
	 * (a setuid host's name is whatever its caller chose). */
	if ((prog_copy = xstrdup(prog)) != NULL) {
		for (i = 0; prog_copy[i] != '\0'; i++)
			if ((unsigned char)prog_copy[i] < 0x20 ||
			    prog_copy[i] == 0x7f)
				prog_copy[i] = '?';
		prog = prog_copy;
	}

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
	}
	/* No core file or ptrace peek at the credentials. */
	if (!WEAKEN_NO_WIPE)
		(void)prctl(PR_SET_DUMPABLE, 0);
	(void)signal(SIGPIPE, SIG_IGN);
	log_init(prog, pid);
	memset(&s, 0, sizeof(s));
	s.ufd = -1;
	(void)snprintf(s.dest, sizeof(s.dest), "%s", dest);

	s.cfd = accept_program(lfd, peer, refused, sizeof(refused));
	(void)close(lfd);
	if (s.cfd < 0) {
		log_session(1, "dest=%s: the program's connection did not "
		    "arrive", dest);
		return (1);
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
	if ((conf = conf_load(path, 1, err, sizeof(err))) == NULL) {
		(void)session_fail(&s, FAIL_CONFIG, "%s", err);
		goto refuse;
	}
	if (parse_dest(dest, &family, addr) != 0)
		family = 0;
	s.acct = conf_choose(conf, acctname, family, family ? addr : NULL,
	    err, sizeof(err));
	if (s.acct == NULL) {
		(void)session_fail(&s, FAIL_CONFIG, "%s", err);
		goto refuse;
	}
	log_configure(s.acct->logfile, s.acct->syslog, log_debugging());
	if (refused[0] != '\0')
		log_warn("%s", refused);
	budget = s.acct->timeout > 0 ? s.acct->timeout : BUDGET_S;
	if (WEAKEN_GREET_EARLY)
		(void)send(s.cfd, "220 submitify\r\n", 15, MSG_NOSIGNAL);
	if (session_setup(&s, budget * 1000) != 0)
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
	    prog, pid, dest, s.acct != NULL ? s.acct->name : "-",
	    s.upstream[0] != '\0' ? s.upstream : "-",
	    s.tls_up ? tls_version(s.tls) : "none",
	    s.tls_up ? "/" : "", s.tls_up ? tls_cipher(s.tls) : "",
	    s.mech != NULL ? s.mech : s.acct != NULL && s.acct->user != NULL &&
	    s.acct->auth != AUTH_OFF ? "-" : "program",
	    s.messages, s.last_code, s.bytes_up, s.bytes_down,
	    now_ms() - t0, s.fail != FAIL_NONE ? " error=" : "",
	    s.fail != FAIL_NONE ? s.why : "");
	session_close_upstream(&s, 0);
	session_free(&s);
	if (s.cfd >= 0)
		(void)close(s.cfd);
	conf_free(conf);
	free(path);
	free(prog_copy);
	return (s.fail == FAIL_NONE ? 0 : 1);
}
