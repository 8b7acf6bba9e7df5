#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "decide.h"
#include "secrets.h"
#include "util.h"
#include "weaken.h"

#define MAXLINE		8192
#define MAXFILE		(1024 * 1024)	/* the whole file */

/* The parser's state; nothing global. */
struct parser {
	struct conf *c;
	struct conf_account defaults;
	struct conf_account *cur;	/* NULL: in `defaults` */
	const char *name;
	int line;
	int secure;			/* quote nothing of the file */
	char *err;
	size_t errlen;
};

static int perr(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	char msg[CONF_ERRLEN];
	va_list ap;

	if (p->secure) {
		(void)snprintf(p->err, p->errlen, "%s:%d: not a valid line "
		    "(details are not shown to a setuid or setgid program's "
		    "caller; run submitify --check-config as root)", p->name,
		    p->line);
		return (-1);
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
	return (-1);
}

/* ---- values ---- */

static int
parse_bool(struct parser *p, const char *key, const char *v, int *out)
{

	if (strcmp(v, "on") == 0 || *v == '\0')
		*out = 1;
	else if (strcmp(v, "off") == 0)
		*out = 0;
	else
		return (perr(p, "%s: expected on or off, not \"%s\"", key, v));
	return (0);
}

static char *
expand_tilde(struct parser *p, const char *k, const char *v)
{
	const char *home;
	char *s;

	if (v[0] != '~' || (v[1] != '/' && v[1] != '\0'))
		return (xstrdup(v));
	/* For a setuid or setgid host the home is its caller's, who
	 * would then choose the file root's configuration names. */
	if (p->secure) {
		(void)perr(p, "%s: ~/ is the caller's home for a setuid or "
		    "setgid program; give the full path", k);
		return (NULL);
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		struct passwd *pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/";
	}
	if (asprintf(&s, "%s%s", home, v + 1) < 0) {
		(void)perr(p, "out of memory");
		return (NULL);
	}
	return (s);
}

static int
set_str(char **dst, const char *v)
{
	char *s = xstrdup(v);

	if (s == NULL)
		return (-1);
	free(*dst);
	*dst = s;
	return (0);
}

/* The first line of /etc/mailname, as %M; 0, or -1 if there is none. */
static int
mailname(char *buf, size_t len)
{
	FILE *f;

	if ((f = fopen("/etc/mailname", "re")) == NULL)
		return (-1);
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	(void)fclose(f);
	buf[strcspn(buf, " \t\r\n")] = '\0';
	return (buf[0] != '\0' ? 0 : -1);
}

/* The canonical name of this host, as %C; 0 or -1. */
static int
canonical_name(const char *host, char *buf, size_t len)
{
	struct addrinfo hints, *ai;
	int r = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return (-1);
	if (ai->ai_canonname != NULL && strlen(ai->ai_canonname) < len) {
		(void)strcpy(buf, ai->ai_canonname);
		r = 0;
	}
	freeaddrinfo(ai);
	return (r);
}

/*
 * Is this process in the machine's first user namespace?  Inside another,
 * which any user may create, the host name (a UTS namespace), the files
 * (a mount namespace: /etc/mailname, /etc/hosts) and even the uid that
 * getuid() names are the creator's to choose: the program's, since the
 * helper runs in whatever namespaces the program made.
 */
static int
first_userns(void)
{
	char buf[128];
	unsigned long a, b, c;
	ssize_t n;
	int fd;

	if ((fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC)) < 0)
		return (0);
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	/* One line: all of the uids, each mapped to itself. */
	return (sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 &&
	    b == 0 && c == 4294967295UL && strchr(buf, '\n') ==
	    buf + strlen(buf) - 1);
}

/*
 * What one of msmtp's substitutions in `from` and `domain` stands for: %U
 * the login name of the user submitify runs as, %H the host's name, %C its
 * canonical name, %M the first line of /etc/mailname.  Unlike msmtp,
 * $USER and $HOSTNAME are not read: the program sets the environment, and
 * must not choose the account's sender.  0, or -1 if c is none of these
 * (the % is then kept) or its value cannot be found (*what says which).
 */
static int
subst_one(char c, char *buf, size_t len, const char **what)
{
	struct passwd *pw;
	char host[256];

	*what = NULL;
	if (strchr("UHCM", c) == NULL || c == '\0')
		return (-1);
	if (!first_userns())
		return (*what = "not made inside a user namespace, where the "
		    "program could choose it", -1);
	switch (c) {
	case 'U':
		if ((pw = getpwuid(getuid())) == NULL || strlen(pw->pw_name) >=
		    len)
			return (*what = "no login name for this user", -1);
		(void)strcpy(buf, pw->pw_name);
		return (0);
	case 'H':
	case 'C':
		if (gethostname(host, sizeof(host)) != 0 ||
		    strlen(host) >= len)
			return (*what = "no host name", -1);
		if (c == 'H')
			return (strcpy(buf, host), 0);
		if (canonical_name(host, buf, len) != 0)
			return (*what = "no canonical name for the host "
			    "name", -1);
		return (0);
	case 'M':
		if (mailname(buf, len) != 0)
			return (*what = "no name in /etc/mailname", -1);
		return (0);
	}
	return (-1);
}

/* v with msmtp's % substitutions made, into *out (new), or -1. */
static int
subst(struct parser *p, const char *k, const char *v, char **out)
{
	char res[CONF_ADDR_MAX], val[256];
	const char *what = NULL;
	size_t n = 0, vl;

	for (; *v != '\0'; v++) {
		if (v[0] == '%' && subst_one(v[1], val, sizeof(val), &what) ==
		    0) {
			vl = strlen(val);
			v++;
		} else if (v[0] == '%' && what != NULL)
			return (perr(p, "%s: %%%c: %s", k, v[1], what));
		else {
			val[0] = *v;
			vl = 1;
		}
		if (n + vl >= sizeof(res))
			return (perr(p, "%s: too long", k));
		memcpy(res + n, val, vl);
		n += vl;
	}
	res[n] = '\0';
	if ((*out = xstrdup(res)) == NULL)
		return (perr(p, "out of memory"));
	return (0);
}

/* Set a secret, wiping the old one. */
static int
set_secret(char **dst, const char *v)
{
	char *s = xstrdup(v);

	if (s == NULL)
		return (-1);
	wipe_free(*dst);
	*dst = s;
	return (0);
}

static int
parse_fingerprint(struct parser *p, const char *v, unsigned char fp[32])
{
	size_t n = 0;
	int hi, lo;

	while (*v != '\0') {
		if (n == 32 || !isxdigit((unsigned char)v[0]) ||
		    !isxdigit((unsigned char)v[1]))
			goto bad;
		hi = hexval(v[0]);
		lo = hexval(v[1]);
		fp[n++] = (unsigned char)(hi << 4 | lo);
		v += 2;
		if (*v == ':')
			v++;
		else if (*v != '\0')
			goto bad;
	}
	if (n == 32)
		return (0);
	if (n == 20 || n == 16)
		return (perr(p, "tls_fingerprint: only SHA-256 fingerprints "
		    "are accepted (this one has %zu bytes: SHA-1 or MD5)", n));
bad:
	return (perr(p, "tls_fingerprint: expected a SHA-256 fingerprint "
	    "(32 hex bytes separated by colons)"));
}

