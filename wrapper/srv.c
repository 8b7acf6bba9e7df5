/*
 * srv: RFC 6186 submission targets from DNS SRV records.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <ctype.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "srv.h"

/* A host name in letters, digits, hyphens and dots: what dn_expand()
 * gives for any other byte is an escape ("\\."), and a name with one could
 * pass for a name inside the domain, or not be a host at all. */
static int
plain_host(const char *h)
{

	for (; *h != '\0'; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.')
			return (0);
	return (1);
}

int
srv_parse(const unsigned char *msg, int len, int implicit,
    struct srv_target *t, int *n, int max, char *err, size_t errlen)
{
	struct srv_target got[SRV_MAX];
	const unsigned char *rd;
	ns_msg h;
	ns_rr rr;
	int i, k = 0, count;

	if (ns_initparse(msg, len, &h) != 0) {
		(void)snprintf(err, errlen, "a malformed DNS answer");
		return (-1);
	}
	count = ns_msg_count(h, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) != 0) {
			(void)snprintf(err, errlen, "a malformed DNS answer");
			return (-1);
		}
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in)
			continue;	/* a CNAME on the way, say */
		if (ns_rr_rdlen(rr) < 7) {
			(void)snprintf(err, errlen, "a malformed SRV record");
			return (-1);
		}
		if (k == SRV_MAX)
			break;
		rd = ns_rr_rdata(rr);
		got[k].priority = ns_get16(rd);
		got[k].weight = ns_get16(rd + 2);
		got[k].port = ns_get16(rd + 4);
		got[k].implicit = implicit;
		if (dn_expand(ns_msg_base(h), ns_msg_end(h), rd + 6,
		    got[k].host, sizeof(got[k].host)) < 0) {
			(void)snprintf(err, errlen, "a malformed SRV target");
			return (-1);
		}
		k++;
	}
	/* RFC 2782: a lone "." target means "not offered here". */
	if (k == 1 && (got[0].host[0] == '\0' ||
	    strcmp(got[0].host, ".") == 0))
		return (0);
	for (i = 0; i < k && *n < max; i++) {
		if (got[i].host[0] == '\0' || got[i].port == 0 ||
		    !plain_host(got[i].host))
			continue;
		t[(*n)++] = got[i];
	}
	return (0);
}

static int
order(const void *a, const void *b)
{
	const struct srv_target *x = a, *y = b;

	if (x->implicit != y->implicit)
		return (y->implicit - x->implicit);
	if (x->priority != y->priority)
		return (x->priority < y->priority ? -1 : 1);
	if (x->weight != y->weight)
		return (x->weight > y->weight ? -1 : 1);
	return (strcasecmp(x->host, y->host));
}

void
srv_sort(struct srv_target *t, int n)
{

	qsort(t, (size_t)n, sizeof(*t), order);
}

int
srv_lookup(const char *domain, int timeout_s, struct srv_target *t, int max,
    char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		int implicit;
	} svc[] = {
		{ "_submissions._tcp.", 1 },
		{ "_submission._tcp.", 0 },
	};
	unsigned char ans[NS_MAXMSG];
	char name[NS_MAXDNAME + 32];
	struct __res_state st;
	size_t i;
	int len, n = 0, rc = 0;

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0) {
		(void)snprintf(err, errlen, "the resolver cannot be set up");
		return (-1);
	}
	st.retrans = timeout_s;
	st.retry = 1;
	for (i = 0; i < sizeof(svc) / sizeof(svc[0]) && rc == 0; i++) {
		(void)snprintf(name, sizeof(name), "%s%s", svc[i].prefix,
		    domain);
		len = res_nquery(&st, name, ns_c_in, ns_t_srv, ans,
		    (int)sizeof(ans));
		if (len < 0) {
			if (st.res_h_errno == HOST_NOT_FOUND ||
			    st.res_h_errno == NO_DATA)
				continue;
			(void)snprintf(err, errlen, "no answer for %s from the "
			    "DNS resolver in %d s, or a server failure", name,
			    timeout_s);
			rc = -1;
			break;
		}
		rc = srv_parse(ans, len, svc[i].implicit, t, &n, max, err,
		    errlen);
	}
	res_nclose(&st);
	if (rc != 0)
		return (-1);
	srv_sort(t, n);
	return (n);
}

int
srv_in_domain(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);

	if (h > 0 && host[h - 1] == '.')
		h--;
	if (d > 0 && domain[d - 1] == '.')
		d--;
	if (d == 0 || h < d || strncasecmp(host + h - d, domain, d) != 0)
		return (0);
	return (h == d || host[h - d - 1] == '.');
}
