/*
 * smtpclient: a plain SMTP client for the tests, written the way legacy
 * programs are: connect(HOST:PORT), EHLO, MAIL, RCPT, DATA, QUIT, no TLS,
 * no AUTH unless asked.
 *
 *   smtpclient [-p PORT] [-f FROM] [-t TO] [-i MSGID] [-s BYTES] [-n COUNT]
 *              [-a USER:PASS] [-P] [-q] HOST
 *
 * -s pads the body to about BYTES; -n sends COUNT messages in one session;
 * -a sends AUTH PLAIN with those credentials; -P pipelines MAIL, RCPT and
 * DATA in one write; -q prints nothing but errors.
 * Exit 0 if every message got a 250 after its final dot; 1 on a refusal
 * (the reply is printed); 2 on a broken connection; 64 on bad usage.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
/* make asan: a setuid or setgid copy of this client reads no ASAN_OPTIONS;
 * leaks at exit are not what the tests look for. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{

	return ("detect_leaks=0");
}
#endif

static int fd = -1, quiet;
static char rbuf[70000];
static size_t rlen;

static void
put(const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "smtpclient: write: %s\n",
			    strerror(errno));
			exit(2);
		}
		s += w;
		n -= (size_t)w;
	}
}

static void
puts_(const char *s)
{

	put(s, strlen(s));
}

/* Read one whole reply; print it unless quiet; return its code. */
static int
reply(char *last, size_t lastlen)
{
	char *nl, line[1100];
	ssize_t r;
	size_t n;
	int code;

	for (;;) {
		while ((nl = memchr(rbuf, '\n', rlen)) == NULL) {
			if (rlen == sizeof(rbuf)) {
				fprintf(stderr, "smtpclient: reply too long\n");
				exit(2);
			}
			r = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "smtpclient: connection %s\n",
				    r == 0 ? "closed" : strerror(errno));
				exit(2);
			}
			rlen += (size_t)r;
		}
		n = (size_t)(nl - rbuf) + 1;
		(void)snprintf(line, sizeof(line), "%.*s", (int)(n > 1000 ?
		    1000 : n), rbuf);
		memmove(rbuf, rbuf + n, rlen - n);
		rlen -= n;
		line[strcspn(line, "\r\n")] = '\0';
		if (!quiet)
			printf("<- %s\n", line);
		if (strlen(line) < 3) {
			fprintf(stderr, "smtpclient: bad reply: %s\n", line);
			exit(2);
		}
		code = atoi(line);
		if (line[3] != '-') {
			if (last != NULL)
				(void)snprintf(last, lastlen, "%s", line);
			return (code);
		}
	}
}

static int
cmd(const char *line, char *last, size_t lastlen)
{

	char buf[1300];

	if (!quiet)
		printf("-> %s\n", line);
	/* One write per command, as most programs do. */
	(void)snprintf(buf, sizeof(buf), "%s\r\n", line);
	puts_(buf);
	return (reply(last, lastlen));
}

static void
refused(const char *what, const char *last)
{

	fprintf(stderr, "smtpclient: %s refused: %s\n", what, last);
	printf("%s\n", last);
	exit(1);
}

static char *
b64(const unsigned char *in, size_t n)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;
	unsigned v;

	if (out == NULL)
		exit(2);
	for (i = 0; i < n; i += 3) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*o++ = t[v >> 18 & 63];
		*o++ = t[v >> 12 & 63];
		*o++ = i + 1 < n ? t[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? t[v & 63] : '=';
	}
	*o = '\0';
	return (out);
}

