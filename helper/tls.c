#define _GNU_SOURCE	/* secure_getenv */

#include <arpa/inet.h>

#include <ctype.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "weaken.h"

/*
 * A warm helper's session (warmd.c): the TLS session to offer for
 * resumption, and the pipe that carries new ones back until
 * tlsc_warm_end().
 */
static SSL_SESSION *resume;
static int report_fd = -1;
static struct tlsc *ready;	/* prepared by the warm helper, or NULL */
static SSL_SESSION *pending;	/* a new session before the checks passed */
static int checked;		/* the handshake passed every check */

static int report_session(SSL *, SSL_SESSION *);

struct tlsc {
	SSL_CTX *ctx;
	SSL *ssl;
	int certcheck;
	int pinned;
	unsigned char fp[32];
	X509 *leaf;		/* the server's certificate, even if refused */
	int min_dh_bits;	/* tls_min_dh_prime_bits, or 0 */
	int sent_cert;		/* the handshake sent our certificate */
	char err[256];
	char trust[320];	/* where trusted CAs come from, for --check */
};

/* Keep the server's own certificate so that a refusal can show it. */
static int
keep_leaf(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tlsc *t = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(xs);

	if (t != NULL && t->leaf == NULL && cert != NULL &&
	    X509_STORE_CTX_get_error_depth(xs) == 0 && X509_up_ref(cert) == 1)
		t->leaf = cert;
	return (ok);
}

/* OpenSSL's queued error, as text, or what. */
static void
ssl_reason(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char s[200];

	if (e == 0) {
		(void)snprintf(buf, len, "%s", what);
		return;
	}
	ERR_error_string_n(e, s, sizeof(s));
	/* A file that could not be opened comes first in the queue: the
	 * system's word for why says more than the "system lib" after it. */
	if (ERR_SYSTEM_ERROR(ERR_peek_error())) {
		(void)snprintf(buf, len, "%s (%s)", what,
		    strerror(ERR_GET_REASON(ERR_peek_error())));
		ERR_clear_error();
		return;
	}
	(void)snprintf(buf, len, "%s (%s)", what,
	    ERR_reason_error_string(e) != NULL ?
	    ERR_reason_error_string(e) : s);
	ERR_clear_error();
}

/* Words that mean tls_legacy on would help. */
static int
legacy_hint(const char *reason)
{
	static const char *const words[] = {
		"legacy renegotiation", "too small", "md too weak",
		"key too small", "dh key", NULL
	};
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strstr(reason, words[i]) != NULL)
			return (1);
	return (0);
}

/* Does dir hold OpenSSL's subject-hash links ("5ad8a5d6.0")? */
static int
has_hash_links(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int i, found = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while (!found && (e = readdir(d)) != NULL) {
		for (i = 0; i < 8 && isxdigit((unsigned char)e->d_name[i]); i++)
			;
		found = i == 8 && e->d_name[8] == '.' &&
		    isdigit((unsigned char)e->d_name[9]) &&
		    e->d_name[10] == '\0';
	}
	(void)closedir(d);
	return (found);
}

/*
 * The system store.  OpenSSL's default paths are a bundle file and a
 * directory of hash links, and the file is parsed whole into every new
 * context: Debian's 140 CAs cost 35-60 ms of CPU, most of a session.  The
 * directory is read one certificate at a time, only the issuers a chain
 * needs, and on Debian it holds every CA of the bundle
 * (update-ca-certificates writes both).  So when neither SSL_CERT_FILE nor
 * SSL_CERT_DIR is set and the default directory holds hash links, the
 * directory alone is used: the same CAs, read lazily.  Otherwise the
 * default paths, exactly as OpenSSL reads them.  The helper of a setuid
 * program has no environment, and secure_getenv() covers any other
 * process running with privileges it was not started with.
 */
