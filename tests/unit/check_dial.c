/*
 * Unit tests for helper/dial: the order of attempts, a refused address
 * skipped at once, a silent one left behind after the delay, and the
 * deadline.  A "silent" address is a loopback listener whose accept queue
 * is full: Linux drops further SYNs without an answer, as a black-holed
 * path does.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dial.h"
#include "util.h"
#include "run_suite.h"

/* A loopback listener with backlog; its port in *port. */
static int
listener(int backlog, unsigned short *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return (fd);
}

/* A port on loopback where nothing listens (refused at once). */
static unsigned short
closed_port(void)
{
	unsigned short port;

	(void)close(listener(1, &port));
	return (port);
}

/* Fill the accept queue of the listener on port, so that it goes silent:
 * the fillers' fds go to fill[0..n). */
static void
silence(unsigned short port, int *fill, int n)
{
	struct sockaddr_in sin;
	int i;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	for (i = 0; i < n; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(100 * 1000);
}

/* An addrinfo list of IPv4 loopback ports (and families, for order). */
struct list {
	struct addrinfo ai[4];
	struct sockaddr_in sin[4];
};

static struct addrinfo *
make_list(struct list *l, const unsigned short *ports, const int *fam, int n)
{
	int i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < n; i++) {
		l->sin[i].sin_family = AF_INET;
		l->sin[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l->sin[i].sin_port = htons(ports[i]);
		l->ai[i].ai_family = fam != NULL ? fam[i] : AF_INET;
		l->ai[i].ai_socktype = SOCK_STREAM;
		l->ai[i].ai_addr = (struct sockaddr *)&l->sin[i];
		l->ai[i].ai_addrlen = sizeof(l->sin[i]);
		l->ai[i].ai_next = i + 1 < n ? &l->ai[i + 1] : NULL;
	}
	return (&l->ai[0]);
}

/* The port the connected socket fd reaches. */
static unsigned short
peer_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&sin, &len), 0);
	return (ntohs(sin.sin_port));
}

START_TEST(order_interleaves)
{
	static const unsigned short ports[4] = { 1, 2, 3, 4 };
	static const int fam[4] = { AF_INET6, AF_INET6, AF_INET, AF_INET };
	const struct addrinfo *out[DIAL_MAX];
	struct list l;
	struct addrinfo *list = make_list(&l, ports, fam, 4);

	ck_assert_int_eq(dial_order(list, out, DIAL_MAX), 4);
	ck_assert_ptr_eq(out[0], &l.ai[0]);
	ck_assert_ptr_eq(out[1], &l.ai[2]);
	ck_assert_ptr_eq(out[2], &l.ai[1]);
	ck_assert_ptr_eq(out[3], &l.ai[3]);
	ck_assert_int_eq(dial_order(list, out, 3), 3);
}
END_TEST

