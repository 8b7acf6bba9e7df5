/*
 * srv: where a mail domain says its submission server is, from DNS SRV
 * records (RFC 6186): _submissions._tcp (TLS from the first byte, RFC 8314)
 * before _submission._tcp (STARTTLS).  For `submitify --configure`.
 *
 * DNS answers are not authenticated: a target outside the address's own
 * domain is reported as such (srv_in_domain) for the user to confirm.
 */
#ifndef SUBMITIFY_SRV_H
#define SUBMITIFY_SRV_H

#include <stddef.h>

#define SRV_MAX	16		/* targets kept, both services together */

struct srv_target {
	char host[256];		/* without the trailing dot */
	unsigned port;
	unsigned priority, weight;
	int implicit;		/* from _submissions: TLS from the start */
};

/*
 * The targets of one SRV answer (msg, len bytes) for the service
 * (implicit: _submissions), appended to t[*n..max) in the answer's order.
 * A lone target "." says the service is not offered: nothing is added;
 * nor is a target that is not a plain host name (letters, digits,
 * hyphens, dots).
 * Returns 0, or -1 with the reason in err on a malformed answer.
 */
int srv_parse(const unsigned char *msg, int len, int implicit,
    struct srv_target *t, int *n, int max, char *err, size_t errlen);

/* Sort t[0..n) by service (implicit first), then priority, then weight
 * (heavier first), then name: the order to try them in. */
void srv_sort(struct srv_target *t, int n);

/*
 * Look up both services for domain with the system's resolver, each
 * query bounded by timeout_s seconds and one retry.  Returns the number
 * of targets (0: the domain publishes none), or -1 with the reason in err
 * (no answer in time, a server failure).
 */
int srv_lookup(const char *domain, int timeout_s, struct srv_target *t,
    int max, char *err, size_t errlen);

/* Is host the domain itself or a name inside it (any case)? */
int srv_in_domain(const char *host, const char *domain);

#endif
