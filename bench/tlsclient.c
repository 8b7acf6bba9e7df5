/*
 * tlsclient: the benchmark's direct client, a program that does STARTTLS
 * (or implicit TLS) and AUTH PLAIN itself with OpenSSL, as a program would
 * that had been taught to submit mail.  The same binary without TLS is the
 * plain program that submitify serves, so that both sides of a comparison
 * write the same bytes in the same pieces.
 *
 *   tlsclient [-m starttls|implicit|plain] [-p PORT] [-a USER:PASS]
 *             [-C CAFILE] [-N NAME] [-s BYTES] [-c THREADS] [-n MESSAGES]
 *             [-P] [-w SECONDS] [-i PREFIX] HOST
 *
 * Every message is its own session: connect, greeting, EHLO, (STARTTLS,
 * handshake, EHLO), (AUTH PLAIN), MAIL, RCPT, DATA, the message, QUIT.
 * The certificate is verified against CAFILE (default: the system store)
 * and NAME (default HOST); TLS 1.2 at least, OpenSSL's defaults otherwise.
 * Without -P each command waits for its reply, as tests/bin/smtpclient
 * does; with -P, MAIL, RCPT and DATA go in one write and the end of the
 * message with QUIT, as tests/bin/loadclient does.  -s pads the body with
 * about BYTES of 78-byte lines, written 65,520 bytes at a time.  -c runs
 * that many threads sharing one TLS context; -w bounds the whole run.
 * Prints "sent N of M" and exits 0 only if every message got its 250.
 * HOST is looked up (IPv4) for every session, as a program that is given
 * a host name does; it must be a loopback address.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define CHUNK_LINES	840		/* 840 * 78 = 65,520 bytes */

enum mode { M_STARTTLS, M_IMPLICIT, M_PLAIN };

static enum mode mode = M_STARTTLS;
static const char *host, *portstr = "25";
static const char *user, *pass, *cafile, *prefix = "tlsclient";
static char *vname;		/* not const: SSL_set_tlsext_host_name casts */
static long total = 1, size, next_msg, sent, failed;
static int pipelined;
static time_t stop_at;
static SSL_CTX *ctx;
static char *chunk;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct conn {
	int fd;
	SSL *ssl;
	size_t len;
	char buf[8192];
};