static int
parse_match(struct parser *p, struct conf_account *a, const char *v)
{
	char tok[MAXLINE], *slash;
	const char *rest = v, *t;
	struct conf_match m, *nm;
	size_t len;
	long bits;
	char *end;

	if (strlen(v) >= sizeof(tok))
		return (perr(p, "match: value too long"));
	while ((len = split_next(&rest, " \t,", &t)) > 0) {
		memcpy(tok, t, len);
		tok[len] = '\0';
		memset(&m, 0, sizeof(m));
		m.bits = -1;
		if (strcmp(tok, "*") == 0)
			m.any = 1;
		else {
			if ((slash = strchr(tok, '/')) != NULL)
				*slash = '\0';
			if (inet_pton(AF_INET, tok, m.addr) == 1) {
				m.family = AF_INET;
				m.bits = 32;
			} else if (inet_pton(AF_INET6, tok, m.addr) == 1) {
				m.family = AF_INET6;
				m.bits = 128;
			} else if (slash != NULL)
				return (perr(p, "match: \"%s\" is not an "
				    "address", tok));
			if (slash != NULL) {
				errno = 0;
				bits = strtol(slash + 1, &end, 10);
				if (*end != '\0' || end == slash + 1 ||
				    bits < 0 || bits > m.bits)
					return (perr(p, "match: bad prefix "
					    "length \"/%s\"", slash + 1));
				m.bits = (int)bits;
				*slash = '/';
			}
		}
		if ((m.text = xstrdup(tok)) == NULL)
			return (perr(p, "out of memory"));
		nm = realloc(a->match, (a->nmatch + 1) * sizeof(*nm));
		if (nm == NULL) {
			free(m.text);
			return (perr(p, "out of memory"));
		}
		a->match = nm;
		a->match[a->nmatch++] = m;
	}
	if (a->nmatch == 0)
		return (perr(p, "match: expected host names, addresses, "
		    "blocks or *"));
	return (0);
}

/* ---- the key table ---- */

enum {
	K_HOST, K_PORT, K_TLS, K_STARTTLS, K_TRUST, K_CERTCHECK, K_FP,
	K_LEGACY, K_AUTH, K_USER, K_PASSWORD, K_PASSWORDEVAL, K_FROM,
	K_FROMHDR, K_DOMAIN, K_TIMEOUT, K_LOGFILE, K_SYSLOG, K_MATCH,
	K_PORTS, K_BARELF, K_HOSTOVR, K_PROTOCOL, K_SOURCE, K_PROXY,
	K_PROXYPORT, K_CERTFILE, K_KEYFILE, K_CRL, K_PRIO, K_DHBITS, K_SOCKET,
	K_WARM
};

typedef int setter(struct parser *, struct conf_account *, const char *,
    const char *);

static int
s_host(struct parser *p, struct conf_account *a, const char *k, const char *v)
{

	if (*v == '\0')
		return (perr(p, "%s: missing value", k));
	return (set_str(&a->host, v));
}

/* A port number into *port; 0, or -1 with the error said. */
static int
parse_port(struct parser *p, const char *k, const char *v, int *port)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < 1 || n > 65535)
		return (perr(p, "%s: expected a number from 1 to 65535, not "
		    "\"%s\"", k, v));
	*port = (int)n;
	return (0);
}

static int
s_port(struct parser *p, struct conf_account *a, const char *k, const char *v)
{

	return (parse_port(p, k, v, &a->port));
}

static int
s_proxyport(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (parse_port(p, k, v, &a->proxy_port));
}

static int
s_tls(struct parser *p, struct conf_account *a, const char *k, const char *v)
{

	return (parse_bool(p, k, v, &a->tls));
}

static int
s_starttls(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (parse_bool(p, k, v, &a->starttls));
}

static int
s_trust(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	char *s;

	(void)k;
	if (*v == '\0')	/* as in msmtp: trust no CA (a pin, or no check) */
		return (set_str(&a->trust_file, ""));
	if (strcmp(v, "system") == 0) {
		free(a->trust_file);
		a->trust_file = NULL;
		return (0);
	}
	if ((s = expand_tilde(p, k, v)) == NULL)
		return (-1);
	free(a->trust_file);
	a->trust_file = s;
	return (0);
}

static int
s_certcheck(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (parse_bool(p, k, v, &a->certcheck));
}

static int
s_fp(struct parser *p, struct conf_account *a, const char *k, const char *v)
{

	(void)k;
	if (*v == '\0') {
		a->has_fingerprint = 0;
		return (0);
	}
	if (parse_fingerprint(p, v, a->fingerprint) != 0)
		return (-1);
	a->has_fingerprint = 1;
	return (0);
}

static int
s_legacy(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (parse_bool(p, k, v, &a->tls_legacy));
}

/*
 * Methods msmtp takes from its SASL library (GNU SASL) that submitify,
 * which has none, does not speak; servers that offer them offer
 * SCRAM-SHA-256 or PLAIN over TLS too.
 */
static const char *const msmtp_sasl_only[] = {
	"scram-sha-1", "digest-md5", "ntlm", "gssapi", NULL
};

static int
s_auth(struct parser *p, struct conf_account *a, const char *k, const char *v)
{
	size_t i;

	if (sasl_mech_parse(v, &a->auth) == 0)
		return (0);
	for (i = 0; msmtp_sasl_only[i] != NULL; i++)
		if (strcasecmp(v, msmtp_sasl_only[i]) == 0)
			return (perr(p, "%s: \"%s\" is a method of msmtp's SASL "
			    "library, which submitify does not have; use on, "
			    "or scram-sha-256 or plain, which the same servers "
			    "offer", k, v));
	return (perr(p, "%s: \"%s\" is not %s", k, v, SASL_MECH_WORDS));
}

static int
s_user(struct parser *p, struct conf_account *a, const char *k, const char *v)
{

	(void)p;
	(void)k;
	if (*v == '\0') {
		free(a->user);
		a->user = NULL;
		return (0);
	}
	return (set_str(&a->user, v));
}

static int
s_password(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	(void)k;
	p->c->has_password = 1;
	return (set_secret(&a->password, v));
}

static int
s_passwordeval(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	if (*v == '\0')
		return (perr(p, "%s: missing command", k));
	return (set_str(&a->passwordeval, v));
}

static int
s_from(struct parser *p, struct conf_account *a, const char *k, const char *v)
{
	char *s;

	if (subst(p, k, v, &s) != 0)
		return (-1);
	if (strpbrk(s, "<> \t\r\n") != NULL) {
		(void)perr(p, "%s: \"%s\" is not a plain address "
		    "(write user@example.org, without <>)", k, s);
		free(s);
		return (-1);
	}
	free(a->from);
	a->from = NULL;
	if (*s == '\0')
		free(s);
	else
		a->from = s;
	return (0);
}

static int
s_fromhdr(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	if (strcmp(v, "auto") == 0)
		a->from_header = FROMHDR_AUTO;
	else if (strcmp(v, "on") == 0)
		a->from_header = FROMHDR_ON;
	else if (strcmp(v, "off") == 0)
		a->from_header = FROMHDR_OFF;
	else
		return (perr(p, "%s: expected on, off or auto, not \"%s\"",
		    k, v));
	return (0);
}

