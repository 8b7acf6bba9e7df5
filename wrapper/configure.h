/*
 * configure: `submitify --configure ADDRESS`.  Finds the submission server
 * of the address's domain in DNS (RFC 6186, wrapper/srv.c), probes it as
 * a session would up to AUTH (TLS, the certificate, EHLO), and prints an
 * account block to paste into submit.conf.
 */
#ifndef SUBMITIFY_CONFIGURE_H
#define SUBMITIFY_CONFIGURE_H

#include "session.h"

/* How long one DNS query may take, in seconds. */
#define CONFIGURE_DNS_TIMEOUT	5

/*
 * The account block for address on stdout; the probe's steps go to obs,
 * warnings and errors to stderr.  Returns a sysexits code: EX_OK,
 * EX_USAGE (not an address), EX_NOHOST (no server published),
 * EX_TEMPFAIL (DNS gave no answer), or EX_UNAVAILABLE (no server passed
 * the probe; nothing is printed on stdout).
 */
int configure(const char *address, const struct session_observer *obs);

#endif
