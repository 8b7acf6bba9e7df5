/*
 * warm: naming and checking the place of a uid's warm helper.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warm.h"

int
warm_dir(char *buf, size_t len, const char *xdg, uid_t uid)
{
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/submitify", xdg);
	else
		n = snprintf(buf, len, "/tmp/submitify-%lu",
		    (unsigned long)uid);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

int
warm_dir_ok(const char *dir, uid_t uid)
{
	char parent[WARM_PATH_MAX];
	const char *slash = strrchr(dir, '/');
	struct stat st;
	size_t n;

	/* Whoever may rename entries of the parent could swap the directory
	 * between a check and its use. */
	n = slash != NULL ? (size_t)(slash - dir) : 0;
	if (n == 0 || n >= sizeof(parent)) {
		errno = EPERM;
		return (-1);
	}
	memcpy(parent, dir, n);
	parent[n] = '\0';
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != uid && st.st_uid != 0) ||
	    ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)) {
		errno = EPERM;
		return (-1);
	}
	if (lstat(dir, &st) != 0)
		return (-1);
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid ||
	    (st.st_mode & 07777) != 0700) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}

/* FNV-1a, 64 bits: a name, not a secret; both sides check each other. */
static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

static uint64_t
mix_stat(uint64_t h, const struct stat *st)
{
	uint64_t v[6];

	v[0] = (uint64_t)st->st_dev;
	v[1] = (uint64_t)st->st_ino;
	v[2] = (uint64_t)st->st_size;
	v[3] = (uint64_t)st->st_mtim.tv_sec;
	v[4] = (uint64_t)st->st_mtim.tv_nsec;
	v[5] = (uint64_t)st->st_ctim.tv_sec;
	return (mix(h, v, sizeof(v)));
}

/* Read /proc/PID/what (pid 0: self) into buf, NUL-terminated; its length
 * or -1. */
static ssize_t
proc_read(long pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n, got = 0;
	int fd;

	if (pid == 0)
		(void)snprintf(path, sizeof(path), "/proc/self/%s", what);
	else
		(void)snprintf(path, sizeof(path), "/proc/%ld/%s", pid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	while ((size_t)got < len - 1 &&
	    (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	(void)close(fd);
	buf[got] = '\0';
	return (got);
}

/*
 * The confinement of pid (0: self) as one string: the status lines that
 * say it, the LSM label and the cgroup.  0, or -1.
 */
static int
confinement(long pid, char *out, size_t len)
{
	static const char *const keys[] = { "NoNewPrivs:", "Seccomp:",
	    "Seccomp_filters:" };
	char buf[3072], *line, *end;
	size_t i, o = 0;
	ssize_t n;

	if (proc_read(pid, "status", buf, sizeof(buf)) < 0)
		return (-1);
	for (line = buf; *line != '\0'; line = end + (*end != '\0')) {
		end = line + strcspn(line, "\n");
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0 &&
			    o + (size_t)(end - line) + 1 < len) {
				memcpy(out + o, line, (size_t)(end - line));
				o += (size_t)(end - line);
				out[o++] = '\n';
			}
	}
	out[o] = '\0';
	/* No LSM: the file is absent or says nothing; that is a label too. */
	if ((n = proc_read(pid, "attr/current", buf, sizeof(buf))) < 0)
		buf[0] = '\0';
	if (o + strlen(buf) + 1 >= len)
		return (-1);
	memcpy(out + o, buf, strlen(buf) + 1);
	o += strlen(buf);
	if ((n = proc_read(pid, "cgroup", buf, sizeof(buf))) < 0 ||
	    o + (size_t)n + 1 >= len)
		return (-1);
	memcpy(out + o, buf, (size_t)n + 1);
	return (0);
}

/* Where pid (0: self) runs: its namespaces and its confinement. */
static int
place_of(long pid, struct warm_place *w)
{
	static const char *const ns[] = { "net", "mnt" };
	char p[64];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		if (pid == 0)
			(void)snprintf(p, sizeof(p), "/proc/self/ns/%s", ns[i]);
		else
			(void)snprintf(p, sizeof(p), "/proc/%ld/ns/%s", pid,
			    ns[i]);
		if (stat(p, &st) != 0)
			return (-1);
		w->ns[i][0] = (uint64_t)st.st_dev;
		w->ns[i][1] = (uint64_t)st.st_ino;
	}
	return (confinement(pid, w->conf, sizeof(w->conf)));
}

int
warm_here(struct warm_place *here)
{

	memset(here, 0, sizeof(*here));
	return (place_of(0, here));
}

int
warm_same_place(long pid, const struct warm_place *here)
{
	struct warm_place there;

	if (pid <= 0)
		return (0);
	memset(&there, 0, sizeof(there));
	if (place_of(pid, &there) != 0)
		return (0);
	return (memcmp(there.ns, here->ns, sizeof(there.ns)) == 0 &&
	    strcmp(there.conf, here->conf) == 0);
}

int
warm_sock_path(char *buf, size_t len, const char *dir,
    const char *helper_path, const struct warm_place *here)
{
	struct stat st;
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t v = WARM_VERSION;
	int n;

	h = mix(h, &v, sizeof(v));
	h = mix(h, helper_path, strlen(helper_path) + 1);
	if (stat(helper_path, &st) != 0)
		return (-1);
	h = mix_stat(h, &st);
	h = mix(h, here->ns, sizeof(here->ns));
	h = mix(h, here->conf, strlen(here->conf));
	n = snprintf(buf, len, "%s/warm-%016llx", dir, (unsigned long long)h);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

int
warm_connect(const char *path, const struct warm_place *here, long *pid)
{
	struct sockaddr_un sun;
	struct stat st;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int s;

	/* A socket of our own: not one someone else left in the way. */
	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_uid != getuid() || strlen(path) >= sizeof(sun.sun_path))
		return (-1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* Non-blocking: a warm helper that does not keep up (a full queue)
	 * sends the session cold, it does not hold the program. */
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return (-1);
	/*
	 * The system call itself: inside the host, connect() is the shim's
	 * hook.  Then the peer must be of our uid, and run where we run: a
	 * process of ours in another namespace or another sandbox could have
	 * put its socket here.
	 */
	if (syscall(SYS_connect, s, (struct sockaddr *)&sun,
	    sizeof(sun)) != 0 ||
	    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    len != sizeof(cr) || cr.uid != getuid() ||
	    !warm_same_place((long)cr.pid, here)) {
		(void)close(s);
		return (-1);
	}
	*pid = (long)cr.pid;
	return (s);
}

int
warm_number(const char *s, unsigned long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno != 0 || *end != '\0' ? -1 : 0);
}

const char *
warm_getenv(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return (*envp + n + 1);
	return (NULL);
}