static int
load_system_store(struct tlsc *t)
{
	const char *file, *dir, *ddir = X509_get_default_cert_dir();

	file = secure_getenv(X509_get_default_cert_file_env());
	dir = secure_getenv(X509_get_default_cert_dir_env());
	if (file == NULL && dir == NULL && has_hash_links(ddir)) {
		(void)snprintf(t->trust, sizeof(t->trust), "system store, "
		    "directory %s", ddir);
		return (SSL_CTX_load_verify_dir(t->ctx, ddir));
	}
	(void)snprintf(t->trust, sizeof(t->trust), "system store, file %s "
	    "and directory %s", file != NULL ? file :
	    X509_get_default_cert_file(), dir != NULL ? dir : ddir);
	return (SSL_CTX_set_default_verify_paths(t->ctx));
}

/* A key's passphrase is never asked for: say it was asked. */
static int
no_passphrase(char *buf, int size, int rw, void *asked)
{

	(void)buf;
	(void)size;
	(void)rw;
	*(int *)asked = 1;
	return (-1);
}

/* err = what (OpenSSL's reason): file; returns -1. */
static int
file_reason(char *err, size_t errlen, const char *what, const char *file)
{
	size_t n;

	ssl_reason(err, errlen, what);
	n = strlen(err);
	(void)snprintf(err + n, errlen - n, ": %s", file);
	return (-1);
}

/*
 * The client certificate (with any chain behind it in the file) and its
 * key, from the bytes the caller read; the key must be the certificate's.
 */
static int
load_client_cert(struct tlsc *t, const struct tlsc_opts *o, char *err,
    size_t errlen)
{
	EVP_PKEY *key = NULL;
	BIO *b;
	int asked = 0, rc;

	if (SSL_CTX_use_certificate_chain_file(t->ctx, o->cert_file) != 1)
		return (file_reason(err, errlen, "cannot load tls_cert_file",
		    o->cert_file));
	if (o->key_len > INT32_MAX ||
	    (b = BIO_new_mem_buf(o->key_pem, (int)o->key_len)) == NULL)
		return (file_reason(err, errlen, "cannot load tls_key_file",
		    o->key_file));
	key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, &asked);
	BIO_free(b);
	if (key == NULL && asked) {
		ERR_clear_error();
		(void)snprintf(err, errlen, "tls_key_file %s: the key is "
		    "encrypted; submitify reads unencrypted keys only",
		    o->key_file);
		return (-1);
	}
	if (key == NULL)
		return (file_reason(err, errlen, "cannot load tls_key_file",
		    o->key_file));
	rc = SSL_CTX_use_PrivateKey(t->ctx, key);
	EVP_PKEY_free(key);
	if (rc != 1 || SSL_CTX_check_private_key(t->ctx) != 1) {
		ERR_clear_error();
		(void)snprintf(err, errlen, "tls_key_file %s: not the key of "
		    "tls_cert_file %s", o->key_file, o->cert_file);
		return (-1);
	}
	return (0);
}

/*
 * CRLs for the server's certificate.  OpenSSL then wants the CRL of the
 * certificate's issuer and fails without one; the CAs above it are not
 * checked (X509_V_FLAG_CRL_CHECK_ALL would want a CRL of every CA in the
 * chain, which GnuTLS, msmtp's library, never asks for).
 */
static int
load_crl(struct tlsc *t, const char *file, char *err, size_t errlen)
{
	X509_STORE *st = SSL_CTX_get_cert_store(t->ctx);
	X509_LOOKUP *lu;

	if ((lu = X509_STORE_add_lookup(st, X509_LOOKUP_file())) == NULL ||
	    X509_load_crl_file(lu, file, X509_FILETYPE_PEM) < 1)
		return (file_reason(err, errlen, "cannot load tls_crl_file",
		    file));
	if (X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK) != 1)
		return (file_reason(err, errlen, "cannot use tls_crl_file",
		    file));
	return (0);
}

