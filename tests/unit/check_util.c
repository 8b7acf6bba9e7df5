/*
 * Unit tests for helper/util: esc_text (what the server or a program says,
 * made safe for a terminal, a log and a reply line), esc_line, the
 * exact size limit of read_all, split_next and fmt_whole.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "run_suite.h"

/* esc_text of a C string (with its length given: it may hold NULs). */
static const char *
esc(const char *in, size_t len)
{
	static char out[1024];

	(void)esc_text(out, sizeof(out), in, len);
	return (out);
}
#define ESC(lit)	esc(lit, sizeof(lit) - 1)

/* Is every byte of s printable ASCII? */
static int
printable(const char *s)
{

	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return (0);
	return (1);
}

START_TEST(esc_plain_unchanged)
{

	ck_assert_str_eq(ESC("220 mail.test ESMTP ready"),
	    "220 mail.test ESMTP ready");
	ck_assert_str_eq(ESC(""), "");
	ck_assert_str_eq(ESC(" !~"), " !~");
}
END_TEST

START_TEST(esc_line_controls)
{

	ck_assert_str_eq(ESC("a\r\nb\tc"), "a\\r\\nb\\tc");
	/* A CR that would move back to the start of the line and write a
	 * fake result over it. */
	ck_assert_str_eq(ESC("221 bye\rresult: OK"),
	    "221 bye\\rresult: OK");
}
END_TEST

START_TEST(esc_terminal_sequences)
{

	/* Set the title, clear the screen, a C1 CSI (0x9b), DEL, NUL. */
	ck_assert_str_eq(ESC("\033]0;pwned\007"), "\\x1b]0;pwned\\x07");
	ck_assert_str_eq(ESC("\033[2J"), "\\x1b[2J");
	ck_assert_str_eq(ESC("\2332J"), "\\x9b2J");
	ck_assert_str_eq(ESC("\177\000x"), "\\x7f\\x00x");
}
END_TEST

/* Every byte value: the output is printable ASCII, and each byte that was
 * not printable ASCII became an escape of its own. */
START_TEST(esc_every_byte)
{
	unsigned char in[1];
	char out[8];
	size_t n;
	int c;

	for (c = 0; c < 256; c++) {
		in[0] = (unsigned char)c;
		n = esc_text(out, sizeof(out), in, 1);
		ck_assert_msg(printable(out), "byte 0x%02x: not escaped", c);
		if (c >= 0x20 && c < 0x7f)
			ck_assert_uint_eq(n, 1);
		else if (c == '\r' || c == '\n' || c == '\t')
			ck_assert_uint_eq(n, 2);
		else {
			ck_assert_uint_eq(n, 4);
			ck_assert_int_eq(out[0], '\\');
			ck_assert_int_eq(out[1], 'x');
			ck_assert_int_eq(strtol(out + 2, NULL, 16), c);
		}
	}
}
END_TEST

/* UTF-8 is escaped byte by byte (no partial sequence, no C1 control in its
 * two-byte form U+009B either). */
START_TEST(esc_utf8)
{

	ck_assert_str_eq(ESC("caf\xc3\xa9"), "caf\\xc3\\xa9");
	ck_assert_str_eq(ESC("\xc2\x9b"), "\\xc2\\x9b");
}
END_TEST

/* A backslash stays, so escaping escaped text changes nothing. */
START_TEST(esc_idempotent)
{
	static const char in[] = "a\\b \033[31m\r\n\x9b\xff";
	char once[256], twice[256];

	(void)esc_text(once, sizeof(once), in, sizeof(in) - 1);
	(void)esc_text(twice, sizeof(twice), once, strlen(once));
	ck_assert_str_eq(once, "a\\b \\x1b[31m\\r\\n\\x9b\\xff");
	ck_assert_str_eq(once, twice);
}
END_TEST

/* Output that does not fit is cut before an escape, never inside one. */
START_TEST(esc_truncates_whole)
{
	char out[8];
	size_t n;

	/* "ab" + "\x1b" needs 6 bytes + NUL = 7: fits in 8. */
	n = esc_text(out, sizeof(out), "ab\033c", 4);
	ck_assert_str_eq(out, "ab\\x1bc");
	ck_assert_uint_eq(n, 7);
	/* One byte less: the escape fits, "c" does not. */
	n = esc_text(out, 7, "ab\033c", 4);
	ck_assert_str_eq(out, "ab\\x1b");
	ck_assert_uint_eq(n, 6);
	/* Two less: not the half of an escape. */
	n = esc_text(out, 5, "ab\033c", 4);
	ck_assert_str_eq(out, "ab");
	ck_assert_uint_eq(n, 2);
	n = esc_text(out, 1, "abc", 3);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(esc_text(out, 0, "abc", 3), 0);
}
END_TEST

