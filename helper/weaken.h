/*
 * weaken: build switches that each remove one protection, so that the
 * hostile-server tests can show they fail without it.  All are 0 in every
 * real build; `make weak` builds helper/weak/submitify-helper-NAME with one
 * set to 1 (NAME is the switch in lower case, '_' as '-'; the Makefile takes
 * the list from the #ifndef lines below).  Grep for a name to find the
 * protection it removes.
 *
 * A switch that only removes a check is tested where the check is.  One
 * that adds code instead (answers, copies, bytes sent) has it in a weak_*
 * hook below, called where the protection is, so the core reads as the real
 * code: each hook tests its own switch and does nothing in a real build
 * (weak_naive_data(), which stands for a whole function, is called under
 * its switch).  weaken.c has them, but for the one that works on the
 * relay's own queue.
 */
#ifndef SUBMITIFY_WEAKEN_H
#define SUBMITIFY_WEAKEN_H

#include <stddef.h>

/* Keep bytes that came with the STARTTLS 220 and read them after TLS. */
#ifndef WEAKEN_STARTTLS_BUFFER
#define WEAKEN_STARTTLS_BUFFER 0
#endif
/* Carry on in plain text when STARTTLS is missing or refused. */
#ifndef WEAKEN_STARTTLS_OPTIONAL
#define WEAKEN_STARTTLS_OPTIONAL 0
#endif
/* Keep the capabilities learned before TLS instead of asking again. */
#ifndef WEAKEN_PRETLS_CAPS
#define WEAKEN_PRETLS_CAPS 0
#endif
/* Do not verify the server's certificate. */
#ifndef WEAKEN_NO_VERIFY
#define WEAKEN_NO_VERIFY 0
#endif
/* Greet the program before the upstream session is ready. */
#ifndef WEAKEN_GREET_EARLY
#define WEAKEN_GREET_EARLY 0
#endif
/* Accept malformed AUTH challenges and an unverified SCRAM signature. */
#ifndef WEAKEN_LAX_AUTH
#define WEAKEN_LAX_AUTH 0
#endif
/* Answer 250 to the end of data when the server vanished without one. */
#ifndef WEAKEN_FAKE_250
#define WEAKEN_FAKE_250 0
#endif
/* Relay message bytes as they come and end only at CRLF.CRLF. */
#ifndef WEAKEN_NAIVE_DATA
#define WEAKEN_NAIVE_DATA 0
#endif
/* Wait for the server for ever. */
#ifndef WEAKEN_NO_TIMEOUT
#define WEAKEN_NO_TIMEOUT 0
#endif
/* Accept a password in a file others may read. */
#ifndef WEAKEN_NO_PERM_CHECK
#define WEAKEN_NO_PERM_CHECK 0
#endif
/* Keep the password in memory after AUTH and stay dumpable. */
#ifndef WEAKEN_NO_WIPE
#define WEAKEN_NO_WIPE 0
#endif

/* Send the next command along with STARTTLS, before the handshake. */
#ifndef WEAKEN_STARTTLS_PIPELINE
#define WEAKEN_STARTTLS_PIPELINE 0
#endif
/* Pass on what the program sent early once TLS is up, before AUTH. */
#ifndef WEAKEN_EARLY_RELAY
#define WEAKEN_EARLY_RELAY 0
#endif
/* Take a readable socket that yields no TLS data as the end of it. */
#ifndef WEAKEN_TLS_WANT
#define WEAKEN_TLS_WANT 0
#endif
/* No limit on one reply line below the whole reply's buffer. */
#ifndef WEAKEN_NO_LINE_LIMIT
#define WEAKEN_NO_LINE_LIMIT 0
#endif

struct session;
struct smtp_data;
struct smtp_reply;

/* GREET_EARLY: greet the program on fd before the upstream session is up. */
void	weak_greet_early(int fd);

/* STARTTLS_PIPELINE: the command cmd (STARTTLS), with EHLO sent along. */
const char *weak_starttls_cmd(const char *cmd);

/*
 * PRETLS_CAPS: weak_pretls_keep() copies the EHLO reply from before TLS;
 * weak_pretls_caps() puts it in r after TLS and returns 1, or returns 0 for
 * the session to ask again.
 */
void	weak_pretls_keep(const struct smtp_reply *r);
int	weak_pretls_caps(struct smtp_reply *r);

/* EARLY_RELAY: pass on what the program sent early, once TLS is up. */
void	weak_early_relay(struct session *s);

/* TLS_WANT: the result k of a TLS read, an UPSTREAM_WANT_READ on a socket that
 * poll found readable (woke) taken as the end of the stream. */
long	weak_tls_want(long k, int woke);

/*
 * NAIVE_DATA: smtp_data_feed() without the DATA parser: bytes copied as
 * they come, the end only at CRLF.CRLF.  Called in its place, under the
 * switch.
 */
long	weak_naive_data(struct smtp_data *d, const char *in, size_t n,
	    char *out, size_t *outn, int *end);

/*
 * FAKE_250 (relay.c, whose queue it reads): answer 250 to the end of data
 * the server vanished without answering.  A macro, for the queue and its
 * functions are the relay's own.
 */
#define weak_fake_250(r) do {						\
	if (WEAKEN_FAKE_250 && (r)->qlen > 0 &&				\
	    (r)->q[(r)->qhead].kind == P_DATAEND) {			\
		to_prog((r), "250 2.0.0 Ok\r\n", 14);			\
		pop(r);							\
	}								\
} while (0)

#endif
