/*
 * Unit tests for helper/smtp: the reply parser, capabilities, the program's
 * commands and the DATA stream (docs/SECURITY.md cases 1, 11 and 12).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"
#include "run_suite.h"

/* ---- helpers ---- */

static struct smtp_rparser *
rp_new(void)
{
	struct smtp_rparser *rp = malloc(sizeof(*rp));

	ck_assert_ptr_nonnull(rp);
	smtp_rp_init(rp);
	return (rp);
}

/* Append n bytes to the parser's buffer; they must fit. */
static void
rp_put(struct smtp_rparser *rp, const char *s, size_t n)
{
	size_t room;
	char *p;

	p = smtp_rp_space(rp, &room);
	ck_assert_msg(room >= n, "no room for %zu bytes (%zu free)", n, room);
	memcpy(p, s, n);
	smtp_rp_commit(rp, n);
}

static void
rp_puts(struct smtp_rparser *rp, const char *s)
{

	rp_put(rp, s, strlen(s));
}

/* A reply over a caller's text, as the parser would return it. */
static struct smtp_reply
reply_of(const char *text)
{
	struct smtp_reply r;

	r.code = (text[0] - '0') * 100 + (text[1] - '0') * 10 +
	    (text[2] - '0');
	r.raw = text;
	r.len = strlen(text);
	r.nlines = 0;
	return (r);
}

/* ---- the reply parser ---- */

START_TEST(rp_single_line)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	const char *t = "250 OK\r\n";

	rp_puts(rp, t);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 250);
	ck_assert_uint_eq(r.nlines, 1);
	ck_assert_uint_eq(r.len, strlen(t));
	ck_assert_mem_eq(r.raw, t, strlen(t));
	ck_assert_uint_eq(smtp_rp_pending(rp), 0);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 0);
	free(rp);
}
END_TEST

START_TEST(rp_code_alone)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, "354\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 354);
	free(rp);
}
END_TEST

START_TEST(rp_multiline)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	const char *t = "250-mail.example.org\r\n250-PIPELINING\r\n"
	    "250 8BITMIME\r\n";

	rp_puts(rp, t);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 250);
	ck_assert_uint_eq(r.nlines, 3);
	ck_assert_uint_eq(r.len, strlen(t));
	ck_assert_mem_eq(r.raw, t, strlen(t));
	free(rp);
}
END_TEST

START_TEST(rp_byte_at_a_time)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	const char *t = "250-mail.example.org says hi\r\n250-SIZE 1000\r\n"
	    "250-AUTH PLAIN\r\n250 HELP\r\n";
	size_t i, n = strlen(t);
	int got;

	for (i = 0; i < n; i++) {
		rp_put(rp, t + i, 1);
		got = smtp_rp_next(rp, &r);
		if (i + 1 < n)
			ck_assert_msg(got == 0, "a reply after %zu of %zu "
			    "bytes (got %d)", i + 1, n, got);
		else
			ck_assert_int_eq(got, 1);
	}
	ck_assert_int_eq(r.code, 250);
	ck_assert_uint_eq(r.nlines, 4);
	ck_assert_uint_eq(r.len, n);
	ck_assert_mem_eq(r.raw, t, n);
	ck_assert_uint_eq(smtp_rp_pending(rp), 0);
	free(rp);
}
END_TEST

START_TEST(rp_bare_lf_lines)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	const char *t = "250-first\n250 second\n";

	rp_puts(rp, t);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 250);
	ck_assert_uint_eq(r.nlines, 2);
	ck_assert_uint_eq(r.len, strlen(t));
	ck_assert_mem_eq(r.raw, t, strlen(t));
	free(rp);
}
END_TEST

START_TEST(rp_code_mismatch)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, "250-one\r\n251 two\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	ck_assert_ptr_nonnull(rp->err);
	/* The error sticks: more bytes do not revive the parser. */
	rp_puts(rp, "250 ok\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	free(rp);
}
END_TEST

START_TEST(rp_code_mismatch_first_digit)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, "250-one\r\n550 two\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	free(rp);
}
END_TEST

START_TEST(rp_nul_byte)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	static const char t[] = "250 ab\0cd\r\n";

	rp_put(rp, t, sizeof(t) - 1);
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	ck_assert_ptr_nonnull(rp->err);
	ck_assert_ptr_nonnull(strstr(rp->err, "NUL"));
	free(rp);
}
END_TEST

START_TEST(rp_nul_in_continuation)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	static const char t[] = "250-ok\r\n250-\0\r\n250 end\r\n";

	rp_put(rp, t, sizeof(t) - 1);
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	free(rp);
}
END_TEST

/* Lines that are not replies. */
static const char *const bad_lines[] = {
	"2x0 ok\r\n",
	"25x ok\r\n",
	"x50 ok\r\n",
	"600 too high\r\n",
	"199 too low\r\n",
	"100 continue\r\n",
	"000 zero\r\n",
	"25 short\r\n",
	"25\r\n",
	"\r\n",
	"\n",
	"250x no separator\r\n",
	"250_ok\r\n",
	" 250 leading space\r\n",
	"-250 sign\r\n",
	"hello\r\n",
	"250-ok\r\n2x0 bad continuation\r\n",
	"250-ok\r\n\r\n",
};

START_TEST(rp_malformed)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, bad_lines[_i]);
	ck_assert_msg(smtp_rp_next(rp, &r) == -1, "\"%s\" was accepted",
	    bad_lines[_i]);
	ck_assert_ptr_nonnull(rp->err);
	free(rp);
}
END_TEST

START_TEST(rp_line_too_long_streamed)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	char chunk[1000];
	size_t sent = 0, total = 70 * 1024;
	int got = 0;

	/* A 70 KB line, 1000 bytes at a time: refused once it passes the
	 * line limit, long before the end arrives. */
	rp_puts(rp, "250 ");
	memset(chunk, 'A', sizeof(chunk));
	while (sent < total) {
		rp_put(rp, chunk, sizeof(chunk));
		sent += sizeof(chunk);
		if ((got = smtp_rp_next(rp, &r)) != 0)
			break;
	}
	ck_assert_int_eq(got, -1);
	ck_assert_msg(sent <= SMTP_LINE_MAX + sizeof(chunk),
	    "refused only after %zu bytes", sent);
	ck_assert_ptr_nonnull(rp->err);
	ck_assert_ptr_nonnull(strstr(rp->err, "too long"));
	free(rp);
}
END_TEST

START_TEST(rp_line_too_long_whole)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	size_t n = 70 * 1024, room;
	char *line, *p;

	/* As much of a 70 KB line as fits, in one read. */
	line = malloc(n);
	ck_assert_ptr_nonnull(line);
	memset(line, 'B', n);
	memcpy(line, "250 ", 4);
	p = smtp_rp_space(rp, &room);
	ck_assert_uint_gt(room, SMTP_LINE_MAX);
	ck_assert_uint_lt(room, n);
	memcpy(p, line, room);
	smtp_rp_commit(rp, room);
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	ck_assert_ptr_nonnull(rp->err);
	free(line);
	free(rp);
}
END_TEST

START_TEST(rp_line_too_long_terminated)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	size_t n = SMTP_LINE_MAX + 100;
	char *line;

	/* A complete but overlong line is refused too. */
	line = malloc(n + 2);
	ck_assert_ptr_nonnull(line);
	memset(line, 'C', n);
	memcpy(line, "250 ", 4);
	memcpy(line + n, "\r\n", 2);
	rp_put(rp, line, n + 2);
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	free(line);
	free(rp);
}
END_TEST

START_TEST(rp_long_line_within_limit)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	size_t n = 2000;
	char *line;

	line = malloc(n + 2);
	ck_assert_ptr_nonnull(line);
	memset(line, 'D', n);
	memcpy(line, "250 ", 4);
	memcpy(line + n, "\r\n", 2);
	rp_put(rp, line, n + 2);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_uint_eq(r.len, n + 2);
	free(line);
	free(rp);
}
END_TEST

START_TEST(rp_too_many_lines)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	int i;

	for (i = 0; i < SMTP_REPLY_LINES + 50; i++)
		rp_puts(rp, "250-x\r\n");
	rp_puts(rp, "250 end\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	ck_assert_ptr_nonnull(rp->err);
	free(rp);
}
END_TEST

START_TEST(rp_endless_continuation)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	int i, got = 0;

	/* "250-" lines that never end: refused within the line budget. */
	for (i = 0; i < 100000; i++) {
		rp_puts(rp, "250-more\r\n");
		if ((got = smtp_rp_next(rp, &r)) != 0)
			break;
	}
	ck_assert_int_eq(got, -1);
	ck_assert_int_le(i, SMTP_REPLY_LINES);
	free(rp);
}
END_TEST

START_TEST(rp_most_lines_allowed)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	int i;

	for (i = 0; i < SMTP_REPLY_LINES - 1; i++)
		rp_puts(rp, "250-x\r\n");
	rp_puts(rp, "250 end\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_uint_eq(r.nlines, SMTP_REPLY_LINES);
	free(rp);
}
END_TEST

