/*
 * sasl: SMTP AUTH, all of it in one place.  The table of mechanisms (the
 * words submit.conf uses and the names servers use), the choice among
 * what the server offers, every exchange with the server, and the local
 * answer to the program's own AUTH when submitify holds the credentials.
 *
 * It knows no socket, no TLS and no session: it talks to the server
 * through struct sasl_io, and returns a result that the caller reports.
 * The encodings themselves (PLAIN, CRAM-MD5, SCRAM, ...) are auth.c's.
 */
#ifndef SUBMITIFY_SASL_H
#define SUBMITIFY_SASL_H

#include <stddef.h>

#include "smtp.h"

/* What an account asks for: a mechanism, the best offered, or none. */
enum sasl_mech {
	SASL_AUTO,		/* "on": the best mechanism offered */
	SASL_OFF,		/* "off": inject nothing */
	SASL_PLAIN,
	SASL_LOGIN,
	SASL_CRAM_MD5,
	SASL_SCRAM_SHA_256,
	SASL_XOAUTH2,
	SASL_OAUTHBEARER,
	SASL_EXTERNAL		/* RFC 4422 appendix A: the client
				   certificate authenticates */
};

/* The submit.conf word for m ("on", "plain", ...); never NULL. */
const char *sasl_mech_word(enum sasl_mech m);

/*
 * The mechanism a submit.conf word names (any case; "" is "on").
 * Returns 0, or -1 if word names none.
 */
int sasl_mech_parse(const char *word, enum sasl_mech *m);

/* The words sasl_mech_parse() takes, for an error message. */
#define SASL_MECH_WORDS	"on, off or one of plain, login, cram-md5, " \
			"scram-sha-256, xoauth2, oauthbearer, external"

/* The most mechanisms one session tries. */
#define SASL_MAX_TRY	4

/*
 * The mechanisms to try for want among offered (the server's post-TLS
 * AUTH list, upper-case, space-separated), in order, into plan.  With
 * SASL_AUTO every offered one of msmtp's order over TLS among those
 * submitify speaks: PLAIN, SCRAM-SHA-256, CRAM-MD5, LOGIN; the caller
 * tries the next when one fails.  (SCRAM-SHA-256 is in it even when user
 * name or password needs SASLprep: sasl_login() then refuses it,
 * sending nothing, and the next follows.)
 * A mechanism the account names is the only one.  Returns how many, or 0
 * with the reason in why (naming peer, the server).
 */
int sasl_plan(enum sasl_mech want, const char *offered, const char *peer,
    const char *plan[SASL_MAX_TRY], char *why, size_t whylen);

/*
 * Move the mechanism called name to the front of plan (n entries), the
 * others keeping their order behind it.  Returns 0, or -1 when name is
 * not in plan (plan unchanged): nothing but a reordering of what the plan
 * already holds.
 */
int sasl_plan_first(const char *plan[SASL_MAX_TRY], int n, const char *name);

/* How the exchange with the server goes on: the caller's I/O. */
struct sasl_io {
	void *arg;
	/*
	 * Send one command line (no CRLF); secret says it carries credentials
	 * (not to be logged).  Returns 0, or -1 when the connection failed
	 * (the caller knows why).
	 */
	int (*send)(void *arg, const char *line, int secret);
	/* Read the next whole reply into *r.  0, or -1 as send. */
	int (*reply)(void *arg, struct smtp_reply *r);
};

enum sasl_result {
	SASL_DONE,		/* 235: authenticated */
	SASL_REFUSED,		/* the server's final reply was not 235 */
	SASL_BROKEN,		/* the server broke the exchange (why) */
	SASL_FORGED,		/* the server did not prove it knows the
				   password (SCRAM): an attack (why) */
	SASL_IO			/* send or reply failed */
};

/* What an exchange ended with, for the caller to report. */
struct sasl_end {
	int code;		/* the server's last reply code, 0 if none */
	char text[320];		/* its first line, without CRLF */
	char why[320];		/* SASL_BROKEN, SASL_FORGED: what was wrong */
	int again;		/* REFUSED, BROKEN: the exchange is over and
				   the session can take another AUTH (never
				   after a SCRAM proof was sent) */
	int open;		/* BROKEN: the server still waits for an
				   answer: sasl_cancel() ends the exchange */
};

/*
 * Authenticate as user with secret using mech (a name sasl_plan()
 * returned), naming peer in messages.  Every line holding credentials is
 * wiped after it was sent.  An exchange the server broke is left as it
 * is: nothing more is sent unless the caller cancels it.
 */
enum sasl_result sasl_login(const struct sasl_io *io, const char *mech,
    const char *user, const char *secret, const char *peer,
    struct sasl_end *end);

/*
 * End an exchange that broke while open (end->open) with "*" (RFC 4954),
 * for another AUTH to follow.  Returns 0 and sets end->again when the
 * server's answer ended it; -1 when send or reply failed.
 */
int sasl_cancel(const struct sasl_io *io, struct sasl_end *end);

/* The server's name for m (SASL_PLAIN: "PLAIN"); NULL for AUTO and OFF. */
const char *sasl_mech_name(enum sasl_mech m);

/* The submit.conf word for a server's name ("PLAIN": "plain"); "?" for
 * one submitify does not speak. */
const char *sasl_name_word(const char *name);

/*
 * The program's own AUTH, when submitify holds the credentials: answered
 * here with the replies of a server that accepts anything, and the
 * program's credentials dropped.  PLAIN and LOGIN only.
 */
enum sasl_local_step {
	SASL_LOCAL_IDLE,	/* no exchange going on */
	SASL_LOCAL_PLAIN,	/* the PLAIN response comes next */
	SASL_LOCAL_USER,	/* the LOGIN user name comes next */
	SASL_LOCAL_PASS		/* the LOGIN password comes next */
};

struct sasl_local {
	enum sasl_local_step step;
	int authed;		/* the program was told 235 */
};

/* The reply (no CRLF) to "AUTH arg" from the program. */
const char *sasl_local_auth(struct sasl_local *l, const char *arg);

/* The reply to the program's next line within an exchange (step not
 * IDLE); line is its answer, len bytes, and is not kept. */
const char *sasl_local_line(struct sasl_local *l, const char *line,
    size_t len);

#endif
