/*
 * submitify: run a program with libsubmitify.so preloaded (or, for the
 * programs it cannot reach, under the seccomp supervisor), or check an
 * account.  Options, wiring and exit codes only.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "configure.h"
#include "elfcheck.h"
#include "log.h"
#include "seccomp.h"
#include "session.h"
#include "smtp.h"
#include "tls.h"
#include "util.h"
#include "warmctl.h"

#ifndef SUBMITIFY_VERSION
#define SUBMITIFY_VERSION "0.1"
#endif
/* The installed shim and helper, relative to this program's directory: the
 * Makefile derives them from BINDIR, LIBDIR and LIBEXECDIR. */
#ifndef SUBMITIFY_REL_SHIM
#define SUBMITIFY_REL_SHIM "../lib/submitify/libsubmitify.so"
#endif
#ifndef SUBMITIFY_REL_HELPER
#define SUBMITIFY_REL_HELPER "../libexec/submitify/submitify-helper"
#endif
#ifndef SUBMITIFY_REL_SUPERVISE
#define SUBMITIFY_REL_SUPERVISE "../libexec/submitify/submitify-supervise"
#endif
/* Where LIBDIR is BASE/lib/MULTIARCH (the Debian layout): BASE, relative
 * to this program's directory; empty for any other LIBDIR. */
#ifndef SUBMITIFY_REL_LIBBASE
#define SUBMITIFY_REL_LIBBASE ""
#endif
#ifndef SUBMITIFY_MULTIARCH
#define SUBMITIFY_MULTIARCH "x86_64-linux-gnu"
#endif

static const char *progname = "submitify";

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: submitify [-c FILE] [-a ACCOUNT] [-v] [--force] "
	    "[--seccomp] [--no-warm]\n"
	    "                 [--] COMMAND [ARG...]\n"
	    "       submitify --check [-c FILE] [-a ACCOUNT] [-v]\n"
	    "       submitify --check-config [-c FILE]\n"
	    "       submitify --configure ADDRESS\n"
	    "       submitify --warm-status | --warm-stop\n"
	    "       submitify --version | --help\n"
	    "\n"
	    "Runs COMMAND so that its plain SMTP connections to port 25 are\n"
	    "submitted over TLS (587 STARTTLS or 465) with SMTP AUTH, as the\n"
	    "account in submit.conf says.\n"
	    "\n"
	    "  -c FILE          configuration file (else $SUBMITIFY_CONF,\n"
	    "                   ~/.config/submitify/submit.conf,\n"
	    "                   /etc/submitify/submit.conf, ~/.msmtprc)\n"
	    "  -a ACCOUNT       use this account for every connection\n"
	    "  -v               print a redacted SMTP transcript on stderr\n"
	    "  --force          run COMMAND even if submitify cannot reach it\n"
	    "  --seccomp        serve COMMAND through the seccomp supervisor,\n"
	    "                   as static and Go programs always are; under it\n"
	    "                   no program COMMAND starts gains privileges: a\n"
	    "                   set-user-ID or set-group-ID program (sendmail's\n"
	    "                   postdrop, sudo) runs without them and fails\n"
	    "  --no-warm        no warm helper: every session is a cold\n"
	    "                   helper's (SUBMITIFY_WARM=0)\n"
	    "  --warm-status    list this user's warm helpers\n"
	    "  --warm-stop      stop them\n"
	    "  --check          connect as a session would, report each step,\n"
	    "                   authenticate, QUIT; send no mail\n"
	    "  --check-config   print the effective settings (secrets as *)\n"
	    "  --configure ADDRESS\n"
	    "                   find the submission server of ADDRESS's domain\n"
	    "                   in DNS (SRV), check it, and print an account\n"
	    "                   block for submit.conf\n");
}

/* The directory of this executable, with a trailing slash. */
static int
self_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return (-1);
	slash[1] = '\0';
	return (0);
}

/* Find a file installed beside us, or in the build tree. */
static char *
beside(const char *installed, const char *built)
{
	char dir[PATH_MAX], path[PATH_MAX * 2], *real;

	if (self_dir(dir, sizeof(dir)) != 0)
		return (NULL);
	(void)fmt_whole(path, sizeof(path), "%s%s", dir, installed);
	if ((real = realpath(path, NULL)) != NULL)
		return (real);
	(void)fmt_whole(path, sizeof(path), "%s%s", dir, built);
	return (realpath(path, NULL));
}

