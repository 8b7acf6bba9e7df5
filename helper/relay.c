/*
 * relay: the poll loop between the program and the upstream session.
 *
 * Commands from the program are read a line at a time and sent upstream
 * (or answered here: EHLO, HELO, STARTTLS, and AUTH when credentials are
 * injected).  Each command sent upstream has an entry in a queue, and each
 * reply from the server is matched to the entry at its head, so pipelined
 * commands get their own replies in order.  Local answers wait in the same
 * queue, so the program sees every reply in the order it asked.  Message
 * bytes are streamed through a fixed buffer.
 *
 * When the program's sender chooses the account (s->byconf), there is no
 * upstream session at first: the program is greeted here, and each MAIL
 * opens the session of the account its sender chooses (or keeps the one
 * open for that account) before it goes upstream.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sasl.h"
#include "session.h"
#include "smtp.h"
#include "upstream.h"
#include "util.h"
#include "weaken.h"

#define PIN_SIZE	(32 * 1024)
#define UOUT_SIZE	(64 * 1024)
#define POUT_SIZE	(2 * SMTP_REPLY_MAX + 8192)
#define QMAX		256
#define LOCAL_MAX	320

#define MAIL_UNPARSED	"501 5.5.4 submitify: MAIL FROM syntax not " \
			"understood; use MAIL FROM:<address>"

#define T_REPLY		300		/* RFC 5321 4.5.3.2, in seconds */
#define T_DATAEND	600
#define T_IDLE		300
#define T_GONE		10000		/* ms, after the program left */

enum pend {
	P_LOCAL,	/* a reply of our own, in order */
	P_CMD,
	P_MAIL,
	P_DATA,
	P_DATAEND,
	P_AUTH,		/* the program's own AUTH, relayed */
	P_DISCARD,	/* a command of ours whose reply nobody sees */
	P_QUIT
};

static const char *const pend_names[] = {
	[P_LOCAL] = "local", [P_CMD] = "command", [P_MAIL] = "MAIL",
	[P_DATA] = "DATA", [P_DATAEND] = "end of data", [P_AUTH] = "AUTH",
	[P_DISCARD] = "RSET", [P_QUIT] = "QUIT"
};

/* The upstream connection, as the relay sees it. */
enum up_state {
	UP_NONE,	/* not opened yet: a MAIL's sender chooses the account */
	UP_OPEN,
	UP_ENDED,	/* closed: by the server without an error, or by us */
	UP_LOST		/* reset, a TLS error, or given up on */
};

struct pending {
	enum pend kind;
	const char *text;	/* P_LOCAL: the reply */
	size_t len;
	char own[LOCAL_MAX];
};

struct relay {
	struct session *s;
	int data;		/* relaying message bytes */
	struct smtp_data dd;
	struct smtp_hdrfix hf;	/* set_from_header */
	int blocked;		/* waiting for the DATA or AUTH reply */
	int authcont;		/* the next line answers the server's 334 */
	struct sasl_local local;	/* the program's AUTH, answered here */
	int txn;		/* the program opened a transaction (MAIL
				 * sent) and has not ended it (dot, RSET) */
	int mail_pending;	/* a MAIL awaits its reply: the next waits */
	int mail_opens;		/* ... and it opened the transaction */
	int skipline;		/* dropping the rest of an over-long line */
	int crlf;		/* the program has ended some line in CRLF */
	int quit_sent, quit_done;
	int prog_eof;
	enum up_state up;
	int closing;		/* flush what the program is owed, then end */
	int up_rwant, up_wwant;	/* poll events the TLS layer asked for */
	int up_woke;		/* poll said the server's socket is readable */
	char uperr[700];	/* how the upstream connection ended */
	long long qstart, idle_since, eof_at, closing_at;
	int t_reply, t_dataend, t_idle;	/* milliseconds */

	size_t qhead, qlen;
	struct pending q[QMAX];

	size_t pinoff, pinlen;
	size_t uoutlen, poutlen;
	char pin[PIN_SIZE];
	char uout[UOUT_SIZE];
	char pout[POUT_SIZE];
	char hdr[2 * 4096];	/* message bytes on their way to hf */
	char cmd[SMTP_LINE_MAX + 1];	/* the command being handled */
	char sender[SMTP_LINE_MAX + 1];	/* the sender of the last MAIL the
					   server accepted, when it was read
					   (a `from` pattern) */
	char pend_sender[SMTP_LINE_MAX + 1]; /* that of the MAIL pending */
	char cmd_sender[SMTP_LINE_MAX + 1]; /* that of the MAIL being read */
	char lname[256];		/* s->byconf: our own name */
	char lcaps[400];		/* s->byconf: our own EHLO reply */
	size_t lcapslen;
};

static struct pending *
push(struct relay *r, enum pend kind)
{
	struct pending *p = &r->q[(r->qhead + r->qlen) % QMAX];

	if (r->qlen == 0)
		r->qstart = now_ms();
	r->qlen++;
	p->kind = kind;
	p->text = NULL;
	p->len = 0;
	return (p);
}