/* domain, once substituted. */
static int
set_domain(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	const char *c;

	if (*v == '\0')
		return (perr(p, "%s: expected a host name", k));
	/* It goes into EHLO as it is: printable, one word, and no longer
	 * than an address literal or a host name may be. */
	for (c = v; *c != '\0'; c++)
		if (*c <= ' ' || *c > '~')
			return (perr(p, "%s: expected a host name", k));
	if (c - v > CONF_DOMAIN_MAX)
		return (perr(p, "%s: longer than %d characters", k,
		    CONF_DOMAIN_MAX));
	return (set_str(&a->domain, v));
}

static int
s_domain(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	char *sv;
	int r;

	if (subst(p, k, v, &sv) != 0)
		return (-1);
	r = set_domain(p, a, k, sv);
	free(sv);
	return (r);
}

static int
s_hostovr(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	if (*v == '\0') {
		free(a->host_override);
		a->host_override = NULL;
		return (0);
	}
	if (strpbrk(v, " \t\r\n") != NULL)
		return (perr(p, "%s: expected a host name", k));
	return (set_str(&a->host_override, v));
}

/* msmtp's source_ip: a numeric address of this host, or empty for none. */
static int
s_source(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (*v == '\0') {
		free(a->source_ip);
		a->source_ip = NULL;
		return (0);
	}
	if (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)
		return (perr(p, "%s: expected an IPv4 or IPv6 address, not "
		    "\"%s\"", k, v));
	return (set_str(&a->source_ip, v));
}

/* msmtp's proxy_host: a SOCKS5 proxy, or empty for none. */
static int
s_proxy(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	if (*v == '\0') {
		free(a->proxy_host);
		a->proxy_host = NULL;
		return (0);
	}
	if (strpbrk(v, " \t\r\n") != NULL)
		return (perr(p, "%s: expected a host name or address", k));
	return (set_str(&a->proxy_host, v));
}

/*
 * msmtp's socket: a local (AF_UNIX) stream socket to connect to instead
 * of host and port, or empty for none.  The path is absolute (after ~/):
 * relative to whatever directory the program runs in, it would name a
 * different socket for each program.
 */
static int
s_socket(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	struct sockaddr_un sun;
	char *s;

	if (*v == '\0') {
		free(a->socket_path);
		a->socket_path = NULL;
		return (0);
	}
	if ((s = expand_tilde(p, k, v)) == NULL)
		return (-1);
	if (s[0] != '/') {
		free(s);
		return (perr(p, "%s: expected an absolute path or ~/path, not "
		    "\"%s\"", k, v));
	}
	if (strlen(s) >= sizeof(sun.sun_path)) {
		free(s);
		return (perr(p, "%s: a socket's path has at most %zu bytes",
		    k, sizeof(sun.sun_path) - 1));
	}
	free(a->socket_path);
	a->socket_path = s;
	return (0);
}

/* msmtp's protocol: only smtp is submission. */
static int
s_protocol(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	(void)a;
	if (strcmp(v, "smtp") != 0)
		return (perr(p, "%s: submitify speaks smtp only, not \"%s\"",
		    k, v));
	return (0);
}

static int
s_timeout(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	char *end;
	long n;

	if (strcmp(v, "off") == 0) {
		a->timeout = 0;
		return (0);
	}
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < 1 || n > 86400)
		return (perr(p, "%s: expected off or seconds (1 to 86400), "
		    "not \"%s\"", k, v));
	a->timeout = (int)n;
	return (0);
}

static int
s_logfile(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	char *s;

	if (*v == '\0') {
		free(a->logfile);
		a->logfile = NULL;
		return (0);
	}
	/* msmtp's "-" is its standard output, which here is the wrapped
	 * program's: a pipe that program's reader would find a log in. */
	if (strcmp(v, "-") == 0)
		return (perr(p, "%s: \"-\" (msmtp's standard output) would "
		    "write into the program's own output; name a file, or use "
		    "syslog on", k));
	if ((s = expand_tilde(p, k, v)) == NULL)
		return (-1);
	free(a->logfile);
	a->logfile = s;
	return (0);
}

static int
s_syslog(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	/* msmtp takes a facility name too; LOG_MAIL is what is used. */
	if (strcmp(v, "off") == 0)
		a->syslog = 0;
	else if (strcmp(v, "on") == 0 || *v == '\0' ||
	    strncmp(v, "LOG_", 4) == 0)
		a->syslog = 1;
	else
		return (perr(p, "%s: expected on, off or a facility such as "
		    "LOG_MAIL, not \"%s\"", k, v));
	return (0);
}

static int
s_match(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	size_t i;

	(void)k;
	for (i = 0; i < a->nmatch; i++)
		free(a->match[i].text);
	a->nmatch = 0;
	return (parse_match(p, a, v));
}

static int
s_ports(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	struct decide_ports ports;
	const char *s;
	int n = 0;

	(void)a;
	if (p->cur != NULL)
		return (perr(p, "%s: belongs in the defaults section, since "
		    "it applies to the whole program", k));
	for (s = v; *s != '\0'; s++)
		if (!(isdigit((unsigned char)*s) || *s == ','))
			n = -1;
	if (*v == '\0' || n < 0 || decide_parse_ports(v, &ports) != 0)
		return (perr(p, "%s: expected a comma-separated list of ports "
		    "such as 25,2525, not \"%s\"", k, v));
	return (set_str(&p->c->intercept_ports, v));
}

static int
s_barelf(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (parse_bool(p, k, v, &a->fix_bare_lf));
}

/* A file name (~/ expanded) into *dst, or NULL for an empty value. */
static int
set_path(struct parser *p, const char *k, char **dst, const char *v)
{
	char *s = NULL;

	if (*v != '\0' && (s = expand_tilde(p, k, v)) == NULL)
		return (-1);
	free(*dst);
	*dst = s;
	return (0);
}

/* msmtp's tls_cert_file, tls_key_file and tls_crl_file: only the name is
 * kept; the files are read when a session of the account starts. */
static int
s_certfile(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (set_path(p, k, &a->cert_file, v));
}

static int
s_keyfile(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (set_path(p, k, &a->key_file, v));
}

static int
s_crl(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{

	return (set_path(p, k, &a->crl_file, v));
}

static int
s_prio(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	char why[CONF_ERRLEN / 2];

	if (conf_priorities(v, &a->prio, why, sizeof(why)) != 0)
		return (perr(p, "%s: %s", k, why));
	if (*v == '\0') {
		free(a->priorities);
		a->priorities = NULL;
		return (0);
	}
	return (set_str(&a->priorities, v));
}

static int
s_dhbits(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	char *end;
	long n;

	if (*v == '\0') {
		a->min_dh_bits = 0;
		return (0);
	}
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 1 || n > 16384)
		return (perr(p, "%s: expected a number of bits (1 to 16384), "
		    "not \"%s\"", k, v));
	a->min_dh_bits = (int)n;
	return (0);
}

static int
s_warm(struct parser *p, struct conf_account *a, const char *k,
    const char *v)
{
	char *end;
	long n;

	if (strcmp(v, "off") == 0) {
		a->warm_idle = 0;
		return (0);
	}
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < 1 || n > 86400)
		return (perr(p, "%s: expected off or seconds (1 to 86400), "
		    "not \"%s\"", k, v));
	a->warm_idle = (int)n;
	return (0);
}

