/*
 * warm: where a uid's warm helper listens and how the shim, the helper and
 * the wrapper speak to it.  Safe inside the host (common/: no allocation,
 * no OpenSSL).
 *
 * The socket lives in a directory of the uid's own, mode 0700:
 * $XDG_RUNTIME_DIR/submitify when XDG_RUNTIME_DIR is an absolute path,
 * else /tmp/submitify-UID.  Its name, warm-HASH, covers the protocol
 * version, the helper's path and file identity (an upgrade or a rebuild
 * names another socket), and the caller's network and mount namespaces
 * and confinement (a sandbox of the same uid finds no socket of the
 * host's).
 *
 * Every message is one SOCK_SEQPACKET datagram: a struct warm_hdr and,
 * for WARM_SESSION, NUL-terminated strings: peer, dest, cookie, prog, pid,
 * then the environment, one variable a string.  A session request carries
 * the descriptors WARM_FD_LISTEN, WARM_FD_CWD and, when the host's stderr
 * is still its own, WARM_FD_ERR, as SCM_RIGHTS.  Every request is
 * answered with one struct warm_reply.
 */
#ifndef SUBMITIFY_WARM_H
#define SUBMITIFY_WARM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define WARM_MAGIC	0x53575231u	/* "SWR1" */
#define WARM_VERSION	1u

#define WARM_SESSION	1u		/* serve one handed-off connection */
#define WARM_STATUS	2u		/* say how it stands */
#define WARM_STOP	3u		/* exit now */

#define WARM_FD_LISTEN	0
#define WARM_FD_CWD	1
#define WARM_FD_ERR	2
#define WARM_MAXFD	3

/* A request's whole size: the environment must fit in it. */
#define WARM_MSG_MAX	(64 * 1024)
/* How long the shim waits for an answer before it goes cold. */
#define WARM_REPLY_MS	3000

/* Room for a socket's path (sun_path holds 108 bytes). */
#define WARM_PATH_MAX	108

struct warm_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t kind;
	uint32_t nstr;		/* strings after the header */
};

struct warm_reply {
	uint32_t magic;
	uint32_t version;
	int32_t status;		/* 0: taken; else an errno value */
	int32_t pid;		/* the warm helper's pid */
	int32_t child;		/* the session's process, or 0 */
	uint32_t sessions;	/* served since it started */
	uint32_t active;	/* sessions running now */
	uint32_t cached;	/* TLS sessions it holds for resumption */
	uint32_t idle;		/* seconds it waits for work before it exits */
};

/*
 * The uid's directory for warm sockets, from the environment's
 * XDG_RUNTIME_DIR value xdg (NULL when unset).  0, or -1 if it does not
 * fit in len.
 */
int warm_dir(char *buf, size_t len, const char *xdg, uid_t uid);

/*
 * Is dir a real directory (not a link) of uid's with mode 0700, in a
 * directory that only uid or root can change entries of (owned by one of
 * them, and not writable by others unless sticky)?  0 if so; -1 with
 * errno ENOENT when dir does not exist (its parent being right), else
 * EPERM.
 */
int warm_dir_ok(const char *dir, uid_t uid);

/*
 * Where a process runs: its network and mount namespaces (device and
 * inode), and its confinement (no_new_privs, seccomp mode and filter
 * count, LSM label, cgroup) as text.
 */
struct warm_place {
	uint64_t ns[2][2];
	char conf[1024];
};

/* Where this process runs.  0, or -1. */
int warm_here(struct warm_place *here);

/*
 * Does process pid run in the same place as here?  1 if so; 0 if not, or
 * if pid cannot be looked at (a process we may not inspect, such as one
 * in another Landlock domain, is not trusted).
 */
int warm_same_place(long pid, const struct warm_place *here);

/*
 * The socket's path in dir for the helper at helper_path, for a caller
 * that runs at here.  0, or -1 (the helper cannot be looked at, or the
 * path does not fit).
 */
int warm_sock_path(char *buf, size_t len, const char *dir,
    const char *helper_path, const struct warm_place *here);

/*
 * Connect to the warm socket at path, without blocking: it must be a
 * socket of this uid's, and the process that accepted must be of this uid
 * (SO_PEERCRED) and run at here (warm_same_place).  The
 * connected SOCK_SEQPACKET socket (close-on-exec, non-blocking) with the
 * peer's pid in *pid, or -1.
 */
int warm_connect(const char *path, const struct warm_place *here,
    long *pid);

/* A whole decimal number: 0 with it in *out, or -1. */
int warm_number(const char *s, unsigned long long *out);

/* The value of name in the environment envp, or NULL. */
const char *warm_getenv(char *const *envp, const char *name);

#endif
