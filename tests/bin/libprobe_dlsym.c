/*
 * libprobe_dlsym.so: preloaded before libsubmitify.so, it interposes
 * dlsym() and changes what dlsym(RTLD_NEXT, "connect") gives the shim.
 * Every other lookup is answered as glibc would answer it (but see the
 * last paragraph).
 *
 * Default: the caller gets its own connect(), as happens when two
 * interposers or a broken symbol lookup hand a hook back to itself.  A shim
 * that called it would recurse until the stack overflows; the shim must
 * notice and make the system call itself.  probe_dlsym_faked counts these.
 *
 * PROBE_GATE=FILE: the caller gets a connect() that, for a loopback
 * destination, first waits (at most 10 s) until FILE exists and then calls
 * the real next connect().  The shim connects the program's socket to the
 * handoff listener through it, so a test can let another process reach the
 * listener first.  probe_dlsym_gated counts the waits that ended with FILE.
 *
 * PROBE_DLSYM_MODE=lock: dlsym() is left alone, and pthread_mutex_lock()
 * becomes a fault-injection point.  When the program sets
 * probe_lock_armed, the next lock that libsubmitify.so takes is taken,
 * probe_lock_inside is set, and the thread stays inside the shim's
 * critical section until the program sets probe_lock_release (at most
 * 10 s).  The program forks meanwhile: a deterministic "fork() while
 * another thread is in the shim".  (Under AddressSanitizer, libasan's own
 * pthread_mutex_lock() comes first and the hook never fires.)
 *
 * Only libsubmitify.so's RTLD_NEXT lookups are answered by walking the link
 * maps; everyone else's go to glibc as they are, so RTLD_NEXT is then taken
 * from this library, which sits just before the shim.  Nothing on the way
 * in is instrumented: AddressSanitizer looks up its interceptors through
 * dlsym() before its shadow memory exists.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <netinet/in.h>

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NO_ASAN	__attribute__((no_sanitize_address))

typedef void *(*dlsym_fn)(void *, const char *);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*lock_fn)(pthread_mutex_t *);

extern int probe_dlsym_faked, probe_dlsym_gated;
extern int probe_lock_armed, probe_lock_inside, probe_lock_release;
int probe_dlsym_faked;
int probe_dlsym_gated;
int probe_lock_armed;		/* set by the program: hold the next lock */
int probe_lock_inside;		/* set here: a thread holds the shim's lock */
int probe_lock_release;		/* set by the program: let it go */

static connect_fn gate_next;

/* glibc's dlsym (libc.so.6 since 2.34, libdl.so.2 before). */
NO_ASAN static dlsym_fn
real_dlsym(void)
{
	static const char *const vers[] = { "GLIBC_2.34", "GLIBC_2.2.5",
	    "GLIBC_2.17", "GLIBC_2.0", NULL };
	static dlsym_fn fn;
	dlsym_fn f;
	void *p;
	int i;

	if ((f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE)) != NULL)
		return (f);
	for (i = 0; vers[i] != NULL; i++)
		if ((p = dlvsym(RTLD_NEXT, "dlsym", vers[i])) != NULL) {
			f = (dlsym_fn)(uintptr_t)p;
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
			return (f);
		}
	return (NULL);
}

/* name as defined by the object lm itself (not by its dependencies). */
static void *
defined_in(struct link_map *lm, const char *name)
{
	struct link_map *owner;
	Dl_info info;
	void *h, *sym;

	if (lm->l_name == NULL || lm->l_name[0] == '\0')
		return (NULL);
	if ((h = dlopen(lm->l_name, RTLD_LAZY | RTLD_NOLOAD)) == NULL)
		return (NULL);
	sym = real_dlsym()(h, name);
	(void)dlclose(h);
	if (sym == NULL || dladdr1(sym, &info, (void **)&owner,
	    RTLD_DL_LINKMAP) == 0 || owner != lm)
		return (NULL);
	return (sym);
}

/* What RTLD_NEXT means for a caller in object lm: the first definition in
 * an object loaded after it. */