static const struct key {
	const char *name;
	int bit;
	setter *set;
} keys[] = {
	{ "host", K_HOST, s_host },
	{ "port", K_PORT, s_port },
	{ "tls", K_TLS, s_tls },
	{ "tls_starttls", K_STARTTLS, s_starttls },
	{ "tls_trust_file", K_TRUST, s_trust },
	{ "tls_certcheck", K_CERTCHECK, s_certcheck },
	{ "tls_fingerprint", K_FP, s_fp },
	{ "tls_legacy", K_LEGACY, s_legacy },
	{ "auth", K_AUTH, s_auth },
	{ "user", K_USER, s_user },
	{ "password", K_PASSWORD, s_password },
	{ "passwordeval", K_PASSWORDEVAL, s_passwordeval },
	{ "from", K_FROM, s_from },
	{ "set_from_header", K_FROMHDR, s_fromhdr },
	{ "domain", K_DOMAIN, s_domain },
	{ "timeout", K_TIMEOUT, s_timeout },
	{ "logfile", K_LOGFILE, s_logfile },
	{ "syslog", K_SYSLOG, s_syslog },
	{ "match", K_MATCH, s_match },
	{ "intercept_ports", K_PORTS, s_ports },
	{ "fix_bare_lf", K_BARELF, s_barelf },
	{ "tls_host_override", K_HOSTOVR, s_hostovr },
	{ "protocol", K_PROTOCOL, s_protocol },
	{ "source_ip", K_SOURCE, s_source },
	{ "proxy_host", K_PROXY, s_proxy },
	{ "proxy_port", K_PROXYPORT, s_proxyport },
	{ "tls_cert_file", K_CERTFILE, s_certfile },
	{ "tls_key_file", K_KEYFILE, s_keyfile },
	{ "tls_crl_file", K_CRL, s_crl },
	{ "tls_priorities", K_PRIO, s_prio },
	{ "tls_min_dh_prime_bits", K_DHBITS, s_dhbits },
	{ "socket", K_SOCKET, s_socket },
	{ "warm_idle", K_WARM, s_warm },
};

/*
 * Keys msmtp knows that change where or how the connection goes, which
 * submitify does not honour yet: an error, never a connection that does
 * something else than the file says.
 */
static const char *const msmtp_route[] = {
	"eval", NULL
};

/* Keys that only shape the message in msmtp's sendmail mode: read,
 * warned about, ignored. */
static const char *const msmtp_only[] = {
	"from_full_name",
	"allow_from_override", "dsn_notify", "dsn_return", "set_date_header",
	"set_msgid_header", "remove_bcc_headers", "undisclosed_recipients",
	"logfile_time_format", "aliases", "auto_from", "maildomain",
	"add_missing_from_header", "add_missing_date_header", "ntlmdomain",
	"keepbcc", NULL
};

/* ---- accounts ---- */

static void
account_clear(struct conf_account *a)
{
	size_t i;

	free(a->name);
	free(a->file);
	free(a->host);
	free(a->trust_file);
	free(a->host_override);
	free(a->source_ip);
	free(a->proxy_host);
	free(a->cert_file);
	free(a->key_file);
	free(a->crl_file);
	free(a->priorities);
	free(a->socket_path);
	free(a->user);
	wipe_free(a->password);
	free(a->passwordeval);
	free(a->from);
	free(a->domain);
	free(a->logfile);
	for (i = 0; i < a->nmatch; i++)
		free(a->match[i].text);
	free(a->match);
	memset(a, 0, sizeof(*a));
}

static void
account_defaults(struct conf_account *a)
{

	memset(a, 0, sizeof(*a));
	a->tls = 1;
	a->starttls = 1;
	a->certcheck = 1;
	a->auth = SASL_AUTO;
	a->from_header = FROMHDR_OFF;
	a->fix_bare_lf = 1;
	a->syslog = 1;
	a->prio.tls12 = a->prio.tls13 = 1;
	a->warm_idle = -1;
}

/* dst = a copy of src (which may be NULL). */
static int
copy_str(char **dst, const char *src)
{

	if (src == NULL) {
		free(*dst);
		*dst = NULL;
		return (0);
	}
	return (set_str(dst, src));
}

/* Copy the fields of src whose bit is in mask into dst. */
static int
account_copy(struct conf_account *dst, const struct conf_account *src,
    unsigned long mask)
{
	size_t i;

#define B(k) (mask & (1UL << (k)))
#define S(f) do { if (copy_str(&dst->f, src->f) != 0) return (-1); } \
	while (0)
	if (B(K_HOST)) S(host);
	if (B(K_PORT)) dst->port = src->port;
	if (B(K_TLS)) dst->tls = src->tls;
	if (B(K_STARTTLS)) dst->starttls = src->starttls;
	if (B(K_TRUST)) S(trust_file);
	if (B(K_HOSTOVR)) S(host_override);
	if (B(K_SOURCE)) S(source_ip);
	if (B(K_PROXY)) S(proxy_host);
	if (B(K_PROXYPORT)) dst->proxy_port = src->proxy_port;
	if (B(K_SOCKET)) S(socket_path);
	if (B(K_CERTCHECK)) dst->certcheck = src->certcheck;
	if (B(K_FP)) {
		dst->has_fingerprint = src->has_fingerprint;
		memcpy(dst->fingerprint, src->fingerprint, 32);
	}
	if (B(K_LEGACY)) dst->tls_legacy = src->tls_legacy;
	if (B(K_CERTFILE)) S(cert_file);
	if (B(K_KEYFILE)) S(key_file);
	if (B(K_CRL)) S(crl_file);
	if (B(K_PRIO)) {
		S(priorities);
		dst->prio = src->prio;
	}
	if (B(K_DHBITS)) dst->min_dh_bits = src->min_dh_bits;
	if (B(K_WARM)) dst->warm_idle = src->warm_idle;
	if (B(K_AUTH)) dst->auth = src->auth;
	if (B(K_USER)) S(user);
	if (B(K_PASSWORD)) {
		wipe_free(dst->password);
		dst->password = src->password != NULL ?
		    xstrdup(src->password) : NULL;
		if (src->password != NULL && dst->password == NULL)
			return (-1);
	}
	if (B(K_PASSWORDEVAL)) S(passwordeval);
	if (B(K_FROM)) S(from);
	if (B(K_FROMHDR)) dst->from_header = src->from_header;
	if (B(K_DOMAIN)) S(domain);
	if (B(K_TIMEOUT)) dst->timeout = src->timeout;
	if (B(K_LOGFILE)) S(logfile);
	if (B(K_SYSLOG)) dst->syslog = src->syslog;
	if (B(K_BARELF)) dst->fix_bare_lf = src->fix_bare_lf;
	if (B(K_MATCH)) {
		for (i = 0; i < dst->nmatch; i++)
			free(dst->match[i].text);
		free(dst->match);
		dst->match = NULL;
		dst->nmatch = 0;
		if (src->nmatch > 0) {
			dst->match = calloc(src->nmatch, sizeof(*dst->match));
			if (dst->match == NULL)
				return (-1);
			for (i = 0; i < src->nmatch; i++) {
				dst->match[i] = src->match[i];
				dst->match[i].text =
				    xstrdup(src->match[i].text);
				if (dst->match[i].text == NULL)
					return (-1);
				dst->nmatch++;
			}
		}
	}
#undef S
#undef B
	dst->set |= mask & src->set;
	return (0);
}

