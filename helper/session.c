#define _GNU_SOURCE
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authmem.h"
#include "dial.h"
#include "log.h"
#include "sasl.h"
#include "secrets.h"
#include "session.h"
#include "socks.h"
#include "tls.h"
#include "upstream.h"
#include "util.h"
#include "weaken.h"

#define SETUP_BUDGET_S	30	/* DESIGN.md decision 5 */

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

/* Tell the observer, if there is one, of a step. */
static void
note(const struct session *s, enum session_event ev, const char *text,
    const char *more)
{

	if (s->observer != NULL)
		s->observer->event(s->observer->arg, ev, text, more);
}

/* The certificate, the trust store it was judged by, and the verdict. */
static void
note_peer(const struct session *s, enum session_event verdict,
    const char *why)
{
	const struct conf_account *a = s->acct;
	char desc[1200];

	if (s->observer == NULL)
		return;
	tlsc_describe_peer(s->up.tls, desc, sizeof(desc));
	note(s, SEV_CERT, desc, NULL);
	if (a->certcheck && !a->has_fingerprint)
		note(s, SEV_TRUST, tlsc_trust(s->up.tls), NULL);
	note(s, verdict, why, NULL);
}

/*
 * What the transport reported, as this session's failure: the wording the
 * program's 421 and the log line have always had.
 */
static int
up_fail(struct session *s, long k)
{

	switch (k) {
	case UPSTREAM_TIMEOUT:
		return (session_fail(s, FAIL_TIMEOUT, "no answer from %s in "
		    "time", s->upstream));
	case UPSTREAM_WAIT_ERR:
		return (session_fail(s, FAIL_CONNECT, "%s", s->up.err));
	case 0:
		return (session_fail(s, FAIL_CONNECT, "%s closed the "
		    "connection", s->upstream));
	default:
		return (session_fail(s, FAIL_CONNECT, "%s: %s", s->upstream,
		    s->up.err));
	}
}

/* Wait until the upstream socket is ready for ev, before the deadline. */
static int
up_wait(struct session *s, short ev)
{
	int k;

	if ((k = upstream_wait(&s->up, ev, s->deadline)) != 0)
		return (up_fail(s, k));
	return (0);
}

