#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../shim/decide.h"
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

int
read_all(int fd, char **out, size_t *len, size_t max)
{
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, ncap;
	ssize_t r;

	for (;;) {
		if (cap - n < 4096) {
			if (cap > max) {
				explicit_bzero(buf, n);
				free(buf);
				errno = EFBIG;
				return (-1);
			}
			/* Grow by copying (doubling), so no secret is left
			 * behind in memory given back. */
			ncap = cap == 0 ? 8192 : cap * 2;
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

int
check_ports(const char *s)
{
	struct decide_ports p;

	return (decide_parse_ports(s, &p));
}

long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}