struct conf_account *
conf_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nacct; i++)
		if (strcmp(c->acct[i]->name, name) == 0)
			return (c->acct[i]);
	return (NULL);
}

static int
valid_name(const char *s)
{

	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || *s == ':' || *s == ',')
			return (0);
	return (1);
}

/* A blank as msmtp reads one: space or tab, and nothing else. */
static int
is_blank(int c)
{

	return (c == ' ' || c == '\t');
}

/*
 * An argument as msmtp reads it, in place: blanks dropped at both ends,
 * then, if at least two characters are left and they start and end with
 * a double quote, those two quotes dropped.  Nothing else is interpreted
 * (no escapes, no comment after a value), so a password is written as it
 * is, in submit.conf as in ~/.msmtprc.
 */
static void
unquote(char *s)
{
	size_t i = 0, n;

	while (is_blank((unsigned char)s[i]))
		i++;
	n = strlen(s + i);
	while (n > 0 && is_blank((unsigned char)s[i + n - 1]))
		n--;
	if (n >= 2 && s[i] == '"' && s[i + n - 1] == '"') {
		i++;
		n -= 2;
	}
	memmove(s, s + i, n);
	s[n] = '\0';
}

/* `account NAME [: PARENT[, PARENT...]]` */
static int
start_account(struct parser *p, char *v)
{
	struct conf_account *a, *par, **na;
	char *colon, tok[MAXLINE];
	const char *rest, *t;
	size_t len;

	/* As msmtp: the name before a colon, and each parent, is an
	 * argument of its own (blanks and one pair of quotes dropped). */
	colon = strchr(v, ':');
	if (colon != NULL) {
		*colon++ = '\0';
		unquote(v);
	}
	if (!valid_name(v))
		return (perr(p, "account: expected a name without spaces, "
		    "colons or commas"));
	/* `account default : NAME` is an account like any other, as in
	 * msmtp: it inherits NAME, and keys below it apply to it. */
	if (conf_find(p->c, v) != NULL)
		return (perr(p, "account %s: defined twice", v));
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (perr(p, "out of memory"));
	account_defaults(a);
	if (account_copy(a, &p->defaults, ~0UL) != 0 ||
	    (a->name = xstrdup(v)) == NULL || (a->file = xstrdup(p->name)) ==
	    NULL) {
		account_clear(a);
		free(a);
		return (perr(p, "out of memory"));
	}
	a->line = p->line;
	if (colon != NULL) {
		rest = colon;
		while ((len = split_next(&rest, ",", &t)) > 0) {
			/* Not longer than the line it came in. */
			if (len >= sizeof(tok))
				abort();
			memcpy(tok, t, len);
			tok[len] = '\0';
			unquote(tok);
			if ((par = conf_find(p->c, tok)) == NULL) {
				account_clear(a);
				free(a);
				return (perr(p, "account %s: no account \"%s\" "
				    "defined above to inherit from", v, tok));
			}
			if (account_copy(a, par, par->set) != 0) {
				account_clear(a);
				free(a);
				return (perr(p, "out of memory"));
			}
		}
	}
	na = realloc(p->c->acct, (p->c->nacct + 1) * sizeof(*na));
	if (na == NULL) {
		account_clear(a);
		free(a);
		return (perr(p, "out of memory"));
	}
	p->c->acct = na;
	p->c->acct[p->c->nacct++] = a;
	p->cur = a;
	return (0);
}

static int
note_ignored(struct parser *p, const char *key)
{
	size_t i;
	char **n;

	for (i = 0; i < p->c->nignored; i++)
		if (strcmp(p->c->ignored[i], key) == 0)
			return (0);
	n = realloc(p->c->ignored, (p->c->nignored + 1) * sizeof(*n));
	if (n == NULL)
		return (perr(p, "out of memory"));
	p->c->ignored = n;
	if ((n[p->c->nignored] = xstrdup(key)) == NULL)
		return (perr(p, "out of memory"));
	p->c->nignored++;
	return (0);
}

/*
 * Split a line into key and value as msmtp does: a line whose first
 * non-blank character is `#` is a comment; otherwise the key is the first
 * word and the value the rest of the line, unquoted.  Returns 0, or 1 for
 * a blank or comment line.
 */
static int
split_line(char *line, char **key, char **val)
{
	char *s = line;

	while (is_blank((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return (1);
	*key = s;
	while (*s != '\0' && !is_blank((unsigned char)*s))
		s++;
	*val = s;
	if (*s != '\0') {
		*val = s + 1;
		*s = '\0';
	}
	unquote(*val);
	return (0);
}

static int
parse_line(struct parser *p, char *line)
{
	struct conf_account *a;
	char *key, *val;
	size_t i;

	if (split_line(line, &key, &val) != 0)
		return (0);
	if (strcmp(key, "defaults") == 0) {
		if (*val != '\0')
			return (perr(p, "defaults: takes no value"));
		p->cur = NULL;
		return (0);
	}
	if (strcmp(key, "account") == 0)
		return (start_account(p, val) < 0 ? -1 : 0);
	a = p->cur != NULL ? p->cur : &p->defaults;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].name) == 0) {
			if (keys[i].set(p, a, key, val) != 0)
				return (p->err[0] != '\0' ? -1 :
				    perr(p, "out of memory"));
			a->set |= 1UL << keys[i].bit;
			return (0);
		}
	for (i = 0; msmtp_route[i] != NULL; i++)
		if (strcmp(key, msmtp_route[i]) == 0)
			return (perr(p, "%s: this msmtp key changes where or how "
			    "the connection goes, and submitify does not "
			    "support it; remove it or use msmtp for this "
			    "account", key));
	for (i = 0; msmtp_only[i] != NULL; i++)
		if (strcmp(key, msmtp_only[i]) == 0)
			return (note_ignored(p, key));
	return (perr(p, "unknown key \"%s\"", key));
}

/*
 * The client certificate comes as a pair; the keys that shape TLS need
 * TLS; a CRL is checked against the chain, which a pin or tls_certcheck
 * off does not verify; auth external needs a certificate to stand for.
 */
static int
check_tls_keys(struct parser *p, struct conf_account *a)
{
	const char *k = NULL;

	if (a->cert_file != NULL && a->key_file == NULL)
		return (perr(p, "account %s: tls_cert_file needs tls_key_file "
		    "(the certificate's private key)", a->name));
	if (a->key_file != NULL && a->cert_file == NULL)
		return (perr(p, "account %s: tls_key_file needs tls_cert_file "
		    "(the certificate of that key)", a->name));
	if (a->cert_file != NULL)
		k = "tls_cert_file";
	else if (a->crl_file != NULL)
		k = "tls_crl_file";
	else if (a->priorities != NULL)
		k = "tls_priorities";
	else if (a->min_dh_bits != 0)
		k = "tls_min_dh_prime_bits";
	if (k != NULL && !a->tls)
		return (perr(p, "account %s: %s needs tls on", a->name, k));
	if (a->crl_file != NULL && (a->has_fingerprint || !a->certcheck))
		return (perr(p, "account %s: tls_crl_file is checked against "
		    "the server's certificate chain, which %s does not "
		    "verify; remove one of them", a->name, a->has_fingerprint ?
		    "tls_fingerprint" : "tls_certcheck off"));
	if (a->auth == SASL_EXTERNAL && a->cert_file == NULL)
		return (perr(p, "account %s: auth external needs a client "
		    "certificate (tls_cert_file and tls_key_file)", a->name));
	if (a->auth == SASL_EXTERNAL && !a->certcheck && !a->has_fingerprint)
		return (perr(p, "account %s: auth external needs a verified "
		    "server, not tls_certcheck off", a->name));
	return (0);
}

