/*
 * The redirected sockets.  A fixed ring in static storage: no allocation,
 * and the oldest entry is reused once SHIM_PEERS sockets were handed off.
 * The whole ring is touched at the first handoff, so a host's memory does
 * not grow with the number of messages it sends.
 *
 * Readers (getpeername(), a repeated connect()) take no lock: each entry
 * has a sequence number, odd while it is being written, and a reader that
 * sees it change tries again.  So a child forked while another thread was
 * writing, or a signal handler that interrupts a writer, never waits on a
 * lock that nobody will release.  Writers exclude each other with a spin
 * flag, with signals blocked; a forked child clears the flag.
 */
#include <sys/stat.h>

#include <netinet/in.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "shim.h"

#define SHIM_PEERS	1024
#define READ_TRIES	64

/* An IPv4 or IPv6 address: all a handoff ever records. */
union inaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct peer {
	unsigned seq;		/* odd while being written */
	dev_t dev;
	ino_t ino;
	socklen_t destlen, vialen;
	union inaddr dest, via;
};

static struct peer ring[SHIM_PEERS];
static unsigned next;
static int any, writing;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static int
sock_id(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return (-1);
	*dev = st.st_dev;
	*ino = st.st_ino;
	return (0);
}

/* In a forked child only the forking thread exists: no writer is left. */
static void
child_reset(void)
{
	unsigned i;

	for (i = 0; i < SHIM_PEERS; i++)
		if (ring[i].seq & 1) {
			ring[i].ino = 0;
			ring[i].seq++;
		}
	writing = 0;
}

static void
register_atfork(void)
{

	(void)pthread_atfork(NULL, NULL, child_reset);
}

/*
 * Copy entry i into *out if it is stable and describes (dev, ino).
 * Returns 1 on a match, 0 otherwise.
 */
static int
read_entry(unsigned i, dev_t dev, ino_t ino, struct peer *out)
{
	unsigned s1, s2, tries;

	for (tries = 0; tries < READ_TRIES; tries++) {
		s1 = __atomic_load_n(&ring[i].seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		if (ring[i].ino != ino || ring[i].dev != dev)
			return (0);
		memcpy(out, &ring[i], sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&ring[i].seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return (out->ino == ino && out->dev == dev);
	}
	return (0);
}

static int
find(dev_t dev, ino_t ino, struct peer *out)
{
	unsigned i;

	for (i = 0; i < SHIM_PEERS; i++)
		if (read_entry(i, dev, ino, out))
			return (1);
	return (0);
}

void
peers_add(int fd, const struct sockaddr *dest, socklen_t destlen,
    const struct sockaddr *via, socklen_t vialen)
{
	struct peer *p, tmp;
	sigset_t all, old;
	dev_t dev;
	ino_t ino;
	unsigned i;

	/* connect() may pass a whole sockaddr_storage: keep what the
	 * family uses. */
	if (dest->sa_family == AF_INET && destlen > sizeof(struct sockaddr_in))
		destlen = sizeof(struct sockaddr_in);
	if (destlen > sizeof(p->dest))
		destlen = sizeof(p->dest);
	if (sock_id(fd, &dev, &ino) != 0 || vialen > sizeof(p->via))
		return;
	(void)pthread_once(&atfork_once, register_atfork);
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	while (__atomic_exchange_n(&writing, 1, __ATOMIC_ACQUIRE))
		;
	if (!__atomic_load_n(&any, __ATOMIC_RELAXED))
		memset(ring, 0, sizeof(ring));
	/* The same socket again (connect() repeated): its own entry. */
	p = NULL;
	for (i = 0; i < SHIM_PEERS && p == NULL; i++)
		if (read_entry(i, dev, ino, &tmp))
			p = &ring[i];
	if (p == NULL) {
		p = &ring[next];
		next = (next + 1) % SHIM_PEERS;
	}
	__atomic_add_fetch(&p->seq, 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	p->dev = dev;
	p->ino = ino;
	memcpy(&p->dest, dest, destlen);
	p->destlen = destlen;
	memcpy(&p->via, via, vialen);
	p->vialen = vialen;
	__atomic_add_fetch(&p->seq, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&any, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int
peers_any(void)
{

	return (__atomic_load_n(&any, __ATOMIC_ACQUIRE));
}

int
peers_via(int fd, struct sockaddr_storage *via, socklen_t *vialen)
{
	struct peer p;
	dev_t dev;
	ino_t ino;

	if (!peers_any() || sock_id(fd, &dev, &ino) != 0 ||
	    !find(dev, ino, &p))
		return (-1);
	memcpy(via, &p.via, p.vialen);
	*vialen = p.vialen;
	return (0);
}

int
peers_dest(int fd, const struct sockaddr *real, socklen_t reallen,
    struct sockaddr_storage *dest, socklen_t *destlen)
{
	struct peer p;
	dev_t dev;
	ino_t ino;

	if (!peers_any() || sock_id(fd, &dev, &ino) != 0 ||
	    !find(dev, ino, &p))
		return (-1);
	/* Only while it still talks to the listener it was handed to. */
	if (reallen != p.vialen || memcmp(real, &p.via, reallen) != 0)
		return (-1);
	memcpy(dest, &p.dest, p.destlen);
	*destlen = p.destlen;
	return (0);
}
