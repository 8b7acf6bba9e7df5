/*
 * landlock: run a command in a Landlock sandbox of its own (same uid,
 * same namespaces), as an unprivileged program confines itself: with
 * no_new_privs (docs/SECURITY.md case 30).
 *
 *   landlock RO[:RO...] RW[:RW...] COMMAND [ARG...]
 *       under each RO path the command may read and execute, under each
 *       RW path it may also write, create and remove; elsewhere nothing
 *       of the file system (the network is not restricted).
 *   landlock -a
 *       print the kernel's Landlock ABI version.
 *
 * Exit: the command's, 64 for bad usage, 69 when the kernel has no
 * Landlock (or it is disabled), 1 when a path or a rule is refused.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/landlock.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The rights of ABI 1, which every Landlock kernel knows. */
#define FS_ALL	((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1)
#define FS_RO	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
		 LANDLOCK_ACCESS_FS_READ_DIR)
/* What a rule on a file (not a directory) may hold. */
#define FS_FILE	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
		 LANDLOCK_ACCESS_FS_WRITE_FILE)

static int
abi_version(void)
{

	return ((int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION));
}

/* Allow acc under each path of the colon-separated list; 0 or -1. */
static int
allow(int ruleset, char *list, __u64 acc)
{
	struct landlock_path_beneath_attr pb;
	char *p, *save = NULL;
	int r;

	for (p = strtok_r(list, ":", &save); p != NULL;
	    p = strtok_r(NULL, ":", &save)) {
		memset(&pb, 0, sizeof(pb));
		if ((pb.parent_fd = open(p, O_PATH | O_CLOEXEC)) < 0) {
			fprintf(stderr, "landlock: %s: %s\n", p, strerror(errno));
			return (-1);
		}
		pb.allowed_access = acc;
		r = (int)syscall(SYS_landlock_add_rule, ruleset,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
		if (r != 0 && errno == EINVAL) {
			/* A file: only the rights a file can have. */
			pb.allowed_access = acc & FS_FILE;
			r = (int)syscall(SYS_landlock_add_rule, ruleset,
			    LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
		}
		(void)close(pb.parent_fd);
		if (r != 0) {
			fprintf(stderr, "landlock: rule for %s: %s\n", p,
			    strerror(errno));
			return (-1);
		}
	}
	return (0);
}

int
main(int argc, char **argv)
{
	struct landlock_ruleset_attr ra;
	int ruleset;

	if (argc == 2 && strcmp(argv[1], "-a") == 0) {
		if (abi_version() < 1) {
			fprintf(stderr, "landlock: %s\n", strerror(errno));
			return (69);
		}
		printf("%d\n", abi_version());
		return (0);
	}
	if (argc < 4) {
		fprintf(stderr, "usage: landlock RO[:RO...] RW[:RW...] "
		    "COMMAND [ARG...]\n       landlock -a\n");
		return (64);
	}
	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = FS_ALL;
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &ra,
	    sizeof(ra), 0)) < 0) {
		fprintf(stderr, "landlock: %s\n", strerror(errno));
		return (69);
	}
	if (allow(ruleset, argv[1], FS_RO) != 0 ||
	    allow(ruleset, argv[2], FS_ALL) != 0)
		return (1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		fprintf(stderr, "landlock: restrict: %s\n", strerror(errno));
		return (1);
	}
	(void)close(ruleset);
	execvp(argv[3], argv + 3);
	fprintf(stderr, "landlock: %s: %s\n", argv[3], strerror(errno));
	return (127);
}