START_TEST(rp_reply_too_big)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	char line[1002];
	size_t room, fed = 0;
	int got = 0;
	char *p;

	/* Few but long lines, more than the whole reply buffer. */
	memset(line, 'E', sizeof(line));
	memcpy(line, "250-", 4);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	while (fed < 4 * SMTP_REPLY_MAX) {
		p = smtp_rp_space(rp, &room);
		if (room > sizeof(line))
			room = sizeof(line);
		memcpy(p, line, room);
		smtp_rp_commit(rp, room);
		fed += room;
		if ((got = smtp_rp_next(rp, &r)) != 0)
			break;
	}
	ck_assert_int_eq(got, -1);
	ck_assert_uint_le(fed, SMTP_REPLY_MAX);
	free(rp);
}
END_TEST

START_TEST(rp_two_replies_one_read)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	const char *a = "250 2.1.0 ok\r\n", *b = "354 go ahead\r\n";
	char both[64];

	(void)snprintf(both, sizeof(both), "%s%s", a, b);
	rp_puts(rp, both);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 250);
	ck_assert_uint_eq(r.len, strlen(a));
	ck_assert_uint_eq(smtp_rp_pending(rp), strlen(b));
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 354);
	ck_assert_uint_eq(r.len, strlen(b));
	ck_assert_mem_eq(r.raw, b, strlen(b));
	ck_assert_uint_eq(smtp_rp_pending(rp), 0);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 0);
	free(rp);
}
END_TEST

START_TEST(rp_starttls_injection)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	const char *ready = "220 Ready\r\n";
	const char *rest = "250-x\r\n250 AUTH LOGIN\r\n";
	char seg[64];

	/* docs/SECURITY.md case 1: the 220 and injected lines in one segment. */
	(void)snprintf(seg, sizeof(seg), "%s%s", ready, rest);
	rp_puts(rp, seg);
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 220);
	ck_assert_uint_eq(r.len, strlen(ready));
	ck_assert_uint_eq(smtp_rp_pending(rp), strlen(rest));
	free(rp);
}
END_TEST

START_TEST(rp_starttls_partial_line)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, "220 Ready\r\n250");
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_int_eq(r.code, 220);
	ck_assert_uint_eq(smtp_rp_pending(rp), 3);
	free(rp);
}
END_TEST

START_TEST(rp_starttls_clean)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, "220 Ready\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_uint_eq(smtp_rp_pending(rp), 0);
	free(rp);
}
END_TEST

START_TEST(rp_pending_partial)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, "25");
	ck_assert_int_eq(smtp_rp_next(rp, &r), 0);
	ck_assert_uint_eq(smtp_rp_pending(rp), 2);
	rp_puts(rp, "0 ok\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	ck_assert_uint_eq(smtp_rp_pending(rp), 0);
	free(rp);
}
END_TEST

START_TEST(rp_buffer_reused)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;
	int i;

	/* Far more bytes in total than the buffer holds, one reply at a
	 * time: each returned reply must give its room back. */
	for (i = 0; i < 20000; i++) {
		rp_puts(rp, "250 ok\r\n");
		ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
		ck_assert_int_eq(r.code, 250);
	}
	free(rp);
}
END_TEST

