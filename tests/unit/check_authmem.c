/*
 * Unit tests for helper/authmem: where the file is, the key, a mechanism
 * remembered, replaced and forgotten, the bound on entries, and every file
 * that is not to be trusted (malformed, a symbolic link, a FIFO, writable
 * by others, another user's) ignored and replaced.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authmem.h"
#include "tmpdir.h"
#include "run_suite.h"

#define KEY_A	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define KEY_B	"fedcba9876543210fedcba9876543210" \
		"fedcba9876543210fedcba9876543210"

/* tmpdir/STATE/submitify/auth: a memory of each test's own. */
static char *
mem_path(const char *state)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s/submitify/auth", tmpdir, state),
	    0);
	return (p);
}

/* The file's text (at most 8 KiB). */
static const char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	(void)fclose(f);
	return (buf);
}

/* Write text to path (its directories exist), mode. */
static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(path_from_environment)
{
	char buf[300];

	ck_assert_int_eq(setenv("XDG_STATE_HOME", "/st", 1), 0);
	ck_assert_int_eq(authmem_path(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/st/submitify/auth");
	/* A relative XDG_STATE_HOME is ignored, as the XDG spec says. */
	ck_assert_int_eq(setenv("XDG_STATE_HOME", "st", 1), 0);
	ck_assert_int_eq(setenv("HOME", "/home/u", 1), 0);
	ck_assert_int_eq(authmem_path(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/home/u/.local/state/submitify/auth");
	ck_assert_int_eq(unsetenv("XDG_STATE_HOME"), 0);
	ck_assert_int_eq(authmem_path(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/home/u/.local/state/submitify/auth");
	ck_assert_int_eq(authmem_path(buf, 10), -1);
}
END_TEST

START_TEST(key_of_each_part)
{
	/* Every part counts, and where one ends. */
	static const char *const other[][3] = {
		{ "acct", "mail.example:465", "dave" },
		{ "acct", "mail.example:587", "eve" },
		{ "acct2", "mail.example:587", "dave" },
		{ "ac", "ctmail.example:587", "dave" },
	};
	char a[AUTHMEM_KEYLEN], b[AUTHMEM_KEYLEN];
	size_t i;

	ck_assert_int_eq(authmem_key("acct", "mail.example:587", "dave", a),
	    0);
	ck_assert_int_eq(strlen(a), 64);
	ck_assert_int_eq(strspn(a, "0123456789abcdef"), 64);
	ck_assert_int_eq(authmem_key("acct", "mail.example:587", "dave", b),
	    0);
	ck_assert_str_eq(a, b);
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		ck_assert_int_eq(authmem_key(other[i][0], other[i][1],
		    other[i][2], b), 0);
		ck_assert_str_ne(a, b);
	}
}
END_TEST

START_TEST(remember_replace_forget)
{
	char *p = mem_path("remember_replace_forget"), dir[300];
	char mech[AUTHMEM_MECHLEN];
	struct stat st;

	ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
	ck_assert_int_eq(authmem_set(p, KEY_A, "LOGIN"), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), 0);
	ck_assert_str_eq(mech, "LOGIN");
	ck_assert_int_eq(authmem_get(p, KEY_B, mech), -1);
	/* The directory 0700, the file 0600. */
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	(void)snprintf(dir, sizeof(dir), "%s/remember_replace_forget/"
	    "submitify", tmpdir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(authmem_set(p, KEY_B, "CRAM-MD5"), 0);
	ck_assert_int_eq(authmem_set(p, KEY_A, "PLAIN"), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), 0);
	ck_assert_str_eq(mech, "PLAIN");
	ck_assert_int_eq(authmem_get(p, KEY_B, mech), 0);
	ck_assert_str_eq(mech, "CRAM-MD5");
	/* One line each, nothing else. */
	ck_assert_str_eq(strchr(slurp(p), '\n') + 1,
	    KEY_B " CRAM-MD5\n" KEY_A " PLAIN\n");
	ck_assert_int_eq(authmem_set(p, KEY_A, NULL), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
	ck_assert_int_eq(authmem_get(p, KEY_B, mech), 0);
	/* A name that is not a mechanism's is not written. */
	ck_assert_int_eq(authmem_set(p, KEY_A, "LOGIN\n" KEY_B), -1);
	ck_assert_int_eq(authmem_set(p, KEY_A, ""), -1);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
	free(p);
}
END_TEST

START_TEST(bounded)
{
	char *p = mem_path("bounded"), key[AUTHMEM_KEYLEN];
	char first[AUTHMEM_KEYLEN];
	char mech[AUTHMEM_MECHLEN];
	const char *t;
	int i, lines = 0;

	for (i = 0; i < AUTHMEM_MAX + 6; i++) {
		(void)snprintf(key, sizeof(key), "%064x", i);
		if (i == 0)
			memcpy(first, key, sizeof(key));
		ck_assert_int_eq(authmem_set(p, key, "LOGIN"), 0);
	}
	for (t = slurp(p); *t != '\0'; t++)
		lines += *t == '\n';
	ck_assert_int_eq(lines, 1 + AUTHMEM_MAX);
	/* The oldest went, the newest stayed. */
	ck_assert_int_eq(authmem_get(p, first, mech), -1);
	ck_assert_int_eq(authmem_get(p, key, mech), 0);
	free(p);
}
END_TEST

/* A file not in the format: ignored whole, and replaced. */
START_TEST(malformed_ignored)
{
	static const char *const bad[] = {
		"junk\n",
		"",
		"# submitify: AUTH mechanisms that worked after a fallback "
		    "(submit.conf(5), auth)\n" KEY_A " LOGIN",
		"# submitify: AUTH mechanisms that worked after a fallback "
		    "(submit.conf(5), auth)\n" KEY_A " login\n",
		"# submitify: AUTH mechanisms that worked after a fallback "
		    "(submit.conf(5), auth)\n" KEY_A "  LOGIN\n",
		"# submitify: AUTH mechanisms that worked after a fallback "
		    "(submit.conf(5), auth)\nABC LOGIN\n",
		"# submitify: AUTH mechanisms that worked after a fallback "
		    "(submit.conf(5), auth)\n" KEY_B " PLAIN\n" KEY_A
		    " LOGIN\nextra\n",
	};
	char *p = mem_path("malformed_ignored"), mech[AUTHMEM_MECHLEN];
	size_t i;

	ck_assert_int_eq(authmem_set(p, KEY_B, "PLAIN"), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(p, bad[i], 0600);
		ck_assert_msg(authmem_get(p, KEY_A, mech) == -1, "case %zu", i);
		ck_assert_msg(authmem_get(p, KEY_B, mech) == -1, "case %zu", i);
		ck_assert_int_eq(authmem_set(p, KEY_A, "CRAM-MD5"), 0);
		ck_assert_int_eq(authmem_get(p, KEY_A, mech), 0);
		ck_assert_str_eq(mech, "CRAM-MD5");
		ck_assert_int_eq(authmem_get(p, KEY_B, mech), -1);
	}
	free(p);
}
END_TEST

/* A symbolic link is not followed, and is replaced, not written through;
 * a FIFO does not hold the reader; a file others may write is ignored. */
START_TEST(untrusted_files)
{
	char *p = mem_path("untrusted_files"), *target, text[4096];
	char mech[AUTHMEM_MECHLEN];

	ck_assert_int_eq(authmem_set(p, KEY_A, "LOGIN"), 0);
	ck_assert_int_ge(asprintf(&target, "%s/target", tmpdir), 0);
	ck_assert_int_eq(rename(p, target), 0);
	ck_assert_int_eq(symlink(target, p), 0);
	(void)snprintf(text, sizeof(text), "%s", slurp(target));
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
	ck_assert_int_eq(authmem_set(p, KEY_B, "PLAIN"), 0);
	ck_assert_str_eq(slurp(target), text);
	ck_assert_int_eq(authmem_get(p, KEY_B, mech), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);

	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
	ck_assert_int_eq(authmem_set(p, KEY_A, "LOGIN"), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), 0);

	ck_assert_int_eq(chmod(p, 0622), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
	ck_assert_int_eq(chmod(p, 0644), 0);
	ck_assert_int_eq(authmem_get(p, KEY_A, mech), 0);

	/* Another user's file (as root only: chown). */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(p, 65534, 65534), 0);
		ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
		ck_assert_int_eq(authmem_set(p, KEY_B, "PLAIN"), 0);
		ck_assert_int_eq(authmem_get(p, KEY_B, mech), 0);
		ck_assert_int_eq(authmem_get(p, KEY_A, mech), -1);
	}
	free(target);
	free(p);
}
END_TEST

/* A directory others may write, or a symbolic link in its place: not
 * written to. */
START_TEST(untrusted_directory)
{
	char *p = mem_path("untrusted_directory"), dir[300], other[300];

	ck_assert_int_eq(authmem_set(p, KEY_A, "LOGIN"), 0);
	(void)snprintf(dir, sizeof(dir), "%s/untrusted_directory/submitify",
	    tmpdir);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	errno = 0;
	ck_assert_int_eq(authmem_set(p, KEY_B, "PLAIN"), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	(void)snprintf(other, sizeof(other), "%s/other", tmpdir);
	ck_assert_int_eq(rename(dir, other), 0);
	ck_assert_int_eq(symlink(other, dir), 0);
	ck_assert_int_eq(authmem_set(p, KEY_B, "PLAIN"), -1);
	free(p);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("authmem");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, path_from_environment);
	tcase_add_test(tc, key_of_each_part);
	tcase_add_test(tc, remember_replace_forget);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, malformed_ignored);
	tcase_add_test(tc, untrusted_files);
	tcase_add_test(tc, untrusted_directory);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(suite()));
}