static void *
next_after(struct link_map *lm, const char *name)
{
	void *sym;

	for (lm = lm->l_next; lm != NULL; lm = lm->l_next)
		if ((sym = defined_in(lm, name)) != NULL)
			return (sym);
	return (NULL);
}

static int
loopback(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	if (sa->sa_family == AF_INET && len >= sizeof(*sin))
		return ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	if (sa->sa_family == AF_INET6 && len >= sizeof(*sin6))
		return (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127));
	return (0);
}

/* The connect() handed out in gate mode.  errno as the real one leaves it. */
static int
gated_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	const char *gate = getenv("PROBE_GATE");
	int saved = errno, i;

	if (gate != NULL && loopback(sa, len)) {
		for (i = 0; i < 1000 && access(gate, F_OK) != 0; i++)
			(void)nanosleep(&ts, NULL);
		if (i < 1000)
			__atomic_add_fetch(&probe_dlsym_gated, 1,
			    __ATOMIC_RELAXED);
	}
	errno = saved;
	if (gate_next == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (gate_next(fd, sa, len));
}

static int
lock_mode(void)
{
	const char *m = getenv("PROBE_DLSYM_MODE");

	return (m != NULL && strcmp(m, "lock") == 0);
}

/* Is the code at pc part of libsubmitify.so? */
NO_ASAN static int
in_shim(const void *pc)
{
	Dl_info info;

	return (dladdr(pc, &info) != 0 && info.dli_fname != NULL &&
	    strstr(info.dli_fname, "libsubmitify") != NULL);
}

NO_ASAN int
pthread_mutex_lock(pthread_mutex_t *m)
{
	static lock_fn real;
	struct timespec ts = { 0, 1000 * 1000 };
	lock_fn f;
	int r, i;

	if ((f = __atomic_load_n(&real, __ATOMIC_ACQUIRE)) == NULL) {
		f = (lock_fn)(uintptr_t)real_dlsym()(RTLD_NEXT,
		    "pthread_mutex_lock");
		if (f == NULL)
			return (ENOSYS);
		__atomic_store_n(&real, f, __ATOMIC_RELEASE);
	}
	r = f(m);
	if (r == 0 && __atomic_load_n(&probe_lock_armed, __ATOMIC_ACQUIRE) &&
	    in_shim(__builtin_return_address(0)) &&
	    __atomic_exchange_n(&probe_lock_armed, 0, __ATOMIC_ACQ_REL)) {
		__atomic_store_n(&probe_lock_inside, 1, __ATOMIC_RELEASE);
		for (i = 0; i < 10000 && !__atomic_load_n(&probe_lock_release,
		    __ATOMIC_ACQUIRE); i++)
			(void)nanosleep(&ts, NULL);
	}
	return (r);
}

/* The shim's dlsym(RTLD_NEXT, name), asked from pc inside it. */
static void *
shim_next(const void *pc, const char *name)
{
	struct link_map *lm;
	Dl_info info;
	void *own;

	if (dladdr1(pc, &info, (void **)&lm, RTLD_DL_LINKMAP) == 0 ||
	    lm == NULL)
		return (NULL);
	if (strcmp(name, "connect") == 0 && !lock_mode()) {
		if (getenv("PROBE_GATE") != NULL) {
			gate_next = (connect_fn)(uintptr_t)next_after(lm, name);
			return ((void *)(uintptr_t)gated_connect);
		}
		if ((own = defined_in(lm, name)) != NULL) {
			__atomic_add_fetch(&probe_dlsym_faked, 1,
			    __ATOMIC_RELAXED);
			return (own);
		}
	}
	return (next_after(lm, name));
}

NO_ASAN void *
dlsym(void *handle, const char *name)
{
	const void *pc = __builtin_return_address(0);
	dlsym_fn real = real_dlsym();

	if (real == NULL)
		return (NULL);
	if (handle != RTLD_NEXT || !in_shim(pc))
		return (real(handle, name));
	return (shim_next(pc, name));
}