/* A local reply whose text outlives the entry (the EHLO answer). */
static void
push_local(struct relay *r, const char *text, size_t len)
{
	struct pending *p = push(r, P_LOCAL);

	p->text = text;
	p->len = len;
}

/* A short local reply, formatted into the entry. */
static void
reply_local(struct relay *r, const char *line)
{
	struct pending *p = push(r, P_LOCAL);

	/* Our own texts, and "250 <name>" with a name of at most 255 bytes:
	 * a reply cut short here would be a bug (fmt_whole aborts). */
	p->len = fmt_whole(p->own, sizeof(p->own), "%s\r\n", line);
	p->text = p->own;
}

static void
pop(struct relay *r)
{

	r->qhead = (r->qhead + 1) % QMAX;
	r->qlen--;
	r->qstart = now_ms();
}

static void
to_prog(struct relay *r, const char *buf, size_t len)
{

	if (r->prog_eof)
		return;
	/* Every caller made room first: anything else is a bug, and cutting
	 * a reply short would hand the program half of one. */
	if (len > POUT_SIZE - r->poutlen)
		abort();
	memcpy(r->pout + r->poutlen, buf, len);
	r->poutlen += len;
}

/*
 * A failure of our own: the program gets a 421 naming it, the upstream
 * session is dropped without completing anything, and the relay ends.
 */
static void
abort_session(struct relay *r)
{
	struct session *s = r->s;
	char line[700];
	size_t n;

	if (r->closing)
		return;
	r->closing = 1;
	/* s->why is shorter than line by more than the rest. */
	n = fmt_whole(line, sizeof(line), "421 %s submitify: %s\r\n",
	    session_status(s->fail), s->why);
	if (POUT_SIZE - r->poutlen >= n)
		to_prog(r, line, n);
	session_close_upstream(s, 0);
	r->up = UP_ENDED;
}

static int
up_room(const struct relay *r, size_t n)
{

	return (UOUT_SIZE - r->uoutlen >= n);
}

static void
up_line(struct relay *r, const char *line, size_t len)
{

	/* Every caller made room first (up_room). */
	if (len + 2 > UOUT_SIZE - r->uoutlen)
		abort();
	memcpy(r->uout + r->uoutlen, line, len);
	memcpy(r->uout + r->uoutlen + len, "\r\n", 2);
	r->uoutlen += len + 2;
}

/* The reply timeouts: the account's `timeout`, else RFC 5321's. */
static void
set_timeouts(struct relay *r)
{
	const struct conf_account *a = r->s->acct;
	int t = a != NULL && a->timeout > 0 ? a->timeout : 0;

	r->t_reply = (t > 0 ? t : T_REPLY) * 1000;
	r->t_dataend = (t > 0 ? t : T_DATAEND) * 1000;
	r->t_idle = (t > 0 ? t : T_IDLE) * 1000;
}

/*
 * The address the From: header fix and MAIL use: the account's `from`,
 * or, when that is a pattern (which only chooses), the sender of the
 * program's MAIL.  NULL: none.
 */
static const char *
our_sender(const struct relay *r)
{
	const char *from = r->s->acct->from;

	if (from == NULL || !conf_from_is_pattern(from))
		return (from);
	return (r->sender[0] != '\0' ? r->sender : NULL);
}

/* What became of a command line. */
enum cmd_result {
	CMD_TAKEN,	/* sent upstream, or answered in the queue */
	CMD_WAIT,	/* no room upstream or in the queue yet: try again */
	CMD_END		/* the session ends (s->why set) */
};

/* The MAIL is on its way upstream; its sender (snd, or "" when not
 * read) counts once the server accepts it. */
static void
mail_sent(struct relay *r, const char *snd)
{

	(void)push(r, P_MAIL);
	r->mail_pending = 1;
	r->mail_opens = !r->txn;
	r->txn = 1;
	(void)snprintf(r->pend_sender, sizeof(r->pend_sender), "%s", snd);
}

/*
 * MAIL upstream, rebuilt around from (NULL: the program's line as it
 * came); snd is the program's sender as read, or "".  A MAIL that cannot
 * be parsed is answered here, never passed.
 */
static enum cmd_result
send_mail(struct relay *r, const char *line, size_t len, const char *from,
    const char *snd)
{
	char rew[SMTP_LINE_MAX + 512];

	if (from == NULL) {
		up_line(r, line, len);
		mail_sent(r, snd);
		return (CMD_TAKEN);
	}
	switch (smtp_rewrite_mail(line, len, from, rew, sizeof(rew))) {
	case 0:
		break;
	case -1:
		reply_local(r, MAIL_UNPARSED);
		return (CMD_TAKEN);
	default:
		reply_local(r, "500 5.5.2 submitify: MAIL command too long "
		    "with the account's sender");
		return (CMD_TAKEN);
	}
	if (!up_room(r, strlen(rew) + 2))
		return (CMD_WAIT);
	up_line(r, rew, strlen(rew));
	mail_sent(r, snd);
	return (CMD_TAKEN);
}

/*
 * A `from` pattern names the senders its account takes: another sender
 * (one that reached the account as the default, the only one, or by -a
 * or match) is refused, so that set_from_header still means the From:
 * is one the account allows.  0, or -1 with the session failed.
 */
