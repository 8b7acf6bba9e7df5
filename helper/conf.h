/*
 * conf: submit.conf, in msmtp's configuration language.
 */
#ifndef SUBMITIFY_CONF_H
#define SUBMITIFY_CONF_H

#include <stddef.h>

#include "sasl.h"

#define CONF_ERRLEN 512
#define CONF_DOMAIN_MAX 255	/* `domain`, the EHLO argument */

enum conf_fromhdr { FROMHDR_OFF, FROMHDR_ON, FROMHDR_AUTO };

/* One `match` entry: a host name, an address or CIDR block, or "*". */
struct conf_match {
	char *text;
	int any;		/* "*" */
	int family;		/* AF_INET/AF_INET6 for an address or block */
	unsigned char addr[16];
	int bits;		/* prefix length; -1 for a host name */
};

/*
 * What a tls_priorities string asks for, in terms OpenSSL can honour
 * (conf_priorities() says which strings those are).  Only ever narrower
 * than submitify's own defaults: TLS 1.2 and 1.3.
 */
struct conf_prio {
	int tls12, tls13;	/* the versions allowed */
	int pfs;		/* forward secrecy only: no RSA or PSK key
				   exchange in TLS 1.2 */
	int bits;		/* 0, or 256: ciphers of 256-bit keys only */
	int no_tickets;		/* ask for no session tickets */
};

struct conf_account {
	char *name;
	char *file;		/* where it was defined, for messages */
	int line;
	unsigned long set;	/* bit per key explicitly set (inheritance) */

	char *host;
	int port;		/* 0: 587, or 465 when tls_starttls off */
	int tls;
	int starttls;
	char *trust_file;	/* NULL: the system store */
	char *host_override;	/* the name to verify and send as SNI, or
				   NULL: host */
	char *source_ip;	/* the address to connect from (a numeric
				   IPv4 or IPv6 address), or NULL */
	char *proxy_host;	/* a SOCKS5 proxy to connect through, or
				   NULL */
	int proxy_port;		/* 0: 1080 */
	char *socket_path;	/* a local socket to connect to instead of
				   host and port (and the proxy), or NULL */
	int certcheck;
	int has_fingerprint;
	unsigned char fingerprint[32];
	int tls_legacy;
	char *cert_file;	/* tls_cert_file: the client certificate, or
				   NULL for none */
	char *key_file;		/* tls_key_file: its private key (read only
				   when the session starts, never logged) */
	char *crl_file;		/* tls_crl_file, or NULL */
	char *priorities;	/* tls_priorities as written, or NULL */
	struct conf_prio prio;	/* what it means */
	int min_dh_bits;	/* tls_min_dh_prime_bits, 0: unset */
	int warm_idle;		/* seconds a warm helper waits for the next
				   session; 0: none; -1: the default */
	enum sasl_mech auth;
	char *user;
	char *password;
	char *passwordeval;
	char *from;
	enum conf_fromhdr from_header;
	char *domain;
	int timeout;		/* seconds, 0: the defaults */
	char *logfile;
	int syslog;
	int fix_bare_lf;
	struct conf_match *match;
	size_t nmatch;
};

struct conf {
	char *path;
	struct conf_account **acct;
	size_t nacct;
	char *intercept_ports;	/* NULL: "25" */
	int has_password;	/* a `password` line appears */
	char **ignored;		/* msmtp keys read and ignored, for a warning */
	size_t nignored;
};

/* How conf_load() treats the file. */
#define CONF_PERMS	1	/* only its user or root may change it, and
				 * a file with a password is private */
#define CONF_SECURE	2	/* for a setuid/setgid host: root's file only,
				 * and no error quotes the file's text */

/*
 * Read the file at path.  Returns a new struct conf, or NULL with a
 * "file:line: message" (or "file: message") in err.  flags: CONF_PERMS,
 * CONF_SECURE, or 0 (unit tests).  Under CONF_SECURE an error names the
 * line and never any of its text: the caller of a setuid program could
 * otherwise read a file it may not.
 */
struct conf *conf_load(const char *path, int flags, char *err,
    size_t errlen);

/* Parse text as if read from a file named name (unit tests). */
struct conf *conf_parse(const char *name, const char *text, char *err,
    size_t errlen);

/* Wipe and drop every password c holds (once AUTH is done). */
void conf_wipe_secrets(struct conf *c);

