/*
 * util: small helpers shared by the helper and the wrapper.
 */
#ifndef SUBMITIFY_UTIL_H
#define SUBMITIFY_UTIL_H

#include <stddef.h>
#include <stdio.h>

/* strdup() that returns NULL for NULL. */
char *xstrdup(const char *s);

/* Wipe a NUL-terminated secret and free it; NULL does nothing. */
void wipe_free(char *s);

/* Value of a hex digit, or -1. */
int hexval(int c);

/* Remove leading and trailing white space in place. */
void trim(char *s);

/*
 * The next token of the string at *sp, tokens being separated by runs of
 * the characters in seps (so none is empty, as with strtok_r(), but the
 * string is not written): points *tok at it, moves *sp past it and
 * returns its length; 0 when none is left.
 */
size_t split_next(const char **sp, const char *seps, const char **tok);

/*
 * Read fd to EOF into a new NUL-terminated buffer of at most max bytes.
 * Returns 0, or -1 with errno set: EFBIG as soon as more than max bytes
 * arrive (the rest is not read).  The buffer is wiped when freed on error.
 */
int read_all(int fd, char **out, size_t *len, size_t max);

/*
 * Text from a server, a program, a command or a certificate, made safe to
 * show on a terminal, in a log or in a reply line: copy len bytes of src to
 * dst (dstlen > 0 bytes, always NUL-terminated), writing every byte that is
 * not printable ASCII as an escape: \r, \n, \t, else \xHH (0x00-0x1f,
 * 0x7f, and every byte >= 0x80, so no C1 control such as 0x9b and no
 * partial UTF-8 sequence gets through).  A backslash is copied as is, so
 * escaping text twice changes nothing.  Output that does not fit is cut
 * before an escape, never inside one.  Returns the length written.
 */
size_t esc_text(char *dst, size_t dstlen, const void *src, size_t len);

/* Format one line, pass it through esc_text, write it and a newline to f
 * (a FILE *), and flush. */
void esc_line(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


/*
 * snprintf() for text its buffer was sized for: a cut one would be a bug,
 * so it abort()s instead.  Returns the length.
 */
size_t fmt_whole(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

#endif
