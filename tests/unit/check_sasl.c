/*
 * Unit tests for helper/sasl: the mechanism table, the choice among what
 * a server offers, the exchanges (against a scripted server on the other
 * side of struct sasl_io), and the local answer to the program's AUTH.
 */
#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"
#include "smtp.h"
#include "run_suite.h"

/* ---- the table ---- */

START_TEST(words_round_trip)
{
	static const enum sasl_mech all[] = {
		SASL_AUTO, SASL_OFF, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5,
		SASL_SCRAM_SHA_256, SASL_XOAUTH2, SASL_OAUTHBEARER,
		SASL_EXTERNAL
	};
	enum sasl_mech m;
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ck_assert_int_eq(sasl_mech_parse(sasl_mech_word(all[i]), &m), 0);
		ck_assert_int_eq(m, all[i]);
	}
	ck_assert_int_eq(sasl_mech_parse("", &m), 0);
	ck_assert_int_eq(m, SASL_AUTO);
	ck_assert_int_eq(sasl_mech_parse("SCRAM-SHA-256", &m), 0);
	ck_assert_int_eq(m, SASL_SCRAM_SHA_256);
	ck_assert_int_eq(sasl_mech_parse("digest-md5", &m), -1);
	ck_assert_str_eq(sasl_mech_name(SASL_CRAM_MD5), "CRAM-MD5");
	ck_assert_ptr_null(sasl_mech_name(SASL_AUTO));
	ck_assert_ptr_null(sasl_mech_name(SASL_OFF));
}
END_TEST

/* ---- the plan ---- */

/* The plan for want among offered, joined with spaces ("" for none). */
static const char *
plan_of(enum sasl_mech want, const char *offered, const char *secret,
    char *why, size_t whylen)
{
	static char out[128];
	const char *plan[SASL_MAX_TRY];
	int i, n;

	/* The plan no longer depends on the credentials: SCRAM for
	 * non-ASCII ones is refused by sasl_login() (login_scram_saslprep). */
	(void)secret;
	n = sasl_plan(want, offered, "srv", plan, why, whylen);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		(void)snprintf(out + strlen(out), sizeof(out) - strlen(out),
		    "%s%s", i > 0 ? " " : "", plan[i]);
	return (out);
}

START_TEST(plan_auto_order)
{
	char why[300];

	/* msmtp 1.8.23's order over TLS, whatever order the server's. */
	ck_assert_str_eq(plan_of(SASL_AUTO, "LOGIN CRAM-MD5 SCRAM-SHA-1 "
	    "SCRAM-SHA-256 PLAIN", "p", why, sizeof(why)),
	    "PLAIN SCRAM-SHA-256 CRAM-MD5 LOGIN");
	ck_assert_str_eq(plan_of(SASL_AUTO, "CRAM-MD5 LOGIN SCRAM-SHA-256",
	    "p", why, sizeof(why)), "SCRAM-SHA-256 CRAM-MD5 LOGIN");
	ck_assert_str_eq(plan_of(SASL_AUTO, "LOGIN CRAM-MD5", "p", why,
	    sizeof(why)), "CRAM-MD5 LOGIN");
	/* Tokens are never guessed at: OAuth only when named. */
	ck_assert_str_eq(plan_of(SASL_AUTO, "XOAUTH2 OAUTHBEARER LOGIN", "p",
	    why, sizeof(why)), "LOGIN");
	/* Non-ASCII credentials would need SASLprep: SCRAM stays in the
	 * plan, and its local refusal is a step like any other. */
	ck_assert_str_eq(plan_of(SASL_AUTO, "SCRAM-SHA-256 LOGIN",
	    "p\xc3\xa4", why, sizeof(why)), "SCRAM-SHA-256 LOGIN");
}
END_TEST

