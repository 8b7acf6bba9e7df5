/*
 * The supervised task: answers to its notifications, its memory, its
 * descriptors and its name.  Each call reports failure; none exits.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sup.h"

/* A pidfd for a thread that is not its group's leader (Linux 6.9). */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL
#endif

static int
send_resp(int nfd, uint64_t id, int err, unsigned flags)
{
	struct seccomp_notif_resp r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.error = err != 0 ? -err : 0;
	r.flags = flags;
	while (ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &r) != 0)
		if (errno != EINTR)
			return (-1);
	return (0);
}

int
notif_answer(int nfd, uint64_t id, int err)
{

	return (send_resp(nfd, id, err, 0));
}

int
notif_continue(int nfd, uint64_t id)
{

	return (send_resp(nfd, id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE));
}

int
notif_valid(int nfd, uint64_t id)
{

	return (ioctl(nfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0);
}

/*
 * process_vm_readv/writev first: one system call, no open file.  Where it
 * is missing, /proc/TID/mem does the same under the same access check.
 */
static int
mem_io(pid_t tid, uint64_t addr, void *buf, size_t len, int write)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	char path[64];
	ssize_t n;
	int fd, saved;

	n = write ? process_vm_writev(tid, &local, 1, &remote, 1, 0) :
	    process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return (0);
	if (n >= 0 || errno != ENOSYS) {
		if (n >= 0)
			errno = EFAULT;
		return (-1);
	}
	(void)snprintf(path, sizeof(path), "/proc/%ld/mem", (long)tid);
	if ((fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC)) < 0)
		return (-1);
	n = write ? pwrite(fd, buf, len, (off_t)addr) :
	    pread(fd, buf, len, (off_t)addr);
	saved = n == (ssize_t)len ? 0 : n < 0 ? errno : EFAULT;
	(void)close(fd);
	errno = saved;
	return (saved == 0 ? 0 : -1);
}

int
mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{

	return (mem_io(tid, addr, buf, len, 0));
}

int
mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len)
{

	/* process_vm_writev takes a non-const local buffer it never writes. */
	return (mem_io(tid, addr, (void *)(uintptr_t)buf, len, 1));
}

/* Read at most len - 1 bytes of a small /proc file, NUL-terminated. */
static ssize_t
proc_read(pid_t tid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/%s", (long)tid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	n = read(fd, buf, len - 1);
	(void)close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (n);
}

/* The process (thread group) of task tid; tid itself if unknown. */
static pid_t
tgid_of(pid_t tid)
{
	char buf[1024], *p;

	if (proc_read(tid, "status", buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "\nTgid:")) != NULL)
		return ((pid_t)strtol(p + 6, NULL, 10));
	return (tid);
}

int
task_pidfd(int nfd, uint64_t id, pid_t tid)
{
	int pfd;

	/*
	 * The thread itself where the kernel can name one (Linux 6.9: its
	 * descriptor table may not be its leader's); else its process, whose
	 * table its threads share unless made with clone() without
	 * CLONE_FILES.
	 */
	pfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (pfd < 0 && errno == EINVAL)
		pfd = (int)syscall(SYS_pidfd_open, tgid_of(tid), 0);
	if (pfd < 0)
		return (-1);
	if (!notif_valid(nfd, id)) {
		(void)close(pfd);
		errno = ESRCH;
		return (-1);
	}
	return (pfd);
}

int
task_getfd(int pidfd, int fd)
{

	return ((int)syscall(SYS_pidfd_getfd, pidfd, fd, 0));
}

void
task_name(pid_t tid, long *pid, char *name, size_t len)
{
	char buf[1024], *slash;

	*pid = (long)tgid_of(tid);
	/* As the shim names it: argv[0] without its directory. */
	if (proc_read(tid, "cmdline", buf, sizeof(buf)) > 0 && buf[0] != '\0') {
		slash = strrchr(buf, '/');
		(void)snprintf(name, len, "%s", slash != NULL ? slash + 1 : buf);
		return;
	}
	if (proc_read(tid, "comm", buf, sizeof(buf)) > 0)
		buf[strcspn(buf, "\n")] = '\0';
	(void)snprintf(name, len, "%s", buf[0] != '\0' ? buf : "?");
}
