/*
 * Unit tests for helper/secrets: the password given, printed by a
 * passwordeval command (its limits, its failures, its background jobs)
 * or found in ~/.netrc (the file and the token reader).
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "secrets.h"
#include "util.h"
#include "tmpdir.h"
#include "run_suite.h"

#define ERRLEN	512

/*
 * A source for user at mail.example.org, account a defined at t.conf:1:
 * the password given, or the command that prints it (may be NULL both).
 */
static struct secret_source
source(const char *user, const char *password, const char *eval,
    int timeout_s)
{
	struct secret_source src;

	memset(&src, 0, sizeof(src));
	src.password = password;
	src.passwordeval = eval;
	src.user = user;
	src.host = "mail.example.org";
	src.timeout_s = timeout_s;
	src.file = "t.conf";
	src.line = 1;
	src.account = "a";
	return (src);
}

/* The secret of alice's account with this passwordeval; NULL: err. */
static char *
eval(const char *cmd, int timeout_s, char *err)
{
	struct secret_source src = source("alice", NULL, cmd, timeout_s);

	err[0] = '\0';
	return (secret_get(&src, 1, err, ERRLEN, NULL, 0));
}

/* ---- the password given ---- */

START_TEST(secret_password)
{
	struct secret_source src = source("alice", "p w", "exit 1", 0);
	char err[ERRLEN], *s;

	/* The password wins over a command, which is not run. */
	s = secret_get(&src, 1, err, sizeof(err), NULL, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "p w");
	wipe_free(s);
	s = secret_get(&src, 0, err, sizeof(err), NULL, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "p w");
	wipe_free(s);
}
END_TEST

/* ---- passwordeval ---- */

START_TEST(secret_eval)
{
	char err[ERRLEN], *s;

	s = eval("printf 'tok\\n'", 0, err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "tok");
	wipe_free(s);

	/* CRLF output loses both; inner white space stays. */
	s = eval("printf ' a b\\r\\n'", 0, err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, " a b");
	wipe_free(s);
}
END_TEST

START_TEST(secret_eval_not_run)
{
	struct secret_source src;
	char err[ERRLEN], *s, *cmd, *mark;

	ck_assert_int_ge(asprintf(&mark, "%s/ran", tmpdir), 0);
	ck_assert_int_ge(asprintf(&cmd, "touch %s", mark), 0);
	src = source("alice", NULL, cmd, 0);
	s = secret_get(&src, 0, err, sizeof(err), NULL, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "*");
	ck_assert_int_ne(access(mark, F_OK), 0);
	wipe_free(s);
	free(cmd);
	free(mark);
}
END_TEST

/* The reason names what failed, never the command or what it printed;
 * the first line of its stderr comes apart, escaped. */
START_TEST(secret_eval_fails)
{
	struct secret_source src;
	char err[ERRLEN], detail[256], *s;

	src = source("alice", NULL, "echo 'vault is \\033[2Jlocked' >&2; "
	    "echo second line >&2; exit 3", 0);
	err[0] = '\0';
	s = secret_get(&src, 1, err, sizeof(err), detail, sizeof(detail));
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval failed (exit status 3)");
	ck_assert_str_eq(detail, "vault is \\x1b[2Jlocked");

	/* Callers that want no detail pass NULL. */
	err[0] = '\0';
	s = secret_get(&src, 1, err, sizeof(err), NULL, 0);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval failed (exit status 3)");

	/* A success gives the secret, and detail what stderr said (its
	 * callers show it only on failure); silence leaves it empty. */
	src = source("alice", NULL, "echo noise >&2; echo tok", 0);
	(void)strcpy(detail, "stale");
	s = secret_get(&src, 1, err, sizeof(err), detail, sizeof(detail));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "tok");
	ck_assert_str_eq(detail, "noise");
	wipe_free(s);
	src = source("alice", NULL, "echo tok", 0);
	s = secret_get(&src, 1, err, sizeof(err), detail, sizeof(detail));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(detail, "");
	wipe_free(s);
}
END_TEST