/* Notice our Certificate message going out: the server asked for it. */
static void
watch_cert(int write_p, int version, int type, const void *buf, size_t len,
    SSL *ssl, void *arg)
{
	struct tlsc *t = SSL_get_app_data(ssl);

	(void)version;
	(void)arg;
	if (t != NULL && write_p && type == SSL3_RT_HANDSHAKE && len > 0 &&
	    ((const unsigned char *)buf)[0] == SSL3_MT_CERTIFICATE)
		t->sent_cert = 1;
}

/*
 * tls_priorities, as conf.c understood it: only ever narrower than the
 * defaults (TLS 1.2 and 1.3, OpenSSL's DEFAULT ciphers).
 */
static int
set_priorities(struct tlsc *t, const struct tlsc_opts *o)
{
	char list[128];

	if (!o->tls12 && !SSL_CTX_set_min_proto_version(t->ctx,
	    TLS1_3_VERSION))
		return (-1);
	if (!o->tls13 && !SSL_CTX_set_max_proto_version(t->ctx,
	    TLS1_2_VERSION))
		return (-1);
	if (o->pfs || o->bits256) {
		(void)snprintf(list, sizeof(list), "DEFAULT%s%s", o->pfs ?
		    ":!kRSA:!PSK:!SRP" : "", o->bits256 ?
		    ":!AES128:!CAMELLIA128:!ARIA128:!SEED" : "");
		if (SSL_CTX_set_cipher_list(t->ctx, list) != 1)
			return (-1);
	}
	if (o->bits256 && SSL_CTX_set_ciphersuites(t->ctx,
	    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1)
		return (-1);
	if (o->no_tickets)
		SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET);
	return (0);
}

/* Send sess to the warm helper: a 4-byte length and the DER, one write. */
static void
send_session(SSL_SESSION *sess)
{
	unsigned char *buf, *p;
	uint32_t n;
	int len;

	if (report_fd < 0 || !SSL_SESSION_is_resumable(sess))
		return;
	len = i2d_SSL_SESSION(sess, NULL);
	if (len <= 0 || len > TLSC_SESSION_MAX ||
	    (buf = malloc((size_t)len + 4)) == NULL)
		return;
	n = (uint32_t)len;
	memcpy(buf, &n, 4);
	p = buf + 4;
	/* A pipe that cannot take it loses the ticket, nothing else. */
	if (i2d_SSL_SESSION(sess, &p) == len &&
	    write(report_fd, buf, (size_t)len + 4) != (ssize_t)len + 4)
		tlsc_warm_end();
	OPENSSL_cleanse(buf, (size_t)len + 4);
	free(buf);
}

/*
 * A new session from the server.  In TLS 1.2 it comes inside the
 * handshake, before the pin and the Diffie-Hellman prime are checked: it
 * is held until they pass (a refused handshake keeps nothing to resume).
 * Returns 0: OpenSSL keeps it.
 */
static int
report_session(SSL *ssl, SSL_SESSION *sess)
{

	(void)ssl;
	if (report_fd < 0)
		return (0);
	if (checked) {
		send_session(sess);
		return (0);
	}
	if (SSL_SESSION_up_ref(sess) == 1) {
		SSL_SESSION_free(pending);
		pending = sess;
	}
	return (0);
}

void
tlsc_warm_init(void)
{
	SSL_CTX *ctx;

	/* Load the library's algorithms once, here, not in each session. */
	(void)OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
	if ((ctx = SSL_CTX_new(TLS_client_method())) != NULL)
		SSL_CTX_free(ctx);
}

void
tlsc_warm_set(const unsigned char *der, size_t len, int fd,
    struct tlsc *prepared)
{
	const unsigned char *p = der;

	report_fd = fd;
	ready = prepared;
	if (der != NULL && len > 0 && len <= TLSC_SESSION_MAX)
		resume = d2i_SSL_SESSION(NULL, &p, (long)len);
}

