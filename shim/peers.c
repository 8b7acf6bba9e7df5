/*
 * The redirected sockets.  A fixed ring in static storage: no allocation,
 * and the oldest entry is reused once SHIM_PEERS sockets were handed off.
 * The whole ring is touched at the first handoff, so a host's memory does
 * not grow with the number of messages it sends.
 */
#include <sys/stat.h>

#include <netinet/in.h>

#include <pthread.h>
#include <string.h>

#include "shim.h"

#define SHIM_PEERS 1024

/* An IPv4 or IPv6 address: all a handoff ever records. */
union inaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct peer {
	dev_t dev;
	ino_t ino;
	socklen_t destlen, vialen;
	union inaddr dest, via;
};

static struct peer ring[SHIM_PEERS];
static unsigned next, used;
static int any;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

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

static struct peer *
find(dev_t dev, ino_t ino)
{
	unsigned i;

	for (i = 0; i < used; i++)
		if (ring[i].ino == ino && ring[i].dev == dev)
			return (&ring[i]);
	return (NULL);
}

static int
same_addr(const struct sockaddr *a, socklen_t alen, const union inaddr *b,
    socklen_t blen)
{

	return (alen == blen && memcmp(a, b, alen) == 0);
}

void
peers_add(int fd, const struct sockaddr *dest, socklen_t destlen,
    const struct sockaddr *via, socklen_t vialen)
{
	struct peer *p;
	dev_t dev;
	ino_t ino;

	if (sock_id(fd, &dev, &ino) != 0 ||
	    destlen > sizeof(p->dest) || vialen > sizeof(p->via))
		return;
	(void)pthread_mutex_lock(&lock);
	if (!any)
		memset(ring, 0, sizeof(ring));
	if ((p = find(dev, ino)) == NULL) {
		p = &ring[next];
		next = (next + 1) % SHIM_PEERS;
		if (used < SHIM_PEERS)
			used++;
	}
	p->dev = dev;
	p->ino = ino;
	memcpy(&p->dest, dest, destlen);
	p->destlen = destlen;
	memcpy(&p->via, via, vialen);
	p->vialen = vialen;
	__atomic_store_n(&any, 1, __ATOMIC_RELEASE);
	(void)pthread_mutex_unlock(&lock);
}

int
peers_any(void)
{

	return (__atomic_load_n(&any, __ATOMIC_ACQUIRE));
}

int
peers_via(int fd, struct sockaddr_storage *via, socklen_t *vialen)
{
	struct peer *p;
	dev_t dev;
	ino_t ino;
	int r = -1;

	if (!peers_any() || sock_id(fd, &dev, &ino) != 0)
		return (-1);
	(void)pthread_mutex_lock(&lock);
	if ((p = find(dev, ino)) != NULL) {
		memcpy(via, &p->via, p->vialen);
		*vialen = p->vialen;
		r = 0;
	}
	(void)pthread_mutex_unlock(&lock);
	return (r);
}

int
peers_dest(int fd, const struct sockaddr *real, socklen_t reallen,
    struct sockaddr_storage *dest, socklen_t *destlen)
{
	struct peer *p;
	dev_t dev;
	ino_t ino;
	int r = -1;

	if (!peers_any() || sock_id(fd, &dev, &ino) != 0)
		return (-1);
	(void)pthread_mutex_lock(&lock);
	if ((p = find(dev, ino)) != NULL &&
	    same_addr(real, reallen, &p->via, p->vialen)) {
		memcpy(dest, &p->dest, p->destlen);
		*destlen = p->destlen;
		r = 0;
	}
	(void)pthread_mutex_unlock(&lock);
	return (r);
}
