#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/syscall.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sasl.h"
#include "session.h"
#include "tls.h"
#include "util.h"
#include "weaken.h"

int
session_fail(struct session *s, enum fail_class c, const char *fmt, ...)
{
	va_list ap;
	char raw[sizeof(s->why)];
	int n;

	/* The first cause is the one that counts. */
	if (s->fail != FAIL_NONE)
		return (-1);
	s->fail = c;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* It goes into a reply line, a log and a terminal, and may quote the
	 * server: control characters escaped. */
	(void)esc_text(s->why, sizeof(s->why), raw, n < 0 ? 0 :
	    (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
	return (-1);
}

/* One line of --check output, when checking; escaped (esc_text), since it
 * quotes the server. */
static void report(const struct session *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
report(const struct session *s, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (s->report == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	esc_line(s->report, "%s", line);
}

/* The certificate's description (lines of "key: value"), one report line
 * each. */
static void
report_lines(const struct session *s, char *text)
{
	char *line, *nl;

	for (line = text; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (*line != '\0')
			report(s, "%s", line);
		if (nl == NULL)
			break;
	}
}

static int
remaining(const struct session *s)
{
	long long left = s->deadline - now_ms();

	return (left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left);
}

/* Wait until the upstream socket is ready for ev, before the deadline. */
static int
up_wait(struct session *s, short ev)
{
	struct pollfd p;
	int r;

	p.fd = s->ufd;
	p.events = ev;
	for (;;) {
		r = poll(&p, 1, WEAKEN_NO_TIMEOUT ? -1 : remaining(s));
		if (r > 0)
			return (0);
		if (r == 0)
			return (session_fail(s, FAIL_TIMEOUT, "no answer from "
			    "%s in time", s->upstream));
		if (errno != EINTR)
			return (session_fail(s, FAIL_CONNECT, "poll: %s",
			    strerror(errno)));
	}
}

int
up_write(struct session *s, const void *vbuf, size_t len)
{
	const char *buf = vbuf;
	long r;

	while (len > 0) {
		if (s->tls != NULL) {
			r = tls_write(s->tls, buf, len);
			if (r == TLS_WANT_READ || r == TLS_WANT_WRITE) {
				if (up_wait(s, r == TLS_WANT_READ ? POLLIN :
				    POLLOUT) != 0)
					return (-1);
				continue;
			}
			if (r <= 0)
				return (session_fail(s, FAIL_CONNECT, "%s: %s",
				    s->upstream, tls_error(s->tls)));
		} else {
			r = send(s->ufd, buf, len, MSG_NOSIGNAL);
			if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (up_wait(s, POLLOUT) != 0)
					return (-1);
				continue;
			}
			if (r < 0)
				return (session_fail(s, FAIL_CONNECT, "%s: %s",
				    s->upstream, strerror(errno)));
		}
		buf += r;
		len -= (size_t)r;
		s->bytes_up += (unsigned long long)r;
	}
	return (0);
}

int
up_reply(struct session *s, struct smtp_reply *r)
{
	char *space;
	size_t n;
	long got;
	int k;

	for (;;) {
		k = smtp_rp_next(s->rp, r);
		if (k == 1) {
			s->last_code = r->code;
			log_debug_lines("<- ", r->raw, r->len);
			return (0);
		}
		if (k < 0)
			return (session_fail(s, FAIL_PROTOCOL, "%s sent a bad "
			    "reply: %s", s->upstream, s->rp->err));
		space = smtp_rp_space(s->rp, &n);
		if (s->tls != NULL) {
			got = tls_read(s->tls, space, n);
			if (got == TLS_WANT_READ || got == TLS_WANT_WRITE) {
				if (up_wait(s, got == TLS_WANT_READ ? POLLIN :
				    POLLOUT) != 0)
					return (-1);
				continue;
			}
			if (got == 0)
				return (session_fail(s, FAIL_CONNECT, "%s "
				    "closed the connection", s->upstream));
			if (got < 0)
				return (session_fail(s, FAIL_CONNECT, "%s: %s",
				    s->upstream, tls_error(s->tls)));
		} else {
			got = recv(s->ufd, space, n, 0);
			if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (up_wait(s, POLLIN) != 0)
					return (-1);
				continue;
			}
			if (got == 0)
				return (session_fail(s, FAIL_CONNECT, "%s "
				    "closed the connection", s->upstream));
			if (got < 0)
				return (session_fail(s, FAIL_CONNECT, "%s: %s",
				    s->upstream, strerror(errno)));
		}
		smtp_rp_commit(s->rp, (size_t)got);
		s->bytes_down += (unsigned long long)got;
	}
}

/* A command line upstream, logged unless it carries a secret. */
static int
up_cmd(struct session *s, const char *line, int secret)
{
	size_t len = strlen(line);
	char *buf;
	int r;

	if (s->verbose || log_debugging())
		log_debug("-> %s", secret ? "(credentials, not shown)" : line);
	/* AUTH lines carry tokens of several kilobytes: no fixed size. */
	if ((buf = malloc(len + 3)) == NULL)
		return (session_fail(s, FAIL_AUTH, "out of memory"));
	memcpy(buf, line, len);
	memcpy(buf + len, "\r\n", 3);
	r = up_write(s, buf, len + 2);
	explicit_bzero(buf, len + 2);
	free(buf);
	return (r);
}

static int
up_connect(struct session *s)
{
	const struct conf_account *a = s->acct;
	struct addrinfo hints, *res, *ai;
	char port[8];
	socklen_t elen;
	int fd = -1, e, one = 1, r;

	(void)snprintf(port, sizeof(port), "%d", conf_port(a));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(a->host, port, &hints, &res)) != 0)
		return (session_fail(s, FAIL_CONNECT, "cannot resolve %s: %s",
		    a->host, gai_strerror(r)));
	e = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		s->ufd = fd;
		/* The system call itself: with the shim preloaded machine-wide
		 * (/etc/ld.so.preload) it is in this process too, and must not
		 * take the helper's own connection (intercept_ports may name
		 * the submission port). */
		if (syscall(SYS_connect, fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			if (up_wait(s, POLLOUT) != 0) {
				freeaddrinfo(res);
				return (-1);
			}
			elen = sizeof(e);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
			    &elen) == 0 && e == 0)
				break;
		} else
			e = errno;
		(void)close(fd);
		s->ufd = fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return (session_fail(s, FAIL_CONNECT, "cannot connect to %s: "
		    "%s", s->upstream, strerror(e != 0 ? e : ECONNREFUSED)));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (0);
}

