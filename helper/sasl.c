/*
 * sasl: the mechanism table, the choice, the exchanges with the server,
 * and the local answer to the program's AUTH.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "sasl.h"
#include "util.h"
#include "weaken.h"

/* One row for each mechanism: its submit.conf word and its SASL name. */
static const struct {
	enum sasl_mech mech;
	const char *word;
	const char *name;
} mechs[] = {
	{ SASL_AUTO, "on", NULL },
	{ SASL_OFF, "off", NULL },
	{ SASL_PLAIN, "plain", "PLAIN" },
	{ SASL_LOGIN, "login", "LOGIN" },
	{ SASL_CRAM_MD5, "cram-md5", "CRAM-MD5" },
	{ SASL_SCRAM_SHA_256, "scram-sha-256", "SCRAM-SHA-256" },
	{ SASL_XOAUTH2, "xoauth2", "XOAUTH2" },
	{ SASL_OAUTHBEARER, "oauthbearer", "OAUTHBEARER" },
	{ SASL_EXTERNAL, "external", "EXTERNAL" },
};
#define NMECHS	(sizeof(mechs) / sizeof(mechs[0]))

/* The row of m, or NMECHS. */
static size_t
row_of(enum sasl_mech m)
{
	size_t i;

	for (i = 0; i < NMECHS && mechs[i].mech != m; i++)
		;
	return (i);
}

const char *
sasl_mech_word(enum sasl_mech m)
{
	size_t i = row_of(m);

	return (i < NMECHS ? mechs[i].word : "?");
}

const char *
sasl_mech_name(enum sasl_mech m)
{
	size_t i = row_of(m);

	return (i < NMECHS ? mechs[i].name : NULL);
}

const char *
sasl_name_word(const char *name)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (mechs[i].name != NULL && strcmp(mechs[i].name, name) == 0)
			return (mechs[i].word);
	return ("?");
}

int
sasl_mech_parse(const char *word, enum sasl_mech *m)
{
	size_t i;

	if (*word == '\0') {
		*m = SASL_AUTO;
		return (0);
	}
	for (i = 0; i < NMECHS; i++)
		if (strcasecmp(word, mechs[i].word) == 0) {
			*m = mechs[i].mech;
			return (0);
		}
	return (-1);
}

/* ---- the choice ---- */

int
sasl_plan(enum sasl_mech want, const char *offered, const char *peer,
    const char *plan[SASL_MAX_TRY], char *why, size_t whylen)
{
	/* msmtp's order over TLS (1.8.23, with GNU SASL). */
	static const char *const order[SASL_MAX_TRY] = {
		"PLAIN", "SCRAM-SHA-256", "CRAM-MD5", "LOGIN"
	};
	const char *name;
	size_t i;
	int n = 0;

	if (want != SASL_AUTO) {
		name = sasl_mech_name(want);
		if (name == NULL || !smtp_mech_in(offered, name)) {
			(void)snprintf(why, whylen, "%s does not offer AUTH %s "
			    "(it offers: %s)", peer, name != NULL ? name : "?",
			    offered[0] != '\0' ? offered : "nothing");
			return (0);
		}
		plan[0] = name;
		return (1);
	}
	if (offered[0] == '\0') {
		(void)snprintf(why, whylen, "%s offers no AUTH after TLS",
		    peer);
		return (0);
	}
	/* SCRAM is in it for credentials that need SASLprep too:
	 * login_scram() refuses it before sending anything, and that
	 * refusal is a step of the plan like the server's own. */
	for (i = 0; i < SASL_MAX_TRY; i++) {
		if (smtp_mech_in(offered, order[i]))
			plan[n++] = order[i];
	}
	if (n == 0)
		(void)snprintf(why, whylen, "%s offers none of the mechanisms "
		    "submitify speaks (it offers: %s)", peer, offered);
	return (n);
}

int
sasl_plan_first(const char *plan[SASL_MAX_TRY], int n, const char *name)
{
	const char *keep;
	int i;

	for (i = 0; i < n && strcmp(plan[i], name) != 0; i++)
		;
	if (i == n)
		return (-1);
	/* The others keep their order behind it. */
	keep = plan[i];
	for (; i > 0; i--)
		plan[i] = plan[i - 1];
	plan[0] = keep;
	return (0);
}