/* Is base/sub/submitify/libsubmitify.so a file (the file at same, if
 * same is not NULL)? */
static int
lib_has_shim(const char *base, const char *sub, const char *same)
{
	char path[PATH_MAX * 2];
	struct stat a, b;

	(void)fmt_whole(path, sizeof(path), "%s/%s/submitify/libsubmitify.so",
	    base, sub);
	if (stat(path, &a) != 0 || !S_ISREG(a.st_mode))
		return (0);
	if (same == NULL)
		return (1);
	return (stat(same, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino);
}

/*
 * LD_PRELOAD's value for one word size or both.  When a 32-bit shim lies
 * beside shim64 as ld.so's $LIB expands (BASE/lib/MULTIARCH for 64-bit
 * programs; BASE/lib/i386-linux-gnu for libc6:i386's loader and BASE/lib32
 * for libc6-i386's, which gcc-multilib brings): BASE/$LIB/submitify/
 * libsubmitify.so, unexpanded, so that every program the command starts,
 * of either word size, loads its own shim without a loader error.  Else
 * shim64 itself, and *both is 0.
 */
static char *
shim_value(const char *shim64, int *both)
{
	const char *const bases[] = { SUBMITIFY_REL_LIBBASE, "../shim" };
	char dir[PATH_MAX], path[PATH_MAX * 2], *base;
	size_t i;

	*both = 0;
	if (self_dir(dir, sizeof(dir)) != 0)
		return (xstrdup(shim64));
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (bases[i][0] == '\0')
			continue;
		(void)fmt_whole(path, sizeof(path), "%s%s", dir, bases[i]);
		if ((base = realpath(path, NULL)) == NULL)
			continue;
		if (lib_has_shim(base, "lib/" SUBMITIFY_MULTIARCH, shim64) &&
		    lib_has_shim(base, "lib/i386-linux-gnu", NULL) &&
		    lib_has_shim(base, "lib32", NULL)) {
			(void)fmt_whole(path, sizeof(path), "%s/$LIB/submitify/"
			    "libsubmitify.so", base);
			free(base);
			*both = 1;
			return (xstrdup(path));
		}
		free(base);
	}
	return (xstrdup(shim64));
}

