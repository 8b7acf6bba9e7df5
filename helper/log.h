/*
 * log: one line per connection to syslog (LOG_MAIL) and/or a log file;
 * the host's stderr only for a failure, and only while it is still the
 * stderr the host started with (the shim hands the helper /dev/null as
 * fd 2 otherwise).  Never a secret, never message text.  Every line is
 * passed through esc_text (util.h) on its way out, so text a server or a
 * program chose cannot carry a control character to a terminal or a log.
 */
#ifndef SUBMITIFY_LOG_H
#define SUBMITIFY_LOG_H

#include <stddef.h>

/* Name the source of the lines: the program and its pid. */
void log_init(const char *prog, long pid);

/* Where lines go: logfile (may be NULL), syslog on/off, debug on/off. */
void log_configure(const char *logfile, int use_syslog, int debug);

/* Is the debug transcript on? */
int log_debugging(void);

/* The one summary line of a connection; to stderr too when failed. */
void log_session(int failed, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A warning (a risky setting in use, say): everywhere but stderr. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A debug transcript line, to stderr and the log file, when debugging. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debug lines for text of len bytes that may hold several lines (a
 * multi-line reply): one line each, split at LF (a CR before it dropped),
 * each after prefix.  Nothing unless debugging. */
void log_debug_lines(const char *prefix, const char *text, size_t len);

#endif
