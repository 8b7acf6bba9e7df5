#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"
#include "weaken.h"

void
smtp_rp_init(struct smtp_rparser *rp)
{

	rp->len = rp->done = rp->nlines = rp->taken = 0;
	rp->code = 0;
	rp->err = NULL;
}

/* Drop the reply returned last time. */
static void
release(struct smtp_rparser *rp)
{

	if (rp->taken == 0)
		return;
	memmove(rp->buf, rp->buf + rp->taken, rp->len - rp->taken);
	rp->len -= rp->taken;
	rp->done = 0;
	rp->taken = 0;
}

char *
smtp_rp_space(struct smtp_rparser *rp, size_t *len)
{

	release(rp);
	*len = sizeof(rp->buf) - rp->len;
	return (rp->buf + rp->len);
}

void
smtp_rp_commit(struct smtp_rparser *rp, size_t n)
{

	rp->len += n;
}

size_t
smtp_rp_pending(const struct smtp_rparser *rp)
{

	return (rp->len - rp->taken);
}

int
smtp_rp_next(struct smtp_rparser *rp, struct smtp_reply *r)
{
	const char *line, *nl;
	size_t llen;
	int code;

	release(rp);
	if (rp->err != NULL)
		return (-1);
	for (;;) {
		line = rp->buf + rp->done;
		nl = memchr(line, '\n', rp->len - rp->done);
		if (nl == NULL) {
			if (rp->len - rp->done > SMTP_LINE_MAX &&
			    !WEAKEN_NO_LINE_LIMIT)
				goto toolong;
			if (rp->len == sizeof(rp->buf))
				goto toobig;
			return (0);
		}
		llen = (size_t)(nl - line);	/* without the LF */
		if (llen > SMTP_LINE_MAX && !WEAKEN_NO_LINE_LIMIT)
			goto toolong;
		if (memchr(line, '\0', llen) != NULL) {
			rp->err = "NUL byte in a reply";
			return (-1);
		}
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) || line[0] < '2' ||
		    line[0] > '5' || (llen > 3 && line[3] != ' ' &&
		    line[3] != '-')) {
			rp->err = "malformed reply line";
			return (-1);
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (rp->nlines > 0 && code != rp->code) {
			rp->err = "reply code changes within a reply";
			return (-1);
		}
		rp->code = code;
		rp->nlines++;
		rp->done = (size_t)(nl + 1 - rp->buf);
		if (llen == 3 || line[3] == ' ') {
			r->code = code;
			r->raw = rp->buf;
			r->len = rp->done;
			r->nlines = rp->nlines;
			rp->taken = rp->done;
			rp->nlines = 0;
			return (1);
		}
		if (rp->nlines >= SMTP_REPLY_LINES)
			goto toobig;
	}
toolong:
	rp->err = "reply line too long";
	return (-1);
toobig:
	rp->err = "reply too long";
	return (-1);
}

/* Iterate over the lines of a reply: text after "DDD-" / "DDD ". */
static int
next_line(const struct smtp_reply *r, size_t *off, const char **text,
    size_t *tlen)
{
	const char *s, *nl;
	size_t n;

	if (*off >= r->len)
		return (0);
	s = r->raw + *off;
	nl = memchr(s, '\n', r->len - *off);
	n = nl != NULL ? (size_t)(nl - s) : r->len - *off;
	*off += n + 1;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n <= 4) {
		*text = s + n;
		*tlen = 0;
	} else {
		*text = s + 4;
		*tlen = n - 4;
	}
	return (1);
}

/* Does the line start with keyword kw followed by space, '=' or end? */
static int
line_is(const char *t, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	return (n >= k && strncasecmp(t, kw, k) == 0 &&
	    (n == k || t[k] == ' ' || t[k] == '='));
}

int
smtp_has_cap(const struct smtp_reply *ehlo, const char *cap)
{
	size_t off = 0, n, i = 0;
	const char *t;

	while (next_line(ehlo, &off, &t, &n))
		if (i++ > 0 && line_is(t, n, cap))
			return (1);
	return (0);
}

