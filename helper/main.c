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
#include <sys/wait.h>

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

#include "conf.h"
#include "contract.h"
#include "log.h"
#include "serve.h"
#include "util.h"
#include "warm.h"
#include "warmd.h"
#include "weaken.h"

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

int
main(int argc, char **argv)
{
	struct job j;
	char progname[HELPER_PROG_MAX * 4];
	const char *warm = "", *idle = NULL, *serve = NULL, *env;
	unsigned long long num;
	int i, have_cookie = 0, rc, status;
	pid_t kid;

	memset(&j, 0, sizeof(j));
	j.t0 = now_ms();
	j.prog = "?";
	j.lfd = HELPER_LISTEN_FD;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], HELPER_OPT_SECURE) == 0)
			j.secure = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], HELPER_OPT_PEER) == 0)
			j.peer = argv[++i];
		else if (strcmp(argv[i], HELPER_OPT_DEST) == 0)
			j.dest = argv[++i];
		else if (strcmp(argv[i], HELPER_OPT_COOKIE) == 0) {
			if (warm_number(argv[++i], &num) != 0)
				usage();
			j.cookie = (uint64_t)num;
			have_cookie = 1;
		} else if (strcmp(argv[i], HELPER_OPT_PROG) == 0)
			j.prog = argv[++i];
		else if (strcmp(argv[i], HELPER_OPT_PID) == 0) {
			if (warm_number(argv[++i], &num) != 0 || num > LONG_MAX)
				usage();
			j.pid = (long)num;
		} else if (strcmp(argv[i], HELPER_OPT_WARM) == 0)
			warm = argv[++i];
		else if (strcmp(argv[i], WARMD_OPT_SERVE) == 0)
			serve = argv[++i];
		else if (strcmp(argv[i], WARMD_OPT_IDLE) == 0)
			idle = argv[++i];
		else
			usage();
	}
	if (serve != NULL) {
		if (idle == NULL || warm_number(idle, &num) != 0 || num < 1 ||
		    num > 86400 || j.peer != NULL || j.secure)
			usage();
		return (warmd_main(serve, (int)num, argv));
	}
	if (j.peer == NULL || j.dest == NULL || !have_cookie)
		usage();
	j.secure = running_secure(j.secure);
	/* The program's name goes into log lines: no control characters
	 * (a setuid host's name is whatever its caller chose). */
	(void)esc_text(progname, sizeof(progname), j.prog, strlen(j.prog));
	j.prog = progname;

	/*
	 * Started for a setuid or setgid program: the environment belongs to
	 * whoever ran it, not to the privileges the helper now has.  Keep
	 * nothing of it; HOME (for ~ in passwordeval, ~/.netrc) is the
	 * effective user's own.
	 */
	if (j.secure) {
		struct passwd *pw = getpwuid(geteuid());

		(void)clearenv();
		(void)setenv("PATH", "/usr/bin:/bin", 1);
		if (pw != NULL && pw->pw_dir != NULL)
			(void)setenv("HOME", pw->pw_dir, 1);
		if (become_effective() != 0)
			j.idfail = errno;
	}
	/* No core file or ptrace peek at the credentials. */
	if (!WEAKEN_NO_WIPE)
		(void)prctl(PR_SET_DUMPABLE, 0);
	(void)signal(SIGPIPE, SIG_IGN);
	log_init(j.prog, j.pid);
	if (j.idfail == 0)
		job_choose(&j);
	/*
	 * The next session of this uid can be served warm: start the warm
	 * helper, unless the host is setuid or setgid, the user turned it
	 * off, or the account did (warm_idle 0).  It is started before this
	 * session, so that a burst's second message finds it.
	 */
	kid = -1;
	if (!j.secure && warm[0] != '\0' && ((env = getenv("SUBMITIFY_WARM")) ==
	    NULL || strcmp(env, "0") != 0) && job_warm_idle(&j) > 0)
		kid = warmd_start(warm, job_warm_idle(&j));
	rc = job_run(&j);
	if (kid > 0)
		while (waitpid(kid, &status, 0) == -1 && errno == EINTR)
			;
	return (rc);
}
