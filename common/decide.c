#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "decide.h"

int
decide_parse_ports(const char *s, struct decide_ports *p)
{
	struct decide_ports t;
	unsigned long v;
	int digits;

	if (s == NULL || *s == '\0')
		return (-1);
	t.n = 0;
	for (;;) {
		v = 0;
		digits = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned long)(*s - '0');
			if (v > 65535)
				return (-1);
			s++;
			digits++;
		}
		if (digits == 0 || v == 0 || t.n == DECIDE_MAXPORTS)
			return (-1);
		t.port[t.n++] = (uint16_t)v;
		if (*s == '\0')
			break;
		if (*s != ',')
			return (-1);
		s++;
	}
	*p = t;
	return (0);
}

void
decide_default_ports(struct decide_ports *p)
{

	p->n = 1;
	p->port[0] = 25;
}

int
decide_addr(const struct sockaddr *sa, socklen_t len,
    const struct decide_ports *p)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	uint16_t port;
	unsigned i;

	if (sa == NULL || len < (socklen_t)sizeof(sa_family_t))
		return (0);
	switch (sa->sa_family) {
	case AF_INET:
		if (len < (socklen_t)sizeof(*sin))
			return (0);
		sin = (const struct sockaddr_in *)(const void *)sa;
		port = ntohs(sin->sin_port);
		break;
	case AF_INET6:
		/* The kernel takes the RFC 2133 size, without the scope. */
		if (len < (socklen_t)offsetof(struct sockaddr_in6,
		    sin6_scope_id))
			return (0);
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		port = ntohs(sin6->sin6_port);
		break;
	default:
		return (0);
	}
	for (i = 0; i < p->n; i++)
		if (p->port[i] == port)
			return (1);
	return (0);
}

int
decide_socket(int sotype, int protocol)
{

	return (sotype == SOCK_STREAM &&
	    (protocol == IPPROTO_TCP || protocol == 0));
}

int
decide_refuse(int sotype, int protocol)
{

	return (sotype == SOCK_STREAM && !decide_socket(sotype, protocol));
}

int
decide_take(const struct sockaddr *sa, socklen_t len, int sotype,
    int protocol, const struct decide_ports *p)
{

	return (decide_addr(sa, len, p) && decide_socket(sotype, protocol));
}
