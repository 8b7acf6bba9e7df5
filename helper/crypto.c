#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdlib.h>

#include "crypto.h"

void
crypto_b64_encode(char *out, const void *in, size_t n)
{

	if (n > CRYPTO_B64_MAX)
		abort();
	(void)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

long
crypto_b64_decode(unsigned char *out, const char *in, size_t n)
{

	if (n > CRYPTO_B64_MAX)
		return (-1);
	return (EVP_DecodeBlock(out, (const unsigned char *)in, (int)n));
}

static int
hmac(const EVP_MD *md, const void *key, size_t klen, const void *msg,
    size_t mlen, unsigned char *out, unsigned want)
{
	unsigned int len = 0;

	if (klen > 0x7fffffff)
		return (-1);
	if (HMAC(md, key, (int)klen, msg, mlen, out, &len) == NULL ||
	    len != want)
		return (-1);
	return (0);
}

int
crypto_hmac_md5(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[16])
{

	return (hmac(EVP_md5(), key, klen, msg, mlen, out, 16));
}

int
crypto_hmac_sha256(const void *key, size_t klen, const void *msg,
    size_t mlen, unsigned char out[32])
{

	return (hmac(EVP_sha256(), key, klen, msg, mlen, out, 32));
}

int
crypto_sha256(const void *msg, size_t mlen, unsigned char out[32])
{
	unsigned int len = 0;

	if (EVP_Digest(msg, mlen, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != 32)
		return (-1);
	return (0);
}

int
crypto_pbkdf2_sha256(const char *pass, size_t plen, const unsigned char *salt,
    size_t slen, unsigned iter, unsigned char out[32])
{

	if (plen > 0x7fffffff || slen > 0x7fffffff || iter > 0x7fffffff)
		return (-1);
	return (PKCS5_PBKDF2_HMAC(pass, (int)plen, salt, (int)slen, (int)iter,
	    EVP_sha256(), 32, out) == 1 ? 0 : -1);
}

int
crypto_random(void *buf, size_t n)
{

	if (n > 0x7fffffff)
		return (-1);
	return (RAND_bytes(buf, (int)n) == 1 ? 0 : -1);
}

int
crypto_memcmp(const void *a, const void *b, size_t n)
{

	return (CRYPTO_memcmp(a, b, n) == 0 ? 0 : 1);
}

void
crypto_wipe(void *p, size_t n)
{

	OPENSSL_cleanse(p, n);
}
