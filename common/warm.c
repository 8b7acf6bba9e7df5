/*
 * warm: naming and checking the place of a uid's warm helper.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	struct stat st;

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

int
warm_sock_path(char *buf, size_t len, const char *dir,
    const char *helper_path)
{
	static const char *const ns[] = { "/proc/self/ns/net",
	    "/proc/self/ns/mnt" };
	struct stat st;
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t v = WARM_VERSION;
	size_t i;
	int n;

	h = mix(h, &v, sizeof(v));
	h = mix(h, helper_path, strlen(helper_path) + 1);
	if (stat(helper_path, &st) != 0)
		return (-1);
	h = mix_stat(h, &st);
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		if (stat(ns[i], &st) != 0)
			return (-1);
		h = mix(h, &st.st_dev, sizeof(st.st_dev));
		h = mix(h, &st.st_ino, sizeof(st.st_ino));
	}
	n = snprintf(buf, len, "%s/warm-%016llx", dir, (unsigned long long)h);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
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
