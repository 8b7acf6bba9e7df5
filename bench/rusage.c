/*
 * rusage: run a command and append its peak resident set and CPU time to a
 * file, with microsecond resolution (GNU time prints CPU time in 10 ms
 * steps).  bench/run.sh points SUBMITIFY_HELPER at a script that execs
 * this in front of the real helper.
 *
 *   rusage FILE /ABS/PATH/COMMAND [ARG...]
 *
 * Appends "MAXRSS_KB USER_SECONDS SYSTEM_SECONDS EXIT" as one line once the
 * command has ended, and exits with the command's status.  Descriptors,
 * environment and arguments pass through untouched.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	char line[128];
	pid_t pid;
	int st, fd, n, code;

	if (argc < 3 || argv[2][0] != '/') {
		fprintf(stderr, "usage: rusage FILE /PATH/COMMAND [ARG...]\n");
		return (64);
	}
	if ((pid = fork()) < 0) {
		perror("rusage: fork");
		return (71);
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) == -1)
		if (errno != EINTR) {
			perror("rusage: wait4");
			return (71);
		}
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	n = snprintf(line, sizeof(line), "%ld %ld.%06ld %ld.%06ld %d\n",
	    ru.ru_maxrss, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, code);
	if ((fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0 || write(fd, line, (size_t)n) != n) {
		perror("rusage: cannot write the result");
		return (71);
	}
	(void)close(fd);
	return (code);
}