void
tlsc_warm_end(void)
{

	SSL_SESSION_free(pending);
	pending = NULL;
	if (report_fd >= 0)
		(void)close(report_fd);
	report_fd = -1;
}

int
tlsc_resumed(const struct tlsc *t)
{

	return (t->ssl != NULL && SSL_session_reused(t->ssl));
}

void
tlsc_default_store(char *file, size_t flen, char *dir, size_t dlen)
{
	const char *f, *d;

	f = secure_getenv(X509_get_default_cert_file_env());
	d = secure_getenv(X509_get_default_cert_dir_env());
	(void)snprintf(file, flen, "%s", f != NULL ? f :
	    X509_get_default_cert_file());
	(void)snprintf(dir, dlen, "%s", d != NULL ? d :
	    X509_get_default_cert_dir());
}

struct tlsc *
tlsc_prepare(const struct tlsc_opts *o, char *err, size_t errlen)
{
	struct tlsc *t;

	/*
	 * The warm helper prepared this account's client before the fork
	 * (same settings, same files: they are in its key); this process
	 * has its own copy, used once.
	 */
	if ((t = ready) != NULL && o->cert_file == NULL) {
		ready = NULL;
		if (report_fd >= 0) {
			SSL_CTX_set_session_cache_mode(t->ctx,
			    SSL_SESS_CACHE_CLIENT |
			    SSL_SESS_CACHE_NO_INTERNAL_STORE);
			SSL_CTX_sess_set_new_cb(t->ctx, report_session);
		}
		return (t);
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto ossl;
	if (!SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION))
		goto ossl;
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (set_priorities(t, o) != 0)
		goto ossl;
	if (o->legacy) {
		SSL_CTX_set_options(t->ctx, SSL_OP_LEGACY_SERVER_CONNECT);
		SSL_CTX_set_security_level(t->ctx, 0);
	}
	t->min_dh_bits = o->min_dh_bits;
	SSL_CTX_set_msg_callback(t->ctx, watch_cert);
	if (report_fd >= 0) {
		SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(t->ctx, report_session);
	}
	t->certcheck = o->certcheck;
	if (o->fingerprint != NULL) {
		t->pinned = 1;
		memcpy(t->fp, o->fingerprint, 32);
	}
	if (o->trust_file != NULL && *o->trust_file == '\0')
		(void)snprintf(t->trust, sizeof(t->trust), "no CA "
		    "(tls_trust_file is empty)");
	else if (o->trust_file != NULL) {
		(void)snprintf(t->trust, sizeof(t->trust), "tls_trust_file %s",
		    o->trust_file);
		if (SSL_CTX_load_verify_locations(t->ctx, o->trust_file,
		    NULL) != 1) {
			ssl_reason(err, errlen, "cannot load tls_trust_file");
			(void)snprintf(err + strlen(err), errlen - strlen(err),
			    ": %s", o->trust_file);
			goto fail;
		}
	} else if (load_system_store(t) != 1)
		goto ossl;
	if (o->crl_file != NULL && load_crl(t, o->crl_file, err, errlen) != 0)
		goto fail;
	if (o->cert_file != NULL && load_client_cert(t, o, err, errlen) != 0)
		goto fail;
	/* A pin replaces the chain check; certcheck off disables it. */
	SSL_CTX_set_verify(t->ctx, t->pinned || !t->certcheck ||
	    WEAKEN_NO_VERIFY ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, keep_leaf);
	return (t);
ossl:
	ssl_reason(err, errlen, "TLS setup failed");
fail:
	tlsc_free(t);
	return (NULL);
}

