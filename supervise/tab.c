/*
 * The sockets handed off, for getpeername() and for a connect() repeated
 * on one of them.  Static storage, one lock: the supervisor allocates
 * nothing per socket, whatever the program does.
 */
#include <pthread.h>
#include <string.h>

#include "sup.h"

#define TAB_SIZE	1024

/* The cookies apart, so that a look-up reads 8 KiB, not the entries. */
static uint64_t cookies[TAB_SIZE];
static struct tab_entry ring[TAB_SIZE];
static unsigned next;
static int any;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of cookie, or NULL; the lock is held. */
static struct tab_entry *
slot(uint64_t cookie)
{
	unsigned i;

	for (i = 0; i < TAB_SIZE; i++)
		if (cookies[i] == cookie && cookie != 0)
			return (&ring[i]);
	return (NULL);
}

void
tab_add(const struct tab_entry *e)
{

	(void)pthread_mutex_lock(&lock);
	ring[next] = *e;
	cookies[next] = e->cookie;
	next = (next + 1) % TAB_SIZE;
	__atomic_store_n(&any, 1, __ATOMIC_RELEASE);
	(void)pthread_mutex_unlock(&lock);
}

int
tab_find(uint64_t cookie, struct tab_entry *e)
{
	struct tab_entry *t;

	(void)pthread_mutex_lock(&lock);
	if ((t = slot(cookie)) != NULL)
		*e = *t;
	(void)pthread_mutex_unlock(&lock);
	return (t != NULL ? 0 : -1);
}

void
tab_set_pending(uint64_t cookie, int result)
{
	struct tab_entry *t;

	(void)pthread_mutex_lock(&lock);
	if ((t = slot(cookie)) != NULL) {
		t->pending = 1;
		t->result = result;
	}
	(void)pthread_mutex_unlock(&lock);
}

int
tab_take_pending(uint64_t cookie, int *result)
{
	struct tab_entry *t;
	int r = -1;

	(void)pthread_mutex_lock(&lock);
	if ((t = slot(cookie)) != NULL && t->pending) {
		t->pending = 0;
		*result = t->result;
		r = 0;
	}
	(void)pthread_mutex_unlock(&lock);
	return (r);
}

int
tab_any(void)
{

	return (__atomic_load_n(&any, __ATOMIC_ACQUIRE));
}
