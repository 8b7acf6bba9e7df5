/*
 * Unit tests for common/decide: the port list parser and the pure "take this
 * connect()?" decision.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "run_suite.h"

/* A port list filled with a pattern, to see that a failure leaves it be. */
static void
poison(struct decide_ports *p)
{

	memset(p, 0xa5, sizeof(*p));
}

static int
untouched(const struct decide_ports *p)
{
	struct decide_ports q;

	poison(&q);
	return (memcmp(p, &q, sizeof(q)) == 0);
}

static struct sockaddr_in
v4(const char *addr, unsigned port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return (sin);
}

static struct sockaddr_in6
v6(const char *addr, unsigned port)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	return (sin6);
}

/* The list 25 only. */
static struct decide_ports
just25(void)
{
	struct decide_ports p;

	decide_default_ports(&p);
	return (p);
}

/* ---- decide_parse_ports ---- */

START_TEST(ports_single)
{
	struct decide_ports p;

	poison(&p);
	ck_assert_int_eq(decide_parse_ports("25", &p), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_uint_eq(p.port[0], 25);
}
END_TEST

START_TEST(ports_several)
{
	struct decide_ports p;

	ck_assert_int_eq(decide_parse_ports("25,2525,587,1,65535", &p), 0);
	ck_assert_uint_eq(p.n, 5);
	ck_assert_uint_eq(p.port[0], 25);
	ck_assert_uint_eq(p.port[1], 2525);
	ck_assert_uint_eq(p.port[2], 587);
	ck_assert_uint_eq(p.port[3], 1);
	ck_assert_uint_eq(p.port[4], 65535);
}
END_TEST

START_TEST(ports_leading_zero)
{
	struct decide_ports p;

	ck_assert_int_eq(decide_parse_ports("0025", &p), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_uint_eq(p.port[0], 25);
}
END_TEST

START_TEST(ports_default)
{
	struct decide_ports p;

	poison(&p);
	decide_default_ports(&p);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_uint_eq(p.port[0], 25);
}
END_TEST

START_TEST(ports_maximum_count)
{
	struct decide_ports p;
	char buf[256];
	size_t o = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < DECIDE_MAXPORTS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%u",
		    i > 0 ? "," : "", 1000 + i);
	ck_assert_int_eq(decide_parse_ports(buf, &p), 0);
	ck_assert_uint_eq(p.n, DECIDE_MAXPORTS);
	for (i = 0; i < DECIDE_MAXPORTS; i++)
		ck_assert_uint_eq(p.port[i], 1000 + i);

	/* One more is refused, and the old list survives. */
	(void)snprintf(buf + o, sizeof(buf) - o, ",2000");
	ck_assert_int_eq(decide_parse_ports(buf, &p), -1);
	ck_assert_uint_eq(p.n, DECIDE_MAXPORTS);
	ck_assert_uint_eq(p.port[0], 1000);
}
END_TEST

/* Lists that must be refused, each leaving the output alone. */
static const char *const bad_ports[] = {
	"",			/* empty */
	"0",			/* port 0 */
	"25,0",
	"65536",		/* one past the top */
	"99999999999999999999999",	/* would overflow */
	"25,",			/* trailing comma */
	",25",			/* leading comma */
	"25,,26",		/* empty element */
	",",
	" 25",			/* spaces anywhere */
	"25 ",
	"25, 26",
	"25 ,26",
	"2 5",
	"-25",			/* signs */
	"+25",
	"25a",			/* junk */
	"abc",
	"0x19",
	"25;26",
	"25\n",
};

START_TEST(ports_refused)
{
	struct decide_ports p;

	poison(&p);
	ck_assert_msg(decide_parse_ports(bad_ports[_i], &p) == -1,
	    "port list \"%s\" was accepted", bad_ports[_i]);
	ck_assert_msg(untouched(&p), "port list \"%s\" changed the output",
	    bad_ports[_i]);
}
END_TEST

START_TEST(ports_null)
{
	struct decide_ports p;

	poison(&p);
	ck_assert_int_eq(decide_parse_ports(NULL, &p), -1);
	ck_assert(untouched(&p));
}
END_TEST

/* ---- decide_addr ---- */

START_TEST(addr_v4)
{
	struct decide_ports p = just25();
	struct sockaddr_in sin = v4("192.0.2.7", 25);

	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 1);
	sin.sin_port = htons(26);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 0);
	sin.sin_port = htons(587);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 0);
	/* Port 6400 would look like 25 to code that forgot ntohs() on a
	 * little-endian host. */
	sin.sin_port = htons(6400);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 0);
}
END_TEST

