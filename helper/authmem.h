/*
 * authmem: the AUTH mechanism that worked for an account on a server
 * after the automatic plan needed a fallback, remembered in a small file
 * of the user's so that the next session tries it first and spends no
 * failed login (servers delay and ban after those).
 *
 * The file is the user's own, so anything running as the user may have
 * written it: what it says is only ever used to put one of the mechanisms
 * of the session's plan (what the server offers after verified TLS, in
 * msmtp's order) first, never to add one (sasl_plan_first()).  A file
 * that is not a regular file of this user's, that others may write, that
 * is too large or that is not in the exact format below is ignored, and
 * replaced when something is next remembered.  It holds no secret: each
 * line is the SHA-256 of the account's name, the server and the user
 * name, in hex, and a mechanism's name.
 */
#ifndef SUBMITIFY_AUTHMEM_H
#define SUBMITIFY_AUTHMEM_H

#include <stddef.h>

/* The most accounts remembered; the oldest entry goes first. */
#define AUTHMEM_MAX	64

/* A key: 64 hex digits and a NUL. */
#define AUTHMEM_KEYLEN	65

/* A mechanism's name as stored: up to 20 of A-Z, 0-9 and '-'. */
#define AUTHMEM_MECHLEN	21

/*
 * The file's path into buf (len bytes): $XDG_STATE_HOME/submitify/auth
 * when that is an absolute path, else ~/.local/state/submitify/auth
 * ($HOME, else the user's home from the password file).  0, or -1 when
 * there is none or it does not fit.
 */
int authmem_path(char *buf, size_t len);

/* The key for account on server (host:port or a socket) as user. */
int authmem_key(const char *account, const char *server, const char *user,
    char key[AUTHMEM_KEYLEN]);

/*
 * The mechanism remembered for key, into mech.  0 when there is one; -1
 * when there is none, or no file, or a file not to be trusted (see above).
 */
int authmem_get(const char *path, const char *key,
    char mech[AUTHMEM_MECHLEN]);

/*
 * Remember mech for key, or forget key when mech is NULL: the file is
 * written whole to a new file beside it (mode 0600) and renamed over it;
 * missing directories are made with mode 0700, and a directory that is
 * not the user's own, or that others may write, is not written to.
 * Entries of a file not to be trusted are dropped.  0, or -1 (errno).
 */
int authmem_set(const char *path, const char *key, const char *mech);

#endif