static int
check_accounts(struct parser *p)
{
	struct conf_account *a;
	size_t i;

	for (i = 0; i < p->c->nacct; i++) {
		a = p->c->acct[i];
		p->line = a->line;
		if (a->host == NULL)
			return (perr(p, "account %s: no host%s", a->name,
			    a->socket_path != NULL ? " (with socket too: host "
			    "is the name the certificate is verified "
			    "against)" : ""));
		if (!a->tls && a->auth != SASL_OFF && a->user != NULL)
			return (perr(p, "account %s: tls off would send the "
			    "password in clear text; submitify refuses that",
			    a->name));
		if (a->trust_file != NULL && *a->trust_file == '\0' &&
		    a->certcheck && !a->has_fingerprint)
			return (perr(p, "account %s: tls_trust_file is empty, "
			    "so no CA is trusted and no server could be; pin "
			    "it with tls_fingerprint", a->name));
		if ((a->auth == SASL_XOAUTH2 || a->auth == SASL_OAUTHBEARER) &&
		    a->user == NULL)
			return (perr(p, "account %s: auth %s needs a user",
			    a->name, sasl_mech_word(a->auth)));
		if (check_tls_keys(p, a) != 0)
			return (-1);
	}
	if (p->c->nacct == 0) {
		p->line = p->line > 0 ? p->line : 1;
		return (perr(p, "no account defined"));
	}
	return (0);
}

static struct conf *
parse_text(const char *name, const char *text, int secure, char *err,
    size_t errlen)
{
	struct parser p;
	const char *s, *nl;
	char line[MAXLINE];
	size_t n;

	memset(&p, 0, sizeof(p));
	err[0] = '\0';
	p.name = name;
	p.secure = secure;
	p.err = err;
	p.errlen = errlen;
	account_defaults(&p.defaults);
	if ((p.c = calloc(1, sizeof(*p.c))) == NULL ||
	    (p.c->path = xstrdup(name)) == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	for (s = text; *s != '\0'; s = nl + 1) {
		p.line++;
		nl = strchr(s, '\n');
		n = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (n >= sizeof(line)) {
			(void)perr(&p, "line too long");
			goto fail;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		/* CR LF ends a line as LF does; a CR elsewhere, even at
		 * the very end of the file, is text (as in msmtp). */
		if (nl != NULL && n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (parse_line(&p, line) != 0) {
			explicit_bzero(line, sizeof(line));
			goto fail;
		}
		explicit_bzero(line, sizeof(line));
		if (nl == NULL)
			break;
	}
	if (check_accounts(&p) != 0)
		goto fail;
	account_clear(&p.defaults);
	return (p.c);
fail:
	account_clear(&p.defaults);
	conf_free(p.c);
	return (NULL);
}

struct conf *
conf_parse(const char *name, const char *text, char *err, size_t errlen)
{

	return (parse_text(name, text, 0, err, errlen));
}

struct conf *
conf_load(const char *path, int flags, char *err, size_t errlen)
{
	int check_perms = (flags & (CONF_PERMS | CONF_SECURE)) != 0;
	struct stat st;
	struct conf *c;
	char *text;
	size_t len;
	int fd;

	/* O_NONBLOCK: a FIFO put in the file's place must not hold the
	 * reader (a warm helper serves every session of the uid). */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		(void)close(fd);
		return (NULL);
	}
	/* Whoever may change the file chooses the server and the commands
	 * run (passwordeval): only its user, or root. */
	if (check_perms && !WEAKEN_NO_PERM_CHECK) {
		/* For a setuid or setgid host, root's file alone: a file of
		 * the caller's would let the caller choose for the host. */
		if ((flags & CONF_SECURE) && st.st_uid != 0) {
			(void)snprintf(err, errlen, "%s: owned by uid %u, not "
			    "root; a setuid or setgid program uses root's file "
			    "only", path, (unsigned)st.st_uid);
			(void)close(fd);
			return (NULL);
		}
		if (st.st_uid != geteuid() && st.st_uid != 0) {
			(void)snprintf(err, errlen, "%s: owned by another user "
			    "(uid %u); it must be yours or root's", path,
			    (unsigned)st.st_uid);
			(void)close(fd);
			return (NULL);
		}
		if ((st.st_mode & 022) != 0) {
			(void)snprintf(err, errlen, "%s: group or others may "
			    "change it; run: chmod go-w %s", path, path);
			(void)close(fd);
			return (NULL);
		}
	}
	if (read_all(fd, &text, &len, MAXFILE) != 0) {
		(void)snprintf(err, errlen, "%s: %s", path, errno == EFBIG ?
		    "file too large" : strerror(errno));
		(void)close(fd);
		return (NULL);
	}
	(void)close(fd);
	if (memchr(text, '\0', len) != NULL) {
		(void)snprintf(err, errlen, "%s: contains a NUL byte", path);
		explicit_bzero(text, len);
		free(text);
		return (NULL);
	}
	c = parse_text(path, text, (flags & CONF_SECURE) != 0, err, errlen);
	explicit_bzero(text, len);
	free(text);
	if (c != NULL && check_perms && c->has_password &&
	    !WEAKEN_NO_PERM_CHECK) {
		if (st.st_uid != geteuid()) {
			(void)snprintf(err, errlen, "%s: contains a password "
			    "but is owned by another user (uid %u); it must "
			    "be yours", path, (unsigned)st.st_uid);
			conf_free(c);
			return (NULL);
		}
		if ((st.st_mode & 077) != 0) {
			(void)snprintf(err, errlen, "%s: contains a password "
			    "but group or others may access it; run: chmod "
			    "600 %s", path, path);
			conf_free(c);
			return (NULL);
		}
	}
	return (c);
}

void
conf_wipe_secrets(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nacct; i++) {
		wipe_free(c->acct[i]->password);
		c->acct[i]->password = NULL;
	}
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nacct; i++) {
		account_clear(c->acct[i]);
		free(c->acct[i]);
	}
	for (i = 0; i < c->nignored; i++)
		free(c->ignored[i]);
	free(c->ignored);
	free(c->acct);
	free(c->path);
	free(c->intercept_ports);
	free(c);
}

int
conf_port(const struct conf_account *a)
{

	if (a->port != 0)
		return (a->port);
	return (a->tls && !a->starttls ? 465 : 587);
}

/* ---- account choice ---- */

