/*
 * smtp: the pure parts of the protocol: the server reply parser, the
 * program's command lines, capability filtering and the DATA stream.
 * No I/O here; everything is unit-tested directly.
 */
#ifndef SUBMITIFY_SMTP_H
#define SUBMITIFY_SMTP_H

#include <stddef.h>

#define SMTP_LINE_MAX	4096		/* one reply or command line */
#define SMTP_REPLY_MAX	(64 * 1024)	/* one whole (multi-line) reply */
#define SMTP_REPLY_LINES 256

/* ---- server replies ---- */

struct smtp_reply {
	int code;		/* 200..599 */
	const char *raw;	/* the reply's bytes, verbatim */
	size_t len;
	size_t nlines;
};

/* An incremental reply parser over a fixed buffer. */
struct smtp_rparser {
	char buf[SMTP_REPLY_MAX];
	size_t len;		/* bytes held */
	size_t done;		/* bytes of complete lines checked so far */
	size_t nlines;
	int code;
	size_t taken;		/* bytes of the reply last returned */
	const char *err;
};

void smtp_rp_init(struct smtp_rparser *rp);

/* Free space to read into, and how much; then commit what was read. */
char *smtp_rp_space(struct smtp_rparser *rp, size_t *len);
void smtp_rp_commit(struct smtp_rparser *rp, size_t n);

/*
 * Find the next complete reply.  Returns 1 and fills *r (valid until the
 * next call), 0 if more bytes are needed, -1 if the server broke the
 * protocol (rp->err says how: a line too long, a bad code, a NUL byte, a
 * reply too long).  The reply's bytes are released by the next call.
 */
int smtp_rp_next(struct smtp_rparser *rp, struct smtp_reply *r);

/* Bytes held beyond the replies returned so far. */
size_t smtp_rp_pending(const struct smtp_rparser *rp);

/* ---- capabilities (an EHLO reply) ---- */

/* Is keyword cap advertised (case-insensitive, first word of a line)? */
int smtp_has_cap(const struct smtp_reply *ehlo, const char *cap);

/*
 * The mechanisms of the AUTH line, upper-cased and space-separated, into
 * out.  Returns 1 if there is an AUTH line, 0 if not.
 */
int smtp_auth_mechs(const struct smtp_reply *ehlo, char *out, size_t len);

/* Is mechanism mech in the space-separated list? */
int smtp_mech_in(const char *list, const char *mech);

/* What happens to the AUTH capability in the program's EHLO reply. */
enum caps_mode {
	CAPS_KEEP,		/* the program authenticates itself */
	CAPS_INJECT,		/* submitify does: "AUTH PLAIN LOGIN" */
	CAPS_DROP		/* nobody may (no TLS upstream) */
};

/*
 * Build the EHLO reply the program sees from the server's post-TLS one:
 * STARTTLS, CHUNKING and BINARYMIME removed, AUTH as mode says.  Returns
 * the length written (CRLF-terminated), or -1 if out is too small.
 */
int smtp_caps_filter(const struct smtp_reply *ehlo, enum caps_mode mode,
    char *out, size_t len);

/* The first word after the code on the first line (the server's name). */
void smtp_reply_name(const struct smtp_reply *r, char *out, size_t len);

/* ---- the program's commands ---- */

enum smtp_verb {
	V_EHLO, V_HELO, V_MAIL, V_RCPT, V_DATA, V_BDAT, V_RSET, V_QUIT,
	V_AUTH, V_STARTTLS, V_NOOP, V_HELP, V_OTHER
};

/*
 * Classify a command line (without its line ending) as a server does:
 * blanks (space, tab, VT, FF) before the verb are skipped, the verb is
 * matched in any case and ends at a blank or the end of the line.  *arg
 * points to the text after the verb and one blank, or to the end of the
 * line.
 */
enum smtp_verb smtp_verb(const char *line, size_t len, const char **arg);

/*
 * Rewrite a MAIL command line to use the sender from.  The line is parsed
 * strictly: the verb (as smtp_verb reads it), "FROM:" in any case, optional
 * blanks, then a path in angle brackets (a quoted local part may hold '>')
 * or a bare address up to a blank, then the parameters.  The line written
 * is built anew, "MAIL FROM:<from>" and the program's parameters, so that
 * nothing of the program's own sender is left; the null sender "<>" stays
 * "<>".  Each parameter must be keyword[=value] as RFC 5321 writes it; an
 * AUTH= parameter (the submitter, RFC 4954) is dropped.  Writes a
 * NUL-terminated line without CRLF.  Returns 0, -1 if the line is not a
 * MAIL FROM that can be parsed so, or -2 if out is too small.
 */
