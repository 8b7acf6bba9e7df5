#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

char *
xstrdup(const char *s)
{

	return (s != NULL ? strdup(s) : NULL);
}

void
wipe_free(char *s)
{

	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int
hexval(int c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

void
trim(char *s)
{
	size_t n, i = 0;

	while (isspace((unsigned char)s[i]))
		i++;
	if (i > 0)
		memmove(s, s + i, strlen(s + i) + 1);
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

size_t
split_next(const char **sp, const char *seps, const char **tok)
{
	const char *p = *sp + strspn(*sp, seps);
	size_t len = strcspn(p, seps);

	*tok = p;
	*sp = p + len;
	return (len);
}

int
read_all(int fd, char **out, size_t *len, size_t max)
{
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, ncap;
	ssize_t r;

	for (;;) {
		/* Room for max + 1 bytes at most: one more than max is
		 * enough to know the input is too long. */
		if (n == cap) {
			if (cap > max) {
				explicit_bzero(buf, n);
				free(buf);
				errno = EFBIG;
				return (-1);
			}
			/* Grow by copying (doubling), so no secret is left
			 * behind in memory given back. */
			ncap = cap == 0 ? 8192 : cap * 2;
			if (ncap - 1 > max)
				ncap = max + 1;
			if ((nb = malloc(ncap + 1)) == NULL) {
				explicit_bzero(buf, n);
				free(buf);
				return (-1);
			}
			if (buf != NULL) {
				memcpy(nb, buf, n);
				explicit_bzero(buf, n);
				free(buf);
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			explicit_bzero(buf, n);
			free(buf);
			return (-1);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		explicit_bzero(buf, n);
		free(buf);
		errno = EFBIG;
		return (-1);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return (0);
}

size_t
esc_text(char *dst, size_t dstlen, const void *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = src;
	char e[5];
	size_t i, o = 0, k;

	if (dstlen == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			e[0] = (char)p[i];
			k = 1;
		} else if (p[i] == '\r' || p[i] == '\n' || p[i] == '\t') {
			e[0] = '\\';
			e[1] = p[i] == '\r' ? 'r' : p[i] == '\n' ? 'n' : 't';
			k = 2;
		} else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[p[i] >> 4];
			e[3] = hex[p[i] & 0xf];
			k = 4;
		}
		if (dstlen - 1 - o < k)
			break;
		memcpy(dst + o, e, k);
		o += k;
	}
	dst[o] = '\0';
	return (o);
}

void
esc_line(FILE *f, const char *fmt, ...)
{
	char line[2048], out[4 * sizeof(line)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	(void)esc_text(out, sizeof(out), line, (size_t)n < sizeof(line) ?
	    (size_t)n : sizeof(line) - 1);
	(void)fprintf(f, "%s\n", out);
	(void)fflush(f);
}

size_t
fmt_whole(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		abort();
	return ((size_t)n);
}

long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}