int
tlsc_start(struct tlsc *t, int fd, const char *host, char *err, size_t errlen)
{
	struct in6_addr a6;
	int ip;

	if ((t->ssl = SSL_new(t->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1)
		goto ossl;
	SSL_set_app_data(t->ssl, t);
	/* Offered once: a session that fails is not offered again. */
	if (resume != NULL) {
		(void)SSL_set_session(t->ssl, resume);
		SSL_SESSION_free(resume);
		resume = NULL;
	}
	ip = inet_pton(AF_INET6, host, &a6) == 1 ||
	    inet_pton(AF_INET, host, &a6) == 1;
	if (!ip && SSL_set_tlsext_host_name(t->ssl, host) != 1)
		goto ossl;
	if (ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    host) != 1)
			goto ossl;
	} else if (SSL_set1_host(t->ssl, host) != 1)
		goto ossl;
	SSL_set_connect_state(t->ssl);
	return (0);
ossl:
	ssl_reason(err, errlen, "TLS setup failed");
	return (-1);
}

static int
check_pin(struct tlsc *t, char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *cert;
	int ok;

	if ((cert = SSL_get1_peer_certificate(t->ssl)) == NULL) {
		(void)snprintf(err, errlen, "the server sent no certificate");
		return (-1);
	}
	ok = X509_digest(cert, EVP_sha256(), md, &mdlen) == 1 &&
	    mdlen == 32 && CRYPTO_memcmp(md, t->fp, 32) == 0;
	X509_free(cert);
	if (!ok) {
		(void)snprintf(err, errlen, "TLS certificate fingerprint does "
		    "not match tls_fingerprint");
		return (-1);
	}
	return (0);
}

/*
 * tls_min_dh_prime_bits: the prime of a finite-field DH key exchange
 * (DHE in TLS 1.2, an FFDHE group in 1.3) has at least that many bits.
 * An elliptic-curve exchange has none and passes.
 */
static int
check_dh(struct tlsc *t, char *err, size_t errlen)
{
	EVP_PKEY *k = NULL;
	int bits, dh;

	if (t->min_dh_bits <= 0 || SSL_get_peer_tmp_key(t->ssl, &k) != 1)
		return (0);
	dh = EVP_PKEY_is_a(k, "DH") || EVP_PKEY_is_a(k, "DHX");
	bits = EVP_PKEY_get_bits(k);
	EVP_PKEY_free(k);
	if (dh && bits < t->min_dh_bits) {
		(void)snprintf(err, errlen, "TLS: the server's Diffie-Hellman "
		    "prime has %d bits, fewer than tls_min_dh_prime_bits %d",
		    bits, t->min_dh_bits);
		return (-1);
	}
	return (0);
}

int
tlsc_handshake(struct tlsc *t, char *err, size_t errlen)
{
	SSL_SESSION *held;
	char why[200];
	long v;
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		if (t->pinned && check_pin(t, err, errlen) != 0)
			return (TLSC_ERR);
		if (check_dh(t, err, errlen) != 0)
			return (TLSC_ERR);
		/* Now a session of this server may be kept for later. */
		checked = 1;
		if ((held = pending) != NULL) {
			pending = NULL;
			send_session(held);
			SSL_SESSION_free(held);
		}
		return (0);
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return (TLSC_WANT_READ);
	if (e == SSL_ERROR_WANT_WRITE)
		return (TLSC_WANT_WRITE);
	v = SSL_get_verify_result(t->ssl);
	if (v != X509_V_OK && t->certcheck && !t->pinned) {
		(void)snprintf(err, errlen, "TLS certificate not trusted: %s%s",
		    X509_verify_cert_error_string(v),
		    v == X509_V_ERR_EE_KEY_TOO_SMALL ||
		    v == X509_V_ERR_CA_KEY_TOO_SMALL ||
		    v == X509_V_ERR_CA_MD_TOO_WEAK ?
		    "; if this server is old, tls_legacy on may help" : "");
		ERR_clear_error();
		return (TLSC_ERR);
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		(void)snprintf(why, sizeof(why), "TLS handshake failed: the "
		    "server closed the connection");
	else
		ssl_reason(why, sizeof(why), "TLS handshake failed");
	(void)snprintf(err, errlen, "%s%s", why, legacy_hint(why) ?
	    "; if this server is old, tls_legacy on may help" : "");
	return (TLSC_ERR);
}

static long
io_result(struct tlsc *t, int r, const char *what)
{
	int e = SSL_get_error(t->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return (TLSC_WANT_READ);
	case SSL_ERROR_WANT_WRITE:
		return (TLSC_WANT_WRITE);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			(void)snprintf(t->err, sizeof(t->err), "%s: the "
			    "connection was closed without TLS close_notify",
			    what);
			return (TLSC_ERR);
		}
		/* FALLTHROUGH */
	default:
		ssl_reason(t->err, sizeof(t->err), what);
		return (TLSC_ERR);
	}
}

