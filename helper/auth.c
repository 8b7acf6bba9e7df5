#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "util.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
b64_encode(const void *vin, size_t n)
{
	const unsigned char *in = vin;
	char *out, *o;
	size_t i;
	unsigned v;

	if ((out = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return (NULL);
	o = out;
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (i < n) {
		v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}

static int
b64val(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return (-1);
	return ((int)(p - b64));
}

long
b64_decode(const char *in, size_t n, unsigned char **out)
{
	unsigned char *o;
	size_t i, k = 0;
	int a, b, c, d;

	if (n % 4 != 0)
		return (-1);
	if ((o = malloc(n / 4 * 3 + 1)) == NULL)
		return (-1);
	for (i = 0; i < n; i += 4) {
		a = b64val(in[i]);
		b = b64val(in[i + 1]);
		c = in[i + 2] == '=' ? -2 : b64val(in[i + 2]);
		d = in[i + 3] == '=' ? -2 : b64val(in[i + 3]);
		if (a < 0 || b < 0 || c == -1 || d == -1 ||
		    (c == -2 && d != -2) || ((c == -2 || d == -2) &&
		    i + 4 != n))
			goto bad;
		o[k++] = (unsigned char)(a << 2 | b >> 4);
		if (c >= 0)
			o[k++] = (unsigned char)((b & 15) << 4 | c >> 2);
		if (d >= 0)
			o[k++] = (unsigned char)((c & 3) << 6 | d);
	}
	o[k] = '\0';
	*out = o;
	return ((long)k);
bad:
	explicit_bzero(o, k);
	free(o);
	return (-1);
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
	char *s;
	int n;

	if ((n = asprintf(&s, "n,a=%s,\001auth=Bearer %s\001\001", user,
	    token)) < 0)
		return (NULL);
	return (encode_wipe(s, (size_t)n));
}