static int
pattern_allows(struct relay *r, const struct conf_account *a,
    const char *snd)
{

	if (!conf_from_is_pattern(a->from) || conf_from_match(a->from, snd))
		return (0);
	return (session_fail(r->s, FAIL_PROGRAM, "the sender <%s> is not one "
	    "account %s's from pattern (%s:%d) allows", snd, a->name, a->file,
	    a->line));
}

/* Add the account's name to the log line's list, unless it is the last. */
static void
note_account(struct session *s, const char *name)
{
	const char *last = strrchr(s->accounts, ',');
	size_t n = strlen(s->accounts);

	last = last != NULL ? last + 1 : s->accounts;
	if (n > 0 && strcmp(last, name) == 0)
		return;
	(void)snprintf(s->accounts + n, sizeof(s->accounts) - n, "%s%s",
	    n > 0 ? "," : "", name);
}

/*
 * Make a the account of the upstream session: the session of another
 * account ends with its QUIT, and a's is opened within a's budget, as
 * session_setup() does before a greeting (SECURITY.md case 8 holds here,
 * at MAIL FROM).  0, or -1 with s->why set: the MAIL gets the 421.
 */
static int
open_account(struct relay *r, const struct conf_account *a)
{
	struct session *s = r->s;
	struct smtp_reply rep;
	int fl, clean = 0;

	/* The program's own AUTH cannot be relayed to a server that was
	 * not known when it was sent: submitify must log in itself. */
	if (!conf_injects(a) && a->auth != SASL_OFF)
		return (session_fail(s, FAIL_CONFIG, "account %s (%s:%d) was "
		    "chosen by the sender but has no user: submitify logs in "
		    "for accounts the sender chooses", a->name, a->file,
		    a->line));
	if (r->up == UP_OPEN) {
		s->deadline = now_ms() + 5000;
		if (up_write(s, "QUIT\r\n", 6) == 0 && up_reply(s, &rep) == 0)
			clean = 1;
		log_debug("account %s: QUIT %s", s->acct->name, clean ?
		    "answered" : "unanswered");
		session_close_upstream(s, clean);
	}
	r->up = UP_LOST;
	session_free(s);
	s->tls_up = 0;
	s->inject = 0;
	s->mech = NULL;
	s->acct = a;
	log_configure(a->logfile, a->syslog, log_debugging());
	log_debug("account %s, chosen by the sender", a->name);
	note_account(s, a->name);
	if (session_setup(s, session_budget_ms(a)) != 0)
		return (-1);
	if ((fl = fcntl(s->up.fd, F_GETFL)) >= 0)
		(void)fcntl(s->up.fd, F_SETFL, fl | O_NONBLOCK);
	r->up = UP_OPEN;
	r->uperr[0] = '\0';
	set_timeouts(r);
	return (0);
}

/*
 * A MAIL when its sender chooses the account: the account of the first
 * `from` that matches (conf_choose_by), its upstream session opened or
 * kept, and the MAIL sent: around the account's address, or, when a
 * pattern chose (or nothing did), around the sender as the parser read
 * it, so that the server sees the very address that was matched.
 */
static enum cmd_result
mail_by_sender(struct relay *r, const char *line, size_t len)
{
	struct session *s = r->s;
	const struct conf_account *a;
	char err[CONF_ERRLEN], *snd = r->cmd_sender;

	if (smtp_mail_sender(line, len, snd, sizeof(r->cmd_sender)) != 0) {
		reply_local(r, MAIL_UNPARSED);
		return (CMD_TAKEN);
	}
	if ((a = conf_choose_by(s->byconf, NULL, 0, NULL, snd, err,
	    sizeof(err))) == NULL) {
		(void)session_fail(s, FAIL_CONFIG, "%s", err);
		return (CMD_END);
	}
	if (pattern_allows(r, a, snd) != 0)
		return (CMD_END);
	if (a != s->acct || r->up != UP_OPEN) {
		if (r->txn) {
			reply_local(r, "503 5.5.1 submitify: a transaction is "
			    "open; end it (RSET) before a sender of another "
			    "account");
			return (CMD_TAKEN);
		}
		/* Every reply of the session being left goes first. */
		if (r->qlen > 0 || r->uoutlen > 0)
			return (CMD_WAIT);
		if (open_account(r, a) != 0)
			return (CMD_END);
	}
	return (send_mail(r, line, len, a->from != NULL &&
	    !conf_from_is_pattern(a->from) ? a->from : snd, snd));
}

/*
 * With s->byconf, before a MAIL opened an upstream session, the commands
 * answered here: RSET, NOOP, HELP and QUIT; anything else but EHLO, HELO,
 * MAIL, STARTTLS and BDAT (handled as always) is refused.  1 if the
 * command was answered.
 */
