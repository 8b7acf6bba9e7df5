/*
 * crypto: the hash primitives the SASL mechanisms need, over OpenSSL's
 * libcrypto.  Return 0 on success, -1 on failure.
 */
#ifndef SUBMITIFY_CRYPTO_H
#define SUBMITIFY_CRYPTO_H

#include <stddef.h>

/* HMAC-MD5 (16 bytes out) and HMAC-SHA-256 (32 bytes out). */
int crypto_hmac_md5(const void *key, size_t klen, const void *msg,
    size_t mlen, unsigned char out[16]);
int crypto_hmac_sha256(const void *key, size_t klen, const void *msg,
    size_t mlen, unsigned char out[32]);

/* SHA-256 of msg. */
int crypto_sha256(const void *msg, size_t mlen, unsigned char out[32]);

/* PBKDF2-HMAC-SHA-256 with iter iterations, 32 bytes out. */
int crypto_pbkdf2_sha256(const char *pass, size_t plen,
    const unsigned char *salt, size_t slen, unsigned iter,
    unsigned char out[32]);

/* n random bytes from the system's generator. */
int crypto_random(void *buf, size_t n);

/*
 * Base64 (RFC 4648) with libcrypto's block coder, for at most
 * CRYPTO_B64_MAX bytes or chars.  crypto_b64_encode() writes the text of
 * in (n bytes), NUL-terminated, to out, which holds (n + 2) / 3 * 4 + 1.
 * crypto_b64_decode() decodes n chars into out, which holds n / 4 * 3
 * bytes; it returns the bytes written, a zero byte for each '=' included,
 * or -1.  Its check of the input is lenient (white space, padding): the
 * caller checks it first (b64_decode in auth.c).
 */
#define CRYPTO_B64_MAX	(1L << 28)
void crypto_b64_encode(char *out, const void *in, size_t n);
long crypto_b64_decode(unsigned char *out, const char *in, size_t n);

/* Constant-time comparison: 0 if equal. */
int crypto_memcmp(const void *a, const void *b, size_t n);

/* Wipe n bytes. */
void crypto_wipe(void *p, size_t n);

#endif