START_TEST(rp_init_resets)
{
	struct smtp_rparser *rp = rp_new();
	struct smtp_reply r;

	rp_puts(rp, "2x0 junk\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), -1);
	smtp_rp_init(rp);
	ck_assert_ptr_null(rp->err);
	ck_assert_uint_eq(smtp_rp_pending(rp), 0);
	rp_puts(rp, "250 fresh\r\n");
	ck_assert_int_eq(smtp_rp_next(rp, &r), 1);
	free(rp);
}
END_TEST

/* ---- capabilities ---- */

static const char ehlo_text[] =
    "250-mail.example.org Hello client\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 35882577\r\n"
    "250-starttls\r\n"
    "250-AUTH PLAIN login\tCRAM-MD5\r\n"
    "250-AUTH=PLAIN LOGIN\r\n"
    "250-CHUNKING\r\n"
    "250-BINARYMIME\r\n"
    "250-STARTTLSX\r\n"
    "250 8BITMIME\r\n";

START_TEST(caps_has)
{
	struct smtp_reply r = reply_of(ehlo_text);

	ck_assert_int_eq(smtp_has_cap(&r, "PIPELINING"), 1);
	ck_assert_int_eq(smtp_has_cap(&r, "pipelining"), 1);
	ck_assert_int_eq(smtp_has_cap(&r, "STARTTLS"), 1);
	ck_assert_int_eq(smtp_has_cap(&r, "SIZE"), 1);
	ck_assert_int_eq(smtp_has_cap(&r, "8BITMIME"), 1);
	ck_assert_int_eq(smtp_has_cap(&r, "AUTH"), 1);
	/* Prefixes are not capabilities. */
	ck_assert_int_eq(smtp_has_cap(&r, "PIPE"), 0);
	ck_assert_int_eq(smtp_has_cap(&r, "START"), 0);
	ck_assert_int_eq(smtp_has_cap(&r, "SMTPUTF8"), 0);
	/* The first line is the server's name, not a capability. */
	ck_assert_int_eq(smtp_has_cap(&r, "mail.example.org"), 0);
}
END_TEST

START_TEST(caps_has_name_line_only)
{
	struct smtp_reply r = reply_of("250 STARTTLS\r\n");

	/* A server called STARTTLS offers nothing. */
	ck_assert_int_eq(smtp_has_cap(&r, "STARTTLS"), 0);
}
END_TEST

START_TEST(caps_has_bare_lf)
{
	struct smtp_reply r = reply_of("250-name\n250 STARTTLS\n");

	ck_assert_int_eq(smtp_has_cap(&r, "STARTTLS"), 1);
}
END_TEST

START_TEST(mechs_auth_line)
{
	struct smtp_reply r = reply_of(ehlo_text);
	char out[128];

	/* Upper-cased, tabs and runs of blanks made single spaces, and the
	 * duplicate AUTH= line not added again. */
	ck_assert_int_eq(smtp_auth_mechs(&r, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "PLAIN LOGIN CRAM-MD5");
}
END_TEST

START_TEST(mechs_old_form_only)
{
	struct smtp_reply r = reply_of("250-mail.example.org\r\n"
	    "250-AUTH=LOGIN PLAIN\r\n250 SIZE\r\n");
	char out[128];

	/* Servers of the pre-RFC 2554 era advertise only "AUTH=". */
	ck_assert_msg(smtp_auth_mechs(&r, out, sizeof(out)) == 1,
	    "an EHLO reply with only \"AUTH=LOGIN PLAIN\" gave no AUTH line "
	    "(mechanisms \"%s\")", out);
	ck_assert_str_eq(out, "LOGIN PLAIN");
}
END_TEST

START_TEST(mechs_none)
{
	struct smtp_reply r = reply_of("250-mail.example.org\r\n"
	    "250-AUTHENTICATE\r\n250 SIZE\r\n");
	char out[128];

	ck_assert_int_eq(smtp_auth_mechs(&r, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(mechs_name_line_ignored)
{
	struct smtp_reply r = reply_of("250-AUTH PLAIN\r\n250 SIZE\r\n");
	char out[64];

	ck_assert_int_eq(smtp_auth_mechs(&r, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(mechs_small_buffer)
{
	struct smtp_reply r = reply_of(ehlo_text);
	char out[8];

	memset(out, 'Z', sizeof(out));
	(void)smtp_auth_mechs(&r, out, sizeof(out));
	ck_assert_ptr_nonnull(memchr(out, '\0', sizeof(out)));
	ck_assert_int_eq(strncmp(out, "PLAIN", 5), 0);
}
END_TEST

START_TEST(mech_in_list)
{

	ck_assert_int_eq(smtp_mech_in("PLAIN LOGIN CRAM-MD5", "PLAIN"), 1);
	ck_assert_int_eq(smtp_mech_in("PLAIN LOGIN CRAM-MD5", "LOGIN"), 1);
	ck_assert_int_eq(smtp_mech_in("PLAIN LOGIN CRAM-MD5", "cram-md5"), 1);
	ck_assert_int_eq(smtp_mech_in("PLAIN LOGIN CRAM-MD5", "LOG"), 0);
	ck_assert_int_eq(smtp_mech_in("PLAIN LOGIN CRAM-MD5", "MD5"), 0);
	ck_assert_int_eq(smtp_mech_in("PLAIN LOGIN CRAM-MD5", "CRAM"), 0);
	ck_assert_int_eq(smtp_mech_in("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"),
	    0);
	ck_assert_int_eq(smtp_mech_in("  XOAUTH2   OAUTHBEARER ",
	    "OAUTHBEARER"), 1);
	ck_assert_int_eq(smtp_mech_in("", "PLAIN"), 0);
	ck_assert_int_eq(smtp_mech_in("   ", "PLAIN"), 0);
}
END_TEST

START_TEST(reply_name)
{
	struct smtp_reply r = reply_of(ehlo_text);
	struct smtp_reply bare = reply_of("250 \r\n");
	char out[64];

	smtp_reply_name(&r, out, sizeof(out));
	ck_assert_str_eq(out, "mail.example.org");
	smtp_reply_name(&r, out, 5);
	ck_assert_str_eq(out, "mail");
	smtp_reply_name(&bare, out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

/* ---- smtp_caps_filter ---- */

static const char filter_in[] =
    "250-mail.example.org Hello\r\n"
    "250-PIPELINING\r\n"
    "250-STARTTLS\r\n"
    "250-CHUNKING\r\n"
    "250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
    "250-AUTH=PLAIN LOGIN\r\n"
    "250-BINARYMIME\r\n"
    "250-SIZE 1000\r\n"
    "250 STARTTLS\r\n";

static void
check_filter(const char *in, enum caps_mode mode, const char *want)
{
	struct smtp_reply r = reply_of(in);
	char out[1024];
	int n;

	memset(out, 'Z', sizeof(out));
	n = smtp_caps_filter(&r, mode, out, sizeof(out));
	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_mem_eq(out, want, strlen(want));
}

START_TEST(filter_keep)
{

	check_filter(filter_in, CAPS_KEEP,
	    "250-mail.example.org Hello\r\n"
	    "250-PIPELINING\r\n"
	    "250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
	    "250-AUTH=PLAIN LOGIN\r\n"
	    "250 SIZE 1000\r\n");
}
END_TEST

START_TEST(filter_inject)
{

	check_filter(filter_in, CAPS_INJECT,
	    "250-mail.example.org Hello\r\n"
	    "250-PIPELINING\r\n"
	    "250-AUTH PLAIN LOGIN\r\n"
	    "250 SIZE 1000\r\n");
}
END_TEST

START_TEST(filter_inject_without_server_auth)
{

	check_filter("250-mx.example.net\r\n250-SIZE\r\n250 STARTTLS\r\n",
	    CAPS_INJECT,
	    "250-mx.example.net\r\n"
	    "250-SIZE\r\n"
	    "250 AUTH PLAIN LOGIN\r\n");
}
END_TEST

START_TEST(filter_drop)
{

	check_filter(filter_in, CAPS_DROP,
	    "250-mail.example.org Hello\r\n"
	    "250-PIPELINING\r\n"
	    "250 SIZE 1000\r\n");
}
END_TEST

START_TEST(filter_case_and_lf)
{

	check_filter("250-mx\n250-chunking\n250-StartTLS\n250-binarymime\n"
	    "250-auth login\n250 DSN\n", CAPS_DROP,
	    "250-mx\r\n250 DSN\r\n");
}
END_TEST

START_TEST(filter_name_only)
{

	check_filter("250-mx.example.net\r\n250 STARTTLS\r\n", CAPS_KEEP,
	    "250 mx.example.net\r\n");
}
END_TEST

START_TEST(filter_small_buffer)
{
	struct smtp_reply r = reply_of(filter_in);
	char out[1024];
	int n;
	size_t need;

	n = smtp_caps_filter(&r, CAPS_KEEP, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	need = (size_t)n;
	/* Room for the text and its NUL: fine.  Less: -1. */
	ck_assert_int_eq(smtp_caps_filter(&r, CAPS_KEEP, out, need + 1),
	    (int)need);
	ck_assert_int_eq(smtp_caps_filter(&r, CAPS_KEEP, out, need / 2), -1);
	ck_assert_int_eq(smtp_caps_filter(&r, CAPS_KEEP, out, 10), -1);
	ck_assert_int_eq(smtp_caps_filter(&r, CAPS_INJECT, out, 10), -1);
	ck_assert_int_eq(smtp_caps_filter(&r, CAPS_KEEP, out, 0), -1);
}
END_TEST

/* ---- smtp_verb ---- */

START_TEST(verbs)
{
	static const struct {
		const char *line;
		enum smtp_verb verb;
		const char *arg;
	} t[] = {
		{ "EHLO client.example", V_EHLO, "client.example" },
		{ "ehlo client", V_EHLO, "client" },
		{ "HELO x", V_HELO, "x" },
		{ "MAIL FROM:<a@example.org> SIZE=10", V_MAIL,
		    "FROM:<a@example.org> SIZE=10" },
		{ "RCPT TO:<b@example.org>", V_RCPT, "TO:<b@example.org>" },
		{ "DATA", V_DATA, "" },
		{ "data", V_DATA, "" },
		{ "BDAT 100 LAST", V_BDAT, "100 LAST" },
		{ "RSET", V_RSET, "" },
		{ "QUIT", V_QUIT, "" },
		{ "AUTH PLAIN AGEAYg==", V_AUTH, "PLAIN AGEAYg==" },
		{ "STARTTLS", V_STARTTLS, "" },
		{ "NOOP", V_NOOP, "" },
		{ "help", V_HELP, "" },
		{ "HELP DATA", V_HELP, "DATA" },
		{ "VRFY x", V_OTHER, "" },
		{ "DATAX", V_OTHER, "" },
		{ "QUITE", V_OTHER, "" },
		{ "STARTTLSX", V_OTHER, "" },
		{ "MAI", V_OTHER, "" },
		{ "", V_OTHER, "" },
	};
	const char *arg;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].line);
		arg = NULL;
		ck_assert_msg(smtp_verb(t[i].line, n, &arg) == t[i].verb,
		    "\"%s\" classified wrongly", t[i].line);
		ck_assert_ptr_nonnull(arg);
		if (t[i].verb == V_OTHER)
			ck_assert_ptr_eq(arg, t[i].line + n);
		else
			ck_assert_str_eq(arg, t[i].arg);
	}
}
END_TEST

/* A blank other than space after a verb separates it too, as servers
 * read it: "DATA<TAB>" is DATA, not an unknown command. */
START_TEST(verb_tab)
{
	const char *arg;

	ck_assert_int_eq(smtp_verb("DATA\t", 5, &arg), V_DATA);
	ck_assert_int_eq(smtp_verb("MAIL\tFROM:<a@b>", 15, &arg), V_MAIL);
	ck_assert_str_eq(arg, "FROM:<a@b>");
	ck_assert_int_eq(smtp_verb("EHLO\tx", 6, &arg), V_EHLO);
	ck_assert_int_eq(smtp_verb("DATAX", 5, &arg), V_OTHER);
}
END_TEST

/* Only the first From: is replaced: many From: lines cannot make the
 * output outgrow its bound. */
START_TEST(hdrfix_many_from)
{
	static char in[4096], out[4096 + SMTP_HDR_MAX + 300];
	struct smtp_hdrfix h;
	size_t n = 0, o;
	char from[251];

	memset(from, 'a', 240);
	memcpy(from + 240, "@example.org", 11);
	from[250] = '\0';
	while (n + 8 < sizeof(in) - 3) {
		memcpy(in + n, "From:\r\n", 7);
		n += 7;
	}
	memcpy(in + n, "\r\n", 2);
	n += 2;
	smtp_hdrfix_init(&h, 1, from);
	o = smtp_hdrfix_feed(&h, in, n, out);
	ck_assert_uint_le(o, n + SMTP_HDR_MAX + 300);
	ck_assert_int_eq(memcmp(out, "From: <aaaa", 11), 0);
}
END_TEST

START_TEST(verb_length_respected)
{
	const char *line = "DATA MORE", *arg;

	/* Only len bytes count: the same text cut after DATA is DATA. */
	ck_assert_int_eq(smtp_verb(line, 4, &arg), V_DATA);
	ck_assert_ptr_eq(arg, line + 4);
	ck_assert_int_eq(smtp_verb("QUITX", 4, &arg), V_QUIT);
}
END_TEST

/* ---- smtp_rewrite_mail ---- */

START_TEST(rewrite_plain)
{
	const char *l = "MAIL FROM:<old@example.org>";
	char out[128];

	ck_assert_int_eq(smtp_rewrite_mail(l, strlen(l), "new@example.net",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "MAIL FROM:<new@example.net>");
}
END_TEST

START_TEST(rewrite_params)
{
	const char *l = "MAIL FROM:<old@example.org> SIZE=1234 BODY=8BITMIME";
	char out[128];

	ck_assert_int_eq(smtp_rewrite_mail(l, strlen(l), "new@example.net",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out,
	    "MAIL FROM:<new@example.net> SIZE=1234 BODY=8BITMIME");
}
END_TEST

START_TEST(rewrite_null_sender)
{
	const char *l = "MAIL FROM:<> SIZE=10", *m = "MAIL FROM:<>";
	char out[128];

	ck_assert_int_eq(smtp_rewrite_mail(l, strlen(l), "new@example.net",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, l);
	ck_assert_int_eq(smtp_rewrite_mail(m, strlen(m), "new@example.net",
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, m);
}
END_TEST

/* The sender, read by the rewrite's own parser. */
START_TEST(mail_sender_read)
{
	static const struct {
		const char *line;
		int rc;
		const char *sender;
	} t[] = {
		{ "MAIL FROM:<Me@Example.org>", 0, "Me@Example.org" },
		{ "mail from: <me@example.org> SIZE=10 BODY=8BITMIME", 0,
		    "me@example.org" },
		{ "MAIL FROM:me@example.org", 0, "me@example.org" },
		{ "MAIL FROM:<>", 0, "" },
		{ "MAIL FROM:<\"a>b\"@example.org>", 0, "\"a>b\"@example.org" },
		{ "MAIL FROM:<a@x>>", -1, NULL },
		{ "MAIL FROM:<a@x", -1, NULL },
		{ "MAIL TO:<a@x>", -1, NULL },
		{ "RCPT TO:<a@x>", -1, NULL },
		/* Parameters are checked when the line is rebuilt. */
		{ "MAIL FROM:<a@x> bad=", 0, "a@x" },
		{ "MAIL FROM:<a@x>SIZE=1", -1, NULL },
	};
	char out[64];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = smtp_mail_sender(t[i].line, strlen(t[i].line), out,
		    sizeof(out));
		ck_assert_msg(rc == t[i].rc, "%s: %d", t[i].line, rc);
		if (rc == 0)
			ck_assert_str_eq(out, t[i].sender);
	}
	/* Too small for the address: -2, never a shorter sender. */
	ck_assert_int_eq(smtp_mail_sender("MAIL FROM:<abcdef@x>", 20, out, 5),
	    -2);
}
END_TEST

START_TEST(rewrite_unbalanced_brackets)
{
	const char *a = "MAIL FROM:<old>>", *b = "MAIL FROM:<old";
	const char *c = "MAIL FROM:old@example.org>";
	char out[128];

	ck_assert_int_eq(smtp_rewrite_mail(a, strlen(a), "n@x", out,
	    sizeof(out)), -1);
	ck_assert_int_eq(smtp_rewrite_mail(b, strlen(b), "n@x", out,
	    sizeof(out)), -1);
	ck_assert_int_eq(smtp_rewrite_mail(c, strlen(c), "n@x", out,
	    sizeof(out)), -1);
}
END_TEST

START_TEST(rewrite_length_respected)
{
	/* Bytes past len are not part of the line. */
	const char *l = "MAIL FROM:<a@b>\r\nRSET";
	char out[128];

	ck_assert_int_eq(smtp_rewrite_mail(l, 15, "n@x", out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "MAIL FROM:<n@x>");
	/* The closing bracket beyond len does not count either. */
	ck_assert_int_eq(smtp_rewrite_mail(l, 14, "n@x", out, sizeof(out)),
	    -1);
}
END_TEST

START_TEST(rewrite_small_buffer)
{
	const char *l = "MAIL FROM:<old@example.org>";
	char out[64];

	/* "MAIL FROM:<n@example.net>" is 25 bytes and a NUL. */
	ck_assert_int_eq(smtp_rewrite_mail(l, strlen(l), "n@example.net",
	    out, 26), 0);
	ck_assert_str_eq(out, "MAIL FROM:<n@example.net>");
	ck_assert_int_eq(smtp_rewrite_mail(l, strlen(l), "n@example.net",
	    out, 25), -2);
	ck_assert_int_eq(smtp_rewrite_mail(l, strlen(l), "n@example.net",
	    out, 5), -2);
}
END_TEST


/* ---- docs/SECURITY.md case 24: no spelling of MAIL keeps the sender ---- */

/* Leading blanks are skipped, as the server skips them: " DATA" is DATA
 * (else the relay would pass message bytes as commands), " MAIL" is MAIL
 * (else it would not be rewritten). */
START_TEST(verb_leading_blanks)
{
	static const struct {
		const char *line;
		enum smtp_verb verb;
		const char *arg;
	} t[] = {
		{ " MAIL FROM:<evil@example.org>", V_MAIL,
		    "FROM:<evil@example.org>" },
		{ "\tmail FROM:<e@x>", V_MAIL, "FROM:<e@x>" },
		{ "  DATA", V_DATA, "" },
		{ " \t QUIT", V_QUIT, "" },
		{ "\fRSET", V_RSET, "" },
		{ " EHLO x", V_EHLO, "x" },
		{ " AUTH PLAIN", V_AUTH, "PLAIN" },
		{ "   ", V_OTHER, "" },
		{ " XDATA", V_OTHER, "" },
	};
	const char *arg;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = strlen(t[i].line);
		ck_assert_msg(smtp_verb(t[i].line, n, &arg) == t[i].verb,
		    "\"%s\" classified wrongly", t[i].line);
		if (t[i].verb == V_OTHER)
			ck_assert_ptr_eq(arg, t[i].line + n);
		else
			ck_assert_str_eq(arg, t[i].arg);
	}
}
END_TEST

/* Every spelling a server takes as MAIL FROM comes out in one canonical
 * form with the account's sender: none keeps the program's. */
static const struct {
	const char *line, *want;
} mail_spellings[] = {
	{ " MAIL FROM:<evil@example.org>", "MAIL FROM:<acct@example.net>" },
	{ "MAIL FROM:evil@example.org", "MAIL FROM:<acct@example.net>" },
	{ "MAIL FROM:evil@example.org SIZE=10",
	    "MAIL FROM:<acct@example.net> SIZE=10" },
	{ "MAIL FROM: <evil@example.org>", "MAIL FROM:<acct@example.net>" },
	{ "MAIL FROM:  evil@example.org  ", "MAIL FROM:<acct@example.net>" },
	{ "mail from:<evil@example.org>", "MAIL FROM:<acct@example.net>" },
	{ "MaIl FrOm:<evil@example.org>", "MAIL FROM:<acct@example.net>" },
	{ "MAIL\tFROM:<evil@example.org>", "MAIL FROM:<acct@example.net>" },
	{ "MAIL FROM:\t<evil@example.org>\tBODY=8BITMIME",
	    "MAIL FROM:<acct@example.net> BODY=8BITMIME" },
	{ "\t MAIL  FROM:<evil@example.org> SIZE=1  BODY=7BIT",
	    "MAIL FROM:<acct@example.net> SIZE=1 BODY=7BIT" },
	/* AUTH= names the submitter: the program's claim is dropped. */
	{ "MAIL FROM:<evil@example.org> AUTH=<evil@example.org> SIZE=9",
	    "MAIL FROM:<acct@example.net> SIZE=9" },
	{ "MAIL FROM:<evil@example.org> auth=evil+40example.org",
	    "MAIL FROM:<acct@example.net>" },
	{ "MAIL FROM:<\"evil>x\"@example.org> SIZE=5",
	    "MAIL FROM:<acct@example.net> SIZE=5" },
	{ "MAIL FROM:<\"ev\\\"il>\"@example.org>",
	    "MAIL FROM:<acct@example.net>" },
	{ "MAIL FROM:<@relay.example:evil@example.org>",
	    "MAIL FROM:<acct@example.net>" },
	{ "MAIL FROM:<>", "MAIL FROM:<>" },
	{ "MAIL FROM: <> SIZE=10", "MAIL FROM:<> SIZE=10" },
	{ " mail from:<>", "MAIL FROM:<>" },
};

START_TEST(rewrite_spellings)
{
	const char *l = mail_spellings[_i].line;
	char out[256];

	ck_assert_msg(smtp_rewrite_mail(l, strlen(l), "acct@example.net", out,
	    sizeof(out)) == 0, "\"%s\" not rewritten", l);
	ck_assert_str_eq(out, mail_spellings[_i].want);
	ck_assert_ptr_null(strstr(out, "evil"));
}
END_TEST

/* What cannot be parsed strictly is refused (the relay answers it with a
 * 501 of its own), never passed with the program's sender in it. */
static const char *const mail_unparsed[] = {
	"MAIL FROM:",
	"MAIL FROM:   ",
	"MAIL FROM :<evil@example.org>",
	"MAIL FROM<evil@example.org>",
	"MAIL TO:<evil@example.org>",
	"MAIL <evil@example.org>",
	"MAIL",
	"MAIL FROM:<evil@example.org",
	"MAIL FROM:<evil@example.org>x",
	"MAIL FROM:<evil@example.org>>",
	"MAIL FROM:evil<@example.org>",
	"MAIL FROM:<\"evil>@example.org>",
	"MAIL FROM:<a<evil@example.org>>",
	"RCPT TO:<evil@example.org>",
	/* Parameters are keyword[=value], nothing else. */
	"MAIL FROM:<a@example.org> FROM:<evil@example.org>",
	"MAIL FROM:<a@example.org> <evil@example.org>",
	"MAIL FROM:<a@example.org> SIZE=",
	"MAIL FROM:<a@example.org> =10",
	"MAIL FROM:<a@example.org> SIZE=1=2",
	"MAIL FROM:<a@example.org> SI_ZE=1",
};

START_TEST(rewrite_unparsed_refused)
{
	const char *l = mail_unparsed[_i];
	char out[256];

	ck_assert_msg(smtp_rewrite_mail(l, strlen(l), "acct@example.net", out,
	    sizeof(out)) == -1, "\"%s\" was not refused", l);
}
END_TEST

/* ---- the DATA stream ---- */

/*
 * Feed in (n bytes) in pieces cut at the given offsets (ascending, each
 * at most n), collecting output into out.  Returns the input consumed, or
 * -1; *end says whether the end of data was seen.
 */
static long
feed_cuts(struct smtp_data *d, const char *in, size_t n, const size_t *cut,
    size_t ncut, char *out, size_t *outn, int *end)
{
	size_t from = 0, to, k, o = 0, got;
	long r, used = 0;
	char *buf;

	*end = 0;
	for (k = 0; k <= ncut && !*end; k++) {
		to = k < ncut ? cut[k] : n;
		if (to < from)
			to = from;
		buf = malloc(2 * (to - from) + 1);
		ck_assert_ptr_nonnull(buf);
		r = smtp_data_feed(d, in + from, to - from, buf, &got, end);
		if (r < 0) {
			free(buf);
			return (-1);
		}
		ck_assert_int_le(r, (long)(to - from));
		ck_assert_uint_le(got, 2 * (size_t)r);
		ck_assert_msg(*end || (size_t)r == to - from,
		    "input left over without an end");
		memcpy(out + o, buf, got);
		free(buf);
		o += got;
		used += r;
		from = to;
	}
	*outn = o;
	return (used);
}

/* Feed the whole text at once. */
static long
feed_once(struct smtp_data *d, const char *in, char *out, size_t *outn,
    int *end)
{

	return (feed_cuts(d, in, strlen(in), NULL, 0, out, outn, end));
}

START_TEST(data_crlf_end)
{
	const char *in = "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
	struct smtp_data d;
	char out[128];
	size_t outn;
	int end;

	smtp_data_init(&d, 1, 1);
	ck_assert_int_eq(feed_once(&d, in, out, &outn, &end),
	    (long)(strlen(in) - 6));
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, strlen(in) - 6);
	ck_assert_mem_eq(out, in, outn);
}
END_TEST

START_TEST(data_empty_message)
{
	struct smtp_data d;
	char out[16];
	size_t outn;
	int end;

	smtp_data_init(&d, 0, 1);
	ck_assert_int_eq(feed_once(&d, ".\r\nRSET\r\n", out, &outn, &end), 3);
	ck_assert_int_eq(end, 1);
	ck_assert_mem_eq(out, ".\r\n", 3);
}
END_TEST

/* docs/SECURITY.md case 11: the three bare-LF spellings of the end. */
START_TEST(data_lf_dot_lf)
{
	const char *in = "a\n.\nQUIT\r\n", *want = "a\r\n.\r\n";
	struct smtp_data d;
	char out[64];
	size_t outn;
	int end;

	smtp_data_init(&d, 1, 0);
	ck_assert_int_eq(feed_once(&d, in, out, &outn, &end), 4);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, strlen(want));
	ck_assert_mem_eq(out, want, outn);

	smtp_data_init(&d, 0, 0);
	ck_assert_int_eq(feed_once(&d, in, out, &outn, &end), -1);
	ck_assert_ptr_nonnull(d.err);
}
END_TEST

/*
 * A dot line next to a bare LF, in a message whose lines otherwise end in
 * CRLF, is refused in both modes: the program meant it as text, and taking
 * it as the end would make what follows commands (SMTP smuggling).
 */
static const char *const ambiguous_ends[] = {
	"a\n.\r\nMAIL FROM:<evil@x>\r\n",
	"a\r\n.\nMAIL FROM:<evil@x>\r\n",
	"a\r\nb\n.\nMAIL FROM:<evil@x>\r\n",
	"a\r\nb\n.\r\n",
};

START_TEST(data_ambiguous_end)
{
	const char *in = ambiguous_ends[_i];
	struct smtp_data d;
	char out[128];
	size_t outn;
	int end, repair, crlf;

	for (repair = 0; repair <= 1; repair++)
		for (crlf = 0; crlf <= 1; crlf++) {
			smtp_data_init(&d, repair, crlf);
			ck_assert_int_eq(feed_once(&d, in, out, &outn, &end),
			    -1);
			ck_assert_ptr_nonnull(d.err);
			if (repair)
				ck_assert_ptr_nonnull(strstr(d.err,
				    "smuggling"));
		}
}
END_TEST

/* A program that ends every line with a bare LF ends its message so. */
START_TEST(data_lf_only_program)
{
	const char *in = "a\nb\n.\nQUIT\n", *want = "a\r\nb\r\n.\r\n";
	struct smtp_data d;
	char out[64];
	size_t outn;
	int end;

	smtp_data_init(&d, 1, 0);
	ck_assert_int_eq(feed_once(&d, in, out, &outn, &end), 6);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, strlen(want));
	ck_assert_mem_eq(out, want, outn);
}
END_TEST

START_TEST(data_bare_lf_repaired)
{
	const char *in = "one\ntwo\r\nthree\n\r\n.\r\n";
	const char *want = "one\r\ntwo\r\nthree\r\n\r\n.\r\n";
	struct smtp_data d;
	char out[64];
	size_t outn;
	int end;

	smtp_data_init(&d, 1, 1);
	ck_assert_int_eq(feed_once(&d, in, out, &outn, &end),
	    (long)strlen(in));
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, strlen(want));
	ck_assert_mem_eq(out, want, outn);
}
END_TEST

START_TEST(data_bare_lf_refused)
{
	struct smtp_data d;
	char out[64];
	size_t outn;
	int end;

	smtp_data_init(&d, 0, 1);
	ck_assert_int_eq(feed_once(&d, "one\r\ntwo\nthree\r\n.\r\n", out,
	    &outn, &end), -1);
	ck_assert_ptr_nonnull(d.err);
	ck_assert_int_eq(end, 0);
}
END_TEST

static const char *const bare_cr[] = {
	"a\rb\r\n.\r\n",
	"a\r\r\n.\r\n",
	"\r.\r\n",
	"a\r\n.\r.\r\n",
	"a\r\n\r.\r\n",
	"a\r \n.\r\n",
};

START_TEST(data_bare_cr_refused)
{
	struct smtp_data d;
	char out[64];
	size_t outn;
	int end, repair;

	for (repair = 0; repair <= 1; repair++) {
		smtp_data_init(&d, repair, 1);
		ck_assert_msg(feed_once(&d, bare_cr[_i], out, &outn, &end) ==
		    -1, "bare CR case %d accepted with repair %s", _i,
		    repair ? "on" : "off");
		ck_assert_ptr_nonnull(d.err);
		ck_assert_int_eq(end, 0);
	}
}
END_TEST

START_TEST(data_bare_cr_across_feeds)
{
	struct smtp_data d;
	char out[16];
	size_t outn;
	int end;

	/* The CR ends one read, the next read does not begin with LF. */
	smtp_data_init(&d, 1, 1);
	ck_assert_int_eq(smtp_data_feed(&d, "abc\r", 4, out, &outn, &end), 4);
	ck_assert_int_eq(end, 0);
	ck_assert_int_eq(smtp_data_feed(&d, "x\r\n", 3, out, &outn, &end),
	    -1);
	ck_assert_ptr_nonnull(d.err);
}
END_TEST

START_TEST(data_crlf_across_feeds)
{
	struct smtp_data d;
	char out[16];
	size_t outn;
	int end;

	smtp_data_init(&d, 0, 1);
	ck_assert_int_eq(smtp_data_feed(&d, "abc\r", 4, out, &outn, &end), 4);
	ck_assert_int_eq(smtp_data_feed(&d, "\n.\r", 3, out + outn, &outn,
	    &end), 3);
	ck_assert_int_eq(end, 0);
	ck_assert_int_eq(smtp_data_feed(&d, "\nNOOP\r\n", 7, out, &outn,
	    &end), 1);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, 2);
	ck_assert_mem_eq(out, "\r\n", 2);
}
END_TEST

/* Lines that begin with a dot but do not end the data. */
static const char *const not_end[] = {
	"..x\r\n",
	"..\r\n",
	".x\r\n",
	". \r\n",
	" .\r\n",
	"x.\r\n",
	"...\r\n",
};

START_TEST(data_dot_lines_not_end)
{
	struct smtp_data d;
	char in[64], out[128];
	size_t outn;
	long r;
	int end;

	/* After a first line, and as the very first line. */
	(void)snprintf(in, sizeof(in), "hdr\r\n%s", not_end[_i]);
	smtp_data_init(&d, 1, 1);
	r = feed_once(&d, in, out, &outn, &end);
	ck_assert_int_eq(r, (long)strlen(in));
	ck_assert_msg(end == 0, "\"%s\" ended the data", not_end[_i]);
	ck_assert_uint_eq(outn, strlen(in));
	ck_assert_mem_eq(out, in, outn);

	smtp_data_init(&d, 0, 1);
	r = feed_once(&d, not_end[_i], out, &outn, &end);
	ck_assert_int_eq(r, (long)strlen(not_end[_i]));
	ck_assert_int_eq(end, 0);

	/* The real end still works after it. */
	ck_assert_int_eq(smtp_data_feed(&d, ".\r\n", 3, out, &outn, &end), 3);
	ck_assert_int_eq(end, 1);
}
END_TEST

START_TEST(data_after_end_untouched)
{
	const char *in = "x\r\n.\r\nMAIL FROM:<evil@example.org>\r\n";
	struct smtp_data d;
	char out[128];
	size_t outn;
	int end;
	long r;

	/* Pipelined commands after the end are not message bytes. */
	smtp_data_init(&d, 1, 1);
	r = smtp_data_feed(&d, in, strlen(in), out, &outn, &end);
	ck_assert_int_eq(r, 6);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, 6);
	ck_assert_mem_eq(out, "x\r\n.\r\n", 6);
}
END_TEST

START_TEST(data_empty_feed)
{
	struct smtp_data d;
	char out[4];
	size_t outn = 99;
	int end = 99;

	smtp_data_init(&d, 1, 1);
	ck_assert_int_eq(smtp_data_feed(&d, "", 0, out, &outn, &end), 0);
	ck_assert_uint_eq(outn, 0);
	ck_assert_int_eq(end, 0);
}
END_TEST

/* A message, where its data ends, and what the server must see. */
static const struct {
	const char *in;
	int repair, crlf;
	size_t endat;
	const char *want;
} split_cases[] = {
	{ "Subject: t\r\n\r\n..stuffed\r\n.x\r\nlast\r\n.\r\nQUIT\r\n", 0,
	    1, 38, "Subject: t\r\n\r\n..stuffed\r\n.x\r\nlast\r\n.\r\n" },
	{ "a\n..b\n.\nRSET\r\n", 1, 0, 8, "a\r\n..b\r\n.\r\n" },
	{ "a\nb\n.\nRSET\n", 1, 0, 6, "a\r\nb\r\n.\r\n" },
	{ "x\ny\r\n.\r\nRSET\r\n", 1, 1, 8, "x\r\ny\r\n.\r\n" },
	{ ".\r\nRSET\r\n", 0, 1, 3, ".\r\n" },
};

START_TEST(data_split_everywhere)
{
	const char *in = split_cases[_i].in, *want = split_cases[_i].want;
	size_t n = strlen(in), cut[2], i, j, outn;
	struct smtp_data d;
	char out[256];
	long r;
	int end;

	/* Every pair of cut points, so every byte boundary is a read
	 * boundary, alone and together with one other. */
	for (i = 0; i <= n; i++)
		for (j = i; j <= n; j++) {
			cut[0] = i;
			cut[1] = j;
			smtp_data_init(&d, split_cases[_i].repair,
			    split_cases[_i].crlf);
			r = feed_cuts(&d, in, n, cut, 2, out, &outn, &end);
			ck_assert_msg(r == (long)split_cases[_i].endat,
			    "case %d cut at %zu,%zu: consumed %ld", _i, i, j,
			    r);
			ck_assert_int_eq(end, 1);
			ck_assert_uint_eq(outn, strlen(want));
			ck_assert_mem_eq(out, want, outn);
		}
}
END_TEST

START_TEST(data_byte_at_a_time)
{
	const char *in = "l1\r\n..\r\n.\r\nX";
	size_t n = strlen(in), i, outn, total = 0;
	struct smtp_data d;
	char out[4];
	int end = 0;
	long r;

	smtp_data_init(&d, 0, 1);
	for (i = 0; i < n && !end; i++) {
		r = smtp_data_feed(&d, in + i, 1, out, &outn, &end);
		ck_assert_int_eq(r, 1);
		total += outn;
	}
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(i, n - 1);
	ck_assert_uint_eq(total, n - 1);
}
END_TEST

/*
 * The same text must give the same result however it is cut into reads:
 * whole (long runs copied at once) and one byte per call (runs of one).
 * 20,000 random texts over the bytes that matter, with and without
 * repair; the result is the bytes consumed or the error, the output and
 * whether the end was seen.
 */
START_TEST(data_runs_match_bytes)
{
	static const char alpha[] = "ab.\r\n";
	char in[48], o1[96], o2[96];
	size_t n, i, outn1, outn2, cut[48];
	struct smtp_data d1, d2;
	unsigned int seed = 12345;
	int t, end1, end2, repair, crlf, ends = 0, errs = 0;
	long r1, r2;

	for (t = 0; t < 20000; t++) {
		n = (size_t)(rand_r(&seed) % 40);
		for (i = 0; i < n; i++)
			in[i] = alpha[rand_r(&seed) % 5];
		for (i = 0; i < n; i++)
			cut[i] = i + 1;
		repair = rand_r(&seed) % 2;
		crlf = rand_r(&seed) % 2;
		smtp_data_init(&d1, repair, crlf);
		smtp_data_init(&d2, repair, crlf);
		r1 = feed_cuts(&d1, in, n, NULL, 0, o1, &outn1, &end1);
		r2 = feed_cuts(&d2, in, n, cut, n, o2, &outn2, &end2);
		ck_assert_msg(r1 == r2, "text %d: %ld whole, %ld by bytes",
		    t, r1, r2);
		if (r1 < 0) {
			ck_assert_str_eq(d1.err, d2.err);
			errs++;
			continue;
		}
		ck_assert_int_eq(end1, end2);
		ck_assert_uint_eq(outn1, outn2);
		ck_assert_mem_eq(o1, o2, outn1);
		ends += end1;
	}
	/* The texts reach every outcome. */
	ck_assert_int_gt(ends, 300);
	ck_assert_int_gt(errs, 500);
}
END_TEST


/*
 * docs/SECURITY.md case 11: a program that has shown CRLF (its commands, the
 * DATA line, or earlier lines of the message) never has its data ended by
 * a dot next to a bare LF, whatever the first lines of the message look
 * like; the message is refused, not split into a message and commands.
 * The smuggling payload of the review starts with a bare-LF line.
 */
#define SMUGGLE "MAIL FROM:<smuggled@example.org>\r\nRCPT TO:<v@example.org>" \
	"\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n"
static const char *const crlf_program_ends[] = {
	"x\n.\n" SMUGGLE,
	".\n" SMUGGLE,
	"x\n.\r\n" SMUGGLE,
	"x\r\n.\n" SMUGGLE,
	"Subject: a\nx\n.\n" SMUGGLE,
	"x\ny\n.\nQUIT\r\n",
};

START_TEST(data_crlf_program_never_ends_at_bare_lf)
{
	const char *in;
	size_t n, i, cut[256], outn;
	struct smtp_data d;
	char out[1024];
	int repair, end, c;
	long r;

	for (c = 0; c < (int)(sizeof(crlf_program_ends) /
	    sizeof(crlf_program_ends[0])); c++) {
		in = crlf_program_ends[c];
		n = strlen(in);
		ck_assert_uint_le(n, sizeof(cut) / sizeof(cut[0]));
		for (i = 0; i < n; i++)
			cut[i] = i + 1;
		for (repair = 0; repair <= 1; repair++) {
			/* Whole, then one byte per call. */
			smtp_data_init(&d, repair, 1);
			r = feed_cuts(&d, in, n, NULL, 0, out, &outn, &end);
			ck_assert_msg(r == -1 && end == 0, "case %d (repair "
			    "%d): the data ended after %ld bytes", c, repair,
			    r);
			ck_assert_ptr_nonnull(d.err);
			smtp_data_init(&d, repair, 1);
			r = feed_cuts(&d, in, n, cut, n, out, &outn, &end);
			ck_assert_msg(r == -1 && end == 0, "case %d (repair "
			    "%d, byte by byte): the data ended after %ld "
			    "bytes", c, repair, r);
			ck_assert_ptr_nonnull(d.err);
		}
	}
}
END_TEST

/*
 * The other side of the rule: a program that ends every line with a bare
 * LF, commands included, ends its message with "\n.\n" (repair on), and
 * what follows is its next command.  With repair off it is refused.  A
 * message of such a program that shows CRLF before a bare-LF end is
 * refused too.
 */
START_TEST(data_lf_program_conventions)
{
	static const struct {
		const char *in;
		long endat;		/* -1: refused */
		const char *want;
	} t[] = {
		{ "x\n.\nMAIL FROM:<next@example.org>\n", 4, "x\r\n.\r\n" },
		{ ".\nQUIT\n", 2, ".\r\n" },
		{ "Subject: a\n\nx\n..y\n.\nQUIT\n", 20,
		    "Subject: a\r\n\r\nx\r\n..y\r\n.\r\n" },
		{ "x\r\n.\n" SMUGGLE, -1, NULL },
		{ "x\r\ny\n.\n" SMUGGLE, -1, NULL },
		{ "x\n.\r\n" SMUGGLE, -1, NULL },
		{ "x\ry\n.\n", -1, NULL },
	};
	size_t n, i, k, cut[256], outn;
	struct smtp_data d;
	char out[1024];
	int end, split;
	long r;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		n = strlen(t[k].in);
		for (i = 0; i < n; i++)
			cut[i] = i + 1;
		for (split = 0; split <= 1; split++) {
			smtp_data_init(&d, 1, 0);
			r = feed_cuts(&d, t[k].in, n, cut, split ? n : 0, out,
			    &outn, &end);
			ck_assert_msg(r == t[k].endat, "case %zu (split %d): "
			    "%ld, want %ld", k, split, r, t[k].endat);
			if (r < 0) {
				ck_assert_ptr_nonnull(d.err);
				continue;
			}
			ck_assert_int_eq(end, 1);
			ck_assert_uint_eq(outn, strlen(t[k].want));
			ck_assert_mem_eq(out, t[k].want, outn);
			/* Repair off: any bare LF is refused. */
			smtp_data_init(&d, 0, 0);
			ck_assert_int_eq(feed_cuts(&d, t[k].in, n, cut,
			    split ? n : 0, out, &outn, &end), -1);
			ck_assert_ptr_nonnull(strstr(d.err, "bare LF"));
		}
	}
}
END_TEST

/* A CRLF program's own end of data still works after repaired lines. */
START_TEST(data_crlf_program_repaired_lines)
{
	const char *in = "a\nb\nc\r\n.\r\nQUIT\r\n";
	const char *want = "a\r\nb\r\nc\r\n.\r\n";
	struct smtp_data d;
	char out[64];
	size_t outn;
	int end;

	smtp_data_init(&d, 1, 1);
	ck_assert_int_eq(feed_once(&d, in, out, &outn, &end), 10);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, strlen(want));
	ck_assert_mem_eq(out, want, outn);
}
END_TEST

/* ---- the From: header (docs/SECURITY.md case 24) ---- */

#define ACCT	"acct@example.net"

/*
 * Run text through the header rewrite in pieces of step bytes (0: at
 * once), checking the documented output bound on every call.  Returns a
 * malloc'ed, NUL-terminated result.
 */
static char *
hdr_run(int mode, const char *in, size_t n, size_t step)
{
	struct smtp_hdrfix *h = malloc(sizeof(*h));
	char *out = malloc(n + 2 * SMTP_HDR_MAX + 1024), *piece;
	size_t off = 0, k, o = 0, w;

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(out);
	smtp_hdrfix_init(h, mode, ACCT);
	while (off < n) {
		k = step == 0 || n - off < step ? n - off : step;
		piece = malloc(k + SMTP_HDR_MAX + 300);
		ck_assert_ptr_nonnull(piece);
		w = smtp_hdrfix_feed(h, in + off, k, piece);
		ck_assert_uint_le(w, k + SMTP_HDR_MAX + 300);
		memcpy(out + o, piece, w);
		free(piece);
		o += w;
		off += k;
	}
	out[o] = '\0';
	free(h);
	return (out);
}

/*
 * The From: fields of a message as the server will read it (a leading
 * dot removed, the header section up to the first empty line): how many,
 * and the first one's line.
 */
static int
from_fields(const char *msg, char *first, size_t len)
{
	const char *l = msg, *e, *u;
	size_t i;
	int k = 0;

	first[0] = '\0';
	for (; *l != '\0'; l = e + 1) {
		e = strchr(l, '\n');
		ck_assert_ptr_nonnull(e);
		u = l[0] == '.' && l[1] != '\r' ? l + 1 : l;
		if (u[0] == '\r' || strncmp(l, ".\r\n", 3) == 0)
			break;
		if (strncasecmp(u, "From", 4) != 0)
			continue;
		for (i = 4; u[i] == ' ' || u[i] == '\t'; i++)
			;
		if (u[i] != ':')
			continue;
		if (k++ == 0)
			(void)snprintf(first, len, "%.*s", (int)(e - u + 1),
			    u);
	}
	return (k);
}

/* Header shapes that carried a forged From: past set_from_header on. */
static const char *const forged_headers[] = {
	"Subject: a\r\n.From: <forged@example.org>\r\n\r\nbody\r\n.\r\n",
	"From: <first@example.org>\r\nFrom: <forged@example.org>\r\n\r\n.\r\n",
	"Subject: a\r\nFrom: <first@example.org>\r\nTo: b@x\r\n"
	    "FROM: <forged@example.org>\r\n\r\n.\r\n",
	"From:\r\n <forged@example.org>\r\nSubject: a\r\n\r\nb\r\n.\r\n",
	"from : <forged@example.org>\r\n\r\n.\r\n",
	"From\t:\t<forged@example.org>\r\n\r\n.\r\n",
	"Subject: a\r\n.from:\r\n\t<forged@example.org>\r\n\r\n.\r\n",
	"Subject: a\r\nnot a header line\r\nFrom: <forged@example.org>\r\n"
	    "\r\nbody\r\n.\r\n",
	"Subject: a\r\n.\r\n",
	"From: <a@x>\r\n.From: <forged@example.org>\r\n"
	    "From: <forged@example.org>\r\n\r\n.\r\n",
};

START_TEST(hdrfix_forged_shapes)
{
	const char *in = forged_headers[_i];
	static const size_t steps[] = { 0, 1, 2, 3, 7 };
	char first[512], *out;
	size_t s;

	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		out = hdr_run(1, in, strlen(in), steps[s]);
		ck_assert_msg(strstr(out, "forged") == NULL, "shape %d, steps "
		    "of %zu: the forged sender got through:\n%s", _i,
		    steps[s], out);
		ck_assert_msg(from_fields(out, first, sizeof(first)) == 1,
		    "shape %d, steps of %zu: not exactly one From:\n%s", _i,
		    steps[s], out);
		ck_assert_str_eq(first, "From: <" ACCT ">\r\n");
		/* Still one message: it ends where it did. */
		ck_assert_int_eq(strcmp(out + strlen(out) - 3, ".\r\n"), 0);
		free(out);
	}
}
END_TEST

/* A From: field longer than the rewrite can hold is dropped whole (and
 * ours put in its place), one line or folded; another long field passes
 * unchanged. */
START_TEST(hdrfix_long_from)
{
	const size_t big = SMTP_HDR_MAX + 3000;
	static const size_t steps[] = { 0, 1, 1000, 4096 };
	char first[512], *in, *out;
	size_t n, s, i;
	int shape;

	in = malloc(3 * big);
	ck_assert_ptr_nonnull(in);
	for (shape = 0; shape < 4; shape++) {
		n = 0;
		n += (size_t)sprintf(in + n, "X-Long: ");
		for (i = 0; i < (shape == 3 ? big : 10); i++)
			in[n++] = 'l';
		n += (size_t)sprintf(in + n, "\r\n%sFrom: <forged@example.org>",
		    shape == 2 ? "." : "");
		/* One long line, or many folded ones. */
		for (i = 0; i < big; i++) {
			if (shape == 1 && i % 70 == 0)
				n += (size_t)sprintf(in + n, "\r\n forged");
			in[n++] = 'z';
		}
		n += (size_t)sprintf(in + n, "\r\n\tforged\r\nSubject: s\r\n"
		    "\r\nbody\r\n.\r\n");
		for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			out = hdr_run(1, in, n, steps[s]);
			ck_assert_msg(strstr(out, "forged") == NULL, "shape %d,"
			    " steps of %zu: the long From: got through", shape,
			    steps[s]);
			ck_assert_int_eq(from_fields(out, first,
			    sizeof(first)), 1);
			ck_assert_str_eq(first, "From: <" ACCT ">\r\n");
			ck_assert_ptr_nonnull(strstr(out, "\r\nSubject: s\r\n"
			    "\r\nbody\r\n.\r\n"));
			/* The long field that is not From: is kept. */
			ck_assert_int_eq(strncmp(out, in, 10 + (shape == 3 ?
			    big : 10)), 0);
			free(out);
		}
	}
	free(in);
}
END_TEST

/*
 * A field that ends just short of the rewrite's buffer, so that the next
 * line's first bytes ("Fro", ".Fr") are all the buffer holds of it when
 * it fills: that line must still be known for a From: field.
 */
START_TEST(hdrfix_from_at_buffer_end)
{
	static const char *const names[] = {
		"From: ", ".From: ", "FROM : ", "from\t:", ".from:"
	};
	static const size_t steps[] = { 0, 7, 4096 };
	char first[512], *in, *out;
	size_t n, pad, i, s, k;

	in = malloc(2 * SMTP_HDR_MAX + 200);
	ck_assert_ptr_nonnull(in);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		for (pad = SMTP_HDR_MAX - 12; pad < SMTP_HDR_MAX; pad++) {
			n = (size_t)sprintf(in, "X-Pad: ");
			for (i = 0; i < pad - 9; i++)
				in[n++] = 'a';
			n += (size_t)sprintf(in + n, "\r\n%s<forged@example.org>"
			    "\r\nSubject: s\r\n\r\nbody\r\n.\r\n", names[k]);
			for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
				out = hdr_run(1, in, n, steps[s]);
				ck_assert_msg(strstr(out, "forged") == NULL,
				    "\"%s\" after a %zu-byte field, steps of "
				    "%zu: the forged sender got through",
				    names[k], pad, steps[s]);
				ck_assert_int_eq(from_fields(out, first,
				    sizeof(first)), 1);
				ck_assert_str_eq(first, "From: <" ACCT ">\r\n");
				free(out);
			}
		}
	free(in);
}
END_TEST

