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

/*
 * CRAM-MD5 (RFC 2195): base64(user SP hex(HMAC-MD5(pass, challenge))),
 * where challenge is the decoded server challenge.
 */
char *auth_cram_md5(const char *user, const char *pass,
    const unsigned char *chal, size_t clen);

/*
 * Can s go through SASLprep unchanged?  True for printable ASCII (and
 * space); submitify does not implement the full SASLprep profile and
 * refuses SCRAM for anything else rather than guess.
 */
int auth_sasl_ready(const char *s);

/* A SCRAM-SHA-256 client exchange (RFC 5802, RFC 7677). */
struct scram {
	char *first_bare;	/* "n=USER,r=CNONCE" */
	char *nonce;		/* the client nonce */
	unsigned char server_sig[32];
	int have_sig;
	const char *err;	/* why the last step failed */
	int server_error;	/* scram_verify: the server sent "e=" */
};

#define SCRAM_MIN_ITER	4096
#define SCRAM_MAX_ITER	1000000

/* The client-first message, base64.  nonce NULL: 24 random bytes. */
char *scram_first(struct scram *sc, const char *user, const char *nonce);

/*
 * Given the server-first message (base64, len chars), the client-final
 * message, base64; NULL with sc->err on junk, a nonce that does not extend
 * ours, or an iteration count outside SCRAM_MIN_ITER..SCRAM_MAX_ITER.
 */
char *scram_final(struct scram *sc, const char *pass, const char *b64,
    size_t len);

/* Check the server-final message (base64): 0 if its signature verifies. */
int scram_verify(struct scram *sc, const char *b64, size_t len);

/* Free and wipe the exchange state; the struct may be reused. */
void scram_free(struct scram *sc);

#endif
