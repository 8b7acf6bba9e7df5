/*
 * loadclient: one host process that sends many messages over new
 * connections, from many threads at once or one after another.
 *
 *   loadclient [-c THREADS] [-n MESSAGES] [-p PORT] [-i PREFIX] [-s BYTES]
 *              [-w SECONDS] [-P COUNT] [-e] HOST
 *
 * Message k carries Message-ID <PREFIX.k@load.test>.  -w bounds the whole
 * run.  -e (endurance) also compares the process's open descriptors and
 * resident memory after the first 100 messages with those at the end.
 * -P stops after COUNT messages, prints "paused after COUNT" and goes on
 * when a line arrives on standard input, so that a test can look at the
 * helpers in the middle of one long-lived program's run.
 * Prints "sent N of M" and exits 0 only if every message got its 250.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in dest;
static const char *prefix = "load";
static long total = 100, size;
static long next_msg, sent, failed;
static long fds100, rss100, pause_at = -1;
static int endurance;
static time_t stop_at;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return (n - 1);		/* the directory itself */
}

static long
rss_kb(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	long kb = -1;

	if (f == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "RssAnon:", 8) == 0)
			kb = atol(line + 8);
	(void)fclose(f);
	return (kb);
}

/* One connection's unread input: replies may arrive several at once. */
struct in {
	int fd;
	size_t len;
	char buf[8192];
};

/* Read one reply (consuming only its lines); return its code, or -1. */
static int
reply(struct in *in)
{
	char *nl, *line;
	size_t used;
	ssize_t r;
	int code;

	for (;;) {
		line = in->buf;
		while ((nl = memchr(line, '\n', in->len - (size_t)(line -
		    in->buf))) != NULL) {
			if (nl - line >= 3 && line[3] != '-') {
				code = atoi(line);
				used = (size_t)(nl + 1 - in->buf);
				memmove(in->buf, nl + 1, in->len - used);
				in->len -= used;
				return (code);
			}
			line = nl + 1;
		}
		if (in->len == sizeof(in->buf))
			return (-1);
		r = read(in->fd, in->buf + in->len, sizeof(in->buf) - in->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		in->len += (size_t)r;
	}
}

static int
send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return (-1);
		s += w;
		n -= (size_t)w;
	}
	return (0);
}

static int
one_message(long k)
{
	char msg[1024], pad[80];
	struct timeval tv = { 60, 0 };
	struct in in;
	long done;
	int fd, ok = 0, n;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return (-1);
	in.fd = fd;
	in.len = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&dest, sizeof(dest)) != 0)
		goto out;
	if (reply(&in) != 220)
		goto out;
	n = snprintf(msg, sizeof(msg), "EHLO load.test\r\n");
	if (send_all(fd, msg, (size_t)n) || reply(&in) != 250)
		goto out;
	n = snprintf(msg, sizeof(msg), "MAIL FROM:<alice@example.test>\r\n"
	    "RCPT TO:<bob@example.test>\r\nDATA\r\n");
	if (send_all(fd, msg, (size_t)n) || reply(&in) != 250 ||
	    reply(&in) != 250 ||
	    reply(&in) != 354)
		goto out;
	n = snprintf(msg, sizeof(msg), "From: <alice@example.test>\r\n"
	    "To: <bob@example.test>\r\nSubject: load %ld\r\n"
	    "Message-ID: <%s.%ld@load.test>\r\n\r\nload test message\r\n",
	    k, prefix, k);
	if (size == 0) {
		/* The message, its end and QUIT in one write. */
		(void)strcat(msg, ".\r\nQUIT\r\n");
		n += 9;
	}
	if (send_all(fd, msg, (size_t)n))
		goto out;
	memset(pad, 'y', 76);
	pad[76] = '\r';
	pad[77] = '\n';
	for (done = 0; done < size; done += 78)
		if (send_all(fd, pad, 78))
			goto out;
	if ((size > 0 && send_all(fd, ".\r\nQUIT\r\n", 9)) ||
	    reply(&in) != 250)
		goto out;
	ok = 1;
	(void)reply(&in);
out:
	(void)close(fd);
	return (ok ? 0 : -1);
}

/*
 * Say where we are and wait for a line (or EOF) on standard input.  No
 * stdio: its buffers would count in -e's memory comparison.
 */
static void
pause_here(void)
{
	char msg[64], c;
	ssize_t r;
	int n;

	n = snprintf(msg, sizeof(msg), "paused after %ld\n", pause_at);
	/* One short write: a file or a pipe takes it whole. */
	if (write(1, msg, (size_t)n) != n)
		return;
	while ((r = read(0, &c, 1)) != 0 && (r > 0 ? c != '\n' :
	    errno == EINTR))
		;
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
			fprintf(stderr, "loadclient: message %ld failed\n", k);
		}
		if (endurance && sent + failed == 100) {
			fds100 = count_fds();
			rss100 = rss_kb();
		}
		/* Under the lock: the other threads stop at their next
		 * message, none in the middle of one. */
		if (sent + failed == pause_at)
			pause_here();
		(void)pthread_mutex_unlock(&lock);
	}
}

int
main(int argc, char **argv)
{
	pthread_t *t;
	long threads = 1, secs = 600, i, fds, rss;
	int ch, port = 25, rc = 0;

	while ((ch = getopt(argc, argv, "c:n:p:i:s:w:P:e")) != -1) {
		switch (ch) {
		case 'c': threads = atol(optarg); break;
		case 'n': total = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'i': prefix = optarg; break;
		case 's': size = atol(optarg); break;
		case 'w': secs = atol(optarg); break;
		case 'P': pause_at = atol(optarg); break;
		case 'e': endurance = 1; break;
		default: return (64);
		}
	}
	if (optind + 1 != argc || threads < 1 || threads > 1000)
		return (64);
	memset(&dest, 0, sizeof(dest));
	dest.sin_family = AF_INET;
	dest.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, argv[optind], &dest.sin_addr) != 1)
		return (64);
	stop_at = time(NULL) + secs;
	/* Warm up what the measurement itself allocates, in this thread. */
	(void)count_fds();
	(void)rss_kb();
	if ((t = calloc((size_t)threads, sizeof(*t))) == NULL)
		return (71);
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0)
			return (71);
	for (i = 0; i < threads; i++)
		(void)pthread_join(t[i], NULL);
	/* Measured before stdio allocates its buffer. */
	fds = count_fds();
	rss = rss_kb();
	printf("sent %ld of %ld (%ld failed)\n", sent, total, failed);
	if (sent != total)
		rc = 1;
	if (endurance) {
		printf("after 100: %ld fds, %ld kB anonymous resident; at the end: %ld "
		    "fds, %ld kB anonymous resident\n", fds100, rss100, fds, rss);
		/* The same descriptors; memory within one page of noise. */
		if (fds != fds100 || rss > rss100 + 4)
			rc = 1;
	}
	free(t);
	return (rc);
}