/* What the rewrite leaves alone: the body (a From: line after the empty
 * line), dot-stuffing, and in auto mode the program's own From:. */
START_TEST(hdrfix_keeps)
{
	const char *a = "Subject: a\r\nFrom: <p@example.org>\r\n\r\n"
	    "From: body line\r\n..From: stuffed body line\r\n.\r\n";
	const char *b = "Subject: a\r\n\r\nbody\r\n.\r\n";
	const char *c = "Subject: a\r\n.from : <p@example.org>\r\n\r\n.\r\n";
	char *out;

	out = hdr_run(1, a, strlen(a), 0);
	ck_assert_str_eq(out, "Subject: a\r\nFrom: <" ACCT ">\r\n\r\n"
	    "From: body line\r\n..From: stuffed body line\r\n.\r\n");
	free(out);
	/* on: a message without From: gets ours (msmtp's meaning). */
	out = hdr_run(1, b, strlen(b), 1);
	ck_assert_str_eq(out, "Subject: a\r\nFrom: <" ACCT ">\r\n\r\n"
	    "body\r\n.\r\n");
	free(out);
	/* auto: added when missing, the program's kept otherwise (also
	 * when dot-stuffed: the server un-stuffs it into a From:). */
	out = hdr_run(2, b, strlen(b), 0);
	ck_assert_str_eq(out, "Subject: a\r\nFrom: <" ACCT ">\r\n\r\n"
	    "body\r\n.\r\n");
	free(out);
	out = hdr_run(2, a, strlen(a), 1);
	ck_assert_str_eq(out, a);
	free(out);
	out = hdr_run(2, c, strlen(c), 0);
	ck_assert_str_eq(out, c);
	free(out);
}
END_TEST