/* esc_line: the formatted line escaped, then one newline. */
START_TEST(esc_line_writes_one_line)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	esc_line(f, "greeting: %s", "220 x\r\nresult: OK\033[2J");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(buf, "greeting: 220 x\\r\\nresult: OK\\x1b[2J\n");
	free(buf);
}
END_TEST

/* ---- read_all ---- */

/* A pipe holding n bytes of 'k' (written by a child, as n may be more than
 * the pipe holds); its read end. */
static int
pipe_of(size_t n, pid_t *pid)
{
	char buf[4096];
	int p[2];
	size_t w;
	ssize_t r;

	ck_assert_int_eq(pipe(p), 0);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid == 0) {
		(void)close(p[0]);
		memset(buf, 'k', sizeof(buf));
		for (w = 0; w < n; w += (size_t)r)
			if ((r = write(p[1], buf, n - w < sizeof(buf) ?
			    n - w : sizeof(buf))) <= 0)
				_exit(1);
		_exit(0);
	}
	(void)close(p[1]);
	return (p[0]);
}

static void
reap(int fd, pid_t pid)
{

	(void)close(fd);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
}

START_TEST(read_all_exact_limit)
{
	static const size_t sizes[] = { 0, 1, 8191, 8192, 8193, 100000 };
	char *text;
	size_t i, n;
	pid_t pid;
	int fd;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* Exactly max bytes: accepted. */
		fd = pipe_of(sizes[i], &pid);
		ck_assert_int_eq(read_all(fd, &text, &n, sizes[i]), 0);
		ck_assert_uint_eq(n, sizes[i]);
		ck_assert_uint_eq(strlen(text), sizes[i]);
		free(text);
		reap(fd, pid);
		/* One byte more: EFBIG. */
		fd = pipe_of(sizes[i] + 1, &pid);
		errno = 0;
		ck_assert_int_eq(read_all(fd, &text, &n, sizes[i]), -1);
		ck_assert_int_eq(errno, EFBIG);
		reap(fd, pid);
	}
}
END_TEST

/* Far more than the limit: refused once the limit is passed, without
 * reading it all (the writer is still blocked). */
START_TEST(read_all_stops_early)
{
	char *text;
	size_t n;
	pid_t pid;
	int fd, st;

	fd = pipe_of(2000000, &pid);
	errno = 0;
	ck_assert_int_eq(read_all(fd, &text, &n, 1024 * 1024), -1);
	ck_assert_int_eq(errno, EFBIG);
	usleep(100000);
	ck_assert_int_eq(waitpid(pid, &st, WNOHANG), 0);
	reap(fd, pid);
}
END_TEST

/* The tokens of in, each followed by '|'. */
static const char *
tokens(const char *in, const char *seps)
{
	static char out[256];
	const char *rest = in, *t;
	size_t n, o = 0;

	while ((n = split_next(&rest, seps, &t)) > 0) {
		ck_assert_uint_lt(o + n + 1, sizeof(out));
		memcpy(out + o, t, n);
		o += n;
		out[o++] = '|';
	}
	out[o] = '\0';
	return (out);
}

START_TEST(split_skips_empty)
{

	ck_assert_str_eq(tokens("", ","), "");
	ck_assert_str_eq(tokens(",,,", ","), "");
	ck_assert_str_eq(tokens("a", ","), "a|");
	ck_assert_str_eq(tokens(",a,,b,", ","), "a|b|");
	ck_assert_str_eq(tokens(" a: b ::c", ": "), "a|b|c|");
	ck_assert_str_eq(tokens("a b", ","), "a b|");
}
END_TEST

START_TEST(fmt_whole_fits)
{
	char buf[6];

	ck_assert_uint_eq(fmt_whole(buf, sizeof(buf), "%s!", "abcd"), 5);
	ck_assert_str_eq(buf, "abcd!");
}
END_TEST

/* A text that does not fit is a bug: it ends the process. */
START_TEST(fmt_whole_cut_aborts)
{
	char buf[5];

	(void)fmt_whole(buf, sizeof(buf), "%s!", "abcd");
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("esc");
	tcase_add_test(tc, esc_plain_unchanged);
	tcase_add_test(tc, esc_line_controls);
	tcase_add_test(tc, esc_terminal_sequences);
	tcase_add_test(tc, esc_every_byte);
	tcase_add_test(tc, esc_utf8);
	tcase_add_test(tc, esc_idempotent);
	tcase_add_test(tc, esc_truncates_whole);
	tcase_add_test(tc, esc_line_writes_one_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("read_all");
	tcase_add_test(tc, read_all_exact_limit);
	tcase_add_test(tc, read_all_stops_early);
	suite_add_tcase(s, tc);

	tc = tcase_create("strings");
	tcase_add_test(tc, split_skips_empty);
	tcase_add_test(tc, fmt_whole_fits);
	tcase_add_test_raise_signal(tc, fmt_whole_cut_aborts, SIGABRT);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(util_suite()));
}