/* Is a process with this exact command line running? */
static int
running(const char *cmdline)
{
	char cmd[256];

	(void)snprintf(cmd, sizeof(cmd), "pgrep -xf '%s' >/dev/null",
	    cmdline);
	return (system(cmd) == 0);
}

/*
 * A background job that keeps stdout or stderr open: the answer is what
 * the shell printed before it exited, at once, and the job is ended with
 * it; a command that itself hangs still meets the timeout.
 */
START_TEST(secret_eval_background_job)
{
	static const char *const forms[] = {
		"sleep 97.%d & echo tok",
		"(sleep 97.%d >&2 &); echo tok",
		"sleep 97.%d >/dev/null 2>&1 & echo tok",
	};
	char err[ERRLEN], cmd[256], job[64], *s;
	long long t0;
	size_t i;
	int status;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		(void)snprintf(job, sizeof(job), "sleep 97.%d",
		    (int)getpid() * 10 + (int)i);
		(void)snprintf(cmd, sizeof(cmd), forms[i],
		    (int)getpid() * 10 + (int)i);
		t0 = now_ms();
		s = eval(cmd, 20, err);
		ck_assert_msg(s != NULL, "%s: %s", forms[i], err);
		ck_assert_str_eq(s, "tok");
		ck_assert_msg(now_ms() - t0 < 5000, "%s: took %lld ms",
		    forms[i], now_ms() - t0);
		wipe_free(s);
		/* The job is gone (SIGKILL is delivered at once, but give it
		 * a moment to leave the process table). */
		for (t0 = now_ms(); running(job) && now_ms() - t0 < 3000; )
			usleep(50000);
		ck_assert_msg(!running(job), "%s: the job outlived it",
		    forms[i]);
		/* And no child of ours is left to reap. */
		ck_assert_int_eq(waitpid(-1, &status, WNOHANG), -1);
		ck_assert_int_eq(errno, ECHILD);
	}
}
END_TEST