START_TEST(refused_then_next_at_once)
{
	unsigned short ports[2];
	struct list l;
	long long t0;
	int lfd, fd, err;

	ports[0] = closed_port();
	lfd = listener(8, &ports[1]);
	t0 = now_ms();
	fd = dial(make_list(&l, ports, NULL, 2), NULL, 0, t0 + 5000, 1000,
	    &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(peer_port(fd), ports[1]);
	/* A refusal does not wait for the delay. */
	ck_assert_int_lt(now_ms() - t0, 900);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	(void)close(fd);
	(void)close(lfd);
}
END_TEST

START_TEST(silent_then_next_after_delay)
{
	unsigned short ports[2];
	int fill[4], i, quiet, lfd, fd, err;
	struct list l;
	long long t0, took;

	quiet = listener(0, &ports[0]);
	silence(ports[0], fill, 4);
	lfd = listener(8, &ports[1]);
	t0 = now_ms();
	fd = dial(make_list(&l, ports, NULL, 2), NULL, 0, t0 + 10000, 300, &err);
	took = now_ms() - t0;
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(peer_port(fd), ports[1]);
	/* The delay, not the deadline. */
	ck_assert_int_ge(took, 250);
	ck_assert_int_lt(took, 5000);
	(void)close(fd);
	for (i = 0; i < 4; i++)
		(void)close(fill[i]);
	(void)close(quiet);
	(void)close(lfd);
}
END_TEST

START_TEST(deadline)
{
	unsigned short ports[1];
	int fill[4], i, quiet, fd, err;
	struct list l;
	long long t0, took;

	quiet = listener(0, &ports[0]);
	silence(ports[0], fill, 4);
	t0 = now_ms();
	fd = dial(make_list(&l, ports, NULL, 1), NULL, 0, t0 + 600, 250, &err);
	took = now_ms() - t0;
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_int_ge(took, 550);
	ck_assert_int_lt(took, 3000);
	for (i = 0; i < 4; i++)
		(void)close(fill[i]);
	(void)close(quiet);
}
END_TEST

START_TEST(all_refused)
{
	unsigned short ports[2];
	struct list l;
	int fd, err;

	ports[0] = closed_port();
	ports[1] = closed_port();
	fd = dial(make_list(&l, ports, NULL, 2), NULL, 0, now_ms() + 5000, 250,
	    &err);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(err, ECONNREFUSED);
}
END_TEST

START_TEST(from_source)
{
	struct sockaddr_in src, me;
	struct sockaddr_in6 src6;
	socklen_t len = sizeof(me);
	unsigned short ports[1];
	struct list l;
	int lfd, fd, err;

	lfd = listener(8, &ports[0]);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000002);	/* 127.0.0.2 */
	fd = dial(make_list(&l, ports, NULL, 1), (struct sockaddr *)&src,
	    sizeof(src), now_ms() + 5000, 250, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	ck_assert_uint_eq(ntohl(me.sin_addr.s_addr), 0x7f000002);
	(void)close(fd);
	/* No address of the source's family: nothing is tried. */
	memset(&src6, 0, sizeof(src6));
	src6.sin6_family = AF_INET6;
	src6.sin6_addr = in6addr_loopback;
	fd = dial(make_list(&l, ports, NULL, 1), (struct sockaddr *)&src6,
	    sizeof(src6), now_ms() + 5000, 250, &err);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(err, EAFNOSUPPORT);
	(void)close(lfd);
}
END_TEST

/* A local socket: connected and non-blocking; a missing one named by its
 * errno at once; a listener whose backlog stays full, until the deadline
 * only. */
START_TEST(local_socket)
{
	struct sockaddr_un sun;
	char dir[] = "/tmp/check_dial.XXXXXX";
	long long t0;
	int l, fd, fd2, e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(l, 0), 0);
	fd = dial_unix(sun.sun_path, now_ms() + 2000, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	/* The backlog (0) is full now: the next waits, until the deadline. */
	t0 = now_ms();
	fd2 = dial_unix(sun.sun_path, t0 + 300, &e);
	ck_assert_int_eq(fd2, -1);
	ck_assert_int_eq(e, ETIMEDOUT);
	ck_assert_int_ge(now_ms() - t0, 250);
	ck_assert_int_lt(now_ms() - t0, 2000);
	(void)close(fd);
	(void)close(l);
	(void)unlink(sun.sun_path);
	ck_assert_int_eq(dial_unix(sun.sun_path, now_ms() + 2000, &e), -1);
	ck_assert_int_eq(e, ENOENT);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("dial");
	TCase *tc = tcase_create("all");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, order_interleaves);
	tcase_add_test(tc, refused_then_next_at_once);
	tcase_add_test(tc, silent_then_next_after_delay);
	tcase_add_test(tc, deadline);
	tcase_add_test(tc, all_refused);
	tcase_add_test(tc, from_source);
	tcase_add_test(tc, local_socket);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(suite()));
}
