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
	{ "STARTTLS", V_STARTTLS }, { "NOOP", V_NOOP },
};

enum smtp_verb
smtp_verb(const char *line, size_t len, const char **arg)
{
	size_t i, k;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		k = strlen(verbs[i].name);
		/* A tab or other blank separates as a space does: a server
		 * may read "DATA\t" as DATA, and so must submitify. */
		if (len >= k && strncasecmp(line, verbs[i].name, k) == 0 &&
		    (len == k || line[k] == ' ' || line[k] == '\t' ||
		    line[k] == '\v' || line[k] == '\f')) {
			*arg = line + (len == k ? k : k + 1);
			return (verbs[i].verb);
		}
	}
	*arg = line + len;
	return (V_OTHER);
}

int
smtp_rewrite_mail(const char *line, size_t len, const char *from,
    char *out, size_t outlen)
{
	const char *lt, *gt;
	int n;

	lt = memchr(line, '<', len);
	if (lt == NULL)
		return (-1);
	gt = memchr(lt, '>', len - (size_t)(lt - line));
	if (gt == NULL)
		return (-1);
	if (gt == lt + 1)
		n = snprintf(out, outlen, "%.*s", (int)len, line);
	else
		n = snprintf(out, outlen, "%.*s<%s>%.*s", (int)(lt - line),
		    line, from, (int)(len - (size_t)(gt + 1 - line)), gt + 1);
	return (n < 0 || (size_t)n >= outlen ? -1 : 0);
}

enum { D_BOL, D_DOT, D_MID };

void
smtp_data_init(struct smtp_data *d, int repair, int crlf)
{

	d->repair = repair;
	d->state = D_BOL;
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
	for (i = 0; i < n && WEAKEN_NAIVE_DATA; i++) {
		/* Bytes as they come; the end is CRLF.CRLF and nothing else. */
		c = in[i];
		out[o++] = c;
		if (c == '\r')
			d->cr = d->state == D_DOT ? 2 : 1;
		else if (c == '\n' && d->cr == 2) {
			*end = 1;
			*outn = o;
			return ((long)(i + 1));
		} else if (c == '\n' && d->cr == 1)
			d->state = D_BOL;
		else
			d->state = d->state == D_BOL && c == '.' ? D_DOT :
			    D_MID;
		if (c != '\r')
			d->cr = 0;
	}
	if (WEAKEN_NAIVE_DATA) {
		*outn = o;
		return ((long)n);
	}
	for (i = 0; i < n; i++) {
		c = in[i];
		if (!d->cr && c != '\r' && c != '\n' &&
		    (d->state != D_BOL || c != '.')) {
			/* Inside a line: copy up to the next CR or LF in one
			 * go (most of a message is such runs). */
			lf = memchr(in + i, '\n', n - i);
			stop = lf != NULL ? (size_t)(lf - in) : n;
			cr = memchr(in + i, '\r', stop - i);
			if (cr != NULL)
				stop = (size_t)(cr - in);
			memcpy(out + o, in + i, stop - i);
			o += stop - i;
			d->state = D_MID;
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
			if (d->state == D_DOT) {
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
				d->state = D_BOL;
				*end = 1;
				*outn = o;
				return ((long)(i + 1));
			}
			out[o++] = '\r';
			out[o++] = '\n';
			if (eol == 1)
				d->crlf_seen = 1;
			d->prev_bare = eol == 2;
			d->state = D_BOL;
			continue;
		}
		out[o++] = c;
		d->state = d->state == D_BOL && c == '.' ? D_DOT : D_MID;
	}
	*outn = o;
	return ((long)n);
}

void
smtp_hdrfix_init(struct smtp_hdrfix *h, int mode, const char *from)
{

	h->mode = mode;
	h->from = from;
	h->inhdr = mode != 0;
	h->seen = h->overflow = 0;
	h->len = 0;
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

static int
is_from(const char *f, size_t len)
{

	return (len >= 5 && strncasecmp(f, "From", 4) == 0 &&
	    (f[4] == ':' || f[4] == ' ' || f[4] == '\t'));
}

/* The field held in buf is complete: emit it, or its replacement. */
static size_t
flush_field(struct smtp_hdrfix *h, char *out)
{
	size_t o = 0;

	if (h->len == 0)
		return (0);
	if (is_from(h->buf, h->len)) {
		/* Only the first From: field is replaced: each replacement
		 * may be longer than what it replaces. */
		if (h->mode == 1 && !h->seen) {
			h->seen = 1;
			h->len = 0;
			h->note = "From: header replaced";
			return (put_from(h, out));
		}
		h->seen = 1;
	}
	memcpy(out, h->buf, h->len);
	o = h->len;
	h->len = 0;
	return (o);
}

size_t
smtp_hdrfix_feed(struct smtp_hdrfix *h, const char *in, size_t n, char *out)
{
	const char *nl;
	size_t o = 0, ll;

	while (n > 0 && h->inhdr) {
		/* Whole lines only; a partial line waits in buf. */
		nl = memchr(in, '\n', n);
		ll = nl != NULL ? (size_t)(nl - in) + 1 : n;
		if (h->overflow) {
			memcpy(out + o, in, ll);
			o += ll;
			in += ll;
			n -= ll;
			if (nl != NULL)
				h->overflow = 0;
			continue;
		}
		/* A new line that is not a continuation ends the last field. */
		if (h->len > 0 && h->buf[h->len - 1] == '\n' &&
		    in[0] != ' ' && in[0] != '\t')
			o += flush_field(h, out + o);
		if (h->len == 0 && (in[0] == '\r' || in[0] == '\n' ||
		    in[0] == '.' || ll > SMTP_HDR_MAX)) {
			if (in[0] == '\r' || in[0] == '\n' || in[0] == '.') {
				/* The end of the header section. */
				if (h->mode == 2 && !h->seen) {
					o += put_from(h, out + o);
					h->note = "From: header added";
				}
				h->inhdr = 0;
				break;
			}
			h->overflow = 1;
			h->note = "a header field too long to rewrite";
			continue;
		}
		if (h->len + ll > SMTP_HDR_MAX) {
			/* Pass what is held and the rest of this field. */
			memcpy(out + o, h->buf, h->len);
			o += h->len;
			h->len = 0;
			h->overflow = 1;
			h->note = "a header field too long to rewrite";
			continue;
		}
		memcpy(h->buf + h->len, in, ll);
		h->len += ll;
		in += ll;
		n -= ll;
	}
	memcpy(out + o, in, n);
	return (o + n);
}