int
conf_match_addr(const struct conf_match *m, int family, const void *addr)
{
	const unsigned char *x = addr;
	int full, rest;

	if (m->any)
		return (1);
	if (m->bits < 0 || m->family != family)
		return (0);
	full = m->bits / 8;
	rest = m->bits % 8;
	if (memcmp(m->addr, x, (size_t)full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	return (((m->addr[full] ^ x[full]) & (0xff << (8 - rest)) & 0xff) ==
	    0);
}

/* Does the host name in m resolve to addr? */
static int
match_name(const struct conf_match *m, int family, const void *addr)
{
	struct addrinfo hints, *res, *ai;
	const void *a;
	int hit = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(m->text, NULL, &hints, &res) != 0)
		return (0);
	for (ai = res; ai != NULL && !hit; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			a = &((struct sockaddr_in *)(void *)ai->ai_addr)->
			    sin_addr;
		else
			a = &((struct sockaddr_in6 *)(void *)ai->ai_addr)->
			    sin6_addr;
		hit = memcmp(a, addr, family == AF_INET ? 4 : 16) == 0;
	}
	freeaddrinfo(res);
	return (hit);
}

struct conf_account *
conf_choose_fixed(const struct conf *c, const char *name, int family,
    const void *dest, char *err, size_t errlen)
{
	struct conf_account *a;
	size_t i, j;

	err[0] = '\0';
	if (name != NULL) {
		if ((a = conf_find(c, name)) == NULL)
			(void)snprintf(err, errlen, "%s: no account \"%s\"",
			    c->path, name);
		return (a);
	}
	if (dest != NULL)
		for (i = 0; i < c->nacct; i++) {
			a = c->acct[i];
			for (j = 0; j < a->nmatch; j++)
				if (conf_match_addr(&a->match[j], family,
				    dest) || (a->match[j].bits < 0 &&
				    !a->match[j].any &&
				    match_name(&a->match[j], family, dest)))
					return (a);
		}
	return (NULL);
}

/* `default`, else the only account, else NULL. */
static struct conf_account *
fallback(const struct conf *c)
{
	struct conf_account *a;

	if ((a = conf_find(c, "default")) != NULL)
		return (a);
	return (c->nacct == 1 ? c->acct[0] : NULL);
}

struct conf_account *
conf_choose(const struct conf *c, const char *name, int family,
    const void *dest, char *err, size_t errlen)
{

	return (conf_choose_by(c, name, family, dest, NULL, err, errlen));
}

int
conf_from_is_pattern(const char *from)
{

	return (from != NULL && strpbrk(from, "*?[") != NULL);
}

/* An ASCII lower-case copy of s into out (len bytes).  0, or -1 if it
 * does not fit. */
static int
lower_copy(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= len)
			return (-1);
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[i] = '\0';
	return (0);
}

int
conf_from_match(const char *from, const char *sender)
{
	char f[CONF_ADDR_MAX], snd[CONF_ADDR_MAX];
	const char *plus, *at, *fat;

	/* The null sender is no one's: it chooses by the later steps. */
	if (from == NULL || sender[0] == '\0')
		return (0);
	/* As msmtp: case does not count, in the address and the pattern
	 * alike (both lower-cased; fnmatch's FNM_CASEFOLD is not needed). */
	if (lower_copy(from, f, sizeof(f)) != 0 || lower_copy(sender, snd,
	    sizeof(snd)) != 0)
		return (0);
	if (fnmatch(f, snd, 0) == 0)
		return (1);
	/* user+detail@domain is user@domain's, unless the account's own
	 * address has a detail or is a pattern. */
	if (conf_from_is_pattern(f) || strchr(f, '+') != NULL ||
	    (plus = strchr(snd, '+')) == NULL || (at = strrchr(snd, '@')) ==
	    NULL || plus > at || (fat = strrchr(f, '@')) == NULL)
		return (0);
	return ((size_t)(fat - f) == (size_t)(plus - snd) &&
	    strncmp(f, snd, (size_t)(plus - snd)) == 0 && strcmp(fat, at) == 0);
}

struct conf_account *
conf_by_sender(const struct conf *c, const char *sender)
{
	size_t i;

	for (i = 0; i < c->nacct; i++)
		if (conf_from_match(c->acct[i]->from, sender))
			return (c->acct[i]);
	return (NULL);
}

int
conf_sender_decides(const struct conf *c, const struct conf_account *fixed)
{
	const struct conf_account *fb = fallback(c);
	size_t i;

	if (fixed != NULL)
		return (0);
	for (i = 0; i < c->nacct; i++)
		if (c->acct[i]->from != NULL && c->acct[i] != fb)
			return (1);
	return (0);
}

struct conf_account *
conf_choose_by(const struct conf *c, const char *name, int family,
    const void *dest, const char *sender, char *err, size_t errlen)
{
	struct conf_account *a;

	if ((a = conf_choose_fixed(c, name, family, dest, err, errlen)) !=
	    NULL || err[0] != '\0')
		return (a);
	if (sender != NULL && (a = conf_by_sender(c, sender)) != NULL)
		return (a);
	if ((a = fallback(c)) != NULL)
		return (a);
	if (sender != NULL)
		(void)snprintf(err, errlen, "%s: no account's from matches "
		    "the sender <%s> and there is no default account",
		    c->path, sender);
	else
		(void)snprintf(err, errlen, "%s: no account matches this "
		    "destination and there is no default account", c->path);
	return (NULL);
}

/* ---- tls_priorities ---- */

/*
 * GnuTLS priority strings, the subset that OpenSSL can honour without
 * weakening anything: a keyword, then ":"-separated modifiers.  What
 * GnuTLS would allow beyond submitify's floor (TLS 1.2) is refused, not
 * ignored, as is every part without an OpenSSL counterpart here.
 */
static const struct {
	const char *word;
	int pfs, bits;
} prio_base[] = {
	{ "NORMAL", 0, 0 },
	{ "PERFORMANCE", 0, 0 },	/* an order of preference only */
	{ "SECURE128", 0, 0 },		/* every cipher here has 128 bits */
	{ "SECURE192", 0, 256 },
	{ "SECURE256", 0, 256 },
	{ "PFS", 1, 0 },
};

static int
prio_part(const char *t, struct conf_prio *o, char *why, size_t whylen)
{
	static const char *const old[] = {
		"VERS-SSL3.0", "VERS-TLS1.0", "VERS-TLS1.1", NULL
	};
	int add = t[0] == '+', i;
	const char *v = t + 1;

	if (strcasecmp(t, "%NO_TICKETS") == 0) {
		o->no_tickets = 1;
		return (0);
	}
	if (t[0] != '+' && t[0] != '-')
		goto unsupported;
	if (strcasecmp(v, "VERS-ALL") == 0 ||
	    strcasecmp(v, "VERS-TLS-ALL") == 0) {
		o->tls12 = o->tls13 = add;
		return (0);
	}
	if (strcasecmp(v, "VERS-TLS1.2") == 0) {
		o->tls12 = add;
		return (0);
	}
	if (strcasecmp(v, "VERS-TLS1.3") == 0) {
		o->tls13 = add;
		return (0);
	}
	for (i = 0; old[i] != NULL; i++)
		if (strcasecmp(v, old[i]) == 0) {
			if (!add)
				return (0);	/* never on anyway */
			(void)snprintf(why, whylen, "\"%s\" cannot be "
			    "honoured: submitify never uses a TLS version "
			    "older than 1.2", t);
			return (-1);
		}
unsupported:
	(void)snprintf(why, whylen, "\"%s\" cannot be honoured: submitify "
	    "takes NORMAL, PERFORMANCE, PFS, SECURE128, SECURE192 or "
	    "SECURE256, then +/-VERS-TLS1.2, +/-VERS-TLS1.3, +/-VERS-ALL or "
	    "%%NO_TICKETS (see submit.conf(5))", t);
	return (-1);
}