static void
tls_opts_of(const struct conf_account *a, struct tls_opts *o)
{

	memset(o, 0, sizeof(*o));
	o->host = a->host;
	o->trust_file = a->trust_file;
	o->certcheck = a->certcheck;
	o->fingerprint = a->has_fingerprint ? a->fingerprint : NULL;
	o->legacy = a->tls_legacy;
}

static int
start_tls(struct session *s)
{
	const struct conf_account *a = s->acct;
	struct tls_opts o;
	char err[400], desc[1200];
	int r;

	tls_opts_of(a, &o);
	if (!a->certcheck && !a->has_fingerprint)
		log_warn("account %s: tls_certcheck off: the server's "
		    "certificate is not checked", a->name);
	if ((s->tls = tls_prepare(&o, err, sizeof(err))) == NULL)
		return (session_fail(s, FAIL_CONFIG, "%s", err));
	if (tls_start(s->tls, s->ufd, a->host, err, sizeof(err)) != 0)
		return (session_fail(s, FAIL_CONFIG, "%s", err));
	for (;;) {
		r = tls_handshake(s->tls, err, sizeof(err));
		if (r == 0)
			break;
		if (r == TLS_WANT_READ || r == TLS_WANT_WRITE) {
			if (up_wait(s, r == TLS_WANT_READ ? POLLIN : POLLOUT))
				return (-1);
			continue;
		}
		if (s->report != NULL) {
			tls_describe_peer(s->tls, desc, sizeof(desc));
			report_lines(s, desc);
			if (a->certcheck && !a->has_fingerprint)
				report(s, "trust: %s", tls_trust(s->tls));
			report(s, "verification: FAILED: %s", err);
		}
		return (session_fail(s, strstr(err, "certificate") != NULL ?
		    FAIL_CERT : FAIL_TLS, "%s: %s", s->upstream, err));
	}
	s->tls_up = 1;
	if (s->verbose || log_debugging())
		log_debug("TLS: %s %s", tls_version(s->tls),
		    tls_cipher(s->tls));
	if (s->report != NULL) {
		report(s, "TLS: %s, cipher %s", tls_version(s->tls),
		    tls_cipher(s->tls));
		tls_describe_peer(s->tls, desc, sizeof(desc));
		report_lines(s, desc);
		if (a->certcheck && !a->has_fingerprint)
			report(s, "trust: %s", tls_trust(s->tls));
		report(s, "verification: %s", a->has_fingerprint ?
		    "ok: the certificate matches tls_fingerprint" :
		    !a->certcheck ? "NOT CHECKED (tls_certcheck off)" :
		    "ok: chain trusted and host name matches");
	}
	return (0);
}