int
smtp_auth_mechs(const struct smtp_reply *ehlo, char *out, size_t len)
{
	size_t off = 0, n, i = 0, o = 0, j;
	const char *t;
	int found = 0, old = 1;

	if (len == 0)
		return (0);
	out[0] = '\0';
	/* The old "AUTH=" form counts only when there is no "AUTH" line. */
	while (next_line(ehlo, &off, &t, &n))
		if (i++ > 0 && line_is(t, n, "AUTH") && (n == 4 || t[4] != '='))
			old = 0;
	off = i = 0;
	while (next_line(ehlo, &off, &t, &n)) {
		if (i++ == 0 || !line_is(t, n, "AUTH") ||
		    (n > 4 && t[4] == '=') != old)
			continue;
		found = 1;
		for (j = n > 4 && t[4] == '=' ? 5 : 4; j < n; j++) {
			if (o + 2 >= len)
				break;
			if (t[j] == ' ' || t[j] == '\t') {
				if (o > 0 && out[o - 1] != ' ')
					out[o++] = ' ';
				continue;
			}
			out[o++] = (char)toupper((unsigned char)t[j]);
		}
		if (o > 0 && out[o - 1] != ' ')
			out[o++] = ' ';
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return (found);
}

int
smtp_mech_in(const char *list, const char *mech)
{
	size_t k = strlen(mech);
	const char *s = list;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (strncasecmp(s, mech, k) == 0 && (s[k] == ' ' ||
		    s[k] == '\0'))
			return (1);
		while (*s != '\0' && *s != ' ')
			s++;
	}
	return (0);
}

void
smtp_reply_name(const struct smtp_reply *r, char *out, size_t len)
{
	size_t off = 0, n, i;
	const char *t;

	out[0] = '\0';
	if (!next_line(r, &off, &t, &n))
		return;
	for (i = 0; i < n && i + 1 < len && t[i] != ' ' &&
	    (unsigned char)t[i] > 0x20 && t[i] != 0x7f; i++)
		out[i] = t[i];
	out[i] = '\0';
}

int
smtp_caps_filter(const struct smtp_reply *ehlo, enum caps_mode mode,
    char *out, size_t len)
{
	const char *keep[SMTP_REPLY_LINES];
	size_t klen[SMTP_REPLY_LINES];
	size_t off = 0, n, nk = 0, i, o = 0;
	const char *t;
	int authdone = 0, w;

	while (next_line(ehlo, &off, &t, &n) && nk < SMTP_REPLY_LINES - 1) {
		if (nk > 0 && (line_is(t, n, "STARTTLS") ||
		    line_is(t, n, "CHUNKING") || line_is(t, n, "BINARYMIME")))
			continue;
		if (nk > 0 && mode != CAPS_KEEP && line_is(t, n, "AUTH")) {
			if (authdone || mode == CAPS_DROP)
				continue;
			t = "AUTH PLAIN LOGIN";
			n = strlen(t);
			authdone = 1;
		}
		keep[nk] = t;
		klen[nk++] = n;
	}
	if (mode == CAPS_INJECT && !authdone) {
		keep[nk] = "AUTH PLAIN LOGIN";
		klen[nk] = strlen(keep[nk]);
		nk++;
	}
	for (i = 0; i < nk; i++) {
		if (o + klen[i] + 7 > len)
			return (-1);
		w = snprintf(out + o, len - o, "250%c%.*s\r\n",
		    i + 1 < nk ? '-' : ' ', (int)klen[i], keep[i]);
		o += (size_t)w;
	}
	return ((int)o);
}

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "EHLO", V_EHLO }, { "HELO", V_HELO }, { "MAIL", V_MAIL },
	{ "RCPT", V_RCPT }, { "DATA", V_DATA }, { "BDAT", V_BDAT },
	{ "RSET", V_RSET }, { "QUIT", V_QUIT }, { "AUTH", V_AUTH },
	{ "STARTTLS", V_STARTTLS }, { "NOOP", V_NOOP }, { "HELP", V_HELP },
};

/* The blanks a server skips around words of a command line. */
static int
blank(char c)
{

	return (c == ' ' || c == '\t' || c == '\v' || c == '\f');
}

enum smtp_verb
smtp_verb(const char *line, size_t len, const char **arg)
{
	size_t i, k, b;

	/* " DATA" is DATA to a server, and so must it be here, or the
	 * relay would take message bytes for commands. */
	for (b = 0; b < len && blank(line[b]); b++)
		;
	line += b;
	len -= b;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		k = strlen(verbs[i].name);
		/* A tab or other blank separates as a space does: a server
		 * may read "DATA\t" as DATA, and so must submitify. */
		if (len >= k && strncasecmp(line, verbs[i].name, k) == 0 &&
		    (len == k || blank(line[k]))) {
			*arg = line + (len == k ? k : k + 1);
			return (verbs[i].verb);
		}
	}
	*arg = line + len;
	return (V_OTHER);
}