int
up_write(struct session *s, const void *buf, size_t len)
{
	size_t sent;
	int k;

	k = upstream_write_all(&s->up, buf, len, s->deadline, &sent);
	s->bytes_up += sent;
	return (k == 0 ? 0 : up_fail(s, k));
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
		if ((got = upstream_read_some(&s->up, space, n,
		    s->deadline)) <= 0)
			return (up_fail(s, got));
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

/*
 * submit.conf's socket: a local socket instead of host and port, and of
 * the proxy and source_ip too, as in msmtp.  Everything after it (TLS
 * verified against the account's host, AUTH) is as over TCP.
 */
static int
up_connect_local(struct session *s)
{
	int e;

	if ((s->up.fd = dial_unix(s->acct->socket_path, s->deadline,
	    &e)) >= 0)
		return (0);
	if (e == ETIMEDOUT)
		return (session_fail(s, FAIL_TIMEOUT, "no answer from the "
		    "socket %s in time", s->upstream));
	return (session_fail(s, FAIL_CONNECT, "cannot connect to the socket "
	    "%s: %s", s->upstream, strerror(e)));
}

static int
up_connect(struct session *s)
{
	const struct conf_account *a = s->acct;
	struct addrinfo hints, *res, *src = NULL;
	const char *host = a->host;
	char port[16], where[300], err[300];
	int fd, e, one = 1, r, to;

	if (a->socket_path != NULL)
		return (up_connect_local(s));

	/* Through a proxy, the connection is the proxy's, and the proxy
	 * resolves the server's name. */
	if (a->proxy_host != NULL) {
		host = a->proxy_host;
		(void)snprintf(port, sizeof(port), "%d", a->proxy_port > 0 ?
		    a->proxy_port : 1080);
		(void)snprintf(where, sizeof(where), "the SOCKS5 proxy %s:%s",
		    host, port);
	} else {
		(void)snprintf(port, sizeof(port), "%d", conf_port(a));
		(void)snprintf(where, sizeof(where), "%s", s->upstream);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0)
		return (session_fail(s, FAIL_CONNECT, "cannot resolve %s: %s",
		    host, gai_strerror(r)));
	if (a->source_ip != NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
		hints.ai_socktype = SOCK_STREAM;
		if ((r = getaddrinfo(a->source_ip, NULL, &hints, &src)) != 0) {
			freeaddrinfo(res);
			return (session_fail(s, FAIL_CONFIG, "source_ip %s: %s",
			    a->source_ip, gai_strerror(r)));
		}
	}
	fd = dial(res, src != NULL ? src->ai_addr : NULL, src != NULL ?
	    src->ai_addrlen : 0, s->deadline, DIAL_DELAY_MS, &e);
	s->up.fd = fd;
	freeaddrinfo(res);
	if (src != NULL)
		freeaddrinfo(src);
	if (fd < 0 && e == EAFNOSUPPORT && a->source_ip != NULL)
		return (session_fail(s, FAIL_CONNECT, "%s has no address of "
		    "the family of source_ip %s", host, a->source_ip));
	if (fd < 0 && e == EADDRNOTAVAIL && a->source_ip != NULL)
		return (session_fail(s, FAIL_CONNECT, "cannot connect from "
		    "source_ip %s: %s", a->source_ip, strerror(e)));
	if (fd < 0 && e == ETIMEDOUT)
		return (session_fail(s, FAIL_TIMEOUT, "no answer from %s in "
		    "time", where));
	if (fd < 0)
		return (session_fail(s, FAIL_CONNECT, "cannot connect to %s: "
		    "%s", where, strerror(e)));
	if (a->proxy_host != NULL && socks5_connect(&s->up, a->host,
	    conf_port(a), s->deadline, &to, err, sizeof(err)) != 0)
		return (session_fail(s, to ? FAIL_TIMEOUT : FAIL_CONNECT,
		    "%s", err));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (0);
}

static void
tls_opts_of(const struct conf_account *a, struct tlsc_opts *o)
{

	memset(o, 0, sizeof(*o));
	o->host = a->host_override != NULL ? a->host_override : a->host;
	o->trust_file = a->trust_file;
	o->certcheck = a->certcheck;
	o->fingerprint = a->has_fingerprint ? a->fingerprint : NULL;
	o->legacy = a->tls_legacy;
	o->cert_file = a->cert_file;
	o->key_file = a->key_file;
	o->crl_file = a->crl_file;
	o->tls12 = a->prio.tls12;
	o->tls13 = a->prio.tls13;
	o->pfs = a->prio.pfs;
	o->bits256 = a->prio.bits == 256;
	o->no_tickets = a->prio.no_tickets;
	o->min_dh_bits = a->min_dh_bits;
}

struct tlsc *
session_tls_prepare(const struct conf_account *a, char *err, size_t errlen)
{
	struct tlsc_opts o;

	if (!a->tls || a->cert_file != NULL)
		return (NULL);
	tls_opts_of(a, &o);
	return (tlsc_prepare(&o, err, errlen));
}

/*
 * The client, prepared: the key file is read here, once the account is
 * chosen and its session starts, and wiped as soon as OpenSSL has it.
 */
static struct tlsc *
prepare_tls(struct session *s, char *err, size_t errlen)
{
	const struct conf_account *a = s->acct;
	struct tlsc_opts o;
	struct tlsc *t;
	char *key = NULL;
	size_t keylen = 0;

	tls_opts_of(a, &o);
	if (a->key_file != NULL && secret_read_key(a->key_file, s->secure,
	    &key, &keylen, err, errlen) != 0)
		return (NULL);
	o.key_pem = key;
	o.key_len = keylen;
	t = tlsc_prepare(&o, err, errlen);
	if (key != NULL) {
		explicit_bzero(key, keylen);
		free(key);
	}
	return (t);
}

static int
start_tls(struct session *s)
{
	const struct conf_account *a = s->acct;
	char err[400], subj[300];
	int r;

	if (!a->certcheck && !a->has_fingerprint)
		log_warn("account %s: tls_certcheck off: the server's "
		    "certificate is not checked", a->name);
	if ((s->up.tls = prepare_tls(s, err, sizeof(err))) == NULL)
		return (session_fail(s, FAIL_CONFIG, "%s", err));
	/* tls_host_override: the name to verify and to send as SNI. */
	if (tlsc_start(s->up.tls, s->up.fd, a->host_override != NULL ?
	    a->host_override : a->host, err, sizeof(err)) != 0)
		return (session_fail(s, FAIL_CONFIG, "%s", err));
	for (;;) {
		r = tlsc_handshake(s->up.tls, err, sizeof(err));
		if (r == 0)
			break;
		if (r == TLSC_WANT_READ || r == TLSC_WANT_WRITE) {
			if (up_wait(s, r == TLSC_WANT_READ ? POLLIN : POLLOUT))
				return (-1);
			continue;
		}
		note_peer(s, SEV_VERIFY_FAILED, err);
		return (session_fail(s, strstr(err, "certificate") != NULL ?
		    FAIL_CERT : FAIL_TLS, "%s: %s", s->upstream, err));
	}
	s->tls_up = 1;
	if (s->verbose || log_debugging())
		log_debug("TLS: %s %s", tlsc_version(s->up.tls),
		    tlsc_cipher(s->up.tls));
	note(s, SEV_TLS, tlsc_version(s->up.tls), tlsc_cipher(s->up.tls));
	note_peer(s, a->has_fingerprint ? SEV_VERIFY_PINNED : !a->certcheck ?
	    SEV_VERIFY_OFF : SEV_VERIFY_OK, NULL);
	if (a->cert_file != NULL)
		note(s, SEV_CLIENT_CERT, tlsc_client_cert(s->up.tls, subj,
		    sizeof(subj)) == 0 ? subj : NULL, a->cert_file);
	return (0);
}

static int
ehlo(struct session *s, struct smtp_reply *r)
{
	char line[sizeof("EHLO ") + CONF_DOMAIN_MAX];

	(void)fmt_whole(line, sizeof(line), "EHLO %s",
	    s->acct->domain != NULL ? s->acct->domain : "localhost");
	if (up_cmd(s, line, 0) != 0 || up_reply(s, r) != 0)
		return (-1);
	if (r->code != 250)
		return (session_fail(s, s->up.tls == NULL && s->acct->tls ?
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

/* What each mechanism tried got, for the 421: "LOGIN: 535 ...; ...". */
static void
note_try(char *tried, size_t len, const char *mech, const char *what)
{
	size_t used = strlen(tried);

	(void)snprintf(tried + used, len - used, "%s%s: %.100s",
	    used > 0 ? "; " : "", mech, what);
}

/*
 * Is this the end of the plan?  Only when the server can take another
 * AUTH is there a next; and a 535 to PLAIN or LOGIN, which hand over the
 * password itself, says the password is wrong, which no other mechanism
 * mends (servers ban after failed logins, so none is spent on it).
 */
static int
plan_over(const char *mech, enum sasl_result res, const struct sasl_end *end)
{

	if (!end->again)
		return (1);
	return (res == SASL_REFUSED && end->code == 535 &&
	    (strcmp(mech, "PLAIN") == 0 || strcmp(mech, "LOGIN") == 0));
}

/*
 * AUTH with each mechanism of the plan in turn until one works.  The next
 * is tried only after a refusal or an exchange that broke and was ended
 * cleanly, never after a server that failed to prove itself (SCRAM) or a
 * lost connection; a plan of the account's own mechanism has one.
 */
static int
try_plan(struct session *s, const char *const *plan, int n,
    const char *secret)
{
	const struct conf_account *a = s->acct;
	struct sasl_io io = { s, io_send, io_reply };
	struct sasl_end end;
	enum sasl_result res;
	char tried[400] = "";
	const char *what, *who = a->user != NULL ? a->user :
	    "the client certificate";
	int i;

	for (i = 0; i < n; i++) {
		note(s, SEV_AUTH_CHOSEN, plan[i], who);
		res = sasl_login(&io, plan[i], a->user, secret, s->upstream,
		    &end);
		if (res == SASL_IO)
			return (-1);
		if (res == SASL_FORGED)
			return (session_fail(s, FAIL_AUTH, "%s", end.why));
		if (res != SASL_BROKEN)
			note(s, SEV_AUTH_RESULT, end.text, NULL);
		if (res == SASL_DONE) {
			s->mech = plan[i];
			if (i > 0) {
				log_warn("AUTH %s worked after %s", plan[i],
				    tried);
				note(s, SEV_AUTH_FALLBACK, plan[i], tried);
			}
			return (0);
		}
		/* An exchange the server broke and still holds open: "*"
		 * ends it, when there is another mechanism to try. */
		if (res == SASL_BROKEN && end.open && i + 1 < n &&
		    sasl_cancel(&io, &end) != 0)
			return (-1);
		what = res == SASL_REFUSED ? end.text : end.why;
		if (i == 0 && (i + 1 == n || plan_over(plan[i], res, &end)))
			return (res == SASL_BROKEN ?
			    session_fail(s, FAIL_AUTH, "%s", what) :
			    session_fail(s, FAIL_AUTH, "authentication as %s "
			    "with %s failed: %s", who, plan[i], what));
		note_try(tried, sizeof(tried), plan[i], what);
		if (plan_over(plan[i], res, &end))
			break;
	}
	return (session_fail(s, FAIL_AUTH, "authentication as %s failed: %s",
	    who, tried));
}

/*
 * The mechanism that worked after a fallback before, for this account on
 * this server, put first in plan.  Only for the automatic plan and not
 * for a setuid or setgid host; the file may only reorder the plan (see
 * authmem.h).  What the file holds goes into stored ("" for nothing),
 * the file's key into key ("" when the memory is not used).
 */
static void
recall(struct session *s, const char **plan, int n, char *key,
    char *stored)
{
	const struct conf_account *a = s->acct;
	char path[4200];

	key[0] = stored[0] = '\0';
	if (!s->use_memory || a->auth != SASL_AUTO ||
	    authmem_path(path, sizeof(path)) != 0 ||
	    authmem_key(a->name, s->upstream, a->user, key) != 0) {
		key[0] = '\0';
		return;
	}
	if (authmem_get(path, key, stored) != 0) {
		stored[0] = '\0';
		return;
	}
	if (strcmp(stored, plan[0]) != 0 && sasl_plan_first(plan, n,
	    stored) == 0) {
		log_debug("AUTH %s first: it worked after a fallback before "
		    "(%s)", stored, path);
		note(s, SEV_AUTH_REMEMBERED, stored, path);
	}
}

/*
 * After the plan: remember the mechanism that worked when it was not the
 * first of msmtp's order (first), forget the account when the first
 * worked or nothing did.  A session that ended for another reason (the
 * connection, a forged SCRAM) leaves the file as it was.
 */
static void
memorize(struct session *s, const char *first, const char *key,
    const char *stored, int rc)
{
	const char *want;
	char path[4200];

	if (key[0] == '\0' || (rc != 0 && s->fail != FAIL_AUTH))
		return;
	want = rc == 0 && strcmp(s->mech, first) != 0 ? s->mech : NULL;
	if (want == NULL ? stored[0] == '\0' : strcmp(want, stored) == 0)
		return;
	if (authmem_path(path, sizeof(path)) != 0 ||
	    authmem_set(path, key, want) != 0)
		log_debug("cannot update %s: %s", path, strerror(errno));
}

static int
authenticate(struct session *s)
{
	const struct conf_account *a = s->acct;
	const char *plan[SASL_MAX_TRY];
	char err[512], detail[256], key[AUTHMEM_KEYLEN];
	char stored[AUTHMEM_MECHLEN];
	const char *first;
	char *secret;
	int n, rc;

	note(s, SEV_AUTH_OFFERED, s->mechs, NULL);
	if (!conf_injects(a)) {
		note(s, a->user == NULL ? SEV_AUTH_RELAYED : SEV_AUTH_OFF,
		    NULL, NULL);
		return (0);
	}
	s->inject = 1;
	/* The certificate is the credential: no secret to find, and only
	 * the mechanism named. */
	if (a->auth == SASL_EXTERNAL) {
		if ((n = sasl_plan(a->auth, s->mechs, s->upstream, plan,
		    err, sizeof(err))) == 0)
			return (session_fail(s, FAIL_AUTH, "%s", err));
		return (try_plan(s, plan, n, NULL));
	}
	if ((secret = conf_secret(a, 1, err, sizeof(err), detail,
	    sizeof(detail))) == NULL) {
		/*
		 * What the command said is for the user's eyes: --check and
		 * the debug transcript (never on for a setuid or setgid
		 * host: helper/main.c), not the 421 or the log line.
		 */
		if (detail[0] != '\0') {
			note(s, SEV_PASSWORDEVAL, detail, NULL);
			log_debug("passwordeval said: %s", detail);
		}
		return (session_fail(s, FAIL_CONFIG, "%s", err));
	}
	if ((n = sasl_plan(a->auth, s->mechs, s->upstream, plan, err,
	    sizeof(err))) == 0)
		rc = session_fail(s, FAIL_AUTH, "%s", err);
	else {
		first = plan[0];
		recall(s, plan, n, key, stored);
		rc = try_plan(s, plan, n, secret);
		memorize(s, first, key, stored, rc);
	}
	wipe_free(secret);
	return (rc);
}

/* The greeting's first line, for the observer.  0, or -1 (s->why set). */
static int
note_greeting(struct session *s, const struct smtp_reply *r)
{
	char *line;

	if (s->observer == NULL)
		return (0);
	/* A reply holds no NUL byte (smtp_rp_next): all of it is copied. */
	if ((line = strndup(r->raw, (size_t)first_len(r))) == NULL)
		return (session_fail(s, FAIL_CONFIG, "out of memory"));
	note(s, SEV_GREETING, line, NULL);
	free(line);
	return (0);
}

int
session_setup(struct session *s, int budget_ms)
{
	const struct conf_account *a = s->acct;
	struct smtp_reply r;
	enum caps_mode mode;
	int implicit = a->tls && !a->starttls;

	s->deadline = now_ms() + budget_ms;
	s->up.fd = -1;
	/* What the log, the 421 and --check call the server. */
	if (a->socket_path != NULL)
		(void)snprintf(s->upstream, sizeof(s->upstream), "%s",
		    a->socket_path);
	else
		(void)snprintf(s->upstream, sizeof(s->upstream), "%s:%d",
		    a->host, conf_port(a));
	if ((s->rp = malloc(sizeof(*s->rp))) == NULL)
		return (session_fail(s, FAIL_CONFIG, "out of memory"));
	smtp_rp_init(s->rp);
	if (up_connect(s) != 0)
		return (-1);
	note(s, SEV_CONNECTED, s->upstream, NULL);
	if (implicit && start_tls(s) != 0)
		return (-1);
	if (up_reply(s, &r) != 0)
		return (-1);
	if (note_greeting(s, &r) != 0)
		return (-1);
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
	mode = conf_injects(a) ? CAPS_INJECT :
	    s->up.tls != NULL ? CAPS_KEEP : CAPS_DROP;
	s->capslen = smtp_caps_filter(&r, mode, s->caps, SMTP_REPLY_MAX);
	if (s->capslen < 0)
		return (session_fail(s, FAIL_PROTOCOL, "EHLO reply too long"));
	weak_early_relay(s);
	return (authenticate(s));
}

int
session_budget_ms(const struct conf_account *a)
{

	return ((a->timeout > 0 ? a->timeout : SETUP_BUDGET_S) * 1000);
}

void
session_close_upstream(struct session *s, int clean)
{

	upstream_close(&s->up, clean);
}

void
session_free(struct session *s)
{

	upstream_free(&s->up);
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
	size_t n;

	if (s->cfd < 0)
		return;
	/* s->why is shorter than line by more than the rest: a 421 cut
	 * short (without its CRLF) would be a bug. */
	n = fmt_whole(line, sizeof(line), "421 %s submitify: %s\r\n",
	    session_status(s->fail), s->why);
	(void)send(s->cfd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}