/* A sanitizer runtime (lib, n chars) must stay first in LD_PRELOAD. */
static int
is_sanitizer(const char *lib, size_t n)
{
	static const char *const names[] = { "libasan", "libclang_rt.asan",
	    "libtsan", "libubsan", "libclang_rt.ubsan" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (memmem(lib, n, names[i], strlen(names[i])) != NULL)
			return (1);
	return (0);
}

#ifdef __SANITIZE_ADDRESS__
/* A sanitizer build's shim needs the runtime loaded before it: ours. */
static int
find_asan(struct dl_phdr_info *info, size_t size, void *arg)
{
	char **out = arg;

	(void)size;
	if (info->dlpi_name != NULL && strstr(info->dlpi_name, "libasan") !=
	    NULL && *out == NULL)
		*out = xstrdup(info->dlpi_name);
	return (0);
}
#endif

/* Append n bytes of s to out, of size cap, holding *len chars and a NUL. */
static void
append(char *out, size_t cap, size_t *len, const char *s, size_t n)
{

	/* The caller sized out for every word: anything else is a bug. */
	if (n >= cap - *len)
		abort();
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

/*
 * LD_PRELOAD with shim first, after any sanitizer runtime already there.
 * The old value's words (split at ':' and ' ', as ld.so does) keep their
 * order, sanitizers before the shim, the rest after it; shim itself is not
 * repeated.
 */
static char *
preload_value(const char *old, const char *shim)
{
	const char *rest, *w;
	char *out;
	size_t cap, len = 0, n, slen = strlen(shim);
#ifdef __SANITIZE_ADDRESS__
	char *asan = NULL, *copy;

	(void)dl_iterate_phdr(find_asan, &asan);
	if (asan != NULL && (old == NULL || strstr(old, "libasan") == NULL)) {
		cap = strlen(asan) + (old != NULL ? strlen(old) : 0) + 2;
		if ((copy = malloc(cap)) == NULL)
			return (NULL);
		(void)fmt_whole(copy, cap, "%s%s%s", asan, old != NULL ? ":" :
		    "", old != NULL ? old : "");
		out = preload_value(copy, shim);
		free(copy);
		free(asan);
		return (out);
	}
	free(asan);
#endif
	if (old == NULL)
		old = "";
	/* Each word and one ':' fit in what the old value held. */
	cap = strlen(old) + slen + 3;
	if ((out = malloc(cap)) == NULL)
		return (NULL);
	out[0] = '\0';
	rest = old;
	while ((n = split_next(&rest, ": ", &w)) > 0)
		if (is_sanitizer(w, n)) {
			append(out, cap, &len, w, n);
			append(out, cap, &len, ":", 1);
		}
	append(out, cap, &len, shim, slen);
	rest = old;
	while ((n = split_next(&rest, ": ", &w)) > 0)
		if (!is_sanitizer(w, n) && (n != slen ||
		    memcmp(w, shim, n) != 0)) {
			append(out, cap, &len, ":", 1);
			append(out, cap, &len, w, n);
		}
	return (out);
}

/* Look COMMAND up in PATH the way execvp() will. */
static char *
find_command(const char *cmd)
{
	const char *path = getenv("PATH"), *rest, *dir;
	char buf[PATH_MAX];
	size_t n;
	int k;

	if (strchr(cmd, '/') != NULL)
		return (xstrdup(cmd));
	rest = path != NULL ? path : "/usr/bin:/bin";
	while ((n = split_next(&rest, ":", &dir)) > 0) {
		/* A name too long for a path is not one execvp() can run. */
		if (n >= sizeof(buf))
			continue;
		k = snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, dir, cmd);
		if (k < 0 || (size_t)k >= sizeof(buf))
			continue;
		if (access(buf, X_OK) == 0)
			return (xstrdup(buf));
	}
	return (NULL);
}

/* How the wrapper runs COMMAND. */
enum reach { REACH_SHIM, REACH_SUPERVISE, REACH_NONE };

/* Is the ELF file at path a 64-bit one?  Unreadable files count as one. */
static int
elf_is64(const char *path)
{
	unsigned char id[EI_NIDENT];
	FILE *f;
	size_t n = 0;

	if ((f = fopen(path, "rb")) != NULL) {
		n = fread(id, 1, sizeof(id), f);
		(void)fclose(f);
	}
	return (n != sizeof(id) || id[EI_CLASS] != ELFCLASS32);
}

/*
 * How cmd (or a script's interpreter) can be reached: the shim; the
 * supervisor, for static and Go programs and with --seccomp; or not at
 * all, REACH_NONE after saying why.  has32: a 32-bit shim is preloaded
 * too.
 */
static enum reach
check_reach(const char *cmd, int force, int has32, int seccomp)
{
	char why[PATH_MAX + 200], line[PATH_MAX], *path, *sp, *judged;
	enum elf_verdict v;
	size_t n;
	FILE *f;
	int is64;

	if ((path = find_command(cmd)) == NULL)
		return (seccomp ? REACH_SUPERVISE : REACH_SHIM);
	judged = path;
	v = elf_check(path, why, sizeof(why));
	if (v == ELF_NOT_ELF && (f = fopen(path, "r")) != NULL) {
		/* A script: judge its interpreter. */
		if (fgets(line, sizeof(line), f) != NULL &&
		    strncmp(line, "#!", 2) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			sp = line + 2;
			sp += strspn(sp, " \t");
			sp[strcspn(sp, " \t")] = '\0';
			v = elf_check(sp, why, sizeof(why));
			judged = sp;
		}
		(void)fclose(f);
	}
	is64 = elf_is64(judged);
	free(path);
	if ((v == ELF_STATIC || v == ELF_GO || seccomp) && v != ELF_SETID &&
	    v != ELF_CAPS) {
		if (is64)
			return (REACH_SUPERVISE);
		n = strlen(why);
		(void)snprintf(why + n, sizeof(why) - n, "%s32-bit programs "
		    "make i386 system calls, which the seccomp supervisor "
		    "refuses", n > 0 ? "; and " : "");
	} else if (v == ELF_OK || v == ELF_NOT_ELF ||
	    (v == ELF_DYN32 && has32))
		return (REACH_SHIM);
	else if (v == ELF_DYN32) {
		n = strlen(why);
		(void)snprintf(why + n, sizeof(why) - n, ", and none is "
		    "installed (it is built where gcc -m32 works: "
		    "gcc-multilib)");
	}
	fprintf(stderr, "%s: cannot intercept this program: %s%s\n", progname,
	    why, force ? " (running it anyway: --force)" : "; see "
	    "\"What submitify cannot reach\" in README.md, or use --force");
	return (force ? REACH_SHIM : REACH_NONE);
}

/*
 * LD_PRELOAD for a supervised program: the shim taken out of it (one
 * handoff per connect, the supervisor's), anything else kept.
 */
static int
preload_without_shim(void)
{
	const char *old = getenv("LD_PRELOAD"), *rest, *w, *base;
	char *out;
	size_t cap, len = 0, n;
	int r;

	if (old == NULL)
		return (0);
	cap = strlen(old) + 2;
	if ((out = malloc(cap)) == NULL)
		return (-1);
	out[0] = '\0';
	rest = old;
	while ((n = split_next(&rest, ": ", &w)) > 0) {
		base = memrchr(w, '/', n);
		base = base != NULL ? base + 1 : w;
		if ((size_t)(w + n - base) == strlen("libsubmitify.so") &&
		    memcmp(base, "libsubmitify.so", w + n - base) == 0)
			continue;
		if (len > 0)
			append(out, cap, &len, ":", 1);
		append(out, cap, &len, w, n);
	}
	r = len > 0 ? setenv("LD_PRELOAD", out, 1) : unsetenv("LD_PRELOAD");
	free(out);
	return (r);
}

static int
exit_for(enum fail_class c)
{

	switch (c) {
	case FAIL_NONE: return (EX_OK);
	case FAIL_CONFIG: return (EX_CONFIG);
	case FAIL_CONNECT: return (EX_UNAVAILABLE);
	case FAIL_TIMEOUT: return (EX_TEMPFAIL);
	case FAIL_AUTH: return (EX_NOPERM);
	case FAIL_TLS:
	case FAIL_CERT:
	case FAIL_PROTOCOL:
	case FAIL_PROGRAM:
	default: return (EX_PROTOCOL);
	}
}

/* What to try next, for --check. */
static const char *
hint(const struct session *s)
{
	const struct conf_account *a = s->acct;

	switch (s->fail) {
	case FAIL_AUTH:
		if (strstr(s->why, "offer") != NULL)
			return ("set auth to a mechanism the server offers, or "
			    "auth on to let submitify choose");
		return ("the server refused these credentials: check user "
		    "and password (or passwordeval, or ~/.netrc)");
	case FAIL_CERT:
		return ("the server's certificate is not trusted: set "
		    "tls_trust_file to the CA that signed it, or pin this "
		    "certificate with tls_fingerprint and the sha256 "
		    "fingerprint shown above");
	case FAIL_CONNECT:
		return ("check host and port: submission is port 587 "
		    "(STARTTLS) or 465 (tls_starttls off)");
	case FAIL_TIMEOUT:
		if (a->starttls && a->tls)
			return ("the server said nothing: a server on port 465 "
			    "expects TLS at once; use tls_starttls off there");
		return ("the server did not answer in time: check host, port "
		    "and any firewall between");
	case FAIL_TLS:
		if (!a->starttls && strstr(s->why, "handshake") != NULL)
			return ("a server on port 587 starts in plain text; "
			    "use tls_starttls on there");
		return ("the server does not offer what a safe session needs; "
		    "submitify does not fall back to plain text");
	case FAIL_CONFIG:
		return ("fix the configuration named above");
	default:
		return ("run with -v for the transcript");
	}
}

/* --check: lines of "label: value", one for each line of text. */
static void
print_lines(FILE *f, const char *text)
{
	const char *line, *nl;
	size_t n;

	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (n > 0)
			esc_line(f, "%.*s", (int)n, line);
		if (nl == NULL)
			break;
	}
}

