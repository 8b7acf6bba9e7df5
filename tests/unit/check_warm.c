/*
 * Unit tests for common/warm: where the warm helper's socket is, the
 * check of its directory (docs/SECURITY.md case 30), and a socket name
 * that changes with the helper's file.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warm.h"
#include "run_suite.h"

static char base[] = "/tmp/check_warm.XXXXXX";

static void
setup(void)
{

	ck_assert_ptr_nonnull(mkdtemp(base));
}

static void
teardown(void)
{
	char cmd[sizeof(base) + 16];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(base + sizeof(base) - 7, "XXXXXX", 6);
}

START_TEST(dir_from_environment)
{
	char buf[WARM_PATH_MAX];

	ck_assert_int_eq(warm_dir(buf, sizeof(buf), "/run/user/1000", 1000),
	    0);
	ck_assert_str_eq(buf, "/run/user/1000/submitify");
	/* Unset, empty or relative: the per-uid directory in /tmp. */
	ck_assert_int_eq(warm_dir(buf, sizeof(buf), NULL, 1000), 0);
	ck_assert_str_eq(buf, "/tmp/submitify-1000");
	ck_assert_int_eq(warm_dir(buf, sizeof(buf), "", 7), 0);
	ck_assert_str_eq(buf, "/tmp/submitify-7");
	ck_assert_int_eq(warm_dir(buf, sizeof(buf), "run/user/7", 7), 0);
	ck_assert_str_eq(buf, "/tmp/submitify-7");
	/* Too long for a socket's path: no directory at all. */
	ck_assert_int_eq(warm_dir(buf, 20, "/run/user/1000", 1000), -1);
}
END_TEST