/* Free c and wipe the secrets it holds; conf_free(NULL) does nothing. */
void conf_free(struct conf *c);

/* The account called name (aliases followed), or NULL. */
struct conf_account *conf_find(const struct conf *c, const char *name);

/*
 * The account to use: the one named (if name is not NULL), else the first
 * whose `match` covers the destination address dest (family AF_INET or
 * AF_INET6, 4 or 16 bytes; may be NULL), else `default`, else the only
 * account.  Host names in `match` are resolved here.  NULL with err set if
 * none applies.  conf_choose_by() with no sender.
 */
struct conf_account *conf_choose(const struct conf *c, const char *name,
    int family, const void *dest, char *err, size_t errlen);

/*
 * The whole order of the choice: the account named, else `match` on dest,
 * else (when sender is not NULL) the first account in file order whose
 * `from` matches sender (conf_by_sender), else `default`, else the only
 * account.  NULL with err set if none applies.
 */
struct conf_account *conf_choose_by(const struct conf *c, const char *name,
    int family, const void *dest, const char *sender, char *err,
    size_t errlen);

/*
 * The steps the program's sender cannot change: the account named, else
 * the first whose `match` covers dest.  NULL with err "" when neither
 * applies, NULL with err set when the name is unknown.
 */
struct conf_account *conf_choose_fixed(const struct conf *c, const char *name,
    int family, const void *dest, char *err, size_t errlen);

/*
 * Can the program's sender change the choice?  Not when a fixed step
 * chose (fixed, from conf_choose_fixed, is not NULL); otherwise only when
 * some account with a `from` is not the one `default` or the only account
 * gives (so a sender could choose otherwise, or choose where nothing
 * else would).
 */
int conf_sender_decides(const struct conf *c, const struct conf_account *fixed);

/* The first account in file order whose `from` matches sender, or NULL. */
struct conf_account *conf_by_sender(const struct conf *c, const char *sender);

#define CONF_ADDR_MAX	1024	/* longer senders and patterns match nothing */

/*
 * Does an account's `from` match the sender (an address without <>)?  As
 * msmtp: case is ignored; a `from` holding *, ? or [ is a shell pattern
 * (fnmatch without flags); a plain `from` user@domain also matches
 * user+detail@domain.  The null sender "" matches nothing.
 */
int conf_from_match(const char *from, const char *sender);

/* Is this `from` a pattern (it holds *, ? or [)? */
int conf_from_is_pattern(const char *from);

/* Does match entry m cover this address?  (Pure, for the unit tests.) */
int conf_match_addr(const struct conf_match *m, int family, const void *addr);

/* The port to connect to: port, or 587/465 by tls_starttls. */
int conf_port(const struct conf_account *a);


/*
 * The account's secret, by secret_get() (secrets.h), whose contract this
 * is: password, else passwordeval's output (at most 1 MiB, within the
 * account's timeout, else 30 s), else the ~/.netrc entry for host and
 * user; with none, err is "file:line: account NAME has user USER but no
 * password, ...".  Returns a new string the caller wipes and frees, or
 * NULL with err set.  run_eval 0 only checks that a source exists and
 * returns a placeholder "*".  err never quotes the command or what it
 * printed; detail (may be NULL) gets the first line of its stderr,
 * escaped, or "": for the user's own diagnostics only, never for a setuid
 * or setgid host's caller.
 */
char *conf_secret(const struct conf_account *a, int run_eval, char *err,
    size_t errlen, char *detail, size_t detaillen);

/*
 * Parse a GnuTLS priority string (tls_priorities) into *out.  Returns 0,
 * or -1 with why naming the part submitify cannot honour.  (Pure, for the
 * unit tests.)
 */
int conf_priorities(const char *s, struct conf_prio *out, char *why,
    size_t whylen);

/* Does the account log in with a secret (a user, and a mechanism that is
 * neither off nor external)? */
int conf_needs_secret(const struct conf_account *a);

/* Does submitify log in for the account (a user, or auth external), so
 * that the program's own AUTH is answered locally? */
int conf_injects(const struct conf_account *a);

/* Print the effective settings of every account, secrets as "*". */
void conf_print(const struct conf *c, void *stdio_file);

/* Default config path search: -c, $SUBMITIFY_CONF, ~/.config/..., /etc/...
 * Sets *msmtprc when ~/.msmtprc was chosen.  Returns a new string or NULL. */
char *conf_locate(const char *opt, int secure, int *msmtprc);

#endif