/* At most exactly 1 MiB of output, and the reason names the limit. */
START_TEST(secret_eval_limit)
{
	char err[ERRLEN], *s;

	s = eval("head -c 1048576 /dev/zero | tr '\\0' k", 20, err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(strlen(s), 1048576);
	wipe_free(s);

	s = eval("head -c 1048577 /dev/zero | tr '\\0' k", 20, err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval printed more than 1048576 bytes");

	/* The reported case: 2,000,000 bytes. */
	s = eval("head -c 2000000 /dev/zero | tr '\\0' k", 20, err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval printed more than 1048576 bytes");
}
END_TEST

START_TEST(secret_eval_killed)
{
	char err[ERRLEN], *s;

	s = eval("printf x; kill -9 $$", 0, err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval failed (signal 9)");
}
END_TEST

START_TEST(secret_eval_empty)
{
	char err[ERRLEN], *s;

	s = eval("printf '\\n'", 0, err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval printed nothing");

	s = eval("printf 'a\\0b'", 0, err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval printed a NUL byte");
}
END_TEST

START_TEST(secret_eval_long)
{
	char err[ERRLEN], *s;
	size_t i;

	s = eval("head -c 10240 /dev/zero | tr '\\0' k", 0, err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_uint_eq(strlen(s), 10240);
	for (i = 0; i < 10240; i++)
		ck_assert_int_eq(s[i], 'k');
	wipe_free(s);
}
END_TEST

START_TEST(secret_eval_sigchld_ignored)
{
	char err[ERRLEN], *s;
	int i;

	/*
	 * The wrapper looks for the secret in whatever process started it,
	 * and an ignored SIGCHLD is inherited across exec: the child is then
	 * reaped by the kernel and waitpid() fails with ECHILD.
	 */
	ck_assert(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	for (i = 0; i < 5; i++) {
		s = eval("printf tok", 0, err);
		ck_assert_msg(s != NULL && strcmp(s, "tok") == 0,
		    "with SIGCHLD ignored: %s", s != NULL ? s : err);
		wipe_free(s);
	}
}
END_TEST

/* A passwordeval that never answers is ended at the timeout given. */
START_TEST(secret_eval_timeout)
{
	char err[ERRLEN], *s;
	time_t t0 = time(NULL);

	s = eval("sleep 30", 1, err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "passwordeval gave no answer within 1 s");
	ck_assert_int_le(time(NULL) - t0, 5);
}
END_TEST

/* ---- ~/.netrc ---- */

static const char netrc_text[] =
    "machine other.example.org login alice password wrong\n"
    "machine mail.example.org\n"
    "\tlogin alice\n"
    "\tpassword s3cret\n"
    "machine mail.example.org login carol password c4rol\n"
    "default login bob password fallback\n";

static void
write_netrc(void)
{

	free(tmp_file(".netrc", netrc_text, 0600));
	ck_assert_int_eq(setenv("HOME", tmpdir, 1), 0);
}

/* The secret of user's account, with no password or passwordeval. */
static char *
netrc(const char *user, char *err)
{
	struct secret_source src = source(user, NULL, NULL, 0);

	err[0] = '\0';
	return (secret_get(&src, 1, err, ERRLEN, NULL, 0));
}

START_TEST(secret_netrc)
{
	char err[ERRLEN], *s;

	write_netrc();
	s = netrc("alice", err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "s3cret");
	wipe_free(s);

	/* The second entry for the same machine, by login. */
	s = netrc("carol", err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "c4rol");
	wipe_free(s);

	/* `default` serves any machine for its login. */
	s = netrc("bob", err);
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_str_eq(s, "fallback");
	wipe_free(s);
}
END_TEST

/* A .netrc others may read is not used, and the error says why. */
START_TEST(secret_netrc_unsafe)
{
	char err[ERRLEN], *s, path[128];

	write_netrc();
	(void)snprintf(path, sizeof(path), "%s/.netrc", tmpdir);
	ck_assert_int_eq(chmod(path, 0644), 0);
	s = netrc("alice", err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "~/.netrc may be read by others or is not "
	    "yours; run: chmod 600 ~/.netrc");
}
END_TEST

/* A ~/.netrc over the limit is refused with the limit named. */
START_TEST(secret_netrc_limit)
{
	char err[ERRLEN], *s, *p;
	FILE *f;
	int i;

	p = tmp_file(".netrc", "machine mail.example.org login alice "
	    "password s3cret\n", 0600);
	f = fopen(p, "a");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 1024 * 1024 / 64 + 1; i++)
		fprintf(f, "# %61d\n", i);
	ck_assert_int_eq(fclose(f), 0);
	free(p);
	ck_assert_int_eq(setenv("HOME", tmpdir, 1), 0);
	s = netrc("alice", err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "~/.netrc is longer than 1048576 bytes");
}
END_TEST

START_TEST(secret_none)
{
	struct secret_source src;
	char err[ERRLEN], *s;

	write_netrc();
	s = netrc("dave", err);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "t.conf:1: account a has user dave but no "
	    "password, passwordeval or ~/.netrc entry for mail.example.org");

	/* No user: ~/.netrc is not read. */
	src = source(NULL, NULL, NULL, 0);
	s = secret_get(&src, 1, err, sizeof(err), NULL, 0);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(err, "t.conf:1: account a has user ? but no "
	    "password, passwordeval or ~/.netrc entry for mail.example.org");

	/* No ~/.netrc at all. */
	ck_assert_int_eq(setenv("HOME", "/nonexistent", 1), 0);
	s = netrc("alice", err);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "no password, passwordeval or "
	    "~/.netrc entry"));
}
END_TEST

/*
 * The token reader, on its own: which entry serves which host and user.
 * Every row gives the same answer as the strtok_r() reader it replaced.
 */
static const struct {
	const char *text, *host, *user, *want;	/* want NULL: none */
} lookups[] = {
	{ netrc_text, "mail.example.org", "alice", "s3cret" },
	{ netrc_text, "mail.example.org", "carol", "c4rol" },
	{ netrc_text, "mail.example.org", "bob", "fallback" },
	{ netrc_text, "mail.example.org", "dave", NULL },
	{ netrc_text, "other.example.org", "alice", "wrong" },
	{ netrc_text, "elsewhere.example.org", "bob", "fallback" },
	{ "", "h", "u", NULL },
	{ " \t\r\n ", "h", "u", NULL },
	/* Blanks, tabs and line ends in any number separate tokens... */
	{ "\r\n\tmachine\t\th\r\n\r\nlogin  u\npassword\tp\n", "h", "u", "p" },
	{ "machine h login u password p", "h", "u", "p" },
	/* ...other white space does not. */
	{ "machine h\fpassword p", "h", "u", NULL },
	{ "machine h\fpassword p", "h\fpassword", "u", NULL },
	{ "machine h password p\v", "h", "u", "p\v" },
	/* Without a login an entry serves any user. */
	{ "machine h password p", "h", "anyone", "p" },
	/* Names are compared whole. */
	{ "machine mail password p", "mail.example.org", "u", NULL },
	{ "machine mail.example.org.evil password p", "mail.example.org",
	    "u", NULL },
	{ "machine h login uu password p", "h", "u", NULL },
	{ "machine h login u password p", "h", "uu", NULL },
	/* The first entry that serves wins, default or not. */
	{ "default password d\nmachine h login u password p", "h", "u",
	    "d" },
	{ "machine h login x password p\ndefault password d", "h", "u", "d" },
	{ "machine h login u\nmachine h login u password p2", "h", "u",
	    "p2" },
	/* The last login or password of an entry counts. */
	{ "machine h password a password b", "h", "u", "b" },
	{ "machine h login x login u password p", "h", "u", "p" },
	/* machine and default end an entry wherever they stand... */
	{ "machine h login u password machine x password y", "h", "u", NULL },
	{ "machine h login u password machine x password y", "x", "u", "y" },
	{ "machine h password p machine", "h", "u", "p" },
	{ "machine default password d", "h", "u", "d" },
	/* ...other words are taken as a name where one is expected. */
	{ "machine login password p", "login", "u", "p" },
	{ "machine h login password password p", "h", "password", "p" },
	{ "machine h password login", "h", "u", "login" },
	/* Words outside an entry, and unknown words, are skipped. */
	{ "login u password p", "h", "u", NULL },
	{ "password p default", "h", "u", NULL },
	{ "machine h account z macdef m login u password p", "h", "u", "p" },
	{ "# machine h password p", "h", "u", "p" },
	/* An entry cut short serves no one. */
	{ "machine h login u password", "h", "u", NULL },
	{ "machine", "h", "u", NULL },
	{ "default", "h", "u", NULL },
};

START_TEST(netrc_lookups)
{
	char *s;

	s = secret_netrc_find(lookups[_i].text, lookups[_i].host,
	    lookups[_i].user);
	if (lookups[_i].want == NULL)
		ck_assert_msg(s == NULL, "row %d: \"%s\", want none", _i, s);
	else {
		ck_assert_msg(s != NULL, "row %d: none, want \"%s\"", _i,
		    lookups[_i].want);
		ck_assert_str_eq(s, lookups[_i].want);
	}
	wipe_free(s);
}
END_TEST

/* ---- the client key file ---- */

/* Write tmpdir/NAME with mode and owner; returns its path (static). */
static const char *
key_file(const char *name, mode_t mode, uid_t uid)
{
	static char path[128];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "KEY\n", 4), 4);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	if (uid != geteuid())
		ck_assert_int_eq(fchown(fd, uid, (gid_t)-1), 0);
	(void)close(fd);
	return (path);
}

/* Read it: NULL, or the error. */
static const char *
read_key(const char *path, int secure)
{
	static char err[300];
	char *buf = NULL;
	size_t len = 0;

	err[0] = '\0';
	if (secret_read_key(path, secure, &buf, &len, err, sizeof(err)) != 0) {
		ck_assert_ptr_null(buf);
		ck_assert_ptr_nonnull(strstr(err, path));
		return (err);
	}
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(buf, "KEY\n", 4), 0);
	free(buf);
	return (NULL);
}

START_TEST(key_file_modes)
{
	char dir[128];

	ck_assert_ptr_null(read_key(key_file("k600", 0600, geteuid()), 0));
	/* A group may read it (Debian's ssl-cert), not change it. */
	ck_assert_ptr_null(read_key(key_file("k640", 0640, geteuid()), 0));
	ck_assert_ptr_nonnull(strstr(read_key(key_file("k660", 0660,
	    geteuid()), 0), "its group may change it"));
	ck_assert_ptr_nonnull(strstr(read_key(key_file("k604", 0604,
	    geteuid()), 0), "others may access it"));
	ck_assert_ptr_nonnull(strstr(read_key(key_file("k602", 0602,
	    geteuid()), 0), "others may access it"));
	(void)snprintf(dir, sizeof(dir), "%s/nokey", tmpdir);
	ck_assert_ptr_nonnull(strstr(read_key(dir, 0), "No such file"));
	ck_assert_ptr_nonnull(strstr(read_key(tmpdir, 0),
	    "not a regular file"));
}
END_TEST

/* Owners: the effective user or root; for a setuid or setgid host,
 * root alone. */
START_TEST(key_file_owners)
{
	const char *path;

	if (geteuid() != 0)
		return;		/* chown needs root; make check runs as root */
	ck_assert_int_eq(chmod(tmpdir, 0711), 0);
	path = key_file("root", 0600, 0);
	ck_assert_ptr_null(read_key(path, 0));
	ck_assert_ptr_null(read_key(path, 1));
	path = key_file("nobody", 0600, 65534);
	ck_assert_ptr_nonnull(strstr(read_key(path, 0),
	    "owned by another user"));
	ck_assert_ptr_nonnull(strstr(read_key(path, 1), "not root's"));
	/* As that user: its own key, but not for a setuid host. */
	ck_assert_int_eq(seteuid(65534), 0);
	ck_assert_ptr_null(read_key(path, 0));
	ck_assert_ptr_nonnull(strstr(read_key(path, 1), "a setuid or setgid "
	    "program uses a client key of root's only"));
	ck_assert_int_eq(seteuid(0), 0);
}
END_TEST

static Suite *
secrets_suite(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc;

	tc = tcase_create("passwordeval");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, secret_password);
	tcase_add_test(tc, secret_eval);
	tcase_add_test(tc, secret_eval_not_run);
	tcase_add_test(tc, secret_eval_fails);
	tcase_add_test(tc, secret_eval_background_job);
	tcase_add_test(tc, secret_eval_limit);
	tcase_add_test(tc, secret_eval_killed);
	tcase_add_test(tc, secret_eval_empty);
	tcase_add_test(tc, secret_eval_long);
	tcase_add_test(tc, secret_eval_sigchld_ignored);
	tcase_add_test(tc, secret_eval_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("netrc");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, secret_netrc);
	tcase_add_test(tc, secret_netrc_unsafe);
	tcase_add_test(tc, secret_netrc_limit);
	tcase_add_test(tc, secret_none);
	tcase_add_test(tc, key_file_modes);
	tcase_add_test(tc, key_file_owners);
	tcase_add_loop_test(tc, netrc_lookups, 0,
	    (int)(sizeof(lookups) / sizeof(lookups[0])));
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(secrets_suite()));
}
