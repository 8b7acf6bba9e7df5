/*
 * log: one line per connection to syslog (LOG_MAIL) and/or a log file;
 * the host's stderr only for a failure, and only while it is still the
 * stderr the host started with (the shim hands the helper /dev/null as
 * fd 2 otherwise).  Never a secret, never message text.
 */
#ifndef SUBMITIFY_LOG_H
#define SUBMITIFY_LOG_H

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

#endif