/* ---- the exchanges ---- */

/* The reply's first line, without CRLF: its length. */
static int
first_len(const struct smtp_reply *r)
{
	const char *nl = memchr(r->raw, '\r', r->len);

	return ((int)(nl != NULL ? (size_t)(nl - r->raw) : r->len));
}

/* A 334 challenge's text (after "334 "), decoded; NULL on junk. */
static unsigned char *
challenge(const struct smtp_reply *r, long *n)
{
	unsigned char *out;
	int len = first_len(r);

	if (r->code != 334 || r->nlines != 1 || len < 3)
		return (NULL);
	if (len <= 4) {
		if ((out = calloc(1, 1)) != NULL)
			*n = 0;
		return (out);
	}
	*n = b64_decode(r->raw + 4, (size_t)(len - 4), &out);
	return (*n < 0 ? NULL : out);
}

/* Is this a strict base64 challenge (possibly empty)? */
static int
good_challenge(const struct smtp_reply *r)
{
	unsigned char *out;
	long n;

	if ((out = challenge(r, &n)) == NULL)
		return (0);
	explicit_bzero(out, (size_t)n);
	free(out);
	return (1);
}

/* One exchange in progress. */
struct xchg {
	const struct sasl_io *io;
	const char *peer;
	struct sasl_end *end;
	struct smtp_reply r;	/* the last reply */
	int broken;
	int forged;		/* the server did not prove itself */
	int final;		/* whatever the end, no other mechanism may
				   follow: the server holds a SCRAM proof */
};

