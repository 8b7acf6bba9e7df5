/*
 * Unit tests for helper/auth: base64 both ways, the layouts of the SASL
 * responses checked against the examples in their RFCs, and the SCRAM
 * client's refusals (docs/SECURITY.md case 9).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "util.h"
#include "run_suite.h"

/* Decode a response built by auth.c; its length goes to *n. */
static unsigned char *
decode(const char *b64, size_t *n)
{
	unsigned char *out = NULL;
	long len;

	ck_assert_ptr_nonnull(b64);
	len = b64_decode(b64, strlen(b64), &out);
	ck_assert_msg(len >= 0, "\"%s\" is not valid base64", b64);
	ck_assert_ptr_nonnull(out);
	*n = (size_t)len;
	return (out);
}

/* ---- base64 ---- */

/* RFC 4648 section 10. */
static const struct {
	const char *plain;
	const char *b64;
} rfc4648[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(b64_encode_rfc4648)
{
	char *s;

	s = b64_encode(rfc4648[_i].plain, strlen(rfc4648[_i].plain));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, rfc4648[_i].b64);
	free(s);
}
END_TEST

START_TEST(b64_decode_rfc4648)
{
	const char *in = rfc4648[_i].b64;
	unsigned char *out = NULL;
	long n;

	n = b64_decode(in, strlen(in), &out);
	ck_assert_int_eq(n, (long)strlen(rfc4648[_i].plain));
	ck_assert_ptr_nonnull(out);
	ck_assert_mem_eq(out, rfc4648[_i].plain, (size_t)n);
	ck_assert_int_eq(out[n], '\0');
	free(out);
}
END_TEST

START_TEST(b64_both_alphabet_ends)
{
	static const unsigned char bin[] = { 0xfb, 0xff, 0xbf, 0x00, 0x10,
	    0x83 };
	unsigned char *out = NULL;
	char *s;
	long n;

	/* 62 and 63 are '+' and '/' here, not the URL alphabet's. */
	s = b64_encode(bin, sizeof(bin));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "+/+/ABCD");
	n = b64_decode(s, strlen(s), &out);
	ck_assert_int_eq(n, (long)sizeof(bin));
	ck_assert_mem_eq(out, bin, sizeof(bin));
	free(out);
	free(s);
}
END_TEST

