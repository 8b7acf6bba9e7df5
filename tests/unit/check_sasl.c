/*
 * Unit tests for helper/sasl: the mechanism table, the choice among what
 * a server offers, the exchanges (against a scripted server on the other
 * side of struct sasl_io), and the local answer to the program's AUTH.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"
#include "smtp.h"

/* ---- the table ---- */

START_TEST(words_round_trip)
{
	static const enum sasl_mech all[] = {
		SASL_AUTO, SASL_OFF, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5,
		SASL_SCRAM_SHA_256, SASL_XOAUTH2, SASL_OAUTHBEARER
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

/* ---- the choice ---- */

START_TEST(choose_auto_order)
{
	char why[300];

	ck_assert_str_eq(sasl_choose(SASL_AUTO, "PLAIN LOGIN CRAM-MD5 "
	    "SCRAM-SHA-256", "u", "p", "srv", why, sizeof(why)),
	    "SCRAM-SHA-256");
	ck_assert_str_eq(sasl_choose(SASL_AUTO, "CRAM-MD5 LOGIN PLAIN", "u",
	    "p", "srv", why, sizeof(why)), "PLAIN");
	ck_assert_str_eq(sasl_choose(SASL_AUTO, "CRAM-MD5 LOGIN", "u", "p",
	    "srv", why, sizeof(why)), "LOGIN");
	ck_assert_str_eq(sasl_choose(SASL_AUTO, "CRAM-MD5", "u", "p", "srv",
	    why, sizeof(why)), "CRAM-MD5");
	/* Non-ASCII credentials would need SASLprep: not SCRAM. */
	ck_assert_str_eq(sasl_choose(SASL_AUTO, "SCRAM-SHA-256 PLAIN", "u",
	    "p\xc3\xa4", "srv", why, sizeof(why)), "PLAIN");
}
END_TEST

START_TEST(choose_refusals)
{
	char why[300];

	ck_assert_ptr_null(sasl_choose(SASL_AUTO, "", "u", "p", "srv", why,
	    sizeof(why)));
	ck_assert_str_eq(why, "srv offers no AUTH after TLS");
	ck_assert_ptr_null(sasl_choose(SASL_AUTO, "GSSAPI NTLM", "u", "p",
	    "srv", why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "offers none of the mechanisms"));
	/* A mechanism the account names is never replaced by another. */
	ck_assert_ptr_null(sasl_choose(SASL_SCRAM_SHA_256, "PLAIN LOGIN", "u",
	    "p", "srv", why, sizeof(why)));
	ck_assert_str_eq(why, "srv does not offer AUTH SCRAM-SHA-256 (it "
	    "offers: PLAIN LOGIN)");
	ck_assert_str_eq(sasl_choose(SASL_LOGIN, "PLAIN LOGIN", "u", "p",
	    "srv", why, sizeof(why)), "LOGIN");
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
	/* Nothing of the credentials went out. */
	ck_assert_uint_eq(sc->nsent, 1);
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
	tcase_add_test(tc, choose_auto_order);
	tcase_add_test(tc, choose_refusals);
	tcase_add_test(tc, login_plain_done);
	tcase_add_test(tc, login_login_refused);
	tcase_add_test(tc, login_login_bad_challenge);
	tcase_add_test(tc, login_cram_empty_challenge);
	tcase_add_test(tc, login_scram_no_signature);
	tcase_add_test(tc, login_io_failure);
	tcase_add_test(tc, login_unknown);
	tcase_add_test(tc, local_plain_and_login);
	tcase_add_test(tc, local_cancel_and_others);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