static int
before_mail(struct relay *r, enum smtp_verb v)
{

	if (r->s->byconf == NULL || r->up != UP_NONE)
		return (0);
	switch (v) {
	case V_EHLO:
	case V_HELO:
	case V_MAIL:
	case V_STARTTLS:
	case V_BDAT:
		return (0);
	case V_RSET:
	case V_NOOP:
		reply_local(r, "250 2.0.0 submitify: OK");
		return (1);
	case V_HELP:
		reply_local(r, "214 2.0.0 submitify: MAIL FROM chooses the "
		    "account and its server");
		return (1);
	case V_QUIT:
		reply_local(r, "221 2.0.0 submitify: closing");
		r->quit_sent = r->quit_done = 1;
		return (1);
	case V_AUTH:
		break;
	default:
		reply_local(r, "503 5.5.1 submitify: MAIL FROM first: the "
		    "sender chooses the account and its server");
		return (1);
	}
	return (0);
}

/* One command line from the program (without its line end). */
static enum cmd_result
command(struct relay *r, char *line, size_t len)
{
	struct session *s = r->s;
	char rew[SMTP_LINE_MAX + 512];
	const char *arg;
	enum smtp_verb v;

	if (!up_room(r, len + 512) || r->qlen + 2 > QMAX)
		return (CMD_WAIT);
	if (memchr(line, '\r', len) != NULL || memchr(line, '\0', len) !=
	    NULL) {
		reply_local(r, "500 5.5.2 submitify: CR or NUL inside a "
		    "command line");
		return (CMD_TAKEN);
	}
	if (r->local.step != SASL_LOCAL_IDLE) {
		/* Read and dropped: submitify holds the credentials. */
		reply_local(r, sasl_local_line(&r->local, line, len));
		return (CMD_TAKEN);
	}
	if (r->authcont) {
		/* The program's answer to the server's 334: a secret. */
		r->authcont = 0;
		up_line(r, line, len);
		(void)push(r, P_AUTH);
		r->blocked = 1;
		return (CMD_TAKEN);
	}
	v = smtp_verb(line, len, &arg);
	if (log_debugging())
		log_debug("program: %.*s", v == V_AUTH ?
		    (int)(arg - line) : (int)len, line);
	if (before_mail(r, v))
		return (CMD_TAKEN);
	switch (v) {
	case V_EHLO:
	case V_HELO:
		if (r->txn) {
			/* A new EHLO resets the transaction: upstream too. */
			up_line(r, "RSET", 4);
			(void)push(r, P_DISCARD);
			r->txn = 0;
		}
		/* With s->byconf, the program saw our capabilities first
		 * and may yet send for another server: it keeps them. */
		if (v == V_EHLO && s->byconf != NULL)
			push_local(r, r->lcaps, r->lcapslen);
		else if (v == V_EHLO)
			push_local(r, s->caps, (size_t)s->capslen);
		else {
			(void)snprintf(rew, sizeof(rew), "250 %s", s->byconf !=
			    NULL ? r->lname : s->name);
			reply_local(r, rew);
		}
		return (CMD_TAKEN);
	case V_AUTH:
		if (s->byconf != NULL) {
			/* Not offered: the credentials are the account's,
			 * and which account is not known before MAIL. */
			reply_local(r, "503 5.5.1 submitify: AUTH was not "
			    "offered; submitify logs in for the account the "
			    "sender chooses");
			return (CMD_TAKEN);
		}
		if (s->inject) {
			reply_local(r, sasl_local_auth(&r->local, arg));
			return (CMD_TAKEN);
		}
		if (s->up.tls == NULL) {
			reply_local(r, "454 4.7.0 submitify: AUTH is not "
			    "relayed without TLS");
			return (CMD_TAKEN);
		}
		up_line(r, line, len);
		(void)push(r, P_AUTH);
		r->blocked = 1;
		return (CMD_TAKEN);
	case V_STARTTLS:
		reply_local(r, "454 4.7.0 submitify: TLS to the server is "
		    "done by submitify; carry on without STARTTLS");
		return (CMD_TAKEN);
	case V_BDAT:
		(void)session_fail(s, FAIL_PROGRAM, "BDAT was not offered; "
		    "use DATA");
		return (CMD_END);
	case V_MAIL:
		/* One MAIL at a time: its sender counts once accepted. */
		if (r->mail_pending)
			return (CMD_WAIT);
		if (s->byconf != NULL)
			return (mail_by_sender(r, line, len));
		if (!conf_from_is_pattern(s->acct->from))
			return (send_mail(r, line, len, s->acct->from, ""));
		/* A pattern chooses and bounds: the program's sender goes as
		 * it came, and is kept for the From: header fix. */
		if (smtp_mail_sender(line, len, r->cmd_sender,
		    sizeof(r->cmd_sender)) != 0) {
			reply_local(r, MAIL_UNPARSED);
			return (CMD_TAKEN);
		}
		if (pattern_allows(r, s->acct, r->cmd_sender) != 0)
			return (CMD_END);
		return (send_mail(r, line, len, NULL, r->cmd_sender));
	case V_DATA:
		up_line(r, line, len);
		(void)push(r, P_DATA);
		r->blocked = 1;
		return (CMD_TAKEN);
	case V_QUIT:
		up_line(r, line, len);
		(void)push(r, P_QUIT);
		r->quit_sent = 1;
		return (CMD_TAKEN);
	case V_RSET:
		r->txn = 0;
		/* FALLTHROUGH */
	default:
		up_line(r, line, len);
		(void)push(r, P_CMD);
		return (CMD_TAKEN);
	}
}

