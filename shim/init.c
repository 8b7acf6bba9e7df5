/*
 * Lazy initialisation: the real libc symbols, the intercept ports and the
 * helper's path.  Loading the library costs one fstat() of fd 2; nothing is
 * read, allocated or started until the first connect().
 */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#ifndef SUBMITIFY_LIBEXECDIR
#define SUBMITIFY_LIBEXECDIR "/usr/local/libexec/submitify"
#endif
/* The installed helper, relative to the library's directory (the Makefile
 * derives it from LIBDIR and LIBEXECDIR). */
#ifndef SUBMITIFY_REL_SHIM_HELPER
#define SUBMITIFY_REL_SHIM_HELPER "../../libexec/submitify/submitify-helper"
#endif

static struct shim_state state;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;		/* shim_init() has run */

/* Identity of fd 2 when the library was loaded. */
static struct {
	int valid;
	dev_t dev;
	ino_t ino;
	mode_t type;
} err0;

__attribute__((constructor)) static void
shim_load(void)
{
	struct stat st;
	int saved = errno;

	if (fstat(2, &st) == 0) {
		err0.dev = st.st_dev;
		err0.ino = st.st_ino;
		err0.type = st.st_mode & S_IFMT;
		err0.valid = 1;
	}
	errno = saved;
}

int
shim_stderr_fd(void)
{
	struct stat st;

	if (!err0.valid || fstat(2, &st) != 0)
		return (-1);
	if (st.st_dev != err0.dev || st.st_ino != err0.ino ||
	    (st.st_mode & S_IFMT) != err0.type)
		return (-1);
	return (2);
}

/* Copy a+b into dst if it fits and names an executable file. */
static int
try_path(char *dst, size_t len, const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen + blen + 1 > len)
		return (-1);
	memcpy(dst, a, alen);
	memcpy(dst + alen, b, blen + 1);
	return (access(dst, X_OK));
}

/*
 * The helper lives beside the library: LIBDIR/submitify/libsubmitify.so
 * and LIBEXECDIR/submitify/submitify-helper when installed (PREFIX/lib and
 * PREFIX/libexec by default; /usr/lib/<multiarch> and /usr/libexec in the
 * Debian package), and shim/libsubmitify.so and helper/submitify-helper in
 * the build tree.
 */
static void
find_helper(void)
{
	Dl_info info;
	const char *env, *slash;
	size_t dirlen;

	if (!state.secure && (env = getenv("SUBMITIFY_HELPER")) != NULL &&
	    *env != '\0' && strlen(env) < sizeof(state.helper)) {
		memcpy(state.helper, env, strlen(env) + 1);
		return;
	}
	if (dladdr((void *)(uintptr_t)shim_get, &info) != 0 &&
	    info.dli_fname != NULL &&
	    (slash = strrchr(info.dli_fname, '/')) != NULL) {
		dirlen = (size_t)(slash - info.dli_fname);
		if (try_path(state.helper, sizeof(state.helper),
		    info.dli_fname, dirlen,
		    "/" SUBMITIFY_REL_SHIM_HELPER) == 0)
			return;
		if (try_path(state.helper, sizeof(state.helper),
		    info.dli_fname, dirlen, "/../helper/submitify-helper") == 0)
			return;
	}
	_Static_assert(sizeof(SUBMITIFY_LIBEXECDIR "/submitify-helper") <=
	    sizeof(state.helper), "SUBMITIFY_LIBEXECDIR is too long");
	memcpy(state.helper, SUBMITIFY_LIBEXECDIR "/submitify-helper",
	    sizeof(SUBMITIFY_LIBEXECDIR "/submitify-helper"));
}

static void
shim_init(void)
{
	const char *env;
	void *sym;

	/* dlsym() returning our own hook would recurse: use the syscall. */
	sym = dlsym(RTLD_NEXT, "connect");
	if (sym != NULL && sym != (void *)(uintptr_t)connect)
		state.connect = (shim_connect_fn)(uintptr_t)sym;
	sym = dlsym(RTLD_NEXT, "getpeername");
	if (sym != NULL && sym != (void *)(uintptr_t)getpeername)
		state.getpeername = (shim_sockname_fn)(uintptr_t)sym;

	state.secure = getauxval(AT_SECURE) != 0;
	decide_default_ports(&state.ports);
	if (!state.secure && (env = getenv("SUBMITIFY_PORTS")) != NULL)
		(void)decide_parse_ports(env, &state.ports);
	/* submitify's own programs, preloaded machine-wide, are not told
	 * apart by name: they connect with the system call itself. */
	find_helper();
}

/*
 * Signals are blocked while this thread initialises: a handler that calls
 * connect() would otherwise wait in pthread_once() for the very
 * initialisation it interrupted.  Other threads wait for it as usual.
 */
const struct shim_state *
shim_get(void)
{
	sigset_t all, old;
	int saved = errno;

	if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		return (&state);
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	(void)pthread_once(&once, shim_init);
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return (&state);
}

int
shim_real_connect(int fd, const struct sockaddr *sa, socklen_t len)
{

	if (state.connect != NULL)
		return (state.connect(fd, sa, len));
	return ((int)syscall(SYS_connect, fd, sa, len));
}

int
shim_real_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{

	if (state.getpeername != NULL)
		return (state.getpeername(fd, sa, len));
	return ((int)syscall(SYS_getpeername, fd, sa, len));
}