int
main(int argc, char **argv)
{
	const char *port = "25", *from = "alice@example.test";
	const char *to = "bob@example.test", *msgid = NULL, *auth = NULL;
	struct addrinfo hints, *res, *ai;
	char line[1200], last[1100], pad[80], *enc, *colon, cred[600];
	char id[300];
	long size = 0, count = 1, m, done;
	int ch, pipeline = 0, code, e;
	size_t u;

	while ((ch = getopt(argc, argv, "p:f:t:i:s:n:a:Pq")) != -1) {
		switch (ch) {
		case 'p': port = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'i': msgid = optarg; break;
		case 's': size = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'a': auth = optarg; break;
		case 'P': pipeline = 1; break;
		case 'q': quiet = 1; break;
		default: return (64);
		}
	}
	if (optind + 1 != argc)
		return (64);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(argv[optind], port, &hints, &res)) != 0) {
		fprintf(stderr, "smtpclient: %s: %s\n", argv[optind],
		    gai_strerror(e));
		return (2);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (fd >= 0)
			(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "smtpclient: connect %s:%s: %s\n",
		    argv[optind], port, strerror(e));
		return (2);
	}
	if ((code = reply(last, sizeof(last))) != 220)
		refused("greeting", last);
	if ((code = cmd("EHLO client.test", last, sizeof(last))) != 250)
		refused("EHLO", last);
	if (auth != NULL) {
		colon = strchr(auth, ':');
		if (colon == NULL)
			return (64);
		u = (size_t)(colon - auth);
		cred[0] = '\0';
		memcpy(cred + 1, auth, u);
		cred[u + 1] = '\0';
		(void)snprintf(cred + u + 2, sizeof(cred) - u - 2, "%s",
		    colon + 1);
		enc = b64((unsigned char *)cred, u + 2 + strlen(colon + 1));
		(void)snprintf(line, sizeof(line), "AUTH PLAIN %s", enc);
		free(enc);
		if (!quiet)
			printf("-> AUTH PLAIN (credentials)\n");
		(void)strncat(line, "\r\n", sizeof(line) - strlen(line) - 1);
		puts_(line);
		if ((code = reply(last, sizeof(last))) != 235)
			refused("AUTH", last);
	}
	for (m = 0; m < count; m++) {
		if (pipeline) {
			(void)snprintf(line, sizeof(line), "MAIL FROM:<%s>\r\n"
			    "RCPT TO:<%s>\r\nDATA\r\n", from, to);
			if (!quiet)
				printf("-> (pipelined) MAIL, RCPT, DATA\n");
			puts_(line);
			if (reply(last, sizeof(last)) != 250)
				refused("MAIL", last);
			if (reply(last, sizeof(last)) != 250)
				refused("RCPT", last);
			if (reply(last, sizeof(last)) != 354)
				refused("DATA", last);
		} else {
			(void)snprintf(line, sizeof(line), "MAIL FROM:<%s>",
			    from);
			if (cmd(line, last, sizeof(last)) != 250)
				refused("MAIL", last);
			(void)snprintf(line, sizeof(line), "RCPT TO:<%s>", to);
			if (cmd(line, last, sizeof(last)) != 250)
				refused("RCPT", last);
			if (cmd("DATA", last, sizeof(last)) != 354)
				refused("DATA", last);
		}
		if (count > 1)
			(void)snprintf(id, sizeof(id), "%s.%ld",
			    msgid != NULL ? msgid : "smtpclient", m);
		else
			(void)snprintf(id, sizeof(id), "%s",
			    msgid != NULL ? msgid : "smtpclient");
		(void)snprintf(line, sizeof(line), "From: <%s>\r\nTo: <%s>\r\n"
		    "Subject: smtpclient test %ld\r\nMessage-ID: <%s>\r\n"
		    "\r\nA message from the submitify tests.\r\n"
		    "..a line that starts with a dot\r\n", from, to, m, id);
		if (size == 0) {
			/* A small message and its end in one write. */
			(void)strncat(line, ".\r\n", sizeof(line) -
			    strlen(line) - 1);
			put(line, strlen(line));
		} else {
			put(line, strlen(line));
			for (done = 0; done < size; done += 78) {
				memset(pad, 'x', 76);
				pad[76] = '\r';
				pad[77] = '\n';
				put(pad, 78);
			}
			puts_(".\r\n");
		}
		if (!quiet)
			printf("-> (message, %ld bytes of padding)\n-> .\n",
			    size);
		if ((code = reply(last, sizeof(last))) != 250)
			refused("message", last);
	}
	(void)cmd("QUIT", last, sizeof(last));
	(void)close(fd);
	return (0);
}
