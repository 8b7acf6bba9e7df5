/*
 * holdclient: hold N plain SMTP sessions open at once, so that the memory
 * of whatever serves them can be measured while they are all alive.
 *
 *   holdclient [-c SESSIONS] [-p PORT] [-w SECONDS] HOST
 *
 * Opens every connection first (with submitify preloaded each one starts
 * its helper at once), then reads each greeting and sends EHLO on each.
 * Once every session has answered EHLO it prints "open N" and waits for
 * end of file on stdin, or -w seconds (default 120), whichever comes first;
 * then QUIT on every session.  Exit 0 only if all N sessions got their
 * greeting, their EHLO reply and their 221.  HOST is an IPv4 address.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sess {
	int fd;
	size_t len;
	char buf[4096];
};

/* One whole reply; its code or -1. */
static int
reply(struct sess *s)
{
	char *nl, *line;
	size_t used;
	ssize_t r;
	int code;

	for (;;) {
		line = s->buf;
		while ((nl = memchr(line, '\n', s->len - (size_t)(line -
		    s->buf))) != NULL) {
			if (nl - line >= 3 && line[3] != '-') {
				code = atoi(line);
				used = (size_t)(nl + 1 - s->buf);
				memmove(s->buf, nl + 1, s->len - used);
				s->len -= used;
				return (code);
			}
			line = nl + 1;
		}
		if (s->len == sizeof(s->buf))
			return (-1);
		r = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		s->len += (size_t)r;
	}
}

static int
say(struct sess *s, const char *line)
{
	size_t n = strlen(line);

	return (send(s->fd, line, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst;
	struct timeval tv = { 60, 0 };
	struct pollfd p;
	struct sess *s;
	char junk[256];
	long n = 200, i, good = 0, secs = 120;
	int ch, port = 25;

	while ((ch = getopt(argc, argv, "c:p:w:")) != -1) {
		switch (ch) {
		case 'c': n = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'w': secs = atol(optarg); break;
		default:
			fprintf(stderr, "usage: holdclient [-c SESSIONS] "
			    "[-p PORT] [-w SECONDS] HOST\n");
			return (64);
		}
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((unsigned short)port);
	if (optind + 1 != argc || n < 1 || n > 5000 || secs < 1 ||
	    inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1) {
		fprintf(stderr, "holdclient: bad arguments\n");
		return (64);
	}
	if ((s = calloc((size_t)n, sizeof(*s))) == NULL)
		return (71);
	for (i = 0; i < n; i++) {
		if ((s[i].fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
			perror("holdclient: socket");
			return (71);
		}
		(void)setsockopt(s[i].fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv));
		if (connect(s[i].fd, (struct sockaddr *)&dst,
		    sizeof(dst)) != 0) {
			fprintf(stderr, "holdclient: connect %ld: %s\n", i,
			    strerror(errno));
			return (1);
		}
	}
	for (i = 0; i < n; i++)
		if (reply(&s[i]) != 220 || say(&s[i], "EHLO hold.test\r\n") ||
		    reply(&s[i]) != 250) {
			fprintf(stderr, "holdclient: session %ld failed\n", i);
			return (1);
		}
	printf("open %ld\n", n);
	(void)fflush(stdout);

	/* Hold until stdin ends or the time is up. */
	p.fd = 0;
	p.events = POLLIN;
	for (;;) {
		int r = poll(&p, 1, (int)secs * 1000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || read(0, junk, sizeof(junk)) <= 0)
			break;
	}

	for (i = 0; i < n; i++)
		if (say(&s[i], "QUIT\r\n") == 0 && reply(&s[i]) == 221)
			good++;
	for (i = 0; i < n; i++)
		(void)close(s[i].fd);
	printf("closed %ld of %ld\n", good, n);
	free(s);
	return (good == n ? 0 : 1);
}
