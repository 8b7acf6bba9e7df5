/*
 * session: one program connection and its upstream submission session.
 *
 * session_setup() opens the upstream side (TCP, TLS, EHLO, AUTH) while the
 * program waits for its greeting; relay_run() (relay.c) then relays.
 * Failures are classified so the program gets a 421 naming the cause.
 */
#ifndef SUBMITIFY_SESSION_H
#define SUBMITIFY_SESSION_H

#include <stddef.h>

#include "conf.h"
#include "smtp.h"
#include "upstream.h"

/* Why a session failed; picks the wording and the wrapper's exit code. */
enum fail_class {
	FAIL_NONE,
	FAIL_CONFIG,		/* submit.conf, secrets */
	FAIL_CONNECT,		/* DNS, TCP */
	FAIL_TLS,		/* STARTTLS missing/refused, handshake */
	FAIL_CERT,		/* certificate not trusted */
	FAIL_AUTH,		/* AUTH refused or impossible */
	FAIL_PROTOCOL,		/* the server broke SMTP */
	FAIL_TIMEOUT,
	FAIL_PROGRAM		/* the program broke SMTP */
};

/*
 * The steps of session_setup(), in the order they happen, for whoever
 * watches them (submitify --check prints them).  text and more are
 * NUL-terminated and last for the call only; (server) marks text that
 * quotes the server and must be escaped before it reaches a terminal.
 */
enum session_event {
	SEV_CONNECTED,		/* text: host:port, or the socket's path */
	SEV_GREETING,		/* text: the greeting's first line (server) */
	SEV_TLS,		/* text: the version; more: the cipher suite */
	SEV_CERT,		/* text: the certificate, "label: value" lines
				 * (server) */
	SEV_TRUST,		/* text: where the trusted CAs come from */
	SEV_VERIFY_OK,		/* chain trusted and host name matches */
	SEV_VERIFY_PINNED,	/* the certificate matches tls_fingerprint */
	SEV_VERIFY_OFF,		/* not checked: tls_certcheck off */
	SEV_VERIFY_FAILED,	/* text: why (server) */
	SEV_AUTH_OFFERED,	/* text: the mechanisms after TLS, "" for none
				 * (server) */
	SEV_AUTH_RELAYED,	/* no user: the program's own AUTH is relayed */
	SEV_AUTH_OFF,		/* auth off: no AUTH at all */
	SEV_PASSWORDEVAL,	/* text: what the failing command said */
	SEV_AUTH_REMEMBERED,	/* text: the mechanism that worked after a
				 * fallback before, tried first; more: the
				 * file that says so */
	SEV_AUTH_CHOSEN,	/* text: the mechanism; more: the user */
	SEV_AUTH_RESULT,	/* text: the server's last reply (server) */
	SEV_AUTH_FALLBACK,	/* text: the mechanism that worked; more: the
				 * ones tried before, with the server's
				 * replies (server) */
	SEV_CLIENT_CERT		/* text: the subject of the client
				 * certificate sent, or NULL when the server
				 * asked for none; more: tls_cert_file */
};

/* Told of each step; more is NULL but where the event says otherwise. */
struct session_observer {
	void (*event)(void *arg, enum session_event ev, const char *text,
	    const char *more);
	void *arg;
};

struct session {
	const struct conf_account *acct; /* NULL until a sender chose one */
	const struct conf *byconf;	/* not NULL: each MAIL's sender chooses
					 * the account in this configuration
					 * (relay.c), the program is greeted
					 * before any upstream session */
	int cfd;			/* the program's connection, or -1 */
	struct upstream up;		/* the server: socket, TLS once started */
	int tls_up;			/* the handshake succeeded */
	struct smtp_rparser *rp;	/* upstream replies */
	long long deadline;		/* for the blocking setup steps */
	int verbose;			/* --check -v: the transcript too */
	int secure;			/* a setuid or setgid host's helper */
	const struct session_observer *observer; /* or NULL */
	int use_memory;			/* the automatic plan may put first the
					 * mechanism that worked after a
					 * fallback before (authmem.h); never
					 * for a setuid or setgid host */

	/* What the program is shown. */
	char name[256];			/* the server's name */
	char *caps;			/* the filtered EHLO reply */
	int capslen;
	int inject;			/* credentials are ours, not the program's */
	char mechs[512];		/* the server's post-TLS AUTH list */
	const char *mech;		/* the mechanism used, or NULL */

	/* For the log line. */
	char accounts[256];		/* byconf: the accounts used, in turn */
	char upstream[300];		/* host:port, or a socket path */
	char dest[64];			/* the program's original destination */
	int messages;
	int last_code;
	unsigned long long bytes_up, bytes_down;
	enum fail_class fail;
	char why[512];			/* the cause, for 421 and the log */
};

/* Record a failure of class c with a reason; returns -1. */
int session_fail(struct session *s, enum fail_class c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Connect upstream and get the session to the point where the program can
 * be greeted: TLS verified, capabilities known, AUTH done when injecting.
 * Returns 0, or -1 with s->fail and s->why set; nothing was sent that the
 * failure forbids (no credentials without verified TLS).
 */
int session_setup(struct session *s, int budget_ms);

/* The budget of session_setup() for account a, in ms: its timeout, else
 * 30 s. */
int session_budget_ms(const struct conf_account *a);

/*
 * A warm helper's TLS client for account a, prepared ahead of its
 * sessions (trust store loaded): NULL for an account with a client
 * certificate, whose key is read only when a session starts, or on error.
 */
struct tlsc;
struct tlsc *session_tls_prepare(const struct conf_account *a, char *err,
    size_t errlen);

/* Write all of buf upstream before s->deadline.  0 or -1 (s->why set). */
int up_write(struct session *s, const void *buf, size_t len);

/* Read the next upstream reply before s->deadline.  0 or -1. */
int up_reply(struct session *s, struct smtp_reply *r);

/* Close the upstream side: close_notify when clean, then the socket. */
void session_close_upstream(struct session *s, int clean);

/* Free what setup allocated (not the account). */
void session_free(struct session *s);

/* The enhanced status code (RFC 3463) for a failure class: "4.7.0". */
const char *session_status(enum fail_class c);

/* Write the 421 for s->why to the program (best effort). */
void session_refuse(struct session *s);

/*
 * Relay the program's SMTP session after the greeting (relay.c); with
 * s->byconf, greet the program first and open the upstream session for
 * the account each MAIL's sender chooses (a failure to open it answers
 * that MAIL with the 421).  Returns
 * 0 when it ended cleanly (QUIT or the program's EOF outside a message),
 * -1 otherwise (s->why set).
 */
int relay_run(struct session *s);

#endif