START_TEST(b64_round_trip)
{
	unsigned char bin[300], *out;
	unsigned x = 12345;
	size_t len, i;
	char *s;
	long n;

	for (i = 0; i < sizeof(bin); i++) {
		x = x * 1103515245 + 12345;
		bin[i] = (unsigned char)(x >> 16);
	}
	for (len = 0; len <= sizeof(bin); len++) {
		s = b64_encode(bin, len);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(strlen(s), (len + 2) / 3 * 4);
		ck_assert_uint_eq(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/="), strlen(s));
		out = NULL;
		n = b64_decode(s, strlen(s), &out);
		ck_assert_int_eq(n, (long)len);
		ck_assert_mem_eq(out, bin, len);
		free(out);
		free(s);
	}
}
END_TEST

START_TEST(b64_decode_only_n)
{
	unsigned char *out = NULL;
	long n;

	/* n bounds the input: no NUL is needed after it. */
	n = b64_decode("Zm9vYmFy", 4, &out);
	ck_assert_int_eq(n, 3);
	ck_assert_mem_eq(out, "foo", 3);
	free(out);
}
END_TEST

/* Bits left over under the padding are not checked (RFC 4648 3.5 lets a
 * decoder take them); what they hold is not data. */
START_TEST(b64_decode_pad_bits)
{
	unsigned char *out = NULL;
	long n;

	n = b64_decode("Zh==", 4, &out);
	ck_assert_int_eq(n, 1);
	ck_assert_mem_eq(out, "f\0", 2);
	free(out);
	n = b64_decode("Zm9=", 4, &out);
	ck_assert_int_eq(n, 2);
	ck_assert_mem_eq(out, "fo\0", 3);
	free(out);
}
END_TEST

/* Inputs a strict decoder refuses, with their lengths (some hold NUL). */
static const struct {
	const char *in;
	size_t n;
} junk[] = {
	{ "Zg", 2 },			/* padding missing */
	{ "Zg=", 3 },			/* padding short */
	{ "Zm9vY", 5 },			/* wrong length */
	{ "Z", 1 },
	{ "Z===", 4 },			/* too much padding */
	{ "====", 4 },
	{ "=Zg=", 4 },			/* padding first */
	{ "Zg=a", 4 },			/* data after padding */
	{ "Zm=v", 4 },
	{ "Zg==Zg==", 8 },		/* padding in the middle */
	{ "Zm8=Zm9v", 8 },
	{ "Zm9v====", 8 },
	{ "Zm9v\n", 5 },		/* white space of every kind */
	{ "Zm9v\r\nYmFy", 10 },
	{ "Zm 9vYmFy", 9 },
	{ " Zm9vYmFy", 9 },
	{ "Zm9vYmFy    ", 12 },
	{ "Zm9v\tmFy", 8 },
	{ "Zm9-", 4 },			/* base64url alphabet */
	{ "Zm9_", 4 },
	{ "Zm9*", 4 },			/* other junk */
	{ "Zm.v", 4 },
	{ "Zm9v\0mFy", 8 },		/* NUL */
	{ "\0\0\0\0", 4 },
	{ "Zm9\xc3", 4 },		/* non-ASCII */
	{ "\xff\xff\xff\xff", 4 },
};

START_TEST(b64_decode_junk)
{
	unsigned char *out = NULL;

	ck_assert_msg(b64_decode(junk[_i].in, junk[_i].n, &out) == -1,
	    "junk case %d was decoded", _i);
}
END_TEST

START_TEST(b64_decode_empty)
{
	unsigned char *out = NULL;

	ck_assert_int_eq(b64_decode("", 0, &out), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(out[0], '\0');
	free(out);
}
END_TEST

/* ---- SASL responses ---- */

START_TEST(plain_rfc4616)
{
	/* RFC 4616 section 4: authcid "tim", password "tanstaaftanstaaf",
	 * no authzid, sent as NUL tim NUL tanstaaftanstaaf. */
	static const char want[] = "\0tim\0tanstaaftanstaaf";
	unsigned char *raw;
	char *s;
	size_t n;

	s = auth_plain("tim", "tanstaaftanstaaf");
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert_mem_eq(raw, want, n);
	ck_assert_str_eq(s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	free(raw);
	wipe_free(s);
}
END_TEST

START_TEST(plain_layout)
{
	static const char want[] = "\0alice@example.org\0p\xc3\xa4ss w:rd";
	unsigned char *raw;
	char *s;
	size_t n;

	s = auth_plain("alice@example.org", "p\xc3\xa4ss w:rd");
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert_mem_eq(raw, want, n);
	free(raw);
	wipe_free(s);

	/* An empty password still gives both separators. */
	s = auth_plain("bob", "");
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(raw, "\0bob\0", 5);
	free(raw);
	wipe_free(s);
}
END_TEST

START_TEST(xoauth2_google_example)
{
	/* Google's XOAUTH2 protocol page: user=U ^A auth=Bearer T ^A ^A. */
	static const char want[] = "user=someuser@example.com\001auth=Bearer "
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001";
	unsigned char *raw;
	char *s;
	size_t n;

	s = auth_xoauth2("someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert_mem_eq(raw, want, n);
	ck_assert_str_eq(s, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJl"
	    "ciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cB"
	    "AQ==");
	free(raw);
	wipe_free(s);
}
END_TEST

/* The initial response of RFC 7628 section 4.1 (an IMAP exchange). */
static const char rfc7628_b64[] =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9"
    "MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZ"
    "Mjl0Q2c9PQEB";
static const char rfc7628_raw[] =
    "n,a=user@example.com,\001host=server.example.com\001port=143\001"
    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001";
#define RFC7628_TOKEN	"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
/* The optional kvpairs the example carries and the API does not take. */
#define RFC7628_HOSTPORT "host=server.example.com\001port=143\001"

START_TEST(oauthbearer_rfc7628)
{
	unsigned char *rfc, *ours;
	char want[256], *s, *hp;
	size_t rn, on, cut;

	/* The RFC's base64 decodes to the bytes the RFC shows. */
	rfc = decode(rfc7628_b64, &rn);
	ck_assert_uint_eq(rn, sizeof(rfc7628_raw) - 1);
	ck_assert_mem_eq(rfc, rfc7628_raw, rn);

	/* Ours is the RFC's byte for byte, less host= and port=. */
	s = auth_oauthbearer("user@example.com", RFC7628_TOKEN);
	ck_assert_ptr_nonnull(s);
	ours = decode(s, &on);
	hp = strstr(rfc7628_raw, RFC7628_HOSTPORT);
	ck_assert_ptr_nonnull(hp);
	cut = (size_t)(hp - rfc7628_raw);
	memcpy(want, rfc7628_raw, cut);
	(void)snprintf(want + cut, sizeof(want) - cut, "%s",
	    hp + strlen(RFC7628_HOSTPORT));
	ck_assert_uint_eq(on, strlen(want));
	ck_assert_mem_eq(ours, want, on);
	ck_assert_mem_eq(ours, "n,a=user@example.com,\001auth=Bearer "
	    RFC7628_TOKEN "\001\001", on);
	/* The GS2 header and the tail are exactly the RFC's. */
	ck_assert_mem_eq(ours, rfc, cut);
	ck_assert_mem_eq(ours + on - 2, "\001\001", 2);
	free(rfc);
	free(ours);
	wipe_free(s);
}
END_TEST

START_TEST(oauthbearer_gs2_escaping)
{
	static const char want[] = "n,a=list=3Dx=2Cy@example.com,\001"
	    "auth=Bearer t\001\001";
	unsigned char *raw;
	char *s;
	size_t n;

	/*
	 * The user goes into the GS2 header as a saslname (RFC 5801
	 * section 4, used by RFC 7628 section 3.1): '=' is sent as "=3D"
	 * and ',' as "=2C", else the server splits the header wrongly.
	 */
	s = auth_oauthbearer("list=x,y@example.com", "t");
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_msg(n == sizeof(want) - 1 && memcmp(raw, want, n) == 0,
	    "GS2 header not escaped: got \"%.*s\"", (int)n, (char *)raw);
	free(raw);
	wipe_free(s);
}
END_TEST

START_TEST(cram_md5_rfc2195)
{
	static const char chal[] = "<1896.697170952@postoffice.reston.mci.net>";
	unsigned char *raw;
	char *s;
	size_t n;

	/* RFC 2195 section 2: the digest of the example challenge. */
	s = auth_cram_md5("tim", "tanstaaftanstaaf",
	    (const unsigned char *)chal, sizeof(chal) - 1);
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_uint_eq(n, 36);
	ck_assert_mem_eq(raw, "tim b913a602c7eda7a495b4e6e7334d3890", n);
	ck_assert_str_eq(s, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	free(raw);
	wipe_free(s);
}
END_TEST

START_TEST(sasl_ready)
{

	ck_assert_int_eq(auth_sasl_ready("pencil"), 1);
	ck_assert_int_eq(auth_sasl_ready("with space ~!"), 1);
	ck_assert_int_eq(auth_sasl_ready(""), 1);
	ck_assert_int_eq(auth_sasl_ready("p\xc3\xa4ss"), 0);
	ck_assert_int_eq(auth_sasl_ready("tab\there"), 0);
	ck_assert_int_eq(auth_sasl_ready("del\x7f"), 0);
}
END_TEST

/* ---- SCRAM-SHA-256, RFC 7677 section 3 ---- */

#define R7677_CNONCE	"rOprNGfwEbeRWgbNEkqO"
#define R7677_SNONCE	R7677_CNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define R7677_SALT	"W22ZaJ0SNY7soEsUEjb6gQ=="
#define R7677_FIRST	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=4096"
#define R7677_FINAL	"c=biws,r=" R7677_SNONCE \
			",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define R7677_VERIFY	"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* scram_final over a server-first message given in plain text. */
static char *
final_of(struct scram *sc, const char *pass, const char *server_first)
{
	char *b, *r;

	b = b64_encode(server_first, strlen(server_first));
	ck_assert_ptr_nonnull(b);
	r = scram_final(sc, pass, b, strlen(b));
	free(b);
	return (r);
}

static int
verify_of(struct scram *sc, const char *server_final)
{
	char *b;
	int r;

	b = b64_encode(server_final, strlen(server_final));
	ck_assert_ptr_nonnull(b);
	r = scram_verify(sc, b, strlen(b));
	free(b);
	return (r);
}

/* A SCRAM exchange started as in the RFC's example. */
static void
scram_start(struct scram *sc, const char *user)
{
	char *s;

	s = scram_first(sc, user, R7677_CNONCE);
	ck_assert_ptr_nonnull(s);
	wipe_free(s);
}

START_TEST(scram_rfc7677)
{
	struct scram sc;
	unsigned char *raw;
	char *s;
	size_t n;

	s = scram_first(&sc, "user", R7677_CNONCE);
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_uint_eq(n, strlen("n,,n=user,r=" R7677_CNONCE));
	ck_assert_mem_eq(raw, "n,,n=user,r=" R7677_CNONCE, n);
	free(raw);
	wipe_free(s);

	s = final_of(&sc, "pencil", R7677_FIRST);
	ck_assert_msg(s != NULL, "%s", sc.err != NULL ? sc.err : "?");
	raw = decode(s, &n);
	ck_assert_uint_eq(n, strlen(R7677_FINAL));
	ck_assert_mem_eq(raw, R7677_FINAL, n);
	free(raw);
	wipe_free(s);

	ck_assert_int_eq(verify_of(&sc, R7677_VERIFY), 0);
	ck_assert_ptr_null(sc.err);
	scram_free(&sc);
}
END_TEST

START_TEST(scram_user_escaped)
{
	struct scram sc;
	unsigned char *raw;
	char *s;
	size_t n;

	s = scram_first(&sc, "a=b,c", "nonce");
	ck_assert_ptr_nonnull(s);
	raw = decode(s, &n);
	ck_assert_uint_eq(n, strlen("n,,n=a=3Db=2Cc,r=nonce"));
	ck_assert_mem_eq(raw, "n,,n=a=3Db=2Cc,r=nonce", n);
	free(raw);
	wipe_free(s);
	scram_free(&sc);

	/* Without a nonce of ours, a random one of printable characters. */
	s = scram_first(&sc, "user", NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(sc.nonce);
	ck_assert_uint_ge(strlen(sc.nonce), 16);
	ck_assert_ptr_null(strchr(sc.nonce, ','));
	wipe_free(s);
	scram_free(&sc);
}
END_TEST

START_TEST(scram_bad_signature)
{
	struct scram sc;
	char *s;

	scram_start(&sc, "user");
	/* No signature is accepted before there is one to compare with. */
	ck_assert_int_eq(verify_of(&sc, R7677_VERIFY), -1);
	s = final_of(&sc, "pencil", R7677_FIRST);
	ck_assert_ptr_nonnull(s);
	wipe_free(s);
	ck_assert_int_eq(verify_of(&sc,
	    "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), -1);
	ck_assert_ptr_nonnull(sc.err);
	ck_assert_int_eq(verify_of(&sc, "v=6rriTRBi23WpRR/wtup+mMhUZU"), -1);
	ck_assert_int_eq(verify_of(&sc, "v=not base64"), -1);
	ck_assert_int_eq(verify_of(&sc, "x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5n"
	    "LTJRsjl95G4="), -1);
	ck_assert_int_eq(verify_of(&sc, "e=invalid-proof"), -1);
	ck_assert_ptr_nonnull(sc.err);
	ck_assert_ptr_nonnull(strstr(sc.err, "error"));
	ck_assert_int_eq(scram_verify(&sc, "!!!!", 4), -1);
	scram_free(&sc);

	/* The right signature for another password does not verify. */
	scram_start(&sc, "user");
	s = final_of(&sc, "pencil2", R7677_FIRST);
	ck_assert_ptr_nonnull(s);
	wipe_free(s);
	ck_assert_int_eq(verify_of(&sc, R7677_VERIFY), -1);
	scram_free(&sc);
}
END_TEST

/* Server-first messages that must end the exchange. */
static const char *const bad_first[] = {
	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=4095",		/* too few */
	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=1000001",	/* too many */
	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=99999999999999999999",
	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=0",
	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=-4096",
	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=4096x",
	"r=" R7677_SNONCE ",s=" R7677_SALT ",i=",
	"r=" R7677_SNONCE ",s=" R7677_SALT,			/* no count */
	"r=" R7677_SNONCE ",i=4096",				/* no salt */
	"r=" R7677_SNONCE ",s=,i=4096",
	"r=" R7677_SNONCE ",s=###,i=4096",
	"s=" R7677_SALT ",r=" R7677_SNONCE ",i=4096",		/* order */
	"r=" R7677_CNONCE ",s=" R7677_SALT ",i=4096",	/* nonce not extended */
	"r=XOprNGfwEbeRWgbNEkqO%hv,s=" R7677_SALT ",i=4096",	/* not ours */
	"r=rOprNG,s=" R7677_SALT ",i=4096",			/* shorter */
	"m=ext,r=" R7677_SNONCE ",s=" R7677_SALT ",i=4096",
	"e=other-error",
	"",
	"junk",
};

START_TEST(scram_bad_server_first)
{
	struct scram sc;
	char *s;

	scram_start(&sc, "user");
	s = final_of(&sc, "pencil", bad_first[_i]);
	ck_assert_msg(s == NULL, "server-first \"%s\" was accepted",
	    bad_first[_i]);
	ck_assert_ptr_nonnull(sc.err);
	ck_assert_int_eq(verify_of(&sc, R7677_VERIFY), -1);
	scram_free(&sc);
}
END_TEST

START_TEST(scram_not_base64)
{
	static const char nul[] = "r=" R7677_SNONCE "\0,s=" R7677_SALT
	    ",i=4096";
	struct scram sc;
	char *b, *s;

	scram_start(&sc, "user");
	ck_assert_ptr_null(scram_final(&sc, "pencil", "cj1y T3By", 9));
	ck_assert_ptr_null(scram_final(&sc, "pencil", "cj1", 3));
	/* A NUL inside the decoded message. */
	b = b64_encode(nul, sizeof(nul) - 1);
	ck_assert_ptr_nonnull(b);
	s = scram_final(&sc, "pencil", b, strlen(b));
	ck_assert_ptr_null(s);
	free(b);
	scram_free(&sc);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc;

	tc = tcase_create("base64");
	tcase_add_loop_test(tc, b64_encode_rfc4648, 0,
	    (int)(sizeof(rfc4648) / sizeof(rfc4648[0])));
	tcase_add_loop_test(tc, b64_decode_rfc4648, 0,
	    (int)(sizeof(rfc4648) / sizeof(rfc4648[0])));
	tcase_add_test(tc, b64_both_alphabet_ends);
	tcase_add_test(tc, b64_round_trip);
	tcase_add_test(tc, b64_decode_only_n);
	tcase_add_test(tc, b64_decode_pad_bits);
	tcase_add_loop_test(tc, b64_decode_junk, 0,
	    (int)(sizeof(junk) / sizeof(junk[0])));
	tcase_add_test(tc, b64_decode_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("sasl");
	tcase_add_test(tc, plain_rfc4616);
	tcase_add_test(tc, plain_layout);
	tcase_add_test(tc, xoauth2_google_example);
	tcase_add_test(tc, oauthbearer_rfc7628);
	tcase_add_test(tc, oauthbearer_gs2_escaping);
	tcase_add_test(tc, cram_md5_rfc2195);
	tcase_add_test(tc, sasl_ready);
	suite_add_tcase(s, tc);

	tc = tcase_create("scram");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, scram_rfc7677);
	tcase_add_test(tc, scram_user_escaped);
	tcase_add_test(tc, scram_bad_signature);
	tcase_add_loop_test(tc, scram_bad_server_first, 0,
	    (int)(sizeof(bad_first) / sizeof(bad_first[0])));
	tcase_add_test(tc, scram_not_base64);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(auth_suite()));
}