/* Is p (n bytes) an esmtp-keyword, alone or with "=" and a value? */
static int
esmtp_param(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || !isalnum((unsigned char)p[0]))
		return (0);
	for (i = 1; i < n && p[i] != '='; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-')
			return (0);
	if (i == n)
		return (1);
	if (++i == n)
		return (0);
	for (; i < n; i++)
		if (p[i] < 33 || p[i] > 126 || p[i] == '=')
			return (0);
	return (1);
}

/*
 * The strict reading of a MAIL line that smtp_rewrite_mail() and
 * smtp_mail_sender() share: *addr and *alen are the path's address (0
 * bytes for "<>"), *rest the text after it.  0, or -1 if the line is not
 * a MAIL FROM that can be parsed so.
 */
static int
mail_parse(const char *line, size_t len, const char **addr, size_t *alen,
    const char **rest)
{
	const char *p, *end = line + len;
	int quoted = 0;

	if (smtp_verb(line, len, &p) != V_MAIL)
		return (-1);
	while (p < end && blank(*p))
		p++;
	if (end - p < 5 || strncasecmp(p, "FROM:", 5) != 0)
		return (-1);
	for (p += 5; p < end && blank(*p); p++)
		;
	if (p < end && *p == '<') {
		/* A path: up to the first '>' outside a quoted string. */
		for (*addr = ++p; p < end; p++) {
			if (quoted && *p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (!quoted && (*p == '>' || *p == '<'))
				break;
		}
		if (p == end || *p != '>')
			return (-1);
		*alen = (size_t)(p - *addr);
		p++;
	} else {
		/* A bare address, as lenient servers take it. */
		for (*addr = p; p < end && !blank(*p); p++)
			if (*p == '<' || *p == '>')
				return (-1);
		*alen = (size_t)(p - *addr);
		if (*alen == 0)
			return (-1);
	}
	if (p < end && !blank(*p))
		return (-1);
	*rest = p;
	return (0);
}

int
smtp_mail_sender(const char *line, size_t len, char *out, size_t outlen)
{
	const char *addr, *rest;
	size_t alen;

	if (mail_parse(line, len, &addr, &alen, &rest) != 0)
		return (-1);
	if (alen >= outlen)
		return (-2);
	memcpy(out, addr, alen);
	out[alen] = '\0';
	/* A NUL would make the address shorter than the server reads it. */
	return (strlen(out) == alen ? 0 : -1);
}

int
smtp_rewrite_mail(const char *line, size_t len, const char *from,
    char *out, size_t outlen)
{
	const char *p, *end = line + len, *addr, *par;
	size_t alen, plen, o;
	int n;

	if (mail_parse(line, len, &addr, &alen, &p) != 0)
		return (-1);
	n = snprintf(out, outlen, "MAIL FROM:<%s>", alen == 0 ? "" : from);
	if (n < 0 || (size_t)n >= outlen)
		return (-2);
	o = (size_t)n;
	/* The parameters, one by one: keyword[=value] (RFC 5321 4.1.2). */
	for (;;) {
		while (p < end && blank(*p))
			p++;
		if (p == end)
			break;
		for (par = p; p < end && !blank(*p); p++)
			;
		plen = (size_t)(p - par);
		if (!esmtp_param(par, plen))
			return (-1);
		/* AUTH=<mailbox> names the submitter: the program's claim
		 * would stand beside the sender it was not allowed to set. */
		if (plen >= 5 && strncasecmp(par, "AUTH=", 5) == 0)
			continue;
		if (o + 1 + plen + 1 > outlen)
			return (-2);
		out[o++] = ' ';
		memcpy(out + o, par, plen);
		o += plen;
		out[o] = '\0';
	}
	return (0);
}

void
smtp_data_init(struct smtp_data *d, int repair, int crlf)
{

	d->repair = repair;
	d->state = SMTP_D_BOL;
	d->cr = 0;
	d->crlf_seen = crlf != 0;
	d->prev_bare = 0;
	d->err = NULL;
}

long
smtp_data_feed(struct smtp_data *d, const char *in, size_t n, char *out,
    size_t *outn, int *end)
{
	const char *lf, *cr;
	size_t i, o = 0, stop;
	int eol;
	char c;

	*end = 0;
	if (WEAKEN_NAIVE_DATA)
		return (weak_naive_data(d, in, n, out, outn, end));
	for (i = 0; i < n; i++) {
		c = in[i];
		if (!d->cr && c != '\r' && c != '\n' &&
		    (d->state != SMTP_D_BOL || c != '.')) {
			/* Inside a line: copy up to the next CR or LF in one
			 * go (most of a message is such runs). */
			lf = memchr(in + i, '\n', n - i);
			stop = lf != NULL ? (size_t)(lf - in) : n;
			cr = memchr(in + i, '\r', stop - i);
			if (cr != NULL)
				stop = (size_t)(cr - in);
			memcpy(out + o, in + i, stop - i);
			o += stop - i;
			d->state = SMTP_D_MID;
			i = stop - 1;
			continue;
		}
		eol = 0;
		if (d->cr) {
			if (c != '\n') {
				d->err = "bare CR (a CR not followed by LF) "
				    "in the message";
				return (-1);
			}
			d->cr = 0;
			eol = 1;	/* CRLF */
		} else if (c == '\r') {
			d->cr = 1;
			continue;
		} else if (c == '\n') {
			if (!d->repair) {
				d->err = "bare LF in the message (and "
				    "fix_bare_lf is off)";
				return (-1);
			}
			eol = 2;	/* bare LF */
		}
		if (eol) {
			if (d->state == SMTP_D_DOT) {
				if ((eol == 2 || d->prev_bare) &&
				    (d->crlf_seen || eol == 1)) {
					d->err = "a dot line next to a bare LF "
					    "in a message with CRLF line ends "
					    "(ambiguous end of data: possible "
					    "SMTP smuggling)";
					return (-1);
				}
				out[o++] = '\r';
				out[o++] = '\n';
				d->state = SMTP_D_BOL;
				*end = 1;
				*outn = o;
				return ((long)(i + 1));
			}
			out[o++] = '\r';
			out[o++] = '\n';
			if (eol == 1)
				d->crlf_seen = 1;
			d->prev_bare = eol == 2;
			d->state = SMTP_D_BOL;
			continue;
		}
		out[o++] = c;
		d->state = d->state == SMTP_D_BOL && c == '.' ? SMTP_D_DOT :
		    SMTP_D_MID;
	}
	*outn = o;
	return ((long)n);
}

void
smtp_hdrfix_init(struct smtp_hdrfix *h, enum smtp_hdrfix_mode mode,
    const char *from)
{

	h->mode = mode;
	h->from = from;
	h->inhdr = mode != HDRFIX_OFF;
	h->seen = h->skip = h->midline = 0;
	h->flen = h->len = 0;
	h->note = NULL;
}

static size_t
put_from(const struct smtp_hdrfix *h, char *out)
{
	size_t n = strlen(h->from);

	if (n > 250)
		n = 250;
	memcpy(out, "From: <", 7);
	memcpy(out + 7, h->from, n);
	memcpy(out + 7 + n, ">\r\n", 3);
	return (n + 10);
}

/*
 * Is the field that starts at f a From: field, as the server reads it (a
 * leading dot removed)?  "From", any case, blanks, a colon.  A name the
 * bytes end within counts: such a field is too long to hold, and is
 * dropped rather than passed.
 */
static int
is_from(const char *f, size_t len)
{
	size_t i;

	if (len > 0 && f[0] == '.') {
		f++;
		len--;
	}
	/* All of it within the name ("Fro"): what follows is not here. */
	if (len < 4)
		return (len > 0 && strncasecmp(f, "From", len) == 0);
	if (strncasecmp(f, "From", 4) != 0)
		return (0);
	for (i = 4; i < len && (f[i] == ' ' || f[i] == '\t'); i++)
		;
	return (i == len || f[i] == ':');
}

enum { L_FIELD, L_CONT, L_EMPTY, L_END };

/*
 * What a line of the header section is, read as the server reads it (a
 * leading dot removed): at least 3 bytes, or the whole line.  The bytes
 * are CRLF-normalised, so a CR always starts a line end.
 */
static int
line_kind(const char *l, size_t n)
{

	if (l[0] == '.') {
		if (l[1] == '\r')
			return (L_END);
		l++;
		n--;
	}
	if (l[0] == '\r')
		return (L_EMPTY);
	if (l[0] == ' ' || l[0] == '\t')
		return (L_CONT);
	return (L_FIELD);
}

/* Drop the first k bytes of buf (emitted or dropped). */
static void
take(struct smtp_hdrfix *h, size_t k)
{

	memmove(h->buf, h->buf + k, h->len - k);
	h->len -= k;
	h->flen = 0;
}

/* The field held in buf[0, flen) is complete: emit it, or what replaces
 * it, or nothing. */
static size_t
flush_field(struct smtp_hdrfix *h, char *out)
{
	size_t o = 0;

	if (h->flen == 0)
		return (0);
	if (is_from(h->buf, h->flen) && h->mode == HDRFIX_SET) {
		if (!h->seen) {
			o = put_from(h, out);
			h->note = "From: header replaced";
		} else
			h->note = "From: header replaced, further From: "
			    "fields removed";
		h->seen = 1;
	} else {
		if (is_from(h->buf, h->flen))
			h->seen = 1;
		memcpy(out, h->buf, h->flen);
		o = h->flen;
	}
	take(h, h->flen);
	return (o);
}

/* The field in buf[0, flen) is too long to hold: decide on it now, and
 * on the rest of it (h->skip) as it comes. */
static size_t
too_long(struct smtp_hdrfix *h, char *out)
{
	size_t o = 0;

	if (is_from(h->buf, h->flen) && h->mode == HDRFIX_SET) {
		if (!h->seen)
			o = put_from(h, out);
		h->seen = 1;
		h->skip = 2;
		h->note = "a From: field too long to rewrite was dropped";
	} else {
		if (is_from(h->buf, h->flen))
			h->seen = 1;
		memcpy(out, h->buf, h->flen);
		o = h->flen;
		h->skip = 1;
		h->note = "a header field too long to rewrite";
	}
	take(h, h->flen);
	return (o);
}

/* The end of the header section: our field if the message has none. */
static size_t
header_end(struct smtp_hdrfix *h, char *out)
{

	h->inhdr = 0;
	if (h->seen)
		return (0);
	h->note = "From: header added";
	return (put_from(h, out));
}

/* A whole line was read into buf[flen, len). */
static size_t
line_done(struct smtp_hdrfix *h, char *out)
{
	const char *l = h->buf + h->flen;
	size_t ll = h->len - h->flen, o = 0;
	int k = line_kind(l, ll);

	if (h->skip) {
		/* After a field too long to hold (flen is 0). */
		if (k == L_CONT) {
			if (h->skip == 1) {
				memcpy(out, l, ll);
				o = ll;
			}
			h->len = 0;
			return (o);
		}
		h->skip = 0;
	}
	if (k == L_CONT && h->flen > 0) {
		h->flen = h->len;	/* a folded line of the field */
		return (0);
	}
	o = flush_field(h, out);
	if (k == L_CONT) {
		/* A folded line with no field before it: the server takes
		 * it as the start of the body; passed on. */
		memcpy(out + o, h->buf, h->len);
		o += h->len;
		h->len = 0;
		return (o);
	}
	if (k == L_FIELD) {
		h->flen = h->len;	/* the next field begins */
		return (o);
	}
	o += header_end(h, out + o);
	memcpy(out + o, h->buf, h->len);
	o += h->len;
	h->len = 0;
	return (o);
}

/* buf is full and holds no line end after the field's whole lines. */
static size_t
overflow(struct smtp_hdrfix *h, char *out)
{
	const char *l = h->buf + h->flen;
	size_t ll = h->len - h->flen, o = 0;
	int k;

	if (ll < 3) {
		/* The field fills buf: it is too long whatever comes next.
		 * The line begun stays, to be read as a line. */
		return (too_long(h, out));
	}
	k = line_kind(l, ll);
	if (h->skip) {
		if (k == L_CONT) {
			/* A long folded line of a field too long. */
			if (h->skip == 1) {
				memcpy(out, l, ll);
				o = ll;
			}
			h->len = 0;
			h->midline = 1;
			return (o);
		}
		h->skip = 0;
	}
	if (k != L_CONT)
		o = flush_field(h, out);
	/* All of buf is now one field, too long to hold. */
	h->flen = h->len;
	o += too_long(h, out + o);
	h->midline = 1;
	return (o);
}

size_t
smtp_hdrfix_feed(struct smtp_hdrfix *h, const char *in, size_t n, char *out)
{
	const char *nl;
	size_t o = 0, ll, k;

	while (n > 0 && h->inhdr) {
		nl = memchr(in, '\n', n);
		ll = nl != NULL ? (size_t)(nl - in) + 1 : n;
		if (h->midline) {
			/* The rest of a line of a field too long to hold. */
			if (h->skip == 1) {
				memcpy(out + o, in, ll);
				o += ll;
			}
			in += ll;
			n -= ll;
			if (nl != NULL)
				h->midline = 0;
			continue;
		}
		/* Lines are read whole into buf; a partial one waits there. */
		k = ll <= SMTP_HDR_MAX - h->len ? ll : SMTP_HDR_MAX - h->len;
		memcpy(h->buf + h->len, in, k);
		h->len += k;
		in += k;
		n -= k;
		if (k == ll && nl != NULL)
			o += line_done(h, out + o);
		else if (h->len == SMTP_HDR_MAX)
			o += overflow(h, out + o);
	}
	memcpy(out + o, in, n);
	return (o + n);
}
