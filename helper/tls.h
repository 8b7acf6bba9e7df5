/*
 * tls: the TLS client.  The only file that includes OpenSSL's TLS API.
 * Non-blocking: every call that would block returns TLS_WANT_READ or
 * TLS_WANT_WRITE and the caller polls the socket for that.
 */
#ifndef SUBMITIFY_TLS_H
#define SUBMITIFY_TLS_H

#include <stddef.h>

#define TLS_ERR		(-1)
#define TLS_WANT_READ	(-2)
#define TLS_WANT_WRITE	(-3)

struct tls_opts {
	const char *host;		/* name (or address) to verify, SNI */
	const char *trust_file;		/* NULL: the system store */
	int certcheck;			/* 0: explicit opt-out, logged */
	const unsigned char *fingerprint; /* SHA-256 pin, or NULL */
	int legacy;			/* tls_legacy on */
};

struct tls;

/*
 * A TLS client's settings and trust store, not yet bound to a socket.
 * NULL with err set if the trust store cannot be loaded (a missing,
 * unreadable or empty tls_trust_file) or OpenSSL fails.
 */
struct tls *tls_prepare(const struct tls_opts *o, char *err, size_t errlen);

/*
 * Bind a prepared client to the connected socket fd (not owned), with SNI
 * and the name (or address) host to verify.  0, or -1 with err set.
 */
int tls_start(struct tls *t, int fd, const char *host, char *err,
    size_t errlen);

/*
 * Advance the handshake.  Returns 0 once it is done and the server is
 * trusted (chain and name, or the pinned fingerprint), TLS_WANT_*, or
 * TLS_ERR with a reason in err that names the cause.
 */
int tls_handshake(struct tls *t, char *err, size_t errlen);

/* Read up to n bytes: >0, 0 for a clean close_notify, TLS_WANT_*, TLS_ERR
 * (an EOF without close_notify is TLS_ERR: truncation). */
long tls_read(struct tls *t, void *buf, size_t n);

/* Write up to n bytes: >0, TLS_WANT_*, TLS_ERR. */
long tls_write(struct tls *t, const void *buf, size_t n);

/* Bytes decrypted and held inside the TLS layer. */
int tls_pending(const struct tls *t);

/* Send close_notify, best effort and without waiting. */
void tls_close(struct tls *t);

/* The reason for the last TLS_ERR. */
const char *tls_error(const struct tls *t);

/* "TLSv1.3" and the cipher suite of the session. */
const char *tls_version(const struct tls *t);
const char *tls_cipher(const struct tls *t);

/* Where the trusted CAs come from: "tls_trust_file F", "system store, ...". */
const char *tls_trust(const struct tls *t);

/*
 * The server certificate in words: subject, issuer, validity and the
 * SHA-256 fingerprint, one "label: value" per line, into buf.
 */
void tls_describe_peer(const struct tls *t, char *buf, size_t len);

/* Free t; tls_free(NULL) does nothing. */
void tls_free(struct tls *t);

/* "OpenSSL 3.0.x ..." */
const char *tls_library_version(void);

#endif
