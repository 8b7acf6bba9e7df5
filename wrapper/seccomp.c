/*
 * The wrapper's side of the supervisor: its start, and the filter.
 *
 * The filter sends connect() and getpeername() of x86-64 programs to the
 * supervisor and lets every other system call through, with three
 * exceptions that would get around it: a system call of another ABI (the
 * i386 int 0x80 path, whose socketcall() and connect() the filter does not
 * look at, and x32) fails with ENOSYS; so does io_uring_setup(), since a
 * ring's connect never passes through a filter (programs fall back to
 * connect()); and a send with MSG_FASTOPEN, which connects without
 * connect(), fails with EOPNOTSUPP, as where the kernel's client side of
 * TCP Fast Open is off.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "seccomp.h"
#include "supervise.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT	0x40000000
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup	425
#endif

#define START_MS	10000

#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i))
#define LD(off)		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)		BPF_STMT(BPF_RET | BPF_K, (v))
/* Jumps name their targets by index: this is instruction at. */
#define JMP(op, k, at, t, f) \
	BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), (t) - (at) - 1, (f) - (at) - 1)

enum { L_ALLOW = 14, L_NOTIF, L_ENOSYS, L_NOFASTOPEN };

static const struct sock_filter insns[] = {
	/* 0 */ LD(offsetof(struct seccomp_data, arch)),
	/* 1 */ JMP(BPF_JEQ, AUDIT_ARCH_X86_64, 1, 2, L_ENOSYS),
	/* 2 */ LD(offsetof(struct seccomp_data, nr)),
	/* 3 */ JMP(BPF_JGE, __X32_SYSCALL_BIT, 3, L_ENOSYS, 4),
	/* 4 */ JMP(BPF_JEQ, SYS_connect, 4, L_NOTIF, 5),
	/* 5 */ JMP(BPF_JEQ, SYS_getpeername, 5, L_NOTIF, 6),
	/* 6 */ JMP(BPF_JEQ, SYS_io_uring_setup, 6, L_ENOSYS, 7),
	/* 7 */ JMP(BPF_JEQ, SYS_sendto, 7, 12, 8),
	/* 8 */ JMP(BPF_JEQ, SYS_sendmmsg, 8, 12, 9),
	/* 9 */ JMP(BPF_JEQ, SYS_sendmsg, 9, 10, L_ALLOW),
	/* 10 */ LD(ARG_LO(2)),
	/* 11 */ BPF_STMT(BPF_JMP | BPF_JA, 1),
	/* 12 */ LD(ARG_LO(3)),
	/* 13 */ JMP(BPF_JSET, MSG_FASTOPEN, 13, L_NOFASTOPEN, L_ALLOW),
	/* L_ALLOW */ RET(SECCOMP_RET_ALLOW),
	/* L_NOTIF */ RET(SECCOMP_RET_USER_NOTIF),
	/* L_ENOSYS */ RET(SECCOMP_RET_ERRNO | ENOSYS),
	/* L_NOFASTOPEN */ RET(SECCOMP_RET_ERRNO | EOPNOTSUPP),
};

/* One message of exactly len bytes within START_MS: 0, or -1. */
static int
recv_msg(int fd, void *buf, size_t len)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, START_MS) != 1)
		return (-1);
	return (recv(fd, buf, len, 0) == (ssize_t)len ? 0 : -1);
}

/*
 * In the grandchild: fd 3 the control socket, then exec.  Only system
 * calls between fork and exec.
 */
static void
exec_supervisor(int ctl, const char *path, const char *ports,
    const char *helper)
{
	char *argv[SA_SLOTS];
	int t;

	if ((t = fcntl(ctl, F_DUPFD_CLOEXEC, SUP_CTL_FD + 1)) < 0 ||
	    dup2(t, SUP_CTL_FD) < 0)
		_exit(127);
	argv[SA_NAME] = (char *)"submitify-supervise";
	argv[SA_PORTS] = (char *)(uintptr_t)ports;
	argv[SA_HELPER] = (char *)(uintptr_t)helper;
	argv[SA_END] = NULL;
	execv(path, argv);
	_exit(127);
}

/* The supervisor as init's child: fork twice.  Its pid, or -1. */
static pid_t
start(int ctl, int keep, const char *path, const char *ports,
    const char *helper)
{
	pid_t mid, sup = -1;
	int status;

	if ((mid = fork()) < 0)
		return (-1);
	if (mid == 0) {
		(void)close(keep);
		if (fork() == 0)
			exec_supervisor(ctl, path, ports, helper);
		_exit(0);
	}
	while (waitpid(mid, &status, 0) < 0)
		if (errno != EINTR)
			return (-1);
	(void)close(ctl);
	if (recv_msg(keep, &sup, sizeof(sup)) != 0 || sup <= 0)
		return (-1);
	return (sup);
}

/* The listener to the supervisor, and its word that it holds it. */
static int
hand_over(int ctl, int lfd)
{
	char b;

	if (sup_send_fd(ctl, lfd) != 0)
		return (-1);
	return (recv_msg(ctl, &b, 1));
}

int
seccomp_supervise(const char *path, const char *ports, const char *helper,
    char *why, size_t len)
{
	struct sock_fprog prog = {
		(unsigned short)(sizeof(insns) / sizeof(insns[0])),
		(struct sock_filter *)(uintptr_t)insns
	};
	pid_t sup;
	int sv[2], lfd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		(void)snprintf(why, len, "socketpair: %s", strerror(errno));
		return (-1);
	}
	if ((sup = start(sv[1], sv[0], path, ports, helper)) < 0) {
		(void)snprintf(why, len, "%s did not start", path);
		(void)close(sv[0]);
		return (-1);
	}
	/*
	 * Under Yama's ptrace scope 1 the supervisor may read this process
	 * (not its children) only if it says so; elsewhere this fails and
	 * changes nothing.
	 */
	(void)prctl(PR_SET_PTRACER, (unsigned long)sup, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		(void)snprintf(why, len, "no_new_privs: %s", strerror(errno));
		goto fail;
	}
	lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (lfd < 0) {
		(void)snprintf(why, len, "seccomp user notification: %s%s",
		    strerror(errno), errno == EINVAL ? " (Linux 5.8 or later "
		    "is needed)" : "");
		goto fail;
	}
	if (hand_over(sv[0], lfd) != 0) {
		(void)snprintf(why, len, "%s did not take the filter's "
		    "listener", path);
		(void)close(lfd);
		goto fail;
	}
	(void)close(lfd);
	(void)close(sv[0]);
	return (0);
fail:
	/* The supervisor sees its socket's end and exits. */
	(void)close(sv[0]);
	return (-1);
}