START_TEST(addr_v4_list)
{
	struct decide_ports p;
	struct sockaddr_in sin = v4("127.0.0.1", 2525);

	ck_assert_int_eq(decide_parse_ports("25,2525", &p), 0);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 1);
	sin.sin_port = htons(25);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 1);
	sin.sin_port = htons(465);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 0);
}
END_TEST

START_TEST(addr_v6)
{
	struct decide_ports p = just25();
	struct sockaddr_in6 sin6 = v6("2001:db8::25", 25);

	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin6, sizeof(sin6),
	    &p), 1);
	sin6.sin6_port = htons(24);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin6, sizeof(sin6),
	    &p), 0);
}
END_TEST

START_TEST(addr_v4_mapped)
{
	struct decide_ports p = just25();
	struct sockaddr_in6 sin6 = v6("::ffff:192.0.2.7", 25);

	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin6, sizeof(sin6),
	    &p), 1);
	sin6.sin6_port = htons(80);
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin6, sizeof(sin6),
	    &p), 0);
}
END_TEST

START_TEST(addr_storage_length)
{
	struct decide_ports p = just25();
	struct sockaddr_storage ss;
	struct sockaddr_in sin = v4("192.0.2.7", 25);

	/* A caller may pass the size of a sockaddr_storage. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, &sin, sizeof(sin));
	ck_assert_int_eq(decide_addr((struct sockaddr *)&ss, sizeof(ss), &p),
	    1);
}
END_TEST

START_TEST(addr_short_v4)
{
	struct decide_ports p = just25();
	struct sockaddr_in *sin;
	socklen_t len;
	char *buf;

	/* Every length below a whole sockaddr_in, each in a buffer of
	 * exactly that size so that a read past it is caught by ASan. */
	for (len = 0; len < (socklen_t)sizeof(*sin); len++) {
		struct sockaddr_in full = v4("192.0.2.7", 25);

		buf = malloc(len > 0 ? len : 1);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf, &full, len);
		ck_assert_msg(decide_addr((struct sockaddr *)(void *)buf, len,
		    &p) == 0, "a %u-byte AF_INET address was taken",
		    (unsigned)len);
		free(buf);
	}
}
END_TEST

START_TEST(addr_short_v6)
{
	struct decide_ports p = just25();
	socklen_t len;
	char *buf;

	/* Up to 23 bytes the port or address is cut: nothing to decide on,
	 * and the kernel refuses such a connect() with EINVAL anyway. */
	for (len = 0; len < 24; len++) {
		struct sockaddr_in6 full = v6("2001:db8::25", 25);

		buf = malloc(len > 0 ? len : 1);
		ck_assert_ptr_nonnull(buf);
		memcpy(buf, &full, len);
		ck_assert_msg(decide_addr((struct sockaddr *)(void *)buf, len,
		    &p) == 0, "a %u-byte AF_INET6 address was taken",
		    (unsigned)len);
		free(buf);
	}
}
END_TEST

START_TEST(addr_v6_rfc2133_length)
{
	struct decide_ports p = just25();
	struct sockaddr_in6 full = v6("2001:db8::25", 25);
	char *buf;

	/*
	 * Linux accepts an AF_INET6 connect() of SIN6_LEN_RFC2133 (24)
	 * bytes, a sockaddr_in6 without sin6_scope_id, as older programs
	 * pass it.  Such a connection goes to port 25 all the same, so the
	 * shim must take it rather than let it through in plain text.
	 */
	buf = malloc(24);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, &full, 24);
	ck_assert_msg(decide_addr((struct sockaddr *)(void *)buf, 24, &p) == 1,
	    "a 24-byte AF_INET6 address to port 25 (which connect() accepts) "
	    "was not taken");
	free(buf);
}
END_TEST

START_TEST(addr_null)
{
	struct decide_ports p = just25();

	ck_assert_int_eq(decide_addr(NULL, 0, &p), 0);
	ck_assert_int_eq(decide_addr(NULL, sizeof(struct sockaddr_in), &p),
	    0);
}
END_TEST