/*
 * --check: one line for each step of the session.  Every line goes through
 * esc_line(), since much of it quotes the server.
 */
static void
print_event(void *arg, enum session_event ev, const char *text,
    const char *more)
{
	FILE *f = arg;

	switch (ev) {
	case SEV_CONNECTED:
		esc_line(f, "connected: %s", text);
		break;
	case SEV_GREETING:
		esc_line(f, "greeting: %s", text);
		break;
	case SEV_TLS:
		esc_line(f, "TLS: %s, cipher %s", text, more);
		break;
	case SEV_CERT:
		print_lines(f, text);
		break;
	case SEV_TRUST:
		esc_line(f, "trust: %s", text);
		break;
	case SEV_VERIFY_OK:
		esc_line(f, "verification: ok: chain trusted and host name "
		    "matches");
		break;
	case SEV_VERIFY_PINNED:
		esc_line(f, "verification: ok: the certificate matches "
		    "tls_fingerprint");
		break;
	case SEV_VERIFY_OFF:
		esc_line(f, "verification: NOT CHECKED (tls_certcheck off)");
		break;
	case SEV_VERIFY_FAILED:
		esc_line(f, "verification: FAILED: %s", text);
		break;
	case SEV_AUTH_OFFERED:
		esc_line(f, "AUTH offered after TLS: %s", text[0] != '\0' ?
		    text : "(none)");
		break;
	case SEV_AUTH_RELAYED:
		esc_line(f, "AUTH: none injected (no user: the program's own "
		    "AUTH is relayed)");
		break;
	case SEV_AUTH_OFF:
		esc_line(f, "AUTH: none injected (auth off)");
		break;
	case SEV_PASSWORDEVAL:
		esc_line(f, "passwordeval said: %s", text);
		break;
	case SEV_AUTH_REMEMBERED:
		esc_line(f, "AUTH: %s first: it worked after a fallback before "
		    "(%s); to use it directly: auth %s", text, more,
		    sasl_name_word(text));
		break;
	case SEV_AUTH_CHOSEN:
		esc_line(f, "AUTH chosen: %s as %s", text, more);
		break;
	case SEV_AUTH_RESULT:
		esc_line(f, "AUTH result: %s", text);
		break;
	case SEV_CLIENT_CERT:
		if (text != NULL)
			esc_line(f, "client certificate: %s (%s)", text, more);
		else
			esc_line(f, "client certificate: not asked for by the "
			    "server (%s)", more);
		break;
	case SEV_AUTH_FALLBACK:
		esc_line(f, "AUTH: %s worked after %s; to use it directly: "
		    "auth %s", text, more, sasl_name_word(text));
		break;
	}
}