int
conf_priorities(const char *s, struct conf_prio *out, char *why,
    size_t whylen)
{
	struct conf_prio o;
	char buf[MAXLINE], *t, *save = NULL;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.tls12 = o.tls13 = 1;
	if (*s == '\0') {
		*out = o;
		return (0);
	}
	if (strlen(s) >= sizeof(buf)) {
		(void)snprintf(why, whylen, "too long");
		return (-1);
	}
	memcpy(buf, s, strlen(s) + 1);
	t = strtok_r(buf, ":", &save);
	for (i = 0; t != NULL && i < sizeof(prio_base) / sizeof(prio_base[0]);
	    i++)
		if (strcasecmp(t, prio_base[i].word) == 0)
			break;
	if (t == NULL || i == sizeof(prio_base) / sizeof(prio_base[0])) {
		(void)snprintf(why, whylen, "\"%s\" cannot be honoured: the "
		    "string must begin with NORMAL, PERFORMANCE, PFS, "
		    "SECURE128, SECURE192 or SECURE256", t != NULL ? t : s);
		return (-1);
	}
	o.pfs = prio_base[i].pfs;
	o.bits = prio_base[i].bits;
	while ((t = strtok_r(NULL, ":", &save)) != NULL)
		if (prio_part(t, &o, why, whylen) != 0)
			return (-1);
	if (!o.tls12 && !o.tls13) {
		(void)snprintf(why, whylen, "\"%s\" leaves no TLS version "
		    "submitify uses (1.2 and 1.3)", s);
		return (-1);
	}
	*out = o;
	return (0);
}

/* ---- the secret ---- */

int
conf_needs_secret(const struct conf_account *a)
{

	return (a->user != NULL && a->auth != SASL_OFF &&
	    a->auth != SASL_EXTERNAL);
}

int
conf_injects(const struct conf_account *a)
{

	return (a->auth != SASL_OFF && (a->user != NULL ||
	    a->auth == SASL_EXTERNAL));
}

char *
conf_secret(const struct conf_account *a, int run_eval, char *err,
    size_t errlen, char *detail, size_t detaillen)
{
	struct secret_source src;

	memset(&src, 0, sizeof(src));
	src.password = a->password;
	src.passwordeval = a->passwordeval;
	src.user = a->user;
	src.host = a->host;
	src.timeout_s = a->timeout;
	src.file = a->file;
	src.line = a->line;
	src.account = a->name;
	return (secret_get(&src, run_eval, err, errlen, detail, detaillen));
}

/* ---- printing and lookup ---- */

void
conf_print(const struct conf *c, void *fp)
{
	FILE *f = fp;
	const struct conf_account *a;
	size_t i, j;

	fprintf(f, "# %s\n", c->path);
	fprintf(f, "intercept_ports %s\n",
	    c->intercept_ports != NULL ? c->intercept_ports : "25");
	for (i = 0; i < c->nacct; i++) {
		a = c->acct[i];
		fprintf(f, "\naccount %s\n", a->name);
		fprintf(f, "host %s\nport %d\n", a->host, conf_port(a));
		fprintf(f, "tls %s\ntls_starttls %s\n", a->tls ? "on" : "off",
		    a->starttls ? "on" : "off");
		fprintf(f, "tls_trust_file %s\n",
		    a->trust_file == NULL ? "system" :
		    *a->trust_file == '\0' ? "\"\"" : a->trust_file);
		if (a->host_override != NULL)
			fprintf(f, "tls_host_override %s\n", a->host_override);
		if (a->source_ip != NULL)
			fprintf(f, "source_ip %s\n", a->source_ip);
		if (a->socket_path != NULL)
			fprintf(f, "socket %s\n", a->socket_path);
		if (a->proxy_host != NULL)
			fprintf(f, "proxy_host %s\nproxy_port %d\n",
			    a->proxy_host, a->proxy_port > 0 ? a->proxy_port :
			    1080);
		fprintf(f, "tls_certcheck %s\n", a->certcheck ? "on" : "off");
		if (a->has_fingerprint) {
			fprintf(f, "tls_fingerprint ");
			for (j = 0; j < 32; j++)
				fprintf(f, "%02X%s", a->fingerprint[j],
				    j < 31 ? ":" : "\n");
		}
		fprintf(f, "tls_legacy %s\n", a->tls_legacy ? "on" : "off");
		if (a->cert_file != NULL)
			fprintf(f, "tls_cert_file %s\ntls_key_file %s\n",
			    a->cert_file, a->key_file);
		if (a->crl_file != NULL)
			fprintf(f, "tls_crl_file %s\n", a->crl_file);
		if (a->priorities != NULL)
			fprintf(f, "tls_priorities %s\n", a->priorities);
		if (a->min_dh_bits > 0)
			fprintf(f, "tls_min_dh_prime_bits %d\n",
			    a->min_dh_bits);
		fprintf(f, "auth %s\n", sasl_mech_word(a->auth));
		if (a->user != NULL)
			fprintf(f, "user %s\n", a->user);
		if (a->password != NULL)
			fprintf(f, "password *\n");
		if (a->passwordeval != NULL)
			fprintf(f, "passwordeval %s\n", a->passwordeval);
		if (a->from != NULL)
			fprintf(f, "from %s\n", a->from);
		fprintf(f, "set_from_header %s\n", a->from_header ==
		    FROMHDR_ON ? "on" : a->from_header == FROMHDR_AUTO ?
		    "auto" : "off");
		if (a->domain != NULL)
			fprintf(f, "domain %s\n", a->domain);
		if (a->timeout > 0)
			fprintf(f, "timeout %d\n", a->timeout);
		else
			fprintf(f, "timeout off\n");
		if (a->logfile != NULL)
			fprintf(f, "logfile %s\n", a->logfile);
		fprintf(f, "syslog %s\n", a->syslog ? "on" : "off");
		fprintf(f, "fix_bare_lf %s\n", a->fix_bare_lf ? "on" : "off");
		if (a->nmatch > 0) {
			fprintf(f, "match");
			for (j = 0; j < a->nmatch; j++)
				fprintf(f, " %s", a->match[j].text);
			fprintf(f, "\n");
		}
	}
}

char *
conf_locate(const char *opt, int secure, int *msmtprc)
{
	const char *env, *home;
	char *p;

	*msmtprc = 0;
	if (opt != NULL)
		return (xstrdup(opt));
	if (!secure) {
		if ((env = getenv("SUBMITIFY_CONF")) != NULL && *env != '\0')
			return (xstrdup(env));
		if ((home = getenv("HOME")) != NULL && *home != '\0') {
			if (asprintf(&p, "%s/.config/submitify/submit.conf",
			    home) >= 0) {
				if (access(p, F_OK) == 0)
					return (p);
				free(p);
			}
		}
	}
	if (access("/etc/submitify/submit.conf", F_OK) == 0)
		return (xstrdup("/etc/submitify/submit.conf"));
	if (!secure && (home = getenv("HOME")) != NULL && *home != '\0' &&
	    asprintf(&p, "%s/.msmtprc", home) >= 0) {
		if (access(p, F_OK) == 0) {
			*msmtprc = 1;
			return (p);
		}
		free(p);
	}
	return (NULL);
}
