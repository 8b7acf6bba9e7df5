/*
 * authmem: the mechanism that worked after a fallback, per account and
 * server, in ~/.local/state/submitify/auth.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authmem.h"
#include "crypto.h"
#include "util.h"

/* The file's first line; any other line is an entry. */
#define HEADER	"# submitify: AUTH mechanisms that worked after a fallback " \
		"(submit.conf(5), auth)"

/* An entry: key, a space, a mechanism, a newline. */
#define LINE_MAX_LEN	(AUTHMEM_KEYLEN + AUTHMEM_MECHLEN + 1)

/* The largest file read: the header and every entry at its longest. */
#define FILE_MAX	(sizeof(HEADER) + AUTHMEM_MAX * LINE_MAX_LEN)

struct entry {
	char key[AUTHMEM_KEYLEN];
	char mech[AUTHMEM_MECHLEN];
};

int
authmem_path(char *buf, size_t len)
{
	const char *base, *home;
	struct passwd *pw;
	int n;

	/* The XDG base directory spec: a relative value is to be ignored. */
	if ((base = getenv("XDG_STATE_HOME")) != NULL && base[0] == '/') {
		n = snprintf(buf, len, "%s/submitify/auth", base);
		return (n > 0 && (size_t)n < len ? 0 : -1);
	}
	if ((home = getenv("HOME")) == NULL || home[0] != '/') {
		if ((pw = getpwuid(geteuid())) == NULL || pw->pw_dir == NULL ||
		    pw->pw_dir[0] != '/')
			return (-1);
		home = pw->pw_dir;
	}
	n = snprintf(buf, len, "%s/.local/state/submitify/auth", home);
	return (n > 0 && (size_t)n < len ? 0 : -1);
}

int
authmem_key(const char *account, const char *server, const char *user,
    char key[AUTHMEM_KEYLEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	char *text;
	int n, i;

	/* Each part with its length: no two triples make the same text. */
	if ((n = asprintf(&text, "%zu:%s,%zu:%s,%zu:%s", strlen(account),
	    account, strlen(server), server, strlen(user), user)) < 0)
		return (-1);
	i = crypto_sha256(text, (size_t)n, md);
	free(text);
	if (i != 0)
		return (-1);
	for (i = 0; i < 32; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[64] = '\0';
	return (0);
}

/* Is s (n bytes) a key: 64 lower-case hex digits? */
static int
is_key(const char *s, size_t n)
{
	size_t i;

	if (n != AUTHMEM_KEYLEN - 1)
		return (0);
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return (0);
	return (1);
}

/* Is s (n bytes) a mechanism's name as stored? */
static int
is_mech(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= AUTHMEM_MECHLEN)
		return (0);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-'))
			return (0);
	return (1);
}

/*
 * Parse text (len bytes) into e (AUTHMEM_MAX entries).  Returns how many,
 * or -1 when any of it is not exactly the format written here.
 */
static int
parse(const char *text, size_t len, struct entry *e)
{
	const char *s = text, *end = text + len, *nl, *sp;
	int n = 0;

	if (len < sizeof(HEADER) || memcmp(text, HEADER "\n",
	    sizeof(HEADER)) != 0)
		return (-1);
	for (s += sizeof(HEADER); s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL ||
		    n == AUTHMEM_MAX)
			return (-1);
		if ((sp = memchr(s, ' ', (size_t)(nl - s))) == NULL ||
		    !is_key(s, (size_t)(sp - s)) ||
		    !is_mech(sp + 1, (size_t)(nl - sp - 1)))
			return (-1);
		memcpy(e[n].key, s, AUTHMEM_KEYLEN - 1);
		e[n].key[AUTHMEM_KEYLEN - 1] = '\0';
		memcpy(e[n].mech, sp + 1, (size_t)(nl - sp - 1));
		e[n].mech[nl - sp - 1] = '\0';
		n++;
	}
	return (n);
}

/*
 * The entries of the file at path, into e.  How many; 0 when there is no
 * file or one not to be trusted: not a regular file (a symbolic link is
 * not followed), not this user's, writable by others, too large, or not
 * in the format.
 */
static int
load(const char *path, struct entry *e)
{
	struct stat st;
	char *text;
	size_t len;
	int fd, n;

	/* O_NONBLOCK: a FIFO put in the file's place must not hold the
	 * session. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0)
		return (0);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0 ||
	    read_all(fd, &text, &len, FILE_MAX) != 0) {
		(void)close(fd);
		return (0);
	}
	(void)close(fd);
	n = parse(text, len, e);
	free(text);
	return (n < 0 ? 0 : n);
}

int
authmem_get(const char *path, const char *key, char mech[AUTHMEM_MECHLEN])
{
	struct entry e[AUTHMEM_MAX];
	int i, n;

	n = load(path, e);
	for (i = 0; i < n; i++)
		if (strcmp(e[i].key, key) == 0) {
			memcpy(mech, e[i].mech, AUTHMEM_MECHLEN);
			return (0);
		}
	return (-1);
}

/*
 * Make the directories above path's file that are missing, mode 0700, and
 * check that the last is a directory of this user's that no one else may
 * write.  0, or -1 (errno).
 */
static int
own_dir(const char *path)
{
	char dir[4096], *slash;
	struct stat st;

	if (strlen(path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(dir, path, strlen(path) + 1);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir) {
		errno = EINVAL;
		return (-1);
	}
	*slash = '\0';
	for (slash = strchr(dir + 1, '/'); ; slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return (-1);
		if (slash == NULL)
			break;
		*slash = '/';
	}
	if (lstat(dir, &st) != 0)
		return (-1);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}

/* Write e (n entries) to a new file beside path and rename it over path. */
static int
store(const char *path, const struct entry *e, int n)
{
	char tmp[4096 + 8], buf[FILE_MAX];
	size_t len;
	int fd, i, saved;

	errno = 0;
	len = fmt_whole(buf, sizeof(buf), "%s\n", HEADER);
	for (i = 0; i < n; i++)
		len += fmt_whole(buf + len, sizeof(buf) - len, "%s %s\n",
		    e[i].key, e[i].mech);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	/* mkstemp: mode 0600, a name no one else has made. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return (-1);
	/* A regular file on a local disk takes all of it in one write. */
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd) != 0) {
		saved = errno != 0 ? errno : EIO;
		(void)close(fd);
		(void)unlink(tmp);
		errno = saved;
		return (-1);
	}
	(void)close(fd);
	/* rename replaces the name: a symbolic link there is replaced, its
	 * target left alone. */
	if (rename(tmp, path) != 0) {
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		return (-1);
	}
	return (0);
}

int
authmem_set(const char *path, const char *key, const char *mech)
{
	struct entry e[AUTHMEM_MAX + 1];
	int i, j, n;

	if (mech != NULL && !is_mech(mech, strlen(mech))) {
		errno = EINVAL;
		return (-1);
	}
	if (own_dir(path) != 0)
		return (-1);
	n = load(path, e);
	/* The key's old entry goes; the new one is the newest, at the end,
	 * and the oldest goes when the file is full. */
	for (i = j = 0; i < n; i++)
		if (strcmp(e[i].key, key) != 0)
			e[j++] = e[i];
	n = j;
	if (mech != NULL) {
		(void)snprintf(e[n].key, sizeof(e[n].key), "%s", key);
		(void)snprintf(e[n].mech, sizeof(e[n].mech), "%s", mech);
		n++;
	}
	if (n > AUTHMEM_MAX) {
		memmove(e, e + 1, (size_t)(n - 1) * sizeof(e[0]));
		n--;
	}
	return (store(path, e, n));
}