long
tlsc_read(struct tlsc *t, void *buf, size_t n)
{
	size_t got = 0;

	ERR_clear_error();
	if (SSL_read_ex(t->ssl, buf, n, &got) == 1)
		return ((long)got);
	return (io_result(t, 0, "TLS read"));
}

long
tlsc_write(struct tlsc *t, const void *buf, size_t n)
{
	size_t put = 0;

	ERR_clear_error();
	if (SSL_write_ex(t->ssl, buf, n, &put) == 1)
		return ((long)put);
	return (io_result(t, 0, "TLS write"));
}

int
tlsc_pending(const struct tlsc *t)
{

	return (SSL_pending(t->ssl));
}

void
tlsc_close(struct tlsc *t)
{

	ERR_clear_error();
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

const char *
tlsc_error(const struct tlsc *t)
{

	return (t->err);
}

const char *
tlsc_version(const struct tlsc *t)
{

	return (SSL_get_version(t->ssl));
}

const char *
tlsc_trust(const struct tlsc *t)
{

	return (t->trust);
}

const char *
tlsc_cipher(const struct tlsc *t)
{

	return (SSL_get_cipher_name(t->ssl));
}

static void
put_time(char *buf, size_t len, const ASN1_TIME *tm)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (ASN1_TIME_print(b, tm) == 1 && (n = BIO_get_mem_data(b, &p)) > 0)
		(void)snprintf(buf, len, "%.*s", (int)n, p);
	BIO_free(b);
}

void
tlsc_describe_peer(const struct tlsc *t, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char subj[256], iss[256], nb[64], na[64], fp[100];
	X509 *cert;

	if ((cert = SSL_get1_peer_certificate(t->ssl)) == NULL) {
		if (t->leaf == NULL || X509_up_ref(t->leaf) != 1) {
			(void)snprintf(buf, len, "certificate: none\n");
			return;
		}
		cert = t->leaf;
	}
	X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
	X509_NAME_oneline(X509_get_issuer_name(cert), iss, sizeof(iss));
	put_time(nb, sizeof(nb), X509_get0_notBefore(cert));
	put_time(na, sizeof(na), X509_get0_notAfter(cert));
	fp[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1)
		for (i = 0; i < mdlen && i < 32; i++)
			(void)snprintf(fp + i * 3, sizeof(fp) - i * 3, "%02X%s",
			    md[i], i + 1 < mdlen ? ":" : "");
	X509_free(cert);
	(void)snprintf(buf, len, "subject: %s\nissuer: %s\nvalid from: %s\n"
	    "valid until: %s\nsha256 fingerprint: %s\n", subj, iss, nb, na, fp);
}

int
tlsc_client_cert(const struct tlsc *t, char *buf, size_t len)
{
	X509 *cert;

	if (!t->sent_cert || (cert = SSL_get_certificate(t->ssl)) == NULL)
		return (-1);
	X509_NAME_oneline(X509_get_subject_name(cert), buf, (int)len);
	return (0);
}

void
tlsc_free(struct tlsc *t)
{

	if (t == NULL)
		return;
	X509_free(t->leaf);
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	free(t);
}

const char *
tlsc_library_version(void)
{

	return (OpenSSL_version(OPENSSL_VERSION));
}
