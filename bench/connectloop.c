/*
 * connectloop: time N connect() calls to a TCP port on loopback that is
 * not port 25, so that the shim (when preloaded) lets every call through.
 *
 *   connectloop [-n CALLS] [-p PORT] [-s]
 *
 * Without -p the port is one the kernel just handed out and that nobody
 * listens on: every call ends in ECONNREFUSED.  With -p and a listener the
 * calls succeed (each on a fresh socket).  The same socket is reused after
 * a refusal, so the loop is connect() and little else; -s opens and closes
 * a socket around every call instead.  Prints the calls, the wall time and
 * the CPU time of the loop; exits 1 if any call failed otherwise than
 * ECONNREFUSED.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static double
cpu(void)
{
	struct rusage ru;

	(void)getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
}

/* A loopback port that the kernel picked and that nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		port = -1;
	else
		port = ntohs(sin.sin_port);
	(void)close(fd);
	return (port);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst;
	long n = 100000, i, refused = 0, ok = 0, other = 0;
	double t0, t1, c0, c1;
	int ch, port = -1, fresh = 0, fd = -1, r;

	while ((ch = getopt(argc, argv, "n:p:s")) != -1) {
		switch (ch) {
		case 'n': n = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 's': fresh = 1; break;
		default:
			fprintf(stderr, "usage: connectloop [-n CALLS] "
			    "[-p PORT] [-s]\n");
			return (64);
		}
	}
	if (port < 0 && (port = closed_port()) < 0) {
		perror("connectloop: no free port");
		return (71);
	}
	if (n < 1 || port < 1 || port > 65535 || port == 25) {
		fprintf(stderr, "connectloop: bad count or port\n");
		return (64);
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((unsigned short)port);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	t0 = now();
	c0 = cpu();
	for (i = 0; i < n; i++) {
		if (fd < 0 && (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
			perror("connectloop: socket");
			return (71);
		}
		r = connect(fd, (struct sockaddr *)&dst, sizeof(dst));
		if (r == 0)
			ok++;
		else if (errno == ECONNREFUSED)
			refused++;
		else
			other++;
		/* A connected socket cannot connect again; a refused one can. */
		if (fresh || r == 0 || errno != ECONNREFUSED) {
			(void)close(fd);
			fd = -1;
		}
	}
	c1 = cpu();
	t1 = now();
	if (fd >= 0)
		(void)close(fd);
	printf("calls=%ld port=%d refused=%ld connected=%ld other=%ld "
	    "wall=%.6f cpu=%.6f\n", n, port, refused, ok, other, t1 - t0,
	    c1 - c0);
	return (other == 0 ? 0 : 1);
}