START_TEST(plan_refusals)
{
	char why[300];

	ck_assert_str_eq(plan_of(SASL_AUTO, "", "p", why, sizeof(why)), "");
	ck_assert_str_eq(why, "srv offers no AUTH after TLS");
	ck_assert_str_eq(plan_of(SASL_AUTO, "GSSAPI NTLM", "p", why,
	    sizeof(why)), "");
	ck_assert_ptr_nonnull(strstr(why, "offers none of the mechanisms"));
	/* A mechanism the account names is never replaced by another... */
	ck_assert_str_eq(plan_of(SASL_SCRAM_SHA_256, "PLAIN LOGIN", "p", why,
	    sizeof(why)), "");
	ck_assert_str_eq(why, "srv does not offer AUTH SCRAM-SHA-256 (it "
	    "offers: PLAIN LOGIN)");
	/* ...nor joined by one. */
	ck_assert_str_eq(plan_of(SASL_LOGIN, "PLAIN LOGIN", "p", why,
	    sizeof(why)), "LOGIN");
	/* EXTERNAL only when named, and then nothing else. */
	ck_assert_str_eq(plan_of(SASL_AUTO, "EXTERNAL LOGIN", "p", why,
	    sizeof(why)), "LOGIN");
	ck_assert_str_eq(plan_of(SASL_EXTERNAL, "PLAIN LOGIN", "p", why,
	    sizeof(why)), "");
	ck_assert_str_eq(why, "srv does not offer AUTH EXTERNAL (it "
	    "offers: PLAIN LOGIN)");
	ck_assert_str_eq(plan_of(SASL_EXTERNAL, "PLAIN EXTERNAL", "p", why,
	    sizeof(why)), "EXTERNAL");
	ck_assert_str_eq(sasl_name_word("CRAM-MD5"), "cram-md5");
	ck_assert_str_eq(sasl_name_word("GSSAPI"), "?");
}
END_TEST

/* ---- the exchanges, against a scripted server ---- */

struct script {
	const char *const *replies;	/* one whole reply each, with CRLF */
	size_t next;
	char sent[8][512];		/* the lines submitify sent */
	int secret[8];
	size_t nsent;
	struct smtp_rparser rp;
	int fail_send;			/* send fails at this line (1-based) */
	/* A reply made from what was sent (replies[i] is "@"), or NULL. */
	const char *(*make)(struct script *, char *, size_t);
	char made[512];
};

static int
s_send(void *arg, const char *line, int secret)
{
	struct script *sc = arg;

	if (sc->fail_send != 0 && (int)sc->nsent + 1 == sc->fail_send)
		return (-1);
	ck_assert_uint_lt(sc->nsent, 8);
	(void)snprintf(sc->sent[sc->nsent], sizeof(sc->sent[0]), "%s", line);
	sc->secret[sc->nsent++] = secret;
	return (0);
}

static int
s_reply(void *arg, struct smtp_reply *r)
{
	struct script *sc = arg;
	const char *t;
	char *space;
	size_t n;

	if (sc->replies[sc->next] == NULL)
		return (-1);
	t = sc->replies[sc->next++];
	if (strcmp(t, "@") == 0)
		t = sc->make(sc, sc->made, sizeof(sc->made));
	space = smtp_rp_space(&sc->rp, &n);
	ck_assert_uint_ge(n, strlen(t));
	memcpy(space, t, strlen(t));
	smtp_rp_commit(&sc->rp, strlen(t));
	ck_assert_int_eq(smtp_rp_next(&sc->rp, r), 1);
	return (0);
}

static enum sasl_result
run(struct script *sc, const char *mech, struct sasl_end *end)
{
	struct sasl_io io = { sc, s_send, s_reply };

	smtp_rp_init(&sc->rp);
	return (sasl_login(&io, mech, "user", "pass", "srv", end));
}

