/*
 * weaken: the code that the weak twins add (see weaken.h).  Each hook
 * tests its own switch, so in a real build it does nothing; the core calls
 * it where the protection it removes is.  weak_naive_data() replaces a
 * whole function and is called under its switch instead.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "smtp.h"
#include "upstream.h"
#include "weaken.h"

void
weak_greet_early(int fd)
{

	if (WEAKEN_GREET_EARLY)
		(void)send(fd, "220 submitify\r\n", 15, MSG_NOSIGNAL);
}

const char *
weak_starttls_cmd(const char *cmd)
{

	return (WEAKEN_STARTTLS_PIPELINE ? "STARTTLS\r\nEHLO pipelined.invalid" :
	    cmd);
}

/* The pre-TLS EHLO reply: the weak twin has one session to keep it for. */
static struct smtp_reply pretls;
static char *pretls_raw;

void
weak_pretls_keep(const struct smtp_reply *r)
{

	if (!WEAKEN_PRETLS_CAPS || (pretls_raw = malloc(r->len)) == NULL)
		return;
	memcpy(pretls_raw, r->raw, r->len);
	pretls = *r;
	pretls.raw = pretls_raw;
}

int
weak_pretls_caps(struct smtp_reply *r)
{

	if (!WEAKEN_PRETLS_CAPS || pretls_raw == NULL)
		return (0);
	*r = pretls;
	return (1);
}

void
weak_early_relay(struct session *s)
{
	char buf[4096];
	ssize_t n;

	if (!WEAKEN_EARLY_RELAY || !s->tls_up)
		return;
	n = recv(s->cfd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0)
		(void)up_write(s, buf, (size_t)n);
}

long
weak_tls_want(long k, int woke)
{

	return (WEAKEN_TLS_WANT && woke && k == UPSTREAM_WANT_READ ? 0 : k);
}

long
weak_naive_data(struct smtp_data *d, const char *in, size_t n, char *out,
    size_t *outn, int *end)
{
	size_t i, o = 0;
	char c;

	for (i = 0; i < n; i++) {
		/* Bytes as they come; the end is CRLF.CRLF and nothing else. */
		c = in[i];
		out[o++] = c;
		if (c == '\r')
			d->cr = d->state == SMTP_D_DOT ? 2 : 1;
		else if (c == '\n' && d->cr == 2) {
			*end = 1;
			*outn = o;
			return ((long)(i + 1));
		} else if (c == '\n' && d->cr == 1)
			d->state = SMTP_D_BOL;
		else
			d->state = d->state == SMTP_D_BOL && c == '.' ?
			    SMTP_D_DOT : SMTP_D_MID;
		if (c != '\r')
			d->cr = 0;
	}
	*outn = o;
	return ((long)n);
}