/* --check: a real session up to AUTH, then QUIT. */
static int
check_account(const struct conf *c, const char *acct, int verbose)
{
	struct session_observer printer = { print_event, stdout };
	struct session s;
	struct smtp_reply r;
	char err[CONF_ERRLEN];
	int rc;

	/* A server (or a socket's far end) gone before the close_notify is
	 * written must not end --check with SIGPIPE, as it does not end the
	 * helper; this process runs no program afterwards. */
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof(s));
	s.cfd = -1;
	s.up.fd = -1;
	s.acct = conf_choose(c, acct, 0, NULL, err, sizeof(err));
	if (s.acct == NULL) {
		fprintf(stderr, "%s: %s\n", progname, err);
		return (EX_CONFIG);
	}
	s.observer = &printer;
	s.verbose = verbose;
	/* As the helper will: the remembered mechanism first, and a
	 * fallback remembered. */
	s.use_memory = 1;
	if (verbose)
		log_configure(NULL, 0, 1);
	printf("account: %s (%s)\n", s.acct->name, c->path);
	if (s.acct->socket_path != NULL)
		printf("server: %s through the socket %s, ", s.acct->host,
		    s.acct->socket_path);
	else
		printf("server: %s:%d, ", s.acct->host, conf_port(s.acct));
	printf("%s\n", !s.acct->tls ? "NO TLS (tls off)" : s.acct->starttls ?
	    "STARTTLS" : "implicit TLS");
	(void)fflush(stdout);
	if (session_setup(&s, (s.acct->timeout > 0 ? s.acct->timeout : 30) *
	    1000) == 0) {
		s.deadline = now_ms() + 10000;
		if (up_write(&s, "QUIT\r\n", 6) == 0 && up_reply(&s, &r) == 0)
			esc_line(stdout, "QUIT: %.*s", (int)(r.len > 2 ?
			    r.len - 2 : r.len), r.raw);
		session_close_upstream(&s, 1);
	}
	if (s.fail == FAIL_NONE)
		printf("result: OK: this account can submit mail\n");
	else {
		esc_line(stdout, "result: FAILED: %s", s.why);
		printf("hint: %s\n", hint(&s));
	}
	rc = exit_for(s.fail);
	session_close_upstream(&s, 0);
	session_free(&s);
	return (rc);
}