static int
ehlo(struct session *s, struct smtp_reply *r)
{
	char line[300];

	(void)snprintf(line, sizeof(line), "EHLO %s",
	    s->acct->domain != NULL ? s->acct->domain : "localhost");
	if (up_cmd(s, line, 0) != 0 || up_reply(s, r) != 0)
		return (-1);
	if (r->code != 250)
		return (session_fail(s, s->tls == NULL && s->acct->tls ?
		    FAIL_TLS : FAIL_PROTOCOL, "%s refused EHLO: %.*s",
		    s->upstream, (int)(r->len > 2 ? r->len - 2 : 0), r->raw));
	return (0);
}

/* The reply's text for a message: first line, without CRLF. */
static int
first_len(const struct smtp_reply *r)
{
	const char *nl = memchr(r->raw, '\r', r->len);

	return ((int)(nl != NULL ? (size_t)(nl - r->raw) : r->len));
}

/* The AUTH exchange's way to the server: through this session. */
static int
io_send(void *arg, const char *line, int secret)
{

	return (up_cmd(arg, line, secret));
}

static int
io_reply(void *arg, struct smtp_reply *r)
{

	return (up_reply(arg, r));
}

static int
authenticate(struct session *s)
{
	const struct conf_account *a = s->acct;
	struct sasl_io io = { s, io_send, io_reply };
	struct sasl_end end;
	char err[512], detail[256];
	char *secret;
	int rc = -1;

	report(s, "AUTH offered after TLS: %s", s->mechs[0] != '\0' ?
	    s->mechs : "(none)");
	if (a->auth == SASL_OFF || a->user == NULL) {
		report(s, "AUTH: none injected (%s)", a->user == NULL ?
		    "no user: the program's own AUTH is relayed" : "auth off");
		return (0);
	}
	s->inject = 1;
	if ((secret = conf_secret(a, 1, err, sizeof(err), detail,
	    sizeof(detail))) == NULL) {
		/*
		 * What the command said is for the user's eyes: --check and
		 * the debug transcript (never on for a setuid or setgid
		 * host: helper/main.c), not the 421 or the log line.
		 */
		if (detail[0] != '\0') {
			report(s, "passwordeval said: %s", detail);
			log_debug("passwordeval said: %s", detail);
		}
		return (session_fail(s, FAIL_CONFIG, "%s", err));
	}
	if ((s->mech = sasl_choose(a->auth, s->mechs, a->user, secret,
	    s->upstream, err, sizeof(err))) == NULL) {
		(void)session_fail(s, FAIL_AUTH, "%s", err);
		goto out;
	}
	report(s, "AUTH chosen: %s as %s", s->mech, a->user);
	switch (sasl_login(&io, s->mech, a->user, secret, s->upstream,
	    &end)) {
	case SASL_DONE:
		report(s, "AUTH result: %s", end.text);
		rc = 0;
		break;
	case SASL_REFUSED:
		report(s, "AUTH result: %s", end.text);
		(void)session_fail(s, FAIL_AUTH, "authentication as %s with "
		    "%s failed: %s", a->user, s->mech, end.text);
		break;
	case SASL_BROKEN:
		(void)session_fail(s, FAIL_AUTH, "%s", end.why);
		break;
	case SASL_IO:
		break;
	}
out:
	wipe_free(secret);
	return (rc);
}