static int
c_write(struct conn *c, const char *s, size_t n)
{
	ssize_t w;
	int k;

	while (n > 0) {
		if (c->ssl != NULL) {
			k = SSL_write(c->ssl, s, n > 1 << 30 ? 1 << 30 : (int)n);
			if (k <= 0)
				return (-1);
			w = k;
		} else {
			w = send(c->fd, s, n, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return (-1);
		}
		s += w;
		n -= (size_t)w;
	}
	return (0);
}

static int
c_puts(struct conn *c, const char *s)
{

	return (c_write(c, s, strlen(s)));
}

/* One whole reply (multi-line ones too); its code, or -1. */
static int
reply(struct conn *c)
{
	char *nl, *line;
	size_t used;
	ssize_t r;
	int code, k;

	for (;;) {
		line = c->buf;
		while ((nl = memchr(line, '\n', c->len - (size_t)(line -
		    c->buf))) != NULL) {
			if (nl - line >= 3 && line[3] != '-') {
				code = atoi(line);
				used = (size_t)(nl + 1 - c->buf);
				memmove(c->buf, nl + 1, c->len - used);
				c->len -= used;
				return (code);
			}
			line = nl + 1;
		}
		if (c->len == sizeof(c->buf))
			return (-1);
		if (c->ssl != NULL) {
			k = SSL_read(c->ssl, c->buf + c->len,
			    (int)(sizeof(c->buf) - c->len));
			r = k > 0 ? k : -1;
		} else {
			r = read(c->fd, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (r < 0 && errno == EINTR)
				continue;
		}
		if (r <= 0)
			return (-1);
		c->len += (size_t)r;
	}
}

static int
cmd(struct conn *c, const char *line, int want)
{

	return (c_puts(c, line) == 0 && reply(c) == want ? 0 : -1);
}

static int
start_tls(struct conn *c)
{

	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, vname) != 1 ||
	    SSL_set1_host(c->ssl, vname) != 1)
		return (-1);
	if (SSL_connect(c->ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return (-1);
	}
	return (0);
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
		return (NULL);
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

static int
auth(struct conn *c)
{
	unsigned char cred[600];
	char line[900], *enc;
	size_t u = strlen(user), p = strlen(pass);
	int r;

	if (u + p + 2 > sizeof(cred))
		return (-1);
	cred[0] = '\0';
	memcpy(cred + 1, user, u);
	cred[u + 1] = '\0';
	memcpy(cred + u + 2, pass, p);
	if ((enc = b64(cred, u + p + 2)) == NULL)
		return (-1);
	(void)snprintf(line, sizeof(line), "AUTH PLAIN %s\r\n", enc);
	free(enc);
	r = cmd(c, line, 235);
	memset(line, 0, sizeof(line));
	return (r);
}

/* The message's body after the headers: padding, then the end. */
static int
body(struct conn *c)
{
	long lines = (size + 77) / 78, k;

	for (k = lines; k >= CHUNK_LINES; k -= CHUNK_LINES)
		if (c_write(c, chunk, CHUNK_LINES * 78) != 0)
			return (-1);
	if (k > 0 && c_write(c, chunk, (size_t)k * 78) != 0)
		return (-1);
	return (0);
}

/* HOST:PORT, which must be on loopback. */
static int
lookup(struct sockaddr_in *sin)
{
	struct addrinfo hints, *res;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		fprintf(stderr, "tlsclient: %s: %s\n", host, gai_strerror(e));
		return (-1);
	}
	memcpy(sin, res->ai_addr, sizeof(*sin));
	freeaddrinfo(res);
	if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "tlsclient: %s is not on loopback\n", host);
		return (-1);
	}
	return (0);
}