START_TEST(data_huge_line)
{
	const size_t chunk = 64 * 1024, total = 10 * 1024 * 1024;
	struct smtp_data d;
	size_t sent, outn;
	char *in, *out;
	int end;
	long r;

	/* docs/SECURITY.md case 12: a 10 MB line, streamed through buffers of
	 * a fixed size; each read's output fits 2*n exactly. */
	in = malloc(chunk);
	out = malloc(2 * chunk);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	memset(in, 'q', chunk);
	smtp_data_init(&d, 0, 1);
	for (sent = 0; sent < total; sent += chunk) {
		r = smtp_data_feed(&d, in, chunk, out, &outn, &end);
		ck_assert_int_eq(r, (long)chunk);
		ck_assert_int_eq(end, 0);
		ck_assert_uint_eq(outn, chunk);
	}
	r = smtp_data_feed(&d, "\r\n.\r\n", 5, out, &outn, &end);
	ck_assert_int_eq(r, 5);
	ck_assert_int_eq(end, 1);
	ck_assert_uint_eq(outn, 5);
	free(in);
	free(out);
}
END_TEST

START_TEST(data_worst_case_bound)
{
	const size_t n = 64 * 1024;
	struct smtp_data d;
	size_t outn, i;
	char *in, *out;
	int end;
	long r;

	/* Only bare LFs, repaired: exactly 2*n out, into a buffer of
	 * exactly 2*n (ASan sees any byte beyond). */
	in = malloc(n);
	out = malloc(2 * n);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	for (i = 0; i < n; i++)
		in[i] = i % 2 == 0 ? 'x' : '\n';
	in[0] = '\n';
	smtp_data_init(&d, 1, 0);
	for (i = 0; i < 160; i++) {
		r = smtp_data_feed(&d, in, n, out, &outn, &end);
		ck_assert_int_eq(r, (long)n);
		ck_assert_int_eq(end, 0);
		ck_assert_uint_le(outn, 2 * n);
	}
	memset(in, '\n', n);
	r = smtp_data_feed(&d, in, n, out, &outn, &end);
	ck_assert_int_eq(r, (long)n);
	ck_assert_uint_eq(outn, 2 * n);
	free(in);
	free(out);
}
END_TEST

