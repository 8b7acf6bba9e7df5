/*
 * addr: address formatting shared by the shim and the helper: both sides
 * of a handoff must name the program's socket the same way.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"

int
handoff_fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	struct in_addr v4;
	char a[INET6_ADDRSTRLEN];
	int n;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) == NULL)
			return (-1);
		n = snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			/* v4-mapped addresses are named as IPv4. */
			memcpy(&v4, &sin6->sin6_addr.s6_addr[12], 4);
			if (inet_ntop(AF_INET, &v4, a, sizeof(a)) == NULL)
				return (-1);
			n = snprintf(buf, len, "%s:%u", a,
			    ntohs(sin6->sin6_port));
		} else {
			if (inet_ntop(AF_INET6, &sin6->sin6_addr, a,
			    sizeof(a)) == NULL)
				return (-1);
			n = snprintf(buf, len, "[%s]:%u", a,
			    ntohs(sin6->sin6_port));
		}
	} else
		return (-1);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}