/*
 * Feed the program's bytes: commands, or message data after a 354.
 * Returns 1 if it took any or ended the session, 0 if nothing could move.
 */
static int
from_program(struct relay *r)
{
	struct session *s = r->s;
	char *line, *nl;
	size_t n, outn, room;
	long k;
	enum cmd_result t;
	int end, moved = 0;

	while (r->pinlen > 0 && !r->closing && !r->quit_sent) {
		line = r->pin + r->pinoff;
		if (r->data) {
			room = UOUT_SIZE - r->uoutlen;
			if (r->hf.inhdr) {
				/* Through the From: rewrite while in headers. */
				if (room < sizeof(r->hdr) + SMTP_HDR_MAX + 300)
					return (moved);
				n = r->pinlen < sizeof(r->hdr) / 2 ?
				    r->pinlen : sizeof(r->hdr) / 2;
				k = smtp_data_feed(&r->dd, line, n, r->hdr,
				    &outn, &end);
				if (k >= 0)
					outn = smtp_hdrfix_feed(&r->hf, r->hdr,
					    outn, r->uout + r->uoutlen);
				if (k >= 0 && !r->hf.inhdr && r->hf.note)
					log_debug("%s", r->hf.note);
			} else {
				if (room < 2)
					return (moved);
				n = r->pinlen < room / 2 ? r->pinlen :
				    room / 2;
				k = smtp_data_feed(&r->dd, line, n, r->uout +
				    r->uoutlen, &outn, &end);
			}
			if (k < 0) {
				(void)session_fail(s, FAIL_PROGRAM, "%s; the "
				    "message was not sent", r->dd.err);
				abort_session(r);
				return (1);
			}
			r->uoutlen += outn;
			s->bytes_up += outn;
			r->pinoff += (size_t)k;
			r->pinlen -= (size_t)k;
			if (end) {
				if (r->dd.crlf_seen)
					r->crlf = 1;
				r->data = 0;
				/* The program's transaction ends with its dot,
				 * whatever the reply. */
				r->txn = 0;
				(void)push(r, P_DATAEND);
			}
			moved = 1;
			continue;
		}
		if (r->blocked)
			return (moved);
		/* Room for a local reply, which every line may need. */
		if (r->qlen + 2 > QMAX)
			return (moved);
		nl = memchr(line, '\n', r->pinlen);
		if (nl == NULL) {
			if (r->pinlen > SMTP_LINE_MAX) {
				/* Drop it and answer once its end arrives. */
				if (!r->skipline)
					reply_local(r, "500 5.5.2 submitify: "
					    "command line too long");
				r->skipline = 1;
				explicit_bzero(line, r->pinlen);
				r->pinlen = 0;
				return (1);
			}
			return (moved);
		}
		n = (size_t)(nl - line);
		if (r->skipline) {
			r->skipline = 0;
			r->pinoff += n + 1;
			r->pinlen -= n + 1;
			moved = 1;
			continue;
		}
		if (n > 0 && line[n - 1] == '\r') {
			n--;
			/* This program ends its lines in CRLF: a bare LF
			 * never ends its message (see smtp_data_feed). */
			r->crlf = 1;
		}
		if (n > SMTP_LINE_MAX) {
			reply_local(r, "500 5.5.2 submitify: command line too "
			    "long");
			t = CMD_TAKEN;
		} else {
			/* The parsers want a terminated string. */
			memcpy(r->cmd, line, n);
			r->cmd[n] = '\0';
			t = command(r, r->cmd, n);
			explicit_bzero(r->cmd, n);
			if (t == CMD_WAIT)
				return (moved);
		}
		/* Lines may hold the program's AUTH secrets: wipe them. */
		explicit_bzero(line, (size_t)(nl + 1 - line));
		r->pinoff += (size_t)(nl + 1 - line);
		r->pinlen -= (size_t)(nl + 1 - line);
		moved = 1;
		if (t == CMD_END) {
			abort_session(r);
			return (1);
		}
	}
	return (moved);
}

/* Deliver the local replies at the head of the queue.  1 if any went. */
static int
locals(struct relay *r)
{
	struct pending *p;
	int moved = 0;

	while (r->qlen > 0) {
		p = &r->q[r->qhead];
		if (p->kind != P_LOCAL || POUT_SIZE - r->poutlen < p->len)
			break;
		to_prog(r, p->text, p->len);
		pop(r);
		moved = 1;
	}
	return (moved);
}