static Suite *
smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc;

	tc = tcase_create("replies");
	tcase_add_test(tc, rp_single_line);
	tcase_add_test(tc, rp_code_alone);
	tcase_add_test(tc, rp_multiline);
	tcase_add_test(tc, rp_byte_at_a_time);
	tcase_add_test(tc, rp_bare_lf_lines);
	tcase_add_test(tc, rp_code_mismatch);
	tcase_add_test(tc, rp_code_mismatch_first_digit);
	tcase_add_test(tc, rp_nul_byte);
	tcase_add_test(tc, rp_nul_in_continuation);
	tcase_add_loop_test(tc, rp_malformed, 0,
	    (int)(sizeof(bad_lines) / sizeof(bad_lines[0])));
	tcase_add_test(tc, rp_line_too_long_streamed);
	tcase_add_test(tc, rp_line_too_long_whole);
	tcase_add_test(tc, rp_line_too_long_terminated);
	tcase_add_test(tc, rp_long_line_within_limit);
	tcase_add_test(tc, rp_too_many_lines);
	tcase_add_test(tc, rp_endless_continuation);
	tcase_add_test(tc, rp_most_lines_allowed);
	tcase_add_test(tc, rp_reply_too_big);
	tcase_add_test(tc, rp_two_replies_one_read);
	tcase_add_test(tc, rp_starttls_injection);
	tcase_add_test(tc, rp_starttls_partial_line);
	tcase_add_test(tc, rp_starttls_clean);
	tcase_add_test(tc, rp_pending_partial);
	tcase_add_test(tc, rp_buffer_reused);
	tcase_add_test(tc, rp_init_resets);
	suite_add_tcase(s, tc);

	tc = tcase_create("capabilities");
	tcase_add_test(tc, caps_has);
	tcase_add_test(tc, caps_has_name_line_only);
	tcase_add_test(tc, caps_has_bare_lf);
	tcase_add_test(tc, mechs_auth_line);
	tcase_add_test(tc, mechs_old_form_only);
	tcase_add_test(tc, mechs_none);
	tcase_add_test(tc, mechs_name_line_ignored);
	tcase_add_test(tc, mechs_small_buffer);
	tcase_add_test(tc, mech_in_list);
	tcase_add_test(tc, reply_name);
	tcase_add_test(tc, filter_keep);
	tcase_add_test(tc, filter_inject);
	tcase_add_test(tc, filter_inject_without_server_auth);
	tcase_add_test(tc, filter_drop);
	tcase_add_test(tc, filter_case_and_lf);
	tcase_add_test(tc, filter_name_only);
	tcase_add_test(tc, filter_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("commands");
	/* The header tests feed long messages; sanitized builds are slow. */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, verbs);
	tcase_add_test(tc, verb_length_respected);
	tcase_add_test(tc, verb_tab);
	tcase_add_test(tc, verb_leading_blanks);
	tcase_add_loop_test(tc, rewrite_spellings, 0,
	    (int)(sizeof(mail_spellings) / sizeof(mail_spellings[0])));
	tcase_add_loop_test(tc, rewrite_unparsed_refused, 0,
	    (int)(sizeof(mail_unparsed) / sizeof(mail_unparsed[0])));
	tcase_add_loop_test(tc, hdrfix_forged_shapes, 0,
	    (int)(sizeof(forged_headers) / sizeof(forged_headers[0])));
	tcase_add_test(tc, hdrfix_long_from);
	tcase_add_test(tc, hdrfix_from_at_buffer_end);
	tcase_add_test(tc, hdrfix_keeps);
	tcase_add_test(tc, hdrfix_many_from);
	tcase_add_test(tc, rewrite_plain);
	tcase_add_test(tc, rewrite_params);
	tcase_add_test(tc, rewrite_null_sender);
	tcase_add_test(tc, rewrite_unbalanced_brackets);
	tcase_add_test(tc, mail_sender_read);
	tcase_add_test(tc, rewrite_length_respected);
	tcase_add_test(tc, rewrite_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, data_crlf_end);
	tcase_add_test(tc, data_empty_message);
	tcase_add_test(tc, data_lf_dot_lf);
	tcase_add_loop_test(tc, data_ambiguous_end, 0,
	    (int)(sizeof(ambiguous_ends) / sizeof(ambiguous_ends[0])));
	tcase_add_test(tc, data_lf_only_program);
	tcase_add_test(tc, data_crlf_program_never_ends_at_bare_lf);
	tcase_add_test(tc, data_lf_program_conventions);
	tcase_add_test(tc, data_crlf_program_repaired_lines);
	tcase_add_test(tc, data_bare_lf_repaired);
	tcase_add_test(tc, data_bare_lf_refused);
	tcase_add_loop_test(tc, data_bare_cr_refused, 0,
	    (int)(sizeof(bare_cr) / sizeof(bare_cr[0])));
	tcase_add_test(tc, data_bare_cr_across_feeds);
	tcase_add_test(tc, data_crlf_across_feeds);
	tcase_add_loop_test(tc, data_dot_lines_not_end, 0,
	    (int)(sizeof(not_end) / sizeof(not_end[0])));
	tcase_add_test(tc, data_after_end_untouched);
	tcase_add_test(tc, data_empty_feed);
	tcase_add_loop_test(tc, data_split_everywhere, 0,
	    (int)(sizeof(split_cases) / sizeof(split_cases[0])));
	tcase_add_test(tc, data_byte_at_a_time);
	tcase_add_test(tc, data_runs_match_bytes);
	tcase_add_test(tc, data_huge_line);
	tcase_add_test(tc, data_worst_case_bound);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(smtp_suite()));
}