START_TEST(dir_checked)
{
	char dir[PATH_MAX], other[PATH_MAX];
	struct passwd *pw;
	int fd;

	(void)snprintf(dir, sizeof(dir), "%s/d", base);
	errno = 0;
	ck_assert_int_eq(warm_dir_ok(dir, getuid()), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(warm_dir_ok(dir, getuid()), 0);
	/* Another uid's view of it. */
	ck_assert_int_eq(warm_dir_ok(dir, getuid() + 1), -1);
	ck_assert_int_eq(errno, EPERM);
	/* Any other mode. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(warm_dir_ok(dir, getuid()), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(chmod(dir, 01700), 0);
	ck_assert_int_eq(warm_dir_ok(dir, getuid()), -1);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	/* A link to a good directory is not one. */
	(void)snprintf(other, sizeof(other), "%s/link", base);
	ck_assert_int_eq(symlink(dir, other), 0);
	ck_assert_int_eq(warm_dir_ok(other, getuid()), -1);
	ck_assert_int_eq(errno, EPERM);
	/* Nor is a file. */
	(void)snprintf(other, sizeof(other), "%s/file", base);
	fd = open(other, O_CREAT | O_WRONLY | O_CLOEXEC, 0700);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(warm_dir_ok(other, getuid()), -1);
	/* Owned by someone else (root can make one). */
	if (getuid() == 0 && (pw = getpwnam("nobody")) != NULL) {
		ck_assert_int_eq(chown(dir, pw->pw_uid, pw->pw_gid), 0);
		ck_assert_int_eq(warm_dir_ok(dir, 0), -1);
		ck_assert_int_eq(errno, EPERM);
		ck_assert_int_eq(warm_dir_ok(dir, pw->pw_uid), 0);
	}
}
END_TEST

START_TEST(dir_parent_checked)
{
	char parent[PATH_MAX], dir[PATH_MAX];
	struct passwd *pw;

	(void)snprintf(parent, sizeof(parent), "%s/p", base);
	(void)snprintf(dir, sizeof(dir), "%s/p/submitify", base);
	ck_assert_int_eq(mkdir(parent, 0755), 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(warm_dir_ok(dir, getuid()), 0);
	/* A parent others may write: they could swap the directory. */
	ck_assert_int_eq(chmod(parent, 0777), 0);
	ck_assert_int_eq(warm_dir_ok(dir, getuid()), -1);
	ck_assert_int_eq(errno, EPERM);
	/* ... unless it is sticky, as /tmp is. */
	ck_assert_int_eq(chmod(parent, 01777), 0);
	ck_assert_int_eq(warm_dir_ok(dir, getuid()), 0);
	ck_assert_int_eq(chmod(parent, 0755), 0);
	/* A parent of another user's (root with a user's XDG_RUNTIME_DIR):
	 * that user could swap it. */
	if (getuid() == 0 && (pw = getpwnam("nobody")) != NULL) {
		ck_assert_int_eq(chown(parent, pw->pw_uid, pw->pw_gid), 0);
		ck_assert_int_eq(warm_dir_ok(dir, 0), -1);
		ck_assert_int_eq(errno, EPERM);
		/* And its absence says so, not ENOENT: none is made there. */
		ck_assert_int_eq(rmdir(dir), 0);
		ck_assert_int_eq(warm_dir_ok(dir, 0), -1);
		ck_assert_int_eq(errno, EPERM);
	}
}
END_TEST

START_TEST(place_compared)
{
	struct warm_place here;
	int p[2], q[2];
	char c;
	pid_t pid;

	ck_assert_int_eq(warm_here(&here), 0);
	ck_assert_int_eq(warm_same_place((long)getpid(), &here), 1);
	ck_assert_int_eq(warm_same_place(0, &here), 0);
	/* A child that has taken no_new_privs is somewhere else. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(q), 0);
	if ((pid = fork()) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    write(p[1], "x", 1) != 1 || read(q[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(warm_same_place((long)pid, &here), 0);
	ck_assert_int_eq(write(q[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	/* Gone: nothing to look at, not trusted. */
	ck_assert_int_eq(warm_same_place((long)pid, &here), 0);
}
END_TEST

START_TEST(socket_names_the_build)
{
	char helper[PATH_MAX], copy[PATH_MAX], a[WARM_PATH_MAX],
	    b[WARM_PATH_MAX], c[WARM_PATH_MAX];
	struct timespec t[2] = { { 1, 0 }, { 1, 0 } };
	struct warm_place here, there;
	int fd;

	(void)snprintf(helper, sizeof(helper), "%s/helper", base);
	(void)snprintf(copy, sizeof(copy), "%s/copy", base);
	fd = open(helper, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(warm_here(&here), 0);
	ck_assert_int_eq(warm_sock_path(a, sizeof(a), "/d", helper, &here), 0);
	ck_assert_int_eq(strncmp(a, "/d/warm-", 8), 0);
	ck_assert_uint_eq(strlen(a), 8 + 16);
	ck_assert_int_eq(warm_sock_path(b, sizeof(b), "/d", helper, &here), 0);
	ck_assert_str_eq(a, b);
	/* Another file at another path: another name. */
	ck_assert_int_eq(link(helper, copy), 0);
	ck_assert_int_eq(warm_sock_path(c, sizeof(c), "/d", copy, &here), 0);
	ck_assert_str_ne(a, c);
	/* The same path, rewritten (an upgrade, a rebuild): another name. */
	ck_assert_int_eq(utimensat(AT_FDCWD, helper, t, 0), 0);
	ck_assert_int_eq(warm_sock_path(b, sizeof(b), "/d", helper, &here), 0);
	ck_assert_str_ne(a, b);
	/* Another place (a process with no_new_privs): another name. */
	there = here;
	there.conf[0] ^= 1;
	ck_assert_int_eq(warm_sock_path(c, sizeof(c), "/d", helper, &there),
	    0);
	ck_assert_str_ne(b, c);
	/* No helper there: no name. */
	ck_assert_int_eq(unlink(copy), 0);
	ck_assert_int_eq(warm_sock_path(c, sizeof(c), "/d", copy, &here), -1);
	ck_assert_int_eq(warm_sock_path(c, 12, "/d", helper, &here), -1);
}
END_TEST

START_TEST(getenv_in_a_vector)
{
	char *env[] = { (char *)"A=1", (char *)"XDG_RUNTIME_DIRX=no",
	    (char *)"XDG_RUNTIME_DIR=/run/user/5", NULL };

	ck_assert_str_eq(warm_getenv(env, "XDG_RUNTIME_DIR"), "/run/user/5");
	ck_assert_str_eq(warm_getenv(env, "A"), "1");
	ck_assert_ptr_null(warm_getenv(env, "B"));
	ck_assert_ptr_null(warm_getenv(NULL, "A"));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("warm");
	TCase *tc = tcase_create("all");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dir_from_environment);
	tcase_add_test(tc, dir_checked);
	tcase_add_test(tc, dir_parent_checked);
	tcase_add_test(tc, place_compared);
	tcase_add_test(tc, socket_names_the_build);
	tcase_add_test(tc, getenv_in_a_vector);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(suite()));
}