START_TEST(addr_unix)
{
	struct decide_ports p = just25();
	struct sockaddr_un sun;

	/* A path whose bytes, read as a sockaddr_in, would say port 25. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	sun.sun_path[0] = 0;
	sun.sun_path[1] = 25;
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sun, sizeof(sun),
	    &p), 0);
}
END_TEST

START_TEST(addr_other_families)
{
	struct decide_ports p = just25();
	struct sockaddr_in sin = v4("192.0.2.7", 25);

	sin.sin_family = AF_UNSPEC;
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 0);
	sin.sin_family = AF_PACKET;
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 0);
	sin.sin_family = AF_NETLINK;
	ck_assert_int_eq(decide_addr((struct sockaddr *)&sin, sizeof(sin),
	    &p), 0);
}
END_TEST

/* ---- decide_socket and decide_take ---- */

START_TEST(socket_types)
{

	ck_assert_int_eq(decide_socket(SOCK_STREAM, 0), 1);
	ck_assert_int_eq(decide_socket(SOCK_STREAM, IPPROTO_TCP), 1);
	ck_assert_int_eq(decide_socket(SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(decide_socket(SOCK_DGRAM, IPPROTO_UDP), 0);
	ck_assert_int_eq(decide_socket(SOCK_STREAM, IPPROTO_SCTP), 0);
	ck_assert_int_eq(decide_socket(SOCK_SEQPACKET, IPPROTO_SCTP), 0);
	ck_assert_int_eq(decide_socket(SOCK_SEQPACKET, 0), 0);
	ck_assert_int_eq(decide_socket(SOCK_RAW, IPPROTO_TCP), 0);
	ck_assert_int_eq(decide_socket(SOCK_DGRAM, IPPROTO_TCP), 0);
}
END_TEST

/* Streams of another protocol are refused at an intercepted port: MPTCP
 * (262) falls back to plain TCP against an ordinary server. */
START_TEST(socket_refused)
{

	ck_assert_int_eq(decide_refuse(SOCK_STREAM, 262), 1);
	ck_assert_int_eq(decide_refuse(SOCK_STREAM, IPPROTO_SCTP), 1);
	ck_assert_int_eq(decide_refuse(SOCK_STREAM, 0), 0);
	ck_assert_int_eq(decide_refuse(SOCK_STREAM, IPPROTO_TCP), 0);
	ck_assert_int_eq(decide_refuse(SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(decide_refuse(SOCK_SEQPACKET, IPPROTO_SCTP), 0);
	ck_assert_int_eq(decide_refuse(SOCK_RAW, IPPROTO_TCP), 0);
}
END_TEST

START_TEST(take_combined)
{
	struct decide_ports p = just25();
	struct sockaddr_in sin = v4("192.0.2.7", 25);
	struct sockaddr_in6 sin6 = v6("::ffff:192.0.2.7", 25);
	struct sockaddr_un sun;

	ck_assert_int_eq(decide_take((struct sockaddr *)&sin, sizeof(sin),
	    SOCK_STREAM, IPPROTO_TCP, &p), 1);
	ck_assert_int_eq(decide_take((struct sockaddr *)&sin6, sizeof(sin6),
	    SOCK_STREAM, 0, &p), 1);
	ck_assert_int_eq(decide_take((struct sockaddr *)&sin, sizeof(sin),
	    SOCK_DGRAM, IPPROTO_UDP, &p), 0);
	ck_assert_int_eq(decide_take((struct sockaddr *)&sin, sizeof(sin),
	    SOCK_STREAM, IPPROTO_SCTP, &p), 0);
	ck_assert_int_eq(decide_take((struct sockaddr *)&sin,
	    sizeof(sin) - 1, SOCK_STREAM, IPPROTO_TCP, &p), 0);
	ck_assert_int_eq(decide_take(NULL, 0, SOCK_STREAM, IPPROTO_TCP, &p),
	    0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(decide_take((struct sockaddr *)&sun, sizeof(sun),
	    SOCK_STREAM, 0, &p), 0);
	sin.sin_port = htons(587);
	ck_assert_int_eq(decide_take((struct sockaddr *)&sin, sizeof(sin),
	    SOCK_STREAM, IPPROTO_TCP, &p), 0);
}
END_TEST

static Suite *
decide_suite(void)
{
	Suite *s = suite_create("decide");
	TCase *tc;

	tc = tcase_create("ports");
	tcase_add_test(tc, ports_single);
	tcase_add_test(tc, ports_several);
	tcase_add_test(tc, ports_leading_zero);
	tcase_add_test(tc, ports_default);
	tcase_add_test(tc, ports_maximum_count);
	tcase_add_loop_test(tc, ports_refused, 0,
	    (int)(sizeof(bad_ports) / sizeof(bad_ports[0])));
	tcase_add_test(tc, ports_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr");
	tcase_add_test(tc, addr_v4);
	tcase_add_test(tc, addr_v4_list);
	tcase_add_test(tc, addr_v6);
	tcase_add_test(tc, addr_v4_mapped);
	tcase_add_test(tc, addr_storage_length);
	tcase_add_test(tc, addr_short_v4);
	tcase_add_test(tc, addr_short_v6);
	tcase_add_test(tc, addr_v6_rfc2133_length);
	tcase_add_test(tc, addr_null);
	tcase_add_test(tc, addr_unix);
	tcase_add_test(tc, addr_other_families);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_test(tc, socket_types);
	tcase_add_test(tc, socket_refused);
	tcase_add_test(tc, take_combined);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(decide_suite()));
}
