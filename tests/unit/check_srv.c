/*
 * Unit tests for wrapper/srv: SRV answers built here byte by byte, their
 * order, "." for a service not offered, malformed answers, and which
 * targets lie inside the address's domain.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv.h"
#include "run_suite.h"

/* A DNS answer under construction. */
struct msg {
	unsigned char b[1024];
	int len;
};

static void
put16(struct msg *m, unsigned v)
{

	m->b[m->len++] = (unsigned char)(v >> 8);
	m->b[m->len++] = (unsigned char)v;
}

static void
put_name(struct msg *m, const char *name)
{
	const char *p = name, *dot;
	size_t n;

	while (*p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		m->b[m->len++] = (unsigned char)n;
		memcpy(m->b + m->len, p, n);
		m->len += (int)n;
		p += n + (dot != NULL);
	}
	m->b[m->len++] = 0;
}

/* Header and question for qname, with an answers to come. */
static void
start(struct msg *m, const char *qname, unsigned an)
{

	memset(m, 0, sizeof(*m));
	put16(m, 0x1234);
	put16(m, 0x8180);		/* a response, no error */
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, 33);			/* SRV */
	put16(m, 1);			/* IN */
}

static void
add_srv(struct msg *m, unsigned prio, unsigned weight, unsigned port,
    const char *target)
{
	int rdlen_at;

	put16(m, 0xc00c);		/* the question's name */
	put16(m, 33);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);			/* TTL */
	rdlen_at = m->len;
	put16(m, 0);
	put16(m, prio);
	put16(m, weight);
	put16(m, port);
	put_name(m, target);
	m->b[rdlen_at] = (unsigned char)((m->len - rdlen_at - 2) >> 8);
	m->b[rdlen_at + 1] = (unsigned char)(m->len - rdlen_at - 2);
}

START_TEST(parse_and_order)
{
	struct srv_target t[SRV_MAX];
	struct msg m;
	char err[128];
	int n = 0;

	start(&m, "_submission._tcp.example.org", 2);
	add_srv(&m, 20, 0, 587, "backup.example.org");
	add_srv(&m, 10, 5, 587, "mail.example.org");
	ck_assert_int_eq(srv_parse(m.b, m.len, 0, t, &n, SRV_MAX, err,
	    sizeof(err)), 0);
	start(&m, "_submissions._tcp.example.org", 2);
	add_srv(&m, 10, 1, 465, "light.example.org");
	add_srv(&m, 10, 9, 465, "heavy.example.org");
	ck_assert_int_eq(srv_parse(m.b, m.len, 1, t, &n, SRV_MAX, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(n, 4);
	srv_sort(t, n);
	/* Implicit TLS first (RFC 8314), then priority, then weight. */
	ck_assert_str_eq(t[0].host, "heavy.example.org");
	ck_assert_int_eq(t[0].implicit, 1);
	ck_assert_uint_eq(t[0].port, 465);
	ck_assert_str_eq(t[1].host, "light.example.org");
	ck_assert_str_eq(t[2].host, "mail.example.org");
	ck_assert_int_eq(t[2].implicit, 0);
	ck_assert_uint_eq(t[2].port, 587);
	ck_assert_str_eq(t[3].host, "backup.example.org");
}
END_TEST

START_TEST(parse_not_offered_and_bounds)
{
	struct srv_target t[2];
	struct msg m;
	char err[128];
	int n = 0;

	/* A lone "." target: the service is not offered. */
	start(&m, "_submissions._tcp.example.org", 1);
	add_srv(&m, 0, 0, 0, "");
	ck_assert_int_eq(srv_parse(m.b, m.len, 1, t, &n, 2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(n, 0);
	/* No more than max targets are kept. */
	start(&m, "_submission._tcp.example.org", 3);
	add_srv(&m, 1, 0, 587, "a.example.org");
	add_srv(&m, 2, 0, 587, "b.example.org");
	add_srv(&m, 3, 0, 587, "c.example.org");
	ck_assert_int_eq(srv_parse(m.b, m.len, 0, t, &n, 2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(t[1].host, "b.example.org");
	/* A label holding a dot or a blank is no host name: left out. */
	n = 0;
	start(&m, "_submission._tcp.example.org", 2);
	add_srv(&m, 1, 0, 587, "a b.example.org");
	/* One label "c.example", which reads as inside example.org. */
	add_srv(&m, 2, 0, 587, "cXexample.org");
	*(unsigned char *)memchr(m.b + m.len - 15, 'X', 15) = '.';
	ck_assert_int_eq(srv_parse(m.b, m.len, 0, t, &n, 2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(parse_malformed)
{
	struct srv_target t[SRV_MAX];
	struct msg m;
	char err[128];
	int n = 0;

	start(&m, "_submission._tcp.example.org", 1);
	add_srv(&m, 10, 0, 587, "mail.example.org");
	/* Cut inside the record. */
	ck_assert_int_eq(srv_parse(m.b, m.len - 5, 0, t, &n, SRV_MAX, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	/* An answer count beyond what is there. */
	m.b[7] = 3;
	ck_assert_int_eq(srv_parse(m.b, m.len, 0, t, &n, SRV_MAX, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(in_domain)
{

	ck_assert_int_eq(srv_in_domain("mail.example.org", "example.org"), 1);
	ck_assert_int_eq(srv_in_domain("MAIL.Example.ORG.", "example.org"), 1);
	ck_assert_int_eq(srv_in_domain("example.org", "example.org"), 1);
	ck_assert_int_eq(srv_in_domain("badexample.org", "example.org"), 0);
	ck_assert_int_eq(srv_in_domain("mail.example.org.evil.net",
	    "example.org"), 0);
	ck_assert_int_eq(srv_in_domain("smtp.provider.net", "example.org"), 0);
	ck_assert_int_eq(srv_in_domain("org", "example.org"), 0);
	ck_assert_int_eq(srv_in_domain("mail.example.org", ""), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("srv");
	TCase *tc = tcase_create("all");

	tcase_add_test(tc, parse_and_order);
	tcase_add_test(tc, parse_not_offered_and_bounds);
	tcase_add_test(tc, parse_malformed);
	tcase_add_test(tc, in_domain);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(suite()));
}