START_TEST(login_plain_done)
{
	static const char *const r[] = { "235 2.7.0 ok\r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r;
	ck_assert_int_eq(run(sc, "PLAIN", &end), SASL_DONE);
	ck_assert_uint_eq(sc->nsent, 1);
	/* base64 of "\0user\0pass", and marked as a secret. */
	ck_assert_str_eq(sc->sent[0], "AUTH PLAIN AHVzZXIAcGFzcw==");
	ck_assert_int_eq(sc->secret[0], 1);
	ck_assert_int_eq(end.code, 235);
	free(sc);
}
END_TEST

/* EXTERNAL: the identity to act as (the user, base64) or "=", never a
 * secret; nothing after a challenge. */
START_TEST(login_external)
{
	static const char *const ok[] = { "235 2.7.0 ok\r\n", NULL };
	static const char *const no[] = { "535 5.7.8 no\r\n", NULL };
	static const char *const chal[] = { "334 \r\n", NULL };
	struct sasl_io io;
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = ok;
	ck_assert_int_eq(run(sc, "EXTERNAL", &end), SASL_DONE);
	ck_assert_uint_eq(sc->nsent, 1);
	ck_assert_str_eq(sc->sent[0], "AUTH EXTERNAL dXNlcg==");
	ck_assert_int_eq(sc->secret[0], 0);
	memset(sc, 0, sizeof(*sc));
	sc->replies = no;
	io = (struct sasl_io){ sc, s_send, s_reply };
	smtp_rp_init(&sc->rp);
	ck_assert_int_eq(sasl_login(&io, "EXTERNAL", NULL, NULL, "srv", &end),
	    SASL_REFUSED);
	ck_assert_str_eq(sc->sent[0], "AUTH EXTERNAL =");
	ck_assert_int_eq(end.code, 535);
	memset(sc, 0, sizeof(*sc));
	sc->replies = chal;
	ck_assert_int_eq(run(sc, "EXTERNAL", &end), SASL_BROKEN);
	ck_assert_uint_eq(sc->nsent, 1);
	ck_assert_ptr_nonnull(strstr(end.why, "challenge to AUTH EXTERNAL"));
	free(sc);
}
END_TEST

START_TEST(login_login_refused)
{
	static const char *const r[] = { "334 VXNlcm5hbWU6\r\n",
	    "334 UGFzc3dvcmQ6\r\n", "535 5.7.8 no\r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r;
	ck_assert_int_eq(run(sc, "LOGIN", &end), SASL_REFUSED);
	ck_assert_uint_eq(sc->nsent, 3);
	ck_assert_str_eq(sc->sent[0], "AUTH LOGIN");
	ck_assert_str_eq(sc->sent[1], "dXNlcg==");
	ck_assert_str_eq(sc->sent[2], "cGFzcw==");
	ck_assert_int_eq(sc->secret[1] && sc->secret[2], 1);
	ck_assert_int_eq(end.code, 535);
	ck_assert_str_eq(end.text, "535 5.7.8 no");
	free(sc);
}
END_TEST

START_TEST(login_login_bad_challenge)
{
	static const char *const r[] = { "334 not*base64!\r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r;
	ck_assert_int_eq(run(sc, "LOGIN", &end), SASL_BROKEN);
	ck_assert_str_eq(end.why, "srv sent a malformed AUTH LOGIN challenge");
	/* Nothing of the credentials went out, nothing more was sent, and
	 * the exchange is still open at the server. */
	ck_assert_uint_eq(sc->nsent, 1);
	ck_assert_int_eq(end.open, 1);
	ck_assert_int_eq(end.again, 0);
	free(sc);
}
END_TEST

START_TEST(login_cram_empty_challenge)
{
	static const char *const r[] = { "334 \r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r;
	ck_assert_int_eq(run(sc, "CRAM-MD5", &end), SASL_BROKEN);
	ck_assert_ptr_nonnull(strstr(end.why, "malformed CRAM-MD5"));
	ck_assert_uint_eq(sc->nsent, 1);
	free(sc);
}
END_TEST

START_TEST(login_scram_no_signature)
{
	static const char *const r[] = {
		"334 cj1mYWtlbm9uY2Uscz1jMkZzZEE9PSxpPTQwOTY=\r\n", NULL
	};
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	/* The server's nonce does not extend ours: refused before the
	 * proof is sent. */
	sc->replies = r;
	ck_assert_int_eq(run(sc, "SCRAM-SHA-256", &end), SASL_BROKEN);
	ck_assert_uint_eq(sc->nsent, 1);
	ck_assert_ptr_nonnull(strstr(end.why, "SCRAM-SHA-256 with srv"));
	free(sc);
}
END_TEST

START_TEST(login_cancel_then_again)
{
	static const char *const r[] = { "334 not*base64!\r\n",
	    "501 5.7.0 cancelled\r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	/* A broken exchange the server ended on "*": another may follow. */
	struct sasl_io io = { sc, s_send, s_reply };

	sc->replies = r;
	ck_assert_int_eq(run(sc, "LOGIN", &end), SASL_BROKEN);
	ck_assert_int_eq(end.open, 1);
	ck_assert_int_eq(sasl_cancel(&io, &end), 0);
	ck_assert_str_eq(sc->sent[1], "*");
	ck_assert_int_eq(end.open, 0);
	ck_assert_int_eq(end.again, 1);
	/* With no answer to it, the session is done. */
	ck_assert_int_eq(sasl_cancel(&io, &end), -1);
	free(sc);
}
END_TEST

START_TEST(login_refusals_and_again)
{
	static const char *const r535[] = { "535 5.7.8 no\r\n", NULL };
	static const char *const r454[] = { "454 4.7.0 later\r\n", NULL };
	static const char *const r421[] = { "421 4.7.0 bye\r\n", NULL };
	static const char *const r334[] = { "334 \r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r535;
	ck_assert_int_eq(run(sc, "PLAIN", &end), SASL_REFUSED);
	ck_assert_int_eq(end.again, 1);
	memset(sc, 0, sizeof(*sc));
	sc->replies = r454;
	ck_assert_int_eq(run(sc, "PLAIN", &end), SASL_REFUSED);
	ck_assert_int_eq(end.again, 1);
	/* 421 closes the connection. */
	memset(sc, 0, sizeof(*sc));
	sc->replies = r421;
	ck_assert_int_eq(run(sc, "PLAIN", &end), SASL_REFUSED);
	ck_assert_int_eq(end.again, 0);
	/* A challenge to a complete PLAIN leaves the exchange open. */
	memset(sc, 0, sizeof(*sc));
	sc->replies = r334;
	ck_assert_int_eq(run(sc, "PLAIN", &end), SASL_REFUSED);
	ck_assert_int_eq(end.again, 0);
	free(sc);
}
END_TEST

/* A SCRAM server that knows no password: its first message extends the
 * client's nonce, then the last reply is given by scram_last. */
static const char *scram_last;

static const char *
scram_server(struct script *sc, char *buf, size_t len)
{
	const char *b64 = sc->sent[sc->nsent - 1] + strlen("AUTH SCRAM-SHA-256 ");
	unsigned char first[256], msg[256];
	const char *nonce;
	int n;

	if (sc->nsent > 1) {
		/* Base64 of the server-final message scram_last. */
		n = EVP_EncodeBlock((unsigned char *)buf + 4,
		    (const unsigned char *)scram_last, (int)strlen(scram_last));
		memcpy(buf, "334 ", 4);
		(void)snprintf(buf + 4 + n, len - 4 - (size_t)n, "\r\n");
		return (buf);
	}
	n = EVP_DecodeBlock(first, (const unsigned char *)b64,
	    (int)strlen(b64));
	ck_assert_int_gt(n, 0);
	first[n] = '\0';
	nonce = strstr((const char *)first, ",r=");
	ck_assert_ptr_nonnull(nonce);
	n = snprintf((char *)msg, sizeof(msg), "r=%sSRV,s=c2FsdA==,i=4096",
	    nonce + 3);
	n = EVP_EncodeBlock((unsigned char *)buf + 4, msg, n);
	memcpy(buf, "334 ", 4);
	(void)snprintf(buf + 4 + n, len - 4 - (size_t)n, "\r\n");
	return (buf);
}

START_TEST(login_scram_forged)
{
	static const char *const sig[] = { "@", "@", NULL };
	static const char *const ok[] = { "@", "235 2.7.0 ok\r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	/* A signature that does not verify: an attack, never a refusal. */
	sc->replies = sig;
	sc->make = scram_server;
	scram_last = "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	ck_assert_int_eq(run(sc, "SCRAM-SHA-256", &end), SASL_FORGED);
	ck_assert_ptr_nonnull(strstr(end.why, "does not verify"));
	/* Success without a signature: the same. */
	memset(sc, 0, sizeof(*sc));
	sc->replies = ok;
	sc->make = scram_server;
	ck_assert_int_eq(run(sc, "SCRAM-SHA-256", &end), SASL_FORGED);
	ck_assert_ptr_nonnull(strstr(end.why, "without the server's"));
	/* An empty server-final message: no signature, said so. */
	memset(sc, 0, sizeof(*sc));
	sc->replies = sig;
	sc->make = scram_server;
	scram_last = "";
	ck_assert_int_eq(run(sc, "SCRAM-SHA-256", &end), SASL_FORGED);
	ck_assert_ptr_nonnull(strstr(end.why, "no server signature"));
	free(sc);
}
END_TEST

START_TEST(login_scram_server_error)
{
	static const char *const r[] = { "@", "@", "501 5.7.0 x\r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	/* "e=" is the server saying no rather than a wrong signature, but
	 * it holds the proof: no "*", and no other mechanism after it (a
	 * server that could not sign would get the password from one). */
	sc->replies = r;
	sc->make = scram_server;
	scram_last = "e=invalid-proof";
	ck_assert_int_eq(run(sc, "SCRAM-SHA-256", &end), SASL_BROKEN);
	ck_assert_int_eq(end.open, 0);
	ck_assert_int_eq(end.again, 0);
	ck_assert_uint_eq(sc->nsent, 2);
	free(sc);
}
END_TEST

START_TEST(login_scram_refusals)
{
	static const char *const early[] = { "535 5.7.8 no\r\n", NULL };
	static const char *const late[] = { "@", "535 5.7.8 no\r\n", NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	/* Refused at the first message (a server that cannot do SCRAM for
	 * this user): another mechanism may follow. */
	sc->replies = early;
	ck_assert_int_eq(run(sc, "SCRAM-SHA-256", &end), SASL_REFUSED);
	ck_assert_int_eq(end.again, 1);
	/* Refused after the proof: that is the end. */
	memset(sc, 0, sizeof(*sc));
	sc->replies = late;
	sc->make = scram_server;
	ck_assert_int_eq(run(sc, "SCRAM-SHA-256", &end), SASL_REFUSED);
	ck_assert_uint_eq(sc->nsent, 2);
	ck_assert_int_eq(end.code, 535);
	ck_assert_int_eq(end.again, 0);
	free(sc);
}
END_TEST

START_TEST(login_io_failure)
{
	static const char *const r[] = { NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r;
	sc->fail_send = 1;
	ck_assert_int_eq(run(sc, "PLAIN", &end), SASL_IO);
	ck_assert_int_eq(end.code, 0);
	free(sc);
}
END_TEST

START_TEST(login_unknown)
{
	static const char *const r[] = { NULL };
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r;
	ck_assert_int_eq(run(sc, "GSSAPI", &end), SASL_BROKEN);
	ck_assert_str_eq(end.why, "AUTH GSSAPI is not available");
	ck_assert_uint_eq(sc->nsent, 0);
	free(sc);
}
END_TEST

/* Credentials that need SASLprep: SCRAM refused here, nothing sent, and
 * the session may go on with another mechanism. */
START_TEST(login_scram_saslprep)
{
	static const char *const r[] = { NULL };
	struct sasl_io io;
	struct script *sc = calloc(1, sizeof(*sc));
	struct sasl_end end;

	sc->replies = r;
	io.arg = sc;
	io.send = s_send;
	io.reply = s_reply;
	smtp_rp_init(&sc->rp);
	ck_assert_int_eq(sasl_login(&io, "SCRAM-SHA-256", "user",
	    "p\xc3\xa4ss", "srv", &end), SASL_BROKEN);
	ck_assert_uint_eq(sc->nsent, 0);
	ck_assert_ptr_nonnull(strstr(end.why, "SASLprep"));
	ck_assert_int_eq(end.again, 1);
	ck_assert_int_eq(end.open, 0);
	ck_assert_int_eq(sasl_login(&io, "SCRAM-SHA-256", "\xc3\xa4",
	    "pass", "srv", &end), SASL_BROKEN);
	ck_assert_uint_eq(sc->nsent, 0);
	free(sc);
}
END_TEST

/* A mechanism put first: only one the plan holds, the rest in order. */
START_TEST(plan_first)
{
	const char *plan[SASL_MAX_TRY] = { "SCRAM-SHA-256", "CRAM-MD5",
	    "LOGIN" };

	ck_assert_int_eq(sasl_plan_first(plan, 3, "LOGIN"), 0);
	ck_assert_str_eq(plan[0], "LOGIN");
	ck_assert_str_eq(plan[1], "SCRAM-SHA-256");
	ck_assert_str_eq(plan[2], "CRAM-MD5");
	ck_assert_int_eq(sasl_plan_first(plan, 3, "PLAIN"), -1);
	ck_assert_int_eq(sasl_plan_first(plan, 3, "XOAUTH2"), -1);
	ck_assert_str_eq(plan[0], "LOGIN");
	ck_assert_str_eq(plan[1], "SCRAM-SHA-256");
	ck_assert_str_eq(plan[2], "CRAM-MD5");
	ck_assert_int_eq(sasl_plan_first(plan, 3, "LOGIN"), 0);
	ck_assert_str_eq(plan[0], "LOGIN");
	ck_assert_int_eq(sasl_plan_first(plan, 0, "LOGIN"), -1);
}
END_TEST

/* ---- the program's own AUTH, answered here ---- */

START_TEST(local_plain_and_login)
{
	struct sasl_local l;

	memset(&l, 0, sizeof(l));
	ck_assert_str_eq(sasl_local_auth(&l, "PLAIN"), "334 ");
	ck_assert_int_eq(l.step, SASL_LOCAL_PLAIN);
	ck_assert_str_eq(sasl_local_line(&l, "AHUAcA==", 8),
	    "235 2.7.0 Authentication successful");
	ck_assert_int_eq(l.step, SASL_LOCAL_IDLE);
	ck_assert_str_eq(sasl_local_auth(&l, "LOGIN"),
	    "503 5.5.1 Already authenticated");

	memset(&l, 0, sizeof(l));
	ck_assert_str_eq(sasl_local_auth(&l, "login"), "334 VXNlcm5hbWU6");
	ck_assert_str_eq(sasl_local_line(&l, "dQ==", 4), "334 UGFzc3dvcmQ6");
	ck_assert_str_eq(sasl_local_line(&l, "cA==", 4),
	    "235 2.7.0 Authentication successful");
	ck_assert_int_eq(l.authed, 1);

	memset(&l, 0, sizeof(l));
	ck_assert_str_eq(sasl_local_auth(&l, "PLAIN AHUAcA=="),
	    "235 2.7.0 Authentication successful");
	memset(&l, 0, sizeof(l));
	ck_assert_str_eq(sasl_local_auth(&l, "LOGIN dQ=="), "334 UGFzc3dvcmQ6");
	ck_assert_int_eq(l.step, SASL_LOCAL_PASS);
}
END_TEST

START_TEST(local_cancel_and_others)
{
	struct sasl_local l;

	memset(&l, 0, sizeof(l));
	(void)sasl_local_auth(&l, "LOGIN");
	ck_assert_str_eq(sasl_local_line(&l, "*", 1),
	    "501 5.7.0 Authentication cancelled");
	ck_assert_int_eq(l.step, SASL_LOCAL_IDLE);
	ck_assert_int_eq(l.authed, 0);
	ck_assert_ptr_nonnull(strstr(sasl_local_auth(&l, "CRAM-MD5"), "504"));
	ck_assert_ptr_nonnull(strstr(sasl_local_auth(&l, "PLAINX"), "504"));
	ck_assert_int_eq(l.step, SASL_LOCAL_IDLE);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc = tcase_create("all");

	tcase_add_test(tc, words_round_trip);
	tcase_add_test(tc, plan_auto_order);
	tcase_add_test(tc, plan_refusals);
	tcase_add_test(tc, login_plain_done);
	tcase_add_test(tc, login_login_refused);
	tcase_add_test(tc, login_external);
	tcase_add_test(tc, login_login_bad_challenge);
	tcase_add_test(tc, login_cram_empty_challenge);
	tcase_add_test(tc, login_scram_no_signature);
	tcase_add_test(tc, login_cancel_then_again);
	tcase_add_test(tc, login_refusals_and_again);
	tcase_add_test(tc, login_scram_forged);
	tcase_add_test(tc, login_scram_server_error);
	tcase_add_test(tc, login_scram_refusals);
	tcase_add_test(tc, login_io_failure);
	tcase_add_test(tc, login_unknown);
	tcase_add_test(tc, login_scram_saslprep);
	tcase_add_test(tc, plan_first);
	tcase_add_test(tc, local_plain_and_login);
	tcase_add_test(tc, local_cancel_and_others);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (run_suite(suite()));
}