int
session_setup(struct session *s, int budget_ms)
{
	const struct conf_account *a = s->acct;
	struct smtp_reply r;
	int implicit = a->tls && !a->starttls, mode;

	s->deadline = now_ms() + budget_ms;
	s->ufd = -1;
	(void)snprintf(s->upstream, sizeof(s->upstream), "%s:%d", a->host,
	    conf_port(a));
	if ((s->rp = malloc(sizeof(*s->rp))) == NULL)
		return (session_fail(s, FAIL_CONFIG, "out of memory"));
	smtp_rp_init(s->rp);
	if (up_connect(s) != 0)
		return (-1);
	report(s, "connected: %s", s->upstream);
	if (implicit && start_tls(s) != 0)
		return (-1);
	if (up_reply(s, &r) != 0)
		return (-1);
	report(s, "greeting: %.*s", first_len(&r), r.raw);
	if (r.code != 220)
		return (session_fail(s, FAIL_PROTOCOL, "%s greeted with: %.*s",
		    s->upstream, first_len(&r), r.raw));
	if (ehlo(s, &r) != 0)
		return (-1);
	if (a->tls && a->starttls) {
		weak_pretls_keep(&r);
		if (!smtp_has_cap(&r, "STARTTLS")) {
			if (WEAKEN_STARTTLS_OPTIONAL)
				goto plain;
			return (session_fail(s, FAIL_TLS, "%s does not offer "
			    "STARTTLS; refusing to continue without TLS",
			    s->upstream));
		}
		if (up_cmd(s, weak_starttls_cmd("STARTTLS"), 0) != 0 ||
		    up_reply(s, &r) != 0)
			return (-1);
		if (r.code != 220) {
			/* (A failed EHLO has failed the session already.) */
			if (WEAKEN_STARTTLS_OPTIONAL && ehlo(s, &r) == 0)
				goto plain;
			return (session_fail(s, FAIL_TLS, "%s refused "
			    "STARTTLS: %.*s", s->upstream, first_len(&r),
			    r.raw));
		}
		/* Anything sent along with the 220 was sent before TLS. */
		if (!WEAKEN_STARTTLS_BUFFER && smtp_rp_pending(s->rp) != 0)
			return (session_fail(s, FAIL_TLS, "%s sent data "
			    "after its STARTTLS reply (an injection attempt?)",
			    s->upstream));
		if (start_tls(s) != 0)
			return (-1);
		/* Forget everything learned in plaintext. */
		if (!WEAKEN_STARTTLS_BUFFER)
			smtp_rp_init(s->rp);
		if (!weak_pretls_caps(&r) && ehlo(s, &r) != 0)
			return (-1);
	}
plain:
	smtp_reply_name(&r, s->name, sizeof(s->name));
	if (s->name[0] == '\0')
		(void)snprintf(s->name, sizeof(s->name), "%s", a->host);
	(void)smtp_auth_mechs(&r, s->mechs, sizeof(s->mechs));
	if ((s->caps = malloc(SMTP_REPLY_MAX)) == NULL)
		return (session_fail(s, FAIL_CONFIG, "out of memory"));
	/* Without TLS the program may not send its own AUTH either. */
	mode = a->user != NULL && a->auth != SASL_OFF ? CAPS_INJECT :
	    s->tls != NULL ? CAPS_KEEP : CAPS_DROP;
	s->capslen = smtp_caps_filter(&r, mode, s->caps, SMTP_REPLY_MAX);
	if (s->capslen < 0)
		return (session_fail(s, FAIL_PROTOCOL, "EHLO reply too long"));
	weak_early_relay(s);
	return (authenticate(s));
}

void
session_close_upstream(struct session *s, int clean)
{

	if (s->tls != NULL && clean)
		tls_close(s->tls);
	if (s->ufd >= 0) {
		(void)close(s->ufd);
		s->ufd = -1;
	}
}

void
session_free(struct session *s)
{

	tls_free(s->tls);
	s->tls = NULL;
	free(s->rp);
	s->rp = NULL;
	free(s->caps);
	s->caps = NULL;
}

const char *
session_status(enum fail_class c)
{
	static const char *const status[] = {
		[FAIL_NONE] = "4.3.0", [FAIL_CONFIG] = "4.3.5",
		[FAIL_CONNECT] = "4.4.1", [FAIL_TLS] = "4.7.0",
		[FAIL_CERT] = "4.7.0", [FAIL_AUTH] = "4.7.0",
		[FAIL_PROTOCOL] = "4.5.0", [FAIL_TIMEOUT] = "4.4.2",
		[FAIL_PROGRAM] = "4.5.0",
	};

	return (status[c]);
}

void
session_refuse(struct session *s)
{
	char line[700];
	int n;

	if (s->cfd < 0)
		return;
	n = snprintf(line, sizeof(line), "421 %s submitify: %s\r\n",
	    session_status(s->fail), s->why);
	if (n > 0)
		(void)send(s->cfd, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}