int smtp_rewrite_mail(const char *line, size_t len, const char *from,
    char *out, size_t outlen);

/*
 * The sender of a MAIL command line, read by the same strict parser as
 * smtp_rewrite_mail(): the path's address without its brackets, "" for
 * the null sender.  Writes a NUL-terminated string.  Returns 0, -1 if the
 * line is not a MAIL FROM that can be parsed so, or -2 if out is too
 * small.
 */
int smtp_mail_sender(const char *line, size_t len, char *out, size_t outlen);

/* ---- the DATA stream ---- */

/* Where in a line of the message smtp_data_feed() is. */
enum smtp_data_state { SMTP_D_BOL, SMTP_D_DOT, SMTP_D_MID };

struct smtp_data {
	int repair;		/* bare LF -> CRLF */
	int state;		/* where in the line we are (smtp_data_state) */
	int cr;			/* a CR waits for its LF */
	int crlf_seen;		/* the program has ended some line in CRLF */
	int prev_bare;		/* the line before ended in a bare LF */
	const char *err;
};

/*
 * Start a message.  crlf: the program has already shown that it ends its
 * lines in CRLF (some command line so far, the DATA line included, ended
 * so).  The relay keeps that from the command lines; it decides whether a
 * bare LF may end the message.
 */
void smtp_data_init(struct smtp_data *d, int repair, int crlf);

/*
 * Copy message bytes from in (n bytes) to out, which must hold 2*n bytes,
 * with every bare LF made CRLF when repair is on.  Stops after the end of
 * data (a line holding a single dot).  Returns the number of input bytes
 * consumed and sets *outn; sets *end to 1 when the end of data was
 * consumed.
 *
 * Bare-LF repair exists for programs that end EVERY line with a bare LF,
 * commands included: for them "\n.\n" ends the data.  A program that has
 * shown CRLF (a command line, the DATA line, or an earlier line of the
 * message) never has its data ended by "\n.\n", "\n.\r\n" or
 * "\r\n.\n": the program meant the dot as text, and taking it as the end
 * would let the rest be read as commands (SMTP smuggling).  Such a message
 * is refused: -1 with d->err set, never a message and commands.  Also -1 on
 * a CR not followed by LF (both modes), and on any bare LF when repair is
 * off.
 */
long smtp_data_feed(struct smtp_data *d, const char *in, size_t n, char *out,
    size_t *outn, int *end);

/* ---- the From: header (set_from_header) ---- */

#define SMTP_HDR_MAX	8192	/* one header field, folded lines included */

/* What happens to the From: header (set_from_header). */
enum smtp_hdrfix_mode {
	HDRFIX_OFF = 0,		/* nothing: the header passes as it is */
	HDRFIX_SET = 1,		/* ours replaces the message's, or is added */
	HDRFIX_ADD = 2		/* ours is added to a message without one */
};

struct smtp_hdrfix {
	enum smtp_hdrfix_mode mode;
	const char *from;	/* the address to use */
	int inhdr;		/* still in the header section */
	int seen;		/* a From: field was there (HDRFIX_SET: ours is out) */
	int skip;		/* rest of a too-long field: 1 passed, 2 dropped */
	int midline;		/* skip applies to the rest of this line */
	size_t flen;		/* bytes of the field's whole lines in buf */
	size_t len;		/* bytes in buf: the field, then a line begun */
	char buf[SMTP_HDR_MAX];	/* the field being read */
	const char *note;	/* what happened, for the log */
};

void smtp_hdrfix_init(struct smtp_hdrfix *h, enum smtp_hdrfix_mode mode,
    const char *from);

/*
 * Filter CRLF-normalised, dot-stuffed message bytes (the output of
 * smtp_data_feed) through the header rewrite.  Lines are read as the
 * server will read them: a leading dot is removed first.  The header
 * section ends only at an empty line or at the end of data.  A From: field
 * is "From", in any case, then optional blanks and a colon.
 *
 * HDRFIX_SET (set_from_header on): the first From: field is replaced by
 * "From: <from>" and every further one is removed, a field longer than
 * SMTP_HDR_MAX included (it is dropped whole); a message without one gets
 * ours at the end of its header.  HDRFIX_ADD (auto): a message without a
 * From: field gets ours; its own are kept.  Other fields longer than
 * SMTP_HDR_MAX are passed on unchanged (h->note says so).
 *
 * Writes at most n + SMTP_HDR_MAX + 300 bytes to out (what was held from
 * earlier calls, what came in, and our field once per message).  Returns
 * the bytes written.  Call with the bytes up to and including the
 * end-of-data line.
 */
size_t smtp_hdrfix_feed(struct smtp_hdrfix *h, const char *in, size_t n,
    char *out);

#endif
