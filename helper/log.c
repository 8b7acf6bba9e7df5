#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static char ident[64] = "submitify";
static const char *logpath;
static int use_sys, debug;

void
log_init(const char *prog, long pid)
{

	(void)snprintf(ident, sizeof(ident), "submitify[%s:%ld]",
	    prog != NULL ? prog : "?", pid);
}

void
log_configure(const char *logfile, int sys, int dbg)
{

	logpath = logfile;
	use_sys = sys;
	debug = dbg;
	if (use_sys)
		openlog("submitify", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

int
log_debugging(void)
{

	return (debug);
}

/* Append one line to the log file, opened for this line only. */
static void
to_file(const char *line)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	if (logpath == NULL)
		return;
	fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	(void)localtime_r(&now, &tm);
	(void)strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	(void)dprintf(fd, "%s %s: %s\n", ts, ident, line);
	(void)close(fd);
}

static void
to_stderr(const char *line)
{
	int saved = errno;

	(void)dprintf(2, "%s: %s\n", ident, line);
	errno = saved;
}

/* Format one line, escape what is not printable ASCII; emit it to syslog
 * at prio (unless -1), the log file, and stderr when asked. */
static void
emit(int prio, int err, const char *fmt, va_list ap)
{
	char raw[2048], line[4 * sizeof(raw)];
	int n;

	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		return;
	(void)esc_text(line, sizeof(line), raw, (size_t)n < sizeof(raw) ?
	    (size_t)n : sizeof(raw) - 1);
	if (use_sys && prio >= 0)
		syslog(prio, "%s %s", ident, line);
	to_file(line);
	if (err)
		to_stderr(line);
}

void
log_session(int failed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(failed ? LOG_ERR : LOG_INFO, failed || debug, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_WARNING, debug, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	emit(-1, 1, fmt, ap);
	va_end(ap);
}

void
log_debug_lines(const char *prefix, const char *text, size_t len)
{
	const char *nl;
	size_t n;

	if (!debug)
		return;
	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		log_debug("%s%.*s", prefix, (int)(n > 0 && text[n - 1] ==
		    '\r' ? n - 1 : n), text);
		if (nl == NULL)
			break;
		len -= n + 1;
		text += n + 1;
	}
}