static int broke(struct xchg *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* The server broke the exchange: say how; returns -1. */
static int
broke(struct xchg *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(x->end->why, sizeof(x->end->why), fmt, ap);
	va_end(ap);
	x->broken = 1;
	return (-1);
}

/* Send a command line and read its reply. */
static int
ask(struct xchg *x, const char *line, int secret)
{

	if (x->io->send(x->io->arg, line, secret) != 0 ||
	    x->io->reply(x->io->arg, &x->r) != 0)
		return (-1);
	return (0);
}

/* Send prefix + resp (resp holds a secret and is wiped), read the reply. */
static int
ask_secret(struct xchg *x, const char *prefix, char *resp)
{
	char *line;
	int rc;

	if (resp == NULL)
		return (broke(x, "out of memory"));
	if (asprintf(&line, "%s%s", prefix, resp) < 0) {
		wipe_free(resp);
		return (broke(x, "out of memory"));
	}
	wipe_free(resp);
	rc = ask(x, line, 1);
	wipe_free(line);
	return (rc);
}

static int
login_plain(struct xchg *x, const char *user, const char *secret)
{

	return (ask_secret(x, "AUTH PLAIN ", auth_plain(user, secret)));
}

static int
login_login(struct xchg *x, const char *user, const char *secret)
{
	const char *answer[2] = { user, secret };
	int step;

	if (ask(x, "AUTH LOGIN", 0) != 0)
		return (-1);
	for (step = 0; step < 2 && x->r.code == 334; step++) {
		if (!WEAKEN_LAX_AUTH && !good_challenge(&x->r))
			return (broke(x, "%s sent a malformed AUTH LOGIN "
			    "challenge", x->peer));
		if (ask_secret(x, "", b64_encode(answer[step],
		    strlen(answer[step]))) != 0)
			return (-1);
	}
	return (0);
}

static int
login_oauth(struct xchg *x, const char *mech, const char *user,
    const char *secret)
{
	int xoauth2 = strcmp(mech, "XOAUTH2") == 0;
	char prefix[32];

	(void)fmt_whole(prefix, sizeof(prefix), "AUTH %s ", mech);
	if (ask_secret(x, prefix, xoauth2 ? auth_xoauth2(user, secret) :
	    auth_oauthbearer(user, secret)) != 0)
		return (-1);
	/* A 334 carries the server's error; end the exchange. */
	if (x->r.code == 334 && ask(x, xoauth2 ? "" : "AQ==", 0) != 0)
		return (-1);
	return (0);
}

/*
 * EXTERNAL (RFC 4422 appendix A): the TLS client certificate is the
 * credential; the message is only the identity to act as (the user, as
 * msmtp sends it), or "=" for the one the certificate stands for.  No
 * secret, and a challenge after the initial response is refused.
 */
static int
login_external(struct xchg *x, const char *user)
{
	char *line, *b64 = NULL;
	int rc;

	if (user != NULL && *user != '\0' &&
	    (b64 = b64_encode(user, strlen(user))) == NULL)
		return (broke(x, "out of memory"));
	if (asprintf(&line, "AUTH EXTERNAL %s", b64 != NULL ? b64 : "=") < 0) {
		free(b64);
		return (broke(x, "out of memory"));
	}
	free(b64);
	rc = ask(x, line, 0);
	free(line);
	if (rc == 0 && x->r.code == 334)
		return (broke(x, "%s sent a challenge to AUTH EXTERNAL, which "
		    "has nothing more to say", x->peer));
	return (rc);
}

static int
login_cram(struct xchg *x, const char *user, const char *secret)
{
	unsigned char *chal;
	long n = 0;
	int rc;

	if (ask(x, "AUTH CRAM-MD5", 0) != 0)
		return (-1);
	if (x->r.code != 334)
		return (0);
	if ((chal = challenge(&x->r, &n)) == NULL || n == 0) {
		free(chal);
		return (broke(x, "%s sent a malformed CRAM-MD5 challenge",
		    x->peer));
	}
	rc = ask_secret(x, "", auth_cram_md5(user, secret, chal, (size_t)n));
	free(chal);
	return (rc);
}

static int
login_scram(struct xchg *x, const char *user, const char *secret)
{
	struct scram sc;
	char *msg;
	int rc = -1;

	if (!auth_sasl_ready(user) || !auth_sasl_ready(secret))
		return (broke(x, "SCRAM-SHA-256 not tried: a non-ASCII user "
		    "name or password needs SASLprep (RFC 4013)"));
	if ((msg = scram_first(&sc, user, NULL)) == NULL) {
		(void)broke(x, "SCRAM: %s", sc.err);
		goto out;
	}
	if (ask_secret(x, "AUTH SCRAM-SHA-256 ", msg) != 0)
		goto out;
	if (x->r.code != 334) {
		rc = 0;
		goto out;
	}
	if (first_len(&x->r) <= 4 || (msg = scram_final(&sc, secret,
	    x->r.raw + 4, (size_t)(first_len(&x->r) - 4))) == NULL) {
		(void)broke(x, "SCRAM-SHA-256 with %s: %s", x->peer,
		    sc.err != NULL ? sc.err : "bad challenge");
		goto out;
	}
	if (ask_secret(x, "", msg) != 0)
		goto out;
	/*
	 * The server has the proof now.  Only its signature shows that it
	 * knew the password; a server that answers anything else (a refusal,
	 * "e=") may be one that could not, and another mechanism would hand
	 * it the password itself.
	 */
	x->final = 1;
	if (x->r.code == 334) {
		/* The server's signature proves it knew the password too. */
		if (!WEAKEN_LAX_AUTH && (first_len(&x->r) <= 4 ||
		    scram_verify(&sc, x->r.raw + 4,
		    (size_t)(first_len(&x->r) - 4)) != 0)) {
			(void)broke(x, "SCRAM-SHA-256 with %s: %s", x->peer,
			    sc.err != NULL ? sc.err : "no server signature");
			x->forged = !sc.server_error;
			goto out;
		}
		if (ask(x, "", 0) != 0)
			goto out;
	} else if (x->r.code == 235) {
		(void)broke(x, "SCRAM-SHA-256 with %s: success without the "
		    "server's signature", x->peer);
		x->forged = 1;
		goto out;
	}
	rc = 0;
out:
	scram_free(&sc);
	return (rc);
}

/* Does a final reply with this code leave the session open for another
 * AUTH?  A refusal does (RFC 4954); 421 closes the connection. */
static int
over(int code)
{

	return (code >= 400 && code < 600 && code != 421);
}

int
sasl_cancel(const struct sasl_io *io, struct sasl_end *end)
{
	struct smtp_reply r;

	if (io->send(io->arg, "*", 0) != 0 || io->reply(io->arg, &r) != 0)
		return (-1);
	end->open = 0;
	end->again = over(r.code);
	return (0);
}

enum sasl_result
sasl_login(const struct sasl_io *io, const char *mech, const char *user,
    const char *secret, const char *peer, struct sasl_end *end)
{
	struct xchg x;
	int rc;

	memset(&x, 0, sizeof(x));
	memset(end, 0, sizeof(*end));
	x.io = io;
	x.peer = peer;
	x.end = end;
	if (strcmp(mech, "PLAIN") == 0)
		rc = login_plain(&x, user, secret);
	else if (strcmp(mech, "LOGIN") == 0)
		rc = login_login(&x, user, secret);
	else if (strcmp(mech, "XOAUTH2") == 0 ||
	    strcmp(mech, "OAUTHBEARER") == 0)
		rc = login_oauth(&x, mech, user, secret);
	else if (strcmp(mech, "CRAM-MD5") == 0)
		rc = login_cram(&x, user, secret);
	else if (strcmp(mech, "SCRAM-SHA-256") == 0)
		rc = login_scram(&x, user, secret);
	else if (strcmp(mech, "EXTERNAL") == 0)
		rc = login_external(&x, user);
	else
		rc = broke(&x, "AUTH %s is not available", mech);
	if (rc != 0 && x.forged)
		return (SASL_FORGED);
	if (rc != 0 && !x.broken)
		return (SASL_IO);
	if (rc != 0) {
		/* Nothing sent yet, or the last reply ended the exchange. */
		end->open = x.r.code == 334 && !x.final;
		end->again = !x.final && (x.r.code == 0 || over(x.r.code));
		return (SASL_BROKEN);
	}
	end->code = x.r.code;
	(void)snprintf(end->text, sizeof(end->text), "%.*s",
	    first_len(&x.r), x.r.raw);
	end->again = !x.final && over(x.r.code);
	return (x.r.code == 235 ? SASL_DONE : SASL_REFUSED);
}

/* ---- the program's own AUTH, answered locally ---- */

#define R_OK		"235 2.7.0 Authentication successful"
#define R_USER		"334 VXNlcm5hbWU6"	/* "Username:" */
#define R_PASS		"334 UGFzc3dvcmQ6"	/* "Password:" */

/* Is arg "NAME" or "NAME initial-response", NAME in any case? */
static int
is_mech(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return (strncasecmp(arg, name, n) == 0 &&
	    (arg[n] == '\0' || arg[n] == ' '));
}

const char *
sasl_local_auth(struct sasl_local *l, const char *arg)
{
	const char *ir = strchr(arg, ' ');
	int initial = ir != NULL && ir[1] != '\0';

	if (l->authed)
		return ("503 5.5.1 Already authenticated");
	if (is_mech(arg, "PLAIN")) {
		if (initial) {
			l->authed = 1;
			return (R_OK);
		}
		l->step = SASL_LOCAL_PLAIN;
		return ("334 ");
	}
	if (is_mech(arg, "LOGIN")) {
		l->step = initial ? SASL_LOCAL_PASS : SASL_LOCAL_USER;
		return (initial ? R_PASS : R_USER);
	}
	return ("504 5.5.4 submitify: use AUTH PLAIN or LOGIN; submitify "
	    "authenticates to the server itself");
}

const char *
sasl_local_line(struct sasl_local *l, const char *line, size_t len)
{

	if (len == 1 && line[0] == '*') {
		l->step = SASL_LOCAL_IDLE;
		return ("501 5.7.0 Authentication cancelled");
	}
	if (l->step == SASL_LOCAL_USER) {
		l->step = SASL_LOCAL_PASS;
		return (R_PASS);
	}
	l->step = SASL_LOCAL_IDLE;
	l->authed = 1;
	return (R_OK);
}