/* One complete reply from the server, matched to the head of the queue. */
static void
dispatch(struct relay *r, const struct smtp_reply *rep)
{
	struct session *s = r->s;
	enum pend kind;

	log_debug_lines("server: ", rep->raw, rep->len);
	if (r->qlen == 0 || r->q[r->qhead].kind == P_LOCAL) {
		if (rep->code == 421) {
			/* The server is closing on its own: say so. */
			to_prog(r, rep->raw, rep->len);
			s->last_code = 421;
			(void)session_fail(s, FAIL_CONNECT, "%s closed the "
			    "session (421)", s->upstream);
			r->closing = 1;
			session_close_upstream(s, 0);
			r->up = UP_ENDED;
			return;
		}
		(void)session_fail(s, FAIL_PROTOCOL, "%s sent a reply nobody "
		    "asked for", s->upstream);
		abort_session(r);
		return;
	}
	kind = r->q[r->qhead].kind;
	pop(r);
	s->last_code = rep->code;
	if (kind != P_DISCARD)
		to_prog(r, rep->raw, rep->len);
	switch (kind) {
	case P_MAIL:
		r->mail_pending = 0;
		if (rep->code >= 200 && rep->code < 300)
			memcpy(r->sender, r->pend_sender, sizeof(r->sender));
		else if (r->mail_opens)
			r->txn = 0;
		break;
	case P_DATA:
		r->blocked = 0;
		if (rep->code == 354 && our_sender(r) == NULL &&
		    s->acct->from != NULL && s->acct->from_header !=
		    FROMHDR_OFF) {
			/* A 354 with no MAIL accepted before it: no sender
			 * the From: fix could stand for. */
			(void)session_fail(s, FAIL_PROTOCOL, "%s answered DATA "
			    "with 354 before accepting a MAIL", s->upstream);
			abort_session(r);
			return;
		}
		if (rep->code == 354) {
			r->data = 1;
			smtp_data_init(&r->dd, s->acct->fix_bare_lf, r->crlf);
			smtp_hdrfix_init(&r->hf, our_sender(r) == NULL ?
			    HDRFIX_OFF : s->acct->from_header == FROMHDR_ON ?
			    HDRFIX_SET : s->acct->from_header == FROMHDR_AUTO ?
			    HDRFIX_ADD : HDRFIX_OFF, our_sender(r));
		}
		break;
	case P_DATAEND:
		if (rep->code >= 200 && rep->code < 300)
			s->messages++;
		r->txn = 0;
		break;
	case P_AUTH:
		r->blocked = 0;
		if (rep->code == 334)
			r->authcont = 1;
		break;
	case P_QUIT:
		r->quit_done = 1;
		break;
	default:
		break;
	}
	if (rep->code == 421 && kind != P_QUIT) {
		(void)session_fail(s, FAIL_CONNECT, "%s closed the session "
		    "(421)", s->upstream);
		r->closing = 1;
		session_close_upstream(s, 0);
		r->up = UP_ENDED;
	}
}

/*
 * The server's complete replies, each to its place in the queue, and the
 * local replies they let through.  1 if any went or the session ended.
 */
static int
from_server(struct relay *r)
{
	struct smtp_reply rep;
	int k, moved = 0;

	for (;;) {
		moved |= locals(r);
		if (r->closing || r->s->rp == NULL ||
		    POUT_SIZE - r->poutlen < SMTP_REPLY_MAX)
			return (moved);
		k = smtp_rp_next(r->s->rp, &rep);
		if (k == 0)
			return (moved);
		if (k < 0) {
			(void)session_fail(r->s, FAIL_PROTOCOL, "%s sent a bad "
			    "reply: %s", r->s->upstream, r->s->rp->err);
			abort_session(r);
			return (1);
		}
		dispatch(r, &rep);
		moved = 1;
	}
}

/*
 * Move bytes between the sockets without blocking.  1 if any moved or a
 * side ended, 0 if every socket would block.
 */
