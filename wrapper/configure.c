/*
 * configure: an account block from DNS SRV records and a probe.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "configure.h"
#include "session.h"
#include "smtp.h"
#include "srv.h"
#include "util.h"

/*
 * An address submitify can write into a config file unquoted: one "@",
 * a local part of printable ASCII without blanks or quotes, a domain of
 * letters, digits, hyphens and dots.  Returns the domain, or NULL.
 */
static const char *
domain_of(const char *address)
{
	const char *at = strchr(address, '@'), *p;

	if (at == NULL || at == address || strchr(at + 1, '@') != NULL)
		return (NULL);
	for (p = address; p < at; p++)
		if (!isgraph((unsigned char)*p) || *p == '"' || *p == '\'' ||
		    *p == '#' || *p == '\\')
			return (NULL);
	if (at[1] == '\0' || at[1] == '.' || strlen(at + 1) > 253)
		return (NULL);
	for (p = at + 1; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return (NULL);
	return (at + 1);
}

/* The account's server lines for target t, as submit.conf takes them. */
static void
server_lines(char *buf, size_t len, const char *domain,
    const struct srv_target *t)
{

	if (snprintf(buf, len, "account %s\nhost %s\nport %u\ntls on\n"
	    "tls_starttls %s\n", domain, t->host, t->port,
	    t->implicit ? "off" : "on") >= (int)len)
		abort();	/* names are bounded: cannot happen */
}

/* The probe needs no credentials: do not say it relays the program's. */
static void
probe_event(void *arg, enum session_event ev, const char *text,
    const char *more)
{
	const struct session_observer *next = arg;

	if (ev != SEV_AUTH_RELAYED)
		next->event(next->arg, ev, text, more);
}

/*
 * A session with the account of lines up to EHLO after TLS, then QUIT.
 * Returns 0 when it got there; -1 with the reason on stderr.
 */
static int
probe(const char *lines, const struct session_observer *obs)
{
	struct session_observer next = *obs;
	struct session_observer filter = { probe_event, &next };
	char err[CONF_ERRLEN];
	struct smtp_reply r;
	struct session s;
	struct conf *c;
	int rc;

	if ((c = conf_parse("--configure", lines, err, sizeof(err))) == NULL) {
		fprintf(stderr, "submitify: %s\n", err);
		return (-1);
	}
	/* As --check: no SIGPIPE from a server gone before close_notify. */
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof(s));
	s.cfd = -1;
	s.up.fd = -1;
	s.acct = c->acct[0];
	s.observer = &filter;
	if (session_setup(&s, 30000) == 0) {
		s.deadline = now_ms() + 10000;
		if (up_write(&s, "QUIT\r\n", 6) == 0)
			(void)up_reply(&s, &r);
		session_close_upstream(&s, 1);
	}
	rc = s.fail == FAIL_NONE ? 0 : -1;
	if (rc != 0)
		esc_line(stderr, "result: FAILED: %s", s.why);
	else
		fprintf(stderr, "result: OK: TLS verified; add the password "
		    "to the block\n");
	session_close_upstream(&s, 0);
	session_free(&s);
	conf_free(c);
	return (rc);
}

int
configure(const char *address, const struct session_observer *obs)
{
	struct srv_target t[SRV_MAX];
	char err[300], lines[600];
	const char *domain;
	int i, n, inside;

	if ((domain = domain_of(address)) == NULL) {
		esc_line(stderr, "submitify: --configure: \"%s\" is not an "
		    "e-mail address submitify can use (user@domain)", address);
		return (EX_USAGE);
	}
	n = srv_lookup(domain, CONFIGURE_DNS_TIMEOUT, t, SRV_MAX, err,
	    sizeof(err));
	if (n < 0) {
		esc_line(stderr, "submitify: --configure: %s", err);
		return (EX_TEMPFAIL);
	}
	if (n == 0) {
		fprintf(stderr, "submitify: --configure: %s publishes no "
		    "submission server (no SRV record _submissions._tcp.%s or "
		    "_submission._tcp.%s); ask the provider for its host and "
		    "port\n", domain, domain, domain);
		return (EX_NOHOST);
	}
	for (i = 0; i < n; i++) {
		inside = srv_in_domain(t[i].host, domain);
		fprintf(stderr, "DNS: %s._tcp.%s: %s port %u\n", t[i].implicit ?
		    "_submissions" : "_submission", domain, t[i].host,
		    t[i].port);
		if (!inside)
			fprintf(stderr, "submitify: WARNING: %s is not inside "
			    "%s, and DNS answers are not authenticated: make "
			    "sure it is your provider's server before you use "
			    "this block\n", t[i].host, domain);
		server_lines(lines, sizeof(lines), domain, &t[i]);
		if (probe(lines, obs) != 0)
			continue;
		printf("# submitify --configure %s: from the DNS SRV record "
		    "%s._tcp.%s\n", address, t[i].implicit ? "_submissions" :
		    "_submission", domain);
		if (!inside)
			printf("# WARNING: %s is not inside %s (DNS answers are "
			    "not authenticated): check it with your provider\n",
			    t[i].host, domain);
		printf("# Add the password: a line \"password ...\", "
		    "\"passwordeval COMMAND\",\n# or a ~/.netrc entry for "
		    "%s.  Many providers take the whole\n# address as the "
		    "user name; some take only the part before the @.\n",
		    t[i].host);
		printf("%sauth on\nuser %s\nfrom %s\n", lines, address,
		    address);
		return (EX_OK);
	}
	fprintf(stderr, "submitify: --configure: no server of %s passed the "
	    "check; no block printed\n", domain);
	return (EX_UNAVAILABLE);
}
