/*
 * A temporary directory per test case for the unit suites, made and
 * removed by the runner itself (tcase_add_unchecked_fixture with
 * tmp_setup and tmp_teardown), so it goes even when a test fails.
 * Included by the one source file of a suite: everything here is static.
 */
#ifndef SUBMITIFY_TESTS_TMPDIR_H
#define SUBMITIFY_TESTS_TMPDIR_H

#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

/* Make tmpdir: /tmp/PROGRAM.XXXXXX. */
static void
tmp_setup(void)
{

	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX",
	    program_invocation_short_name);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{

	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "could not remove %s: %s\n", path,
		    strerror(errno));
	return (0);
}

/* Remove tmpdir and all it holds. */
static void
tmp_teardown(void)
{

	(void)nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to tmpdir/name with the given mode; returns the path. */
static __attribute__((unused)) char *
tmp_file(const char *name, const char *text, mode_t mode)
{
	char *p;
	int fd;

	ck_assert_int_ge(asprintf(&p, "%s/%s", tmpdir, name), 0);
	(void)unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
	ck_assert_int_eq(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
	return (p);
}

#endif