static int
io(struct relay *r)
{
	struct session *s = r->s;
	char *space;
	size_t n;
	long k;
	int moved = 0;

	/* Program -> pin. */
	if (!r->prog_eof && !r->closing) {
		if (r->pinoff > 0 && (r->pinlen == 0 ||
		    r->pinoff > PIN_SIZE / 2)) {
			memmove(r->pin, r->pin + r->pinoff, r->pinlen);
			r->pinoff = 0;
		}
		n = PIN_SIZE - r->pinoff - r->pinlen;
		if (n > 0) {
			k = recv(s->cfd, r->pin + r->pinoff + r->pinlen, n, 0);
			if (k > 0) {
				r->pinlen += (size_t)k;
				r->idle_since = now_ms();
				moved = 1;
			} else if (k == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				r->prog_eof = 1;
				r->eof_at = now_ms();
				moved = 1;
			}
		}
	}
	/* pout -> program. */
	if (r->poutlen > 0 && !r->prog_eof) {
		k = send(s->cfd, r->pout, r->poutlen, MSG_NOSIGNAL);
		if (k > 0) {
			memmove(r->pout, r->pout + k, r->poutlen - (size_t)k);
			r->poutlen -= (size_t)k;
			moved = 1;
		} else if (k < 0 && errno != EAGAIN && errno != EINTR) {
			r->prog_eof = 1;
			r->eof_at = now_ms();
			r->poutlen = 0;
			moved = 1;
		}
	}
	if (r->prog_eof)
		r->poutlen = 0;
	if (r->up != UP_OPEN)
		return (moved);
	r->up_rwant = r->up_wwant = 0;
	/* uout -> server. */
	if (r->uoutlen > 0) {
		k = upstream_write(&s->up, r->uout, r->uoutlen);
		if (k > 0) {
			memmove(r->uout, r->uout + k, r->uoutlen - (size_t)k);
			/* What was sent may hold the program's own AUTH. */
			explicit_bzero(r->uout + r->uoutlen - k, (size_t)k);
			r->uoutlen -= (size_t)k;
			moved = 1;
			if (r->uoutlen > 0)
				r->up_wwant = POLLOUT;
		} else if (k == UPSTREAM_WANT_READ)
			r->up_wwant = POLLIN;
		else if (k == UPSTREAM_WANT_WRITE)
			r->up_wwant = POLLOUT;
		else {
			(void)snprintf(r->uperr, sizeof(r->uperr), "lost %s: "
			    "%s", s->upstream, s->up.err);
			r->up = UP_LOST;
			return (1);
		}
	}
	/* server -> reply parser, draining what TLS holds. */
	for (;;) {
		space = smtp_rp_space(s->rp, &n);
		if (n == 0)
			break;
		k = upstream_read(&s->up, space, n);
		if (s->up.tls != NULL) {
			/* A readable socket may hold only part of a record, or
			 * a record that is not data (a ticket, a KeyUpdate). */
			k = weak_tls_want(k, r->up_woke);
			r->up_woke = 0;
		}
		if (k > 0) {
			smtp_rp_commit(s->rp, (size_t)k);
			s->bytes_down += (unsigned long long)k;
			moved = 1;
			/* Let the parser release what it can first. */
			if (smtp_rp_pending(s->rp) >= SMTP_REPLY_MAX / 2)
				break;
			continue;
		}
		if (k == UPSTREAM_WANT_READ)
			r->up_rwant = POLLIN;
		else if (k == UPSTREAM_WANT_WRITE)
			r->up_rwant = POLLOUT;
		else {
			if (k == 0)
				(void)snprintf(r->uperr, sizeof(r->uperr),
				    "%s closed the connection", s->upstream);
			else
				(void)snprintf(r->uperr, sizeof(r->uperr),
				    "lost %s: %s", s->upstream, s->up.err);
			r->up = k == 0 ? UP_ENDED : UP_LOST;
			moved = 1;
		}
		break;
	}
	return (moved);
}

/* Seconds, for messages. */
static int
secs(int ms)
{

	return (ms / 1000);
}

/* Has a wait run out?  Then end as the cause requires. */
static void
timeouts(struct relay *r)
{
	struct session *s = r->s;
	long long now = now_ms();
	enum pend head;
	int limit;

	if (WEAKEN_NO_TIMEOUT)
		return;
	/* The program is gone: replies nobody reads are not worth waiting
	 * for long (the server decides a message's fate without us). */
	if (r->prog_eof && r->qlen > 0 && now - r->eof_at >= T_GONE) {
		(void)session_fail(s, FAIL_PROGRAM, "the program left with "
		    "replies pending");
		r->closing = 1;
		session_close_upstream(s, 0);
		r->up = UP_LOST;
		return;
	}
	if (r->qlen > 0 && r->q[r->qhead].kind != P_LOCAL) {
		head = r->q[r->qhead].kind;
		limit = head == P_DATAEND ? r->t_dataend : r->t_reply;
		if (now - r->qstart >= limit) {
			(void)session_fail(s, FAIL_TIMEOUT, "no reply from %s "
			    "to %s within %d s", s->upstream,
			    pend_names[head], secs(limit));
			abort_session(r);
		}
		return;
	}
	if (now - r->idle_since >= r->t_idle) {
		(void)session_fail(s, FAIL_PROGRAM, "the program sent nothing "
		    "for %d s", secs(r->t_idle));
		if (!r->data && r->up == UP_OPEN && r->qlen == 0) {
			/* Outside a message, nothing pending: end the
			 * upstream session politely before closing. */
			s->deadline = now + 5000;
			if (r->uoutlen == 0 && up_write(s, "QUIT\r\n", 6) == 0)
				session_close_upstream(s, 1);
		}
		abort_session(r);
	}
}

static int
next_timeout(const struct relay *r)
{
	long long now = now_ms(), until;

	if (r->qlen > 0 && r->q[r->qhead].kind != P_LOCAL)
		until = r->qstart + (r->q[r->qhead].kind == P_DATAEND ?
		    r->t_dataend : r->t_reply);
	else
		until = r->idle_since + r->t_idle;
	if (until <= now)
		return (0);
	return (until - now > 60000 ? 60000 : (int)(until - now));
}

/*
 * Our own name and EHLO reply, for a program greeted before any server is
 * chosen.  No extension is offered: each would be a promise for servers
 * not chosen yet (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, DSN invite
 * commands or MAIL parameters the server may refuse; AUTH is ours).  What
 * the program sends anyway goes to the server, whose reply it gets.
 */