static int
one_message(long k)
{
	struct timeval tv = { 60, 0 };
	struct sockaddr_in dest;
	struct conn c;
	char msg[1024];
	int ok = 0;

	memset(&c, 0, sizeof(c));
	if (lookup(&dest) != 0)
		return (-1);
	if ((c.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return (-1);
	(void)setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c.fd, (struct sockaddr *)&dest, sizeof(dest)) != 0)
		goto out;
	if (mode == M_IMPLICIT && start_tls(&c) != 0)
		goto out;
	if (reply(&c) != 220 || cmd(&c, "EHLO client.test\r\n", 250) != 0)
		goto out;
	if (mode == M_STARTTLS) {
		if (cmd(&c, "STARTTLS\r\n", 220) != 0 || c.len != 0 ||
		    start_tls(&c) != 0 ||
		    cmd(&c, "EHLO client.test\r\n", 250) != 0)
			goto out;
	}
	if (user != NULL && auth(&c) != 0)
		goto out;
	if (pipelined) {
		if (c_puts(&c, "MAIL FROM:<alice@example.test>\r\n"
		    "RCPT TO:<bob@example.test>\r\nDATA\r\n") != 0 ||
		    reply(&c) != 250 || reply(&c) != 250 || reply(&c) != 354)
			goto out;
	} else if (cmd(&c, "MAIL FROM:<alice@example.test>\r\n", 250) != 0 ||
	    cmd(&c, "RCPT TO:<bob@example.test>\r\n", 250) != 0 ||
	    cmd(&c, "DATA\r\n", 354) != 0)
		goto out;
	(void)snprintf(msg, sizeof(msg), "From: <alice@example.test>\r\n"
	    "To: <bob@example.test>\r\nSubject: tlsclient %ld\r\n"
	    "Message-ID: <%s.%ld@bench.test>\r\n"
	    "\r\nA message from the submitify benchmark.\r\n"
	    "..a line that starts with a dot\r\n", k, prefix, k);
	if (size == 0)
		(void)strcat(msg, pipelined ? ".\r\nQUIT\r\n" : ".\r\n");
	if (c_puts(&c, msg) != 0)
		goto out;
	if (size > 0 && (body(&c) != 0 ||
	    c_puts(&c, pipelined ? ".\r\nQUIT\r\n" : ".\r\n") != 0))
		goto out;
	if (reply(&c) != 250)
		goto out;
	ok = 1;
	if (!pipelined)
		(void)c_puts(&c, "QUIT\r\n");
	(void)reply(&c);
out:
	if (c.ssl != NULL) {
		if (ok)
			(void)SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	(void)close(c.fd);
	return (ok ? 0 : -1);
}

static void *
worker(void *arg)
{
	long k;
	int r;

	(void)arg;
	for (;;) {
		if (time(NULL) >= stop_at)
			return (NULL);
		(void)pthread_mutex_lock(&lock);
		k = next_msg < total ? next_msg++ : -1;
		(void)pthread_mutex_unlock(&lock);
		if (k < 0)
			return (NULL);
		r = one_message(k);
		(void)pthread_mutex_lock(&lock);
		if (r == 0)
			sent++;
		else {
			failed++;
			fprintf(stderr, "tlsclient: message %ld failed\n", k);
		}
		(void)pthread_mutex_unlock(&lock);
	}
}

static void
usage(void)
{

	fprintf(stderr, "usage: tlsclient [-m starttls|implicit|plain] "
	    "[-p PORT] [-a USER:PASS] [-C CAFILE] [-N NAME] [-s BYTES] "
	    "[-c THREADS] [-n MESSAGES] [-P] [-w SECONDS] [-i PREFIX] HOST\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	pthread_t *t;
	char *colon;
	long threads = 1, secs = 600, i;
	int ch;

	while ((ch = getopt(argc, argv, "m:p:a:C:N:s:c:n:Pw:i:")) != -1) {
		switch (ch) {
		case 'm':
			if (strcmp(optarg, "starttls") == 0)
				mode = M_STARTTLS;
			else if (strcmp(optarg, "implicit") == 0)
				mode = M_IMPLICIT;
			else if (strcmp(optarg, "plain") == 0)
				mode = M_PLAIN;
			else
				usage();
			break;
		case 'p': portstr = optarg; break;
		case 'a':
			if ((colon = strchr(optarg, ':')) == NULL)
				usage();
			*colon = '\0';
			user = optarg;
			pass = colon + 1;
			break;
		case 'C': cafile = optarg; break;
		case 'N': vname = optarg; break;
		case 's': size = atol(optarg); break;
		case 'c': threads = atol(optarg); break;
		case 'n': total = atol(optarg); break;
		case 'P': pipelined = 1; break;
		case 'w': secs = atol(optarg); break;
		case 'i': prefix = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || threads < 1 || threads > 1000 || total < 1 ||
	    size < 0)
		usage();
	host = argv[optind];
	if (vname == NULL)
		vname = argv[optind];

	if (mode != M_PLAIN) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
		    (cafile != NULL ?
		    SSL_CTX_load_verify_locations(ctx, cafile, NULL) :
		    SSL_CTX_set_default_verify_paths(ctx)) != 1) {
			ERR_print_errors_fp(stderr);
			return (71);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	} else if (user != NULL) {
		fprintf(stderr, "tlsclient: no AUTH without TLS\n");
		return (64);
	}
	if ((chunk = malloc(CHUNK_LINES * 78)) == NULL)
		return (71);
	for (i = 0; i < CHUNK_LINES; i++) {
		memset(chunk + i * 78, 'x', 76);
		chunk[i * 78 + 76] = '\r';
		chunk[i * 78 + 77] = '\n';
	}

	stop_at = time(NULL) + secs;
	if (threads == 1)
		(void)worker(NULL);
	else {
		if ((t = calloc((size_t)threads, sizeof(*t))) == NULL)
			return (71);
		for (i = 0; i < threads; i++)
			if (pthread_create(&t[i], NULL, worker, NULL) != 0)
				return (71);
		for (i = 0; i < threads; i++)
			(void)pthread_join(t[i], NULL);
		free(t);
	}
	printf("sent %ld of %ld (%ld failed)\n", sent, total, failed);
	SSL_CTX_free(ctx);
	return (sent == total ? 0 : 1);
}
