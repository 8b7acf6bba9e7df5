/*
 * util: small helpers shared by the helper and the wrapper.
 */
#ifndef SUBMITIFY_UTIL_H
#define SUBMITIFY_UTIL_H

#include <stddef.h>

/* strdup() that returns NULL for NULL. */
char *xstrdup(const char *s);

/* Wipe a NUL-terminated secret and free it; NULL does nothing. */
void wipe_free(char *s);

/* Value of a hex digit, or -1. */
int hexval(int c);

/* Remove leading and trailing white space in place. */
void trim(char *s);

/*
 * Read fd to EOF into a new NUL-terminated buffer of at most max bytes.
 * Returns 0, or -1 with errno set (EFBIG when longer than max).  The
 * buffer is wiped when freed on error.
 */
int read_all(int fd, char **out, size_t *len, size_t max);

/* 0 if s is a valid intercept port list (as SUBMITIFY_PORTS), else -1. */
int check_ports(const char *s);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

#endif
