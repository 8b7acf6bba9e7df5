/*
 * tls: the TLS client.  The only file that includes OpenSSL's TLS API.
 * Its names carry the prefix tlsc_ (TLSC_), not tls_: those are libtls's.
 * Non-blocking: every call that would block returns TLSC_WANT_READ or
 * TLSC_WANT_WRITE and the caller polls the socket for that.
 */
#ifndef SUBMITIFY_TLS_H
#define SUBMITIFY_TLS_H

#include <stddef.h>

#define TLSC_ERR		(-1)
#define TLSC_WANT_READ	(-2)
#define TLSC_WANT_WRITE	(-3)

struct tlsc_opts {
	const char *host;		/* name (or address) to verify, SNI */
	const char *trust_file;		/* NULL: the system store; "": none */
	int certcheck;			/* 0: explicit opt-out, logged */
	const unsigned char *fingerprint; /* SHA-256 pin, or NULL */
	int legacy;			/* tls_legacy on */
	const char *cert_file;		/* client certificate (PEM), or NULL */
	const char *key_file;		/* its key's file, for messages */
	const char *key_pem;		/* the key itself, key_len bytes: the
					   caller read it and wipes it */
	size_t key_len;
	const char *crl_file;		/* PEM CRLs checked against the
					   server's certificate, or NULL */
	int tls12, tls13;		/* versions allowed (at least one) */
	int pfs;			/* no RSA or PSK key exchange */
	int bits256;			/* ciphers of 256-bit keys only */
	int no_tickets;			/* ask for no session tickets */
	int min_dh_bits;		/* smallest finite-field DH prime the
					   server may use; 0: OpenSSL's own */
};

struct tlsc;

/* The largest session, in DER, a warm helper keeps. */
#define TLSC_SESSION_MAX	16384

/*
 * A warm helper (warmd.c): tlsc_warm_init() loads OpenSSL once before any
 * session.  A session process calls tlsc_warm_set() with the session to
 * offer for resumption (der, len; NULL for none), the pipe fd to report
 * new sessions on (-1 for none) and the client the warm helper prepared
 * for the account with tlsc_prepare() (NULL for none: the next
 * tlsc_prepare() then takes it instead of building one), and
 * tlsc_warm_end() once the server is set up: after that nothing is
 * reported.
 */
void tlsc_warm_init(void);
void tlsc_warm_set(const unsigned char *der, size_t len, int fd,
    struct tlsc *prepared);
void tlsc_warm_end(void);

/* The system store's file and directory, as OpenSSL will look them up. */
void tlsc_default_store(char *file, size_t flen, char *dir, size_t dlen);

/*
 * A TLS client's settings and trust store, not yet bound to a socket.
 * NULL with err set if the trust store cannot be loaded (a missing,
 * unreadable or empty tls_trust_file), the client certificate, its key or
 * the CRL cannot (err names the file), or OpenSSL fails.
 */
struct tlsc *tlsc_prepare(const struct tlsc_opts *o, char *err, size_t errlen);

/*
 * Bind a prepared client to the connected socket fd (not owned), with SNI
 * and the name (or address) host to verify.  0, or -1 with err set.
 */
int tlsc_start(struct tlsc *t, int fd, const char *host, char *err,
    size_t errlen);

/*
 * Advance the handshake.  Returns 0 once it is done and the server is
 * trusted (chain and name, or the pinned fingerprint; not revoked by the
 * CRL; a DH prime of min_dh_bits or more), TLS_WANT_*, or
 * TLSC_ERR with a reason in err that names the cause.
 */
int tlsc_handshake(struct tlsc *t, char *err, size_t errlen);

/* Read up to n bytes: >0, 0 for a clean close_notify, TLS_WANT_*, TLSC_ERR
 * (an EOF without close_notify is TLSC_ERR: truncation). */
long tlsc_read(struct tlsc *t, void *buf, size_t n);

/* Write up to n bytes: >0, TLS_WANT_*, TLSC_ERR. */
long tlsc_write(struct tlsc *t, const void *buf, size_t n);

/* Bytes decrypted and held inside the TLS layer. */
int tlsc_pending(const struct tlsc *t);

/* Send close_notify, best effort and without waiting. */
void tlsc_close(struct tlsc *t);

/* The reason for the last TLSC_ERR. */
const char *tlsc_error(const struct tlsc *t);

/* "TLSv1.3" and the cipher suite of the session. */
const char *tlsc_version(const struct tlsc *t);

/* Was the session resumed (no certificate exchanged this time)? */
int tlsc_resumed(const struct tlsc *t);
const char *tlsc_cipher(const struct tlsc *t);

/* Where the trusted CAs come from: "tls_trust_file F", "system store, ...". */
const char *tlsc_trust(const struct tlsc *t);

/*
 * The server certificate in words: subject, issuer, validity and the
 * SHA-256 fingerprint, one "label: value" per line, into buf.
 */
void tlsc_describe_peer(const struct tlsc *t, char *buf, size_t len);

/*
 * The subject of the client certificate if the handshake sent it (the
 * server asked for one), into buf; 0, or -1 when none was sent.
 */
int tlsc_client_cert(const struct tlsc *t, char *buf, size_t len);

/* Free t; tlsc_free(NULL) does nothing. */
void tlsc_free(struct tlsc *t);

/* "OpenSSL 3.0.x ..." */
const char *tlsc_library_version(void);

#endif
