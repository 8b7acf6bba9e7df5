/*
 * secrets: where an account's password comes from.  The only code that
 * runs a command (passwordeval) or reads ~/.netrc.  It knows nothing of
 * submit.conf: its caller says where to look (struct secret_source).
 */
#ifndef SUBMITIFY_SECRETS_H
#define SUBMITIFY_SECRETS_H

#include <stddef.h>

/*
 * Where one account's secret may be found, and what to name in a
 * message.  The strings are the caller's and are only read.
 */
struct secret_source {
	const char *password;		/* the secret itself, or NULL */
	const char *passwordeval;	/* a command that prints it, or NULL */
	const char *user;		/* for ~/.netrc; NULL: no look-up */
	const char *host;		/* not NULL: for ~/.netrc, messages */
	int timeout_s;			/* passwordeval's limit; <= 0: 30 s */
	const char *file;		/* where the account is defined, */
	int line;			/* for the message when there is no */
	const char *account;		/* secret at all */
};

/*
 * The secret: password, else passwordeval's output (at most 1 MiB, less
 * one trailing newline and then one carriage return; neither empty nor
 * holding a NUL byte), else the ~/.netrc entry for host and user (a file
 * of the effective user's that group and others may not access, of at
 * most 1 MiB).  Returns a new string the caller wipes and frees
 * (wipe_free), or NULL with err set.  run_eval 0 only checks that a
 * source exists: passwordeval is not run and "*" stands for its output.
 *
 * passwordeval runs through /bin/sh in a process group of its own for at
 * most timeout_s seconds; once the shell has exited the whole group is
 * killed, so that no job it started in the background outlives it.
 *
 * err says what failed ("passwordeval failed (exit status 3)") and never
 * quotes the command or what it printed: it may be shown to anyone the
 * program serves.  detail (may be NULL) gets the first line of the
 * command's stderr, escaped (esc_text), or "", whether it failed or not:
 * for the user's own diagnostics only, never for a setuid or setgid
 * host's caller.
 */
char *secret_get(const struct secret_source *src, int run_eval, char *err,
    size_t errlen, char *detail, size_t detaillen);

/*
 * The password of the first entry in text (.netrc syntax, up to its first
 * NUL) that serves host and user, as a new string the caller wipes and
 * frees; NULL if none does or memory runs out.  Tokens are separated by
 * blanks, tabs and line ends: `machine NAME` or `default` starts an entry,
 * `login NAME` and `password WORD` fill it, anything else is skipped.  An
 * entry serves when it has a password, its machine is host (or it is the
 * `default`), and it has no login or the login is user.  Pure, for the
 * unit tests.
 */
/*
 * The client key file (tls_key_file) at path, read whole (at most 1 MiB)
 * into *out (the caller wipes and frees it) and *len.  It must be a
 * regular file of the effective user's or root's that group may not
 * change and others may not access; with secure (a setuid or setgid
 * host), root's own only: the file is read with the host's privileges,
 * and only one root chose may stand for them.  0, or -1 with err naming
 * the file and the cause; err never quotes the file's content.
 */
int secret_read_key(const char *path, int secure, char **out, size_t *len,
    char *err, size_t errlen);

char *secret_netrc_find(const char *text, const char *host,
    const char *user);

#endif
