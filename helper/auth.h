/*
 * auth: SASL encodings for the mechanisms submitify speaks upstream.
 * Every string returned holds a secret: wipe_free() it.
 */
#ifndef SUBMITIFY_AUTH_H
#define SUBMITIFY_AUTH_H

#include <stddef.h>

/* Base64 (RFC 4648) of in; a new NUL-terminated string or NULL. */
char *b64_encode(const void *in, size_t n);

/*
 * Strict base64 decoding of in (n chars, no white space, '=' padding
 * required) into a new buffer with a NUL after the data.  Returns the
 * decoded length, or -1 on any junk.
 */
long b64_decode(const char *in, size_t n, unsigned char **out);

/* The AUTH PLAIN response (RFC 4616): base64("" NUL user NUL pass). */
char *auth_plain(const char *user, const char *pass);

/* XOAUTH2's initial response: base64("user=U^Aauth=Bearer T^A^A"). */
char *auth_xoauth2(const char *user, const char *token);

/* OAUTHBEARER's (RFC 7628): base64("n,a=U,^Aauth=Bearer T^A^A"). */
char *auth_oauthbearer(const char *user, const char *token);

#endif