enum { O_CHECK = 256, O_CHECKCONF, O_CONFIGURE, O_FORCE, O_SECCOMP,
    O_VERSION, O_HELP, O_NOWARM, O_WARMSTATUS, O_WARMSTOP };

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, O_CHECK },
		{ "check-config", no_argument, NULL, O_CHECKCONF },
		{ "configure", required_argument, NULL, O_CONFIGURE },
		{ "force", no_argument, NULL, O_FORCE },
		{ "seccomp", no_argument, NULL, O_SECCOMP },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, O_HELP },
		{ "no-warm", no_argument, NULL, O_NOWARM },
		{ "warm-status", no_argument, NULL, O_WARMSTATUS },
		{ "warm-stop", no_argument, NULL, O_WARMSTOP },
		{ NULL, 0, NULL, 0 }
	};
	const struct session_observer stderr_printer = { print_event, stderr };
	const char *copt = NULL, *acct = NULL, *configure_addr = NULL;
	char err[CONF_ERRLEN], *path, *abs, *shim, *helper, *pre, *secret;
	char *value, *sup, why[PATH_MAX + 200];
	const char *ports;
	struct conf *c;
	size_t i;
	int ch, verbose = 0, check = 0, checkconf = 0, force = 0, msmtprc;
	int both, seccomp = 0, warmctl = -1;
	enum reach how;

	while ((ch = getopt_long(argc, argv, "+c:a:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': copt = optarg; break;
		case 'a': acct = optarg; break;
		case 'v': verbose = 1; break;
		case O_CHECK: check = 1; break;
		case O_CHECKCONF: checkconf = 1; break;
		case O_CONFIGURE: configure_addr = optarg; break;
		case O_FORCE: force = 1; break;
		case O_SECCOMP: seccomp = 1; break;
		case O_NOWARM:
			if (setenv("SUBMITIFY_WARM", "0", 1) != 0) {
				fprintf(stderr, "%s: setenv: %s\n", progname,
				    strerror(errno));
				return (EX_OSERR);
			}
			break;
		case O_WARMSTATUS: warmctl = 0; break;
		case O_WARMSTOP: warmctl = 1; break;
		case O_VERSION:
			printf("submitify %s (%s)\n", SUBMITIFY_VERSION,
			    tlsc_library_version());
			return (EX_OK);
		case 'h':
		case O_HELP:
			usage(stdout);
			return (EX_OK);
		default:
			usage(stderr);
			return (EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (warmctl >= 0) {
		if (check || checkconf || configure_addr != NULL || argc > 0) {
			usage(stderr);
			return (EX_USAGE);
		}
		if ((ch = warmctl_all(stdout, warmctl)) == 0)
			printf("no warm helper is running for this user\n");
		return (ch < 0 ? EX_NOPERM : EX_OK);
	}
	if (configure_addr != NULL) {
		if (check || checkconf || argc > 0) {
			usage(stderr);
			return (EX_USAGE);
		}
		return (configure(configure_addr, &stderr_printer));
	}
	if (!check && !checkconf && argc == 0) {
		usage(stderr);
		return (EX_USAGE);
	}

	if ((path = conf_locate(copt, 0, &msmtprc)) == NULL) {
		fprintf(stderr, "%s: no configuration file: give -c FILE, set "
		    "SUBMITIFY_CONF, or write ~/.config/submitify/submit.conf "
		    "(see submit.conf.example)\n", progname);
		return (EX_CONFIG);
	}
	if (msmtprc)
		fprintf(stderr, "%s: no submit.conf found; reading %s\n",
		    progname, path);
	if ((c = conf_load(path, CONF_PERMS, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", progname, err);
		return (EX_CONFIG);
	}
	if (c->nignored > 0) {
		fprintf(stderr, "%s: %s: ignoring msmtp settings that "
		    "submitify has no use for:", progname, path);
		for (i = 0; i < c->nignored; i++)
			fprintf(stderr, "%s %s", i ? "," : "", c->ignored[i]);
		fputc('\n', stderr);
	}
	if (acct != NULL && conf_find(c, acct) == NULL) {
		fprintf(stderr, "%s: %s: no account \"%s\"\n", progname, path,
		    acct);
		return (EX_CONFIG);
	}
	/* An account with a user needs a secret now, not at send time. */
	for (i = 0; i < c->nacct; i++) {
		if (!conf_needs_secret(c->acct[i]))
			continue;
		if ((secret = conf_secret(c->acct[i], 0, err,
		    sizeof(err), NULL, 0)) == NULL) {
			fprintf(stderr, "%s: %s\n", progname, err);
			return (EX_CONFIG);
		}
		wipe_free(secret);
	}
	if (checkconf) {
		conf_print(c, stdout);
		conf_free(c);
		return (EX_OK);
	}
	if (check) {
		if ((helper = beside(SUBMITIFY_REL_HELPER,
		    "../helper/submitify-helper")) != NULL)
			warmctl_check(stdout, helper);
		free(helper);
		ch = check_account(c, acct, verbose);
		conf_free(c);
		return (ch);
	}

	shim = beside(SUBMITIFY_REL_SHIM, "../shim/libsubmitify.so");
	helper = beside(SUBMITIFY_REL_HELPER, "../helper/submitify-helper");
	sup = beside(SUBMITIFY_REL_SUPERVISE,
	    "../supervise/submitify-supervise");
	if (shim == NULL || helper == NULL) {
		fprintf(stderr, "%s: cannot find %s beside %s\n", progname,
		    shim == NULL ? "libsubmitify.so" : "submitify-helper",
		    "this program");
		return (EX_SOFTWARE);
	}
	if ((abs = realpath(path, NULL)) == NULL)
		abs = xstrdup(path);
	ports = c->intercept_ports != NULL ? c->intercept_ports : "25";
	value = shim_value(shim, &both);
	pre = preload_value(getenv("LD_PRELOAD"), value);
	if (pre == NULL || setenv("LD_PRELOAD", pre, 1) != 0 ||
	    setenv("SUBMITIFY_CONF", abs, 1) != 0 ||
	    setenv("SUBMITIFY_HELPER", helper, 1) != 0 ||
	    setenv("SUBMITIFY_PORTS", ports, 1) != 0 ||
	    (acct != NULL && setenv("SUBMITIFY_ACCOUNT", acct, 1) != 0) ||
	    (verbose && setenv("SUBMITIFY_DEBUG", "1", 1) != 0)) {
		fprintf(stderr, "%s: setenv: %s\n", progname, strerror(errno));
		return (EX_OSERR);
	}
	if (acct == NULL)
		(void)unsetenv("SUBMITIFY_ACCOUNT");
	if ((how = check_reach(argv[0], force, both, seccomp)) == REACH_NONE)
		return (EX_UNAVAILABLE);
	if (how == REACH_SUPERVISE) {
		if (sup == NULL) {
			fprintf(stderr, "%s: cannot find submitify-supervise "
			    "beside this program\n", progname);
			return (EX_SOFTWARE);
		}
		if (preload_without_shim() != 0) {
			fprintf(stderr, "%s: setenv: %s\n", progname,
			    strerror(errno));
			return (EX_OSERR);
		}
		if (seccomp_supervise(sup, ports, helper, why,
		    sizeof(why)) != 0) {
			fprintf(stderr, "%s: cannot start the seccomp "
			    "supervisor: %s\n", progname, why);
			return (EX_UNAVAILABLE);
		}
	}
	conf_free(c);
	execvp(argv[0], argv);
	fprintf(stderr, "%s: %s: %s\n", progname, argv[0], strerror(errno));
	return (EX_UNAVAILABLE);
}
