/*
 * serve: one handed-off connection, from the listener to the log line.
 * A cold helper (main.c) runs it after exec; a warm helper (warmd.c) runs
 * it in a process forked for the session, with the configuration read by
 * the warm helper in the environment the shim sent.
 */
#ifndef SUBMITIFY_SERVE_H
#define SUBMITIFY_SERVE_H

#include <stdint.h>

#include "conf.h"

struct job {
	/* The handoff (common/contract.h). */
	const char *peer, *dest, *prog;
	long pid;
	uint64_t cookie;
	int lfd;			/* the one-shot listener */
	int secure;			/* a setuid or setgid host's helper */
	int idfail;			/* errno of a failed change of ids */
	int warm;			/* run by a warm helper */
	long long t0;			/* when the job started, ms */

	/* The configuration, as job_choose() found it. */
	char *path;
	struct conf *conf;
	const struct conf_account *acct; /* a fixed account, or NULL */
	struct conf *byconf;		/* the sender chooses, or NULL */
	char err[CONF_ERRLEN];		/* why neither, for the program */
};

/*
 * Find, read and check the configuration in the current environment and
 * working directory, and choose the account where the sender does not:
 * fills j->path, conf, acct, byconf, or err.
 */
void job_choose(struct job *j);

/*
 * Accept the program's connection on j->lfd (only the one whose socket
 * has j->cookie), serve it and log the session.  Returns the exit status.
 * Frees the configuration.
 */
int job_run(struct job *j);

/*
 * The account whose settings key a TLS session for resumption, or NULL
 * when there is no single one (the sender chooses, or the file is bad).
 */
const struct conf_account *job_account(const struct job *j);

/* The idle time, in seconds, a warm helper keeps for j: 0 for none. */
int job_warm_idle(const struct job *j);

#endif
