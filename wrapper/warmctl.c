/*
 * warmctl: talk to this uid's warm helpers.  The same checks as the shim's:
 * a private directory of ours, a socket of ours, a peer of our uid.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warm.h"
#include "warmctl.h"

#define ASK_MS		2000
#define GONE_MS		3000

/* Ask the warm helper at path; 0 with its answer in *r, or -1. */
static int
ask(const char *path, uint32_t kind, struct warm_reply *r)
{
	struct warm_hdr h;
	struct pollfd p;
	struct warm_place here;
	long pid;
	int s, rc = -1;

	if (warm_here(&here) != 0 || (s = warm_connect(path, &here, &pid)) < 0)
		return (-1);
	memset(&h, 0, sizeof(h));
	h.magic = WARM_MAGIC;
	h.version = WARM_VERSION;
	h.kind = kind;
	p.fd = s;
	p.events = POLLIN;
	if (send(s, &h, sizeof(h), MSG_NOSIGNAL) == (ssize_t)sizeof(h) &&
	    poll(&p, 1, ASK_MS) == 1 &&
	    recv(s, r, sizeof(*r), 0) == (ssize_t)sizeof(*r) &&
	    r->magic == WARM_MAGIC && r->version == WARM_VERSION &&
	    r->pid == pid)
		rc = 0;
	(void)close(s);
	return (rc);
}

static void
describe(FILE *f, const char *path, const struct warm_reply *r)
{

	fprintf(f, "warm helper pid %ld at %s: %lu sessions served, %lu "
	    "running, %lu TLS sessions kept, exits after %lu s idle\n",
	    (long)r->pid, path, (unsigned long)r->sessions,
	    (unsigned long)r->active, (unsigned long)r->cached,
	    (unsigned long)r->idle);
}

/* Wait until pid is gone, a bounded time. */
static void
await_exit(pid_t pid)
{
	int i;

	for (i = 0; i < GONE_MS / 20 && kill(pid, 0) == 0; i++)
		(void)usleep(20000);
}

int
warmctl_all(FILE *f, int stop)
{
	struct warm_reply r;
	struct dirent *d;
	char dir[WARM_PATH_MAX], path[WARM_PATH_MAX + 256];
	DIR *dp;
	int n = 0;

	if (warm_dir(dir, sizeof(dir), getenv("XDG_RUNTIME_DIR"),
	    getuid()) != 0)
		return (-1);
	if (warm_dir_ok(dir, getuid()) != 0) {
		if (errno == ENOENT)
			return (0);
		fprintf(f, "%s is not a private directory of this user's: "
		    "no warm helper is used\n", dir);
		return (-1);
	}
	if ((dp = opendir(dir)) == NULL)
		return (-1);
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, "warm-", 5) != 0 ||
		    strchr(d->d_name, '.') != NULL)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (ask(path, stop ? WARM_STOP : WARM_STATUS, &r) != 0)
			continue;
		n++;
		if (!stop) {
			describe(f, path, &r);
			continue;
		}
		await_exit((pid_t)r.pid);
		fprintf(f, "stopped warm helper pid %ld at %s\n", (long)r.pid,
		    path);
	}
	(void)closedir(dp);
	return (n);
}

void
warmctl_check(FILE *f, const char *helper_path)
{
	struct warm_reply r;
	const char *v = getenv("SUBMITIFY_WARM");
	struct warm_place here;
	char dir[WARM_PATH_MAX], path[WARM_PATH_MAX];

	fprintf(f, "session: cold, TLS not resumed (--check makes its own "
	    "connection)\n");
	if (v != NULL && strcmp(v, "0") == 0) {
		fprintf(f, "warm: off (SUBMITIFY_WARM=0)\n");
		return;
	}
	if (warm_here(&here) != 0 || warm_dir(dir, sizeof(dir),
	    getenv("XDG_RUNTIME_DIR"), getuid()) != 0 ||
	    warm_sock_path(path, sizeof(path), dir, helper_path, &here) != 0) {
		fprintf(f, "warm: unavailable (no place for its socket)\n");
		return;
	}
	if (warm_dir_ok(dir, getuid()) != 0 && errno != ENOENT)
		fprintf(f, "warm: refused: %s is not a private directory of "
		    "this user's; programs get cold helpers\n", dir);
	else if (ask(path, WARM_STATUS, &r) == 0) {
		fprintf(f, "warm: ");
		describe(f, path, &r);
	} else
		fprintf(f, "warm: not running; the next program's first "
		    "session starts it\n");
}
