/*
 * weaken: build switches that each remove one protection, so that the
 * hostile-server tests can show they fail without it.  All are 0 in every
 * real build; `make weak` builds helper/weak/submitify-helper-NAME with one
 * set to 1.  Grep for a name to find the protection it removes.
 */
#ifndef SUBMITIFY_WEAKEN_H
#define SUBMITIFY_WEAKEN_H

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

#endif
