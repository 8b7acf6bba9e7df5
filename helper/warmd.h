/*
 * warmd: the warm helper, one per uid and namespace pair (common/warm.h):
 * OpenSSL loaded and initialised once, TLS sessions kept for resumption,
 * each handed-off connection served by a process forked for it.
 *
 *   submitify-helper --warm-serve SOCKET --idle SECONDS
 *
 * It is started by a cold helper (warmd_start), never by the host, and
 * holds no descriptor of anyone's but its own.
 */
#ifndef SUBMITIFY_WARMD_H
#define SUBMITIFY_WARMD_H

#include <sys/types.h>

#define WARMD_OPT_SERVE	"--warm-serve"
#define WARMD_OPT_IDLE	"--idle"

/* An environment variable of the warm helper's own, only to make room for
 * its session processes' command lines. */
#define WARMD_ROOM_VAR	"SUBMITIFY_TITLE_ROOM="
#define WARMD_ROOM	320

/*
 * Start a warm helper at the socket path, detached: setsid, the init
 * process's child, fds 0-2 on /dev/null and none else.  Returns the pid
 * of the short-lived intermediate process to reap, or -1.
 */
pid_t warmd_start(const char *path, int idle_s);

/*
 * Serve at path until idle_s seconds pass without work; argv is main's,
 * for the session processes' command lines.  Returns the exit status.
 */
int warmd_main(const char *path, int idle_s, char **argv);

#endif