static void
local_greeting(struct relay *r)
{
	if (gethostname(r->lname, sizeof(r->lname)) != 0 ||
	    strpbrk(r->lname, " \t\r\n") != NULL)
		(void)snprintf(r->lname, sizeof(r->lname), "localhost");
	r->lname[sizeof(r->lname) - 1] = '\0';
	r->lcapslen = fmt_whole(r->lcaps, sizeof(r->lcaps), "250 %s "
	    "submitify: MAIL FROM chooses the account\r\n", r->lname);
}

int
relay_run(struct session *s)
{
	struct relay *r;
	struct pollfd pfd[2];
	char greet[400];
	int n, clean, to, fl, k, moved;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (session_fail(s, FAIL_CONFIG, "out of memory"));
	r->s = s;
	set_timeouts(r);
	r->idle_since = now_ms();
	if ((fl = fcntl(s->cfd, F_GETFL)) >= 0)
		(void)fcntl(s->cfd, F_SETFL, fl | O_NONBLOCK);
	if (s->up.fd >= 0 && (fl = fcntl(s->up.fd, F_GETFL)) >= 0)
		(void)fcntl(s->up.fd, F_SETFL, fl | O_NONBLOCK);
	if (s->byconf != NULL)
		local_greeting(r);
	else
		r->up = UP_OPEN;
	/* The name is at most 255 bytes. */
	n = fmt_whole(greet, sizeof(greet), "220 %s ESMTP submitify\r\n",
	    s->byconf != NULL ? r->lname : s->name);
	if (!WEAKEN_GREET_EARLY)
		to_prog(r, greet, n);

	for (;;) {
		/* Move and process while any step makes progress, then
		 * wait.  Every step runs each round. */
		do {
			moved = io(r);
			moved |= from_server(r);
			moved |= from_program(r);
			moved |= locals(r);
		} while (moved);
		(void)from_server(r);
		if (!r->closing && r->up != UP_OPEN && r->up != UP_NONE) {
			/* Whatever was complete has been delivered. */
			weak_fake_250(r);
			if (!r->quit_done) {
				(void)session_fail(s, FAIL_CONNECT, "%s",
				    r->uperr[0] != '\0' ? r->uperr :
				    "the server connection ended");
				abort_session(r);
			}
		}
		(void)from_program(r);
		(void)locals(r);
		if (r->prog_eof && !r->closing) {
			if (r->data) {
				(void)session_fail(s, FAIL_PROGRAM, "the "
				    "program left during DATA; the message "
				    "was not sent");
				abort_session(r);
			} else if (r->qlen == 0 || r->quit_done) {
				break;
			}
		}
		if (r->quit_done && r->poutlen == 0)
			break;
		if (r->closing && (r->poutlen == 0 || r->prog_eof))
			break;
		/* A program that reads nothing more gets a bounded wait. */
		if (r->closing && r->closing_at == 0)
			r->closing_at = now_ms();
		if (r->closing && now_ms() - r->closing_at >= T_GONE)
			break;
		timeouts(r);
		if (r->closing && (r->poutlen == 0 || r->prog_eof))
			break;

		pfd[0].fd = r->prog_eof ? -1 : s->cfd;
		pfd[0].events = 0;
		if (!r->closing && r->pinoff + r->pinlen < PIN_SIZE)
			pfd[0].events |= POLLIN;
		if (r->poutlen > 0)
			pfd[0].events |= POLLOUT;
		pfd[1].fd = r->up != UP_OPEN ? -1 : s->up.fd;
		pfd[1].events = (short)(r->up_rwant | r->up_wwant);
		to = next_timeout(r);
		if (r->up == UP_OPEN && upstream_pending(&s->up) > 0 &&
		    POUT_SIZE - r->poutlen >= SMTP_REPLY_MAX)
			to = 0;
		if (r->closing && to > T_GONE)
			to = T_GONE;
		k = poll(pfd, 2, to);
		if (k < 0 && errno != EINTR) {
			(void)session_fail(s, FAIL_CONNECT, "poll: %s",
			    strerror(errno));
			abort_session(r);
			break;
		}
		r->up_woke = k > 0 && pfd[1].fd >= 0 &&
		    (pfd[1].revents & POLLIN) != 0;
	}
	clean = r->quit_done || (!r->closing && r->up == UP_OPEN);
	if (r->up == UP_OPEN) {
		if (!r->quit_sent && !r->data) {
			/* The program left without QUIT: end it for him. */
			s->deadline = now_ms() + 5000;
			(void)up_write(s, "QUIT\r\n", 6);
		}
		session_close_upstream(s, clean);
	} else if (r->quit_done && r->up == UP_ENDED)
		/* The server closed first, cleanly: answer its close_notify. */
		session_close_upstream(s, 1);
	/* Replies still owed to a program that is gone are not sent. */
	if (r->poutlen > 0 && !r->prog_eof)
		(void)send(s->cfd, r->pout, r->poutlen, MSG_NOSIGNAL |
		    MSG_DONTWAIT);
	explicit_bzero(r->pin, sizeof(r->pin));
	n = s->fail == FAIL_NONE || (s->fail == FAIL_PROGRAM &&
	    r->quit_done) ? 0 : -1;
	free(r);
	return (n);
}
