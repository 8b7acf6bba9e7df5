#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "crypto.h"
#include "util.h"

char *
b64_encode(const void *in, size_t n)
{
	char *out;

	if (n > CRYPTO_B64_MAX || (out = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return (NULL);
	crypto_b64_encode(out, in, n);
	return (out);
}

static int
b64char(char c)
{

	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/');
}

/*
 * Is in (n chars) base64 as RFC 4648 writes it: whole quads of the
 * alphabet, '=' only as the last one or two?  Returns the number of '='
 * (the bits they leave over are not checked), or -1.  OpenSSL's decoder
 * also takes white space and more, which a SASL exchange must not.
 */
static int
b64_strict(const char *in, size_t n)
{
	size_t i, pad = 0;

	if (n % 4 != 0)
		return (-1);
	if (n > 0 && in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (!b64char(in[i]))
			return (-1);
	return ((int)pad);
}

long
b64_decode(const char *in, size_t n, unsigned char **out)
{
	unsigned char *o;
	long k;
	int pad;

	if ((pad = b64_strict(in, n)) < 0 || n > CRYPTO_B64_MAX)
		return (-1);
	if ((o = malloc(n / 4 * 3 + 1)) == NULL)
		return (-1);
	if ((k = crypto_b64_decode(o, in, n)) < pad) {
		explicit_bzero(o, n / 4 * 3);
		free(o);
		return (-1);
	}
	/* The padding comes out as bytes of its own, which are not data. */
	k -= pad;
	explicit_bzero(o + k, (size_t)pad);
	o[k] = '\0';
	*out = o;
	return (k);
}

/* Base64 of the n bytes at s, then wipe s. */
static char *
encode_wipe(char *s, size_t n)
{
	char *r = b64_encode(s, n);

	explicit_bzero(s, n);
	free(s);
	return (r);
}

char *
auth_plain(const char *user, const char *pass)
{
	size_t u = strlen(user), p = strlen(pass), n = u + p + 2;
	char *s;

	if ((s = malloc(n)) == NULL)
		return (NULL);
	s[0] = '\0';
	memcpy(s + 1, user, u);
	s[u + 1] = '\0';
	memcpy(s + u + 2, pass, p);
	return (encode_wipe(s, n));
}

/* A SASL name (RFC 5801, RFC 5802): "=" and "," escaped. */
static char *
saslname(const char *user)
{
	char *out, *o;

	if ((out = malloc(strlen(user) * 3 + 1)) == NULL)
		return (NULL);
	for (o = out; *user != '\0'; user++) {
		if (*user == '=') {
			memcpy(o, "=3D", 3);
			o += 3;
		} else if (*user == ',') {
			memcpy(o, "=2C", 3);
			o += 3;
		} else
			*o++ = *user;
	}
	*o = '\0';
	return (out);
}

char *
auth_xoauth2(const char *user, const char *token)
{
	char *s;
	int n;

	if ((n = asprintf(&s, "user=%s\001auth=Bearer %s\001\001", user,
	    token)) < 0)
		return (NULL);
	return (encode_wipe(s, (size_t)n));
}

char *
auth_oauthbearer(const char *user, const char *token)
{
	char *s, *name;
	int n;

	if ((name = saslname(user)) == NULL)
		return (NULL);
	n = asprintf(&s, "n,a=%s,\001auth=Bearer %s\001\001", name, token);
	free(name);
	if (n < 0)
		return (NULL);
	return (encode_wipe(s, (size_t)n));
}

char *
auth_cram_md5(const char *user, const char *pass, const unsigned char *chal,
    size_t clen)
{
	unsigned char mac[16];
	char *s;
	size_t u = strlen(user), i, n;

	if (crypto_hmac_md5(pass, strlen(pass), chal, clen, mac) != 0)
		return (NULL);
	n = u + 1 + 32;
	if ((s = malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(s, user, u);
	s[u] = ' ';
	for (i = 0; i < 16; i++)
		(void)snprintf(s + u + 1 + i * 2, 3, "%02x", mac[i]);
	crypto_wipe(mac, sizeof(mac));
	return (encode_wipe(s, n));
}

int
auth_sasl_ready(const char *s)
{

	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return (0);
	return (1);
}

char *
scram_first(struct scram *sc, const char *user, const char *nonce)
{
	unsigned char rnd[24];
	char *name, *msg;
	int n;

	memset(sc, 0, sizeof(*sc));
	if (nonce != NULL)
		sc->nonce = xstrdup(nonce);
	else if (crypto_random(rnd, sizeof(rnd)) == 0)
		sc->nonce = b64_encode(rnd, sizeof(rnd));
	if (sc->nonce == NULL || (name = saslname(user)) == NULL) {
		sc->err = "out of memory";
		return (NULL);
	}
	n = asprintf(&sc->first_bare, "n=%s,r=%s", name, sc->nonce);
	free(name);
	if (n < 0) {
		sc->first_bare = NULL;
		sc->err = "out of memory";
		return (NULL);
	}
	if (asprintf(&msg, "n,,%s", sc->first_bare) < 0) {
		sc->err = "out of memory";
		return (NULL);
	}
	return (encode_wipe(msg, strlen(msg)));
}

/* The value of attribute "k=" at the start of s up to ',' (or end). */
static const char *
attr(const char *s, char k, size_t *len)
{

	if (s[0] != k || s[1] != '=')
		return (NULL);
	*len = strcspn(s + 2, ",");
	return (s + 2);
}

char *
scram_final(struct scram *sc, const char *pass, const char *b64,
    size_t len)
{
	unsigned char *sf = NULL, *salt = NULL, salted[32], ckey[32];
	unsigned char stored[32], csig[32], proof[32], skey[32];
	const char *r, *sa, *it, *p;
	char *authmsg = NULL, *without = NULL, *pb = NULL, *out = NULL;
	size_t rlen, salen, itlen, i;
	long sflen, slen;
	unsigned long iter = 0;

	sc->err = "malformed server-first message";
	if ((sflen = b64_decode(b64, len, &sf)) <= 0 ||
	    memchr(sf, '\0', (size_t)sflen) != NULL)
		goto out;
	p = (const char *)sf;
	if ((r = attr(p, 'r', &rlen)) == NULL)
		goto out;
	p = r + rlen;
	if (*p++ != ',' || (sa = attr(p, 's', &salen)) == NULL)
		goto out;
	p = sa + salen;
	if (*p++ != ',' || (it = attr(p, 'i', &itlen)) == NULL)
		goto out;
	p = it + itlen;
	/* Extensions after i= are allowed; none is understood. */
	if (*p != '\0' && *p != ',')
		goto out;
	if (itlen == 0)
		goto out;
	for (i = 0; i < itlen; i++) {
		if (it[i] < '0' || it[i] > '9')
			goto out;
		/* More digits than any allowed count: out of bounds below. */
		if (i < 10)
			iter = iter * 10 + (unsigned long)(it[i] - '0');
	}
	if (itlen > 10 || iter < SCRAM_MIN_ITER || iter > SCRAM_MAX_ITER) {
		sc->err = "the server asks for an iteration count out of "
		    "bounds";
		goto out;
	}
	if (rlen <= strlen(sc->nonce) ||
	    strncmp(r, sc->nonce, strlen(sc->nonce)) != 0) {
		sc->err = "the server nonce does not extend the client nonce";
		goto out;
	}
	if ((slen = b64_decode(sa, salen, &salt)) <= 0)
		goto out;
	sc->err = "out of memory";
	if (asprintf(&without, "c=biws,r=%.*s", (int)rlen, r) < 0) {
		without = NULL;
		goto out;
	}
	if (asprintf(&authmsg, "%s,%s,%s", sc->first_bare, (char *)sf,
	    without) < 0) {
		authmsg = NULL;
		goto out;
	}
	sc->err = "SCRAM computation failed";
	if (crypto_pbkdf2_sha256(pass, strlen(pass), salt, (size_t)slen,
	    (unsigned)iter, salted) != 0 ||
	    crypto_hmac_sha256(salted, 32, "Client Key", 10, ckey) != 0 ||
	    crypto_sha256(ckey, 32, stored) != 0 ||
	    crypto_hmac_sha256(stored, 32, authmsg, strlen(authmsg),
	    csig) != 0 ||
	    crypto_hmac_sha256(salted, 32, "Server Key", 10, skey) != 0 ||
	    crypto_hmac_sha256(skey, 32, authmsg, strlen(authmsg),
	    sc->server_sig) != 0)
		goto out;
	sc->have_sig = 1;
	for (i = 0; i < 32; i++)
		proof[i] = ckey[i] ^ csig[i];
	if ((pb = b64_encode(proof, 32)) == NULL)
		goto out;
	{
		char *msg;

		if (asprintf(&msg, "%s,p=%s", without, pb) < 0)
			goto out;
		out = encode_wipe(msg, strlen(msg));
	}
	sc->err = out != NULL ? NULL : "out of memory";
out:
	crypto_wipe(salted, sizeof(salted));
	crypto_wipe(ckey, sizeof(ckey));
	crypto_wipe(stored, sizeof(stored));
	crypto_wipe(csig, sizeof(csig));
	crypto_wipe(proof, sizeof(proof));
	crypto_wipe(skey, sizeof(skey));
	if (sf != NULL)
		wipe_free((char *)sf);
	free(salt);
	free(authmsg);
	free(without);
	wipe_free(pb);
	return (out);
}

int
scram_verify(struct scram *sc, const char *b64, size_t len)
{
	unsigned char *sf = NULL, *sig = NULL;
	const char *v;
	size_t vlen;
	long n, k;
	int r = -1;

	sc->err = "the server signature does not verify";
	if (!sc->have_sig || (n = b64_decode(b64, len, &sf)) <= 0)
		goto out;
	if ((v = attr((const char *)sf, 'v', &vlen)) == NULL) {
		if (sf[0] == 'e' && sf[1] == '=') {
			sc->err = "the server reported a SCRAM error";
			sc->server_error = 1;
		}
		goto out;
	}
	if ((k = b64_decode(v, vlen, &sig)) != 32)
		goto out;
	if (crypto_memcmp(sig, sc->server_sig, 32) != 0)
		goto out;
	sc->err = NULL;
	r = 0;
out:
	free(sf);
	free(sig);
	return (r);
}

void
scram_free(struct scram *sc)
{

	free(sc->first_bare);
	free(sc->nonce);
	crypto_wipe(sc->server_sig, sizeof(sc->server_sig));
	memset(sc, 0, sizeof(*sc));
}
